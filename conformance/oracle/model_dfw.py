"""Model of SPEC.md slot 2 (distributed firewall), clauses DFW-*.

Rule evaluation (categories, first match, jump to application, applied-to), the
connection table keyed on the 5-tuple, and TCP tracking after OpenBSD pf (window
tracking after van Rooij, pf's state names and timeout selection). Reject replies
are built by packets.py from the RFCs.
"""
import frame
import packets
from sim import SlotModel, drops, passes

CATEGORIES = ["ethernet", "emergency", "infrastructure", "environment", "application", "default"]
DEFAULT_TIMEOUTS = {
    "tcp_first": 120, "tcp_opening": 30, "tcp_established": 43200, "tcp_closing": 120, "tcp_finwait": 45,
    "tcp_closed": 20, "udp_first": 60, "udp_single": 30, "udp_multiple": 60, "icmp_first": 20,
    "icmp_error_reply": 10, "other_first": 60, "other_single": 30, "other_multiple": 60, "frag": 30,
    "purge_interval": 10,
}
MAX_RULES_PER_VNIC = 4000
SEC = 10**9

# pf's TCP peer states (sys/netinet/tcp_fsm.h order).
CLOSED, SYN_SENT, ESTABLISHED, CLOSING, FIN_WAIT_2, TIME_WAIT = 0, 2, 4, 7, 9, 10
FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10
MAX_ACK_WINDOW = 65535 + 1500
ICMP_ERRORS = (3, 4, 5, 11, 12)
ICMP_QUERIES = (0, 8, 13, 14, 17, 18)


def u32(x):
    return x & 0xFFFFFFFF


def seq_geq(a, b):
    return ((a - b) & 0xFFFFFFFF) < 0x80000000


def s32(x):
    x &= 0xFFFFFFFF
    return x - (1 << 32) if x >= 0x80000000 else x


class Rule:
    def __init__(self, j, category, strict, section_id, addrsets):
        self.id = j.get("id", 0)
        self.category = category
        self.section = section_id
        self.action = j.get("action", "allow")
        if category == "ethernet" and self.action == "reject":
            self.action = "drop"  # no Ethernet-level reject message exists (DFW-1)
        self.dir = j.get("direction", "inout")
        self.strict = strict
        self.applied_to = j.get("applied_to", [])
        self.src_mac = [frame.mac_to_bytes(m) for m in j.get("src_mac", [])]
        self.dst_mac = [frame.mac_to_bytes(m) for m in j.get("dst_mac", [])]
        self.ethertype = j.get("ethertype")
        srcs = j.get("sources", [])
        dsts = j.get("destinations", [])
        self.src = None if not srcs else frame.addr_ranges(srcs, addrsets)
        self.dst = None if not dsts else frame.addr_ranges(dsts, addrsets)
        self.src_neg = j.get("sources_negate", False)
        self.dst_neg = j.get("destinations_negate", False)
        self.services = []
        for s in j.get("services", []):
            p = s.get("protocol", "any")
            proto = frame.PROTOCOLS[p] if isinstance(p, str) else p
            self.services.append((proto, frame.port_ranges(s.get("src_ports", [])),
                                  frame.port_ranges(s.get("dst_ports", [])), s.get("icmp_type"), s.get("icmp_code")))

    def dir_ok(self, direction):
        return not ((self.dir == "out" and direction != "egress") or (self.dir == "in" and direction != "ingress"))

    def l2_matches(self, f, direction):
        if not self.dir_ok(direction):
            return False
        if self.ethertype is not None and f.ethertype != self.ethertype:
            return False
        if self.src_mac and f.src_mac not in self.src_mac:
            return False
        if self.dst_mac and f.dst_mac not in self.dst_mac:
            return False
        return True

    def l3_matches(self, k, direction):
        """k: dict(src, dst, proto, sport, dport, icmp_type, icmp_code)."""
        if not self.dir_ok(direction):
            return False
        if self.src is not None and frame.in_ranges(self.src, k["src"]) == self.src_neg:
            return False
        if self.src is None and self.src_neg:
            return False
        if self.dst is not None and frame.in_ranges(self.dst, k["dst"]) == self.dst_neg:
            return False
        if self.dst is None and self.dst_neg:
            return False
        if not self.services:
            return True
        for proto, sp, dp, it, ic in self.services:
            if proto is not None and k["proto"] != proto:
                continue
            if sp and (k["sport"] is None or k["proto"] not in (6, 17) or not frame.in_ranges(sp, k["sport"])):
                continue
            if dp and (k["dport"] is None or k["proto"] not in (6, 17) or not frame.in_ranges(dp, k["dport"])):
                continue
            if it is not None and (k["proto"] != 1 or k["icmp_type"] != it):
                continue
            if ic is not None and (k["proto"] != 1 or k["icmp_code"] != ic):
                continue
            return True
        return False


