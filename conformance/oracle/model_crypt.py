"""Model of SPEC.md slot 15 (network encryption), clauses ENC-*.

ESP in transport mode (RFC 4303) with AES-256-GCM (RFC 4106): SPI, sequence number,
8-byte explicit IV (the 64-bit sequence counter), RFC 4303 default padding, pad
length, next header, 16-byte ICV; AAD = SPI || sequence number; nonce = salt || IV.
Epoch keys are derived with HMAC-SHA256 (hashlib/hmac); AES-GCM is aesgcm.py.
"""
import hashlib
import hmac
import struct

from scapy.all import Ether

import aesgcm
import frame
from model_acl import Rule
from sim import SlotModel, drops, passes

SEC = 10**9
MAX_EPOCHS = 65536


def checksum(b):
    if len(b) % 2:
        b += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def fix_ip(hdr, total, proto):
    h = bytearray(hdr)
    h[2:4] = total.to_bytes(2, "big")
    h[9] = proto
    h[10:12] = b"\x00\x00"
    h[10:12] = checksum(bytes(h)).to_bytes(2, "big")
    return bytes(h)


def epoch_key(master, epoch):
    """ENC-8: epoch 0 is the configured key and salt; epoch e > 0 uses
    key = HMAC-SHA256(K, "vnetref-rekey" || e), salt = first 4 bytes of
    HMAC-SHA256(K, "vnetref-rekes" || e), e as a 32-bit big-endian number."""
    key, salt = master[:32], master[32:36]
    if epoch == 0:
        return key, salt
    e = epoch.to_bytes(4, "big")
    k = hmac.new(key, b"vnetref-rekey" + e, hashlib.sha256).digest()
    s = hmac.new(key, b"vnetref-rekes" + e, hashlib.sha256).digest()[:4]
    return k, s


def valid(cfg):
    if set(cfg) - {"policies"}:
        return False
    for p in cfg.get("policies", []):
        keys = {"id", "match", "spi_out", "spi_in", "key_out", "key_in", "rekey_after_packets",
                "rekey_after_seconds", "replay_window", "require_encryption"}
        if set(p) - keys:
            return False
        for k in ("key_out", "key_in"):
            v = p.get(k, "")
            if len(v) != 72 or any(c not in "0123456789abcdefABCDEF" for c in v):
                return False
        w = p.get("replay_window", 64)
        if not 64 <= w <= 1024 or w % 64:
            return False
        if not 256 <= p.get("spi_out", 0) or not 256 <= p.get("spi_in", 0):
            return False
    return True


def esp_frame(l2, ip_hdr, payload, proto, spi, seq, master, epoch):
    """The ESP transport-mode frame for `payload` (RFC 4303 2, RFC 4106 3)."""
    key, salt = epoch_key(master, epoch)
    pad = (4 - (len(payload) + 2) % 4) % 4
    pt = payload + bytes(range(1, pad + 1)) + bytes([pad, proto])
    hdr = spi.to_bytes(4, "big") + (seq & 0xFFFFFFFF).to_bytes(4, "big")
    iv = seq.to_bytes(8, "big")
    ct, tag = aesgcm.encrypt(key, salt + iv, pt, hdr)
    ihl = len(ip_hdr)
    return l2 + fix_ip(ip_hdr, ihl + 16 + len(ct) + 16, 50) + hdr + iv + ct + tag


class Policy:
    def __init__(self, j, i):
        self.id = j.get("id", i + 1)
        self.match = [Rule(dict(m, action="allow"), n) for n, m in enumerate(j.get("match", []))]
        self.spi_out, self.spi_in = j["spi_out"], j["spi_in"]
        self.key_out, self.key_in = bytes.fromhex(j["key_out"]), bytes.fromhex(j["key_in"])
        self.rekey_packets = j.get("rekey_after_packets", 0)
        self.rekey_seconds = j.get("rekey_after_seconds", 0)
        self.window = j.get("replay_window", 64)
        self.require = j.get("require_encryption", True)

    def matches(self, f, direction):
        return not self.match or any(r.matches(f, direction) for r in self.match)


class InSa:
    def __init__(self, epoch):
        self.epoch, self.t, self.seen = epoch, 0, set()


class State:
    def __init__(self, now):
        self.epoch, self.seq, self.pkts, self.start = 0, 0, 0, now
        self.ins = []  # newest first, at most two
        self.in_epoch = 0


