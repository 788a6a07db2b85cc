"""Infrastructure: Terraform, Kubernetes manifests, Helm values, docker-compose, Dockerfiles."""

import base64
import json

from .build import A, D, T


def _b64(s):
    return base64.b64encode(s.encode()).decode()


def terraform(c, root):
    t = c.t
    f = c.file(f"{root}/terraform.tfvars", "terraform")
    f.add('region      = "eu-west-1"\nenvironment = "prod"')
    f.add(f'db_password = "⟦{t.password()}⟧"', A("generic", "tfvars-password"))
    f.add(f'datadog_api_key = "⟦{t.hex(32)}⟧"', A("provider", "datadog-api-key-tfvars"))
    f.add(f'cloudflare_api_token = "⟦{t.cloudflare_legacy()}⟧"', A("provider", "cloudflare-token-prefixless"))
    f.add(f'github_token = "⟦{t.github_fine()}⟧"', A("provider", "github-fine-grained-pat"))
    f.add('⟦db_username = "admin"⟧', D("generic", "username"))

    g = c.file(f"{root}/main.tf", "terraform")
    g.add("""\
        provider "aws" {
          region     = var.region""")
    g.add(f'  access_key = "⟦{t.aws_key_id()}⟧"', A("provider", "aws-access-key-id"), dedent=False)
    g.add(f'  secret_key = "⟦{t.aws_secret()}⟧"', A("provider", "aws-secret-access-key"), dedent=False)
    g.add("""\
        }

        resource "aws_db_instance" "orders" {
          identifier        = "orders-prod"
          engine            = "postgres"
          instance_class    = "db.t4g.medium"
          allocated_storage = 50
          username          = "orders\"""")
    g.add(f'  password          = "⟦{t.password()}⟧"', A("generic", "tf-resource-password"), dedent=False)
    g.add("""\
        }

        resource "aws_db_instance" "reports" {
          identifier = "reports-prod"
          engine     = "postgres"
          username   = "reports\"""")
    g.add("  ⟦password   = var.db_password⟧", D("generic", "tf-variable-reference"), dedent=False)
    g.add("""\
        }

        resource "random_password" "redis" {
          length  = 32
          special = false
        }

        resource "aws_iam_role_policy" "ci_deploy" {
          name = "ci-deploy"
          role = aws_iam_role.ci.id
          policy = jsonencode({
            Version = "2012-10-17\"""")
    g.add('    ⟦Statement = [{\n      Effect   = "Allow"\n      Action   = "*"\n      Resource = "*"\n    }]⟧',
          A("posture", "iam-admin-wildcard"), dedent=False)
    g.add("""\
          })
        }

        resource "aws_vpc_endpoint" "s3" {
          vpc_id       = aws_vpc.main.id
          service_name = "com.amazonaws.eu-west-1.s3"
          policy = jsonencode({
            Version = "2012-10-17\"""")
    g.add('    ⟦Statement = [{\n      Effect    = "Allow"\n      Principal = "*"\n'
          '      Action    = ["s3:GetObject", "s3:PutObject"]\n      Resource  = ["arn:aws:s3:::acme-artifacts/*"]\n'
          '    }]⟧', D("posture", "vpc-endpoint-policy-any-principal",
                      "an endpoint policy limits what passes the endpoint"), dedent=False)
    g.add("""\
          })
        }""")

    v = c.file(f"{root}/variables.tf", "terraform")
    v.add('variable "region" {\n  type    = string\n  default = "eu-west-1"\n}\n\nvariable "grafana_admin_password" {\n  type      = string\n  sensitive = true')
    v.add(f'  default   = "⟦{t.password()}⟧"', A("generic", "tf-variable-default-password"), dedent=False)
    v.add("}")

    s = c.file(f"{root}/terraform.tfstate", "terraform")
    state = {
        "version": 4, "terraform_version": "1.9.5", "serial": 42, "lineage": t.uuid(),
        "resources": [{
            "mode": "managed", "type": "aws_iam_access_key", "name": "ci",
            "instances": [{"attributes": {
                "id": "⟦" + t.aws_key_id() + "⟧", "user": "ci",
                "secret": "⟦" + t.aws_secret() + "⟧", "status": "Active"}}],
        }],
    }
    s.add(json.dumps(state, indent=2, ensure_ascii=False), A("provider", "aws-key-id-in-tfstate"),
          A("provider", "aws-secret-in-tfstate", "the key is named secret"), dedent=False)

    e = c.file(f"{root}/examples/complete/terraform.tfvars", "terraform", cls="true")
    e.add(f'db_password = "⟦{t.password()}⟧"', T("generic", "tfvars-in-examples"))
    e.add('⟦api_key = "1234567890"⟧', D("generic", "filler-digits"))


