"""Slot 15 (network encryption) scenarios: SPEC.md clauses ENC-*.

Expected ciphertexts are computed by the oracle's own AES-256-GCM (aesgcm.py,
checked against published vectors before generation) from RFC 4303 / RFC 4106."""
from scapy.all import Ether, IP, Raw, raw

import aesgcm
import packets as P
from packets import PEER2_IP, PEER_IP, PEER_MAC, VM_IP, VM_MAC
from model_crypt import CryptModel, esp_frame, valid
from sim import Sim
from tracelib import Trace

KEY_OUT = "".join("%02x" % (0x10 + i) for i in range(32)) + "cafebabe"
KEY_IN = "".join("%02x" % (0xA0 + i) for i in range(32)) + "0badf00d"
SPI_OUT = 0x1000
SPI_IN = 0x2000


def policy(**kw):
    p = {"id": 1, "match": [{"dst": ["10.0.0.0/24"]}], "spi_out": SPI_OUT, "spi_in": SPI_IN, "key_out": KEY_OUT,
         "key_in": KEY_IN}
    p.update(kw)
    return p


def case(name, clauses, desc, config, policy_name="failClosed"):
    aesgcm.selftest()
    t = Trace(15, "enc." + name, clauses, desc)
    s = Sim(t)
    ok = valid(config)
    m = s.add(15, CryptModel(config if ok else {}), config, policy=policy_name, failed=not ok)
    return t, s, m


def peer_esp(payload_pkt, seq, epoch=0, spi=None, key=KEY_IN, tamper=None):
    """What the peer host sends: `payload_pkt` (a peer -> VM frame) protected with our
    inbound key."""
    data = raw(payload_pkt)
    l3 = 14
    ihl = (data[l3] & 0x0F) * 4
    total = int.from_bytes(data[l3 + 2:l3 + 4], "big")
    frame = esp_frame(data[:l3], data[l3:l3 + ihl], data[l3 + ihl:l3 + total], data[l3 + 9],
                      (SPI_IN + epoch) if spi is None else spi, seq, bytes.fromhex(key), epoch)
    if tamper is not None:
        b = bytearray(frame)
        b[tamper] ^= 0x01
        frame = bytes(b)
    return Ether(frame)


def udp_to_peer(i=1, n=4, dst=PEER_IP):
    return P.udp_pkt(VM_IP, dst, 5000, 53, b"q" * n, ip_id=i)


def udp_from_peer(i=1, n=4):
    return P.udp_pkt(PEER_IP, VM_IP, 53, 5000, b"a" * n, smac=PEER_MAC, dmac=VM_MAC, ip_id=i)


