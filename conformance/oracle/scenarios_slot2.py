"""Slot 2 (distributed firewall) scenarios: SPEC.md clauses DFW-*."""
from scapy.all import ICMP, IP, IPOption_Router_Alert, Raw, raw

import packets as P
from packets import PEER2_IP, PEER_IP, PEER_MAC, VM_IP, VM_MAC
from model_dfw import DfwModel, validate
from sim import Sim
from tracelib import Trace


def rule(id, action="allow", **kw):
    r = {"id": id, "action": action}
    r.update(kw)
    return r


def sec(category, rules, strict=None, id=None):
    s = {"category": category, "rules": rules}
    if strict is not None:
        s["tcp_strict"] = strict
    if id is not None:
        s["id"] = id
    return s


def svc(protocol, dst_ports=None, src_ports=None, icmp_type=None, icmp_code=None):
    s = {"protocol": protocol}
    if dst_ports is not None:
        s["dst_ports"] = dst_ports
    if src_ports is not None:
        s["src_ports"] = src_ports
    if icmp_type is not None:
        s["icmp_type"] = icmp_type
    if icmp_code is not None:
        s["icmp_code"] = icmp_code
    return s


def case(name, clauses, desc, config, vnic=None, agent=None):
    t = Trace(2, "dfw." + name, clauses, desc, vnic=vnic)
    s = Sim(t)
    v = vnic or (1001, 0, 7)
    m = s.add(2, DfwModel(config, vnic=(v[0], v[1])), config, policy="failClosed",
              failed=validate(config, ["nic-%d-eth%d" % (v[0], v[1])]) is not None, agent=agent)
    return t, s, m


# A typical stateful policy: the VM may open web connections; nothing else is allowed.
def web_out(strict=True, extra=None, timeouts=None, **top):
    cfg = {"sections": [sec("application", [rule(1010, "allow", direction="out", services=[svc("tcp", [80])])] +
                            (extra or []), strict=strict)],
           "default_rule": {"id": 2, "action": "drop"}}
    if timeouts:
        cfg["timeouts"] = timeouts
    cfg.update(top)
    return cfg


def udp_out(**top):
    cfg = {"sections": [sec("application", [rule(1020, "allow", direction="out", services=[svc("udp", [53])])])],
           "default_rule": {"id": 2, "action": "drop"}}
    cfg.update(top)
    return cfg


class Tcp:
    """One TCP connection between the VM (client) and a peer, with correct sequence
    numbers, so scenarios read as the segments a real exchange would carry."""

    def __init__(self, sim, vm_port=40000, peer_port=80, peer_ip=PEER_IP, vm_isn=1000, peer_isn=5000,
                 vm_opts=None, peer_opts=None):
        self.s = sim
        self.vp, self.pp, self.peer = vm_port, peer_port, peer_ip
        self.vseq, self.pseq = vm_isn, peer_isn
        self.vm_opts, self.peer_opts = vm_opts, peer_opts
        self.n = 0

    def _id(self):
        self.n += 1
        return self.n

    def out(self, flags, payload=b"", seq=None, ack=None, window=65535, id=None, opts=None):
        seq = self.vseq if seq is None else seq
        ack = self.pseq if ack is None else ack
        p = P.tcp_pkt(VM_IP, self.peer, self.vp, self.pp, flags, seq, ack if "A" in flags else 0, window, payload,
                      ip_id=self._id(), options=opts)
        self.s.send("egress", p, id=id)
        self.vseq = (seq + len(payload) + (1 if "S" in flags else 0) + (1 if "F" in flags else 0)) & 0xFFFFFFFF
        return p

    def inn(self, flags, payload=b"", seq=None, ack=None, window=65535, id=None, opts=None):
        seq = self.pseq if seq is None else seq
        ack = self.vseq if ack is None else ack
        p = P.tcp_pkt(self.peer, VM_IP, self.pp, self.vp, flags, seq, ack if "A" in flags else 0, window, payload,
                      smac=PEER_MAC, dmac=VM_MAC, ip_id=self._id(), options=opts)
        self.s.send("ingress", p, id=id)
        self.pseq = (seq + len(payload) + (1 if "S" in flags else 0) + (1 if "F" in flags else 0)) & 0xFFFFFFFF
        return p

    def handshake(self, tag=""):
        self.out("S", id=tag + "syn", opts=self.vm_opts)
        self.inn("SA", id=tag + "synack", opts=self.peer_opts)
        self.out("A", id=tag + "ack")


def udp_out_pkt(sport=5000, dport=53, ip_id=1, payload=b"q", dst=PEER_IP):
    return P.udp_pkt(VM_IP, dst, sport, dport, payload, ip_id=ip_id)


def udp_in_pkt(sport=53, dport=5000, ip_id=1, payload=b"a", src=PEER_IP):
    return P.udp_pkt(src, VM_IP, sport, dport, payload, smac=PEER_MAC, dmac=VM_MAC, ip_id=ip_id)


def frag_pair(proto=17, ip_id=77, src=VM_IP, dst=PEER_IP, sport=5000, dport=53, smac=VM_MAC, dmac=PEER_MAC):
    """A UDP datagram of 24 payload bytes cut into a first fragment (UDP header + 16
    bytes) and a second one (8 bytes at offset 24)."""
    body = raw(P.udp(sport, dport) / Raw(b"A" * 24))
    body = body[:4] + (len(body)).to_bytes(2, "big") + body[6:]
    first = P.eth(smac, dmac) / P.ip(src, dst, proto, id=ip_id, flags="MF", frag=0) / Raw(body[:24])
    second = P.eth(smac, dmac) / P.ip(src, dst, proto, id=ip_id, flags=0, frag=3) / Raw(body[24:])
    return first, second


