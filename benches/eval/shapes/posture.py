"""Permissions granted to non-human identities: IAM and trust policies, CloudFormation, GCP and Azure
role grants, RBAC, workflows; and the look-alikes that open nothing."""

from .build import A, D, T


def aws(c, root):
    f = c.file(f"{root}/iam/ci-deployer-policy.json", "iam")
    f.add("""\
        {
          "Version": "2012-10-17",
          "Statement": [
            {
              "Sid": "ReadArtifacts",
              "Effect": "Allow",
              "Action": ["s3:GetObject"],
              "Resource": "arn:aws:s3:::acme-artifacts/*"
            },
        ⟦    {
              "Sid": "PassAnyRole",
              "Effect": "Allow",
              "Action": "iam:PassRole",
              "Resource": "*"
            }⟧,
        ⟦    {
              "Sid": "Everything",
              "Effect": "Allow",
              "NotAction": "iam:*",
              "Resource": "*"
            }⟧
          ]
        }""", A("posture", "iam-passrole-any"), A("posture", "iam-allow-not-action"))
    g = c.file(f"{root}/iam/github-oidc-trust.json", "iam")
    g.add("""\
        {
          "Version": "2012-10-17",
          "Statement": [
        ⟦    {
              "Effect": "Allow",
              "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
              "Action": "sts:AssumeRoleWithWebIdentity",
              "Condition": {
                "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}
              }
            }⟧
          ]
        }""", A("posture", "github-oidc-trust-without-sub", "any repository on GitHub can assume it"))
    h = c.file(f"{root}/iam/cross-account-trust.json", "iam")
    h.add("""\
        {
          "Version": "2012-10-17",
          "Statement": [
        ⟦    {
              "Effect": "Allow",
              "Principal": {"AWS": "*"},
              "Action": "sts:AssumeRole"
            }⟧
          ]
        }""", A("posture", "trust-policy-any-principal"))
    k = c.file(f"{root}/cloudformation/stack-policy.json", "iam")
    k.add("""\
        {
          "Statement": [
        ⟦    {
              "Effect": "Allow",
              "Action": "Update:*",
              "Principal": "*",
              "Resource": "*"
            }⟧
          ]
        }""", D("posture", "cloudformation-stack-policy", "a stack policy guards updates, it grants nobody anything"))


def gcp_azure(c, root):
    f = c.file(f"{root}/gcp/iam.tf", "iam")
    f.add("""\
        resource "google_service_account" "ci" {
          account_id   = "ci-deployer"
          display_name = "CI deployer"
        }

        ⟦resource "google_project_iam_member" "ci_editor" {
          project = var.project_id
          role    = "roles/editor"
          member  = "serviceAccount:${google_service_account.ci.email}"
        }⟧

        resource "google_project_iam_member" "ci_logs" {
          project = var.project_id
          role    = "roles/logging.logWriter"
          member  = "serviceAccount:${google_service_account.ci.email}"
        }""", A("posture", "gcp-basic-role-for-sa"))
    g = c.file(f"{root}/azure/roles.tf", "iam")
    g.add("""\
        ⟦resource "azurerm_role_assignment" "pipeline_owner" {
          scope                = data.azurerm_subscription.current.id
          role_definition_name = "Owner"
          principal_id         = azuread_service_principal.pipeline.object_id
        }⟧

        resource "azurerm_role_assignment" "pipeline_reader" {
          scope                = data.azurerm_subscription.current.id
          role_definition_name = "Reader"
          principal_id         = azuread_service_principal.pipeline.object_id
        }""", A("posture", "azure-owner-to-service-principal"))


def k8s(c, root):
    f = c.file(f"{root}/rbac/secrets-reader.yaml", "kubernetes")
    f.add("""\
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata:
          name: config-sync
        rules:
        ⟦  - apiGroups: [""]
            resources: ["secrets"]
            verbs: ["get", "list", "watch"]⟧
        ⟦  - apiGroups: ["rbac.authorization.k8s.io"]
            resources: ["clusterroles"]
            verbs: ["bind", "escalate"]⟧
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata:
          name: config-sync
        roleRef:
          apiGroup: rbac.authorization.k8s.io
          kind: ClusterRole
          name: config-sync
        subjects:
          - kind: ServiceAccount
            name: config-sync
            namespace: tools""", A("posture", "k8s-cluster-secrets-read"), A("posture", "k8s-escalation-verbs"))
    g = c.file(f"{root}/rbac/view-binding.yaml", "kubernetes")
    g.add("""\
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata:
          name: dashboards-view
          namespace: monitoring
        roleRef:
          apiGroup: rbac.authorization.k8s.io
          kind: ClusterRole
          name: view
        subjects:
          - kind: ServiceAccount
            name: grafana
            namespace: monitoring""")


def workflows(c, root):
    f = c.file(f"{root}/.github/workflows/reusable-call.yml", "ci")
    f.add("""\
        name: deploy
        on:
          push:
            branches: [main]
        permissions:
          contents: read
        jobs:
          deploy:
            uses: acme/shared-workflows/.github/workflows/deploy.yml@v3""")
    f.add("    ⟦secrets: inherit⟧", T("posture", "gha-secrets-inherit", "an internal reusable workflow"), dedent=False)


def generate(c):
    aws(c, "infra/aws")
    gcp_azure(c, "infra")
    k8s(c, "deploy/k8s")
    workflows(c, "work/platform")
