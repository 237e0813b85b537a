#!/usr/bin/python3
"""Seed corpus for //fuzz/vswitch:topology_fuzzer.

Input format (see fuzz/vswitch/topology_fuzzer.cc): byte 0 picks the topology
variant (teaming policy, forged transmits, promiscuous, MAC-learning limit policy);
then operations: 0-4 synthetic frame (6 selector bytes), 5 raw frame (port, VID
index, length, bytes), 6 link event, 7 time passes, 8 guest MAC change, 9 burst.
Raw frames are built with Scapy, every field set explicitly, so re-running
reproduces the files byte for byte. `--check` regenerates into a temporary
directory and compares.

Run with /usr/bin/python3 (it has Scapy).
"""
import argparse
import filecmp
import os
import sys
import tempfile

from scapy.all import (ARP, BOOTP, Dot1AD, Dot1Q, Ether, ICMP, IP, IPv6, LLC, STP, UDP, Raw,
                       ICMPv6ND_NS, conf)

conf.verb = 0
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz", "vswitch", "topology_fuzzer_corpus")

# Port indexes of the fuzz topology (host h1 then h2; vmknic first, then VM vNICs).
PORTS = ["vmk0", "a.e0", "a.e1", "a.e2", "b.e0", "b.e1", "b.e2", "c.e0", "c.e1", "c.e2", "c.e3", "c.e4", "c.e5"]
MAC_INDEX = {"a.e0": 1, "a.e1": 2, "a.e2": 3, "b.e0": 4, "b.e1": 5, "b.e2": 6, "c.e0": 7, "c.e1": 8,
             "vmk0": 9, "c.e2": 10, "c.e3": 11, "c.e4": 12, "c.e5": 13}
EXT = 2 * len(PORTS)


def port(host, name):
    return (0 if host == 1 else len(PORTS)) + PORTS.index(name)


def mac(host, name):
    return "02:00:00:%02x:00:%02x" % (host, MAC_INDEX[name])


def raw_op(where, frame, vid_index=0):
    b = bytes(frame)
    assert len(b) <= 255, len(b)
    return bytes([5, where, vid_index, len(b)]) + b


def synth(where, dsel, ssel, vsel, length, seed):
    return bytes([0, where, dsel, ssel, vsel, length, seed])


def link(host, pnic, up):
    return bytes([6, (host - 1) | (pnic << 1) | (0x10 if up else 0)])


def advance(units):
    return bytes([7, units])


