#!/usr/bin/python3
"""Generates the seed corpora of the //fuzz/wire fuzz targets with Scapy.

Writes fuzz/wire/<target>_corpus/<name> for every target (the directories are owned
by this script: files it no longer generates are removed). Deterministic: a fixed
random seed, and every field Scapy would otherwise fill from the host (MAC and IP
addresses, which it takes from the routing table) or at random is set explicitly,
so re-running reproduces the files byte for byte.

  corpora/gen_wire_seeds.py            # regenerate in place
  corpora/gen_wire_seeds.py --check    # regenerate into a temp dir, diff, exit 1 on change
"""

import argparse
import filecmp
import logging
import os
import random
import shutil
import struct
import sys
import tempfile

logging.getLogger("scapy").setLevel(logging.ERROR)

from scapy.all import (  # noqa: E402  (after silencing Scapy's import-time warnings)
    ARP, BOOTP, DHCP, ICMP, IP, TCP, UDP, Dot1AD, Dot1Q, Ether, IPOption_LSRR, IPOption_NOP,
    IPOption_Router_Alert, IPOption_RR, IPOption_Timestamp, Raw, conf, fragment,
)

conf.verb = 0

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FUZZ_DIR = os.path.join("fuzz", "wire")
MAX_SEED = 2048

MAC_A = "00:11:22:33:44:55"
MAC_B = "66:77:88:99:aa:bb"
BCAST = "ff:ff:ff:ff:ff:ff"
IP_A = "10.0.0.1"
IP_B = "10.0.0.2"


def addr_bytes(src=IP_A, dst=IP_B):
    """The 8-byte address prefix that the UDP/TCP fuzzers read before the segment."""
    return bytes(map(int, src.split("."))) + bytes(map(int, dst.split(".")))


def ether(dst=MAC_B, src=MAC_A):
    return Ether(dst=dst, src=src)


def ip(src=IP_A, dst=IP_B, **kw):
    kw.setdefault("id", 1)
    kw.setdefault("ttl", 64)
    kw.setdefault("flags", 0)
    return IP(src=src, dst=dst, **kw)


def tcp(**kw):
    kw.setdefault("sport", 1234)
    kw.setdefault("dport", 80)
    kw.setdefault("seq", 1)
    kw.setdefault("ack", 0)
    kw.setdefault("window", 65535)
    kw.setdefault("flags", "S")
    return TCP(**kw)


def rand_bytes(rng, n):
    return bytes(rng.getrandbits(8) for _ in range(n))


# --- DHCP messages ---------------------------------------------------------------
CLIENT_MAC = bytes.fromhex("02000000aa01")


def bootp(op=1, xid=0x12345678, **kw):
    kw.setdefault("chaddr", CLIENT_MAC + b"\0" * 10)
    kw.setdefault("flags", 0)
    kw.setdefault("secs", 0)
    return BOOTP(op=op, xid=xid, **kw)


def dhcp_messages():
    server, client_ip = "10.0.0.1", "10.0.0.50"
    offer_opts = [("server_id", server), ("lease_time", 3600), ("renewal_time", 1800),
                  ("rebinding_time", 3150), ("subnet_mask", "255.255.255.0"), ("router", server),
                  ("name_server", "10.0.0.1", "8.8.8.8")]
    return {
        "dhcp_discover": bootp(flags=0x8000) / DHCP(options=[
            ("message-type", "discover"), ("client_id", b"\x01" + CLIENT_MAC),
            ("param_req_list", [1, 3, 6, 15, 51, 54]), ("max_dhcp_size", 1500), "end"]),
        "dhcp_offer": bootp(op=2, yiaddr=client_ip, siaddr=server) / DHCP(
            options=[("message-type", "offer")] + offer_opts + ["end"]),
        "dhcp_request": bootp() / DHCP(options=[
            ("message-type", "request"), ("requested_addr", client_ip), ("server_id", server),
            ("hostname", b"vm-guest-1"), ("param_req_list", [1, 3, 6]), "end"]),
        "dhcp_ack": bootp(op=2, yiaddr=client_ip, siaddr=server) / DHCP(
            options=[("message-type", "ack")] + offer_opts + ["end"]),
        "dhcp_nak": bootp(op=2) / DHCP(options=[("message-type", "nak"), ("server_id", server), "end"]),
        "dhcp_release": bootp(ciaddr=client_ip) / DHCP(options=[
            ("message-type", "release"), ("server_id", server), "end"]),
        "dhcp_inform": bootp(ciaddr=client_ip) / DHCP(options=[("message-type", "inform"), "end"]),
        "dhcp_decline": bootp() / DHCP(options=[
            ("message-type", "decline"), ("requested_addr", client_ip), ("server_id", server), "end"]),
        "dhcp_relayed_request": bootp(hops=1, giaddr="10.1.0.1") / DHCP(options=[
            ("message-type", "request"), ("requested_addr", "10.1.0.77"), "end"]),
    }


