"""AES-256-GCM in plain Python (FIPS 197 + NIST SP 800-38D), for the slot-15 oracle.

Small and slow on purpose: the oracle must compute expected ciphertexts without
the C++ reference or its crypto library, from the standards. `selftest()` checks the
implementation against published known-answer vectors (McGrew & Viega's GCM test
cases 13-16, the AES-256 ones) before any trace is generated.
"""

SBOX = [0] * 256


def _init_sbox():
    # The AES S-box from its definition: multiplicative inverse in GF(2^8), then the
    # affine transform (FIPS 197 5.1.1).
    p = q = 1
    SBOX[0] = 0x63
    while True:
        p = p ^ ((p << 1) & 0xFF) ^ (0x1B if p & 0x80 else 0)  # p * 3
        q ^= q << 1
        q ^= q << 2
        q ^= q << 4
        q &= 0xFF
        if q & 0x80:
            q ^= 0x09  # q / 3
        x = q ^ _rotl8(q, 1) ^ _rotl8(q, 2) ^ _rotl8(q, 3) ^ _rotl8(q, 4)
        SBOX[p] = (x ^ 0x63) & 0xFF
        if p == 1:
            break


def _rotl8(x, s):
    return ((x << s) | (x >> (8 - s))) & 0xFF


_init_sbox()


def _xtime(a):
    return ((a << 1) ^ 0x1B) & 0xFF if a & 0x80 else a << 1


def _expand_key(key):
    assert len(key) == 32
    nk, nr = 8, 14
    w = [list(key[4 * i:4 * i + 4]) for i in range(nk)]
    rcon = 1
    for i in range(nk, 4 * (nr + 1)):
        t = list(w[i - 1])
        if i % nk == 0:
            t = t[1:] + t[:1]
            t = [SBOX[b] for b in t]
            t[0] ^= rcon
            rcon = _xtime(rcon)
        elif i % nk == 4:
            t = [SBOX[b] for b in t]
        w.append([a ^ b for a, b in zip(w[i - nk], t)])
    return [sum(w[4 * r:4 * r + 4], []) for r in range(nr + 1)]


def _encrypt_block(rk, block):
    s = [b ^ k for b, k in zip(block, rk[0])]
    for r in range(1, 15):
        s = [SBOX[b] for b in s]
        # ShiftRows on a column-major state.
        s = [s[(i + 4 * (i % 4)) % 16] for i in range(16)]
        if r != 14:
            out = []
            for c in range(4):
                a = s[4 * c:4 * c + 4]
                t = a[0] ^ a[1] ^ a[2] ^ a[3]
                out += [a[i] ^ t ^ _xtime(a[i] ^ a[(i + 1) % 4]) for i in range(4)]
            s = out
        s = [b ^ k for b, k in zip(s, rk[r])]
    return bytes(s)


def _gf_mult(x, y):
    r = 0xE1 << 120
    z = 0
    for i in range(127, -1, -1):
        if (y >> i) & 1:
            z ^= x
        x = (x >> 1) ^ r if x & 1 else x >> 1
    return z


def _ghash(h, data):
    y = 0
    for i in range(0, len(data), 16):
        y = _gf_mult(y ^ int.from_bytes(data[i:i + 16], "big"), h)
    return y


def _pad16(b):
    return b + b"\x00" * ((16 - len(b) % 16) % 16)


def _ctr(rk, j0, data):
    out = bytearray()
    counter = int.from_bytes(j0, "big")
    for i in range(0, len(data), 16):
        counter = (counter & ~0xFFFFFFFF) | ((counter + 1) & 0xFFFFFFFF)
        ks = _encrypt_block(rk, counter.to_bytes(16, "big"))
        out += bytes(a ^ b for a, b in zip(data[i:i + 16], ks))
    return bytes(out)


def encrypt(key, nonce, plaintext, aad):
    """(ciphertext, 16-byte tag) for a 96-bit nonce."""
    assert len(nonce) == 12
    rk = _expand_key(key)
    h = int.from_bytes(_encrypt_block(rk, b"\x00" * 16), "big")
    j0 = nonce + b"\x00\x00\x00\x01"
    c = _ctr(rk, j0, plaintext)
    s = _ghash(h, _pad16(aad) + _pad16(c) + (8 * len(aad)).to_bytes(8, "big") + (8 * len(c)).to_bytes(8, "big"))
    tag = bytes(a ^ b for a, b in zip(_encrypt_block(rk, j0), s.to_bytes(16, "big")))
    return c, tag


def decrypt(key, nonce, ciphertext, aad, tag):
    """Plaintext, or None when the tag does not verify."""
    rk = _expand_key(key)
    h = int.from_bytes(_encrypt_block(rk, b"\x00" * 16), "big")
    j0 = nonce + b"\x00\x00\x00\x01"
    s = _ghash(h, _pad16(aad) + _pad16(ciphertext) + (8 * len(aad)).to_bytes(8, "big") +
               (8 * len(ciphertext)).to_bytes(8, "big"))
    want = bytes(a ^ b for a, b in zip(_encrypt_block(rk, j0), s.to_bytes(16, "big")))
    if want != tag:
        return None
    return _ctr(rk, j0, ciphertext)


def selftest():
    """GCM test cases 13-16 (AES-256) from McGrew & Viega, "The Galois/Counter Mode
    of Operation", and the FIPS 197 C.3 AES-256 block vector."""
    key = bytes(range(32))
    assert _encrypt_block(_expand_key(key), bytes.fromhex("00112233445566778899aabbccddeeff")).hex() == \
        "8ea2b7ca516745bfeafc49904b496089"
    z = b"\x00" * 32
    c, t = encrypt(z, b"\x00" * 12, b"", b"")
    assert t.hex() == "530f8afbc74536b9a963b4f1c4cb738b", t.hex()
    c, t = encrypt(z, b"\x00" * 12, b"\x00" * 16, b"")
    assert c.hex() == "cea7403d4d606b6e074ec5d3baf39d18" and t.hex() == "d0d1c8a799996bf0265b98b5d48ab919"
    k = bytes.fromhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
    iv = bytes.fromhex("cafebabefacedbaddecaf888")
    p = bytes.fromhex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
                      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255")
    c, t = encrypt(k, iv, p, b"")
    assert c.hex() == ("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
                       "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"), c.hex()
    assert t.hex() == "b094dac5d93471bdec1a502270e3cc6c", t.hex()
    aad = bytes.fromhex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
    c, t = encrypt(k, iv, p[:60], aad)
    assert t.hex() == "76fc6ece0f4e1768cddf8853bb2d551b", t.hex()
    assert decrypt(k, iv, c, aad, t) == p[:60]
    assert decrypt(k, iv, c, aad, bytes(16)) is None
    return True


if __name__ == "__main__":
    selftest()
    print("aesgcm: known-answer vectors pass")
