#!/usr/bin/python3
"""Generates the seed corpora of the //fuzz/inet fuzz targets with Scapy.

Targets and their record formats (see the fuzzer sources):
  frame_{arp,ip,tcp}_fuzzer  records [op][len16][bytes]: op 0 = frame in, 1 = advance
                             time, 2 = application drains sockets, 3 = application sends
  reassembly_fuzzer          records [id][off16 (8-byte units)][len16][flags][proto][advance]
                             followed by nothing (the fuzzer fills payloads itself)

The instance under test is 10.0.0.1 / 02:00:00:00:00:01 with a peer 10.0.0.2 /
02:00:00:00:00:02, UDP sockets on 5000 and connected to 10.0.0.2:6000, a TCP listener
on 80 and a TCP connection attempt to 10.0.0.2:443.

Deterministic: every field is set explicitly (no addresses from the host's routing
table, no random IDs or sequence numbers), so re-running reproduces the files byte
for byte. The *_corpus/ directories belong to this script.

  corpora/gen_inet_seeds.py           # regenerate in place
  corpora/gen_inet_seeds.py --check   # regenerate into a temp dir and diff (exit 1 on change)
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

from scapy.all import (  # noqa: E402
    ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, IPOption_NOP, IPOption_Router_Alert, IPOption_RR, Raw, conf,
)

conf.verb = 0

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FUZZ_DIR = os.path.join("fuzz", "inet")

OUR_MAC = "02:00:00:00:00:01"
PEER_MAC = "02:00:00:00:00:02"
OTHER_MAC = "02:00:00:00:00:09"
BCAST = "ff:ff:ff:ff:ff:ff"
OUR_IP = "10.0.0.1"
PEER_IP = "10.0.0.2"


# ---- record encoders -------------------------------------------------------------

def rec(op, body=b""):
    return struct.pack("!BH", op, len(body)) + body


def frame(pkt):
    return rec(0, bytes(pkt))


def advance(units):
    return rec(1, bytes([units]))


def drain():
    return rec(2)


def send(data):
    return rec(3, data)


def eth(dst=OUR_MAC, src=PEER_MAC):
    return Ether(dst=dst, src=src)


def ip(src=PEER_IP, dst=OUR_IP, **kw):
    kw.setdefault("id", 1)
    kw.setdefault("ttl", 64)
    kw.setdefault("flags", 0)
    kw.setdefault("tos", 0)
    return IP(src=src, dst=dst, **kw)


def tcp(sport=40000, dport=80, flags="S", seq=1000, ack=0, window=65535, options=None):
    return TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=window,
               options=options if options is not None else [], urgptr=0)


# ---- seeds -----------------------------------------------------------------------

def arp_seeds():
    s = {}
    req = eth(BCAST) / ARP(op=1, hwsrc=PEER_MAC, psrc=PEER_IP, hwdst="00:00:00:00:00:00", pdst=OUR_IP)
    s["arp_request_for_us"] = frame(req)
    s["arp_request_other"] = frame(eth(BCAST) / ARP(op=1, hwsrc=OTHER_MAC, psrc="10.0.0.9",
                                                    hwdst="00:00:00:00:00:00", pdst="10.0.0.7"))
    s["arp_reply_to_us"] = frame(eth() / ARP(op=2, hwsrc=OTHER_MAC, psrc="10.0.0.9", hwdst=OUR_MAC, pdst=OUR_IP))
    s["arp_gratuitous"] = frame(eth(BCAST, OTHER_MAC) / ARP(op=1, hwsrc=OTHER_MAC, psrc="10.0.0.9",
                                                            hwdst="00:00:00:00:00:00", pdst="10.0.0.9"))
    s["arp_probe_rfc5227"] = frame(eth(BCAST, OTHER_MAC) / ARP(op=1, hwsrc=OTHER_MAC, psrc="0.0.0.0",
                                                               hwdst="00:00:00:00:00:00", pdst=OUR_IP))
    s["arp_conflict"] = frame(eth(BCAST, OTHER_MAC) / ARP(op=1, hwsrc=OTHER_MAC, psrc=OUR_IP,
                                                          hwdst="00:00:00:00:00:00", pdst=OUR_IP))
    s["arp_vlan_tagged"] = frame(Ether(dst=BCAST, src=PEER_MAC) / Dot1Q(vlan=5, prio=0) /
                                 ARP(op=1, hwsrc=PEER_MAC, psrc=PEER_IP, hwdst="00:00:00:00:00:00", pdst=OUR_IP))
    s["arp_truncated"] = frame(bytes(req)[:30])
    # Resolution of an unknown neighbour: the app sends, the reply comes, time passes.
    s["arp_resolution_sequence"] = (send(b"ping") + advance(0) +
                                    frame(eth() / ARP(op=2, hwsrc=OTHER_MAC, psrc="10.0.0.9",
                                                      hwdst=OUR_MAC, pdst=OUR_IP)) + advance(200))
    return s


def ip_seeds():
    s = {}
    s["icmp_echo"] = frame(eth() / ip() / ICMP(type=8, code=0, id=7, seq=1) / Raw(b"abcdefgh" * 4))
    s["icmp_echo_broadcast"] = frame(eth(BCAST) / ip(dst="255.255.255.255") / ICMP(type=8, id=7, seq=2))
    inner = ip(src=OUR_IP, dst=PEER_IP) / UDP(sport=5000, dport=6000) / Raw(b"x" * 8)
    s["icmp_port_unreachable"] = frame(eth() / ip() / ICMP(type=3, code=3) / Raw(bytes(inner)[:28]))
    s["icmp_frag_needed"] = frame(eth() / ip() / ICMP(type=3, code=4, nexthopmtu=1280) / Raw(bytes(inner)[:28]))
    s["icmp_time_exceeded"] = frame(eth() / ip() / ICMP(type=11, code=0) / Raw(bytes(inner)[:28]))
    s["icmp_redirect"] = frame(eth() / ip() / ICMP(type=5, code=1, gw="10.0.0.3") / Raw(bytes(inner)[:28]))
    s["udp_to_socket"] = frame(eth() / ip() / UDP(sport=6000, dport=5000) / Raw(b"hello")) + drain()
    s["udp_to_closed_port"] = frame(eth() / ip() / UDP(sport=6000, dport=9) / Raw(b"x"))
    s["udp_zero_checksum"] = frame(eth() / ip() / UDP(sport=6000, dport=5000, chksum=0) / Raw(b"nocsum"))
    s["udp_broadcast"] = frame(eth(BCAST) / ip(dst="10.0.0.255") / UDP(sport=67, dport=5000) / Raw(b"b"))
    s["udp_connected_reply"] = send(b"q") + frame(eth() / ip() / UDP(sport=6000, dport=10000) / Raw(b"r")) + drain()
    s["ip_options"] = frame(eth() / ip(options=[IPOption_RR(length=7, pointer=4, routers=["0.0.0.0"]),
                                                  IPOption_NOP(), IPOption_Router_Alert()]) /
                            UDP(sport=6000, dport=5000) / Raw(b"o"))
    s["ip_ttl_zero"] = frame(eth() / ip(ttl=0) / UDP(sport=6000, dport=5000) / Raw(b"t"))
    s["ip_unknown_protocol"] = frame(eth() / ip(proto=99) / Raw(b"\x00" * 12))
    s["ip_not_for_us"] = frame(eth() / ip(dst="10.0.0.77") / UDP(sport=1, dport=2))
    # A fragmented UDP datagram in order, reversed, and with an overlap.
    payload = bytes(range(256)) * 8
    whole = ip(id=99, proto=17) / UDP(sport=6000, dport=5000) / Raw(payload)
    raw = bytes(whole)
    body = raw[20:]
    def frag(off, data, mf, ident=99):
        flags = "MF" if mf else 0
        return frame(eth() / ip(id=ident, proto=17, flags=flags, frag=off // 8) / Raw(data))
    pieces = [(0, body[:800], True), (800, body[800:1600], True), (1600, body[1600:], False)]
    s["frag_in_order"] = b"".join(frag(o, d, m) for o, d, m in pieces) + drain()
    s["frag_reversed"] = b"".join(frag(o, d, m) for o, d, m in reversed(pieces)) + drain()
    s["frag_overlap"] = frag(0, body[:800], True, 5) + frag(792, body[792:1600], True, 5) + frag(1600, body[1600:], False, 5)
    s["frag_timeout"] = frag(0, body[:800], True, 6) + advance(255) + advance(255) + advance(255)
    s["vlan_priority_tag"] = frame(Ether(dst=OUR_MAC, src=PEER_MAC) / Dot1Q(vlan=0, prio=3) / ip() /
                                   ICMP(type=8, id=1, seq=1))
    return s


def tcp_seeds():
    s = {}
    mss_opts = [("MSS", 1460), ("NOP", None), ("WScale", 7), ("SAckOK", b""), ("Timestamp", (100, 0))]
    s["tcp_syn"] = frame(eth() / ip(proto=6) / tcp(options=[("MSS", 1460)]))
    s["tcp_syn_all_options"] = frame(eth() / ip(proto=6) / tcp(options=mss_opts))
    # A full passive open, data, and close against the listener on port 80. The ISN the
    # instance picks is not known here, so the third segment acks a guess: the fuzzer
    # mutates from there (and SYN cookies accept or reject it).
    hs = [frame(eth() / ip(proto=6, id=i + 1) / t) for i, t in enumerate([
        tcp(flags="S", seq=1000, options=[("MSS", 1460), ("SAckOK", b"")]),
        tcp(flags="A", seq=1001, ack=1),
        tcp(flags="PA", seq=1001, ack=1) / Raw(b"GET / HTTP/1.0\r\n\r\n"),
        tcp(flags="FA", seq=1019, ack=1),
    ])]
    s["tcp_handshake_data_fin"] = hs[0] + advance(0) + hs[1] + hs[2] + drain() + send(b"resp") + hs[3] + advance(50)
    s["tcp_rst"] = frame(eth() / ip(proto=6) / tcp(flags="R", seq=1000))
    s["tcp_rst_ack"] = frame(eth() / ip(proto=6) / tcp(flags="RA", seq=1000, ack=5))
    s["tcp_to_closed_port"] = frame(eth() / ip(proto=6) / tcp(dport=81))
    s["tcp_synack_for_connect"] = advance(0) + frame(eth() / ip(proto=6) /
                                                     tcp(sport=443, dport=10000, flags="SA", seq=5000, ack=1,
                                                         options=[("MSS", 1400)]))
    s["tcp_fin_scan"] = frame(eth() / ip(proto=6) / tcp(flags="F"))
    s["tcp_xmas"] = frame(eth() / ip(proto=6) / tcp(flags="FSRPAUEC"))
    s["tcp_bad_doff"] = frame(eth() / ip(proto=6) / TCP(sport=40000, dport=80, flags="S", seq=1, dataofs=15))
    s["tcp_syn_flood"] = b"".join(frame(eth() / ip(src="10.0.0.%d" % (10 + i), proto=6, id=i) /
                                        tcp(sport=20000 + i, flags="S", seq=i * 1000)) for i in range(20))
    return s


def reassembly_seeds():
    def r(ident, off_bytes, length, mf, proto=17, adv=0):
        return struct.pack("!BHHBBB", ident, off_bytes // 8, length, 1 if mf else 0, proto, adv)
    s = {}
    s["in_order"] = r(1, 0, 800, True) + r(1, 800, 800, True) + r(1, 1600, 100, False)
    s["reversed"] = r(2, 1600, 100, False) + r(2, 800, 800, True) + r(2, 0, 800, True)
    s["duplicate"] = r(3, 0, 64, True) + r(3, 0, 64, True) + r(3, 64, 8, False)
    s["overlap_teardrop"] = r(4, 0, 64, True) + r(4, 56, 64, False)
    s["tiny_rfc1858"] = r(5, 0, 16, True) + r(5, 8, 16, False)
    s["timeout"] = r(6, 0, 64, True) + struct.pack("!BHHBBB", 0, 0, 0, 0, 0, 31)
    s["many_queues"] = b"".join(r(10 + i, 0, 8, True) for i in range(10))
    s["many_frags"] = b"".join(r(20, 8 * i, 8, True) for i in range(16)) + r(20, 128, 8, False)
    s["bad_end"] = r(30, 64, 16, False) + r(30, 96, 16, False)
    s["max_size"] = r(40, 0, 1480, True) + r(40, 65520 - 1480, 8, False)
    s["interleaved"] = (r(50, 0, 400, True) + r(51, 0, 400, True) + r(50, 400, 100, False) +
                        r(51, 400, 100, False))
    return s


TARGETS = {
    "frame_arp_fuzzer": arp_seeds,
    "frame_ip_fuzzer": ip_seeds,
    "frame_tcp_fuzzer": tcp_seeds,
    "reassembly_fuzzer": reassembly_seeds,
}


def write_all(root):
    for target, gen in TARGETS.items():
        d = os.path.join(root, FUZZ_DIR, target + "_corpus")
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
        for name, data in sorted(gen().items()):
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)


def compare(a, b):
    """Lists differences between two corpus trees (relative paths)."""
    diffs = []
    for target in TARGETS:
        da = os.path.join(a, FUZZ_DIR, target + "_corpus")
        db = os.path.join(b, FUZZ_DIR, target + "_corpus")
        na = set(os.listdir(da)) if os.path.isdir(da) else set()
        nb = set(os.listdir(db)) if os.path.isdir(db) else set()
        for n in sorted(na ^ nb):
            diffs.append("%s/%s: only in %s" % (target, n, "committed" if n in na else "regenerated"))
        for n in sorted(na & nb):
            if not filecmp.cmp(os.path.join(da, n), os.path.join(db, n), shallow=False):
                diffs.append("%s/%s: differs" % (target, n))
    return diffs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="regenerate into a temp dir and diff")
    args = ap.parse_args()
    if not args.check:
        write_all(REPO)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        write_all(tmp)
        diffs = compare(REPO, tmp)
    for d in diffs:
        print(d)
    if diffs:
        print("gen_inet_seeds: committed corpora differ from the script's output", file=sys.stderr)
        return 1
    print("gen_inet_seeds: corpora match")
    return 0


if __name__ == "__main__":
    sys.exit(main())
