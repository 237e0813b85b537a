#!/usr/bin/python3
"""Generates the seed corpus of //fuzz/tcp:tcp_stateful_fuzzer with Scapy.

Each seed is a script for the stateful fuzzer (format in
fuzz/tcp/tcp_stateful_fuzzer.cc): a mode byte, then records [op:1][len:2][body].
The segments inside are TCP headers built by Scapy (handshakes, option
combinations, data, SACK, FIN, RST); their sequence numbers are offsets from the
peer's ISN and their ACK/SACK values offsets from the DUT's ISN (the fuzzer adds
the real ISNs). Deterministic: no randomness, every field set explicitly, so
re-running reproduces the files byte for byte.

  corpora/gen_tcp_seeds.py            # regenerate fuzz/tcp/tcp_stateful_fuzzer_corpus/
  corpora/gen_tcp_seeds.py --check    # regenerate into a temp dir, diff, exit 1 on change
"""

import argparse
import filecmp
import logging
import os
import shutil
import struct
import sys
import tempfile

logging.getLogger("scapy").setLevel(logging.ERROR)

from scapy.all import TCP, conf  # noqa: E402

conf.verb = 0

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join("fuzz", "tcp", "tcp_stateful_fuzzer_corpus")

# Inputs that once broke an invariant (found by fuzzing, fixed since) are kept in the
# corpus as regress_<what> files; this script never deletes or checks them.
REGRESSION_PREFIX = "regress_"

PASSIVE, ACTIVE = 0, 1
NEWRENO = 2
SMALLBUF = 4

ALL_OPTS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1000, 0)), ("NOP", None), ("WScale", 7)]


def seg(seq, ack=0, flags="A", window=65535, options=None, payload=0):
    """One segment record. `payload` is a length: the fuzzer writes the stream bytes."""
    t = TCP(sport=40000, dport=80, seq=seq, ack=ack, flags=flags, window=window, chksum=0, urgptr=0,
            dataofs=None, reserved=0, options=options or [])
    body = bytes(t) + bytes(payload)
    return struct.pack(">BH", 0x01, len(body)) + body


def advance(ms, long=False):
    body = struct.pack(">H", ms) + (b"\x01" if long else b"")
    return struct.pack(">BH", 0x02, len(body)) + body


def recv(n=65535, zero_copy=False):
    return struct.pack(">BHH", 0x09 if zero_copy else 0x03, 2, n)


def send(n):
    return struct.pack(">BHH", 0x04, 2, n)


def close(how):
    return struct.pack(">BHB", 0x05, 1, how)


def sockopt(opt, value):
    return struct.pack(">BHBI", 0x06, 5, opt, value & 0xFFFFFFFF)


def raw(data):
    return struct.pack(">BH", 0x07, len(data)) + data


def icmp(type_, code, mtu, seq_off):
    return struct.pack(">BHBBHI", 0x08, 8, type_, code, mtu, seq_off)


def ts(val, ecr):
    return ("Timestamp", (val, ecr))


def passive_handshake(opts=ALL_OPTS, ack_opts=None):
    """Peer SYN at offset 0, then the ACK of the DUT's SYN-ACK (DUT ISN + 1)."""
    return seg(0, 0, "S", options=opts) + advance(1) + seg(1, 1, "A", options=ack_opts or [])


