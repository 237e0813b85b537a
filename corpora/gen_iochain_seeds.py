#!/usr/bin/python3
"""Seed corpora for the IOChain fuzz targets (fuzz/iochain/*_fuzzer_corpus/).

Each seed is one input of fuzz/iochain/driver.h's format: a configuration selector
byte, then operations. Frames are built with Scapy with every field set explicitly, so
re-running reproduces the files byte for byte.

  gen_iochain_seeds.py [--out DIR]   write the corpora (default: the repository's fuzz/iochain)
  gen_iochain_seeds.py --check       regenerate into a temporary directory and diff
"""
import argparse
import filecmp
import os
import struct
import sys
import tempfile

from scapy.layers.inet import IP, TCP, UDP, ICMP
from scapy.layers.l2 import ARP, Dot1Q, Ether
from scapy.layers.dhcp import BOOTP, DHCP
from scapy.packet import Raw

VM = "02:00:00:00:00:01"
PEER = "02:00:00:00:00:02"
BCAST = "ff:ff:ff:ff:ff:ff"
VM_IP = "10.0.0.1"

OP_EGRESS, OP_INGRESS, OP_TEMPLATE, OP_ADVANCE, OP_CONFIG, OP_SAVE, OP_PUMP, OP_BATCH, OP_REPLAY = range(9)


def eth(src=VM, dst=PEER):
    return Ether(src=src, dst=dst, type=0x0800)


def ip(src, dst, proto, ident=1, flags=0, frag=0):
    return IP(version=4, ihl=5, tos=0, id=ident, flags=flags, frag=frag, ttl=64, proto=proto, src=src, dst=dst)


def tcp(sport, dport, seq, ack, flags, window=65535, options=()):
    return TCP(sport=sport, dport=dport, seq=seq, ack=ack, dataofs=None, reserved=0, flags=flags,
               window=window, urgptr=0, options=list(options))


def udp(sport, dport):
    return UDP(sport=sport, dport=dport)


def frame(pkt):
    return bytes(pkt)


def op_pkt(direction, pkt):
    data = frame(pkt)
    return bytes([direction]) + struct.pack(">H", len(data)) + data


def op_advance(ms10):
    return bytes([OP_ADVANCE]) + struct.pack(">H", ms10)


def seed(selector, *ops):
    return bytes([selector]) + b"".join(ops)


def handshake(client=VM_IP, server="172.16.0.1", sport=40000, dport=80):
    return [
        op_pkt(OP_EGRESS, eth() / ip(client, server, 6) / tcp(sport, dport, 1000, 0, "S", options=[("WScale", 7)])),
        op_pkt(OP_INGRESS, eth(PEER, VM) / ip(server, client, 6) / tcp(dport, sport, 5000, 1001, "SA", 29200,
                                                                         [("WScale", 7)])),
        op_pkt(OP_EGRESS, eth() / ip(client, server, 6) / tcp(sport, dport, 1001, 5001, "A", 502)),
        op_pkt(OP_EGRESS, eth() / ip(client, server, 6) / tcp(sport, dport, 1001, 5001, "PA", 502) / Raw(b"GET / HTTP/1.0\r\n\r\n")),
        op_pkt(OP_INGRESS, eth(PEER, VM) / ip(server, client, 6) / tcp(dport, sport, 5001, 1019, "FA", 229)),
        op_pkt(OP_EGRESS, eth() / ip(client, server, 6) / tcp(sport, dport, 1019, 5002, "FA", 502)),
        op_pkt(OP_INGRESS, eth(PEER, VM) / ip(server, client, 6) / tcp(dport, sport, 5002, 1020, "A", 229)),
    ]


def garp(addr=VM_IP, mac=VM):
    return Ether(src=mac, dst=BCAST, type=0x0806) / ARP(hwtype=1, ptype=0x0800, hwlen=6, plen=4, op=1, hwsrc=mac,
                                                       psrc=addr, hwdst="00:00:00:00:00:00", pdst=addr)


def arp_request(target):
    return Ether(src=VM, dst=BCAST, type=0x0806) / ARP(hwtype=1, ptype=0x0800, hwlen=6, plen=4, op=1, hwsrc=VM,
                                                      psrc=VM_IP, hwdst="00:00:00:00:00:00", pdst=target)


def dhcp_ack(yiaddr="10.0.0.50"):
    return (Ether(src=PEER, dst=VM, type=0x0800) / ip("10.0.0.254", yiaddr, 17) / udp(67, 68) /
            BOOTP(op=2, htype=1, hlen=6, hops=0, xid=0x12345678, secs=0, flags=0, ciaddr="0.0.0.0", yiaddr=yiaddr,
                  siaddr="10.0.0.254", giaddr="0.0.0.0", chaddr=bytes.fromhex("020000000001") + b"\x00" * 10,
                  sname=b"", file=b"", options=b"c\x82Sc") /
            DHCP(options=[("message-type", "ack"), ("lease_time", 3600), ("server_id", "10.0.0.254"), "end"]))


def udp_pkt(src, dst, sport, dport, payload=b"payload!", direction=OP_EGRESS):
    l2 = eth() if direction == OP_EGRESS else eth(PEER, VM)
    return op_pkt(direction, l2 / ip(src, dst, 17) / udp(sport, dport) / Raw(payload))


def icmp_echo(src, dst, itype, direction):
    l2 = eth() if direction == OP_EGRESS else eth(PEER, VM)
    return op_pkt(direction, l2 / ip(src, dst, 1) / ICMP(type=itype, code=0, id=7, seq=1) / Raw(b"ping"))


ACL_JSON = b'{"rules": [{"id": 1, "action": "drop", "vlan": 1}, {"id": 2, "action": "allow", "protocol": "udp"}]}'


