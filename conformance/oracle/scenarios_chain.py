"""Chain scenarios: SPEC.md clauses CH-* (slot order, interactions, injection points,
failure policies across slots)."""
from scapy.all import Raw, raw

import packets as P
from packets import PEER_IP, PEER_MAC, VM_IP, VM_MAC
from model_acl import AclModel
from model_crypt import CryptModel
from model_dfw import DfwModel
from model_svc import SvcModel
from model_swsec import SwsecModel
from scenarios_slot15 import KEY_IN, KEY_OUT, SPI_IN, SPI_OUT, peer_esp, policy
from sim import Sim
from tracelib import Trace

BOUND = {"static_bindings": [{"ip": VM_IP, "mac": VM_MAC}]}


def chain(name, clauses, desc):
    t = Trace("chain", "chain." + name, clauses, desc)
    return t, Sim(t)


def acl(s, cfg, policy="failClosed", failed=False):
    return s.add(0, AclModel(cfg if not failed else {}), cfg, policy=policy, failed=failed)


def swsec(s, cfg):
    return s.add(1, SwsecModel(cfg), cfg)


def dfw(s, cfg):
    return s.add(2, DfwModel(cfg), cfg)


def svc(s, slot, cfg, policy="failClosed"):
    return s.add(slot, SvcModel(cfg, slot), cfg, policy=policy)


def enc(s, cfg):
    return s.add(15, CryptModel(cfg), cfg)


def drop_udp53():
    return {"rules": [{"id": 1, "action": "drop", "protocol": "udp", "dst_ports": [53]}]}


def reject_all():
    return {"default_rule": {"id": 2, "action": "reject"}}


def udp_out(i=1, dport=53):
    return P.udp_pkt(VM_IP, PEER_IP, 5000, dport, b"q", ip_id=i)


def udp_in(i=1, sport=53):
    return P.udp_pkt(PEER_IP, VM_IP, sport, 5000, b"a", smac=PEER_MAC, dmac=VM_MAC, ip_id=i)