def dhcp_seeds():
    seeds = {name: bytes(p) for name, p in dhcp_messages().items()}
    disc = seeds["dhcp_discover"]
    seeds["dhcp_padded_300"] = disc + b"\0" * (300 - len(disc))
    seeds["dhcp_missing_end"] = disc[:-1]
    seeds["dhcp_pad_options"] = disc[:240] + b"\0\0\0" + disc[240:]
    seeds["dhcp_bad_cookie"] = disc[:236] + b"\x63\x82\x53\x64" + disc[240:]
    seeds["dhcp_bad_op"] = b"\x03" + disc[1:]
    seeds["dhcp_bad_hlen"] = disc[:2] + b"\x11" + disc[3:]
    seeds["dhcp_truncated_fixed"] = disc[:200]
    seeds["dhcp_truncated_option"] = disc[:243]
    seeds["dhcp_option_overruns"] = disc[:240] + b"\x0c\x20abc"
    seeds["dhcp_wrong_option_lengths"] = disc[:240] + bytes.fromhex("350201013303000e103602 0a00 ff".replace(" ", ""))
    seeds["dhcp_many_dns"] = bytes(bootp(op=2) / DHCP(options=[
        ("message-type", "ack"), ("name_server", "1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"), "end"]))
    seeds["dhcp_unknown_options"] = disc[:240] + bytes.fromhex("350101 fa03616263 7d00 ff".replace(" ", ""))
    return seeds


# --- frames --------------------------------------------------------------------------
def frames(rng):
    syn_opts = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)), ("NOP", None), ("WScale", 7)]
    f = {
        "tcp_syn": ether() / ip() / tcp(options=syn_opts),
        "tcp_synack": ether(MAC_A, MAC_B) / ip(IP_B, IP_A, flags="DF") / tcp(
            sport=80, dport=1234, seq=1000, ack=2, flags="SA", window=28960, options=[("MSS", 1460)]),
        "tcp_psh_payload": ether() / ip() / tcp(flags="PA", seq=2, ack=1001, window=502, options=[
            ("NOP", None), ("NOP", None), ("Timestamp", (12345, 67890))]) / Raw(b"GET / HTTP/1.0\r\n\r\n"),
        "tcp_rst": ether() / ip() / tcp(flags="RA", seq=0, ack=2, window=0),
        "udp_dns": ether() / ip(flags="DF") / UDP(sport=5353, dport=53) / Raw(rand_bytes(rng, 29)),
        "icmp_echo": ether() / ip() / ICMP(type=8, id=0x42, seq=1) / Raw(b"ping"),
        "arp_request": ether(BCAST) / ARP(op=1, hwsrc=MAC_A, psrc=IP_A, hwdst="00:00:00:00:00:00", pdst=IP_B),
        "arp_reply": ether(MAC_A, MAC_B) / ARP(op=2, hwsrc=MAC_B, psrc=IP_B, hwdst=MAC_A, pdst=IP_A),
        "vlan_icmp": ether() / Dot1Q(vlan=100, prio=5) / ip() / ICMP(type=0, id=7, seq=9),
        "qinq_udp": ether() / Dot1AD(vlan=10) / Dot1Q(vlan=20) / ip() / UDP(sport=1000, dport=2000) / Raw(b"x"),
        "dhcp_discover_frame": ether(BCAST) / ip("0.0.0.0", "255.255.255.255") / UDP(sport=68, dport=67) /
        dhcp_messages()["dhcp_discover"],
        "dhcp_offer_frame": ether(BCAST, MAC_B) / ip("10.0.0.1", "10.0.0.50") / UDP(sport=67, dport=68) /
        dhcp_messages()["dhcp_offer"],
    }
    out = {k: bytes(v) for k, v in f.items()}
    quote = bytes(ip(flags="DF") / UDP(sport=5353, dport=53) / Raw(b"hello"))[:28]
    out["icmp_frag_needed"] = bytes(ether() / ip(IP_B, IP_A) / ICMP(type=3, code=4, nexthopmtu=1400) / Raw(quote))
    out["icmp_time_exceeded"] = bytes(ether() / ip("10.9.9.9", IP_A) / ICMP(type=11, code=0) / Raw(quote))
    out["ip_padded_60"] = bytes(ether() / ip() / UDP(sport=1, dport=2)) + b"\0" * 18
    first, second = fragment(ip(id=77) / UDP(sport=9, dport=9) / Raw(rand_bytes(rng, 64)), fragsize=32)[:2]
    out["ip_fragment_first"] = bytes(ether() / first)
    out["ip_fragment_second"] = bytes(ether() / second)
    syn = out["tcp_syn"]
    out["trunc_in_ip"] = syn[:14 + 7]
    out["trunc_in_tcp_options"] = syn[:14 + 20 + 30]
    out["bad_ihl"] = syn[:14] + b"\x44" + syn[15:]
    out["bad_tcp_checksum"] = syn[:-1] + bytes([syn[-1] ^ 1])
    out["too_many_tags"] = bytes.fromhex(MAC_B.replace(":", "") + MAC_A.replace(":", "")) + \
        b"\x81\x00\x00\x01" * 5 + b"\x08\x00"
    out["llc_8023"] = bytes.fromhex(MAC_B.replace(":", "") + MAC_A.replace(":", "")) + b"\x00\x26\x42\x42\x03" + \
        b"\0" * 38
    out["runt"] = b"\xff" * 9
    return out