def seeds():
    s = {}
    bcast = "ff:ff:ff:ff:ff:ff"
    # Plain unicast VM -> VM on the same VLAN, across hosts.
    s["unicast_v10_cross_host"] = bytes([0]) + raw_op(
        port(1, "a.e1"),
        Ether(dst=mac(2, "b.e0"), src=mac(1, "a.e1"), type=0x0800) /
        IP(src="10.0.10.1", dst="10.0.10.2", ttl=64, id=1, flags=0) / UDP(sport=1000, dport=2000) / Raw(b"x" * 18))
    # ARP request broadcast in VLAN 10.
    s["arp_request_v10"] = bytes([1]) + raw_op(
        port(1, "b.e0"),
        Ether(dst=bcast, src=mac(1, "b.e0"), type=0x0806) /
        ARP(hwtype=1, ptype=0x0800, hwlen=6, plen=4, op=1, hwsrc=mac(1, "b.e0"), psrc="10.0.10.4",
            hwdst="00:00:00:00:00:00", pdst="10.0.10.2"))
    # Guest tagging: 802.1Q frames from the trunk VM into VLANs 10, 20 and a PVLAN id.
    for vid in (10, 20, 101):
        s["trunk_tagged_%d" % vid] = bytes([2]) + raw_op(
            port(1, "c.e0"),
            Ether(dst=bcast, src=mac(1, "c.e0"), type=0x8100) / Dot1Q(prio=0, id=0, vlan=vid, type=0x0800) /
            IP(src="10.0.%d.7" % (vid % 256), dst="10.0.%d.255" % (vid % 256), ttl=1, id=2, flags=0) /
            UDP(sport=68, dport=67) / Raw(b"\0" * 8))
    # A guest-tagged frame on a switch-tagging port (must be refused).
    s["guest_tag_on_access"] = bytes([3]) + raw_op(
        port(1, "a.e1"),
        Ether(dst=mac(1, "b.e0"), src=mac(1, "a.e1"), type=0x8100) / Dot1Q(prio=5, id=0, vlan=20, type=0x0800) /
        IP(src="10.0.20.1", dst="10.0.20.2", ttl=64, id=3, flags=0) / ICMP(type=8, code=0, id=1, seq=1))
    # QinQ from outside.
    s["qinq_external"] = bytes([4]) + raw_op(
        EXT,
        Ether(dst=bcast, src="00:aa:bb:cc:dd:01", type=0x88a8) / Dot1AD(prio=0, id=0, vlan=10, type=0x8100) /
        Dot1Q(prio=0, id=0, vlan=20, type=0x0800) / IP(src="192.0.2.1", dst="192.0.2.255", ttl=1, id=4, flags=0) /
        UDP(sport=9, dport=9))
    # STP BPDU from outside and from a VM: never forwarded.
    bpdu = Ether(dst="01:80:c2:00:00:00", src="00:aa:bb:cc:dd:02", type=38) / LLC(dsap=0x42, ssap=0x42, ctrl=3) / STP(
        proto=0, version=0, bpdutype=0, bpduflags=0, rootid=32768, rootmac="00:aa:bb:cc:dd:02", pathcost=0,
        bridgeid=32768, bridgemac="00:aa:bb:cc:dd:02", portid=0x8001, age=0, maxage=20, hellotime=2, fwddelay=15)
    s["bpdu_external"] = bytes([5]) + raw_op(EXT, bpdu)
    # PVLAN: isolated broadcast, community unicast, promiscuous broadcast.
    s["pvlan_isolated_broadcast"] = bytes([6]) + raw_op(
        port(1, "b.e2"),
        Ether(dst=bcast, src=mac(1, "b.e2"), type=0x0806) /
        ARP(hwtype=1, ptype=0x0800, hwlen=6, plen=4, op=1, hwsrc=mac(1, "b.e2"), psrc="10.1.0.6",
            hwdst="00:00:00:00:00:00", pdst="10.1.0.1"))
    s["pvlan_community_to_isolated"] = bytes([7]) + raw_op(
        port(2, "c.e1"),
        Ether(dst=mac(1, "b.e2"), src=mac(2, "c.e1"), type=0x0800) /
        IP(src="10.1.0.8", dst="10.1.0.6", ttl=64, id=5, flags=0) / UDP(sport=5, dport=6))
    s["pvlan_promiscuous_broadcast"] = bytes([8]) + raw_op(
        port(2, "a.e2"),
        Ether(dst=bcast, src=mac(2, "a.e2"), type=0x0800) /
        IP(src="10.1.0.1", dst="10.1.0.255", ttl=1, id=6, flags=0) / UDP(sport=137, dport=137))
    # DHCP discover from a VM (broadcast, VLAN 0); BOOTP cut to fit the 255-byte raw op.
    s["dhcp_discover_v0"] = bytes([9]) + raw_op(
        port(2, "a.e0"),
        Ether(dst=bcast, src=mac(2, "a.e0"), type=0x0800) /
        IP(src="0.0.0.0", dst="255.255.255.255", ttl=64, id=7, flags=0) / UDP(sport=68, dport=67) /
        Raw(bytes(BOOTP(op=1, htype=1, hlen=6, hops=0, xid=0x1234, secs=0, flags=0,
                        chaddr=bytes.fromhex("020000020001") + b"\0" * 10))[:120]))
    # IPv6 neighbour solicitation (multicast) in VLAN 30 on the DVS.
    s["ipv6_ns_multicast_v30"] = bytes([10]) + raw_op(
        port(1, "c.e3"),
        Ether(dst="33:33:ff:00:00:02", src=mac(1, "c.e3"), type=0x86dd) /
        IPv6(src="fe80::1", dst="ff02::1:ff00:2", hlim=255, fl=0, tc=0) / ICMPv6ND_NS(tgt="fe80::2"))
    # RARP as notify-switches sends it.
    s["rarp_from_vm"] = bytes([11]) + raw_op(
        port(1, "b.e0"),
        Ether(dst=bcast, src=mac(1, "b.e0"), type=0x8035) /
        ARP(hwtype=1, ptype=0x0800, hwlen=6, plen=4, op=3, hwsrc=mac(1, "b.e0"), psrc="0.0.0.0",
            hwdst=mac(1, "b.e0"), pdst="0.0.0.0"))
    # MAC learning port sourcing several MACs (limit 3).
    learn = bytes([12])
    for k in range(5):
        learn += raw_op(port(1, "c.e4"),
                        Ether(dst=bcast, src="02:11:22:33:44:%02x" % k, type=0x0800) /
                        IP(src="10.3.0.%d" % (k + 1), dst="10.3.0.255", ttl=1, id=8 + k, flags=0) / UDP(sport=1, dport=2))
    learn += advance(200) + advance(200)
    s["mac_learning_limit_and_aging"] = learn
    # Failover: traffic, link down on both VSS pNICs of h1 in turn, link back.
    fo = bytes([3]) + synth(port(1, "a.e1"), 0x20, 0x08, 1, 60, 1)
    fo += link(1, 0, False) + synth(port(1, "a.e1"), 0x04, 0x08, 1, 60, 2) + link(1, 1, False)
    fo += synth(port(1, "b.e0"), 0x04, 0x18, 1, 60, 3) + link(1, 0, True) + link(1, 1, True) + advance(30)
    s["failover_failback"] = fo
    # LBT: a busy port on the DVS for more than 30 s.
    lbt = bytes([0])
    for k in range(8):
        lbt += bytes([9]) + raw_op(port(1, "c.e3"),
                                   Ether(dst="02:99:99:99:99:99", src=mac(1, "c.e3"), type=0x0800) /
                                   IP(src="10.3.0.11", dst="10.3.9.9", ttl=64, id=20 + k, flags=0) /
                                   UDP(sport=1, dport=2) / Raw(b"L" * 200))[1:] + advance(100)
    s["lbt_busy_port"] = lbt
    # MAC change then traffic to old and new MACs.
    s["guest_mac_change"] = bytes([4]) + bytes([8, 4]) + synth(port(1, "a.e1"), 0x18, 0x10, 1, 60, 4) + \
        synth(port(1, "a.e1"), 0x07, 0x10, 1, 60, 5)
    # Runts and reserved VID.
    s["runts_and_vid4095"] = bytes([2]) + synth(port(1, "a.e0"), 4, 0, 0, 8, 6) + synth(port(1, "c.e0"), 4, 0x38, 0x18, 61, 7)
    return s


def write(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for name, data in sorted(seeds().items()):
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="regenerate into a temp dir and compare")
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()
    if not args.check:
        write(args.out)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        write(tmp)
        names = sorted(os.listdir(tmp))
        bad = [n for n in names if not os.path.exists(os.path.join(args.out, n)) or
               not filecmp.cmp(os.path.join(tmp, n), os.path.join(args.out, n), shallow=False)]
        if bad:
            print("out of date: " + ", ".join(bad))
            return 1
    print("%d seeds up to date" % len(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