def validate(config, vnic_names):
    """DFW-29/30: what a conforming implementation refuses (None: accepted)."""
    for sec in config.get("sections", []):
        cat = sec.get("category", "application")
        if cat not in CATEGORIES:
            return "bad category"
        for r in sec.get("rules", []):
            if r.get("action") == "jump_to_application" and cat != "environment":
                return "jump_to_application outside environment"
    n = 0
    for sec in config.get("sections", []):
        for r in sec.get("rules", []):
            if r.get("disabled"):
                continue
            at = r.get("applied_to", [])
            if not at or any(a in vnic_names for a in at):
                n += 1
    if n > MAX_RULES_PER_VNIC:
        return "more than 4,000 rules on this vNIC"
    return None


class Peer:
    def __init__(self):
        self.seen = False
        self.seqlo = 0
        self.seqhi = 0
        self.max_win = 0
        self.wscale = None
        self.state = CLOSED
        self.packets = 0


class Conn:
    def __init__(self, key, init_dir, proto, generation):
        self.key = key  # (a_ip, b_ip, a_port, b_port, proto)
        self.init_dir = init_dir
        self.proto = proto
        self.generation = generation
        self.loose = False
        self.icmp_error = False
        self.expires = 0
        self.peer = [Peer(), Peer()]
        self.first = True  # only the creating packet selects tcp.first