def ip_datagrams(rng):
    d = {
        "ip_tcp_syn": ip() / tcp(options=[("MSS", 1460)]),
        "ip_udp": ip(flags="DF") / UDP(sport=5353, dport=53) / Raw(b"hello"),
        "ip_icmp": ip() / ICMP(type=8, id=1, seq=1),
        "ip_opt_rr": ip(options=[IPOption_RR(routers=["0.0.0.0"] * 3)]) / UDP(sport=1, dport=2),
        "ip_opt_ts": ip(options=[IPOption_Timestamp(flg=0, timestamp=[0, 0])]) / UDP(sport=1, dport=2),
        "ip_opt_lsrr": ip(options=[IPOption_LSRR(routers=["10.9.0.1", "10.9.0.2"])]) / UDP(sport=1, dport=2),
        "ip_opt_ra_nop": ip(options=[IPOption_Router_Alert(), IPOption_NOP()]) / Raw(b"igmp"),
        "ip_reserved_flag": ip(flags="evil") / Raw(b"x"),
        "ip_dscp_ecn": ip(tos=0xb9) / UDP(sport=7, dport=7),
        "ip_ttl1": ip(ttl=1) / ICMP(),
        "ip_proto_unknown": ip(proto=253) / Raw(rand_bytes(rng, 12)),
    }
    out = {k: bytes(v) for k, v in d.items()}
    for i, frag in enumerate(fragment(ip(id=99) / UDP(sport=9, dport=9) / Raw(rand_bytes(rng, 100)), fragsize=40)):
        out["ip_fragment_%d" % i] = bytes(frag)
    base = out["ip_udp"]
    out["ip_bad_checksum"] = base[:10] + b"\x00\x00" + base[12:]
    out["ip_bad_version"] = b"\x65" + base[1:]
    out["ip_bad_ihl"] = b"\x43" + base[1:]
    out["ip_total_len_short"] = base[:2] + struct.pack("!H", 19) + base[4:]
    out["ip_total_len_long"] = base[:2] + struct.pack("!H", len(base) + 10) + base[4:]
    out["ip_trailing_padding"] = base + b"\0" * 12
    out["ip_truncated_header"] = base[:15]
    out["ip_bad_option_len"] = bytes.fromhex("46000018000100004 0fd0000 0a000001 0a000002 07010000".replace(" ", ""))
    out["ip_option_overrun"] = out["ip_bad_option_len"][:20] + b"\x01\x01\x07\x09"
    return out