def cases():
    out = []
    base = {"policies": [policy()]}

    for n in (1, 2, 3, 4):
        t, s, _ = case("kat_udp_pad%d" % ((4 - (8 + n + 2) % 4) % 4), ["ENC-1"],
                       "Known-answer vector: a UDP datagram with %d payload byte(s) is sent as ESP (AES-256-GCM, "
                       "SPI 0x1000, sequence 1, IV = sequence, RFC 4303 padding)." % n, base)
        s.send("egress", udp_to_peer(1, n), id="plain")
        out.append(t)

    t, s, _ = case("kat_tcp_sequence", ["ENC-1"],
                   "Consecutive packets use sequence numbers 1, 2, 3 (and IVs equal to them).", base)
    for i in range(3):
        s.send("egress", P.tcp_pkt(dst=PEER_IP, flags="PA", seq=1000 + 10 * i, ack=1, payload=b"0123456789",
                                   ip_id=i + 1), id="seg%d" % i)
    out.append(t)

    t, s, _ = case("no_policy_match_plaintext", ["ENC-2"],
                   "Egress traffic no policy matches leaves in plaintext; so does non-IPv4 traffic.", base)
    s.send("egress", udp_to_peer(1, 4, dst="192.0.2.1"), id="other_net")
    s.send("egress", P.arp_pkt(), id="arp")
    out.append(t)

    t, s, _ = case("decrypt", ["ENC-3"],
                   "An ESP packet from the peer with our inbound SPI is verified and decrypted; the VM receives the "
                   "original datagram.", base)
    s.send("ingress", peer_esp(udp_from_peer(), 1), id="esp")
    s.send("ingress", peer_esp(udp_from_peer(2, 7), 2), id="esp2")
    out.append(t)

    t, s, _ = case("tampered_ciphertext", ["ENC-4"],
                   "A flipped ciphertext bit fails the ICV check: dropped as esp_auth_failed.", base)
    s.send("ingress", peer_esp(udp_from_peer(), 1, tamper=14 + 20 + 16 + 2), id="tampered")
    s.expect_drops(15, "esp_auth_failed")
    out.append(t)

    t, s, _ = case("tampered_sequence_aad", ["ENC-4"],
                   "The sequence number is authenticated (AAD): changing it fails the ICV check.", base)
    s.send("ingress", peer_esp(udp_from_peer(), 1, tamper=14 + 20 + 7), id="seq_changed")
    s.expect_drops(15, "esp_auth_failed")
    out.append(t)

    t, s, _ = case("tampered_icv", ["ENC-4"],
                   "A damaged ICV fails verification.", base)
    p = peer_esp(udp_from_peer(), 1)
    s.send("ingress", peer_esp(udp_from_peer(), 1, tamper=len(raw(p)) - 1), id="bad_icv")
    s.send("ingress", p, id="good_after")
    s.expect_drops(15, "esp_auth_failed")
    out.append(t)

    t, s, _ = case("replay_duplicate", ["ENC-5"],
                   "The same ESP packet twice: the second is a replay.", base)
    p = peer_esp(udp_from_peer(), 5)
    s.send("ingress", p, id="first")
    s.send("ingress", p, id="again")
    s.expect_drops(15, "esp_replay")
    out.append(t)

    t, s, _ = case("replay_window_64", ["ENC-5"],
                   "With the default 64-packet window, an unseen sequence 63 behind the highest is accepted, one "
                   "64 behind is not (RFC 4303 3.4.3).", base)
    s.send("ingress", peer_esp(udp_from_peer(1), 100), id="s100")
    s.send("ingress", peer_esp(udp_from_peer(2), 37), id="s37")
    s.send("ingress", peer_esp(udp_from_peer(3), 36), id="s36")
    s.expect_drops(15, "esp_replay")
    out.append(t)

    t, s, _ = case("replay_window_128", ["ENC-5"],
                   "replay_window 128 accepts a sequence 100 behind the highest.", {"policies": [policy(replay_window=128)]})
    s.send("ingress", peer_esp(udp_from_peer(1), 200), id="s200")
    s.send("ingress", peer_esp(udp_from_peer(2), 100), id="s100")
    s.send("ingress", peer_esp(udp_from_peer(3), 72), id="s72")
    s.expect_drops(15, "esp_replay")
    out.append(t)

    t, s, _ = case("plaintext_violation", ["ENC-6"],
                   "Plaintext arriving from a peer that a policy says must encrypt is dropped.", base)
    s.send("ingress", udp_from_peer(), id="plain_in")
    s.send("ingress", P.udp_pkt("192.0.2.1", VM_IP, 53, 5000, smac=PEER_MAC, dmac=VM_MAC), id="other_peer")
    s.expect_drops(15, "plaintext_violation")
    out.append(t)

    t, s, _ = case("plaintext_allowed", ["ENC-6"],
                   "With require_encryption false, plaintext from the peer passes.",
                   {"policies": [policy(require_encryption=False)]})
    s.send("ingress", udp_from_peer(), id="plain_in")
    out.append(t)

    t, s, _ = case("foreign_esp_passes", ["ENC-7"],
                   "ESP with an SPI outside our ranges (the VM's own IPsec) passes untouched.", base)
    s.send("ingress", peer_esp(udp_from_peer(), 1, spi=0x99990000), id="vm_ipsec")
    out.append(t)

    t, s, _ = case("rekey_after_packets", ["ENC-8"],
                   "After rekey_after_packets packets the next uses epoch 1: SPI + 1, a key and salt derived with "
                   "HMAC-SHA256, sequence numbers from 1 again.", {"policies": [policy(rekey_after_packets=2)]})
    for i in range(4):
        s.send("egress", udp_to_peer(i + 1, 5), id="p%d" % i)
    out.append(t)

    t, s, _ = case("rekey_after_seconds", ["ENC-8"],
                   "rekey_after_seconds: a packet 61 s into a 60 s epoch goes out under epoch 1.",
                   {"policies": [policy(rekey_after_seconds=60)]})
    s.send("egress", udp_to_peer(1), id="epoch0")
    s.advance(61)
    s.send("egress", udp_to_peer(2), id="epoch1")
    out.append(t)

    t, s, _ = case("receiver_epochs", ["ENC-9"],
                   "The receiver accepts the sender's next epoch, keeps accepting the previous one, and refuses an "
                   "epoch it cannot have reached (esp_unknown_spi).", base)
    s.send("ingress", peer_esp(udp_from_peer(1), 1, epoch=0), id="e0")
    s.send("ingress", peer_esp(udp_from_peer(2), 1, epoch=1), id="e1")
    s.send("ingress", peer_esp(udp_from_peer(3), 2, epoch=0), id="e0_late")
    s.send("ingress", peer_esp(udp_from_peer(4), 1, epoch=3), id="e3")
    s.expect_drops(15, "esp_unknown_spi")
    out.append(t)

    f1 = P.eth() / P.ip(VM_IP, PEER_IP, 17, id=9, flags="MF") / Raw(b"x" * 16)
    t, s, _ = case("fragments_refused", ["ENC-10"],
                   "IPv4 fragments are not protected in transport mode: dropped as fragment.", base)
    s.send("egress", f1, id="frag")
    s.expect_drops(15, "fragment")
    out.append(t)

    t, s, _ = case("malformed_esp", ["ENC-11"],
                   "ESP too short for header, IV and ICV, or with sequence number 0, is malformed.", base)
    short = P.eth(PEER_MAC, VM_MAC) / P.ip(PEER_IP, VM_IP, 50, id=3) / Raw(
        (SPI_IN).to_bytes(4, "big") + b"\x00\x00\x00\x01" + b"\x00" * 8)
    s.send("ingress", short, id="short")
    s.send("ingress", peer_esp(udp_from_peer(), 0), id="seq0")
    s.expect_drops(15, "esp_malformed")
    out.append(t)

    t, s, _ = case("migrate_continues_sequence", ["ENC-12"],
                   "After a VM move outbound sequence numbers continue: the key never sees a nonce twice.", base)
    s.send("egress", udp_to_peer(1), id="before")
    s.migrate(15)
    s.send("egress", udp_to_peer(2), id="after")
    out.append(t)

    t, s, _ = case("migrate_keeps_replay_window", ["ENC-12", "ENC-5"],
                   "The replay window moves with the VM: a packet seen before the move is still a replay.", base)
    p = peer_esp(udp_from_peer(), 1)
    s.send("ingress", p, id="first")
    s.migrate(15)
    s.send("ingress", p, id="replayed")
    s.expect_drops(15, "esp_replay")
    out.append(t)

    t, s, _ = case("reconfigure_same_key_continues", ["ENC-12"],
                   "A reconfiguration that keeps a policy's outbound SPI and key keeps its SA: sequence numbers (and "
                   "so GCM nonces) continue instead of starting again at 1 under the same key.", base)
    s.send("egress", udp_to_peer(1), id="before")
    s.reconfigure(15, {"policies": [policy(replay_window=128)]})
    s.send("egress", udp_to_peer(2), id="after")
    out.append(t)

    padded = Ether(raw(udp_to_peer(1, 1)) + b"\x00" * 13)
    t, s, _ = case("ethernet_padding_not_encrypted", ["ENC-13"],
                   "Ethernet padding after the IP datagram is not part of the protected payload.", base)
    s.send("egress", padded, id="padded")
    out.append(t)

    t, s, _ = case("invalid_key_refused", ["ENC-14", "CH-5"],
                   "A key that is not 72 hex digits (256-bit key + 32-bit salt) is refused; under failClosed the "
                   "slot then drops everything.", {"policies": [policy(key_out="00" * 32)]})
    s.send("egress", udp_to_peer(), id="p")
    s.expect_drops(15, "fail_closed")
    out.append(t)

    t, s, _ = case("getsas", ["ENC-15"],
                   "The getsas control request reports each policy's outbound SPI, epoch and sequence number.", base)
    s.send("egress", udp_to_peer(1), id="p1")
    t.ioctl(15, "getsas")
    t.expect_reply("policy 1 out spi 0x00001000 epoch 0 seq 1")
    out.append(t)
    return out
