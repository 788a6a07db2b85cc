//! Context detection (rules/context.toml): credentials recognised by the form around them rather than
//! a token format (command lines, call arguments, XML, log lines, values on the line after their key,
//! the provider named in the key or nearby), in realistic files that mix several forms. Each planted
//! secret is reported once, on its line, by the rule that knows the form (or by a provider rule that
//! knows the token better); the near-misses beside them give nothing at all.

use base64::Engine as _;

use crate::support::*;

const HEX: &[u8] = b"0123456789abcdef";
const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// The value a `@@kind:seed@@` marker stands for, assembled here so no credential-shaped literal sits
/// in the sources. Passwords and tokens always hold a digit and a letter beyond `f`, as the mid-line
/// rules require of a value.
fn value(kind: &str, seed: u64) -> String {
    match kind {
        "pw" => format!(
            "{}k7{}",
            random(ALNUM, 8, seed * 2),
            random(ALNUM, 6, seed * 2 + 1)
        ),
        "tok" => format!(
            "{}q7{}",
            random(ALNUM, 14, seed * 2),
            random(ALNUM, 14, seed * 2 + 1)
        ),
        "hex32" => random(HEX, 32, seed),
        "hex40" => random(HEX, 40, seed),
        "kubeadm" => format!(
            "{}.{}",
            random(LOWER_ALNUM, 6, seed * 2),
            random(LOWER_ALNUM, 16, seed * 2 + 1)
        ),
        "okta" => format!("00{}", random(ALNUM, 40, seed)),
        "appkey" => format!(
            "base64:{}",
            base64::engine::general_purpose::STANDARD.encode(random(ALNUM, 32, seed))
        ),
        "basic" => base64::engine::general_purpose::STANDARD
            .encode(format!("deploy:{}", value("pw", seed))),
        other => panic!("unknown marker kind {other}"),
    }
}

/// `template` with every `@@kind:seed@@` replaced, and (line, secret) of each marker in order; a
/// `@@-kind:seed@@` marker is a value that is not a secret (an account id beside its token).
fn plant(template: &str) -> (String, Vec<(usize, String)>) {
    let mut text = String::new();
    let mut planted = Vec::new();
    for (i, line) in template.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("@@") {
            let end = at + 2 + rest[at + 2..].find("@@").expect("closed marker");
            let (kind, seed) = rest[at + 2..end].split_once(':').expect("kind:seed");
            let v = value(
                kind.trim_start_matches('-'),
                seed.parse().expect("numeric seed"),
            );
            text.push_str(&rest[..at]);
            text.push_str(&v);
            if !kind.starts_with('-') {
                planted.push((i + 1, v));
            }
            rest = &rest[end + 2..];
        }
        text.push_str(rest);
        text.push('\n');
    }
    (text, planted)
}

/// Scans `template` as `name` and checks the findings are exactly the planted secrets, in order, each
/// on its line with the rule given for it (and a secret that is the planted value, or `user:value`
/// where the form carries both).
fn check(name: &str, template: &str, rules: &[&str]) {
    let (text, planted) = plant(template);
    assert_eq!(planted.len(), rules.len(), "{name}: one rule per marker");
    let res = scanner().scan_file(name, text.as_bytes());
    let mut found: Vec<(usize, String, String)> = res
        .findings
        .iter()
        .map(|f| {
            (
                f.line,
                f.rule_id.clone(),
                f.secret.clone().unwrap_or_default(),
            )
        })
        .collect();
    found.sort();
    let mut want: Vec<(usize, String, String)> = planted
        .iter()
        .zip(rules)
        .map(|((line, secret), rule)| {
            let reported = found
                .iter()
                .find(|(l, r, s)| l == line && r == rule && s.ends_with(secret.as_str()))
                .map_or_else(|| secret.clone(), |(_, _, s)| s.clone());
            (*line, rule.to_string(), reported)
        })
        .collect();
    want.sort();
    let show = |v: &[(usize, String, String)]| -> Vec<String> {
        v.iter()
            .map(|(l, r, s)| format!("{l} {r} {}", nhiscan::finding::redact(s)))
            .collect()
    };
    assert_eq!(show(&found), show(&want), "{name}:\n{text}");
}