def seeds():
    s = {}
    ts_ack = [("NOP", None), ("NOP", None), ts(1001, 1)]
    s["passive_full_options_data_fin"] = bytes([PASSIVE]) + passive_handshake(ack_opts=ts_ack) + \
        seg(1, 1, "PA", options=ts_ack, payload=1000) + recv() + \
        seg(1001, 1, "FA", options=[("NOP", None), ("NOP", None), ts(1002, 1)]) + recv() + close(2) + \
        advance(200)
    s["passive_no_options"] = bytes([PASSIVE]) + seg(0, 0, "S") + advance(1) + seg(1, 1, "A") + \
        seg(1, 1, "PA", payload=536) + recv(100) + recv(1000) + send(3000) + advance(50) + \
        seg(537, 3001, "A") + close(0) + advance(10) + seg(537, 3002, "FA") + advance(100, True)
    s["passive_mss_only_out_of_order"] = bytes([PASSIVE]) + passive_handshake(opts=[("MSS", 536)]) + \
        seg(537, 1, "A", payload=536) + seg(1073, 1, "A", payload=536) + seg(1, 1, "A", payload=536) + \
        recv() + seg(1609, 1, "FA", payload=100) + recv() + advance(300)
    s["passive_sack_reordering"] = bytes([PASSIVE]) + passive_handshake(opts=[("MSS", 1460), ("SAckOK", b"")]) + \
        seg(1461, 1, "A", payload=1460) + seg(4381, 1, "A", payload=1460) + seg(2921, 1, "A", payload=1460) + \
        seg(1, 1, "A", payload=1460) + recv_all() + seg(1461, 1, "A", payload=1460) + advance(150)
    s["passive_wscale_ts_bulk"] = bytes([PASSIVE]) + passive_handshake(ack_opts=ts_ack) + b"".join(
        seg(1 + 1448 * i, 1, "A", options=[("NOP", None), ("NOP", None), ts(1002 + i, 1)], payload=1448)
        for i in range(8)) + recv() + advance(120)
    s["active_handshake_bidirectional"] = bytes([ACTIVE]) + advance(1) + \
        seg(0, 1, "SA", options=ALL_OPTS) + send(5000) + advance(5) + \
        seg(1, 1449, "A", options=ts_ack) + seg(1, 2897, "A", options=[("NOP", None), ("NOP", None), ts(1002, 1)],
                                                   payload=300) + \
        recv() + seg(301, 5001, "A", options=[("NOP", None), ("NOP", None), ts(1003, 1)]) + close(2) + \
        advance(10) + seg(301, 5002, "FA", options=[("NOP", None), ("NOP", None), ts(1004, 1)]) + advance(100)
    s["active_sack_recovery"] = bytes([ACTIVE | NEWRENO]) + advance(1) + \
        seg(0, 1, "SA", options=[("MSS", 1000), ("SAckOK", b"")]) + send(20000) + advance(2) + \
        seg(1, 1001, "A") + advance(2) + \
        seg(1, 1001, "A", options=[("NOP", None), ("NOP", None), ("SAck", (2001, 3001))]) + \
        seg(1, 1001, "A", options=[("NOP", None), ("NOP", None), ("SAck", (2001, 4001))]) + \
        seg(1, 1001, "A", options=[("NOP", None), ("NOP", None), ("SAck", (2001, 5001, 6001, 7001))]) + \
        advance(5) + seg(1, 5001, "A") + advance(1000) + seg(1, 20001, "A") + advance(10)
    s["active_simultaneous_open"] = bytes([ACTIVE]) + advance(1) + seg(0, 0, "S", options=ALL_OPTS) + \
        advance(2) + seg(0, 1, "SA", options=ALL_OPTS) + send(100) + advance(300) + \
        seg(1, 101, "FA") + close(0) + advance(10) + seg(2, 102, "A") + advance(100, True)
    s["active_refused"] = bytes([ACTIVE]) + advance(1) + seg(0, 1, "RA") + advance(100)
    s["rst_variants"] = bytes([PASSIVE]) + passive_handshake(opts=[("MSS", 1460)]) + \
        seg(100, 1, "R") + seg(5000000, 1, "R") + seg(1, 1, "S") + seg(1, 99999, "A") + \
        seg(1, 1, "PA", payload=10) + recv() + seg(11, 1, "R") + recv()
    s["zero_window_persist"] = bytes([ACTIVE | SMALLBUF]) + advance(1) + \
        seg(0, 1, "SA", options=[("MSS", 536)], window=1072) + send(4000) + advance(10) + \
        seg(1, 1073, "A", window=0) + advance(6000) + advance(6000) + seg(1, 1073, "A", window=0) + \
        advance(12000) + seg(1, 1074, "A", window=4000) + advance(100) + seg(1, 4001, "A", window=4000) + \
        advance(100)
    s["keepalive_idle"] = bytes([PASSIVE]) + passive_handshake(opts=[("MSS", 1460)]) + \
        sockopt(2, 2000) + sockopt(3, 500) + sockopt(4, 2) + advance(2500) + seg(1, 1, "A") + \
        advance(5000) + advance(5000)
    s["paws_old_timestamp"] = bytes([PASSIVE]) + passive_handshake(ack_opts=ts_ack) + \
        seg(1, 1, "PA", options=[("NOP", None), ("NOP", None), ts(5000, 1)], payload=100) + \
        seg(101, 1, "PA", options=[("NOP", None), ("NOP", None), ts(10, 1)], payload=100) + \
        seg(101, 1, "PA", options=[("NOP", None), ("NOP", None), ts(5001, 1)], payload=100) + recv()
    s["overlapping_retransmissions"] = bytes([PASSIVE]) + passive_handshake(opts=[("MSS", 1000)]) + \
        seg(501, 1, "A", payload=1000) + seg(1, 1, "A", payload=700) + seg(301, 1, "A", payload=1500) + \
        seg(1, 1, "A", payload=2000) + recv(1500, True) + recv(5000, True) + seg(2001, 1, "FA") + recv()
    s["syn_flood_cookies"] = bytes([PASSIVE]) + b"".join(
        raw(bytes(TCP(sport=1000 + i, dport=80, seq=7 * i, ack=0, flags="S", window=1024, chksum=0,
                      options=[("MSS", 1460)])))
        for i in range(6)) + passive_handshake(opts=[("MSS", 1460), ("WScale", 3)]) + \
        seg(1, 1, "PA", payload=64) + recv()
    s["icmp_frag_needed"] = bytes([ACTIVE]) + advance(1) + seg(0, 1, "SA", options=[("MSS", 1460)]) + \
        send(6000) + icmp(3, 4, 576, 1) + advance(5) + icmp(3, 1, 0, 1) + seg(1, 6001, "A") + advance(50)
    s["socket_options"] = bytes([PASSIVE | SMALLBUF]) + passive_handshake(opts=[("MSS", 1460)]) + \
        sockopt(0, 1) + sockopt(5, 200000) + sockopt(6, 1024) + sockopt(7, 0) + sockopt(8, 300) + \
        sockopt(9, 0) + send(1200) + advance(5) + seg(1, 301, "A", window=512) + close(2) + advance(50)
    s["garbage_segments"] = bytes([PASSIVE]) + raw(b"\x00" * 19) + raw(bytes(20)) + \
        raw(bytes(TCP(sport=1, dport=80, flags="SF", chksum=0))) + \
        raw(bytes(TCP(sport=2, dport=80, flags="A", chksum=0, dataofs=15)) + bytes(40)) + \
        raw(bytes(TCP(sport=3, dport=81, flags="S", chksum=0))) + seg(0, 0, "S", options=[("MSS", 0)])
    return s