class CryptModel(SlotModel):
    reasons = ("esp_malformed", "esp_auth_failed", "esp_replay", "esp_unknown_spi", "plaintext_violation",
               "seq_exhausted", "fragment", "no_room", "crypto_error")

    def __init__(self, config, slot=15):
        super().__init__(slot)
        self.now = 0
        self.policies = [Policy(p, i) for i, p in enumerate(config.get("policies", []))]
        self.states = [State(0) for _ in self.policies]

    def reconfigure(self, config):
        if not valid(config):
            return "invalid"
        old = {(p.spi_out, p.key_out): s for p, s in zip(self.policies, self.states)}
        self.policies = [Policy(p, i) for i, p in enumerate(config.get("policies", []))]
        # ENC-12: a key never meets a nonce twice. A policy whose outbound SPI and key
        # are unchanged keeps its SA and sequence counter; new keys start at epoch 0.
        self.states = [old.get((p.spi_out, p.key_out), State(self.now)) for p in self.policies]
        return "ok"

    def advance(self, now):
        for p, st in zip(self.policies, self.states):
            if p.rekey_seconds and st.seq > 0:
                due = st.start + p.rekey_seconds * SEC
                if due <= now:
                    self.rekey(st, due)
        self.now = now

    @staticmethod
    def rekey(st, now):
        if st.epoch + 1 < MAX_EPOCHS:
            st.epoch += 1
            st.seq = 0
            st.pkts = 0
            st.start = now

    def process(self, pkt, direction, now):
        self.advance(now)
        data = bytes(pkt)
        f = frame.parse(data, getattr(self, "vlan", 0))
        if not f.ipv4 or f.malformed or not self.policies:
            return passes(pkt)
        if direction == "egress":
            for p, st in zip(self.policies, self.states):
                if not p.matches(f, "egress"):
                    continue
                if f.fragment:
                    return drops("fragment")  # ENC-10
                return self.encrypt(data, f, p, st, now)
            return passes(pkt)  # ENC-2
        if f.proto == 50:
            spi = int.from_bytes(data[f.l4:f.l4 + 4], "big") if len(data) >= f.l4 + 4 else None
            for p, st in zip(self.policies, self.states):
                if spi is not None and p.spi_in <= spi < p.spi_in + MAX_EPOCHS:
                    if f.fragment:
                        return drops("fragment")
                    return self.decrypt(data, f, p, st, spi - p.spi_in)
            return passes(pkt)  # ENC-7: not ours (the VM's own IPsec)
        rev = frame.Fields()
        rev.__dict__.update(f.__dict__)
        rev.src, rev.dst = f.dst, f.src
        rev.sport, rev.dport = f.dport, f.sport
        rev.src_mac, rev.dst_mac = f.dst_mac, f.src_mac
        for p in self.policies:
            if p.require and p.matches(rev, "egress"):
                return drops("plaintext_violation")  # ENC-6
        return passes(pkt)

    def encrypt(self, data, f, p, st, now):
        if (p.rekey_packets and st.pkts >= p.rekey_packets) or \
                (p.rekey_seconds and now - st.start >= p.rekey_seconds * SEC) or st.seq == 0xFFFFFFFF:
            self.rekey(st, now)  # ENC-8
        if st.seq >= 0xFFFFFFFF:
            return drops("seq_exhausted")
        ihl = f.l4 - f.l3
        ip_hdr = data[f.l3:f.l4]
        payload = data[f.l4:f.l3 + f.total_len]  # ENC-13: Ethernet padding is not encrypted
        st.seq += 1
        st.pkts += 1
        out = esp_frame(data[:f.l3], ip_hdr, payload, f.proto, p.spi_out + st.epoch, st.seq, p.key_out, st.epoch)
        assert ihl == len(ip_hdr)
        return passes(Ether(out))

    def decrypt(self, data, f, p, st, epoch):
        sa = next((s for s in st.ins if s.epoch == epoch), None)
        fresh = None
        if sa is None:
            if epoch == st.in_epoch + 1 or (epoch == 0 and not st.ins):
                fresh = sa = InSa(epoch)  # ENC-9: the sender's next epoch
            else:
                return drops("esp_unknown_spi")
        esp = data[f.l4:f.l3 + f.total_len]
        if len(esp) < 8 + 8 + 4 + 16:
            return drops("esp_malformed")  # ENC-11
        seq = int.from_bytes(esp[4:8], "big")
        if seq == 0:
            return drops("esp_malformed")
        if seq <= sa.t and (sa.t - seq >= p.window or seq in sa.seen):
            return drops("esp_replay")  # ENC-5
        key, salt = epoch_key(p.key_in, epoch)
        pt = aesgcm.decrypt(key, salt + esp[8:16], esp[16:-16], esp[:8], esp[-16:])
        if pt is None:
            return drops("esp_auth_failed")  # ENC-4
        pad, nh = pt[-2], pt[-1]
        if pad + 2 > len(pt) or pt[-2 - pad:-2] != bytes(range(1, pad + 1)) or nh in (59, 50):
            return drops("esp_malformed")
        if seq > sa.t:
            sa.t = seq
        sa.seen = {s for s in sa.seen | {seq} if sa.t - s < 1024}
        if fresh is not None:
            st.ins = [fresh] + st.ins[:1]
            st.in_epoch = epoch
        payload = pt[:-2 - pad]
        ip_hdr = data[f.l3:f.l4]
        out = data[:f.l3] + fix_ip(ip_hdr, len(ip_hdr) + len(payload), nh) + payload
        return passes(Ether(out))  # ENC-3
