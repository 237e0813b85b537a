#!/usr/bin/python3
"""Seed corpus of the golden-trace parser fuzz target (fuzz/conformance).

Builds traces with the oracle's trace library (conformance/oracle/tracelib.py) from
Scapy packets — every directive of the format, chain and slot traces, wildcards,
prefixes, JSON blocks — plus damaged variants (truncations, bad hex, wrong version,
unterminated blocks, unknown keys) so the fuzzer starts on both sides of every
error path. Deterministic: every packet field is set explicitly and nothing depends
on the host. Writes fuzz/conformance/trace_parser_fuzzer_corpus/ (owned by this
script: files it no longer generates are removed).

  corpora/gen_conformance_seeds.py            # regenerate in place
  corpora/gen_conformance_seeds.py --check    # regenerate into a temp dir, diff, exit 1 on change
"""

import argparse
import filecmp
import logging
import os
import sys
import tempfile

logging.getLogger("scapy").setLevel(logging.ERROR)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "conformance", "oracle"))

from scapy.all import ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, Raw, conf  # noqa: E402
import tracelib  # noqa: E402

conf.verb = 0
OUT = os.path.join("fuzz", "conformance", "trace_parser_fuzzer_corpus")

VM_MAC = "02:00:00:00:01:01"
PEER_MAC = "02:00:00:00:02:02"
VM_IP = "10.1.0.1"
PEER_IP = "10.1.0.2"


def eth(src=VM_MAC, dst=PEER_MAC, type=0x0800):
    return Ether(src=src, dst=dst, type=type)


def ip(src=VM_IP, dst=PEER_IP, proto=6, id=1):
    return IP(version=4, ihl=5, tos=0, id=id, flags=0, frag=0, ttl=64, proto=proto, src=src, dst=dst)


def tcp(flags="S", seq=1000, ack=0):
    return TCP(sport=40000, dport=80, seq=seq, ack=ack, dataofs=5, reserved=0, flags=flags, window=65535,
               urgptr=0, options=[])


def traces():
    out = {}
    t = tracelib.Trace(2, "seed.tcp_reject", ["DFW-1", "DFW-2"], "A rejected SYN is answered with a RST.")
    t.filter(2, {"rules": [{"id": 1, "action": "reject", "services": [{"protocol": "tcp", "dst_ports": [80]}]}]},
             failure_policy="failClosed")
    syn = eth() / ip() / tcp("S")
    rst = eth(src=PEER_MAC, dst=VM_MAC) / ip(src=PEER_IP, dst=VM_IP) / tcp("RA", seq=0, ack=1001)
    t.inject("egress", syn, id="syn")
    t.expect("ingress", rst, id="rst", dontcare=["IP.id", "IP.chksum"])
    t.expect_none()
    t.expect_counter("slot2.drop.rule_match", 1)
    t.advance(seconds=30)
    t.migrate(2)
    t.ioctl(2, "getrules")
    t.expect_reply("rule 1")
    out["slot2_reject.trace"] = t.text()

    t = tracelib.Trace(1, "seed.arp", ["SW-1"], "ARP snooping learns a binding.", vnic=(5, 1, 9))
    t.filter(1, {"arp_snooping": True}, failure_policy="failClosed", params={"mode": "strict"})
    garp = Ether(src=VM_MAC, dst="ff:ff:ff:ff:ff:ff", type=0x0806) / ARP(
        hwtype=1, ptype=0x0800, hwlen=6, plen=4, op=1, hwsrc=VM_MAC, psrc=VM_IP, hwdst="00:00:00:00:00:00",
        pdst=VM_IP)
    t.inject("egress", garp, id="garp", port=3, vlan=100)
    t.expect("egress", garp, prefix=True)
    t.reconfigure(1, {"arp_bindings_limit": 2}, expect="ok")
    t.restore(1, b"\x01\x02", expect="state")
    t.service("svc-a", False)
    t.slowpath_return(count=1, meta=b"\x00\x01")
    t.slowpath_drop()
    out["slot1_arp.trace"] = t.text()

    t = tracelib.Trace("chain", "seed.chain", ["CH-1"], "Two slots in order.")
    t.filter(0, {"rules": []}, failure_policy="failOpen")
    t.filter(2, {})
    udp = eth() / ip(proto=17) / UDP(sport=5000, dport=53, len=12) / Raw(b"abcd")
    t.inject("ingress", Ether(src=PEER_MAC, dst=VM_MAC, type=0x8100) / Dot1Q(prio=0, id=0, vlan=10, type=0x0800) /
             ip(src=PEER_IP, dst=VM_IP, proto=1) / ICMP(type=8, code=0, id=1, seq=1))
    t.expect_any("ingress")
    t.inject("egress", udp, id="u")
    t.expect("slowpath", udp, slot=2, dontcare=["UDP.chksum"])
    t.expect_none("slowpath")
    t.advance(ms=1500)
    t.advance(ns=7)
    out["chain.trace"] = t.text()
    return out


def damaged(good):
    base = good["slot2_reject.trace"]
    return {
        "bad_version.trace": base.replace("vnetref-trace 1", "vnetref-trace 9"),
        "truncated.trace": base[: len(base) // 2],
        "bad_hex.trace": base.replace("inject egress id=syn ", "inject egress id=syn 0g"),
        "odd_hex.trace": base.replace("inject egress id=syn ", "inject egress id=syn 0"),
        "unterminated.trace": base.split("\nend\n")[0] + "\n",
        "unknown_key.trace": base.replace('"failure_policy"', '"colour": 1, "failure_policy"'),
        "unknown_directive.trace": base + "frobnicate now\n",
        "dup_header.trace": base.replace("slot 2\n", "slot 2\nslot 3\n"),
        "empty.trace": "",
        # A slot trace whose configuration lacks its own slot (gets a default filter).
        "other_slot_config.trace": base.replace('"slot": 2,', '"slot": 4,', 1),
    }


def write_corpus(root):
    d = os.path.join(root, OUT)
    os.makedirs(d, exist_ok=True)
    good = traces()
    files = dict(good)
    files.update(damaged(good))
    for name in os.listdir(d):
        if name not in files:
            os.remove(os.path.join(d, name))
    for name, text in sorted(files.items()):
        with open(os.path.join(d, name), "wb") as f:
            f.write(text.encode())
    return sorted(files)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="verify the committed corpus is reproducible")
    args = ap.parse_args()
    if not args.check:
        names = write_corpus(REPO)
        print("wrote %d seeds under %s" % (len(names), os.path.join(REPO, OUT)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        names = write_corpus(tmp)
        committed = os.path.join(REPO, OUT)
        problems = []
        have = sorted(os.listdir(committed)) if os.path.isdir(committed) else []
        if have != names:
            problems.append("file list differs: %s vs %s" % (have, names))
        for n in names:
            a = os.path.join(tmp, OUT, n)
            b = os.path.join(committed, n)
            if not os.path.exists(b) or not filecmp.cmp(a, b, shallow=False):
                problems.append(b)
        if problems:
            print("conformance seed corpus is not reproducible:")
            for p in problems:
                print("  " + p)
            return 1
    print("conformance seed corpus reproduces byte for byte")
    return 0


if __name__ == "__main__":
    sys.exit(main())