#[test]
fn a_deploy_script_with_credentials_on_command_lines() {
    check(
        "scripts/deploy.sh",
        r#"#!/bin/sh
set -eu
docker login -u ci -p @@pw:1@@ registry.corp.lan
curl -sf -u admin:@@pw:2@@ https://ci.corp.lan/job/app/build
curl -H "Authorization: Basic @@basic:3@@" https://nexus.corp.lan/service/rest/v1/status
mysqldump -h db01 -u backup -p@@pw:4@@ orders > /backup/orders.sql
PGPASSWORD=@@pw:5@@ psql -h db01 -U app orders -c 'select 1'
sshpass -p '@@pw:6@@' scp app.tar.gz deploy@10.0.4.12:/opt/app/
./migrate --env prod --db-password=@@pw:7@@ --dry-run=false
gh release upload v1.2.0 dist/app.tar.gz --token @@tok:8@@
ssh node3 sudo kubeadm join 10.0.0.10:6443 \
    --token @@kubeadm:9@@ \
    --discovery-token-unsafe-skip-ca-verification
# what the script does when the secrets come from the environment
mysql -u root -p orders
echo "$REGISTRY_TOKEN" | docker login ghcr.io -u ci --password-stdin
curl -u "$CI_USER:$CI_PASS" https://ci.corp.lan/api/json
curl -u admin: https://ci.corp.lan/api/json
sshpass -f /run/secrets/deploy-pw ssh deploy@10.0.4.12 uptime
./migrate --db-password="$DB_PASSWORD"
gh release upload v1.2.0 dist/app.tar.gz --token "$GH_TOKEN"
kubeadm token create --ttl 2h --print-join-command
"#,
        &[
            "generic-cli-tool-password",
            "generic-curl-basic-auth",
            "http-basic-auth-header",
            "generic-cli-tool-password",
            "generic-password-inline",
            "generic-cli-tool-password",
            "generic-cli-password-option",
            "generic-cli-token-option",
            "kubeadm-bootstrap-token-context",
        ],
    );
}

#[test]
fn a_provisioning_script_setting_accounts_and_querying_services() {
    check(
        "provision/setup.sh",
        r#"#!/bin/bash
useradd -m deploy && echo "deploy:@@pw:42@@" | chpasswd
htpasswd -bc /etc/nginx/.htpasswd admin @@pw:43@@
ldapsearch -x -H ldaps://ldap.corp.lan -D "cn=svc,dc=corp" -w @@pw:44@@ -b dc=corp "(uid=deploy)"
sqlplus -s app_owner/@@pw:45@@@//db01.corp.lan:1521/ORCLPDB1 @migrate.sql
redis-cli -h cache01 -a @@pw:46@@ CONFIG SET maxmemory 2gb
echo "deploy:$DEPLOY_PASSWORD" | chpasswd
htpasswd -c /etc/nginx/.htpasswd admin
ldapsearch -x -W -D "cn=svc,dc=corp" -b dc=corp
sqlplus /nolog
"#,
        &[
            "generic-chpasswd-password",
            "generic-cli-tool-password",
            "generic-cli-tool-password",
            "generic-oracle-connect-password",
            "generic-cli-tool-password",
        ],
    );
}

#[test]
fn an_ftp_client_site_manager() {
    let b64 = |seed| base64::engine::general_purpose::STANDARD.encode(value("pw", seed));
    let text = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<FileZilla3 version="3.66.1" platform="windows">
  <Servers>
    <Server>
      <Host>files.corp.lan</Host>
      <Port>21</Port>
      <User>backup</User>
      <Pass encoding="base64">{}</Pass>
    </Server>
    <Server>
      <Host>legacy.corp.lan</Host>
      <User>upload</User>
      <Pass>{}</Pass>
    </Server>
  </Servers>
</FileZilla3>
"#,
        b64(47),
        value("pw", 48)
    );
    let res = scanner().scan_file("AppData/Roaming/FileZilla/sitemanager.xml", text.as_bytes());
    let found: Vec<(usize, &str, String)> = res
        .findings
        .iter()
        .map(|f| {
            (
                f.line,
                f.rule_id.as_str(),
                f.secret.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            (8, "generic-pass-xml", b64(47)),
            (13, "generic-pass-xml", value("pw", 48)),
        ]
    );
}

