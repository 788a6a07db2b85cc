#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target (fuzz/corpus/TARGET/seed-*).

The seeds are small, self-written documents of the shapes nhiscan reads. Where a key belongs they
hold a marker (`@@GITHUB@@@...`, as long as the key), which the targets replace with a fake key
assembled at run time (fuzz/src/lib.rs): nothing here looks like a credential.

Run from anywhere: `python3 fuzz/seeds.py`. Re-running rewrites the same files (tar and gzip
timestamps are fixed).
"""

import gzip
import hashlib
import io
import json
import os
import tarfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))


def marker(name, length):
    m = f"@@{name}@@"
    return m + "@" * (length - len(m))


GITHUB = marker("GITHUB", 40)
AWSID = marker("AWSID", 20)
AWSSECRET = marker("AWSSECRET", 40)
STRIPE = marker("STRIPE", 40)
SLACK = marker("SLACK", 56)


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


YAML_ROLE = f"""apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: ops, labels: &l {{team: ops}}}}
aggregationRule: {{labels: *l}}
rules:
  - apiGroups: ["*"]
    resources: ["*"]
    verbs: ["*"]
---
apiVersion: v1
kind: Secret
metadata:
  name: app
  labels: &m {{team: ops}}
  annotations: *m
stringData:
  token: {GITHUB}
  aws_secret_access_key: "{AWSSECRET}"
"""

YAML_WORKFLOW = f"""name: ci
on: [push, pull_request_target]
permissions: write-all
jobs:
  build:
    runs-on: ubuntu-latest
    env:
      AWS_ACCESS_KEY_ID: {AWSID}
      AWS_SECRET_ACCESS_KEY: {AWSSECRET}
    steps:
      - uses: actions/checkout@v4
        with: {{ref: "${{{{ github.event.pull_request.head.sha }}}}"}}
      - run: |
          echo "${{{{ secrets.DEPLOY }}}}"
          curl -H "Authorization: token {GITHUB}" https://api.invalid
"""

JSON_POLICY = f"""{{
  "Version": "2012-10-17",
  "Statement": [
    {{"Effect": "Allow", "Action": "*", "Resource": "*"}},
    {{"Effect": "Allow", "NotAction": ["iam:*"], "Resource": ["arn:aws:s3:::b/*"],
      "Principal": {{"AWS": "*"}}, "Condition": {{"StringEquals": {{"k": "{AWSID}"}}}}}}
  ],
  "aws_secret_access_key": "{AWSSECRET}"
}}
"""

JSON_LENIENT = f"""// comments and trailing commas, as appsettings files have them
{{
  "ConnectionStrings": {{
    "Db": "Server=db;User Id=app;Password={STRIPE};", /* inline */
  }},
  "Stripe": {{"SecretKey": "{STRIPE}",}},
}}
"""

AZURE = f"""{{
  "properties": {{
    "roleName": "ops", "assignableScopes": ["/"],
    "permissions": [{{"actions": ["*"], "notActions": []}}],
    "principalType": "ServicePrincipal",
    "roleDefinitionId": "Microsoft.Authorization/roleDefinitions/owner"
  }},
  "clientSecret": "{AWSSECRET}"
}}
"""

GCP = f"""bindings:
  - role: roles/owner
    members: ["serviceAccount:ci@p.iam.gserviceaccount.com", allUsers]
  - role: roles/editor
    members: [allAuthenticatedUsers]
private_key_id: "{AWSSECRET}"
"""

HCL = f"""provider "aws" {{
  access_key = "{AWSID}"
  secret_key = "{AWSSECRET}"
}}

resource "aws_iam_policy" "admin" {{
  name   = "admin-${{var.env}}"
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = ["*"], Resource = "*" }}]
  }})
}}