def kubernetes(c, root):
    t = c.t
    f = c.file(f"{root}/base/secret.yaml", "kubernetes")
    f.add("""\
        apiVersion: v1
        kind: Secret
        metadata:
          name: orders-db
          namespace: orders
        type: Opaque
        data:
          username: b3JkZXJz""")
    f.add(f"  password: ⟦{_b64(t.password())}⟧", A("generic", "k8s-secret-data-password"), dedent=False)
    f.add(f"  stripe-key: ⟦{_b64(t.stripe())}⟧", A("provider", "k8s-secret-data-stripe"), dedent=False)
    f.add("---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: orders-env\nstringData:")
    f.add(f"  DATABASE_URL: postgres://orders:⟦{t.password(uri=True)}⟧@pg01.corp.lan:5432/orders",
          A("generic", "k8s-stringdata-uri"), dedent=False)
    f.add(f"  SENTRY_AUTH_TOKEN: ⟦sntryu_{t.hex(64)}⟧", A("provider", "sentry-user-token"), dedent=False)

    d = c.file(f"{root}/base/deployment.yaml", "kubernetes")
    d.add("""\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: orders
          namespace: orders
        spec:
          replicas: 2
          selector:
            matchLabels:
              app: orders
          template:
            metadata:
              labels:
                app: orders
            ⟦spec:
              containers:⟧
                - name: orders
                  image: registry.corp.lan/orders:1.14.2
                  env:""", T("posture", "k8s-default-service-account", "hygiene; two rules report it"))
    d.add(f'            - name: SMTP_PASSWORD\n              value: "⟦{t.password()}⟧"',
          A("generic", "k8s-env-literal-password"), dedent=False)
    d.add("            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef:\n"
          "                  name: orders-db\n                  key: password", dedent=False)

    p = c.file(f"{root}/overlays/prod/patch-resources.yaml", "kubernetes")
    p.add("""\
        ⟦apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: orders
        spec:
          template:
            spec:
              containers:
                - name: orders
                  resources:
                    limits:
                      memory: 512Mi⟧""", D("posture", "kustomize-patch-fragment", "no selector, no image"))

    r = c.file(f"{root}/base/rbac.yaml", "kubernetes")
    r.add("""\
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata:
          name: orders-operator
        rules:
        ⟦  - apiGroups: ["*"]
            resources: ["*"]
            verbs: ["*"]⟧
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata:
          name: orders-operator
        roleRef:
          apiGroup: rbac.authorization.k8s.io
          kind: ClusterRole
          name: orders-operator
        subjects:
          - kind: ServiceAccount
            name: orders-operator
            namespace: orders""", A("posture", "k8s-rbac-wildcard"))

    x = c.file(f"{root}/base/external-secret.yaml", "kubernetes")
    x.add("""\
        apiVersion: external-secrets.io/v1beta1
        kind: ExternalSecret
        metadata:
          name: orders-api
        spec:
          secretStoreRef:
            name: vault
            kind: ClusterSecretStore
          data:
            - secretKey: api-token
              remoteRef:
                ⟦key: secret/data/orders/api-token⟧""", D("generic", "external-secret-reference"))

    s = c.file(f"{root}/base/sealed-secret.yaml", "kubernetes")
    s.add(f"""\
        apiVersion: bitnami.com/v1alpha1
        kind: SealedSecret
        metadata:
          name: orders-smtp
        spec:
          encryptedData:
            ⟦password: Ag{t.b64bytes(300)}⟧""", D("generic", "sealed-secret-ciphertext"))

    k = c.file(f"{root}/cluster/kubeadm-config.yaml", "kubernetes", cls="true")
    k.add("""\
        apiVersion: kubeadm.k8s.io/v1beta3
        kind: InitConfiguration
        bootstrapTokens:
          - groups:
              - system:bootstrappers:kubeadm:default-node-token""")
    # The token kubeadm's documentation shows, assembled so this file holds no token-shaped literal.
    docs_token = "abcdef" + "." + "0123456789abcdef"
    k.add(f"    ⟦token: {docs_token}⟧", D("provider", "kubeadm-docs-token", "the token in kubeadm's docs"),
          dedent=False)
    k.add("    ttl: 24h0m0s", dedent=False)

    e = c.file(f"{root}/tests/e2e/fixtures/secret.yaml", "kubernetes", cls="true")
    e.add("apiVersion: v1\nkind: Secret\nmetadata:\n  name: e2e-db\nstringData:")
    e.add(f"  password: ⟦{t.password()}⟧", T("generic", "e2e-fixture-password"), dedent=False)
    e.add("---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: e2e-placeholder\ndata:")
    e.add("  ⟦password: cGFzc3dvcmQ=⟧", D("generic", "base64-of-password"), dedent=False)

    m = c.file(f"{root}/base/configmap.yaml", "kubernetes")
    m.add("""\
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: orders-config
        data:
          application.properties: |
            server.port=8080
            spring.datasource.url=jdbc:postgresql://pg01.corp.lan:5432/orders""")
    m.add(f"    spring.datasource.password=⟦{t.password()}⟧", A("generic", "properties-in-configmap"), dedent=False)
    m.add("  ⟦LOG_LEVEL: info⟧", D("generic", "innocuous"), dedent=False)