#[test]
fn a_log_file_with_assignments_in_the_middle_of_lines() {
    check(
        "logs/app.log",
        "2024-05-01T10:22:03Z INFO  db.pool connecting with password=@@pw:10@@ to orders@db01
2024-05-01T10:22:04Z DEBUG http GET /export?user=report&password=@@pw:11@@&format=csv 200
2024-05-01T10:22:05Z WARN  retrying login user=svc_orders password=@@pw:12@@
2024-05-01T10:22:06Z INFO  using password=$DB_PASSWORD
2024-05-01T10:22:07Z DEBUG connect(host=db01, password=db_pass, port=5432)
2024-05-01T10:22:08Z DEBUG request token_hash=e3b0c44298fc1c149afbf4c8996fb924 accepted
2024-05-01T10:22:09Z INFO  login?password=&user=x
",
        &[
            "generic-password-inline",
            "generic-password-inline",
            "generic-password-inline-eol",
        ],
    );
}

#[test]
fn an_env_file_with_key_names_outside_the_generic_list_and_provider_words() {
    check(
        "shop/.env",
        "APP_NAME=Shop
APP_ENV=production
APP_KEY=@@appkey:13@@
DB_HOST=db01
DB_PASS=@@pw:14@@
MAIL_PASS=
SERVICE_CREDENTIALS=report-bot:@@pw:15@@
GOOGLE_APPLICATION_CREDENTIALS=/var/secrets/google/key.json
TWILIO_TOKEN=@@hex32:16@@
NEW_RELIC_LICENSE_KEY=@@hex40:17@@
KUBEADM_TOKEN=@@kubeadm:18@@
REDIS_PASS=${REDIS_PASS}
",
        &[
            "laravel-app-key",
            "generic-pass-key-config",
            "generic-credentials-assignment",
            "twilio-auth-token-context",
            "newrelic-license-key-context",
            "kubeadm-bootstrap-token-context",
        ],
    );
}

#[test]
fn xml_settings_elements_and_connection_strings() {
    check(
        "src/Shop.Web/Web.config",
        r#"<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <connectionStrings>
    <add name="Main" connectionString="Server=db01;Database=orders;User Id=app;Password=@@pw:19@@;" providerName="System.Data.SqlClient" />
  </connectionStrings>
  <appSettings>
    <add key="SmtpPass" value="@@pw:20@@" />
    <add key="ReportPass" value="" />
    <add key="ProxyBypass" value="10.0.0.1;localhost" />
  </appSettings>
  <ftp>
    <Host>ftp.corp.lan</Host>
    <Pass>@@pw:21@@</Pass>
  </ftp>
</configuration>
"#,
        &[
            "mssql-ado-connection-string",
            "generic-pass-xml",
            "generic-pass-xml",
        ],
    );
}

#[test]
fn credentials_passed_as_call_arguments() {
    check(
        "src/main/java/corp/Clients.java",
        r#"class Clients {
    Session mail() {
        return Session.getInstance(props, new Authenticator() {
            protected PasswordAuthentication getPasswordAuthentication() {
                return new PasswordAuthentication("mailer", "@@pw:22@@".toCharArray());
            }
        });
    }
    Connection db(String url) throws SQLException {
        return DriverManager.getConnection(url, "scott", "@@pw:23@@");
    }
    Connection db2(String url, String user, String pass) throws SQLException {
        return DriverManager.getConnection(url, user, pass);
    }
}
"#,
        &[
            "generic-credential-call-arguments",
            "generic-credential-call-arguments",
        ],
    );
    check(
        "tools/sync.py",
        r#"import ftplib, requests
def export(url):
    r = requests.get(url, auth=("reporting", "@@pw:24@@"), timeout=10)
    ftp = ftplib.FTP("ftp.corp.lan")
    ftp.login('upload', '@@pw:25@@')
    ftp.login("anonymous", "")
    client.login(username, password)
"#,
        &[
            "generic-credential-call-arguments",
            "generic-credential-call-arguments",
        ],
    );
    check(
        "Infra/Backup.cs",
        r#"var cred = new NetworkCredential("svc_backup", "@@pw:26@@", "CORP");
var other = new NetworkCredential(user, GetPassword());
"#,
        &["generic-credential-call-arguments"],
    );
    check(
        "public/db.php",
        r#"<?php
$db_pass = '@@pw:27@@';
$link = mysqli_connect("localhost", "shop", "@@pw:28@@", "shop");
$link2 = mysqli_connect($host, $user, $db_pass, "shop");
"#,
        &[
            "generic-pass-key-assignment",
            "generic-credential-call-arguments",
        ],
    );
}

