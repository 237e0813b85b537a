#!/usr/bin/python3
"""Seed corpus for the packet core's capture-file reader (fuzz/core/capture_reader_fuzzer).

Writes pcap files with Scapy's writer (microsecond, as third-party tools produce) and
pcapng files built field by field here (nanosecond resolution, comments, several
interfaces, big-endian sections, unknown blocks), plus truncations of each.
Deterministic: every timestamp and byte is fixed. `--check` regenerates into a
temporary directory and fails if the committed files differ.
"""
import io
import os
import shutil
import struct
import sys
import tempfile

from scapy.all import ARP, Ether, ICMP, IP, TCP, UDP, PcapWriter  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fuzz", "core", "capture_reader_fuzzer_corpus")


def frames():
    return [
        Ether(src="02:00:00:00:00:01", dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc="02:00:00:00:00:01", psrc="10.0.0.1", pdst="10.0.0.2"),
        Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="10.0.0.1", dst="10.0.0.2", id=1) / ICMP(id=7, seq=1) / b"ping",
        Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01") / IP(src="10.0.0.2", dst="10.0.0.1", id=2) / UDP(sport=5000, dport=53) / b"q",
        Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="10.0.0.1", dst="10.0.0.2", id=3) / TCP(sport=1234, dport=80, flags="S", seq=1000, options=[("MSS", 1460)]),
    ]


def scapy_pcap(link_frames):
    buf = io.BytesIO()
    w = PcapWriter(buf, linktype=1, sync=True)
    for i, f in enumerate(link_frames):
        f.time = 1700000000 + i
        w.write(f)
    w.flush()
    data = buf.getvalue()
    return data


def block(btype, body, endian="<"):
    body += b"\x00" * ((4 - len(body) % 4) % 4)
    total = 12 + len(body)
    return struct.pack(endian + "II", btype, total) + body + struct.pack(endian + "I", total)


def opt(code, value, endian="<"):
    pad = b"\x00" * ((4 - len(value) % 4) % 4)
    return struct.pack(endian + "HH", code, len(value)) + value + pad


def pcapng(link_frames, endian="<", comments=True, extra_block=False):
    shb = struct.pack(endian + "IHHq", 0x1A2B3C4D, 1, 0, -1) + opt(4, b"seedgen", endian) + struct.pack(endian + "I", 0)
    out = block(0x0A0D0D0A, shb, endian)
    for name in (b"input", b"expected"):
        idb = struct.pack(endian + "HHI", 1, 0, 65535) + opt(2, name, endian) + opt(9, b"\x09", endian) + struct.pack(endian + "I", 0)
        out += block(1, idb, endian)
    if extra_block:
        out += block(0x0BAD, b"vendor-specific", endian)
    for i, f in enumerate(link_frames):
        raw = bytes(f)
        ts = (1700000000 + i) * 10**9 + 123
        epb = struct.pack(endian + "IIIII", i % 2, ts >> 32, ts & 0xFFFFFFFF, len(raw), len(raw)) + raw
        epb += b"\x00" * ((4 - len(raw) % 4) % 4)
        if comments:
            epb += opt(1, ("packet %d" % i).encode(), endian) + struct.pack(endian + "I", 0)
        out += block(6, epb, endian)
    return out


def seeds():
    fs = frames()
    s = {
        "scapy_us.pcap": scapy_pcap(fs),
        "ns_le.pcapng": pcapng(fs),
        "ns_be.pcapng": pcapng(fs, endian=">"),
        "no_comments.pcapng": pcapng(fs[:2], comments=False),
        "unknown_block.pcapng": pcapng(fs[:1], extra_block=True),
    }
    s["truncated_record.pcap"] = s["scapy_us.pcap"][:-7]
    s["truncated_block.pcapng"] = s["ns_le.pcapng"][:-9]
    s["header_only.pcap"] = s["scapy_us.pcap"][:24]
    return s


def write(dest):
    os.makedirs(dest, exist_ok=True)
    for name, data in sorted(seeds().items()):
        with open(os.path.join(dest, name), "wb") as f:
            f.write(data)


def main():
    if "--check" in sys.argv:
        tmp = tempfile.mkdtemp()
        try:
            write(tmp)
            want = sorted(os.listdir(tmp))
            have = sorted(os.listdir(OUT)) if os.path.isdir(OUT) else []
            bad = [n for n in want if n not in have or open(os.path.join(tmp, n), "rb").read() != open(os.path.join(OUT, n), "rb").read()]
            if bad or want != have:
                print("gen_core_seeds: committed corpus differs from a fresh generation:", bad or set(want) ^ set(have))
                return 1
            print("gen_core_seeds: %d seeds reproduce byte for byte" % len(want))
            return 0
        finally:
            shutil.rmtree(tmp)
    write(OUT)
    print("gen_core_seeds: wrote %d seeds to %s" % (len(seeds()), os.path.relpath(OUT)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
