"""Slots 4-12 (service insertion) scenarios: SPEC.md clauses SI-*. Cases are spread
over the nine slots so every slot number is exercised."""
import packets as P
from packets import PEER_IP, PEER_MAC, VM_IP, VM_MAC
from model_svc import SvcModel, valid
from sim import Sim
from tracelib import Trace


def case(slot, name, clauses, desc, config, policy="failClosed"):
    t = Trace(slot, "svc.%s" % name, clauses, desc)
    s = Sim(t)
    ok = valid(config, slot)
    m = s.add(slot, SvcModel(config if ok else {}, slot), config, policy=policy, failed=not ok)
    return t, s, m


def out_pkt(i=1, dport=80):
    return P.tcp_pkt(dport=dport, ip_id=i)


def in_pkt(i=1):
    return P.udp_pkt(PEER_IP, VM_IP, 53, 5000, smac=PEER_MAC, dmac=VM_MAC, ip_id=i)


def cases():
    out = []
    t, s, _ = case(4, "redirect_egress", ["SI-1", "SI-2"],
                   "Egress traffic is redirected to the service through the slow path (metadata svc:<service>); "
                   "handed back, it continues toward the switch unchanged.", {"service": "ids"})
    s.send("egress", out_pkt(), id="p1")
    s.expect_none("egress")
    s.slowpath_return()
    out.append(t)

    t, s, _ = case(5, "redirect_ingress", ["SI-1", "SI-2"],
                   "Ingress traffic is redirected the same way and, returned, continues toward the VM.",
                   {"service": "av"})
    s.send("ingress", in_pkt(), id="p1")
    s.slowpath_return()
    out.append(t)

    t, s, _ = case(6, "direction_out_only", ["SI-3"],
                   "With direction out only egress traffic is redirected; ingress passes untouched.",
                   {"service": "ids", "direction": "out"})
    s.send("ingress", in_pkt(), id="in")
    s.send("egress", out_pkt(), id="out")
    s.slowpath_return()
    out.append(t)

    t, s, _ = case(7, "direction_in_only", ["SI-3"],
                   "With direction in only ingress traffic is redirected.", {"service": "ids", "direction": "in"})
    s.send("egress", out_pkt(), id="out")
    s.send("ingress", in_pkt(), id="in")
    s.slowpath_return()
    out.append(t)

    t, s, _ = case(8, "match_list", ["SI-4"],
                   "Only traffic matching the match list (ACL rule conditions) is redirected.",
                   {"service": "waf", "match": [{"protocol": "tcp", "dst_ports": [80, 443]}]})
    s.send("egress", out_pkt(1, 443), id="https")
    s.send("egress", out_pkt(2, 22), id="ssh")
    s.send("egress", P.udp_pkt(ip_id=3), id="dns")
    s.slowpath_return()
    out.append(t)

    t, s, _ = case(9, "service_down_allow", ["SI-5"],
                   "With the service down and failure policy allow, traffic bypasses the service.",
                   {"service": "ids", "failure_policy": "allow"})
    s.service("ids", False)
    s.send("egress", out_pkt(), id="bypass")
    s.send("ingress", in_pkt(), id="bypass_in")
    out.append(t)

    t, s, _ = case(10, "service_down_block", ["SI-6"],
                   "With the service down and failure policy block, traffic is dropped (service_down).",
                   {"service": "ids", "failure_policy": "block"})
    s.service("ids", False)
    s.send("egress", out_pkt(), id="blocked")
    s.send("ingress", in_pkt(), id="blocked_in")
    s.expect_drops(10, "service_down")
    out.append(t)

    t, s, _ = case(11, "service_recovers", ["SI-7", "SI-6"],
                   "When the service comes back, redirection resumes.", {"service": "ids", "failure_policy": "block"})
    s.service("ids", False)
    s.send("egress", out_pkt(1), id="while_down")
    s.service("ids", True)
    s.send("egress", out_pkt(2), id="after_up")
    s.slowpath_return()
    s.expect_drops(11, "service_down")
    out.append(t)

    t, s, _ = case(12, "other_service_down_irrelevant", ["SI-5", "SI-1"],
                   "Only the slot's own service matters: another service being down changes nothing.",
                   {"service": "ids", "failure_policy": "block"})
    s.service("av", False)
    s.send("egress", out_pkt(), id="p1")
    s.slowpath_return()
    out.append(t)

    t, s, _ = case(4, "service_consumes", ["SI-8"],
                   "A packet the service keeps (does not hand back) never leaves the chain.", {"service": "ids"})
    s.send("egress", out_pkt(), id="eaten")
    s.slowpath_drop()
    s.send("egress", out_pkt(2), id="returned")
    s.slowpath_return()
    out.append(t)

    t, s, _ = case(5, "order_preserved", ["SI-2"],
                   "Packets handed back in order leave in that order.", {"service": "ids"})
    for i in range(3):
        s.send("egress", out_pkt(i + 1, 80 + i), id="p%d" % i)
    s.slowpath_return()
    out.append(t)

    t, s, _ = case(6, "invalid_config_fail_open", ["SI-9", "CH-5"],
                   "A refused configuration (unknown failure policy) leaves the slot failed; failOpen lets traffic "
                   "through unredirected.", {"service": "ids", "failure_policy": "maybe"}, policy="failOpen")
    s.send("egress", out_pkt(), id="p1")
    out.append(t)

    t, s, _ = case(7, "invalid_config_fail_closed", ["SI-9", "CH-5"],
                   "The same under failClosed: everything is dropped.", {"service": "", "direction": "out"})
    s.send("egress", out_pkt(), id="p1")
    s.expect_drops(7, "fail_closed")
    out.append(t)

    t, s, _ = case(8, "reconfigure_service", ["SI-10", "SI-1"],
                   "A new configuration redirects to the new service (metadata names it).", {"service": "ids"})
    s.send("egress", out_pkt(1), id="to_ids")
    s.reconfigure(8, {"service": "ips"})
    s.send("egress", out_pkt(2), id="to_ips")
    s.slowpath_return()
    out.append(t)

    t, s, _ = case(9, "reconfigure_refused", ["SI-9", "SI-10"],
                   "A refused reconfiguration keeps the old one.", {"service": "ids", "direction": "out"})
    s.reconfigure(9, {"service": "ids", "direction": "sideways"})
    s.send("ingress", in_pkt(), id="in_not_redirected")
    s.send("egress", out_pkt(), id="out_redirected")
    s.slowpath_return()
    out.append(t)

    t, s, _ = case(10, "getservice", ["SI-11"],
                   "The getservice control request names the service, direction and failure policy.",
                   {"service": "ids", "direction": "in", "failure_policy": "block"})
    t.ioctl(10, "getservice")
    t.expect_reply("service ids direction in failure_policy block")
    out.append(t)

    t, s, _ = case(11, "migrate_keeps_config", ["SI-12"],
                   "After a VM move the slot redirects as before.", {"service": "ids", "direction": "out"})
    s.migrate(11)
    s.send("egress", out_pkt(), id="after_move")
    s.send("ingress", in_pkt(), id="in")
    s.slowpath_return()
    out.append(t)

    t, s, _ = case(12, "down_allow_then_block_reconfigured", ["SI-5", "SI-6", "SI-10"],
                   "Changing the failure policy while the service is down takes effect at once.",
                   {"service": "ids", "failure_policy": "allow"})
    s.service("ids", False)
    s.send("egress", out_pkt(1), id="bypass")
    s.reconfigure(12, {"service": "ids", "failure_policy": "block"})
    s.send("egress", out_pkt(2), id="blocked")
    s.expect_drops(12, "service_down")
    out.append(t)
    return out