def seeds():
    s = {}
    s["acl"] = {
        "rules": seed(1, *handshake(), udp_pkt(VM_IP, "10.0.0.2", 5, 53),
                      op_pkt(OP_EGRESS, garp()), icmp_echo(VM_IP, "10.0.0.2", 8, OP_EGRESS),
                      op_pkt(OP_EGRESS, Ether(src=VM, dst=PEER, type=0x8100) / Dot1Q(prio=0, id=0, vlan=3, type=0x0800) /
                             ip(VM_IP, "10.0.0.2", 17) / udp(1, 2))),
        "default": seed(0, udp_pkt(VM_IP, "10.0.0.2", 5, 53), op_advance(100)),
        "fuzzed_config": seed(0x80, struct.pack(">H", len(ACL_JSON)), ACL_JSON, udp_pkt(VM_IP, "10.0.0.2", 5, 53)),
    }
    s["swsec"] = {
        "bind_and_spoof": seed(0, op_pkt(OP_EGRESS, garp()), udp_pkt(VM_IP, "10.0.0.2", 5, 53),
                               udp_pkt("10.0.0.7", "10.0.0.2", 5, 53), op_pkt(OP_EGRESS, arp_request("10.0.0.99"))),
        "dhcp": seed(0, op_pkt(OP_INGRESS, dhcp_ack()), udp_pkt("10.0.0.50", "10.0.0.2", 5, 53), op_advance(36100),
                     udp_pkt("10.0.0.50", "10.0.0.2", 5, 53)),
        "limits": seed(1, op_pkt(OP_EGRESS, garp()), op_pkt(OP_EGRESS, garp("10.0.0.2")),
                       op_pkt(OP_EGRESS, garp("10.0.0.3")), op_pkt(OP_EGRESS, garp("10.0.0.4")),
                       op_pkt(OP_EGRESS, arp_request("10.0.0.99")), bytes([OP_SAVE, 0]), op_advance(30100)),
    }
    s["dfw"] = {
        "tcp_session": seed(0, *handshake(), op_advance(200), bytes([OP_SAVE, 0])),
        "udp_icmp": seed(0, udp_pkt(VM_IP, "8.8.8.8", 3333, 53), udp_pkt("8.8.8.8", VM_IP, 53, 3333, direction=OP_INGRESS),
                         icmp_echo(VM_IP, "8.8.8.8", 8, OP_EGRESS), icmp_echo("8.8.8.8", VM_IP, 0, OP_INGRESS),
                         op_advance(700)),
        "reject_and_fragments": seed(0, op_pkt(OP_EGRESS, eth() / ip(VM_IP, "172.16.0.1", 6) / tcp(5555, 23, 1, 0, "S")),
                                     op_pkt(OP_EGRESS, eth() / ip(VM_IP, "172.16.0.1", 17, ident=9, flags="MF") /
                                            udp(4000, 9999) / Raw(b"A" * 32)),
                                     op_pkt(OP_EGRESS, eth() / ip(VM_IP, "8.8.8.8", 17, ident=10, flags="MF") /
                                            udp(4000, 53) / Raw(b"B" * 32)),
                                     op_pkt(OP_EGRESS, eth() / ip(VM_IP, "8.8.8.8", 17, ident=10, frag=5) / Raw(b"C" * 16))),
    }
    s["svcins"] = {
        "redirect": seed(0, udp_pkt(VM_IP, "10.0.0.2", 5, 53), *handshake(), bytes([OP_PUMP])),
        "block": seed(2, udp_pkt(VM_IP, "10.0.0.2", 5, 53), bytes([OP_PUMP])),
    }
    s["crypt"] = {
        "loopback": seed(0, udp_pkt(VM_IP, "172.16.0.9", 1, 2), bytes([OP_REPLAY, 0, 0]), bytes([OP_REPLAY, 0, 0]),
                         bytes([OP_REPLAY, 0, 1, 0, 40])),
        "rekey": seed(0, *[udp_pkt(VM_IP, "172.16.0.9", 1, 2, bytes([i]) * i) for i in range(1, 8)],
                      *[bytes([OP_REPLAY, i, 0]) for i in range(7)]),
        "by_time": seed(1, udp_pkt(VM_IP, "172.16.0.9", 1, 2), op_advance(400), udp_pkt(VM_IP, "172.16.0.9", 1, 2),
                        bytes([OP_REPLAY, 1, 0]), udp_pkt("172.16.0.9", VM_IP, 2, 1, direction=OP_INGRESS)),
    }
    s["chain"] = {
        "mixed": seed(0, op_pkt(OP_EGRESS, garp()), *handshake(), udp_pkt(VM_IP, "10.0.0.2", 5, 53), bytes([OP_PUMP]),
                      op_advance(1500), bytes([OP_SAVE, 2])),
        "abi": seed(0x20, op_pkt(OP_EGRESS, garp()), *handshake(), bytes([OP_REPLAY, 0, 0])),
    }
    return s


def write(out_root):
    for target, files in seeds().items():
        d = os.path.join(out_root, f"{target}_fuzzer_corpus")
        os.makedirs(d, exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_out = os.path.join(os.path.dirname(here), "fuzz", "iochain")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=default_out)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    if not args.check:
        write(args.out)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        write(tmp)
        bad = 0
        for target, files in seeds().items():
            for name in files:
                a = os.path.join(tmp, f"{target}_fuzzer_corpus", name)
                b = os.path.join(args.out, f"{target}_fuzzer_corpus", name)
                if not os.path.exists(b) or not filecmp.cmp(a, b, shallow=False):
                    print(f"differs: {b}")
                    bad += 1
        print("corpora up to date" if bad == 0 else f"{bad} seed file(s) differ")
        return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