def cases():
    out = []
    A = "application"

    # ---- categories and first match (DFW-2, DFW-7, DFW-8) ------------------------------------
    t, s, _ = case("category_emergency_before_application", ["DFW-2", "DFW-4"],
                   "Emergency rules are evaluated before Application rules whatever their order in the "
                   "configuration.",
                   {"sections": [sec(A, [rule(1, "allow", services=[svc("udp", [53])])]),
                                 sec("emergency", [rule(2, "drop", services=[svc("udp", [53])])])]})
    s.send("egress", udp_out_pkt(), id="dns")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("category_infrastructure_before_environment", ["DFW-2"],
                   "Infrastructure comes before Environment.",
                   {"sections": [sec("environment", [rule(1, "drop", services=[svc("udp")])]),
                                 sec("infrastructure", [rule(2, "allow", services=[svc("udp", [53])])])]})
    s.send("egress", udp_out_pkt(), id="dns")
    s.send("egress", udp_out_pkt(dport=54, ip_id=2), id="other_udp")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("category_environment_before_application", ["DFW-2"],
                   "Environment comes before Application.",
                   {"sections": [sec(A, [rule(1, "allow")]),
                                 sec("environment", [rule(2, "drop", sources=["10.0.0.0/24"])])]})
    s.send("egress", udp_out_pkt(), id="from_vm")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("first_match_across_sections", ["DFW-2"],
                   "Within a category, sections keep their configured order and the first matching rule wins.",
                   {"sections": [sec(A, [rule(1, "allow", services=[svc("tcp", [22])])], id=10),
                                 sec(A, [rule(2, "drop", services=[svc("tcp")])], id=11)]})
    s.send("egress", P.tcp_pkt(dport=22), id="ssh")
    s.send("egress", P.tcp_pkt(dport=23, sport=40001), id="telnet")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("default_rule_allows", ["DFW-8", "DFW-3"],
                   "Without rules the default rule allows (and creates connection state).",
                   {})
    s.send("egress", udp_out_pkt(), id="q")
    s.send("ingress", udp_in_pkt(), id="a")
    s.send("ingress", P.icmp_pkt(PEER_IP, VM_IP, smac=PEER_MAC, dmac=VM_MAC), id="ping_in")
    out.append(t)

    t, s, _ = case("default_rule_drop", ["DFW-8", "DFW-4"],
                   "A default rule configured to drop drops everything no rule allows.",
                   {"default_rule": {"id": 2, "action": "drop"}})
    s.send("egress", udp_out_pkt(), id="q")
    s.send("ingress", P.icmp_pkt(PEER_IP, VM_IP, smac=PEER_MAC, dmac=VM_MAC), id="ping_in")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("default_rule_reject", ["DFW-8", "DFW-5"],
                   "A default rule configured to reject answers a TCP SYN with a RST.",
                   {"default_rule": {"id": 2, "action": "reject"}})
    s.send("egress", P.tcp_pkt(dport=443), id="syn")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("jump_to_application", ["DFW-7"],
                   "jump_to_application in Environment skips the rest of Environment and continues with the first "
                   "Application rule.",
                   {"sections": [sec("environment", [rule(1, "jump_to_application", services=[svc("udp")]),
                                                      rule(2, "drop", services=[svc("udp")])]),
                                 sec(A, [rule(3, "allow", services=[svc("udp", [53])]),
                                         rule(4, "drop")])]})
    s.send("egress", udp_out_pkt(), id="dns")
    s.send("egress", udp_out_pkt(dport=123, ip_id=2), id="ntp")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("jump_to_application_falls_to_default", ["DFW-7", "DFW-8"],
                   "After a jump, a packet no Application rule matches gets the default rule.",
                   {"sections": [sec("environment", [rule(1, "jump_to_application"), rule(2, "allow")]),
                                 sec(A, [rule(3, "allow", services=[svc("tcp", [80])])])],
                    "default_rule": {"id": 9, "action": "drop"}})
    s.send("egress", udp_out_pkt(), id="dns")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("jump_outside_environment_refused", ["DFW-30"],
                   "jump_to_application is refused outside the Environment category; the old rules stay.",
                   {"sections": [sec(A, [rule(1, "drop", services=[svc("udp")])])]})
    s.reconfigure(2, {"sections": [sec(A, [rule(1, "jump_to_application")])]})
    s.send("egress", udp_out_pkt(), id="still_dropped")
    s.expect_drops(2, "rule_match")
    out.append(t)

    # ---- Ethernet rules (DFW-1, DFW-33) -------------------------------------------------------
    t, s, _ = case("ethernet_drop_ethertype", ["DFW-1"],
                   "An Ethernet rule dropping an EtherType drops it in both directions, before any L3 rule.",
                   {"sections": [sec("ethernet", [rule(100, "drop", ethertype=0x88B5)]), sec(A, [rule(1, "allow")])]})
    s.send("egress", P.raw_frame(type=0x88B5), id="out")
    s.send("ingress", P.raw_frame(dst=VM_MAC, src=PEER_MAC, type=0x88B5), id="in")
    s.send("egress", P.raw_frame(type=0x88B6), id="other")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("ethernet_allow_continues_to_l3", ["DFW-1"],
                   "An Ethernet allow ends the Ethernet category but not the evaluation: L3 rules still apply.",
                   {"sections": [sec("ethernet", [rule(100, "allow", ethertype=0x0800)]),
                                 sec(A, [rule(1, "drop", services=[svc("udp")])])]})
    s.send("egress", udp_out_pkt(), id="udp")
    s.send("egress", P.tcp_pkt(), id="tcp")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("ethernet_src_mac", ["DFW-1"],
                   "Ethernet rules match on source MAC.",
                   {"sections": [sec("ethernet", [rule(100, "drop", src_mac=[P.OTHER_MAC])])]})
    s.send("egress", P.udp_pkt(smac=P.OTHER_MAC), id="other_mac")
    s.send("egress", udp_out_pkt(ip_id=2), id="vm_mac")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("ethernet_dst_mac_direction_in", ["DFW-1", "DFW-9"],
                   "Ethernet rules match on destination MAC and honour direction (in: toward the VM only).",
                   {"sections": [sec("ethernet", [rule(100, "drop", direction="in", dst_mac=["ff:ff:ff:ff:ff:ff"])])]})
    s.send("ingress", P.arp_pkt(hwsrc=PEER_MAC, psrc=PEER_IP, pdst=VM_IP), id="bcast_in")
    s.send("egress", P.arp_pkt(), id="bcast_out")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("ethernet_first_match", ["DFW-1"],
                   "The first matching Ethernet rule decides: allow before drop lets the frame through.",
                   {"sections": [sec("ethernet", [rule(100, "allow", ethertype=0x0806), rule(101, "drop")])]})
    s.send("egress", P.arp_pkt(), id="arp")
    s.send("egress", udp_out_pkt(), id="ipv4")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("ethernet_reject_is_drop", ["DFW-1"],
                   "Reject in the Ethernet category drops silently: there is no L2 reject message.",
                   {"sections": [sec("ethernet", [rule(100, "reject", ethertype=0x0800)])]})
    s.send("egress", P.tcp_pkt(), id="syn")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("non_ipv4_ignores_l3_rules", ["DFW-33"],
                   "Frames that are not IPv4 (ARP, other EtherTypes) are not subject to L3 rules or the default rule.",
                   {"default_rule": {"id": 2, "action": "drop"}})
    s.send("egress", P.arp_pkt(), id="arp")
    s.send("ingress", P.arp_pkt(op=2, hwsrc=PEER_MAC, psrc=PEER_IP, hwdst=VM_MAC, pdst=VM_IP, dst=VM_MAC), id="arp_in")
    s.send("egress", P.raw_frame(type=0x9000), id="loop")
    out.append(t)

    # ---- match fields (DFW-9, DFW-10) ---------------------------------------------------------------
    t, s, _ = case("sources_cidr", ["DFW-10"],
                   "sources matches the source address against a CIDR prefix.",
                   {"sections": [sec(A, [rule(1, "drop", sources=["10.0.0.0/31"])])]})
    s.send("egress", P.udp_pkt(src="10.0.0.1"), id="in_prefix")
    s.send("egress", P.udp_pkt(src="10.0.0.2", ip_id=2), id="outside")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("destinations_range", ["DFW-10"],
                   "destinations matches inclusive address ranges.",
                   {"sections": [sec(A, [rule(1, "drop", destinations=["10.0.0.2-10.0.0.3"])])]})
    s.send("egress", udp_out_pkt(dst="10.0.0.3"), id="in_range")
    s.send("egress", udp_out_pkt(dst="10.0.0.4", ip_id=2), id="past")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("addrset", ["DFW-10"],
                   "A named address set (addrset:<name>) matches any of its members.",
                   {"addrsets": {"ip-web": ["10.0.1.0/24", "192.0.2.7"]},
                    "sections": [sec(A, [rule(1045, "drop", destinations=["addrset:ip-web"],
                                              services=[svc("tcp", [80])])])]})
    s.send("egress", P.tcp_pkt(dst=PEER2_IP), id="web1")
    s.send("egress", P.tcp_pkt(dst="192.0.2.7", sport=40001), id="web2")
    s.send("egress", P.tcp_pkt(dst="192.0.2.8", sport=40002), id="not_member")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("sources_negate", ["DFW-10"],
                   "sources_negate inverts the source match: the rule matches sources outside the list.",
                   {"sections": [sec(A, [rule(1, "drop", direction="in", sources=["10.0.0.0/24"], sources_negate=True)])]})
    s.send("ingress", udp_in_pkt(src="10.0.0.9"), id="inside")
    s.send("ingress", udp_in_pkt(src="198.51.100.1", ip_id=2), id="outside")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("destinations_negate", ["DFW-10"],
                   "destinations_negate inverts the destination match.",
                   {"sections": [sec(A, [rule(1, "drop", direction="out", destinations=["10.0.0.0/16"],
                                              destinations_negate=True)])]})
    s.send("egress", udp_out_pkt(dst="10.0.5.5"), id="internal")
    s.send("egress", udp_out_pkt(dst="203.0.113.5", ip_id=2), id="external")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("service_tcp_port_range", ["DFW-10"],
                   "A TCP service with a destination port range.",
                   {"sections": [sec(A, [rule(1, "drop", services=[svc("tcp", ["6000-6010"])])])]})
    s.send("egress", P.tcp_pkt(dport=6010), id="in_range")
    s.send("egress", P.tcp_pkt(dport=6011, sport=40001), id="past")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("service_udp_src_port", ["DFW-10"],
                   "A UDP service by source port.",
                   {"sections": [sec(A, [rule(1, "drop", services=[svc("udp", src_ports=[67])])])]})
    s.send("egress", udp_out_pkt(sport=67, dport=68), id="dhcp_server")
    s.send("egress", udp_out_pkt(sport=68, dport=67, ip_id=2), id="dhcp_client")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("service_icmp_type_code", ["DFW-10"],
                   "An ICMP service by type and code: echo requests dropped, timestamp requests pass.",
                   {"sections": [sec(A, [rule(1, "drop", services=[svc("icmp", icmp_type=8, icmp_code=0)])])]})
    s.send("egress", P.icmp_pkt(type=8), id="echo")
    s.send("egress", P.icmp_pkt(type=13, id=8), id="timestamp")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("service_protocol_number", ["DFW-10", "DFW-19"],
                   "A service by protocol number (47, GRE) matches only that protocol.",
                   {"sections": [sec(A, [rule(1, "drop", services=[svc(47)])])]})
    s.send("egress", P.proto_pkt(47), id="gre")
    s.send("egress", P.proto_pkt(50, ip_id=2), id="esp")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("multiple_services", ["DFW-10"],
                   "A rule with several services matches a packet matching any one of them.",
                   {"sections": [sec(A, [rule(1, "drop", services=[svc("tcp", [22]), svc("udp", [161])])])]})
    s.send("egress", P.tcp_pkt(dport=22), id="ssh")
    s.send("egress", udp_out_pkt(dport=161), id="snmp")
    s.send("egress", udp_out_pkt(dport=162, ip_id=2), id="trap")
    s.expect_drops(2, "rule_match")
    out.append(t)

    for d in ("in", "out"):
        t, s, _ = case("rule_direction_" + d, ["DFW-9"],
                       "A rule with direction %s only matches %s packets." % (d, "ingress" if d == "in" else "egress"),
                       {"sections": [sec(A, [rule(1, "drop", direction=d, services=[svc("udp")])])]})
        s.send("egress", udp_out_pkt(sport=5001), id="out")
        s.send("ingress", udp_in_pkt(sport=7001, dport=7002), id="in")
        s.expect_drops(2, "rule_match")
        out.append(t)

    # ---- reject (DFW-5, DFW-6) ---------------------------------------------------------------------------
    rej = {"sections": [sec(A, [rule(1, "reject", services=[svc("tcp", [80])]),
                                rule(2, "reject", services=[svc("udp")]),
                                rule(3, "reject", services=[svc("icmp")])])]}
    t, s, _ = case("reject_syn_rst_ack", ["DFW-5"],
                   "A rejected SYN is answered toward the sender with <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK> "
                   "(RFC 9293 3.10.7.1).", rej)
    s.send("egress", P.tcp_pkt(flags="S", seq=1000), id="syn")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("reject_ack_segment_rst", ["DFW-5", "DFW-12"],
                   "A rejected segment with ACK is answered with <SEQ=SEG.ACK><CTL=RST> and no ACK flag.", rej)
    s.send("egress", P.tcp_pkt(flags="A", seq=2000, ack=777777), id="ack")
    out.append(t)

    t, s, _ = case("reject_data_segment_rst_acks_payload", ["DFW-5"],
                   "Without ACK, the RST acknowledges the segment's whole length (payload + SYN + FIN).", rej)
    s.send("egress", P.tcp_pkt(flags="SF", seq=3000, payload=b"hello"), id="synfin_data")
    out.append(t)

    t, s, _ = case("reject_udp_icmp_unreachable", ["DFW-6"],
                   "A rejected UDP datagram is answered with ICMP destination unreachable, code 13, quoting the IP "
                   "header and the first 8 bytes of the datagram.", rej)
    s.send("egress", udp_out_pkt(), id="dns")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("reject_icmp_echo", ["DFW-6"],
                   "A rejected ICMP echo request is answered with ICMP destination unreachable.", rej)
    s.send("egress", P.icmp_pkt(), id="ping")
    out.append(t)

    t, s, _ = case("reject_ingress_answers_egress", ["DFW-5", "DFW-6"],
                   "A rejected ingress packet is answered toward its sender: the reply leaves in the egress "
                   "direction.", rej)
    s.send("ingress", P.tcp_pkt(PEER_IP, VM_IP, 50000, 80, "S", 9000, smac=PEER_MAC, dmac=VM_MAC), id="syn_in")
    s.send("ingress", udp_in_pkt(), id="udp_in")
    out.append(t)

    t, s, _ = case("reject_no_reply_to_broadcast", ["DFW-6"],
                   "No ICMP error is sent about a broadcast or multicast datagram (RFC 1122 3.2.2); it is still "
                   "dropped.", rej)
    s.send("egress", P.udp_pkt(dst="255.255.255.255", dmac="ff:ff:ff:ff:ff:ff"), id="bcast")
    s.send("egress", P.udp_pkt(dst="224.0.0.251", dmac=P.MCAST_MAC, ip_id=2), id="mcast")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("reject_no_reply_to_rst", ["DFW-5"],
                   "A rejected RST is dropped without a reply (a RST is never answered with a RST).", rej)
    s.send("egress", P.tcp_pkt(flags="R", seq=4000), id="rst")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("reject_keeps_vlan_tag", ["DFW-5"],
                   "The reply to a frame with an in-band VLAN tag carries the same tag.", rej)
    s.send("egress", P.vlan_pkt(42, P.tcp_pkt(flags="S", seq=1000)), id="tagged_syn")
    out.append(t)

    t, s, _ = case("reject_no_reply_to_icmp_error", ["DFW-6", "DFW-21"],
                   "An ICMP error hitting a reject rule is dropped without an ICMP error about it.", rej)
    err = P.eth() / P.ip(proto=1) / ICMP(type=3, code=3) / Raw(raw(P.ip(PEER_IP, VM_IP, 17) / P.udp(53, 5000)))
    s.send("egress", err, id="port_unreach")
    s.expect_drops(2, "rule_match")
    out.append(t)

    # ---- statefulness, TCP through every state (DFW-3, DFW-13, DFW-16) -------------------------------
    t, s, _ = case("tcp_full_lifecycle", ["DFW-3", "DFW-16"],
                   "An allowed connection carries the handshake, data both ways and the close in both directions "
                   "although only the outgoing SYN is allowed by rule; after the close the state lives "
                   "tcp_closed (20 s) and then a late segment meets the rules again.", web_out())
    c = Tcp(s)
    c.handshake()
    c.out("PA", b"GET / HTTP/1.0\r\n\r\n", id="request")
    c.inn("PA", b"HTTP/1.0 200 OK\r\n\r\n", id="response")
    c.out("FA", id="fin1")
    c.inn("A", id="ack_fin1")
    c.inn("FA", id="fin2")
    c.out("A", id="ack_fin2")
    s.advance(19)
    c.inn("A", id="late_ok")
    s.advance(21)
    c.inn("A", id="too_late")
    s.expect_drops(2, "rule_match", "state_mismatch")
    out.append(t)

    t, s, _ = case("tcp_return_traffic_needs_state", ["DFW-3"],
                   "The same SYN-ACK is dropped when no allowed SYN created state for it.", web_out())
    s.send("ingress", P.tcp_pkt(PEER_IP, VM_IP, 80, 40000, "SA", 5000, 1001, smac=PEER_MAC, dmac=VM_MAC), id="synack")
    s.expect_drops(2, "rule_match")
    out.append(t)

    def timeout_case(name, clauses, desc, steps, cfg=None):
        t, s, m = case(name, clauses, desc, cfg or web_out())
        steps(s, Tcp(s))
        s.expect_drops(2, "rule_match", "state_mismatch")
        out.append(t)

    timeout_case("tcp_first_alive", ["DFW-16"],
                 "tcp_first (120 s): a SYN-ACK 119 s after the SYN still matches the connection.",
                 lambda s, c: (c.out("S", id="syn"), s.advance(119), c.inn("SA", id="synack")))
    timeout_case("tcp_first_expired", ["DFW-16", "DFW-20"],
                 "tcp_first (120 s): 121 s after the SYN the state is gone and the SYN-ACK falls through to the "
                 "rules (here: the default drop).",
                 lambda s, c: (c.out("S", id="syn"), s.advance(121), c.inn("SA", id="synack")))
    timeout_case("tcp_opening_alive", ["DFW-16"],
                 "tcp_opening (30 s) after the SYN-ACK: the ACK 29 s later passes.",
                 lambda s, c: (c.out("S", id="syn"), c.inn("SA", id="synack"), s.advance(29), c.out("A", id="ack")))
    timeout_case("tcp_opening_expired", ["DFW-16", "DFW-12"],
                 "tcp_opening (30 s): the ACK 31 s after the SYN-ACK finds no state and a strict section drops "
                 "it as a state mismatch.",
                 lambda s, c: (c.out("S", id="syn"), c.inn("SA", id="synack"), s.advance(31), c.out("A", id="ack")))
    timeout_case("tcp_retransmitted_syn_opening", ["DFW-16"],
                 "Only the creating packet sets tcp_first; a retransmitted SYN moves the connection to "
                 "tcp_opening (30 s) as in pf, so a SYN-ACK 31 s after the retransmission is dropped.",
                 lambda s, c: (c.out("S", id="syn"), s.advance(10), c.out("S", seq=1000, id="syn_again"),
                               s.advance(31), c.inn("SA", id="synack")))
    timeout_case("tcp_established_alive", ["DFW-16"],
                 "tcp_established (43,200 s): data 43,199 s after the last segment passes.",
                 lambda s, c: (c.handshake(), s.advance(43199), c.inn("PA", b"x", id="data")))
    timeout_case("tcp_established_expired", ["DFW-16", "DFW-20"],
                 "tcp_established: 43,201 s later the state is gone; the peer's data is dropped by the rules.",
                 lambda s, c: (c.handshake(), s.advance(43201), c.inn("PA", b"x", id="data")))
    timeout_case("tcp_closing_alive", ["DFW-16"],
                 "tcp_closing (120 s) after the first FIN: the peer's ACK 119 s later passes.",
                 lambda s, c: (c.handshake(), c.out("FA", id="fin"), s.advance(119), c.inn("A", id="ack_fin")))
    timeout_case("tcp_closing_expired", ["DFW-16"],
                 "tcp_closing: 121 s after the first FIN the state is gone.",
                 lambda s, c: (c.handshake(), c.out("FA", id="fin"), s.advance(121), c.inn("A", id="ack_fin")))
    timeout_case("tcp_finwait_alive", ["DFW-16"],
                 "tcp_finwait (45 s) once both sides sent a FIN: the last ACK 44 s later passes.",
                 lambda s, c: (c.handshake(), c.out("FA", id="fin1"), c.inn("FA", id="fin2"), s.advance(44),
                               c.out("A", id="last_ack")))
    timeout_case("tcp_finwait_expired", ["DFW-16"],
                 "tcp_finwait: 46 s after both FINs the state is gone.",
                 lambda s, c: (c.handshake(), c.out("FA", id="fin1"), c.inn("FA", id="fin2"), s.advance(46),
                               c.out("A", id="last_ack")))
    timeout_case("tcp_closed_after_rst", ["DFW-16", "DFW-27"],
                 "tcp_closed (20 s) after a RST: a straggler 19 s later still matches, one 21 s later does not.",
                 lambda s, c: (c.handshake(), c.inn("RA", id="rst"), s.advance(19), c.out("A", id="straggler"),
                               s.advance(21), c.out("A", id="too_late")))
    timeout_case("tcp_custom_timeout", ["DFW-16"],
                 "Timeouts are configurable: tcp_established 100 s.",
                 lambda s, c: (c.handshake(), s.advance(101), c.inn("PA", b"x", id="data")),
                 cfg=web_out(timeouts={"tcp_established": 100}))

    t, s, _ = case("tcp_rst_refusing_syn", ["DFW-13", "DFW-27"],
                   "A RST+ACK acknowledging the SYN is a valid answer; the connection is closed (tcp_closed).",
                   web_out())
    c = Tcp(s)
    c.out("S", id="syn")
    c.inn("RA", seq=0, id="refused")
    s.advance(21)
    c.inn("A", id="late")
    s.expect_drops(2, "rule_match", "3wh_error")
    out.append(t)

    t, s, _ = case("tcp_3wh_pure_ack", ["DFW-13"],
                   "The responder's first segment must be a SYN-ACK (or RST) for the SYN: a pure ACK is a "
                   "3-way-handshake error.", web_out())
    c = Tcp(s)
    c.out("S", id="syn")
    c.inn("A", id="bogus_ack")
    c.inn("SA", id="synack")
    s.expect_drops(2, "3wh_error")
    out.append(t)

    t, s, _ = case("tcp_3wh_wrong_ack", ["DFW-13"],
                   "A SYN-ACK that does not acknowledge the SYN (wrong ack number) is a 3-way-handshake error.",
                   web_out())
    c = Tcp(s)
    c.out("S", id="syn")
    c.inn("SA", ack=999, id="wrong_ack")
    s.expect_drops(2, "3wh_error")
    out.append(t)

    # ---- strict (DFW-12) ---------------------------------------------------------------------------------
    t, s, _ = case("strict_drops_mid_stream", ["DFW-12"],
                   "In a strict section a first packet that is not a SYN is dropped as a state mismatch.", web_out())
    s.send("egress", P.tcp_pkt(flags="A", seq=1, ack=1), id="ack")
    s.send("egress", P.tcp_pkt(flags="PA", seq=1, ack=1, payload=b"x", ip_id=2), id="data")
    s.expect_drops(2, "state_mismatch")
    out.append(t)

    t, s, _ = case("loose_pickup_mid_stream", ["DFW-12", "DFW-3"],
                   "Outside strict mode a mid-stream segment allowed by the rules creates state (loose pickup) and "
                   "the return traffic passes.", web_out(strict=False))
    s.send("egress", P.tcp_pkt(flags="PA", seq=70000, ack=90000, payload=b"resume"), id="mid")
    s.send("ingress", P.tcp_pkt(PEER_IP, VM_IP, 80, 40000, "A", 90000, 70006, smac=PEER_MAC, dmac=VM_MAC), id="ack_in")
    s.send("egress", P.tcp_pkt(flags="PA", seq=70006, ack=90000, payload=b"more", ip_id=2), id="mid2")
    out.append(t)

    t, s, _ = case("strict_global_default", ["DFW-12"],
                   "tcp_strict at the top level is the default of sections that do not set their own.",
                   {"tcp_strict": True, "sections": [sec(A, [rule(1, "allow", services=[svc("tcp")])]),
                                                     sec(A, [rule(2, "allow", services=[svc("tcp", [8080])])],
                                                         strict=False)]})
    s.send("egress", P.tcp_pkt(flags="A", dport=80, seq=5, ack=5), id="strict_ack")
    s.expect_drops(2, "state_mismatch")
    out.append(t)

    t, s, _ = case("strict_only_tcp", ["DFW-12", "DFW-17"],
                   "Strict mode concerns TCP only: UDP in a strict section creates state normally.",
                   {"sections": [sec(A, [rule(1, "allow", services=[svc("udp")])], strict=True)],
                    "default_rule": {"id": 2, "action": "drop"}})
    s.send("egress", udp_out_pkt(), id="q")
    s.send("ingress", udp_in_pkt(), id="a")
    out.append(t)

    # ---- windows (DFW-14, DFW-15) -----------------------------------------------------------------------
    t, s, _ = case("window_data_beyond", ["DFW-14"],
                   "Data beyond what the receiver's window allows is outside the tracked window: state mismatch.",
                   web_out())
    c = Tcp(s)
    c.handshake()
    c.out("PA", b"z" * 8, seq=(c.vseq + 200000) & 0xFFFFFFFF, id="far_ahead")
    c.out("PA", b"ok", id="in_window")
    s.expect_drops(2, "state_mismatch")
    out.append(t)

    t, s, _ = case("window_old_retransmission", ["DFW-14"],
                   "A segment more than a window behind what was already sent is dropped.", web_out())
    c = Tcp(s)
    c.handshake()
    c.out("PA", b"y" * 100, id="data")
    c.out("PA", b"y" * 8, seq=(c.vseq - 100000) & 0xFFFFFFFF, id="ancient")
    s.expect_drops(2, "state_mismatch")
    out.append(t)

    t, s, _ = case("window_ack_unsent_data", ["DFW-14"],
                   "Acknowledging far more than the other side has sent is a state mismatch.", web_out())
    c = Tcp(s)
    c.handshake()
    c.inn("PA", b"d" * 4, ack=(c.vseq + 500000) & 0xFFFFFFFF, id="bad_ack")
    s.expect_drops(2, "state_mismatch")
    out.append(t)

    t, s, _ = case("window_scale_honoured", ["DFW-15"],
                   "With window scaling negotiated by both SYNs (RFC 7323), a receiver window of 1024 << 7 allows a "
                   "segment ending 100,000 bytes ahead.",
                   web_out())
    c = Tcp(s, vm_opts=[("WScale", 7)], peer_opts=[("WScale", 7)])
    c.out("S", id="syn", opts=[("WScale", 7)])
    c.inn("SA", id="synack", opts=[("WScale", 7)], window=1024)
    c.out("A", id="ack")
    c.inn("A", id="window_update", window=1024, seq=c.pseq)
    c.out("PA", b"w" * 8, seq=(c.vseq + 99992) & 0xFFFFFFFF, id="scaled_ok")
    s.expect_drops(2, "state_mismatch")
    out.append(t)

    t, s, _ = case("window_scale_one_sided", ["DFW-15"],
                   "Scaling applies only when both SYNs carry the option: the same segment is a state mismatch "
                   "when the responder did not offer it.", web_out())
    c = Tcp(s)
    c.out("S", id="syn", opts=[("WScale", 7)])
    c.inn("SA", id="synack", window=1024)
    c.out("A", id="ack")
    c.inn("A", id="window_update", window=1024, seq=c.pseq)
    c.out("PA", b"w" * 8, seq=(c.vseq + 99992) & 0xFFFFFFFF, id="unscaled_too_far")
    s.expect_drops(2, "state_mismatch")
    out.append(t)

    # ---- UDP, ICMP, other (DFW-17, DFW-18, DFW-19) ---------------------------------------------------------
    def udp_case(name, desc, steps):
        t, s, _ = case(name, ["DFW-17"], desc, udp_out())
        steps(s)
        s.expect_drops(2, "rule_match")
        out.append(t)

    udp_case("udp_first_alive", "udp_first (60 s): a reply 59 s after a single datagram passes.",
             lambda s: (s.send("egress", udp_out_pkt(), id="q"), s.advance(59), s.send("ingress", udp_in_pkt(), id="a")))
    udp_case("udp_first_expired", "udp_first: a reply 61 s later is dropped by the rules.",
             lambda s: (s.send("egress", udp_out_pkt(), id="q"), s.advance(61), s.send("ingress", udp_in_pkt(), id="a")))
    udp_case("udp_single_alive", "udp_single (30 s) once the source sent more than one datagram: a reply 29 s after "
             "the second passes.",
             lambda s: (s.send("egress", udp_out_pkt(), id="q1"), s.advance(1),
                        s.send("egress", udp_out_pkt(ip_id=2), id="q2"), s.advance(29),
                        s.send("ingress", udp_in_pkt(), id="a")))
    udp_case("udp_single_expired", "udp_single: a reply 31 s after the second datagram is dropped (udp_first would "
             "still have allowed it).",
             lambda s: (s.send("egress", udp_out_pkt(), id="q1"), s.advance(1),
                        s.send("egress", udp_out_pkt(ip_id=2), id="q2"), s.advance(31),
                        s.send("ingress", udp_in_pkt(), id="a")))
    udp_case("udp_multiple", "udp_multiple (60 s) once both sides sent: the next reply 59 s later passes, 61 s "
             "after that it is dropped.",
             lambda s: (s.send("egress", udp_out_pkt(), id="q"), s.send("ingress", udp_in_pkt(), id="a1"),
                        s.advance(59), s.send("ingress", udp_in_pkt(ip_id=2), id="a2"), s.advance(61),
                        s.send("ingress", udp_in_pkt(ip_id=3), id="a3")))

    icmp_cfg = {"sections": [sec(A, [rule(1, "allow", direction="out", services=[svc("icmp", icmp_type=8)])])],
                "default_rule": {"id": 2, "action": "drop"}}
    t, s, _ = case("icmp_echo_session", ["DFW-18"],
                   "An allowed echo request creates state: the echo reply (same identifier) passes, another "
                   "identifier does not.", icmp_cfg)
    s.send("egress", P.icmp_pkt(type=8, id=7), id="request")
    s.send("ingress", P.icmp_pkt(PEER_IP, VM_IP, type=0, id=7, smac=PEER_MAC, dmac=VM_MAC), id="reply")
    s.send("ingress", P.icmp_pkt(PEER_IP, VM_IP, type=0, id=8, smac=PEER_MAC, dmac=VM_MAC, ip_id=2), id="stray")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("icmp_first_timeout", ["DFW-18", "DFW-16"],
                   "icmp_first (20 s): a reply 19 s after the request passes; one 21 s after the last exchange does "
                   "not.", icmp_cfg)
    s.send("egress", P.icmp_pkt(type=8, id=7), id="request")
    s.advance(19)
    s.send("ingress", P.icmp_pkt(PEER_IP, VM_IP, type=0, id=7, smac=PEER_MAC, dmac=VM_MAC), id="reply")
    s.advance(21)
    s.send("ingress", P.icmp_pkt(PEER_IP, VM_IP, type=0, id=7, seq=2, smac=PEER_MAC, dmac=VM_MAC, ip_id=2), id="late")
    s.expect_drops(2, "rule_match")
    out.append(t)

    echo = P.icmp_pkt(type=8, id=7)
    unreach = (P.eth(PEER_MAC, VM_MAC) / P.ip("10.0.0.254", VM_IP, 1, id=5) / ICMP(type=3, code=1) /
               Raw(raw(echo[IP])[:28]))
    t, s, _ = case("icmp_error_reply_timeout", ["DFW-18", "DFW-21"],
                   "An ICMP error about the echo request is related and passes; the session then lives only "
                   "icmp_error_reply (10 s).", icmp_cfg)
    s.send("egress", echo, id="request")
    s.send("ingress", unreach, id="host_unreachable")
    s.advance(11)
    s.send("ingress", P.icmp_pkt(PEER_IP, VM_IP, type=0, id=7, smac=PEER_MAC, dmac=VM_MAC), id="late_reply")
    s.expect_drops(2, "rule_match")
    out.append(t)

    other_cfg = {"sections": [sec(A, [rule(1, "allow", direction="out", services=[svc(47)])])],
                 "default_rule": {"id": 2, "action": "drop"}}
    t, s, _ = case("other_protocol_first_single_multiple", ["DFW-19", "DFW-16"],
                   "Other protocols (GRE) are tracked by address pair: other_first 60 s lets a reply in; both "
                   "directions seen: other_multiple 60 s.", other_cfg)
    s.send("egress", P.proto_pkt(47), id="gre_out")
    s.advance(59)
    s.send("ingress", P.proto_pkt(47, PEER_IP, VM_IP, PEER_MAC, VM_MAC), id="gre_in")
    s.advance(59)
    s.send("ingress", P.proto_pkt(47, PEER_IP, VM_IP, PEER_MAC, VM_MAC, ip_id=2), id="gre_in2")
    s.advance(61)
    s.send("ingress", P.proto_pkt(47, PEER_IP, VM_IP, PEER_MAC, VM_MAC, ip_id=3), id="gre_late")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("other_protocol_single", ["DFW-19"],
                   "other_single (30 s) once the source sent twice without an answer.", other_cfg)
    s.send("egress", P.proto_pkt(47), id="gre1")
    s.send("egress", P.proto_pkt(47, ip_id=2), id="gre2")
    s.advance(31)
    s.send("ingress", P.proto_pkt(47, PEER_IP, VM_IP, PEER_MAC, VM_MAC), id="gre_in")
    s.expect_drops(2, "rule_match")
    out.append(t)

    # ---- after expiry (DFW-20) ---------------------------------------------------------------------------
    t, s, _ = case("expired_non_strict_pickup", ["DFW-20", "DFW-12"],
                   "After expiry a non-SYN segment no longer matches the old entry and goes through the rules; a "
                   "non-strict allow rule picks it up as a new (loose) connection.",
                   web_out(strict=False, timeouts={"tcp_established": 50}))
    c = Tcp(s)
    c.handshake()
    s.advance(51)
    c.out("PA", b"again", id="after_expiry")
    c.inn("A", id="answer")
    out.append(t)

    # ---- ICMP errors (DFW-21) -----------------------------------------------------------------------------
    q = udp_out_pkt()
    port_unreach = (P.eth(PEER_MAC, VM_MAC) / P.ip(PEER_IP, VM_IP, 1, id=6) / ICMP(type=3, code=3) /
                    Raw(raw(q[IP])[:28]))
    t, s, _ = case("icmp_error_related_passes", ["DFW-21"],
                   "An ICMP error quoting a datagram of a live connection passes although no rule allows ICMP in.",
                   udp_out())
    s.send("egress", q, id="q")
    s.send("ingress", port_unreach, id="port_unreachable")
    out.append(t)

    t, s, _ = case("icmp_error_unrelated_rules", ["DFW-21"],
                   "An ICMP error about no known connection goes through the rules (default drop here).", udp_out())
    s.send("ingress", port_unreach, id="unrelated")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("icmp_error_unrelated_no_state", ["DFW-21"],
                   "An allowed unrelated ICMP error does not create state: the datagram it quotes still meets the "
                   "rules.",
                   {"sections": [sec(A, [rule(1, "allow", direction="in", services=[svc("icmp")])])],
                    "default_rule": {"id": 2, "action": "drop"}})
    s.send("ingress", port_unreach, id="unrelated")
    s.send("ingress", udp_in_pkt(), id="udp_in")
    s.expect_drops(2, "rule_match")
    out.append(t)

    short = P.eth(PEER_MAC, VM_MAC) / P.ip(PEER_IP, VM_IP, 1, id=6) / ICMP(type=3, code=3) / Raw(b"\x45\x00\x00")
    t, s, _ = case("icmp_error_truncated_quote", ["DFW-21"],
                   "An ICMP error whose quoted IP header is truncated is dropped as icmp_error.", udp_out())
    s.send("ingress", short, id="bad_quote")
    s.expect_drops(2, "icmp_error")
    out.append(t)

    # ---- applied-to (DFW-11) ------------------------------------------------------------------------------
    at = {"sections": [sec(A, [rule(1, "drop", services=[svc("udp", [1])], applied_to=["nic-1001-eth0"]),
                               rule(2, "drop", services=[svc("udp", [2])], applied_to=["nic-2002-eth0"]),
                               rule(3, "drop", services=[svc("udp", [3])],
                                    applied_to=["nic-1001-eth0-vmware-sfw.2"]),
                               rule(4, "drop", services=[svc("udp", [4])], applied_to=["web-vnic"])])],
          "vnic_name": "web-vnic"}
    t, s, _ = case("applied_to", ["DFW-11"],
                   "Rules are installed only on the vNICs they name (nic-<vm>-eth<n>, the filter name, or the "
                   "configured vnic_name); rules for other vNICs have no effect here.", at, agent="vmware-sfw")
    for p in (1, 2, 3, 4):
        s.send("egress", udp_out_pkt(dport=p, ip_id=p), id="port%d" % p)
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("applied_to_other_vnic", ["DFW-11"],
                   "The same configuration on another vNIC (VM 2002) installs only the rule applied to it.", at,
                   vnic=(2002, 0, 8), agent="vmware-sfw")
    for p in (1, 2, 3, 4):
        s.send("egress", udp_out_pkt(dport=p, ip_id=p), id="port%d" % p)
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("getrules_lists_applied_rules", ["DFW-11", "DFW-32"],
                   "getrules lists the rules realised on this vNIC in vsipioctl form and leaves out rules applied "
                   "elsewhere.", at, agent="vmware-sfw")
    t.ioctl(2, "getrules")
    t.expect_reply("rule 1 at 1 inout protocol udp from any to any port 1 drop;")
    t.ioctl(2, "getrules")
    t.expect_reply("rule 4 at 3 inout protocol udp from any to any port 4 drop;")
    t.ioctl(2, "unknown-request", expect="unsupported")
    out.append(t)

    # ---- rule updates with live connections (DFW-22) ----------------------------------------------------
    t, s, _ = case("update_keeps_allowed_connection", ["DFW-22"],
                   "After a rule update that still allows a connection's initiating packet, the connection keeps "
                   "flowing.", web_out())
    c = Tcp(s)
    c.handshake()
    s.reconfigure(2, web_out(extra=[rule(1011, "allow", direction="out", services=[svc("udp", [53])])]))
    c.inn("PA", b"data", id="after_update")
    out.append(t)

    t, s, _ = case("update_cuts_disallowed_connection", ["DFW-22"],
                   "After an update that no longer allows the connection, its next packet is dropped (rule_match) "
                   "and the entry removed; later segments meet the new rules.", web_out())
    c = Tcp(s)
    c.handshake()
    s.reconfigure(2, {"sections": [sec(A, [rule(1010, "drop", direction="out", services=[svc("tcp", [80])])],
                                       strict=True)], "default_rule": {"id": 2, "action": "drop"}})
    c.inn("PA", b"data", id="cut")
    c.out("A", id="next")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("update_allows_new_flow", ["DFW-22", "DFW-14"],
                   "A flow dropped before an update is allowed after it.", udp_out())
    s.send("egress", udp_out_pkt(dport=123), id="ntp_before")
    s.reconfigure(2, {"sections": [sec(A, [rule(1, "allow", direction="out", services=[svc("udp")])])],
                      "default_rule": {"id": 2, "action": "drop"}})
    s.send("egress", udp_out_pkt(dport=123, ip_id=2), id="ntp_after")
    s.send("ingress", udp_in_pkt(sport=123), id="ntp_reply")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("update_refused_keeps_state", ["DFW-22", "DFW-30"],
                   "A refused update changes nothing: live connections and rules stay.", web_out())
    c = Tcp(s)
    c.handshake()
    s.reconfigure(2, {"sections": [sec("galaxy", [rule(1, "drop")])]})
    c.inn("PA", b"data", id="still_flows")
    out.append(t)

    # ---- table full (DFW-23) --------------------------------------------------------------------------------
    t, s, _ = case("conn_table_full", ["DFW-23"],
                   "With the connection table full (conn_limit 16) a new connection is dropped for memory while "
                   "existing ones keep passing.",
                   {"conn_limit": 16, "sections": [sec(A, [rule(1, "allow", direction="out")])],
                    "default_rule": {"id": 2, "action": "drop"}})
    for i in range(16):
        s.send("egress", udp_out_pkt(sport=6000 + i, ip_id=i + 1), id="flow%d" % i)
    s.send("egress", udp_out_pkt(sport=7000, ip_id=100), id="flow16")
    s.send("ingress", udp_in_pkt(dport=6005), id="reply5")
    s.expect_drops(2, "memory")
    out.append(t)

    # ---- sanity (DFW-24, DFW-25) --------------------------------------------------------------------------------
    bad_off = P.eth() / P.ip() / P.tcp(flags="S", dataofs=4)
    t, s, _ = case("tcp_bad_data_offset", ["DFW-24"],
                   "A TCP header with a data offset below 5 words is dropped as bad_offset.", {})
    s.send("egress", bad_off, id="doff4")
    s.expect_drops(2, "bad_offset")
    out.append(t)

    trunc = P.eth() / Raw(b"\x45\x00\x00\x28\x00\x01\x00\x00\x40\x06")
    t, s, _ = case("truncated_ipv4_normalization", ["DFW-24"],
                   "A truncated IPv4 header (or a truncated TCP/UDP header) is dropped as normalization.", {})
    s.send("egress", trunc, id="short_ip")
    s.send("egress", P.eth() / P.ip(proto=17) / Raw(b"\x13\x88"), id="short_udp")
    s.expect_drops(2, "normalization")
    out.append(t)

    opt = P.eth() / P.ip(proto=17, options=[IPOption_Router_Alert(length=4, alert=0)]) / P.udp() / Raw(b"q")
    t, s, _ = case("ip_options_dropped_when_configured", ["DFW-25"],
                   "With drop_ip_options, IPv4 packets carrying options are dropped as ip_option.",
                   {"drop_ip_options": True})
    s.send("egress", opt, id="router_alert")
    s.send("egress", udp_out_pkt(), id="plain")
    s.expect_drops(2, "ip_option")
    out.append(t)

    t, s, _ = case("ip_options_allowed_by_default", ["DFW-25"],
                   "Without drop_ip_options, options are no reason to drop.", {})
    s.send("egress", opt, id="router_alert")
    out.append(t)

    # ---- fragments (DFW-26) ----------------------------------------------------------------------------------------
    f1, f2 = frag_pair()
    t, s, _ = case("fragments_follow_first", ["DFW-26"],
                   "Later fragments follow the verdict of their datagram's first fragment.", udp_out())
    s.send("egress", f1, id="first")
    s.send("egress", f2, id="second")
    out.append(t)

    t, s, _ = case("fragment_without_first", ["DFW-26"],
                   "A later fragment whose first fragment was not seen is dropped as fragment.", udp_out())
    s.send("egress", f2, id="orphan")
    s.expect_drops(2, "fragment")
    out.append(t)

    g1, g2 = frag_pair(dport=54)
    t, s, _ = case("fragments_of_denied_datagram", ["DFW-26"],
                   "Later fragments of a datagram whose first fragment was dropped are dropped too.", udp_out())
    s.send("egress", g1, id="first_denied")
    s.send("egress", g2, id="second")
    s.expect_drops(2, "rule_match", "fragment")
    out.append(t)

    t, s, _ = case("fragments_on_existing_connection", ["DFW-26", "DFW-3"],
                   "A fragmented datagram of an already established flow: its first fragment matches the "
                   "connection and its later fragments follow it.", udp_out())
    s.send("egress", udp_out_pkt(), id="opens_flow")
    s.send("egress", f1, id="first")
    s.send("egress", f2, id="second")
    out.append(t)

    t, s, _ = case("fragment_state_expires", ["DFW-26", "DFW-16"],
                   "Fragment state lives frag (30 s): a later fragment 31 s after its first is dropped.", udp_out())
    s.send("egress", f1, id="first")
    s.advance(31)
    s.send("egress", f2, id="late_second")
    s.expect_drops(2, "fragment")
    out.append(t)

    # ---- RST (DFW-27) -----------------------------------------------------------------------------------------------
    t, s, _ = case("rst_creates_no_state", ["DFW-27"],
                   "An allowed RST passes but creates no connection: an answer to it still meets the rules.",
                   {"sections": [sec(A, [rule(1, "allow", direction="out", services=[svc("tcp")])], strict=True)],
                    "default_rule": {"id": 2, "action": "drop"}})
    s.send("egress", P.tcp_pkt(flags="R", seq=100), id="rst")
    s.send("ingress", P.tcp_pkt(PEER_IP, VM_IP, 80, 40000, "A", 1, 100, smac=PEER_MAC, dmac=VM_MAC), id="answer")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("syn_after_rst_starts_over", ["DFW-27"],
                   "A new SYN on a reset connection (same 5-tuple) starts a new connection.", web_out())
    c = Tcp(s)
    c.handshake()
    c.inn("RA", id="rst")
    c2 = Tcp(s, vm_isn=900000, peer_isn=700000)
    c2.n = 10
    c2.handshake("new_")
    c2.inn("PA", b"new", id="new_data")
    out.append(t)

    # ---- migration (DFW-28) ------------------------------------------------------------------------------------
    t, s, _ = case("migrate_keeps_tcp", ["DFW-28"],
                   "After a VM move the connection table comes along: the established connection keeps passing.",
                   web_out())
    c = Tcp(s)
    c.handshake()
    s.migrate(2)
    c.inn("PA", b"after move", id="after")
    c.out("A", id="ack_after")
    out.append(t)

    t, s, _ = case("migrate_keeps_remaining_timeout", ["DFW-28", "DFW-17"],
                   "Timeouts move as remaining lifetimes: a UDP flow 40 s into udp_first (60 s) still answers 19 s "
                   "after the move, not 21 s after.", udp_out())
    s.send("egress", udp_out_pkt(), id="q")
    s.advance(40)
    s.migrate(2)
    s.advance(19)
    s.send("ingress", udp_in_pkt(), id="a")
    s.advance(61)
    s.send("ingress", udp_in_pkt(ip_id=2), id="late")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("migrate_remaining_timeout_exact", ["DFW-28", "DFW-17"],
                   "Remaining lifetimes are taken at the moment of the save, not at the filter's last timer or "
                   "packet: a flow saved 45 s into udp_first (60 s) is gone 17 s after the move.", udp_out())
    s.send("egress", udp_out_pkt(), id="q")
    s.advance(45)
    s.migrate(2)
    s.advance(17)
    s.send("ingress", udp_in_pkt(), id="a_late")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("migrate_then_rules", ["DFW-28", "DFW-3"],
                   "A restored filter still applies its rules to new connections.", web_out())
    s.migrate(2)
    s.send("egress", P.tcp_pkt(dport=25), id="smtp")
    c = Tcp(s, vm_port=40002)
    c.handshake()
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("restore_garbage_refused", ["DFW-28", "CH-6"],
                   "Restoring state that is not a saved DFW state is refused with status state; under failClosed "
                   "the vNIC is then disconnected and passes nothing (facts).", web_out())
    s.restore(2, b"\x00\x01\x02\x03\x04\x05\x06\x07", ok=False)
    s.send("egress", P.tcp_pkt(dport=80), id="syn")
    s.send("ingress", udp_in_pkt(), id="udp_in")
    s.expect_chain_drops("disconnected")
    out.append(t)

    # ---- limits (DFW-29) -----------------------------------------------------------------------------------------
    many = [rule(10000 + i, "drop", services=[svc("udp", [10000 + i % 50000])]) for i in range(4000)]
    t, s, _ = case("rules_per_vnic_4000_accepted", ["DFW-29"],
                   "4,000 rules on one vNIC are accepted.", {"sections": [sec(A, many)]})
    s.send("egress", udp_out_pkt(dport=13999), id="last_rule")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("rules_per_vnic_limit", ["DFW-29"],
                   "A configuration realising more than 4,000 rules on one vNIC is refused (facts: 4,000 rules per "
                   "vNIC); the previous rules stay.", {"sections": [sec(A, [rule(1, "drop", services=[svc("udp")])])]})
    s.reconfigure(2, {"sections": [sec(A, many + [rule(99999, "allow")])]})
    s.send("egress", udp_out_pkt(), id="still_dropped")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s, _ = case("rules_applied_elsewhere_do_not_count", ["DFW-29", "DFW-11"],
                   "Rules applied to other vNICs do not count toward this vNIC's 4,000.",
                   {"sections": [sec(A, [rule(1, "drop", services=[svc("udp")])])]})
    others = [rule(20000 + i, "drop", applied_to=["nic-2002-eth0"]) for i in range(4001)]
    s.reconfigure(2, {"sections": [sec(A, others + [rule(5, "drop", services=[svc("tcp")])])]})
    s.send("egress", udp_out_pkt(), id="udp_now_passes")
    s.send("egress", P.tcp_pkt(), id="tcp_dropped")
    s.expect_drops(2, "rule_match")
    out.append(t)

    # ---- drop reason names, counters (DFW-31) ------------------------------------------------------------------
    t, s, _ = case("drop_reason_names", ["DFW-31", "DFW-24", "DFW-12"],
                   "Drops are counted under the SPEC's reason names.", web_out())
    s.send("egress", P.tcp_pkt(dport=25), id="rule")
    s.send("egress", P.tcp_pkt(flags="A", ack=5, ip_id=2), id="mismatch")
    s.send("egress", bad_off, id="offset")
    s.expect_drops(2, "rule_match", "state_mismatch", "bad_offset", "normalization", "fragment", "memory")
    out.append(t)
    return out