resource "aws_iam_role_policy" "inline" {{
  policy = <<EOF
{{"Statement": [{{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}]}}
EOF
}}

resource "google_project_iam_member" "m" {{
  role   = "roles/owner"
  member = "allUsers"
}}

resource "azurerm_role_assignment" "a" {{
  role_definition_name = "Owner"
  scope                = "/subscriptions/x"
}}

locals {{
  tokens = {{ for k, v in var.m : k => v if v != "" }}
  token  = "{GITHUB}"
}}
"""

TFVARS = f"""db_password = "{STRIPE}"
github_token = "{GITHUB}"
tags = {{ team = "ops" }}
"""

DOCKERFILE = f"""# syntax=docker/dockerfile:1
FROM alpine:3 AS build
ARG GITHUB_TOKEN={GITHUB}
ENV AWS_ACCESS_KEY_ID={AWSID} \\
    AWS_SECRET_ACCESS_KEY="{AWSSECRET}"
ENV "éé" x
RUN echo "machine h login u password {STRIPE}" > ~/.netrc && \\
    git clone https://{GITHUB}@example.invalid/r.git
COPY . /src
COPY --from=build /src/.env /app/
RUN --mount=type=secret,id=npm cat /run/secrets/npm

FROM build
USER root
ENTRYPOINT ["sh", "-c", "export SLACK_TOKEN={SLACK}; exec app"]
"""

NPMRC = f"""registry=https://registry.npmjs.invalid/
//registry.npmjs.invalid/:_authToken={GITHUB}
always-auth=true
"""

PYPIRC = f"""[distutils]
index-servers = pypi
[pypi]
username = __token__
password = {STRIPE}
"""

NETRC = f"""machine api.example.invalid login deploy password {STRIPE}
default login anonymous password {AWSSECRET}
"""

GIT_CREDENTIALS = f"https://deploy:{GITHUB}@example.invalid\n"

DOCKER_CONFIG = json.dumps(
    {"auths": {"registry.invalid": {"auth": "ZGVwbG95OnBhc3N3b3Jk", "identitytoken": GITHUB}}},
    indent=2,
)

KUBECONFIG = f"""apiVersion: v1
kind: Config
clusters: [{{name: c, cluster: {{server: "https://k.invalid"}}}}]
users:
  - name: admin
    user:
      token: {GITHUB}
      client-key-data: {AWSSECRET}
contexts: [{{name: c, context: {{cluster: c, user: admin}}}}]
current-context: c
"""

SPRING_YAML = f"""spring:
  datasource:
    url: jdbc:postgresql://db/app
    username: app
    password: {STRIPE}
aws:
  credentials: {{access-key: {AWSID}, secret-key: {AWSSECRET}}}
"""

SPRING_PROPERTIES = f"""spring.datasource.password={STRIPE}
slack.token={SLACK}
app.name=demo
"""

HELM_VALUES = f"""image: {{repository: app, tag: "1.0"}}
secrets:
  githubToken: {GITHUB}
  stripe: "{STRIPE}"
serviceAccount: {{create: true, annotations: {{}}}}
"""

DOTENV = f"""AWS_ACCESS_KEY_ID={AWSID}
AWS_SECRET_ACCESS_KEY={AWSSECRET}
SLACK_BOT_TOKEN={SLACK}
STRIPE_KEY="{STRIPE}"
"""

PYTHON = f"""import os

GITHUB_TOKEN = "{GITHUB}"
session = boto3.Session(aws_access_key_id="{AWSID}", aws_secret_access_key="{AWSSECRET}")
SLACK = os.environ.get("SLACK", "{SLACK}")  # nhiscan:allow
"""


def readers():
    # The first byte chooses the reader: yaml, json, json-lenient, hcl, dockerfile.
    for i, (name, text) in enumerate(
        [
            ("yaml-role", YAML_ROLE),
            ("json-policy", JSON_POLICY),
            ("json-lenient", JSON_LENIENT),
            ("hcl", HCL),
            ("dockerfile", DOCKERFILE),
        ]
    ):
        write("readers", name, bytes([i]) + text.encode())
    write("readers", "yaml-workflow", b"\x00" + YAML_WORKFLOW.encode())
    write("readers", "yaml-broken", b"\x00" + f"a: [{AWSID}, {{b: {GITHUB}\n".encode())
    write("readers", "json-broken", b"\x01" + f'{{"a": [{AWSID} "{GITHUB}"'.encode())
    write("readers", "hcl-broken", b"\x03" + f'x = {AWSID} {GITHUB} {{\n  y = "'.encode())


# The analyzers target's names, in its order (fuzz_targets/analyzers.rs).
ANALYZED = [
    ("policy.json", JSON_POLICY),
    ("iam/main.tf", HCL),
    ("deploy/role.yaml", YAML_ROLE),
    (".github/workflows/ci.yml", YAML_WORKFLOW),
    ("Dockerfile", DOCKERFILE),
    ("azure/roles.json", AZURE),
    ("gcp/iam.yaml", GCP),
    (".npmrc", NPMRC),
    (".pypirc", PYPIRC),
    (".netrc", NETRC),
    (".git-credentials", GIT_CREDENTIALS),
    (".docker/config.json", DOCKER_CONFIG),
    (".kube/config", KUBECONFIG),
    ("src/main/resources/application.yml", SPRING_YAML),
    ("application.properties", SPRING_PROPERTIES),
    ("appsettings.json", JSON_LENIENT),
    ("prod.tfvars", TFVARS),
    ("charts/app/values.yaml", HELM_VALUES),
]


def analyzers():
    for i, (name, text) in enumerate(ANALYZED):
        slug = name.strip("./").replace("/", "-").replace(".", "-")
        write("analyzers", f"{i:02}-{slug}", bytes([i]) + text.encode())


# The unit target's names, in its order (fuzz_targets/unit.rs).
UNIT = [
    ("config/settings.py", PYTHON),
    (".env", DOTENV),
    ("policy.json", JSON_POLICY),
    ("iam/main.tf", HCL),
    ("deploy/role.yaml", YAML_ROLE),
    (".github/workflows/ci.yml", YAML_WORKFLOW),
    ("Dockerfile", DOCKERFILE),
    ("notes.txt", "token " + GITHUB + "\n" + "x" * 60 + " " + STRIPE + "\n"),
    (".docker/config.json", DOCKER_CONFIG),
    ("src/test/fixtures/app.yaml", SPRING_YAML),
    ("appsettings.json", JSON_LENIENT),
]


def unit():
    for i, (name, text) in enumerate(UNIT):
        slug = name.strip("./").replace("/", "-").replace(".", "-")
        write("unit", f"{i:02}-{slug}", bytes([i]) + text.encode())
    # A selector byte of 128 or more: the target sends the text as UTF-16 (after planting).
    write("unit", "utf16", b"\x81" + DOTENV.encode())


def tar_bytes(files, gz=False):
    """A tar of (name, bytes or None for a directory, type) entries, fixed timestamps."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in files:
            ti = tarfile.TarInfo(name)
            ti.mtime = 1700000000
            if data is None:
                ti.type = tarfile.DIRTYPE
                t.addfile(ti)
            else:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
    # Without the padding to 10 KiB records: the end-of-archive blocks are enough.
    raw = buf.getvalue().rstrip(b"\0")
    raw += b"\0" * (-len(raw) % 512 + 1024)
    return gzip.compress(raw, mtime=0) if gz else raw


def zip_bytes(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i, (name, data) in enumerate(files):
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED if i % 2 else zipfile.ZIP_STORED
            z.writestr(info, data)
    return buf.getvalue()


LAYER_FILES = [
    ("app", None),
    ("app/.env", DOTENV.encode()),
    ("app/config.yaml", SPRING_YAML.encode()),
    ("app/.wh.old-key", GITHUB.encode()),
    ("etc/.wh..wh..opq", b""),
    (f"home/{AWSID}/.netrc", NETRC.encode()),
    ("../escape", b"x"),
    ("/abs/path", DOTENV.encode()),
]


def layers():
    write("layer", "tar", tar_bytes(LAYER_FILES))
    write("layer", "gzip", tar_bytes(LAYER_FILES, gz=True))
    write("layer", "empty-tar", b"\0" * 1024)


def archives():
    inner = zip_bytes([("BOOT-INF/classes/application.yml", SPRING_YAML), ("x.env", DOTENV)])
    write("archive", "zip", zip_bytes([("a/.env", DOTENV), ("b/settings.py", PYTHON)]))
    write("archive", "zip-nested", zip_bytes([("lib/inner.jar", inner), ("../up", "x")]))
    write("archive", "tar-gz", tar_bytes([("c/.npmrc", NPMRC.encode()), ("c/inner.zip", inner)], gz=True))
    write("archive", "tar", tar_bytes([("d/.netrc", NETRC.encode())]))
    write("archive", "gz", gzip.compress(DOTENV.encode(), mtime=0))


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def config_json(layer_digests):
    return json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {
                "Env": ["PATH=/bin", f"GITHUB_TOKEN={GITHUB}", f"AWS_ACCESS_KEY_ID={AWSID}"],
                "Labels": {"org.example.key": STRIPE},
                "Cmd": ["sh", "-c", f"SLACK_TOKEN={SLACK} app"],
            },
            "rootfs": {"type": "layers", "diff_ids": layer_digests},
            "history": [
                {"created_by": f"/bin/sh -c git clone https://{GITHUB}@example.invalid/r.git"},
                {"created_by": "ENV X=1", "empty_layer": True},
                {"created_by": f"RUN export DB_PASSWORD={STRIPE} && make"},
            ],
        }
    ).encode()