def helm(c, root):
    t = c.t
    f = c.file(f"{root}/charts/orders/values.yaml", "helm", cls="true")
    f.add("""\
        replicaCount: 1
        image:
          repository: registry.corp.lan/orders
          tag: ""
        postgresql:
          auth:
            username: orders""")
    f.add('    ⟦password: ""⟧', D("generic", "empty-password"), dedent=False)
    f.add("    ⟦existingSecret: orders-postgresql⟧", D("generic", "helm-existing-secret"), dedent=False)
    f.add("    ⟦secretKeys:\n      userPasswordKey: password⟧", D("generic", "helm-secret-key-name"),
          dedent=False)
    f.add("ingress:\n  enabled: true\n  tls:\n    - hosts: [orders.acme.io]")
    f.add("      ⟦secretName: orders-tls⟧", D("generic", "helm-tls-secret-name"), dedent=False)
    f.add("keystore:")
    f.add("  ⟦keyPasswordSecretKey: key-password⟧", D("generic", "helm-key-password-secret-key"), dedent=False)
    f.add("  ⟦tlsSecret: orders-keystore-tls⟧", D("generic", "helm-tls-secret"), dedent=False)
    f.add("smtp:")
    f.add("  ⟦password: changeme⟧", D("generic", "changeme"), dedent=False)
    f.add("  ⟦passwordSecret: smtp-credentials⟧", D("generic", "helm-password-secret-name"), dedent=False)

    p = c.file(f"{root}/environments/prod/values-prod.yaml", "helm")
    p.add("postgresql:\n  auth:\n    username: orders")
    p.add(f"    password: ⟦{t.password()}⟧", A("generic", "helm-prod-password"), dedent=False)
    p.add("redis:\n  auth:\n    enabled: true")
    p.add(f'    password: "⟦{t.password("words")}⟧"', A("generic", "helm-redis-password"), dedent=False)
    p.add("grafana:")
    p.add(f"  adminPassword: ⟦{t.password()}⟧", A("generic", "helm-grafana-admin-password"), dedent=False)
    p.add("alertmanager:\n  config:\n    global:")
    p.add(f"      slack_api_url: ⟦{t.slack_webhook()}⟧", A("provider", "slack-webhook"), dedent=False)
    p.add(f"      pagerduty_url: https://events.pagerduty.com/v2/enqueue")

    r = c.file(f"{root}/charts/orders/README.md", "helm", cls="true")
    r.add("""\
        # orders

        ## Installing

        ```console
        ⟦helm install orders ./charts/orders --set postgresql.auth.password=secretpassword⟧
        ```""", D("generic", "docs-set-placeholder-password"))


