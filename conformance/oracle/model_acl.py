"""Model of SPEC.md slot 0 (stateless ACL), clauses ACL-*.

The decision for a packet depends only on the packet, its direction and the rules:
first matching rule in order, else the default action.
"""
import frame
from sim import SlotModel, drops, passes

MAX_RULES = 1024
RULE_KEYS = {"id", "action", "direction", "src_mac", "dst_mac", "ethertype", "vlan", "src", "dst", "protocol",
             "src_ports", "dst_ports", "icmp_type", "icmp_code"}


def valid(config):
    """ACL-13: what a conforming implementation must refuse."""
    if set(config) - {"default_action", "rules"}:
        return False
    if config.get("default_action", "allow") not in ("allow", "drop"):
        return False
    rules = config.get("rules", [])
    if len(rules) > MAX_RULES:
        return False
    for r in rules:
        if set(r) - RULE_KEYS or r.get("action") not in ("allow", "drop"):
            return False
        proto = r.get("protocol", "any")
        num = frame.PROTOCOLS.get(proto, proto) if isinstance(proto, str) else proto
        if isinstance(proto, str) and proto not in frame.PROTOCOLS:
            return False
        if (r.get("src_ports") or r.get("dst_ports")) and num not in (6, 17):
            return False
        if ("icmp_type" in r or "icmp_code" in r) and num != 1:
            return False
        for k in ("src", "dst"):
            for a in r.get(k, []):
                try:
                    frame.addr_ranges([a])
                except (ValueError, IndexError):
                    return False
    return True


class Rule:
    def __init__(self, j, index):
        self.id = j.get("id", index + 1)
        self.allow = j["action"] == "allow"
        self.dir = j.get("direction", "inout")
        self.src_mac = [frame.mac_to_bytes(m) for m in j.get("src_mac", [])]
        self.dst_mac = [frame.mac_to_bytes(m) for m in j.get("dst_mac", [])]
        self.ethertype = j.get("ethertype")
        self.vlan = j.get("vlan")
        self.src = frame.addr_ranges(j["src"]) if "src" in j else None
        self.dst = frame.addr_ranges(j["dst"]) if "dst" in j else None
        p = j.get("protocol", "any")
        self.proto = frame.PROTOCOLS[p] if isinstance(p, str) else p
        self.sport = frame.port_ranges(j.get("src_ports", []))
        self.dport = frame.port_ranges(j.get("dst_ports", []))
        self.icmp_type = j.get("icmp_type")
        self.icmp_code = j.get("icmp_code")

    def matches(self, f, direction):
        if self.dir == "out" and direction != "egress":
            return False
        if self.dir == "in" and direction != "ingress":
            return False
        if self.ethertype is not None and f.ethertype != self.ethertype:
            return False
        if self.vlan is not None and f.vlan != self.vlan:
            return False
        if self.src_mac and f.src_mac not in self.src_mac:
            return False
        if self.dst_mac and f.dst_mac not in self.dst_mac:
            return False
        # ACL-11: L3/L4 conditions only match well-formed IPv4.
        needs_ip = self.src is not None or self.dst is not None or self.proto is not None
        if needs_ip and (not f.ipv4 or f.malformed):
            return False
        if self.src is not None and not frame.in_ranges(self.src, f.src):
            return False
        if self.dst is not None and not frame.in_ranges(self.dst, f.dst):
            return False
        if self.proto is not None and f.proto != self.proto:
            return False
        if self.sport or self.dport:
            if f.sport is None or f.proto not in (6, 17) or f.malformed:
                return False
            if self.sport and not frame.in_ranges(self.sport, f.sport):
                return False
            if self.dport and not frame.in_ranges(self.dport, f.dport):
                return False
        if self.icmp_type is not None or self.icmp_code is not None:
            if f.icmp_type is None or f.malformed:
                return False
            if self.icmp_type is not None and f.icmp_type != self.icmp_type:
                return False
            if self.icmp_code is not None and f.icmp_code != self.icmp_code:
                return False
        return True


class AclModel(SlotModel):
    reasons = ("rule_match", "default_action")

    def __init__(self, config, slot=0):
        super().__init__(slot)
        self._load(config)

    def _load(self, config):
        self.default_allow = config.get("default_action", "allow") == "allow"
        self.rules = [Rule(r, i) for i, r in enumerate(config.get("rules", []))]

    def decide(self, pkt, direction, vlan=0):
        """(allow?, reason, rule id or None)"""
        f = frame.parse(pkt, vlan)
        for r in self.rules:
            if r.matches(f, direction):
                return r.allow, "rule_match", r.id
        return self.default_allow, "default_action", None

    def process(self, pkt, direction, now):
        allow, reason, _ = self.decide(pkt, direction, getattr(self, "vlan", 0))
        return passes(pkt) if allow else drops(reason)

    def reconfigure(self, config):
        if not valid(config):
            return "invalid"  # ACL-13: the old rules stay in force
        self._load(config)
        return "ok"
