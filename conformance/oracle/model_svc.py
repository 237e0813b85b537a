"""Model of SPEC.md slots 4-12 (service insertion), clauses SI-*.

Matching traffic is redirected to the service through the slow path with metadata
naming the service; what the service hands back continues past the slot. When the
service is unreachable the slot's own failure policy decides (allow: bypass,
block: drop).
"""
from model_acl import Rule, RULE_KEYS
import frame
from sim import SlotModel, drops, faults, passes


def valid(cfg, slot):
    if not 4 <= slot <= 12:
        return False
    if set(cfg) - {"service", "direction", "failure_policy", "match"}:
        return False
    if "service" in cfg and not cfg["service"]:
        return False
    if cfg.get("direction", "inout") not in ("in", "out", "inout"):
        return False
    if cfg.get("failure_policy", "allow") not in ("allow", "block"):
        return False
    for m in cfg.get("match", []):
        if set(m) - (RULE_KEYS - {"action"}):
            return False
    return True


class SvcModel(SlotModel):
    reasons = ("service_down",)

    def __init__(self, config, slot):
        super().__init__(slot)
        self._load(config)

    def _load(self, c):
        self.service = c.get("service", "")
        self.dir = c.get("direction", "inout")
        self.fail_allow = c.get("failure_policy", "allow") == "allow"
        self.match = [Rule(dict(m, action="allow"), i) for i, m in enumerate(c.get("match", []))]

    def reconfigure(self, config):
        if not valid(config, self.slot):
            return "invalid"
        self._load(config)
        return "ok"

    def process(self, pkt, direction, now):
        if (self.dir == "out" and direction != "egress") or (self.dir == "in" and direction != "ingress"):
            return passes(pkt)  # SI-3
        if self.match:
            f = frame.parse(pkt, getattr(self, "vlan", 0))
            if not any(r.matches(f, direction) for r in self.match):
                return passes(pkt)  # SI-4
        if not self.services.get(self.service, True):
            return passes(pkt) if self.fail_allow else drops("service_down")  # SI-5, SI-6
        return faults(b"svc:" + self.service.encode())  # SI-1

    def returned(self, pkt, direction, meta, now):
        return passes(pkt)  # SI-2
