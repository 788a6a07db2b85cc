"""Provider credentials in the places integrations keep them: a production dotenv, a YAML config,
a GCP service-account key file."""

import json

from .build import A

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def dotenv(c, root):
    t = c.t
    f = c.file(f"{root}/.env.production", "dotenv")
    rows = [
        ("TAILSCALE_AUTHKEY", t.tailscale(), "tailscale-auth-key"),
        ("DT_API_TOKEN", t.dynatrace(), "dynatrace-token"),
        ("CONTENTFUL_MANAGEMENT_TOKEN", t.contentful(), "contentful-pat"),
        ("POSTHOG_PERSONAL_API_KEY", t.posthog(), "posthog-personal-key"),
        ("DOPPLER_TOKEN", t.doppler(), "doppler-service-token"),
        ("SUPABASE_ACCESS_TOKEN", t.supabase(), "supabase-access-token"),
        ("PINECONE_API_KEY", t.pinecone(), "pinecone-key"),
        ("ATLASSIAN_API_TOKEN", t.atlassian(), "atlassian-token"),
        ("SQUARE_ACCESS_TOKEN", t.square(), "square-token"),
        ("SHOPIFY_ADMIN_TOKEN", t.shopify(), "shopify-token"),
        ("DIGITALOCEAN_TOKEN", t.digitalocean(), "digitalocean-pat"),
        ("TELEGRAM_BOT_TOKEN", t.telegram(), "telegram-bot-token"),
        ("DISCORD_WEBHOOK", t.discord_webhook(), "discord-webhook"),
        ("NOTION_TOKEN", t.notion(), "notion-token"),
        ("PULUMI_ACCESS_TOKEN", t.pulumi(), "pulumi-token"),
        ("GRAFANA_SA_TOKEN", t.grafana_sa(), "grafana-sa-token"),
        ("DATABRICKS_TOKEN", t.databricks(), "databricks-pat"),
        ("NEW_RELIC_API_KEY", t.newrelic(), "newrelic-user-key"),
        ("POSTMAN_API_KEY", t.postman(), "postman-key"),
        ("LINEAR_API_KEY", t.linear(), "linear-key"),
        ("DOCKERHUB_TOKEN", t.dockerhub(), "dockerhub-pat"),
        ("GITLAB_TOKEN", t.gitlab(), "gitlab-pat"),
        ("SENDGRID_API_KEY", t.sendgrid(), "sendgrid-key"),
        ("GOOGLE_MAPS_SERVER_KEY", t.google_api(), "google-api-key-server"),
        ("ALGOLIA_ADMIN_KEY", t.hex(32), "algolia-admin-key"),
        ("MAILGUN_API_KEY", "key-" + t.hex(32), "mailgun-legacy-key"),
        ("HEROKU_API_KEY", t.uuid(), "heroku-api-key"),
        ("LAUNCHDARKLY_SDK_KEY", "sdk-" + t.uuid(), "launchdarkly-sdk-key"),
        ("SENTRY_AUTH_TOKEN", "sntryu_" + t.hex(64), "sentry-user-token"),
        ("CIRCLE_TOKEN", "CCIPAT_" + t.pick(B58, 22) + "_" + t.hex(40), "circleci-pat"),
    ]
    f.add("NODE_ENV=production\nPORT=8080")
    for key, value, what in rows:
        f.add(f"{key}=⟦{value}⟧", A("provider", what))


def yaml_config(c, root):
    t = c.t
    f = c.file(f"{root}/config/integrations.yaml", "app-config")
    f.add("okta:\n  domain: acme.okta.com")
    f.add(f"  api_token: ⟦{t.okta()}⟧", A("provider", "okta-api-token"), dedent=False)
    f.add("pagerduty:")
    f.add(f"  routing_key: ⟦{t.hex(32)}⟧", A("provider", "pagerduty-routing-key"), dedent=False)
    f.add("opsgenie:")
    f.add(f"  api_key: ⟦{t.uuid()}⟧", A("provider", "opsgenie-key", "a UUID under opsgenie"), dedent=False)
    f.add("segment:")
    f.add(f"  write_key: ⟦{t.alnum(32)}⟧", A("provider", "segment-write-key"), dedent=False)
    f.add("twitch:\n  client_id: " + t.pick("abcdefghijklmnopqrstuvwxyz0123456789", 30))
    f.add(f"  client_secret: ⟦{t.pick('abcdefghijklmnopqrstuvwxyz0123456789', 30)}⟧",
          A("provider", "twitch-client-secret"), dedent=False)
    f.add("salesforce:\n  username: integration@acme.io")
    f.add(f"  password: ⟦{t.password()}⟧", A("generic", "salesforce-password"), dedent=False)
    f.add(f"  security_token: ⟦{t.alnum(24)}⟧", A("provider", "salesforce-security-token"), dedent=False)
    f.add("snowflake:\n  account: acme-xy12345\n  user: LOADER")
    f.add(f"  password: ⟦{t.password()}⟧", A("generic", "snowflake-password"), dedent=False)


def gcp_key(c, root, key):
    t = c.t
    f = c.file(f"{root}/secrets/gcp-sa.json", "cloud-key")
    doc = {
        "type": "service_account", "project_id": "acme-prod-3141",
        "private_key_id": t.hex(40),
        "private_key": key.pem("PRIVATE KEY") + "\n",
        "client_email": "deployer@acme-prod-3141.iam.gserviceaccount.com",
        "client_id": t.digits(21),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    f.add("⟦" + json.dumps(doc, indent=2) + "⟧", A("provider", "gcp-service-account-key", "the whole file"),
          dedent=False)


def generate(c):
    dotenv(c, "services/integrations")
    yaml_config(c, "services/integrations")
    gcp_key(c, "services/integrations", c.keys[4])
