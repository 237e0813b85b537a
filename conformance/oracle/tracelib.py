"""Writes golden traces (conformance/FORMAT.md, version 1) from Scapy packets.

A scenario builds a `Trace`, injects packets, and states what must come out — the
expected packets and counters come from the oracle's model of SPEC.md, never from
running the C++ reference. `Trace.text()` writes packet hex split at Scapy layer
boundaries and the Scapy expression of each packet as a comment, so a trace reads
and diffs well in review.

Standard library + Scapy only; run by /usr/bin/python3.
"""
import json

from scapy.all import Packet, NoPayload, Padding, raw  # noqa: F401

FORMAT_VERSION = 1
DIRECTIONS = ("egress", "ingress")
WHERE = ("egress", "ingress", "slowpath")
STATUSES = ("ok", "invalid", "nomem", "busy", "unsupported", "state", "failed", "version", "too_small", "down", "error")


def layer_groups(pkt):
    """Hex of `pkt` split at Scapy layer boundaries: easier to review than one blob."""
    data = raw(pkt)
    if not isinstance(pkt, Packet):
        return [data.hex()]
    groups = []
    off = 0
    layer = pkt
    while isinstance(layer, Packet) and not isinstance(layer, NoPayload):
        total = len(raw(layer))
        rest = len(raw(layer.payload)) if not isinstance(layer.payload, NoPayload) else 0
        hdr = total - rest
        if hdr <= 0 or off + hdr > len(data):
            break
        groups.append(data[off:off + hdr].hex())
        off += hdr
        layer = layer.payload
    if off < len(data):
        groups.append(data[off:].hex())
    return [g for g in groups if g]


def scapy_note(pkt):
    if isinstance(pkt, Packet):
        try:
            return "scapy: " + pkt.command()
        except AttributeError:  # a layer Scapy cannot print as an expression
            return "scapy: " + pkt.summary()
    return None


def _pinned(pkt):
    """A copy with every field explicit (checksums and lengths frozen)."""
    return pkt.__class__(raw(pkt))


_CANDIDATES = (
    (0, (1 << 64) - 1),
    (0, (1 << 32) - 1),
    (0, (1 << 16) - 1),
    (0, (1 << 8) - 1),
    (0, (1 << 4) - 1),
    (0, (1 << 3) - 1),
    (0, 1),
    ("00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"),
    ("0.0.0.0", "255.255.255.255"),
)


def field_mask(pkt, spec):
    """Bit mask (bytes) covering field `spec` = "Layer.field" or "Layer#2.field".

    Found by building the packet with two extreme values of the field and every
    other field frozen: the bits that change are the field. No per-protocol offset
    tables, so it works for any Scapy layer.
    """
    layer_name, field = spec.split(".", 1)
    index = 1
    if "#" in layer_name:
        layer_name, idx = layer_name.split("#")
        index = int(idx)
    base = _pinned(pkt)
    n = 0
    target = None
    layer = base
    while isinstance(layer, Packet) and not isinstance(layer, NoPayload):
        if layer.__class__.__name__ == layer_name:
            n += 1
            if n == index:
                target = layer
                break
        layer = layer.payload
    if target is None:
        raise ValueError("layer %s not in packet %s" % (layer_name, pkt.summary()))
    if field not in [f.name for f in target.fields_desc]:
        raise ValueError("field %s not in %s" % (field, layer_name))
    original = raw(base)
    mask = bytearray(len(original))
    found = False
    for a, b in _CANDIDATES:
        try:
            setattr(target, field, a)
            ra = raw(base)
            setattr(target, field, b)
            rb = raw(base)
        except Exception:  # value not valid for this field type
            continue
        if len(ra) != len(original) or len(rb) != len(original):
            continue
        diff = [x ^ y for x, y in zip(ra, rb)]
        if any(diff):
            for i, d in enumerate(diff):
                mask[i] |= d
            found = True
            break
    if not found:
        raise ValueError("cannot locate field %s" % spec)
    return bytes(mask)


def pattern_text(data, dontcare_mask=None, groups=None):
    """Hex with '*' for every nibble that touches a don't-care bit, in layer groups."""
    out = []
    for i, byte in enumerate(data):
        m = dontcare_mask[i] if dontcare_mask else 0
        hi = "*" if m & 0xF0 else "%x" % (byte >> 4)
        lo = "*" if m & 0x0F else "%x" % (byte & 0xF)
        out.append(hi + lo)
    if not groups:
        return "".join(out)
    text = []
    pos = 0
    for g in groups:
        n = len(g) // 2
        text.append("".join(out[pos:pos + n]))
        pos += n
    if pos < len(out):
        text.append("".join(out[pos:]))
    return " ".join(t for t in text if t)


