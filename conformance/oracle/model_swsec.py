"""Model of SPEC.md slot 1 (switch security), clauses SW-*.

IP/MAC discovery (ARP snooping with trust on first use, DHCP snooping), binding
limits and timeouts, SpoofGuard on MAC, IP and ARP payloads, segment blocks, rate
limits and ARP suppression. One port is modelled (the trace's vNIC): the segment's
local table holds this port's realised bindings.
"""
import frame
import packets
from sim import SlotModel, drops, passes

SEC = 10**9
BPDU = bytes.fromhex("0180c2000000")
BCAST = b"\xff" * 6


def valid(cfg):
    keys = {"segment", "vnic_mac", "arp_snooping", "dhcp_snooping", "arp_binding_limit", "binding_timeout_min",
            "tofu", "spoofguard", "block_vnic", "arp_suppression", "dhcp_server_block", "dhcp_client_block",
            "non_ip_block", "bpdu_filter", "broadcast_rate_limit_pps", "multicast_rate_limit_pps",
            "static_bindings", "central_table"}
    if set(cfg) - keys:
        return False
    if not 1 <= cfg.get("arp_binding_limit", 1) <= 256:
        return False
    if not 5 <= cfg.get("binding_timeout_min", 10) <= 120:
        return False
    return True


class Bucket:
    """Token bucket: `pps` tokens a second, at most one second's worth (SW-15)."""

    def __init__(self, pps):
        self.pps = pps
        self.tokens = 0
        self.last = None

    def take(self, now):
        if not self.pps:
            return True
        cap = self.pps * SEC
        if self.last is None:
            self.tokens = cap
        elif now > self.last:
            self.tokens = min(cap, self.tokens + (now - self.last) * self.pps)
        self.last = now
        if self.tokens < SEC:
            return False
        self.tokens -= SEC
        return True


class Binding:
    def __init__(self, ip, mac, source, learned, expires):
        self.ip, self.mac, self.source, self.learned, self.expires = ip, mac, source, learned, expires