class DfwModel(SlotModel):
    reasons = ("rule_match", "state_mismatch", "3wh_error", "bad_offset", "fragment", "icmp_error", "ip_option",
               "memory", "normalization")

    def __init__(self, config, vnic=(1001, 0), slot=2):
        super().__init__(slot)
        self.vnic_names = ["nic-%d-eth%d" % vnic, "nic-%d-eth%d-vmware-sfw.%d" % (vnic[0], vnic[1], slot)]
        self.generation = 1
        self.conns = {}
        self.frags = {}
        self.conn_limit = config.get("conn_limit", 1 << 20)
        self._load(config)

    # -- configuration ------------------------------------------------------------------
    def _load(self, config):
        names = list(self.vnic_names)
        if config.get("vnic_name"):
            names.append(config["vnic_name"])
        self.names = names
        self.timeouts = dict(DEFAULT_TIMEOUTS)
        self.timeouts.update(config.get("timeouts", {}))
        self.drop_ip_options = config.get("drop_ip_options", False)
        self.frag_limit = config.get("frag_limit", 4096)
        strict_default = config.get("tcp_strict", False)
        addrsets = config.get("addrsets", {})
        sections = list(enumerate(config.get("sections", [])))
        # Categories in their fixed order; sections of one category in configuration order.
        sections.sort(key=lambda s: CATEGORIES.index(s[1].get("category", "application")))
        self.l2, self.l3 = [], []
        for i, sec in sections:
            cat = sec.get("category", "application")
            strict = sec.get("tcp_strict", strict_default)
            for r in sec.get("rules", []):
                if r.get("disabled"):
                    continue
                rule = Rule(r, cat, strict, sec.get("id", i + 1), addrsets)
                if rule.applied_to and not any(a in names for a in rule.applied_to):
                    continue  # DFW-11: not installed on this vNIC
                (self.l2 if cat == "ethernet" else self.l3).append(rule)
        d = config.get("default_rule", {})
        default = Rule({"id": d.get("id", 2), "action": d.get("action", "allow")}, "default", strict_default,
                       d.get("section", 0), {})
        self.l3.append(default)

    def reconfigure(self, config):
        if validate(config, self.vnic_names + ([config["vnic_name"]] if config.get("vnic_name") else [])):
            return "invalid"
        self._load(config)
        self.generation += 1  # DFW-22: live connections are re-checked on their next packet
        return "ok"

    def migrate(self):
        # DFW-28: the connection table moves with the VM; entries are re-checked
        # against the destination's rules (the same here) on their next packet.
        for c in self.conns.values():
            c.generation = -1

    def advance(self, now):
        pass  # expiry is evaluated when a packet looks an entry up (DFW-16)

    # -- classification ---------------------------------------------------------------------
    def classify(self, k, direction):
        jumped = False
        for r in self.l3:
            if jumped and r.category == "environment":
                continue
            if not r.l3_matches(k, direction):
                continue
            if r.action == "jump_to_application":
                jumped = True  # DFW-7: continue with the first Application rule
                continue
            return r
        return None

    @staticmethod
    def key_of(f):
        k = {"src": f.src, "dst": f.dst, "proto": f.proto, "sport": None, "dport": None, "icmp_type": None,
             "icmp_code": None}
        if f.proto in (6, 17):
            k["sport"], k["dport"] = f.sport, f.dport
        elif f.proto == 1:
            k["icmp_type"], k["icmp_code"] = f.icmp_type, f.icmp_code
        return k

    @staticmethod
    def ct_ports(f):
        if f.proto in (6, 17):
            return f.sport, f.dport
        if f.proto == 1:
            return f.sport, f.sport  # echo identifier on both sides
        return 0, 0

    def lookup(self, src, dst, sp, dp, proto):
        c = self.conns.get((src, dst, sp, dp, proto))
        if c is not None:
            return c, True
        c = self.conns.get((dst, src, dp, sp, proto))
        if c is not None:
            return c, False
        return None, None

    # -- timeouts ------------------------------------------------------------------------------
    def timeout(self, c):
        t = self.timeouts
        if c.proto == 6:
            a, b = c.peer[0].state, c.peer[1].state
            if c.first:
                s = t["tcp_first"]
            elif a >= FIN_WAIT_2 and b >= FIN_WAIT_2:
                s = t["tcp_closed"]
            elif a >= CLOSING and b >= CLOSING:
                s = t["tcp_finwait"]
            elif a < ESTABLISHED or b < ESTABLISHED:
                s = t["tcp_opening"]
            elif a >= CLOSING or b >= CLOSING:
                s = t["tcp_closing"]
            else:
                s = t["tcp_established"]
        elif c.proto == 1:
            s = t["icmp_error_reply"] if c.icmp_error else t["icmp_first"]
        else:
            pre = "udp_" if c.proto == 17 else "other_"
            if c.peer[1].seen:
                s = t[pre + "multiple"]
            elif c.peer[0].packets > 1:
                s = t[pre + "single"]
            else:
                s = t[pre + "first"]
        return s * SEC

    # -- TCP tracking (pf) -----------------------------------------------------------------------
    @staticmethod
    def _end(f):
        return u32(f.seq + f.payload_len + (1 if f.tcp_flags & SYN else 0) + (1 if f.tcp_flags & FIN else 0))

    def _init_peer(self, s, d, f):
        s.seen = True
        s.seqlo = f.seq
        s.max_win = max(f.window, 1)
        if f.tcp_flags & SYN:
            s.wscale = f.wscale
        dwin = (d.max_win << (d.wscale if (d.wscale is not None and s.wscale is not None) else 0)) if d.seen else 0
        s.seqhi = u32(self._end(f) + max(dwin, 1))

    def tcp_new(self, c, f, loose):
        a = c.peer[0]
        self._init_peer(a, c.peer[1], f)
        a.state = SYN_SENT if f.tcp_flags & SYN else ESTABLISHED
        if loose:
            c.loose = True
            c.peer[1].state = ESTABLISHED
            a.seqhi = u32(self._end(f) + (65535 << 14))
        a.seqlo = self._end(f)
        a.packets += 1

    def tcp_track(self, c, from_init, f):
        s = c.peer[0 if from_init else 1]
        d = c.peer[1 if from_init else 0]
        fl = f.tcp_flags
        if not s.seen:
            if not from_init and not c.loose and d.state == SYN_SENT:
                synack = (fl & (SYN | ACK)) == (SYN | ACK) and f.ack == d.seqlo
                refuse = (fl & RST) and (fl & ACK) and f.ack == d.seqlo
                if not synack and not refuse:
                    return "3wh_error"  # DFW-13
            self._init_peer(s, d, f)
            if c.loose:
                s.seqhi = u32(self._end(f) + (65535 << 14))
        scaled = s.wscale is not None and d.wscale is not None
        sws = s.wscale if scaled else 0
        dws = d.wscale if scaled else 0
        win = f.window if fl & SYN else f.window << sws  # SYN windows are never scaled (RFC 7323 2.2)
        end = self._end(f)
        ack = f.ack if fl & ACK else d.seqlo
        ackskew = s32(d.seqlo - ack)
        in_window = (seq_geq(s.seqhi, end) and
                     (not d.seen or seq_geq(f.seq, u32(s.seqlo - (max(d.max_win, 1) << dws)))) and
                     (not d.seen or (-MAX_ACK_WINDOW <= ackskew <= (MAX_ACK_WINDOW << sws))))
        if not in_window and not (c.loose and not d.seen):
            return "state_mismatch"  # DFW-14
        s.max_win = max(s.max_win, f.window)
        if not seq_geq(s.seqlo, end):
            s.seqlo = end
        if fl & ACK and seq_geq(u32(ack + max(win, 1)), d.seqhi):
            d.seqhi = u32(ack + max(win, 1))
        s.packets += 1
        if fl & SYN and s.state < SYN_SENT:
            s.state = SYN_SENT
        if fl & FIN and s.state < CLOSING:
            s.state = CLOSING
        if fl & ACK:
            if d.state == SYN_SENT:
                d.state = ESTABLISHED
            elif d.state == CLOSING and seq_geq(ack, d.seqlo):
                d.state = FIN_WAIT_2
        if fl & RST:
            s.state = d.state = TIME_WAIT
        return None

    # -- the filter ---------------------------------------------------------------------------------
    def process(self, pkt, direction, now):
        f = frame.parse(pkt, getattr(self, "vlan", 0))
        for r in self.l2:  # DFW-1
            if r.l2_matches(f, direction):
                if r.action != "allow":
                    return drops("rule_match")
                break
        if f.malformed:  # DFW-24
            return drops("bad_offset" if f.bad_tcp_offset else "normalization")
        if not f.ipv4:
            return passes(pkt)  # DFW-33
        if f.ip_options and self.drop_ip_options:
            return drops("ip_option")  # DFW-25
        if f.later_fragment:  # DFW-26
            fr = self.frags.get((f.src, f.dst, f.proto, f.ip_id))
            if fr is None or fr[1] <= now or not fr[0]:
                return drops("fragment")
            return passes(pkt)
        if f.proto == 1 and f.icmp_type in ICMP_ERRORS:
            return self.icmp_error(pkt, f, direction, now)
        v = self.stateful(pkt, f, direction, now)
        if f.fragment:
            # DFW-26: the first fragment's verdict covers the datagram's later fragments.
            if len(self.frags) < self.frag_limit:
                self.frags[(f.src, f.dst, f.proto, f.ip_id)] = (v.kind == "pass", now + self.timeouts["frag"] * SEC)
            elif v.kind == "pass":
                return drops("memory")
        return v

    def stateful(self, pkt, f, direction, now):
        sp, dp = self.ct_ports(f)
        c, from_init = self.lookup(f.src, f.dst, sp, dp, f.proto)
        if c is not None:
            alive = c.expires > now
            if alive and f.proto == 6 and (f.tcp_flags & (SYN | RST | FIN)) == SYN and from_init and \
                    c.peer[0].state == TIME_WAIT and c.peer[1].state == TIME_WAIT:
                alive = False  # DFW-27: a new SYN on a reset connection starts over
            if not alive:
                del self.conns[c.key]
            else:
                if c.generation != self.generation:  # DFW-22
                    a_ip, b_ip, a_port, b_port, proto = c.key
                    k = {"src": a_ip, "dst": b_ip, "proto": proto, "sport": None, "dport": None,
                         "icmp_type": None, "icmp_code": None}
                    if proto in (6, 17):
                        k["sport"], k["dport"] = a_port, b_port
                    elif proto == 1:
                        k["icmp_type"], k["icmp_code"] = (f.icmp_type, f.icmp_code) if from_init else (8, 0)
                    r = self.classify(k, c.init_dir)
                    if r is None or r.action != "allow":
                        del self.conns[c.key]
                        return drops("rule_match")
                    c.generation = self.generation
                if f.proto == 6:
                    bad = self.tcp_track(c, from_init, f)
                    if bad:
                        return drops(bad)
                else:
                    p = c.peer[0 if from_init else 1]
                    p.seen = True
                    p.packets += 1
                c.first = False
                c.expires = now + self.timeout(c)
                return passes(pkt)
        return self.new_connection(pkt, f, direction, now)

    def new_connection(self, pkt, f, direction, now):
        r = self.classify(self.key_of(f), direction)
        action = r.action if r is not None else "allow"
        if action == "drop":
            return drops("rule_match")
        if action == "reject":
            return drops("rule_match", injects=self.reject(pkt, f, direction))
        if f.proto == 6:
            if f.tcp_flags & RST:
                return passes(pkt)  # DFW-27: a RST never creates state
            if (f.tcp_flags & (SYN | ACK)) != SYN:
                if r is not None and r.strict:
                    return drops("state_mismatch")  # DFW-12
                loose = True
            else:
                loose = False
        if f.proto == 1 and f.icmp_type not in ICMP_QUERIES:
            return passes(pkt)
        if len(self.conns) >= self.conn_limit:
            return drops("memory")  # DFW-23
        sp, dp = self.ct_ports(f)
        c = Conn((f.src, f.dst, sp, dp, f.proto), direction, f.proto, self.generation)
        if f.proto == 6:
            self.tcp_new(c, f, loose)
        else:
            c.peer[0].seen = True
            c.peer[0].packets = 1
        c.expires = now + self.timeout(c)
        self.conns[c.key] = c
        return passes(pkt)

    def icmp_error(self, pkt, f, direction, now):
        data = bytes(pkt)
        q = f.l4 + 8
        if len(data) < q + 20 or (data[q] >> 4) != 4 or (data[q] & 0x0F) * 4 < 20 or \
                len(data) < q + (data[q] & 0x0F) * 4 + 8:
            return drops("icmp_error")  # DFW-21
        ihl = (data[q] & 0x0F) * 4
        qs = int.from_bytes(data[q + 12:q + 16], "big")
        qd = int.from_bytes(data[q + 16:q + 20], "big")
        qp = data[q + 9]
        l4 = q + ihl
        if qp in (6, 17):
            sp, dp = int.from_bytes(data[l4:l4 + 2], "big"), int.from_bytes(data[l4 + 2:l4 + 4], "big")
        elif qp == 1:
            sp = dp = int.from_bytes(data[l4 + 4:l4 + 6], "big")
        else:
            sp = dp = 0
        c, _ = self.lookup(qs, qd, sp, dp, qp)
        if c is not None and c.expires > now:
            if c.proto == 1:
                c.icmp_error = True
                c.first = False
                c.expires = now + self.timeout(c)
            return passes(pkt)
        r = self.classify(self.key_of(f), direction)
        if r is None or r.action == "allow":
            return passes(pkt)  # unrelated errors never create state
        return drops("rule_match")

    @staticmethod
    def reject(pkt, f, direction):
        back = "ingress" if direction == "egress" else "egress"
        if f.proto == 6:
            if f.tcp_flags & RST:
                return []  # never answer a RST
            return [(back, packets.tcp_rst_for(pkt), packets.RST_DONTCARE)]
        if f.later_fragment or (f.dst >> 28) == 0xE or f.dst == 0xFFFFFFFF or (f.dst_mac[0] & 1):
            return []  # no ICMP about broadcasts, multicasts or non-initial fragments (RFC 1122 3.2.2)
        if f.proto == 1 and f.icmp_type in ICMP_ERRORS:
            return []
        return [(back, packets.icmp_unreach_for(pkt, 13), packets.ICMP_REPLY_DONTCARE, True)]
