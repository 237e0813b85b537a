"""The oracle's chain: walks packets through per-slot models in IOChain order and
writes what must come out as trace steps.

A scenario drives a `Sim` instead of writing `expect` lines by hand: `sim.send()`
writes the `inject` step, runs the packet through the slot models (SPEC's chain
clauses: egress 0 -> 15, ingress 15 -> 0, injected packets continue just past the
injecting slot, faulted packets wait in the slow path) and writes an `expect` step
for every packet the models say leaves the chain, in the order a host emits them.
Counters are predicted the same way. Nothing here runs or reads the C++ reference.
"""
from scapy.all import raw

import tracelib


class Verdict:
    """What a slot model decided for one packet."""

    def __init__(self, kind, packet=None, reason=None, meta=b"", injects=None, dontcare=()):
        assert kind in ("pass", "drop", "fault")
        self.kind = kind
        self.packet = packet        # pass: the (possibly rewritten) packet
        self.reason = reason        # drop: reason name
        self.meta = meta            # fault: slow-path metadata
        self.injects = injects or []  # [(direction, packet, dontcare[, prefix])]
        self.dontcare = list(dontcare)  # pass: fields of `packet` an implementation may choose


def passes(pkt, injects=None, dontcare=()):
    return Verdict("pass", packet=pkt, injects=injects, dontcare=dontcare)


def drops(reason, injects=None):
    return Verdict("drop", reason=reason, injects=injects)


def faults(meta):
    return Verdict("fault", meta=meta)


class SlotModel:
    """Base of every slot model. Subclasses implement `process`; the rest have
    defaults matching SPEC's generic filter clauses."""

    reasons = ()  # drop reason names (SPEC)

    def __init__(self, slot):
        self.slot = slot

    def process(self, pkt, direction, now):  # -> Verdict
        raise NotImplementedError

    def returned(self, pkt, direction, meta, now):
        return passes(pkt)

    def advance(self, now):
        pass

    def reconfigure(self, config):  # -> status name
        return "ok"

    def migrate(self):
        pass


class ChainSlot:
    def __init__(self, model, policy, failed):
        self.model = model
        self.policy = policy
        self.failed = failed
        self.counters = {"filtered": 0, "passed": 0, "faulted": 0, "injected": 0, "policy_passed": 0}
        self.drops = {}