def recv_all():
    return recv(65535)


def write(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for name in os.listdir(out_dir):
        if not name.startswith(REGRESSION_PREFIX):
            os.remove(os.path.join(out_dir, name))
    for name, data in sorted(seeds().items()):
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="regenerate into a temp dir and compare")
    args = ap.parse_args()
    target = os.path.join(REPO, OUT)
    if not args.check:
        write(target)
        print(f"wrote {len(seeds())} seeds to {OUT}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = os.path.join(tmp, "corpus")
        write(fresh)
        cmp = filecmp.dircmp(fresh, target) if os.path.isdir(target) else None
        bad = []
        if cmp is None:
            bad.append(f"{OUT} missing")
        else:
            bad += [f"differs: {n}" for n in cmp.diff_files]
            bad += [f"missing: {n}" for n in cmp.left_only]
            bad += [f"extra: {n}" for n in cmp.right_only if not n.startswith(REGRESSION_PREFIX)]
            # dircmp compares shallowly by stat; compare contents for the common files too.
            for n in cmp.common_files:
                if not filecmp.cmp(os.path.join(fresh, n), os.path.join(target, n), shallow=False):
                    if f"differs: {n}" not in bad:
                        bad.append(f"differs: {n}")
        if bad:
            print("\n".join(bad))
            return 1
        print(f"{OUT}: up to date")
        return 0


if __name__ == "__main__":
    sys.exit(main())