def icmp_messages(rng):
    quote = bytes(ip(flags="DF") / UDP(sport=5353, dport=53) / Raw(b"hello"))[:28]
    tcp_quote = bytes(ip() / tcp())[:28]
    d = {
        "echo_request": ICMP(type=8, id=0x42, seq=1) / Raw(b"ping"),
        "echo_reply": ICMP(type=0, id=0x42, seq=1) / Raw(rand_bytes(rng, 56)),
        "unreach_port": ICMP(type=3, code=3) / Raw(quote),
        "unreach_host_tcp": ICMP(type=3, code=1) / Raw(tcp_quote),
        "frag_needed": ICMP(type=3, code=4, nexthopmtu=1400) / Raw(quote),
        "frag_needed_legacy": ICMP(type=3, code=4, nexthopmtu=0) / Raw(quote),
        "time_exceeded": ICMP(type=11, code=0) / Raw(quote),
        "reassembly_timeout": ICMP(type=11, code=1) / Raw(quote),
        "redirect": ICMP(type=5, code=1, gw="10.0.0.254") / Raw(quote),
        "param_problem": ICMP(type=12, code=0, ptr=20) / Raw(quote),
        "timestamp": ICMP(type=13, id=5, seq=6, ts_ori=1000, ts_rx=0, ts_tx=0),
        "source_quench": ICMP(type=4, code=0) / Raw(quote),
    }
    out = {k: bytes(v) for k, v in d.items()}
    out["bad_checksum"] = out["echo_request"][:2] + b"\xde\xad" + out["echo_request"][4:]
    out["truncated"] = out["echo_request"][:5]
    out["quote_truncated"] = bytes(ICMP(type=3, code=3) / Raw(quote[:12]))
    out["quote_bad_version"] = bytes(ICMP(type=3, code=3) / Raw(b"\x65" + quote[1:]))
    out["header_only"] = bytes(ICMP(type=8, id=0, seq=0))
    return out


def udp_seeds(rng):
    a = addr_bytes()
    d = {
        "dns": UDP(sport=5353, dport=53) / Raw(rand_bytes(rng, 32)),
        "empty": UDP(sport=1, dport=2),
        "dhcp": UDP(sport=68, dport=67) / dhcp_messages()["dhcp_discover"],
        "odd_payload": UDP(sport=7, dport=7) / Raw(b"abc"),
    }
    out = {}
    for k, v in d.items():
        # Scapy needs the IP layer to fill the pseudo-header checksum.
        seg = bytes(ip() / v)[20:]
        out[k] = a + seg
    dns = out["dns"][8:]
    out["zero_checksum"] = a + dns[:6] + b"\0\0" + dns[8:]
    out["bad_checksum"] = a + dns[:6] + b"\x12\x34" + dns[8:]
    out["length_below_8"] = a + dns[:4] + struct.pack("!H", 7) + dns[6:]
    out["length_beyond_buffer"] = a + dns[:4] + struct.pack("!H", len(dns) + 1) + dns[6:]
    out["length_shorter_than_buffer"] = a + dns[:4] + struct.pack("!H", 10) + dns[6:]
    out["truncated_header"] = a + dns[:5]
    out["other_addresses"] = addr_bytes("192.168.1.1", "192.168.1.2") + bytes(
        ip("192.168.1.1", "192.168.1.2") / UDP(sport=5353, dport=53) / Raw(b"hello"))[20:]
    return out


