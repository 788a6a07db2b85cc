"""Material that looks like credentials and is not (docs examples, baselines, lock files, hashes,
UUIDs, encrypted values), and real-shaped credentials where they do no harm (test fixtures, docs)."""

import base64
import hashlib
import hmac
import json

from .build import D, T


def jwt_io_sample():
    """The token jwt.io shows, rebuilt from its published header, payload and signing secret."""
    enc = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")
    h = enc(b'{"alg":"HS256","typ":"JWT"}')
    p = enc(b'{"sub":"1234567890","name":"John Doe","iat":1516239022}')
    sig = hmac.new(b"your-256-bit-secret", f"{h}.{p}".encode(), hashlib.sha256).digest()
    return f"{h}.{p}.{enc(sig)}"


def aws_docs_keys():
    """The access key pair AWS documentation uses in every example."""
    return "AKIAIOSFODNN7" + "EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY"


def docs(c, root):
    t = c.t
    kid, sec = aws_docs_keys()
    f = c.file(f"{root}/docs/quickstart.md", "docs", cls="true")
    f.add("""\
        # Quickstart

        Configure credentials first:

        ```sh""")
    f.add(f"⟦export AWS_ACCESS_KEY_ID={kid}⟧", D("provider", "aws-docs-example-key-id"))
    f.add(f"⟦export AWS_SECRET_ACCESS_KEY={sec}⟧", D("provider", "aws-docs-example-secret"))
    f.add("⟦export OPENAI_API_KEY=sk-...⟧", D("provider", "ellipsis"))
    f.add("⟦export GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx⟧", D("provider", "masked-github-token"))
    f.add("```\n\nThen call the API:\n\n```sh")
    f.add(f"⟦curl -H \"Authorization: Bearer {jwt_io_sample()}\" https://api.acme.io/v1/me⟧",
          D("provider", "jwt-io-sample-token"))
    f.add("⟦curl -u admin:<password> https://api.acme.io/v1/admin⟧", D("generic", "angle-placeholder"))
    f.add("```\n\nA real-looking key in an API reference page:\n\n```sh")
    f.add(f"curl https://api.acme.io/v1/charges -u ⟦{t.stripe('sk_test_')}⟧:",
          T("provider", "stripe-test-key-in-docs", "test-mode key in docs"))
    f.add("```\n\nPrivate keys look like this:\n\n```")
    f.add("⟦-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----⟧", D("provider", "empty-pem-block"))
    f.add("```")

    g = c.file(f"{root}/docs/configuration.md", "docs", cls="true")
    g.add("| key | example |\n|---|---|")
    g.add("| ⟦`api_key`⟧ | ⟦`<your-api-key>`⟧ |", D("generic", "table-key-name"), D("generic", "angle-placeholder"))
    g.add("| `password` | ⟦`********`⟧ |", D("generic", "masked"))
    g.add("\n```yaml\ndatabase:")
    g.add("  ⟦password: YOUR_DB_PASSWORD⟧", D("generic", "your-placeholder"), dedent=False)
    g.add("  ⟦secret: TODO⟧", D("generic", "todo"), dedent=False)
    g.add("  ⟦token: abcdefg⟧", D("generic", "filler-letters"), dedent=False)
    g.add("  ⟦secret: a1b2c3⟧", D("generic", "filler-a1b2c3"), dedent=False)
    g.add("  ⟦password: DB_PASSWORD⟧", D("generic", "env-var-name-as-value"), dedent=False)
    g.add("```")


def baseline(c, root):
    t = c.t
    f = c.file(f"{root}/.secrets.baseline", "baseline", cls="true")
    results = {}
    for path in ["config/settings.py", "tests/test_auth.py", "deploy/values.yaml"]:
        results[path] = [{"type": "Secret Keyword", "filename": path,
                          "hashed_secret": "⟦" + t.hex(40) + "⟧", "is_verified": False, "line_number": n}
                         for n in (12, 40)]
    doc = {"version": "1.5.0", "plugins_used": [{"name": "KeywordDetector"}],
           "results": results, "generated_at": "2026-09-01T10:00:00Z"}
    labels = [D("generic", "detect-secrets-hashed-secret") for _ in range(6)]
    f.add(json.dumps(doc, indent=2, ensure_ascii=False), *labels, dedent=False)


