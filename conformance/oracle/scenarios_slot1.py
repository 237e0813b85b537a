"""Slot 1 (switch security) scenarios: SPEC.md clauses SW-*."""
from scapy.all import IPv6, Ether, Raw

import packets as P
from packets import (BCAST_MAC, BPDU_MAC, MCAST_MAC, OTHER_MAC, PEER_IP, PEER_MAC, VM_IP, VM_MAC, arp_pkt,
                     dhcp_ack, dhcp_discover, tcp_pkt, udp_pkt)
from model_swsec import SwsecModel, valid
from sim import Sim
from tracelib import Trace

VM_IP2 = "10.0.0.11"
VM_IP3 = "10.0.0.12"


def case(name, clauses, desc, config, policy="failClosed"):
    t = Trace(1, "swsec." + name, clauses, desc)
    s = Sim(t)
    ok = valid(config)
    m = s.add(1, SwsecModel(config if ok else {}), config, policy=policy, failed=not ok)
    return t, s, m


def garp(ip=VM_IP, mac=VM_MAC):
    """A gratuitous ARP announcing the VM's own address."""
    return arp_pkt(op=1, hwsrc=mac, psrc=ip, pdst=ip)


def from_vm(ip=VM_IP, mac=VM_MAC, dst=PEER_IP, ip_id=1, dport=53):
    return udp_pkt(src=ip, dst=dst, smac=mac, dport=dport, ip_id=ip_id)


def to_vm(src=PEER_IP, ip_id=1):
    return udp_pkt(src=src, dst=VM_IP, sport=53, dport=5000, smac=PEER_MAC, dmac=VM_MAC, ip_id=ip_id)