def tcp_seeds(rng):
    a = addr_bytes()
    opts_syn = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)), ("NOP", None), ("WScale", 7)]
    d = {
        "syn_linux": tcp(options=opts_syn),
        "syn_bare": tcp(),
        "synack_mss": tcp(flags="SA", seq=1000, ack=2, options=[("MSS", 536)]),
        "ack_ts": tcp(flags="A", seq=2, ack=1001, window=502, options=[
            ("NOP", None), ("NOP", None), ("Timestamp", (4000000000, 12345))]),
        "sack_1": tcp(flags="A", options=[("NOP", None), ("NOP", None), ("SAck", (1001, 2001))]),
        "sack_2": tcp(flags="A", options=[("NOP", None), ("NOP", None), ("SAck", (1001, 2001, 3001, 4001))]),
        "sack_3_ts": tcp(flags="A", options=[("NOP", None), ("NOP", None), ("Timestamp", (1, 2)),
                                             ("NOP", None), ("NOP", None), ("SAck", (1, 2, 3, 4, 5, 6))]),
        "sack_4": tcp(flags="A", options=[("NOP", None), ("NOP", None), ("SAck", (1, 2, 3, 4, 5, 6, 7, 8))]),
        "rst_ack": tcp(flags="RA", seq=0, ack=2, window=0),
        "fin_psh_ack_data": tcp(flags="FPA", seq=100, ack=200) / Raw(b"bye"),
        "urgent": tcp(flags="PAU", urgptr=3) / Raw(b"abc!"),
        "ecn_syn": tcp(flags="SEC", options=[("MSS", 1460)]),
        "ns_bit": tcp(flags="AN"),
        "wscale_15": tcp(options=[("WScale", 15), ("NOP", None)]),
        "payload": tcp(flags="PA") / Raw(rand_bytes(rng, 200)),
        "eol_then_garbage": tcp(options=[("MSS", 1460), ("EOL", None)]),
    }
    out = {k: a + bytes(ip() / v)[20:] for k, v in d.items()}
    base = bytes(ip() / tcp())[20:]

    def with_opts(raw):
        raw = raw + b"\0" * (-len(raw) % 4)
        hdr = bytearray(base)
        hdr[12] = ((20 + len(raw)) // 4) << 4
        return a + bytes(hdr) + raw

    out["unknown_option"] = with_opts(bytes.fromhex("1e06000000000204 0218".replace(" ", "")))
    out["packed_options"] = with_opts(bytes.fromhex("080a0000000100000002030307051a" + "00000001" * 6))
    out["bad_mss_len"] = with_opts(bytes.fromhex("020305"))
    out["bad_ws_len"] = with_opts(bytes.fromhex("0302"))
    out["bad_sackok_len"] = with_opts(bytes.fromhex("0403"))
    out["bad_ts_len"] = with_opts(bytes.fromhex("0809000000010000 00".replace(" ", "")))
    out["bad_sack_len"] = with_opts(bytes.fromhex("050b" + "00" * 9))
    out["option_len_1"] = with_opts(bytes.fromhex("fe01"))
    out["option_len_0"] = with_opts(bytes.fromhex("fe00"))
    out["option_overrun"] = with_opts(bytes.fromhex("0101 0820".replace(" ", "")))
    b = bytearray(base)
    b[12] = 0x40
    out["doff_4"] = a + bytes(b)
    b[12] = 0xf0
    out["doff_beyond"] = a + bytes(b)
    out["truncated"] = a + base[:13]
    out["bad_checksum"] = out["syn_bare"][:8 + 16] + b"\xbe\xef" + out["syn_bare"][8 + 18:]
    return out


def arp_seeds():
    d = {
        "request": ARP(op=1, hwsrc=MAC_A, psrc=IP_A, hwdst="00:00:00:00:00:00", pdst=IP_B),
        "reply": ARP(op=2, hwsrc=MAC_B, psrc=IP_B, hwdst=MAC_A, pdst=IP_A),
        "gratuitous": ARP(op=1, hwsrc=MAC_A, psrc=IP_A, hwdst="ff:ff:ff:ff:ff:ff", pdst=IP_A),
        "probe": ARP(op=1, hwsrc=MAC_A, psrc="0.0.0.0", hwdst="00:00:00:00:00:00", pdst=IP_A),
        "rarp_op": ARP(op=3, hwsrc=MAC_A, psrc=IP_A, hwdst=MAC_A, pdst="0.0.0.0"),
    }
    out = {k: bytes(v) for k, v in d.items()}
    req = out["request"]
    out["padded"] = req + b"\0" * 18
    out["truncated"] = req[:20]
    out["header_only"] = req[:8]
    out["bad_hlen"] = req[:4] + b"\x08" + req[5:]
    out["bad_plen"] = req[:5] + b"\x10" + req[6:]
    out["htype_ieee802"] = b"\x00\x06" + req[2:]
    out["ptype_ipv6"] = req[:2] + b"\x86\xdd" + req[4:]
    return out


def checksum_seeds(rng):
    out = {}
    for n in (0, 1, 2, 3, 7, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 1500):
        out["random_%d" % n] = rand_bytes(rng, n)
    out["ones_1500"] = b"\xff" * 1500
    out["zeros_64"] = b"\0" * 64
    out["rfc1071_example"] = bytes.fromhex("0001f203f4f5f6f7")
    out["ipv4_header"] = bytes.fromhex("450000730000400040110000c0a80001c0a800c7")
    return out


# Inputs that once broke an invariant, kept as seeds so the regression tests replay them.
REGRESSIONS = {
    "frame_fuzzer": {
        # First fragment whose UDP length exceeds the fragment: the malformed UDP layer
        # must stay last (a Padding layer used to follow it).
        "regress_first_fragment_padding": bytes.fromhex(
            "66778899aabb001122334455080045000034004d20004011466ad60a0000010a000002000900090048a725152e1f073353003c4c4dd36a6635d1f9769fafbaa95f69ef"),
    },
}


def all_seeds():
    rng = random.Random(20240611)
    fr = frames(rng)
    eth = {k: v for k, v in fr.items()}
    eth["triple_tag"] = bytes(ether() / Dot1AD(vlan=1) / Dot1Q(vlan=2) / Dot1Q(vlan=3) / ip() / ICMP())
    eth["reserved_vid"] = bytes(ether() / Dot1Q(vlan=4095) / ip() / ICMP())
    eth["tag_truncated"] = bytes(ether())[:12] + b"\x81\x00\x00"
    eth["ipv6_type"] = bytes.fromhex(MAC_B.replace(":", "") + MAC_A.replace(":", "")) + b"\x86\xdd" + b"\x60" + \
        b"\0" * 39
    return {
        "ethernet_fuzzer": eth,
        "arp_fuzzer": arp_seeds(),
        "ipv4_fuzzer": ip_datagrams(rng),
        "icmp_fuzzer": icmp_messages(rng),
        "udp_fuzzer": udp_seeds(rng),
        "tcp_fuzzer": tcp_seeds(rng),
        "dhcp_fuzzer": dhcp_seeds(),
        "frame_fuzzer": dict(fr, **REGRESSIONS["frame_fuzzer"]),
        "checksum_fuzzer": checksum_seeds(rng),
    }


def write_corpora(root):
    for target, seeds in all_seeds().items():
        d = os.path.join(root, FUZZ_DIR, target + "_corpus")
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
        for name, data in sorted(seeds.items()):
            if len(data) >= MAX_SEED:
                raise SystemExit("seed %s/%s is %d bytes (limit %d)" % (target, name, len(data), MAX_SEED))
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)