def compose(c, root):
    t = c.t
    f = c.file(f"{root}/docker-compose.yml", "compose")
    f.add("services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_USER: app")
    f.add(f"      POSTGRES_PASSWORD: ⟦{t.password()}⟧", A("generic", "compose-postgres-password"), dedent=False)
    f.add("  queue:\n    image: rabbitmq:3-management\n    environment:", dedent=False)
    f.add(f"      RABBITMQ_DEFAULT_PASS: ⟦{t.password()}⟧", A("generic", "compose-rabbitmq-pass", "*_PASS key"),
          dedent=False)
    f.add("  cache:\n    image: redis:7", dedent=False)
    f.add(f"    command: redis-server --requirepass ⟦{t.password()}⟧", A("generic", "redis-requirepass-cli"),
          dedent=False)
    f.add("  minio:\n    image: minio/minio\n    environment:\n      - MINIO_ROOT_USER=admin", dedent=False)
    f.add(f"      - MINIO_ROOT_PASSWORD=⟦{t.password()}⟧", A("generic", "compose-list-env-password"), dedent=False)
    f.add("  app:\n    build: .\n    environment:", dedent=False)
    f.add("      ⟦DATABASE_PASSWORD: ${POSTGRES_PASSWORD}⟧", D("generic", "compose-interpolation"), dedent=False)
    f.add("      ⟦MYSQL_ALLOW_EMPTY_PASSWORD: \"yes\"⟧", D("generic", "empty-password-flag"), dedent=False)
    d = c.file(f"{root}/dev/docker-compose.override.yml", "compose", cls="true")
    d.add("services:\n  db:\n    environment:")
    d.add("      ⟦POSTGRES_PASSWORD: postgres⟧", D("generic", "trivial-local-password"), dedent=False)


def dockerfile(c, root):
    t = c.t
    f = c.file(f"{root}/Dockerfile", "dockerfile")
    f.add("""\
        FROM golang:1.23 AS build
        WORKDIR /src
        ⟦COPY . .⟧
        RUN go build -o /out/api ./cmd/api

        FROM gcr.io/distroless/base-debian12
        COPY --from=build /out/api /api""", D("posture", "copy-all-in-builder-stage",
                                             "the builder stage never reaches the final image"))
    f.add(f"ENV SENTRY_DSN=⟦https://{t.hex(32)}@o4507.ingest.sentry.io/4507⟧",
          D("provider", "sentry-dsn", "a DSN only lets you send events"))
    f.add(f"ENV API_TOKEN=⟦{t.alnum(32)}⟧", A("generic", "dockerfile-env-token"))
    f.add('ENTRYPOINT ["/api"]')
    e = c.file(f"{root}/.env", "dotenv")
    e.add(f"API_TOKEN=⟦{t.alnum(32)}⟧", A("generic", "dotenv-api-token"))
    e.add(f"DB_PASS=⟦{t.password()}⟧", A("generic", "dotenv-db-pass"))


def generate(c):
    terraform(c, "infra/prod")
    kubernetes(c, "deploy/k8s")
    helm(c, "deploy/helm")
    compose(c, "work/shop-api")
    dockerfile(c, "work/gateway")