class Sim:
    def __init__(self, trace):
        self.t = trace
        self.slots = {}
        self.now = 0  # ns
        self.pending_faults = []  # (slot, direction, packet, meta)
        self.disconnected = False
        self.chain_drops = {}
        self.services = {}  # name -> up; a service nobody took down is up

    # -- configuration ----------------------------------------------------------------
    def add(self, slot, model, config, policy="failClosed", failed=False, params=None, agent=None):
        """Configures `slot` in the trace and in the model. `failed`: the model says the
        configuration is refused, so the chain applies `policy`. `agent` fixes the agent
        part of the filter's name (nic-<vm>-eth<n>-<agent>.<slot>) for every
        implementation."""
        self.t.filter(slot, config, failure_policy=policy, params=params, agent=agent)
        self.slots[slot] = ChainSlot(model, policy, failed)
        model.services = self.services
        return model

    def service(self, name, up, note=None):
        self.t.service(name, up, note=note)
        self.services[name] = up

    # -- the walk ---------------------------------------------------------------------------
    @staticmethod
    def _order(direction):
        return list(range(16)) if direction == "egress" else list(range(15, -1, -1))

    def _walk(self, pkt, direction, after_slot, outputs, dontcare=(), prefix=False):
        if self.disconnected:
            # CH-6: a vNIC cut off by a failed restore under failClosed passes nothing.
            self.chain_drops["disconnected"] = self.chain_drops.get("disconnected", 0) + 1
            return
        order = self._order(direction)
        start = 0 if after_slot is None else order.index(after_slot) + 1
        for s in order[start:]:
            cs = self.slots.get(s)
            if cs is None:
                continue
            if cs.failed:
                if cs.policy == "failOpen":
                    cs.counters["policy_passed"] += 1
                    continue
                cs.drops["fail_closed"] = cs.drops.get("fail_closed", 0) + 1
                return
            cs.counters["filtered"] += 1
            cs.model.vlan = getattr(self, "vlan", 0)  # the packet's out-of-band TCI
            v = cs.model.process(pkt, direction, self.now)
            done = self._apply(s, cs, v, direction, outputs, pkt)
            if done:
                return
            pkt = v.packet
            dontcare = v.dontcare or dontcare
        outputs.append((direction, pkt, list(dontcare), None, prefix, None))

    def _apply(self, s, cs, v, direction, outputs, pkt):
        """Books a verdict; returns True when the packet stops here."""
        # Injected packets are flushed when the slot's call returns, before the batch
        # moves on: they reach their exit first.
        finished = v.kind != "pass"
        if v.kind == "drop":
            cs.drops[v.reason] = cs.drops.get(v.reason, 0) + 1
        elif v.kind == "fault":
            cs.counters["faulted"] += 1
        for inj in v.injects:
            d, q, dc = inj[0], inj[1], inj[2]
            cs.counters["injected"] += 1
            self._walk(q, d, s, outputs, dc, len(inj) > 3 and inj[3])
        if v.kind == "fault":
            outputs.append(("slowpath", pkt, [], s, False, v.meta))
            self.pending_faults.append((s, direction, pkt, v.meta))
        if v.kind == "pass":
            cs.counters["passed"] += 1
        return finished

    def _emit(self, outputs, note=None):
        for where, pkt, dontcare, slot, prefix, meta in outputs:
            self.t.expect(where, pkt, dontcare=dontcare, slot=slot, prefix=prefix, meta=meta, note=note)

    # -- steps --------------------------------------------------------------------------------
    def send(self, direction, pkt, id=None, vlan=0, note=None, expect_note=None):
        """Injects `pkt` and expects exactly what the models say comes out."""
        self.t.inject(direction, pkt, id=id, vlan=vlan, note=note)
        outputs = []
        self.vlan = vlan  # out-of-band TCI of the packet being walked (models may read it)
        self._walk(pkt, direction, None, outputs)
        self._emit(outputs, expect_note)
        return outputs

    def advance(self, seconds=0, ms=0, note=None):
        ns = int(seconds * 10**9) + ms * 10**6
        self.t.advance(ns=ns, note=note)
        self.now += ns
        for s in sorted(self.slots):
            self.slots[s].model.advance(self.now)

    def slowpath_return(self, note=None):
        self.t.slowpath_return(note=note)
        faults, self.pending_faults = self.pending_faults, []
        outputs = []
        for s, direction, pkt, meta in faults:
            cs = self.slots[s]
            cs.counters["filtered"] += 1
            v = cs.model.returned(pkt, direction, meta, self.now)
            if not self._apply(s, cs, v, direction, outputs, pkt):
                self._walk(v.packet, direction, s, outputs, v.dontcare)
        self._emit(outputs)

    def slowpath_drop(self, note=None):
        self.t.slowpath_drop(note=note)
        self.pending_faults = []

    def reconfigure(self, slot, config, note=None):
        status = self.slots[slot].model.reconfigure(config)
        self.t.reconfigure(slot, config, expect=status, note=note)
        return status

    def migrate(self, slot, note=None):
        """A VM move: the filter's state goes with it; the host's per-slot counters
        belong to the old host's port and start again from zero."""
        cs = self.slots[slot]
        cs.model.migrate()
        cs.drops = {}
        cs.counters = {k: 0 for k in cs.counters}
        self.t.migrate(slot, note=note)

    def restore(self, slot, blob, ok, note=None):
        """Restores an explicit state blob; `ok` is the model's verdict on it. A
        refused restore under failClosed disconnects the vNIC (facts), under failOpen
        the filter keeps its state."""
        self.t.restore(slot, blob, expect="ok" if ok else "state", note=note)
        if not ok and self.slots[slot].policy == "failClosed":
            self.disconnected = True

    def expect_chain_drops(self, *reasons, note=None):
        for r in reasons:
            self.t.expect_counter("chain.drop.%s" % r, self.chain_drops.get(r, 0), note=note)
            note = None

    def expect_drops(self, slot, *reasons, note=None):
        """Expects the host's drop counters of `slot` for `reasons` (zero included)."""
        cs = self.slots[slot]
        for r in reasons:
            self.t.expect_counter("slot%d.drop.%s" % (slot, r), cs.drops.get(r, 0), note=note)
            note = None

    def expect_counter(self, slot, name, note=None):
        cs = self.slots[slot]
        self.t.expect_counter("slot%d.%s" % (slot, name), cs.counters[name], note=note)

    def expect_none(self, note=None):
        self.t.expect_none(note=note)
