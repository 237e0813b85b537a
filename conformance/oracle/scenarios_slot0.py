"""Slot 0 (stateless ACL) scenarios: SPEC.md clauses ACL-*."""
from packets import (ETH_ARP, PEER2_IP, PEER_IP, PEER_MAC, VM_IP, VM_MAC, arp_pkt, icmp_pkt, ip, eth, proto_pkt,
                     raw_frame, tcp_pkt, udp_pkt, vlan_pkt, OTHER_MAC)
from scapy.all import Ether, Raw
from model_acl import AclModel, valid
from sim import Sim
from tracelib import Trace


def case(name, clauses, desc, config, policy="failClosed"):
    t = Trace(0, "acl." + name, clauses, desc)
    sim = Sim(t)
    failed = not valid(config)
    model = sim.add(0, AclModel(config if not failed else {}), config, policy=policy, failed=failed)
    return t, sim, model


def drop_rule(**cond):
    r = {"id": cond.pop("id", 10), "action": "drop"}
    r.update(cond)
    return r


def allow_rule(**cond):
    r = {"id": cond.pop("id", 20), "action": "allow"}
    r.update(cond)
    return r


def cases():
    out = []

    # -- first match and the default ------------------------------------------------------
    t, s, _ = case("first_match_allow_before_drop", ["ACL-1"],
                   "Rules are tried in order and the first match decides: an allow rule listed before a drop "
                   "rule for the same traffic lets it through.",
                   {"rules": [allow_rule(id=1, protocol="tcp", dst_ports=[80]), drop_rule(id=2, protocol="tcp")]})
    s.send("egress", tcp_pkt(dport=80), id="web")
    s.send("egress", tcp_pkt(dport=22), id="ssh")
    s.expect_drops(0, "rule_match", "default_action")
    out.append(t)

    t, s, _ = case("first_match_drop_before_allow", ["ACL-1"],
                   "The same two rules in the other order: the drop rule matches first.",
                   {"rules": [drop_rule(id=1, protocol="tcp"), allow_rule(id=2, protocol="tcp", dst_ports=[80])]})
    s.send("egress", tcp_pkt(dport=80), id="web")
    s.expect_drops(0, "rule_match")
    out.append(t)

    t, s, _ = case("first_match_later_rule", ["ACL-1"],
                   "A packet that does not match the first rule is decided by the first later rule that matches.",
                   {"rules": [drop_rule(id=1, protocol="udp"), drop_rule(id=2, protocol="tcp", dst_ports=[25]),
                              allow_rule(id=3, protocol="tcp")],
                    "default_action": "drop"})
    s.send("egress", tcp_pkt(dport=25), id="smtp")
    s.send("egress", tcp_pkt(dport=443), id="https")
    s.send("egress", udp_pkt(dport=53), id="dns")
    s.expect_drops(0, "rule_match", "default_action")
    out.append(t)

    t, s, _ = case("default_allow", ["ACL-2"],
                   "With no matching rule the default action applies; it is allow when not configured.",
                   {"rules": [drop_rule(protocol="udp", dst_ports=[9])]})
    s.send("egress", tcp_pkt(dport=80), id="tcp")
    s.send("ingress", icmp_pkt(src=PEER_IP, dst=VM_IP, smac=PEER_MAC, dmac=VM_MAC), id="ping")
    s.expect_drops(0, "default_action")
    out.append(t)

    t, s, _ = case("default_drop", ["ACL-2", "ACL-17"],
                   "default_action drop drops unmatched packets, counted as drop.default_action.",
                   {"default_action": "drop", "rules": [allow_rule(protocol="icmp")]})
    s.send("egress", icmp_pkt(), id="ping")
    s.send("egress", udp_pkt(), id="dns")
    s.send("egress", raw_frame(), id="l2")
    s.expect_drops(0, "default_action", "rule_match")
    out.append(t)

    t, s, _ = case("empty_rules_default_drop", ["ACL-2"],
                   "An ACL without rules applies its default action to every frame, in both directions.",
                   {"default_action": "drop"})
    s.send("egress", tcp_pkt(), id="out")
    s.send("ingress", tcp_pkt(src=PEER_IP, dst=VM_IP, smac=PEER_MAC, dmac=VM_MAC, sport=80, dport=40000,
                              flags="SA"), id="in")
    s.expect_drops(0, "default_action")
    out.append(t)

    # -- direction ------------------------------------------------------------------------
    for d, desc in (("out", "egress (VM to switch) only"), ("in", "ingress (switch to VM) only"),
                    ("inout", "both directions")):
        t, s, _ = case("direction_" + d, ["ACL-3"],
                       "A rule with direction %s matches %s." % (d, desc),
                       {"rules": [drop_rule(direction=d, protocol="udp")]})
        s.send("egress", udp_pkt(), id="out")
        s.send("ingress", udp_pkt(src=PEER_IP, dst=VM_IP, sport=53, dport=5000, smac=PEER_MAC, dmac=VM_MAC),
               id="in")
        s.expect_drops(0, "rule_match")
        out.append(t)

    # -- L2 fields ----------------------------------------------------------------------------
    t, s, _ = case("src_mac", ["ACL-4"],
                   "src_mac matches frames whose source address is in the list.",
                   {"rules": [drop_rule(src_mac=[OTHER_MAC, "02:00:00:00:00:42"])]})
    s.send("egress", tcp_pkt(smac=OTHER_MAC), id="listed")
    s.send("egress", tcp_pkt(), id="vm")
    s.expect_drops(0, "rule_match")
    out.append(t)

    t, s, _ = case("dst_mac", ["ACL-4"],
                   "dst_mac matches frames whose destination address is in the list (broadcast included).",
                   {"rules": [drop_rule(dst_mac=["ff:ff:ff:ff:ff:ff"])]})
    s.send("egress", arp_pkt(), id="bcast")
    s.send("egress", tcp_pkt(), id="unicast")
    s.expect_drops(0, "rule_match")
    out.append(t)

    t, s, _ = case("ethertype", ["ACL-5"],
                   "ethertype matches the frame's EtherType: a rule for ARP drops ARP and leaves IPv4 alone.",
                   {"rules": [drop_rule(ethertype=ETH_ARP)]})
    s.send("egress", arp_pkt(), id="arp")
    s.send("egress", udp_pkt(), id="udp")
    s.send("egress", raw_frame(type=0x88B5), id="other")
    s.expect_drops(0, "rule_match")
    out.append(t)

    t, s, _ = case("ethertype_inside_vlan_tag", ["ACL-5", "ACL-6"],
                   "For a frame with an in-band 802.1Q tag the EtherType compared is the one after the tag.",
                   {"rules": [drop_rule(ethertype=0x0800)]})
    s.send("egress", vlan_pkt(10, udp_pkt()), id="tagged_ipv4")
    s.send("egress", vlan_pkt(10, arp_pkt()), id="tagged_arp")
    s.expect_drops(0, "rule_match")
    out.append(t)

    t, s, _ = case("vlan_in_band", ["ACL-6"],
                   "vlan matches the VLAN ID of the frame's in-band 802.1Q tag.",
                   {"rules": [drop_rule(vlan=20)]})
    s.send("egress", vlan_pkt(20, udp_pkt()), id="vlan20")
    s.send("egress", vlan_pkt(21, udp_pkt()), id="vlan21")
    s.expect_drops(0, "rule_match")
    out.append(t)

    t, s, _ = case("vlan_out_of_band", ["ACL-6"],
                   "An untagged frame carries its VLAN out of band (the port's TCI metadata); vlan matches it.",
                   {"rules": [drop_rule(vlan=30)]})
    s.send("egress", udp_pkt(), id="vlan30", vlan=30)
    s.send("egress", udp_pkt(), id="vlan31", vlan=31)
    s.expect_drops(0, "rule_match")
    out.append(t)

    t, s, _ = case("vlan_zero_untagged", ["ACL-6"],
                   "A frame with neither tag nor TCI has VLAN 0.",
                   {"rules": [drop_rule(vlan=0)]})
    s.send("egress", udp_pkt(), id="untagged")
    s.send("egress", vlan_pkt(5, udp_pkt()), id="tagged")
    s.expect_drops(0, "rule_match")
    out.append(t)

    # -- L3 ---------------------------------------------------------------------------------------
    t, s, _ = case("src_cidr", ["ACL-7"],
                   "src matches source addresses inside a CIDR prefix.",
                   {"rules": [drop_rule(src=["10.0.0.0/30"])]})
    s.send("egress", udp_pkt(src="10.0.0.3"), id="inside")
    s.send("egress", udp_pkt(src="10.0.0.4"), id="outside")
    s.expect_drops(0, "rule_match")
    out.append(t)

    t, s, _ = case("dst_range_and_single", ["ACL-7"],
                   "dst accepts single addresses and first-last ranges; any entry matching is enough.",
                   {"rules": [drop_rule(dst=["10.0.1.1-10.0.1.5", "192.0.2.9"])]})
    s.send("egress", udp_pkt(dst="10.0.1.5"), id="range_end")
    s.send("egress", udp_pkt(dst="10.0.1.6"), id="past_range")
    s.send("egress", udp_pkt(dst="192.0.2.9"), id="single")
    s.expect_drops(0, "rule_match")
    out.append(t)

    t, s, _ = case("src_and_dst_both_required", ["ACL-1", "ACL-7"],
                   "A rule matches only when every condition it has matches.",
                   {"rules": [drop_rule(src=["10.0.0.1"], dst=["10.0.0.2"])]})
    s.send("egress", udp_pkt(src="10.0.0.1", dst="10.0.0.2"), id="both")
    s.send("egress", udp_pkt(src="10.0.0.1", dst="10.0.0.3"), id="src_only")
    s.expect_drops(0, "rule_match")
    out.append(t)

    t, s, _ = case("protocol_names", ["ACL-8"],
                   "protocol tcp, udp and icmp select IPv4 protocol numbers 6, 17 and 1.",
                   {"rules": [drop_rule(id=1, protocol="icmp"), drop_rule(id=2, protocol="udp")]})
    s.send("egress", icmp_pkt(), id="icmp")
    s.send("egress", udp_pkt(), id="udp")
    s.send("egress", tcp_pkt(), id="tcp")
    s.expect_drops(0, "rule_match")
    out.append(t)

    t, s, _ = case("protocol_number", ["ACL-8"],
                   "protocol may be a number: 47 (GRE) matches GRE and nothing else.",
                   {"rules": [drop_rule(protocol=47)]})
    s.send("egress", proto_pkt(47), id="gre")
    s.send("egress", proto_pkt(50), id="esp")
    s.expect_drops(0, "rule_match")
    out.append(t)

    # -- L4 ---------------------------------------------------------------------------------------
    t, s, _ = case("tcp_dst_port", ["ACL-9"],
                   "dst_ports with protocol tcp matches the TCP destination port.",
                   {"rules": [drop_rule(protocol="tcp", dst_ports=[22])]})
    s.send("egress", tcp_pkt(dport=22), id="ssh")
    s.send("egress", tcp_pkt(dport=23), id="telnet")
    s.send("egress", udp_pkt(dport=22), id="udp22")
    s.expect_drops(0, "rule_match")
    out.append(t)

    t, s, _ = case("udp_port_range", ["ACL-9"],
                   "Port entries may be ranges \"lo-hi\" (inclusive).",
                   {"rules": [drop_rule(protocol="udp", dst_ports=["8000-8080"])]})
    s.send("egress", udp_pkt(dport=8000), id="lo")
    s.send("egress", udp_pkt(dport=8080), id="hi")
    s.send("egress", udp_pkt(dport=8081), id="above")
    s.expect_drops(0, "rule_match")
    out.append(t)

    t, s, _ = case("src_port", ["ACL-9"],
                   "src_ports matches the transport source port.",
                   {"rules": [drop_rule(protocol="udp", src_ports=[123])]})
    s.send("egress", udp_pkt(sport=123, dport=123), id="ntp")
    s.send("egress", udp_pkt(sport=124, dport=123), id="other")
    s.expect_drops(0, "rule_match")
    out.append(t)

    t, s, _ = case("icmp_type_code", ["ACL-10"],
                   "icmp_type and icmp_code match ICMP messages: echo requests are dropped, echo replies pass.",
                   {"rules": [drop_rule(protocol="icmp", icmp_type=8, icmp_code=0)]})
    s.send("egress", icmp_pkt(type=8), id="request")
    s.send("egress", icmp_pkt(type=0), id="reply")
    s.send("egress", icmp_pkt(type=8, code=1), id="odd_code")
    s.expect_drops(0, "rule_match")
    out.append(t)

    # -- non-IP and malformed -------------------------------------------------------------------
    t, s, _ = case("l3_rule_ignores_arp", ["ACL-11"],
                   "A rule with an address condition never matches a non-IPv4 frame, even when the ARP payload "
                   "carries that address.",
                   {"rules": [drop_rule(src=["10.0.0.0/8"])]})
    s.send("egress", arp_pkt(psrc=VM_IP), id="arp")
    s.send("egress", udp_pkt(), id="udp")
    s.expect_drops(0, "rule_match")
    out.append(t)

    truncated = eth() / Raw(b"\x45\x00\x00\x30\x00\x01\x00\x00\x40\x11")
    t, s, _ = case("l3_rule_ignores_malformed_ipv4", ["ACL-11", "ACL-18"],
                   "A frame that announces IPv4 but carries a truncated header matches no L3 rule; the default "
                   "applies.",
                   {"rules": [drop_rule(protocol="udp")], "default_action": "allow"})
    s.send("egress", truncated, id="truncated")
    out.append(t)

    bad_len = eth() / ip(proto=17) / Raw(b"x" * 4)
    bad_len = Ether(bytes(bad_len)[:14] + bytes(bad_len)[14:16] + b"\x01\x00" + bytes(bad_len)[18:])
    t, s, _ = case("l4_rule_ignores_bad_total_length", ["ACL-18"],
                   "An IPv4 header whose total length exceeds the frame is malformed: port rules do not match it "
                   "and the default action decides.",
                   {"rules": [allow_rule(protocol="udp", dst_ports=[53])], "default_action": "drop"})
    s.send("egress", bad_len, id="bad_len")
    s.expect_drops(0, "default_action")
    out.append(t)

    # -- statelessness, configuration ------------------------------------------------------------
    t, s, _ = case("stateless_no_reply_allowance", ["ACL-12"],
                   "An allowed request does not open a path for its reply: the ACL keeps no state.",
                   {"rules": [allow_rule(direction="out", protocol="tcp", dst_ports=[80])], "default_action": "drop"})
    s.send("egress", tcp_pkt(dport=80), id="syn")
    s.send("ingress", tcp_pkt(src=PEER_IP, dst=VM_IP, sport=80, dport=40000, flags="SA", seq=5000, ack=1001,
                              smac=PEER_MAC, dmac=VM_MAC), id="synack")
    s.expect_drops(0, "default_action")
    out.append(t)

    t, s, _ = case("passed_packets_unchanged", ["ACL-15"],
                   "Packets that pass the ACL leave it byte for byte unchanged, whatever their content.",
                   {"rules": [drop_rule(protocol="udp", dst_ports=[9])]})
    s.send("egress", tcp_pkt(payload=b"GET / HTTP/1.0\r\n\r\n", flags="PA", seq=1001, ack=5001), id="data")
    s.send("egress", vlan_pkt(7, icmp_pkt(), prio=5), id="tagged")
    s.send("ingress", raw_frame(dst=VM_MAC, src=PEER_MAC, type=0x9000, payload=b"\xff" * 46), id="loopback")
    out.append(t)

    t, s, _ = case("reconfigure_replaces_rules", ["ACL-14"],
                   "A new configuration replaces the rules atomically; later packets see only the new rules.",
                   {"rules": [drop_rule(protocol="udp")]})
    s.send("egress", udp_pkt(), id="before")
    s.reconfigure(0, {"rules": [drop_rule(protocol="tcp")]})
    s.send("egress", udp_pkt(ip_id=2), id="after_udp")
    s.send("egress", tcp_pkt(), id="after_tcp")
    s.expect_drops(0, "rule_match")
    out.append(t)

    t, s, _ = case("invalid_reconfigure_keeps_old", ["ACL-13", "ACL-14"],
                   "A configuration with ports on a rule without tcp/udp is refused (invalid) and the old rules "
                   "stay in force.",
                   {"rules": [drop_rule(protocol="udp")]})
    s.reconfigure(0, {"rules": [drop_rule(protocol="icmp", dst_ports=[80])]})
    s.send("egress", udp_pkt(), id="still_dropped")
    s.reconfigure(0, {"rules": [drop_rule(src=["10.0.0.300"])]})
    s.reconfigure(0, {"rules": [drop_rule(colour="red")]})
    s.send("egress", tcp_pkt(), id="tcp_passes")
    s.expect_drops(0, "rule_match")
    out.append(t)

    bad = {"rules": [drop_rule(protocol="icmp", dst_ports=[80])]}
    t, s, _ = case("invalid_config_fail_open", ["ACL-13", "CH-5"],
                   "A filter that refuses its configuration at creation leaves the slot failed; under failOpen "
                   "every packet passes.",
                   bad, policy="failOpen")
    s.send("egress", icmp_pkt(), id="a")
    s.send("ingress", udp_pkt(src=PEER_IP, dst=VM_IP, smac=PEER_MAC, dmac=VM_MAC), id="b")
    out.append(t)

    t, s, _ = case("invalid_config_fail_closed", ["ACL-13", "CH-5"],
                   "The same refused configuration under failClosed: every packet is dropped by the chain.",
                   {"rules": [drop_rule() for _ in range(1025)]}, policy="failClosed")
    s.send("egress", icmp_pkt(), id="a")
    s.send("ingress", udp_pkt(src=PEER_IP, dst=VM_IP, smac=PEER_MAC, dmac=VM_MAC), id="b")
    s.expect_drops(0, "fail_closed")
    out.append(t)

    t, s, _ = case("max_rules_accepted", ["ACL-13"],
                   "1,024 rules are accepted; the last one still matches.",
                   {"rules": [drop_rule(id=i + 1, protocol="udp", dst_ports=[10000 + i]) for i in range(1024)]})
    s.send("egress", udp_pkt(dport=11023), id="last_rule")
    s.send("egress", udp_pkt(dport=11024), id="no_rule")
    s.expect_drops(0, "rule_match")
    out.append(t)

    t, s, _ = case("getrules", ["ACL-16"],
                   "The getrules control request lists every rule by id and the default action.",
                   {"rules": [drop_rule(id=101, protocol="udp"), allow_rule(id=102)], "default_action": "drop"})
    t.ioctl(0, "getrules")
    t.expect_reply("rule 101")
    t.ioctl(0, "getrules")
    t.expect_reply("rule 102")
    t.ioctl(0, "getrules")
    t.expect_reply("default drop")
    t.ioctl(0, "no-such-request", expect="unsupported")
    out.append(t)

    t, s, _ = case("migrate_keeps_rules", ["ACL-19"],
                   "After a VM move (state saved, filter re-created, state restored) the same rules apply.",
                   {"rules": [drop_rule(protocol="udp")]})
    s.send("egress", udp_pkt(), id="before")
    s.migrate(0)
    s.send("egress", udp_pkt(ip_id=2), id="after")
    s.send("egress", tcp_pkt(), id="tcp")
    out.append(t)
    return out