def lockfiles(c, root):
    t = c.t
    f = c.file(f"{root}/package-lock.json", "lockfile", cls="true")
    pk = {"name": "web", "lockfileVersion": 3, "packages": {}}
    for name in ["left-pad", "token-bucket", "secret-handshake"]:
        pk["packages"][f"node_modules/{name}"] = {
            "version": "1.3.0", "resolved": f"https://registry.npmjs.org/{name}/-/{name}-1.3.0.tgz",
            "integrity": "⟦sha512-" + t.b64bytes(64) + "⟧"}
    f.add(json.dumps(pk, indent=2, ensure_ascii=False), *[D("generic", "npm-integrity") for _ in range(3)],
          dedent=False)
    g = c.file(f"{root}/go.sum", "lockfile", cls="true")
    for mod in ["github.com/acme/tokenizer v1.2.0", "golang.org/x/crypto v0.31.0"]:
        g.add(f"{mod} ⟦h1:{t.b64bytes(32)}⟧", D("generic", "go-sum-hash"))
        g.add(f"{mod}/go.mod h1:{t.b64bytes(32)}")
    r = c.file(f"{root}/renovate.json", "lockfile", cls="true")
    r.add('{\n  "packageRules": [{')
    r.add(f'    ⟦"matchCurrentDigest": "sha256:{t.hex(64)}"⟧', D("generic", "image-digest"), dedent=False)
    r.add("  }]\n}")
    h = c.file(f"{root}/CHANGELOG.md", "docs", cls="true")
    h.add("# Changelog\n\n## 2.4.0")
    h.add(f"- ⟦Rotate signing key handling ({t.hex(40)})⟧", D("generic", "commit-sha"))
    h.add(f"- ⟦Fix token refresh race, request id {t.uuid()}⟧", D("generic", "uuid-in-text"))


def encrypted(c, root):
    t = c.t
    f = c.file(f"{root}/secrets.enc.yaml", "encrypted")
    f.add(f"⟦db_password: ENC[AES256_GCM,data:{t.b64bytes(18)},iv:{t.b64bytes(32)},tag:{t.b64bytes(16)},type:str]⟧",
          D("generic", "sops-ciphertext"))
    f.add(f"sops:\n    age:\n        - recipient: age1{t.pick('qpzry9x8gf2tvdw0s3jn54khce6mua7l', 58)}")
    f.add(f"    mac: ENC[AES256_GCM,data:{t.b64bytes(32)},iv:{t.b64bytes(32)},tag:{t.b64bytes(16)},type:str]",
          dedent=False)
    g = c.file(f"{root}/group_vars/prod/vault.yml", "encrypted")
    body = "\n".join(t.hex(80) for _ in range(6))
    g.add("⟦$ANSIBLE_VAULT;1.1;AES256\n" + body + "⟧", D("generic", "ansible-vault"), dedent=False)
    h = c.file(f"{root}/certs/server.crt", "encrypted")
    der = bytes(c.rng.getrandbits(8) for _ in range(600))
    b = base64.b64encode(b"\x30\x82\x02\x54" + der).decode()
    h.add("⟦-----BEGIN CERTIFICATE-----\n" + "\n".join(b[i:i + 64] for i in range(0, len(b), 64))
          + "\n-----END CERTIFICATE-----⟧", D("provider", "certificate"), dedent=False)