def cases():
    out = []

    # ---- defaults and discovery (SW-1, SW-2) --------------------------------------------------
    t, s, _ = case("defaults_spoofguard_on", ["SW-1", "SW-8"],
                   "With the default configuration SpoofGuard is on and nothing is bound: IP traffic from the VM is "
                   "dropped as spoof_ip until its address is discovered.", {})
    s.send("egress", from_vm(), id="unbound")
    s.expect_drops(1, "spoof_ip")
    out.append(t)

    t, s, _ = case("arp_snooping_learns", ["SW-2", "SW-8"],
                   "The VM's own (gratuitous) ARP binds its sender IP to its MAC (ARP snooping on by default); IP "
                   "traffic from that address then passes.", {})
    s.send("egress", garp(), id="garp")
    s.send("egress", from_vm(), id="bound")
    s.send("egress", from_vm(ip=VM_IP2, ip_id=2), id="other_ip")
    s.expect_drops(1, "spoof_ip")
    out.append(t)

    t, s, _ = case("arp_request_learns", ["SW-2"],
                   "An ordinary ARP request from the VM also binds its sender address.", {"arp_suppression": False})
    s.send("egress", arp_pkt(pdst=PEER_IP), id="who_has")
    s.send("egress", from_vm(), id="bound")
    out.append(t)

    t, s, _ = case("arp_snooping_off", ["SW-2", "SW-10"],
                   "With arp_snooping off the ARP teaches nothing: it fails SpoofGuard itself and IP traffic stays "
                   "unbound.", {"arp_snooping": False})
    s.send("egress", garp(), id="garp")
    s.send("egress", from_vm(), id="unbound")
    s.expect_drops(1, "spoof_arp", "spoof_ip")
    out.append(t)

    t, s, _ = case("arp_snooping_needs_matching_source", ["SW-2", "SW-10"],
                   "An ARP whose sender MAC differs from the frame's source MAC teaches nothing.",
                   {"arp_suppression": False})
    s.send("egress", arp_pkt(hwsrc=OTHER_MAC, psrc=VM_IP, src=VM_MAC), id="mismatch")
    s.send("egress", from_vm(), id="unbound")
    s.expect_drops(1, "spoof_arp", "spoof_ip")
    out.append(t)

    t, s, _ = case("arp_probe_passes", ["SW-10"],
                   "An ARP probe (sender IP 0.0.0.0, RFC 5227) passes SpoofGuard and teaches nothing.",
                   {"arp_suppression": False})
    s.send("egress", arp_pkt(psrc="0.0.0.0", pdst=VM_IP), id="probe")
    s.send("egress", from_vm(), id="unbound")
    s.expect_drops(1, "spoof_ip")
    out.append(t)

    # ---- limits (SW-3, SW-21) -------------------------------------------------------------------
    t, s, _ = case("binding_limit_tofu", ["SW-3"],
                   "With the default limit of one ARP binding and trust on first use, the first address stays and "
                   "a second one is not learned.", {})
    s.send("egress", garp(), id="first")
    s.send("egress", garp(VM_IP2), id="second")
    s.send("egress", from_vm(), id="first_ok")
    s.send("egress", from_vm(VM_IP2, ip_id=2), id="second_spoof")
    s.expect_drops(1, "spoof_arp", "spoof_ip")
    out.append(t)

    t, s, _ = case("binding_limit_no_tofu_keeps_newest", ["SW-3"],
                   "Without trust on first use the newest binding replaces the oldest at the limit.", {"tofu": False})
    s.send("egress", garp(), id="first")
    s.send("egress", garp(VM_IP2), id="second")
    s.send("egress", from_vm(), id="first_gone")
    s.send("egress", from_vm(VM_IP2, ip_id=2), id="second_ok")
    s.expect_drops(1, "spoof_ip")
    out.append(t)

    t, s, _ = case("binding_limit_two", ["SW-3", "SW-1"],
                   "arp_binding_limit 2 binds two addresses; a third is ignored.", {"arp_binding_limit": 2})
    s.send("egress", garp(), id="a1")
    s.send("egress", garp(VM_IP2), id="a2")
    s.send("egress", garp(VM_IP3), id="a3")
    for i, ip in enumerate((VM_IP, VM_IP2, VM_IP3)):
        s.send("egress", from_vm(ip, ip_id=i + 1), id="ip%d" % i)
    s.expect_drops(1, "spoof_arp", "spoof_ip")
    out.append(t)

    t, s, _ = case("lowering_limit_keeps_newest", ["SW-21"],
                   "Lowering the binding limit keeps the newest bindings (facts).", {"arp_binding_limit": 3})
    s.send("egress", garp(), id="a1")
    s.advance(1)
    s.send("egress", garp(VM_IP2), id="a2")
    s.advance(1)
    s.send("egress", garp(VM_IP3), id="a3")
    s.reconfigure(1, {"arp_binding_limit": 1})
    for i, ip in enumerate((VM_IP, VM_IP2, VM_IP3)):
        s.send("egress", from_vm(ip, ip_id=i + 1), id="ip%d" % i)
    s.expect_drops(1, "spoof_ip")
    out.append(t)

    t, s, _ = case("config_ranges", ["SW-1", "SW-22"],
                   "arp_binding_limit must be 1-256 and binding_timeout_min 5-120; other values are refused and the "
                   "old configuration stays.", {})
    s.reconfigure(1, {"arp_binding_limit": 0})
    s.reconfigure(1, {"arp_binding_limit": 257})
    s.reconfigure(1, {"binding_timeout_min": 4})
    s.reconfigure(1, {"binding_timeout_min": 121})
    s.reconfigure(1, {"colour": "blue"})
    s.reconfigure(1, {"arp_binding_limit": 256, "binding_timeout_min": 120})
    s.send("egress", garp(), id="garp")
    out.append(t)

    t, s, _ = case("invalid_config_fail_closed", ["SW-22", "CH-5"],
                   "A configuration refused at creation leaves the slot failed; failClosed drops everything.",
                   {"binding_timeout_min": 500})
    s.send("egress", garp(), id="garp")
    s.send("ingress", to_vm(), id="in")
    s.expect_drops(1, "fail_closed")
    out.append(t)

    # ---- timeouts (SW-4) --------------------------------------------------------------------------
    t, s, _ = case("arp_binding_timeout_default", ["SW-4", "SW-1"],
                   "An ARP binding expires after binding_timeout_min (default 10 minutes) without refresh.", {})
    s.send("egress", garp(), id="garp")
    s.advance(9 * 60)
    s.send("egress", from_vm(), id="at_9min")
    s.advance(2 * 60)
    s.send("egress", from_vm(ip_id=2), id="at_11min")
    s.expect_drops(1, "spoof_ip")
    out.append(t)

    t, s, _ = case("arp_binding_refresh", ["SW-4"],
                   "Another ARP from the VM refreshes the binding's timeout.", {"binding_timeout_min": 5})
    s.send("egress", garp(), id="garp1")
    s.advance(4 * 60)
    s.send("egress", garp(), id="garp2")
    s.advance(4 * 60)
    s.send("egress", from_vm(), id="at_8min")
    s.advance(2 * 60)
    s.send("egress", from_vm(ip_id=2), id="at_10min")
    s.expect_drops(1, "spoof_ip")
    out.append(t)

    # ---- DHCP snooping (SW-5, SW-6) ---------------------------------------------------------------
    t, s, _ = case("dhcp_ack_binds", ["SW-5"],
                   "A DHCPACK delivered to the VM binds the offered address (yiaddr) to the client MAC.", {})
    s.send("egress", dhcp_discover(), id="discover")
    s.send("ingress", dhcp_ack(VM_IP), id="ack")
    s.send("egress", from_vm(), id="bound")
    out.append(t)

    t, s, _ = case("dhcp_offer_does_not_bind", ["SW-5"],
                   "Only the ACK binds: a DHCPOFFER teaches nothing.", {})
    s.send("ingress", dhcp_ack(VM_IP, msg_type=2), id="offer")
    s.send("egress", from_vm(), id="unbound")
    s.expect_drops(1, "spoof_ip")
    out.append(t)

    t, s, _ = case("dhcp_lease_expiry", ["SW-5"],
                   "A DHCP binding lives for the lease time (option 51).", {})
    s.send("ingress", dhcp_ack(VM_IP, lease=120), id="ack")
    s.advance(119)
    s.send("egress", from_vm(), id="in_lease")
    s.advance(2)
    s.send("egress", from_vm(ip_id=2), id="expired")
    s.expect_drops(1, "spoof_ip")
    out.append(t)

    t, s, _ = case("dhcp_snooping_off", ["SW-5"],
                   "With dhcp_snooping off the ACK teaches nothing.", {"dhcp_snooping": False})
    s.send("ingress", dhcp_ack(VM_IP), id="ack")
    s.send("egress", from_vm(), id="unbound")
    s.expect_drops(1, "spoof_ip")
    out.append(t)

    t, s, _ = case("dhcp_for_other_client", ["SW-5", "SW-9"],
                   "With vnic_mac configured, an ACK for another client's MAC teaches nothing.",
                   {"vnic_mac": VM_MAC})
    s.send("ingress", dhcp_ack(VM_IP, chaddr=OTHER_MAC), id="ack_other")
    s.send("egress", from_vm(), id="unbound")
    s.expect_drops(1, "spoof_ip")
    out.append(t)

    t, s, _ = case("dhcp_bindings_outside_arp_limit", ["SW-6", "SW-3"],
                   "DHCP-learned bindings do not count toward the ARP binding limit.", {})
    s.send("ingress", dhcp_ack(VM_IP2), id="ack")
    s.send("egress", garp(), id="garp")
    s.send("egress", from_vm(), id="arp_bound")
    s.send("egress", from_vm(VM_IP2, ip_id=2), id="dhcp_bound")
    out.append(t)

    # ---- static bindings (SW-7) -------------------------------------------------------------------
    t, s, _ = case("static_binding", ["SW-7"],
                   "Static bindings from the configuration are bound from the start and never expire.",
                   {"static_bindings": [{"ip": VM_IP, "mac": VM_MAC}]})
    s.send("egress", from_vm(), id="bound")
    s.advance(3 * 3600)
    s.send("egress", from_vm(ip_id=2), id="still_bound")
    out.append(t)

    # ---- SpoofGuard (SW-8, SW-9, SW-10) ------------------------------------------------------------
    t, s, _ = case("spoof_ip_other_source", ["SW-8"],
                   "IP packets with a source address not bound to the port are dropped.",
                   {"static_bindings": [{"ip": VM_IP, "mac": VM_MAC}]})
    s.send("egress", from_vm(ip="10.0.0.66"), id="spoofed")
    s.send("egress", tcp_pkt(src="192.0.2.1"), id="spoofed2")
    s.expect_drops(1, "spoof_ip")
    out.append(t)

    t, s, _ = case("dhcp_client_exempt", ["SW-8"],
                   "A DHCP client's packets from 0.0.0.0 (UDP 68 to 67) pass SpoofGuard before any binding exists.",
                   {})
    s.send("egress", dhcp_discover(), id="discover")
    out.append(t)

    t, s, _ = case("spoof_mac_vnic_mac", ["SW-9"],
                   "With vnic_mac configured, frames from another source MAC are dropped as spoof_mac.",
                   {"vnic_mac": VM_MAC, "static_bindings": [{"ip": VM_IP, "mac": VM_MAC}]})
    s.send("egress", from_vm(mac=OTHER_MAC), id="forged")
    s.send("egress", from_vm(ip_id=2), id="genuine")
    s.expect_drops(1, "spoof_mac")
    out.append(t)

    t, s, _ = case("spoof_mac_bound_macs", ["SW-9"],
                   "Without vnic_mac, once bindings exist the source MAC must be one of the bound MACs.",
                   {"static_bindings": [{"ip": VM_IP, "mac": VM_MAC}]})
    s.send("egress", from_vm(mac=OTHER_MAC), id="unknown_mac")
    s.send("egress", P.raw_frame(src=OTHER_MAC, type=0x88B5), id="unknown_mac_l2")
    s.expect_drops(1, "spoof_mac")
    out.append(t)

    t, s, _ = case("spoof_arp_payload_ip", ["SW-10"],
                   "An ARP whose sender IP is not bound is dropped as spoof_arp (the payload is checked, not only "
                   "the frame).", {"static_bindings": [{"ip": VM_IP, "mac": VM_MAC}], "arp_snooping": False})
    s.send("egress", arp_pkt(psrc="10.0.0.66", pdst=PEER_IP), id="lying_arp")
    s.send("egress", arp_pkt(psrc=VM_IP, pdst=VM_IP), id="honest_garp")
    s.expect_drops(1, "spoof_arp")
    out.append(t)

    t, s, _ = case("spoof_arp_payload_mac", ["SW-10"],
                   "An ARP whose sender hardware address is not the vNIC's is dropped as spoof_arp.",
                   {"vnic_mac": VM_MAC, "static_bindings": [{"ip": VM_IP, "mac": VM_MAC}]})
    s.send("egress", arp_pkt(hwsrc=OTHER_MAC, psrc=VM_IP, src=VM_MAC), id="poison")
    s.expect_drops(1, "spoof_arp")
    out.append(t)

    t, s, _ = case("spoofguard_off", ["SW-8", "SW-9"],
                   "With spoofguard off nothing is checked against bindings.", {"spoofguard": False})
    s.send("egress", from_vm(ip="10.0.0.66", mac=OTHER_MAC), id="anything")
    out.append(t)

    t, s, _ = case("ingress_not_spoofguarded", ["SW-19"],
                   "SpoofGuard checks what the VM sends, not what it receives.",
                   {"static_bindings": [{"ip": VM_IP, "mac": VM_MAC}]})
    s.send("ingress", to_vm(src="198.51.100.9"), id="from_anyone")
    out.append(t)

    t, s, _ = case("block_vnic", ["SW-11"],
                   "block_vnic cuts the vNIC off in both directions.",
                   {"block_vnic": True, "static_bindings": [{"ip": VM_IP, "mac": VM_MAC}]})
    s.send("egress", from_vm(), id="out")
    s.send("ingress", to_vm(), id="in")
    s.expect_drops(1, "vnic_blocked")
    out.append(t)

    # ---- segment security (SW-12, SW-13, SW-14) -----------------------------------------------------
    bound = {"static_bindings": [{"ip": VM_IP, "mac": VM_MAC}]}
    t, s, _ = case("dhcp_server_block_default", ["SW-12", "SW-1"],
                   "DHCP server block is on by default: UDP to port 68 from the VM is dropped.", dict(bound))
    s.send("egress", udp_pkt(sport=67, dport=68), id="offer_from_vm")
    s.send("egress", udp_pkt(sport=67, dport=69, ip_id=2), id="tftp")
    s.expect_drops(1, "dhcp_server_block")
    out.append(t)

    t, s, _ = case("dhcp_client_block", ["SW-12"],
                   "DHCP client block (off by default) drops UDP to port 67 from the VM.",
                   dict(bound, dhcp_client_block=True, dhcp_server_block=False))
    s.send("egress", dhcp_discover(), id="discover")
    s.send("egress", udp_pkt(sport=67, dport=68), id="server_allowed")
    s.expect_drops(1, "dhcp_client_block")
    out.append(t)

    t, s, _ = case("non_ip_block", ["SW-13"],
                   "non_ip_block drops frames that are not IPv4, IPv6 or ARP.", dict(bound, non_ip_block=True))
    s.send("egress", P.raw_frame(type=0x88B5), id="local_experimental")
    s.send("egress", Ether(src=VM_MAC, dst="33:33:00:00:00:01", type=0x86DD) /
           IPv6(src="fe80::1", dst="ff02::1", nh=59, hlim=255, tc=0, fl=0), id="ipv6")
    s.send("egress", garp(), id="arp")
    s.send("egress", from_vm(), id="ipv4")
    s.expect_drops(1, "non_ip")
    out.append(t)

    bpdu = Ether(src=VM_MAC, dst=BPDU_MAC, type=0x0026) / Raw(b"\x42\x42\x03" + b"\x00" * 35)
    t, s, _ = case("bpdu_filter_default", ["SW-14", "SW-1"],
                   "The BPDU filter is on by default: frames to 01:80:c2:00:00:00 from the VM are dropped.",
                   dict(bound))
    s.send("egress", bpdu, id="bpdu")
    s.expect_drops(1, "bpdu")
    out.append(t)

    t, s, _ = case("bpdu_filter_off_passes_even_non_ip_block", ["SW-14", "SW-13"],
                   "BPDUs are exempt from the non-IP block (facts: IPv4, IPv6, ARP and BPDU pass); with the BPDU "
                   "filter off they pass.", dict(bound, bpdu_filter=False, non_ip_block=True))
    s.send("egress", bpdu, id="bpdu")
    out.append(t)

    # ---- rate limits (SW-15) --------------------------------------------------------------------------
    t, s, _ = case("broadcast_rate_limit_tx", ["SW-15"],
                   "A broadcast limit of 2 packets/s lets a burst of 2 through, drops the third, and refills at "
                   "the configured rate.",
                   dict(bound, broadcast_rate_limit_pps={"tx": 2}, arp_suppression=False))
    for i in range(3):
        s.send("egress", udp_pkt(dst="10.0.0.255", dmac=BCAST_MAC, ip_id=i + 1), id="b%d" % i)
    s.advance(ms=500)
    s.send("egress", udp_pkt(dst="10.0.0.255", dmac=BCAST_MAC, ip_id=10), id="after_500ms")
    s.send("egress", udp_pkt(dst="10.0.0.255", dmac=BCAST_MAC, ip_id=11), id="again")
    s.send("egress", from_vm(ip_id=12), id="unicast")
    s.expect_drops(1, "broadcast_rate")
    out.append(t)

    t, s, _ = case("multicast_rate_limit_rx", ["SW-15"],
                   "A multicast limit applies per direction: 1 packet/s toward the VM.",
                   dict(bound, multicast_rate_limit_pps={"rx": 1}))
    for i in range(2):
        s.send("ingress", udp_pkt(src=PEER_IP, dst="224.0.0.251", smac=PEER_MAC, dmac=MCAST_MAC, ip_id=i + 1),
               id="m%d" % i)
    s.send("egress", udp_pkt(dst="224.0.0.251", dmac=MCAST_MAC, ip_id=5), id="tx_unlimited")
    s.advance(1)
    s.send("ingress", udp_pkt(src=PEER_IP, dst="224.0.0.251", smac=PEER_MAC, dmac=MCAST_MAC, ip_id=3), id="m_later")
    s.expect_drops(1, "multicast_rate")
    out.append(t)

    # ---- ARP suppression (SW-16, SW-17, SW-18) ----------------------------------------------------------
    t, s, _ = case("arp_suppression_central", ["SW-17"],
                   "An ARP request for an address the central table knows is answered toward the VM and not "
                   "broadcast.",
                   dict(bound, central_table=[{"ip": PEER_IP, "mac": PEER_MAC}]))
    s.send("egress", arp_pkt(pdst=PEER_IP), id="who_has_peer")
    s.expect_drops(1, "arp_suppressed")
    out.append(t)

    t, s, _ = case("arp_suppression_miss_broadcasts", ["SW-18"],
                   "When neither the local nor the central table knows the address the request goes out.",
                   dict(bound, central_table=[{"ip": PEER_IP, "mac": PEER_MAC}]))
    s.send("egress", arp_pkt(pdst="10.0.0.77"), id="who_has_unknown")
    out.append(t)

    t, s, _ = case("arp_suppression_local", ["SW-16"],
                   "An address realised on the segment (here a second address of this port, bound statically) is "
                   "answered from the local table.",
                   {"static_bindings": [{"ip": VM_IP, "mac": VM_MAC}, {"ip": "10.0.0.50", "mac": PEER_MAC}]})
    s.send("egress", arp_pkt(pdst="10.0.0.50"), id="who_has_local")
    s.expect_drops(1, "arp_suppressed")
    out.append(t)

    t, s, _ = case("arp_suppression_central_ioctl", ["SW-17", "SW-24"],
                   "Entries added to the central table at run time (control request central_add) answer too.",
                   dict(bound))
    s.send("egress", arp_pkt(pdst=PEER_IP), id="before")
    t.ioctl(1, "central_add %s %s" % (PEER_IP, PEER_MAC))
    s.slots[1].model.central[P_ip(PEER_IP)] = bytes.fromhex(PEER_MAC.replace(":", ""))
    s.send("egress", arp_pkt(pdst=PEER_IP), id="after")
    out.append(t)

    t, s, _ = case("arp_suppression_off", ["SW-17"],
                   "With arp_suppression off even known addresses are broadcast.",
                   dict(bound, arp_suppression=False, central_table=[{"ip": PEER_IP, "mac": PEER_MAC}]))
    s.send("egress", arp_pkt(pdst=PEER_IP), id="who_has_peer")
    out.append(t)

    t, s, _ = case("arp_reply_not_suppressed", ["SW-17"],
                   "Only requests are answered: an ARP reply from the VM passes.",
                   dict(bound, central_table=[{"ip": PEER_IP, "mac": PEER_MAC}]))
    s.send("egress", arp_pkt(op=2, hwdst=PEER_MAC, pdst=PEER_IP, dst=PEER_MAC), id="reply")
    out.append(t)

    # ---- malformed, migration, control (SW-20, SW-23, SW-24) ---------------------------------------------
    short_arp = Ether(src=VM_MAC, dst=BCAST_MAC, type=0x0806) / Raw(b"\x00\x01\x08\x00\x06\x04\x00\x01")
    t, s, _ = case("malformed_arp", ["SW-23"],
                   "A truncated ARP payload is dropped as malformed.", dict(bound))
    s.send("egress", short_arp, id="short")
    s.expect_drops(1, "malformed")
    out.append(t)

    t, s, _ = case("migrate_keeps_bindings", ["SW-20"],
                   "Learned bindings move with the VM.", {})
    s.send("egress", garp(), id="garp")
    s.send("ingress", dhcp_ack(VM_IP2), id="ack")
    s.migrate(1)
    s.send("egress", from_vm(), id="arp_bound")
    s.send("egress", from_vm(VM_IP2, ip_id=2), id="dhcp_bound")
    out.append(t)

    t, s, _ = case("migrate_keeps_remaining_lifetime", ["SW-20", "SW-4"],
                   "A binding moved 4 minutes into its 10-minute life expires 6 minutes after the move, not 10.", {})
    s.send("egress", garp(), id="garp")
    s.advance(4 * 60)
    s.migrate(1)
    s.advance(5 * 60)
    s.send("egress", from_vm(), id="at_9min")
    s.advance(2 * 60)
    s.send("egress", from_vm(ip_id=2), id="at_11min")
    s.expect_drops(1, "spoof_ip")
    out.append(t)

    t, s, _ = case("getbindings", ["SW-24"],
                   "The getbindings control request lists each binding's address, MAC and source.",
                   {"static_bindings": [{"ip": VM_IP2, "mac": VM_MAC}]})
    s.send("egress", garp(), id="garp")
    t.ioctl(1, "getbindings")
    t.expect_reply("%s %s arp" % (VM_IP, VM_MAC))
    t.ioctl(1, "getbindings")
    t.expect_reply("%s %s static" % (VM_IP2, VM_MAC))
    out.append(t)
    return out


def P_ip(s):
    import frame
    return frame.ip_to_int(s)