def images():
    l1 = tar_bytes(LAYER_FILES)
    l2 = tar_bytes([("app/.wh..env", b""), ("app/new.txt", f"stripe {STRIPE}\n".encode())])
    digests = [sha(l1), sha(l2)]
    cfg = config_json(digests)
    # docker save: blobs as files, manifest.json last (as docker writes it).
    manifest = json.dumps(
        [{"Config": "cfg.json", "RepoTags": ["app:1"], "Layers": ["l1/layer.tar", "l2/layer.tar"]}]
    ).encode()
    docker = tar_bytes(
        [("l1/layer.tar", l1), ("l2/layer.tar", l2), ("cfg.json", cfg), ("manifest.json", manifest)]
    )
    write("image", "docker-save", b"\x00" + docker)
    write("image", "docker-save-stream", b"\x01" + docker)
    write("image", "docker-save-cut", b"\x00" + docker[: len(docker) // 2])
    # OCI layout: an index naming a manifest, gzip layers, blobs by digest.
    g1, g2 = gzip.compress(l1, mtime=0), gzip.compress(l2, mtime=0)
    m = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(cfg), "size": len(cfg)},
            "layers": [
                {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha(g1), "size": len(g1)},
                {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha(g2), "size": len(g2)},
            ],
        }
    ).encode()
    index = json.dumps(
        {
            "schemaVersion": 2,
            "manifests": [
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": sha(m),
                    "size": len(m),
                    "platform": {"architecture": "amd64", "os": "linux"},
                },
                {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": sha(b"{}"), "size": 2},
            ],
        }
    ).encode()

    def blob(b):
        return ("blobs/sha256/" + hashlib.sha256(b).hexdigest(), b)

    oci = tar_bytes(
        [
            ("oci-layout", b'{"imageLayoutVersion": "1.0.0"}'),
            ("index.json", index),
            blob(m),
            blob(cfg),
            blob(g1),
            blob(g2),
            blob(b"{}"),
        ]
    )
    write("image", "oci", b"\x00" + oci)
    write("image", "oci-stream", b"\x01" + oci)


if __name__ == "__main__":
    readers()
    analyzers()
    unit()
    layers()
    archives()
    images()