def fixtures(c, root, key):
    """Test fixtures: real-shaped values in test code, true but not actionable."""
    t = c.t
    f = c.file(f"{root}/tests/fixtures/credentials.json", "test-fixture", cls="true")
    f.add(json.dumps({
        "aws": {"access_key_id": "⟦" + t.aws_key_id() + "⟧", "secret_access_key": "⟦" + t.aws_secret() + "⟧"},
        "github": {"token": "⟦" + t.github() + "⟧"},
        "db": {"password": "⟦" + t.password() + "⟧"},
    }, indent=2, ensure_ascii=False), T("provider", "aws-key-id-fixture"), T("provider", "aws-secret-fixture"),
        T("provider", "github-fixture"), T("generic", "password-fixture"), dedent=False)
    g = c.file(f"{root}/tests/test_client.py", "test-fixture", cls="true")
    g.add("import pytest\n\nfrom acme.client import Client\n")
    g.add(f'API_KEY = "⟦{t.stripe("sk_test_")}⟧"', T("provider", "stripe-test-key-in-test"))
    g.add(f'SLACK = "⟦{t.slack_bot()}⟧"', T("provider", "slack-token-in-test"))
    g.add("\n\ndef test_login(db):")
    g.add('    ⟦client = Client(user="alice", password="test")⟧', D("generic", "trivial-test-password"), dedent=False)
    g.add(f'    assert client.login("alice", "⟦{t.password()}⟧")', T("generic", "login-call-in-test"), dedent=False)
    h = c.file(f"{root}/tests/conftest.py", "test-fixture", cls="true")
    h.add("import pytest\n\n\n@pytest.fixture\ndef database_url():")
    h.add(f'    return "postgresql://test:⟦{t.password(uri=True)}⟧@localhost:5432/test_db"',
          T("generic", "uri-in-conftest"), dedent=False)
    k = c.file(f"{root}/tests/data/server.key", "test-fixture", cls="true")
    k.add("⟦" + key.pem("PRIVATE KEY") + "⟧", T("provider", "pkcs8-key-in-tests"), dedent=False)
    s = c.file(f"{root}/spec/fixtures/vcr_cassettes/charges.yml", "test-fixture", cls="true")
    s.add("""\
        ---
        http_interactions:
        - request:
            method: post
            uri: https://api.stripe.com/v1/charges
            headers:
              Authorization:""")
    s.add(f"      - ⟦Bearer {t.stripe('sk_test_')}⟧", T("provider", "stripe-test-key-in-cassette"), dedent=False)
    j = c.file(f"{root}/src/__tests__/auth.test.js", "test-fixture", cls="true")
    tok = t.jwt({"sub": "user-42", "iat": 1790928000, "exp": 4102444800, "role": "admin"})
    j.add(f"const token = '⟦{tok}⟧';", T("provider", "jwt-in-test"))
    j.add("test('decodes', () => { expect(decode(token).sub).toBe('user-42'); });")
    p = c.file(f"{root}/src/test/resources/application-test.properties", "test-fixture", cls="true")
    p.add("spring.datasource.url=jdbc:h2:mem:test")
    p.add(f"spring.datasource.password=⟦{t.password()}⟧", T("generic", "test-properties-password"))
    p.add(f"app.jwt.secret=⟦{t.b64bytes(48)}⟧", T("generic", "test-properties-secret"))
    q = c.file(f"{root}/testdata/kubeconfig", "test-fixture", cls="true")
    q.add("apiVersion: v1\nkind: Config\nusers:\n- name: test\n  user:")
    q.add(f"    token: ⟦{t.alnum(48)}⟧", T("generic", "kubeconfig-token-testdata"), dedent=False)
    e = c.file(f"{root}/examples/docker-compose.yml", "example", cls="true")
    e.add("services:\n  db:\n    image: mysql:8\n    environment:")
    e.add(f"      MYSQL_ROOT_PASSWORD: ⟦{t.password()}⟧", T("generic", "example-compose-password"), dedent=False)


def generate(c):
    docs(c, "work/sdk")
    baseline(c, "work/sdk")
    lockfiles(c, "apps/web")
    encrypted(c, "infra/ansible")
    fixtures(c, "work/sdk", c.keys[3])
