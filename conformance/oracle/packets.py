"""Packet builders for the oracle's scenarios: every field explicit, nothing taken
from the host (Scapy would otherwise fill MACs and addresses from the routing table).

Also the small amount of protocol arithmetic the model needs (TCP segment length,
RST generation per RFC 9293 3.10.7, ICMP unreachable per RFC 792 / RFC 1812), written
here from the RFCs rather than taken from the C++ reference.
"""
import logging

logging.getLogger("scapy").setLevel(logging.ERROR)

from scapy.all import (  # noqa: E402
    ARP, BOOTP, DHCP, ICMP, IP, TCP, UDP, Dot1Q, Ether, Raw, conf, raw,
)

conf.verb = 0

# The VM under test (behind the port) and peers on the network.
VM_MAC = "02:00:00:00:00:01"
VM_IP = "10.0.0.1"
PEER_MAC = "02:00:00:00:00:02"
PEER_IP = "10.0.0.2"
PEER2_MAC = "02:00:00:00:00:03"
PEER2_IP = "10.0.1.3"
OTHER_MAC = "02:00:00:00:00:99"
BCAST_MAC = "ff:ff:ff:ff:ff:ff"
BPDU_MAC = "01:80:c2:00:00:00"
MCAST_MAC = "01:00:5e:00:00:fb"

ETH_IPV4 = 0x0800
ETH_ARP = 0x0806
ETH_IPV6 = 0x86DD
ETH_VLAN = 0x8100


def eth(src=VM_MAC, dst=PEER_MAC, type=ETH_IPV4):
    return Ether(src=src, dst=dst, type=type)


def ip(src=VM_IP, dst=PEER_IP, proto=6, id=1, ttl=64, flags=0, frag=0, tos=0, options=None):
    p = IP(version=4, tos=tos, id=id, flags=flags, frag=frag, ttl=ttl, proto=proto, src=src, dst=dst)
    if options:
        p.options = options
    return p


def tcp(sport=40000, dport=80, flags="S", seq=1000, ack=0, window=65535, options=None, dataofs=None):
    t = TCP(sport=sport, dport=dport, seq=seq, ack=ack, reserved=0, flags=flags, window=window, urgptr=0,
            options=options or [])
    if dataofs is not None:
        t.dataofs = dataofs
    return t


def udp(sport=5000, dport=53):
    return UDP(sport=sport, dport=dport)


def icmp(type=8, code=0, id=7, seq=1):
    i = ICMP(type=type, code=code, id=id, seq=seq)
    if type in (13, 14):
        i.ts_ori, i.ts_rx, i.ts_tx = 1000, 0, 0  # Scapy would use the current time
    return i


def tcp_pkt(src=VM_IP, dst=PEER_IP, sport=40000, dport=80, flags="S", seq=1000, ack=0, window=65535,
            payload=b"", smac=VM_MAC, dmac=PEER_MAC, ip_id=1, options=None):
    p = eth(smac, dmac) / ip(src, dst, 6, id=ip_id) / tcp(sport, dport, flags, seq, ack, window, options)
    if payload:
        p = p / Raw(payload)
    return p


def udp_pkt(src=VM_IP, dst=PEER_IP, sport=5000, dport=53, payload=b"q", smac=VM_MAC, dmac=PEER_MAC, ip_id=1):
    return eth(smac, dmac) / ip(src, dst, 17, id=ip_id) / udp(sport, dport) / Raw(payload)


def icmp_pkt(src=VM_IP, dst=PEER_IP, type=8, code=0, id=7, seq=1, smac=VM_MAC, dmac=PEER_MAC, payload=b"ping",
             ip_id=1):
    return eth(smac, dmac) / ip(src, dst, 1, id=ip_id) / icmp(type, code, id, seq) / Raw(payload)


def proto_pkt(proto, src=VM_IP, dst=PEER_IP, smac=VM_MAC, dmac=PEER_MAC, payload=b"data", ip_id=1):
    return eth(smac, dmac) / ip(src, dst, proto, id=ip_id) / Raw(payload)


def arp_pkt(op=1, hwsrc=VM_MAC, psrc=VM_IP, hwdst="00:00:00:00:00:00", pdst=PEER_IP, src=None, dst=BCAST_MAC):
    return Ether(src=src or hwsrc, dst=dst, type=ETH_ARP) / ARP(
        hwtype=1, ptype=0x0800, hwlen=6, plen=4, op=op, hwsrc=hwsrc, psrc=psrc, hwdst=hwdst, pdst=pdst)


def raw_frame(dst=PEER_MAC, src=VM_MAC, type=0x88B5, payload=b"\x00\x01\x02\x03"):
    return Ether(src=src, dst=dst, type=type) / Raw(payload)