def diff_dirs(a, b):
    """Names of files that differ, or exist on one side only, under a and b."""
    problems = []
    cmp = filecmp.dircmp(a, b)
    problems += [os.path.join(a, n) for n in cmp.left_only]
    problems += [os.path.join(b, n) for n in cmp.right_only]
    for name in cmp.common_files:
        if not filecmp.cmp(os.path.join(a, name), os.path.join(b, name), shallow=False):
            problems.append(os.path.join(a, name))
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="verify the committed corpora are reproducible")
    args = ap.parse_args()
    if not args.check:
        write_corpora(REPO)
        print("wrote seed corpora under %s" % os.path.join(REPO, FUZZ_DIR))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        write_corpora(tmp)
        problems = []
        for target in sorted(all_seeds()):
            sub = os.path.join(FUZZ_DIR, target + "_corpus")
            committed = os.path.join(REPO, sub)
            if not os.path.isdir(committed):
                problems.append(committed + " (missing)")
                continue
            problems += diff_dirs(os.path.join(tmp, sub), committed)
        if problems:
            print("seed corpora are not reproducible; differing files:")
            for p in problems:
                print("  " + p)
            return 1
    print("seed corpora reproduce byte for byte")
    return 0


if __name__ == "__main__":
    sys.exit(main())
