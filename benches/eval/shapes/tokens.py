"""Fake credentials, generated from a seeded RNG.

Every value here is random: formats (prefixes, lengths, alphabets, checksums) follow the providers'
documentation, the content is noise. Nothing returned is, or was ever, a live credential.
"""

import base64
import hashlib
import hmac
import json
import struct
import zlib

UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"
ALNUM = UPPER + LOWER + DIGITS
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
BASE62 = DIGITS + UPPER + LOWER
BASE32 = UPPER + "234567"
BCRYPT64 = "./" + UPPER + LOWER + DIGITS
CRYPT64 = "./" + DIGITS + UPPER + LOWER
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

# Substrings the corpus must never produce by chance: they would turn a planted secret into a
# placeholder, or a decoy into something else.
BANNED = ("example", "sample", "dummy", "fake", "xxxx", "test", "redact", "change", "your", "placeholder")

WORDS = [
    "falcon", "orchard", "copper", "lantern", "meadow", "harbor", "granite", "willow", "ember",
    "saffron", "tundra", "quartz", "juniper", "cobalt", "marble", "thistle", "kestrel", "walnut",
    "cascade", "pepper", "indigo", "summit", "violet", "badger", "canyon", "driftwood", "nimbus",
]


class Tokens:
    """Random values of credential shapes, all drawn from one seeded RNG."""

    def __init__(self, rng):
        self.rng = rng

    def pick(self, alphabet, n):
        while True:
            s = "".join(self.rng.choice(alphabet) for _ in range(n))
            if not any(b in s.lower() for b in BANNED):
                return s

    def alnum(self, n):
        return self.pick(ALNUM, n)

    def hex(self, n):
        return self.pick(HEX, n)

    def digits(self, n):
        return str(self.rng.randint(1, 9)) + self.pick(DIGITS, n - 1)

    def uuid(self):
        h = self.hex(32)
        h = h[:12] + "4" + h[13:16] + self.rng.choice("89ab") + h[17:]
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def b64bytes(self, n, url=False):
        raw = bytes(self.rng.getrandbits(8) for _ in range(n))
        enc = base64.urlsafe_b64encode(raw) if url else base64.b64encode(raw)
        return enc.decode()

    # ---- passwords people choose ----
    def password(self, style=None, uri=False):
        """A password as found in leaked configs: mostly random, some word-based, some short.
        `uri`: only characters that need no percent-encoding in a URL's userinfo."""
        r = self.rng.random() if style is None else {"strong": 0.0, "words": 0.7, "short": 0.95}[style]
        punct = "-_.~" if uri else "!%^*-_=+"
        if r < 0.6:
            return self.pick(ALNUM, 1) + self.pick(ALNUM + punct, self.rng.randint(11, 19))
        if r < 0.9:
            w1, w2 = self.rng.sample(WORDS, 2)
            return f"{w1.capitalize()}{self.rng.choice(punct)}{w2}{self.rng.randint(10, 99)}"
        return self.rng.choice(WORDS)[:6] + str(self.rng.randint(10, 99))

    # ---- providers ----
    def aws_key_id(self, prefix="AKIA"):
        return prefix + self.pick(BASE32, 16)

    def aws_secret(self):
        return self.pick(ALNUM + "/+", 40)

    def aws_session_token(self):
        return "IQoJb3JpZ2luX2Vj" + self.pick(ALNUM + "/+", 300)

    def _crc_token(self, prefix, body_len=30):
        body = self.alnum(body_len)
        n = zlib.crc32(body.encode())
        chk = ""
        for _ in range(6):
            chk = BASE62[n % 62] + chk
            n //= 62
        return prefix + body + chk

    def github(self, prefix="ghp_"):
        return self._crc_token(prefix)

    def github_fine(self):
        return "github_pat_" + self.alnum(22) + "_" + self.alnum(59)

    def npm(self):
        return self._crc_token("npm_")

    def gitlab(self):
        return "glpat-" + self.pick(ALNUM + "-_", 20)

    def slack_bot(self):
        return f"xoxb-{self.digits(12)}-{self.digits(13)}-{self.alnum(24)}"

    def slack_webhook(self):
        return ("https://hooks.slack.com/services/T" + self.pick(UPPER + DIGITS, 8) + "/B"
                + self.pick(UPPER + DIGITS, 10) + "/" + self.alnum(24))

    def discord_webhook(self):
        return f"https://discord.com/api/webhooks/{self.digits(19)}/{self.pick(B64URL, 68)}"

    def stripe(self, kind="sk_live_"):
        return kind + "51" + self.alnum(97)

    def sendgrid(self):
        return "SG." + self.pick(B64URL, 22) + "." + self.pick(B64URL, 43)

    def twilio_sid(self):
        return "AC" + self.hex(32)

    def google_api(self):
        return "AIza" + self.pick(B64URL, 35)

    def openai(self):
        return "sk-proj-" + self.pick(B64URL, 74) + "T3BlbkFJ" + self.pick(B64URL, 74)

    def anthropic(self):
        return "sk-ant-api03-" + self.pick(B64URL, 93) + "AA"

    def pypi(self):
        return "pypi-AgEIcHlwaS5vcmc" + self.pick(B64URL, 160)

    def dockerhub(self):
        return "dckr_pat_" + self.pick(B64URL, 27)

    def vault(self):
        return "hvs." + self.pick(B64URL, 90)

    def digitalocean(self):
        return "dop_v1_" + self.hex(64)

    def shopify(self):
        return "shpat_" + self.hex(32)

    def huggingface(self):
        return "hf_" + self.pick(UPPER + LOWER, 34)

    def telegram(self):
        return f"{self.digits(10)}:AA" + self.pick(B64URL, 33)

    def azure_storage_key(self):
        return self.b64bytes(64)

    def mailchimp(self):
        return self.hex(32) + "-us" + str(self.rng.randint(2, 21))

    def sonarqube(self):
        return "squ_" + self.hex(40)

    def dynatrace(self):
        return "dt0c01." + self.pick(UPPER + DIGITS, 24) + "." + self.pick(UPPER + DIGITS, 64)

    def hubspot(self):
        return "pat-na1-" + self.uuid()

    def airtable(self):
        return "pat" + self.alnum(14) + "." + self.hex(64)

    def tailscale(self):
        return "tskey-auth-" + self.alnum(12) + "CNTRL-" + self.alnum(33)

    def age_key(self):
        return "AGE-SECRET-KEY-1" + self.pick(BECH32, 58).upper()

    def wireguard(self):
        raw = bytearray(self.rng.getrandbits(8) for _ in range(32))
        raw[0] &= 248
        raw[31] = (raw[31] & 127) | 64
        return base64.b64encode(bytes(raw)).decode()

    def linear(self):
        return "lin_api_" + self.alnum(40)

    def postman(self):
        return "PMAK-" + self.hex(24) + "-" + self.hex(34)

    def databricks(self):
        return "dapi" + self.hex(32)

    def newrelic(self):
        return "NRAK-" + self.pick(UPPER + DIGITS, 27)

    def grafana_sa(self):
        return "glsa_" + self.alnum(32) + "_" + self.hex(8)

    def pulumi(self):
        return "pul-" + self.hex(40)

    def notion(self):
        return "ntn_" + self.alnum(46)

    def groq(self):
        return "gsk_" + self.alnum(52)

    def replicate(self):
        return "r8_" + self.alnum(37)

    def sourcegraph(self):
        return "sgp_" + self.hex(16) + "_" + self.hex(40)

    def contentful(self):
        return "CFPAT-" + self.pick(B64URL, 43)

    def posthog(self):
        return "phx_" + self.alnum(47)

    def doppler(self):
        return "dp.st.prd." + self.alnum(43)

    def supabase(self):
        return "sbp_" + self.hex(40)

    def langsmith(self):
        return "lsv2_pt_" + self.hex(32) + "_" + self.hex(10)

    def openrouter(self):
        return "sk-or-v1-" + self.hex(64)

    def terraform_cloud(self):
        return self.alnum(14) + ".atlasv1." + self.alnum(67)

    def square(self):
        return "EAAA" + self.pick(B64URL, 60)

    def mapbox(self):
        payload = base64.urlsafe_b64encode(json.dumps(
            {"u": "acme-maps", "a": "cl" + self.alnum(23).lower()}, separators=(",", ":")).encode())
        return "sk." + payload.decode().rstrip("=") + "." + self.pick(B64URL, 22)

    def atlassian(self):
        return "ATATT3xFfGF0" + self.pick(B64URL, 170) + "=" + self.hex(8).upper()

    def okta(self):
        return "00" + self.pick(B64URL, 40)

    def pinecone(self):
        return "pcsk_" + self.alnum(6) + "_" + self.alnum(64)

    def kubeadm_token(self):
        return self.pick(LOWER + DIGITS, 6) + "." + self.pick(LOWER + DIGITS, 16)

    def cloudflare_legacy(self):
        return self.pick(B64URL, 40)

    def jwt(self, payload, alg="HS256", kid=None, sig_bytes=32):
        header = {"alg": alg, "typ": "JWT"}
        if kid:
            header["kid"] = kid
        enc = lambda d: base64.urlsafe_b64encode(
            json.dumps(d, separators=(",", ":")).encode()).decode().rstrip("=")
        return enc(header) + "." + enc(payload) + "." + self.b64bytes(sig_bytes, url=True).rstrip("=")

    # ---- password hashes ----
    def bcrypt(self, prefix="$2y$10$"):
        return prefix + self.pick(BCRYPT64, 53)

    def phpass(self):
        return "$P$B" + self.pick(CRYPT64, 31)

    def sha512crypt(self):
        return "$6$" + self.pick(CRYPT64, 16) + "$" + self.pick(CRYPT64, 86)

    def yescrypt(self):
        return "$y$j9T$" + self.pick(CRYPT64, 22) + "$" + self.pick(CRYPT64, 43)

    def apr1(self):
        return "$apr1$" + self.pick(CRYPT64, 8) + "$" + self.pick(CRYPT64, 22)

    def mysql_native(self):
        return "*" + self.hex(40).upper()

    def pg_md5(self):
        return "md5" + self.hex(32)

    def scram(self):
        return ("SCRAM-SHA-256$4096:" + self.b64bytes(16) + "$" + self.b64bytes(32) + ":"
                + self.b64bytes(32))

    def django_pbkdf2(self):
        return f"pbkdf2_sha256$720000${self.alnum(22)}${self.b64bytes(32)}"

    def argon2(self):
        s = self.b64bytes(16).rstrip("=")
        h = self.b64bytes(32).rstrip("=")
        return f"$argon2id$v=19$m=65536,t=3,p=4${s}${h}"

    def sha256hex(self, data):
        return hashlib.sha256(data.encode()).hexdigest()

    def hmac_sha256(self, key, msg):
        return hmac.new(key, msg, hashlib.sha256).digest()

    def ssh_string(self, b):
        return struct.pack(">I", len(b)) + b