def vlan_pkt(vlan, inner, prio=0):
    """`inner` (an Ether frame) with an in-band 802.1Q tag inserted."""
    e = inner[Ether]
    tagged = Ether(src=e.src, dst=e.dst, type=ETH_VLAN) / Dot1Q(prio=prio, id=0, vlan=vlan, type=e.type)
    return tagged / e.payload.copy()


def dhcp_ack(yiaddr, chaddr=VM_MAC, lease=3600, server_ip="10.0.0.254", server_mac=PEER_MAC, xid=0x1234,
             msg_type=5, dst_ip="255.255.255.255", dst_mac=BCAST_MAC):
    opts = [("message-type", msg_type), ("server_id", server_ip)]
    if lease is not None:
        opts.append(("lease_time", lease))
    opts.append("end")
    return (Ether(src=server_mac, dst=dst_mac, type=ETH_IPV4) / ip(server_ip, dst_ip, 17, id=9) /
            UDP(sport=67, dport=68) /
            BOOTP(op=2, htype=1, hlen=6, hops=0, xid=xid, secs=0, flags=0, ciaddr="0.0.0.0", yiaddr=yiaddr,
                  siaddr=server_ip, giaddr="0.0.0.0", chaddr=mac_bytes(chaddr) + b"\x00" * 10) /
            DHCP(options=opts))


def dhcp_discover(chaddr=VM_MAC, xid=0x1234):
    return (Ether(src=chaddr, dst=BCAST_MAC, type=ETH_IPV4) / ip("0.0.0.0", "255.255.255.255", 17, id=3) /
            UDP(sport=68, dport=67) /
            BOOTP(op=1, htype=1, hlen=6, hops=0, xid=xid, secs=0, flags=0, ciaddr="0.0.0.0", yiaddr="0.0.0.0",
                  siaddr="0.0.0.0", giaddr="0.0.0.0", chaddr=mac_bytes(chaddr) + b"\x00" * 10) /
            DHCP(options=[("message-type", 1), "end"]))


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def tcp_seglen(t):
    """Sequence space a TCP segment occupies: payload + SYN + FIN (RFC 9293 3.4)."""
    flags = int(t.flags)
    n = len(bytes(t.payload)) if t.payload else 0
    return n + (1 if flags & 0x02 else 0) + (1 if flags & 0x01 else 0)


def reverse_l2(p):
    """Ether header of a reply: addresses swapped, in-band VLAN tags kept."""
    e = p[Ether]
    r = Ether(src=e.dst, dst=e.src, type=e.type)
    if Dot1Q in p:
        q = p[Dot1Q]
        r = r / Dot1Q(prio=q.prio, id=q.id, vlan=q.vlan, type=q.type)
    return r


def tcp_rst_for(p):
    """The RST that refuses segment `p` (RFC 9293 3.10.7.1): with ACK -> <SEQ=SEG.ACK><CTL=RST>;
    without -> <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. No options, window 0, no payload.
    IP ID, flags (DF) and TTL are the implementation's choice (don't care)."""
    i, t = p[IP], p[TCP]
    if int(t.flags) & 0x10:
        flags, seq, ack = "R", t.ack, 0
    else:
        flags, seq, ack = "RA", 0, (t.seq + tcp_seglen(t)) & 0xFFFFFFFF
    return (reverse_l2(p) / ip(i.dst, i.src, 6, id=0, ttl=64, flags="DF") /
            tcp(t.dport, t.sport, flags, seq, ack, window=0))


RST_DONTCARE = ["IP.id", "IP.flags", "IP.ttl", "IP.chksum"]


def icmp_unreach_for(p, code=13):
    """ICMP destination unreachable quoting the IP header and the first 8 bytes of the
    datagram (RFC 792). Code 13: communication administratively prohibited (RFC 1812
    5.2.7.1). Quoting more is allowed (RFC 1812 4.3.2.3), so expectations are prefixes."""
    i = p[IP]
    datagram = raw(i)
    ihl = (datagram[0] & 0x0F) * 4
    quote = datagram[:ihl + 8]
    return (reverse_l2(p) / ip(i.dst, i.src, 1, id=0, ttl=64, flags="DF") /
            ICMP(type=3, code=code, id=0, seq=0) / Raw(quote))


ICMP_REPLY_DONTCARE = ["IP.id", "IP.flags", "IP.ttl", "IP.len", "IP.chksum", "ICMP.chksum"]


def arp_reply(asker_mac, asker_ip, answer_mac, answer_ip):
    """ARP reply built by suppression: from the answered MAC to the asker (RFC 826)."""
    return Ether(src=answer_mac, dst=asker_mac, type=ETH_ARP) / ARP(
        hwtype=1, ptype=0x0800, hwlen=6, plen=4, op=2, hwsrc=answer_mac, psrc=answer_ip, hwdst=asker_mac,
        pdst=asker_ip)