#[test]
fn values_on_the_line_after_their_key() {
    check(
        "config/app.yaml",
        "db:
  user: orders
  password: |
    @@pw:29@@
smtp:
  password: >-
    @@pw:30@@
ldap:
  bindPassword:
    @@pw:31@@
  url: ldaps://ldap.corp.lan
cache:
  password:
    valueFrom:
      secretKeyRef:
        name: cache
        key: password
datadog:
  site: datadoghq.eu
  apiKey: @@hex32:32@@
  appKey: @@hex40:33@@
",
        &[
            "generic-password-next-line",
            "generic-password-next-line",
            "generic-password-next-line",
            "datadog-api-key-context",
            "datadog-app-key-context",
        ],
    );
    check(
        "build.gradle",
        r#"repositories {
    maven {
        url "https://repo.corp.lan/releases"
        credentials {
            username 'deployer'
            password '@@pw:34@@'
        }
    }
    maven {
        credentials {
            username = "ci"
            password = "@@pw:35@@"
        }
    }
    maven {
        credentials {
            username project.findProperty("nexusUser")
            password project.findProperty("nexusPassword")
        }
    }
}
"#,
        &["generic-password-dsl", "generic-password-assignment"],
    );
}

#[test]
fn the_provider_named_in_a_block_or_comment_above_the_value() {
    check(
        "infra/main.tf",
        r#"provider "datadog" {
  api_key = var.datadog_api_key
  app_key = "@@hex40:36@@"
}

provider "okta" {
  org_name  = "acme"
  base_url  = "okta.com"
  api_token = "@@okta:37@@"
}
"#,
        &["datadog-app-key-context", "okta-api-token-context"],
    );
    check(
        "monitoring/alertmanager.yml",
        "route:
  receiver: oncall
receivers:
- name: oncall
  pagerduty_configs:
  - send_resolved: true
    routing_key: @@hex32:38@@
",
        &["pagerduty-routing-key-context"],
    );
    check(
        "notify/settings.env",
        "# Twilio (SMS alerts)
ACCOUNT_SID=AC@@-hex32:39@@
AUTH_TOKEN=@@hex32:40@@
",
        &["twilio-auth-token-context"],
    );
}

#[test]
fn near_misses_of_every_form_give_nothing() {
    let text = r#"mysql -u root -p orders
mysql -u root -p"$MYSQL_PWD" orders
bypass=10.0.0.1
status = "pass"
first_pass = "run1"
DB_PASS=${DB_PASS}
curl -u admin: https://ci.corp.lan/api/json
WWW-Authenticate: Basic realm="staging"
This endpoint uses Basic authentication over TLS.
ftp --passive files.corp.lan
cli login --token $CI_TOKEN
parser.add_argument("--token", help="API token")
connect(host=h, password=db_pass, port=5432)
f(password=cfg.pw1, user=u)
xhr.withCredentials = true;
GOOGLE_APPLICATION_CREDENTIALS=/var/secrets/google/key.json
<ProxyBypass>10.0.0.1;localhost</ProxyBypass>
client.login(username, password)
        password project.findProperty("nexusPassword")
APP_KEY=SomeRandomString
openssl rsa -in key.pem -passin env:KEY_PASS
docker buildx build --secret id=npmrc,src=.npmrc .
twilio_token_ttl = 3600
pass:
	++test_pass_count;
"#;
    let res = scanner().scan_file("notes/runbook.md", text.as_bytes());
    let found: Vec<String> = res
        .findings
        .iter()
        .map(|f| format!("{} {}", f.line, f.rule_id))
        .collect();
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn a_helm_block_scalar_is_one_finding_not_two() {
    // The values analyzer reports the key's line; the next-line rule finds the same value on the
    // line below: one finding, the analyzer's.
    let (text, planted) = plant("db:\n  password: |\n    @@pw:41@@\n");
    let res = scanner().scan_file("charts/shop/values.yaml", text.as_bytes());
    let found: Vec<(usize, &str)> = res
        .findings
        .iter()
        .map(|f| (f.line, f.rule_id.as_str()))
        .collect();
    assert_eq!(found, vec![(2, "helm-values-secret")], "{planted:?}");
}