def duration_text(ns):
    for unit_ns, name in ((3600 * 10**9, "h"), (60 * 10**9, "m"), (10**9, "s"), (10**6, "ms"), (10**3, "us")):
        if ns and ns % unit_ns == 0:
            return "%d%s" % (ns // unit_ns, name)
    return "%dns" % ns


class Trace:
    """One golden trace. Methods append steps in order; text() renders it."""

    def __init__(self, slot, case, clauses, description, vnic=None):
        assert slot == "chain" or (isinstance(slot, int) and 0 <= slot <= 15)
        assert clauses, "every trace names the clauses it tests"
        self.slot = slot
        self.case = case
        self.clauses = list(clauses)
        self.description = description
        self.vnic = vnic  # (vm, index, port) or None for the defaults (1001, 0, 7)
        self.filters = []
        self.steps = []
        self.ids = set()

    # -- configuration --------------------------------------------------------
    def filter(self, slot, config=None, failure_policy=None, agent=None, params=None):
        entry = {"slot": slot}
        if agent:
            entry["agent"] = agent
        if failure_policy:
            assert failure_policy in ("failOpen", "failClosed")
            entry["failure_policy"] = failure_policy
        entry["config"] = config if config is not None else {}
        if params:
            entry["params"] = params
        assert all(f["slot"] != slot for f in self.filters), "slot configured twice"
        self.filters.append(entry)
        self.filters.sort(key=lambda f: f["slot"])
        return self

    # -- steps ------------------------------------------------------------------
    def _step(self, line, note=None):
        self.steps.append((note, line))

    def inject(self, direction, pkt, id=None, port=0, vlan=0, note=None):
        assert direction in DIRECTIONS
        data = raw(pkt)
        assert 0 < len(data) <= 65535
        parts = ["inject", direction]
        if id:
            assert id not in self.ids, "packet id used twice: " + id
            self.ids.add(id)
            parts.append("id=" + id)
        if port:
            parts.append("port=%d" % port)
        if vlan:
            parts.append("vlan=%d" % vlan)
        parts.append(pattern_text(data, None, layer_groups(pkt)))
        self._step(" ".join(parts), _join_notes(note, scapy_note(pkt)))

    def expect(self, where, pkt, id=None, prefix=False, dontcare=(), slot=None, meta=None, note=None):
        """Expect `pkt` (Scapy or bytes) to leave at `where`. `dontcare` names fields
        ("IP.id", "IP.chksum") an implementation may choose; `prefix` allows the actual
        packet to be longer (only the given bytes are compared)."""
        assert where in WHERE
        data = raw(pkt)
        mask = None
        if dontcare:
            mask = bytearray(len(data))
            for spec in dontcare:
                for i, m in enumerate(field_mask(pkt, spec)):
                    mask[i] |= m
        parts = ["expect", where]
        if id:
            parts.append("id=" + id)
        if slot is not None:
            assert where == "slowpath"
            parts.append("slot=%d" % slot)
        if meta is not None:
            assert where == "slowpath"
            parts.append("meta=" + (bytes(meta).hex() or "-"))
        if prefix:
            parts.append("match=prefix")
        parts.append(pattern_text(data, mask, layer_groups(pkt)))
        self._step(" ".join(parts), _join_notes(note, scapy_note(pkt)))

    def expect_any(self, where, id=None, slot=None, note=None):
        parts = ["expect", where]
        if id:
            parts.append("id=" + id)
        if slot is not None:
            parts.append("slot=%d" % slot)
        parts.append("any")
        self._step(" ".join(parts), note)

    def expect_none(self, where=None, note=None):
        assert where is None or where in WHERE
        self._step("expect none" + ("" if where is None else " " + where), note)

    def expect_counter(self, name, value, note=None):
        assert isinstance(value, int) and value >= 0
        self._step("expect counter %s %d" % (name, value), note)

    def advance(self, seconds=0, ms=0, us=0, ns=0, note=None):
        total = int(seconds * 10**9) + ms * 10**6 + us * 10**3 + ns
        assert total > 0
        self._step("advance " + duration_text(total), note)

    def reconfigure(self, slot, config, expect="ok", note=None):
        assert expect in STATUSES
        line = "reconfigure %d%s\n%s\nend" % (slot, "" if expect == "ok" else " expect=" + expect,
                                              json.dumps(config, indent=2))
        self._step(line, note)

    def migrate(self, slot, expect="ok", note=None):
        self._step("migrate %d%s" % (slot, "" if expect == "ok" else " expect=" + expect), note)

    def restore(self, slot, blob, expect="ok", note=None):
        line = "restore %d%s" % (slot, "" if expect == "ok" else " expect=" + expect)
        if blob:
            line += " " + bytes(blob).hex()
        self._step(line, note)

    def ioctl(self, slot, request, expect="ok", note=None):
        self._step("ioctl %d%s %s" % (slot, "" if expect == "ok" else " expect=" + expect, request), note)

    def expect_reply(self, contains, note=None):
        self._step("expect reply contains " + contains, note)

    def service(self, name, up, note=None):
        self._step("service %s %s" % (name, "up" if up else "down"), note)

    def slowpath_return(self, count=0, meta=None, note=None):
        line = "slowpath return"
        if count:
            line += " count=%d" % count
        if meta:
            line += " meta=" + bytes(meta).hex()
        self._step(line, note)

    def slowpath_drop(self, count=0, note=None):
        self._step("slowpath drop" + (" count=%d" % count if count else ""), note)

    # -- output -------------------------------------------------------------------
    def suite(self):
        return "chain" if self.slot == "chain" else "slot%d" % self.slot

    def text(self):
        out = ["vnetref-trace %d" % FORMAT_VERSION,
               "slot %s" % self.slot,
               "case " + self.case,
               "clauses " + " ".join(self.clauses),
               "description " + " ".join(self.description.split())]
        if self.vnic and tuple(self.vnic) != (1001, 0, 7):
            out.append("vnic vm=%d index=%d port=%d" % tuple(self.vnic))
        filters = self.filters
        if not filters and self.slot != "chain":
            filters = [{"slot": self.slot, "config": {}}]
        out.append("config")
        out.append(json.dumps(filters, indent=2))
        out.append("end")
        for note, line in self.steps:
            out.append("")
            if note:
                for n in note.split("\n"):
                    out.append("# " + n if n else "#")
            out.append(line)
        return "\n".join(out) + "\n"


def _join_notes(*notes):
    return "\n".join(n for n in notes if n) or None
