"""Reads the header fields every slot model classifies on, from raw frame bytes.

Written from the protocol definitions (IEEE 802.3/802.1Q, RFC 791, 793, 768, 792),
independently of the C++ decoder: a header the frame announces but that is truncated
or inconsistent makes the frame `malformed` for L3/L4 purposes.
"""
import struct

from scapy.all import raw


class Fields:
    def __init__(self):
        self.dst_mac = b""
        self.src_mac = b""
        self.ethertype = 0
        self.vlan = 0
        self.tagged = False
        self.l3 = 0
        self.ipv4 = False
        self.malformed = False
        self.ip_options = False
        self.fragment = False
        self.later_fragment = False
        self.proto = None
        self.src = None
        self.dst = None
        self.ip_id = 0
        self.total_len = 0
        self.l4 = None  # offset of the transport header when present
        self.sport = None
        self.dport = None
        self.icmp_type = None
        self.icmp_code = None
        self.tcp_flags = 0
        self.seq = 0
        self.ack = 0
        self.window = 0
        self.wscale = None
        self.payload_len = 0
        self.bad_tcp_offset = False
        self.truncated_l2 = False


def ip_to_int(s):
    parts = s.split(".")
    if len(parts) != 4 or not all(p.isdigit() and int(p) <= 255 for p in parts):
        raise ValueError("not an IPv4 address: %r" % s)
    a, b, c, d = (int(x) for x in parts)
    return (a << 24) | (b << 16) | (c << 8) | d


def int_to_ip(v):
    return "%d.%d.%d.%d" % (v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255)


def mac_to_bytes(s):
    return bytes(int(x, 16) for x in s.split(":"))


def parse(pkt, oob_vlan=0):
    data = raw(pkt) if not isinstance(pkt, (bytes, bytearray)) else bytes(pkt)
    f = Fields()
    if len(data) < 14:
        f.truncated_l2 = True
        f.malformed = True
        return f
    f.dst_mac, f.src_mac = data[0:6], data[6:12]
    off = 12
    et = struct.unpack("!H", data[off:off + 2])[0]
    f.vlan = oob_vlan & 0x0FFF
    while et in (0x8100, 0x88A8):
        if len(data) < off + 6:
            f.truncated_l2 = True
            f.malformed = True
            return f
        tci = struct.unpack("!H", data[off + 2:off + 4])[0]
        if not f.tagged:
            f.vlan = tci & 0x0FFF
        f.tagged = True
        off += 4
        et = struct.unpack("!H", data[off:off + 2])[0]
    f.ethertype = et
    f.l3 = off + 2
    if et != 0x0800:
        return f
    f.ipv4 = True
    ipb = data[f.l3:]
    if len(ipb) < 20 or (ipb[0] >> 4) != 4:
        f.malformed = True
        return f
    ihl = (ipb[0] & 0x0F) * 4
    total = struct.unpack("!H", ipb[2:4])[0]
    if ihl < 20 or total < ihl or total > len(ipb):
        f.malformed = True
        return f
    f.ip_options = ihl > 20
    f.total_len = total
    f.ip_id = struct.unpack("!H", ipb[4:6])[0]
    flags_frag = struct.unpack("!H", ipb[6:8])[0]
    mf = bool(flags_frag & 0x2000)
    frag_off = flags_frag & 0x1FFF
    f.fragment = mf or frag_off != 0
    f.later_fragment = frag_off != 0
    f.proto = ipb[9]
    f.src = struct.unpack("!I", ipb[12:16])[0]
    f.dst = struct.unpack("!I", ipb[16:20])[0]
    if f.later_fragment:
        return f
    l4 = ipb[ihl:total]
    f.l4 = f.l3 + ihl
    if f.proto == 6:
        if len(l4) < 20:
            f.malformed = True
            return f
        f.sport, f.dport, f.seq, f.ack = struct.unpack("!HHII", l4[0:12])
        doff = (l4[12] >> 4) * 4
        f.tcp_flags = ((l4[12] & 1) << 8) | l4[13]
        f.window = struct.unpack("!H", l4[14:16])[0]
        if doff < 20 or doff > len(l4):
            f.bad_tcp_offset = True
            f.malformed = True
            return f
        f.payload_len = len(l4) - doff
        i = 20
        while i < doff:
            kind = l4[i]
            if kind == 0:
                break
            if kind == 1:
                i += 1
                continue
            if i + 1 >= doff or l4[i + 1] < 2:
                break
            if kind == 3 and l4[i + 1] == 3 and f.tcp_flags & 0x02:
                f.wscale = min(l4[i + 2], 14)
            i += l4[i + 1]
    elif f.proto == 17:
        if len(l4) < 8:
            f.malformed = True
            return f
        f.sport, f.dport = struct.unpack("!HH", l4[0:4])
        f.payload_len = len(l4) - 8
    elif f.proto == 1:
        if len(l4) < 8:
            f.malformed = True
            return f
        f.icmp_type, f.icmp_code = l4[0], l4[1]
        f.sport = struct.unpack("!H", l4[4:6])[0]  # echo identifier
    return f


def addr_ranges(entries, addrsets=None):
    """SPEC address syntax -> list of (lo, hi); None means any."""
    out = []
    for e in entries:
        if e == "any":
            return None
        if e.startswith("addrset:"):
            for x in (addrsets or {}).get(e[8:], []):
                r = addr_ranges([x])
                if r is None:
                    return None
                out += r
            continue
        if "/" in e:
            a, n = e.split("/")
            n = int(n)
            if not 0 <= n <= 32:
                raise ValueError("bad prefix length in %r" % e)
            base = ip_to_int(a)
            mask = 0 if n == 0 else (0xFFFFFFFF << (32 - n)) & 0xFFFFFFFF
            out.append((base & mask, (base & mask) | (~mask & 0xFFFFFFFF)))
        elif "-" in e:
            a, b = e.split("-")
            out.append((ip_to_int(a), ip_to_int(b)))
        else:
            v = ip_to_int(e)
            out.append((v, v))
    return out


def port_ranges(entries):
    out = []
    for e in entries:
        s = str(e)
        if "-" in s:
            a, b = s.split("-")
            out.append((int(a), int(b)))
        else:
            out.append((int(s), int(s)))
    return out


def in_ranges(ranges, v):
    return any(lo <= v <= hi for lo, hi in ranges)


PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1, "any": None}