def cases():
    out = []

    t, s = chain("egress_order_acl_first", ["CH-1", "CH-2"],
                 "Egress walks slots upward: the ACL in slot 0 drops before the DFW in slot 2 sees the packet (no "
                 "reject reply, DFW filtered count stays 0).")
    acl(s, drop_udp53())
    dfw(s, reject_all())
    s.send("egress", udp_out(), id="dns")
    s.expect_counter(0, "filtered")
    s.expect_counter(2, "filtered")
    s.expect_drops(0, "rule_match")
    out.append(t)

    t, s = chain("ingress_order_dfw_first", ["CH-1", "CH-3"],
                 "Ingress walks slots downward: the DFW in slot 2 rejects before the ACL in slot 0 sees the packet; "
                 "its reply travels egress from slot 2 upward.")
    acl(s, {"rules": [{"id": 1, "action": "drop", "direction": "in"}]})
    dfw(s, reject_all())
    s.send("ingress", P.tcp_pkt(PEER_IP, VM_IP, 50000, 22, "S", 77, smac=PEER_MAC, dmac=VM_MAC), id="syn_in")
    s.expect_counter(0, "filtered")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s = chain("injected_reply_passes_lower_slots", ["CH-3"],
                 "A RST the DFW injects toward the VM enters the chain just past slot 2 and still crosses slots 1 "
                 "and 0: an ACL in slot 0 that drops ingress RSTs drops it.")
    acl(s, {"rules": [{"id": 1, "action": "drop", "direction": "in", "protocol": "tcp"}]})
    dfw(s, reject_all())
    s.send("egress", P.tcp_pkt(), id="syn")
    s.expect_drops(0, "rule_match")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s = chain("injected_reply_skips_higher_slots", ["CH-3", "CH-8"],
                 "The RST toward the VM does not cross slot 15 (it enters past slot 2 going down), so encryption "
                 "does not take it for plaintext from the peer; the VM receives it in clear.")
    dfw(s, reject_all())
    enc(s, {"policies": [policy(match=[])]})
    s.send("egress", P.tcp_pkt(), id="syn")
    s.expect_drops(15, "plaintext_violation")
    out.append(t)

    t, s = chain("injected_egress_reply_encrypted", ["CH-3", "CH-8"],
                 "A RST the DFW sends back for a rejected ingress SYN travels egress from slot 2 upward and is "
                 "encrypted by slot 15 on its way out.")
    dfw(s, reject_all())
    enc(s, {"policies": [policy(match=[])]})
    syn = P.tcp_pkt(PEER_IP, VM_IP, 50000, 22, "S", 77, smac=PEER_MAC, dmac=VM_MAC)
    s.send("ingress", peer_esp(syn, 1), id="esp_syn")
    out.append(t)

    t, s = chain("decrypt_before_dfw", ["CH-8", "CH-1"],
                 "Decryption is the first step in: the DFW sees the decrypted datagram and its rules apply to it.")
    dfw(s, {"sections": [{"category": "application",
                          "rules": [{"id": 7, "action": "drop", "direction": "in",
                                     "services": [{"protocol": "udp", "src_ports": [53]}]}]}]})
    enc(s, {"policies": [policy()]})
    s.send("ingress", peer_esp(udp_in(), 1), id="esp_dns")
    s.send("ingress", peer_esp(udp_in(2, sport=123), 2), id="esp_ntp")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s = chain("encrypt_after_dfw", ["CH-8", "CH-2"],
                 "Encryption is the last step out: what the DFW drops is never encrypted (sequence numbers are not "
                 "spent on it).")
    dfw(s, {"sections": [{"category": "application",
                          "rules": [{"id": 7, "action": "drop", "services": [{"protocol": "udp", "dst_ports": [53]}]}]}]})
    enc(s, {"policies": [policy()]})
    s.send("egress", udp_out(1), id="dropped")
    s.send("egress", udp_out(2, dport=123), id="encrypted_seq1")
    s.expect_counter(15, "filtered")
    out.append(t)

    t, s = chain("dfw_after_spoofguard", ["CH-4", "CH-2"],
                 "DFW after SpoofGuard: a spoofed packet dropped by slot 1 never reaches the DFW, so it creates no "
                 "connection and its 'reply' is dropped by the DFW rules.")
    swsec(s, dict(BOUND))
    dfw(s, {"default_rule": {"id": 2, "action": "drop"},
            "sections": [{"category": "application", "rules": [{"id": 3, "action": "allow", "direction": "out"}]}]})
    s.send("egress", P.udp_pkt("10.0.0.66", PEER_IP, 5000, 53), id="spoofed")
    s.send("ingress", P.udp_pkt(PEER_IP, "10.0.0.66", 53, 5000, smac=PEER_MAC, dmac=VM_MAC), id="reply_to_spoof")
    s.send("egress", udp_out(), id="genuine")
    s.send("ingress", udp_in(), id="genuine_reply")
    s.expect_drops(1, "spoof_ip")
    s.expect_drops(2, "rule_match")
    s.expect_counter(2, "filtered")
    out.append(t)

    t, s = chain("arp_reply_crosses_acl", ["CH-3", "CH-9"],
                 "An ARP reply built by suppression in slot 1 enters toward the VM past slot 1 and crosses slot 0.")
    acl(s, {"rules": [{"id": 1, "action": "drop", "direction": "in", "ethertype": 0x0806}]})
    swsec(s, dict(BOUND, central_table=[{"ip": PEER_IP, "mac": PEER_MAC}]))
    s.send("egress", P.arp_pkt(pdst=PEER_IP), id="who_has")
    s.expect_drops(1, "arp_suppressed")
    s.expect_drops(0, "rule_match")
    out.append(t)

    t, s = chain("arp_reply_not_seen_by_dfw", ["CH-3"],
                 "The same reply is not seen by the DFW in slot 2 (above the injecting slot on the way in): an "
                 "Ethernet rule there dropping ARP has no effect on it.")
    swsec(s, dict(BOUND, central_table=[{"ip": PEER_IP, "mac": PEER_MAC}]))
    dfw(s, {"sections": [{"category": "ethernet",
                          "rules": [{"id": 1, "action": "drop", "direction": "in", "ethertype": 0x0806}]}]})
    s.send("egress", P.arp_pkt(pdst=PEER_IP), id="who_has")
    s.expect_counter(2, "filtered")
    out.append(t)

    t, s = chain("service_between_dfw_and_encryption", ["CH-7", "CH-1"],
                 "DFW (2) → service insertion (4) → encryption (15): the redirected packet returns past slot 4 "
                 "and is then encrypted; the DFW does not see it twice.")
    dfw(s, {})
    svc(s, 4, {"service": "ids"})
    enc(s, {"policies": [policy()]})
    s.send("egress", udp_out(), id="q")
    s.slowpath_return()
    s.expect_counter(2, "filtered")
    s.expect_counter(4, "filtered")
    out.append(t)

    t, s = chain("service_chain_forward_and_reverse", ["CH-7", "CH-1"],
                 "Two services: egress visits slot 4's service first and slot 7's second; ingress the reverse "
                 "(the reverse path is the forward chain reversed).")
    svc(s, 4, {"service": "first"})
    svc(s, 7, {"service": "second"})
    s.send("egress", udp_out(), id="out")
    s.slowpath_return()
    s.slowpath_return()
    s.send("ingress", udp_in(), id="in")
    s.slowpath_return()
    s.slowpath_return()
    out.append(t)

    t, s = chain("failed_slot_fail_open_middle", ["CH-5"],
                 "A slot whose filter refused its configuration, under failOpen, lets traffic through to the next "
                 "slots, which still filter.")
    acl(s, {"rules": [{"id": 1, "action": "sideways"}]}, policy="failOpen", failed=True)
    dfw(s, {"default_rule": {"id": 2, "action": "drop"}})
    s.send("egress", udp_out(), id="q")
    s.send("egress", P.arp_pkt(), id="arp")
    s.expect_counter(0, "policy_passed")
    s.expect_drops(2, "rule_match")
    out.append(t)

    t, s = chain("failed_slot_fail_closed_middle", ["CH-5", "CH-2"],
                 "The same refused configuration under failClosed drops everything at that slot; later slots see "
                 "nothing.")
    swsec(s, {"arp_binding_limit": 1000})
    s.slots[1].failed = True
    s.slots[1].model = SwsecModel({})
    dfw(s, {})
    s.send("egress", udp_out(), id="q")
    s.send("ingress", udp_in(), id="a")
    s.expect_drops(1, "fail_closed")
    s.expect_counter(2, "filtered")
    out.append(t)

    t, s = chain("service_down_fail_closed_chain", ["CH-5", "SI-6"],
                 "A service slot blocking while its service is down stops traffic before encryption.")
    svc(s, 9, {"service": "ids", "failure_policy": "block"})
    enc(s, {"policies": [policy()]})
    s.service("ids", False)
    s.send("egress", udp_out(), id="q")
    s.expect_drops(9, "service_down")
    s.expect_counter(15, "filtered")
    out.append(t)

    t, s = chain("restore_failure_disconnects", ["CH-6"],
                 "A failed state restore under failClosed disconnects the vNIC: nothing passes in either direction, "
                 "whatever the other slots would decide (facts).")
    acl(s, {})
    dfw(s, {})
    s.restore(2, b"\x01\x02\x03", ok=False)
    s.send("egress", udp_out(), id="q")
    s.send("ingress", udp_in(), id="a")
    s.expect_chain_drops("disconnected")
    out.append(t)

    t, s = chain("restore_failure_fail_open", ["CH-6"],
                 "Under failOpen a failed restore leaves the vNIC connected and the filter as it was.")
    s.add(2, DfwModel({}), {}, policy="failOpen")
    s.restore(2, b"\x01\x02\x03", ok=False)
    s.send("egress", udp_out(), id="q")
    s.send("ingress", udp_in(), id="a")
    out.append(t)

    t, s = chain("migrate_whole_chain", ["CH-10", "DFW-28", "SW-20"],
                 "Moving the VM moves every slot's state: bindings in slot 1 and connections in slot 2 both "
                 "survive.")
    swsec(s, {})
    dfw(s, {"default_rule": {"id": 2, "action": "drop"},
            "sections": [{"category": "application", "rules": [{"id": 3, "action": "allow", "direction": "out"}]}]})
    s.send("egress", P.arp_pkt(psrc=VM_IP, pdst=VM_IP), id="garp")
    s.send("egress", udp_out(), id="q")
    s.migrate(1)
    s.migrate(2)
    s.send("ingress", udp_in(), id="a")
    s.send("egress", udp_out(2), id="q2")
    out.append(t)

    t, s = chain("counters_per_slot", ["CH-11", "CH-2"],
                 "The host counts per slot what it handed to the filter and what passed; a drop in slot 0 is not "
                 "counted by slot 2.")
    acl(s, drop_udp53())
    dfw(s, {})
    s.send("egress", udp_out(1), id="dropped")
    s.send("egress", udp_out(2, dport=123), id="passes")
    s.send("ingress", udp_in(3, sport=123), id="back")
    for slot in (0, 2):
        s.expect_counter(slot, "filtered")
        s.expect_counter(slot, "passed")
    out.append(t)

    t, s = chain("full_stack_web_session", ["CH-1", "CH-4", "CH-8"],
                 "ACL, switch security, DFW and encryption together on a small web exchange: everything allowed "
                 "is encrypted on the way out and decrypted on the way in.")
    acl(s, {"rules": [{"id": 1, "action": "drop", "ethertype": 0x88B5}]})
    swsec(s, dict(BOUND))
    dfw(s, {"default_rule": {"id": 2, "action": "drop"}, "sections": [
        {"category": "application", "tcp_strict": True,
         "rules": [{"id": 10, "action": "allow", "direction": "out", "services": [{"protocol": "tcp", "dst_ports": [80]}]}]}]})
    enc(s, {"policies": [policy()]})
    s.send("egress", P.tcp_pkt(flags="S", seq=1000), id="syn")
    s.send("ingress", peer_esp(P.tcp_pkt(PEER_IP, VM_IP, 80, 40000, "SA", 5000, 1001, smac=PEER_MAC, dmac=VM_MAC), 1),
           id="synack")
    s.send("egress", P.tcp_pkt(flags="A", seq=1001, ack=5001, ip_id=2), id="ack")
    s.send("egress", P.raw_frame(type=0x88B5), id="l2_blocked")
    out.append(t)

    t, s = chain("reinject_unknown_order_preserved", ["CH-7"],
                 "Several packets faulted to the slow path and handed back keep their order on the way out.")
    svc(s, 5, {"service": "ids"})
    dfw(s, {})
    for i in range(3):
        s.send("egress", udp_out(i + 1, dport=1000 + i), id="p%d" % i)
    s.slowpath_return()
    out.append(t)
    return out
