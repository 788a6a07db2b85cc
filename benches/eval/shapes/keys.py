"""Private keys made from scratch: real RSA numbers from a seeded RNG, encoded as PKCS#1, PKCS#8,
OpenSSH and PuTTY files. Structurally valid, never used anywhere."""

import base64
import hashlib
import hmac
import struct

SMALL_PRIMES = [p for p in range(3, 2000) if all(p % d for d in range(2, int(p ** 0.5) + 1))]


def _probable_prime(n, rng, rounds=24):
    if any(n % p == 0 for p in SMALL_PRIMES):
        return n in SMALL_PRIMES
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        a = rng.randrange(2, n - 2)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits, rng):
    while True:
        n = rng.getrandbits(bits) | (3 << (bits - 2)) | 1
        if _probable_prime(n, rng):
            return n


class RsaKey:
    """An RSA key pair with the numbers every encoding needs."""

    def __init__(self, rng, bits=2048):
        e = 65537
        while True:
            p, q = _prime(bits // 2, rng), _prime(bits // 2, rng)
            phi = (p - 1) * (q - 1)
            if p != q and phi % e:
                break
        if p < q:
            p, q = q, p
        self.n, self.e, self.p, self.q = p * q, e, p, q
        self.d = pow(e, -1, phi)
        self.dp, self.dq, self.qinv = self.d % (p - 1), self.d % (q - 1), pow(q, -1, p)
        self.rng = rng

    # ---- DER / PEM ----
    def pkcs1_der(self):
        ints = [0, self.n, self.e, self.d, self.p, self.q, self.dp, self.dq, self.qinv]
        return _seq(b"".join(_int(i) for i in ints))

    def pkcs8_der(self):
        alg = _seq(bytes.fromhex("06092a864886f70d010101") + b"\x05\x00")
        return _seq(_int(0) + alg + _tlv(0x04, self.pkcs1_der()))

    def pem(self, kind="RSA PRIVATE KEY"):
        der = self.pkcs1_der() if kind == "RSA PRIVATE KEY" else self.pkcs8_der()
        return _armor(kind, der, 64)

    def public_blob(self):
        return _sstr(b"ssh-rsa") + _mpint(self.e) + _mpint(self.n)

    def openssh(self, comment="deploy@build01"):
        check = struct.pack(">I", self.rng.getrandbits(32)) * 2
        priv = (check + _sstr(b"ssh-rsa") + _mpint(self.n) + _mpint(self.e) + _mpint(self.d)
                + _mpint(self.qinv) + _mpint(self.p) + _mpint(self.q) + _sstr(comment.encode()))
        pad = 1
        while len(priv) % 8:
            priv += bytes([pad])
            pad += 1
        blob = (b"openssh-key-v1\x00" + _sstr(b"none") + _sstr(b"none") + _sstr(b"")
                + struct.pack(">I", 1) + _sstr(self.public_blob()) + _sstr(priv))
        return _armor("OPENSSH PRIVATE KEY", blob, 70)

    def ssh_public(self, comment):
        return "ssh-rsa " + base64.b64encode(self.public_blob()).decode() + " " + comment

    def putty(self, comment):
        """A PuTTY version 3 key file, unencrypted, with its MAC computed as PuTTY does."""
        pub = self.public_blob()
        priv = _mpint(self.d) + _mpint(self.p) + _mpint(self.q) + _mpint(self.qinv)
        mac_data = (_sstr(b"ssh-rsa") + _sstr(b"none") + _sstr(comment.encode()) + _sstr(pub)
                    + _sstr(priv))
        mac = hmac.new(b"", mac_data, hashlib.sha256).hexdigest()
        pub_lines = _lines(base64.b64encode(pub).decode(), 64)
        priv_lines = _lines(base64.b64encode(priv).decode(), 64)
        return "\n".join(
            ["PuTTY-User-Key-File-3: ssh-rsa", "Encryption: none", f"Comment: {comment}",
             f"Public-Lines: {len(pub_lines)}", *pub_lines,
             f"Private-Lines: {len(priv_lines)}", *priv_lines, f"Private-MAC: {mac}"])


def _lines(s, width):
    return [s[i:i + width] for i in range(0, len(s), width)]


def _armor(kind, der, width):
    body = _lines(base64.b64encode(der).decode(), width)
    return "\n".join([f"-----BEGIN {kind}-----", *body, f"-----END {kind}-----"])


def _len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def _tlv(tag, body):
    return bytes([tag]) + _len(len(body)) + body


def _int(i):
    b = i.to_bytes(max(1, (i.bit_length() + 8) // 8), "big")
    return _tlv(0x02, b)


def _seq(body):
    return _tlv(0x30, body)


def _sstr(b):
    return struct.pack(">I", len(b)) + b


def _mpint(i):
    b = i.to_bytes((i.bit_length() + 8) // 8, "big") if i else b""
    return _sstr(b)