class SwsecModel(SlotModel):
    reasons = ("vnic_blocked", "spoof_mac", "spoof_ip", "spoof_arp", "arp_suppressed", "dhcp_server_block",
               "dhcp_client_block", "non_ip", "bpdu", "broadcast_rate", "multicast_rate", "malformed")

    def __init__(self, config, slot=1):
        super().__init__(slot)
        self.bindings = []
        self.now = 0
        self._load(config)

    def _load(self, c):
        self.cfg = c
        self.vnic_mac = frame.mac_to_bytes(c["vnic_mac"]) if c.get("vnic_mac") else None
        self.arp_snooping = c.get("arp_snooping", True)
        self.dhcp_snooping = c.get("dhcp_snooping", True)
        self.limit = c.get("arp_binding_limit", 1)
        self.lifetime = c.get("binding_timeout_min", 10) * 60 * SEC
        self.tofu = c.get("tofu", True)
        self.spoofguard = c.get("spoofguard", True)
        self.block = c.get("block_vnic", False)
        self.suppression = c.get("arp_suppression", True)
        self.server_block = c.get("dhcp_server_block", True)
        self.client_block = c.get("dhcp_client_block", False)
        self.non_ip_block = c.get("non_ip_block", False)
        self.bpdu_filter = c.get("bpdu_filter", True)
        b = c.get("broadcast_rate_limit_pps", {})
        m = c.get("multicast_rate_limit_pps", {})
        self.bcast = {"egress": Bucket(b.get("tx", 0)), "ingress": Bucket(b.get("rx", 0))}
        self.mcast = {"egress": Bucket(m.get("tx", 0)), "ingress": Bucket(m.get("rx", 0))}
        self.central = {frame.ip_to_int(e["ip"]): frame.mac_to_bytes(e["mac"]) for e in c.get("central_table", [])}
        # Static bindings follow the configuration (SW-7).
        self.bindings = [b for b in self.bindings if b.source != "static"]
        for s in c.get("static_bindings", []):
            self.bindings.append(Binding(frame.ip_to_int(s["ip"]), frame.mac_to_bytes(s["mac"]), "static", self.now,
                                         None))
        self._enforce_limit()

    def reconfigure(self, config):
        if not valid(config):
            return "invalid"
        self._load(config)
        return "ok"

    def migrate(self):
        pass  # SW-20: bindings move with their remaining lifetimes

    # -- bindings -----------------------------------------------------------------------
    def advance(self, now):
        self.now = now
        self.bindings = [b for b in self.bindings if b.expires is None or b.expires > now]

    def _arp_count(self):
        return sum(1 for b in self.bindings if b.source == "arp")

    def _enforce_limit(self):
        # SW-21: lowering the limit keeps the newest ARP bindings.
        while self._arp_count() > self.limit:
            oldest = min((b for b in self.bindings if b.source == "arp"), key=lambda b: b.learned)
            self.bindings.remove(oldest)

    def learn(self, ip, mac, source, now, lifetime):
        expires = now + lifetime if lifetime else None
        for b in self.bindings:
            if b.ip == ip and b.source == source:
                b.mac = mac
                if source != "arp":
                    b.learned = now
                b.expires = expires  # SW-4: a refresh restarts the timeout
                return
        if source == "arp" and self._arp_count() >= self.limit:
            if self.tofu:
                return  # SW-3: the first bindings stay
            self.bindings.append(Binding(ip, mac, source, now, expires))
            self._enforce_limit()
            return
        if source == "dhcp" and sum(1 for b in self.bindings if b.source == "dhcp") >= 16:
            return
        self.bindings.append(Binding(ip, mac, source, now, expires))

    def mac_allowed(self, mac):
        if self.vnic_mac is not None:
            return mac == self.vnic_mac
        return not self.bindings or any(b.mac == mac for b in self.bindings)

    def ip_bound(self, ip):
        return any(b.ip == ip for b in self.bindings)

    def local_mac(self, ip):
        for b in self.bindings:
            if b.ip == ip:
                return b.mac
        return None

    # -- the filter ----------------------------------------------------------------------------
    def process(self, pkt, direction, now):
        self.advance(now)
        data = bytes(pkt)
        f = frame.parse(data, getattr(self, "vlan", 0))
        if self.block:
            return drops("vnic_blocked")  # SW-11
        if direction == "ingress":
            return self.ingress(pkt, data, f, now)
        if f.truncated_l2:
            return drops("malformed")
        if f.dst_mac == BPDU:
            if self.bpdu_filter:
                return drops("bpdu")  # SW-14
        elif self.non_ip_block and f.ethertype not in (0x0800, 0x86DD, 0x0806):
            return drops("non_ip")  # SW-13
        if f.dst_mac == BCAST:
            if not self.bcast["egress"].take(now):
                return drops("broadcast_rate")  # SW-15
        elif f.dst_mac[0] & 1:
            if not self.mcast["egress"].take(now):
                return drops("multicast_rate")
        if self.spoofguard and not self.mac_allowed(f.src_mac):
            return drops("spoof_mac")  # SW-9
        if f.ethertype == 0x0806:
            return self.arp(pkt, data, f, now)
        if f.ethertype == 0x0800:
            if f.malformed:
                return drops("malformed")
            if f.proto == 17 and f.dport == 68 and self.server_block:
                return drops("dhcp_server_block")  # SW-12
            if f.proto == 17 and f.dport == 67 and self.client_block:
                return drops("dhcp_client_block")
            if self.spoofguard:
                dhcp_client = f.src == 0 and f.proto == 17 and f.sport == 68 and f.dport == 67
                if not dhcp_client and not self.ip_bound(f.src):
                    return drops("spoof_ip")  # SW-8
        return passes(pkt)

    def arp(self, pkt, data, f, now):
        a = data[f.l3:]
        if len(a) < 28 or a[0:2] != b"\x00\x01" or a[2:4] != b"\x08\x00" or a[4] != 6 or a[5] != 4:
            return drops("malformed")  # SW-23
        op = int.from_bytes(a[6:8], "big")
        smac = a[8:14]
        sip = int.from_bytes(a[14:18], "big")
        tip = int.from_bytes(a[24:28], "big")
        if self.arp_snooping and sip != 0 and smac == f.src_mac and (self.vnic_mac is None or smac == self.vnic_mac):
            self.learn(sip, smac, "arp", now, self.lifetime)  # SW-2
        if self.spoofguard:
            if not self.mac_allowed(smac):
                return drops("spoof_arp")  # SW-10
            if sip != 0 and not self.ip_bound(sip):
                return drops("spoof_arp")
        if self.suppression and op == 1 and tip != sip and tip != 0:
            local = self.local_mac(tip)
            answer = local if local is not None and local != smac else self.central.get(tip)  # SW-16, SW-17
            if answer is None:
                return passes(pkt)  # SW-18: neither knows; the broadcast goes out
            reply = packets.arp_reply(fmt_mac(smac), frame.int_to_ip(sip), fmt_mac(answer), frame.int_to_ip(tip))
            return drops("arp_suppressed", injects=[("ingress", reply, [])])
        return passes(pkt)

    def ingress(self, pkt, data, f, now):
        if f.dst_mac == BCAST:
            if not self.bcast["ingress"].take(now):
                return drops("broadcast_rate")
        elif f.dst_mac[0] & 1:
            if not self.mcast["ingress"].take(now):
                return drops("multicast_rate")
        if self.dhcp_snooping and f.ipv4 and not f.malformed and f.proto == 17 and f.sport == 67 and f.dport == 68:
            self.snoop_dhcp(data, f, now)  # SW-5
        return passes(pkt)

    def snoop_dhcp(self, data, f, now):
        b = f.l4 + 8
        if len(data) < b + 240 or data[b + 236:b + 240] != b"\x63\x82\x53\x63":
            return
        yiaddr = int.from_bytes(data[b + 16:b + 20], "big")
        chaddr = data[b + 28:b + 34]
        msg, lease = None, None
        i = b + 240
        while i < len(data) and data[i] != 255:
            if data[i] == 0:
                i += 1
                continue
            if i + 1 >= len(data):
                break
            n = data[i + 1]
            if data[i] == 53 and n == 1:
                msg = data[i + 2]
            if data[i] == 51 and n == 4:
                lease = int.from_bytes(data[i + 2:i + 6], "big")
            i += 2 + n
        if msg != 5 or yiaddr == 0 or (self.vnic_mac is not None and chaddr != self.vnic_mac):
            return
        life = None if lease == 0xFFFFFFFF else (3600 if lease is None else lease) * SEC
        self.learn(yiaddr, chaddr, "dhcp", now, life)


def fmt_mac(b):
    return ":".join("%02x" % x for x in b)
