//! False positives and gate misses of the secret rules (issue 10), one test per pattern, each with the
//! near miss that must still be reported. Secrets are assembled at run time; the published samples
//! are the providers' own documentation values, which is the point of those tests.

use crate::support::*;

/// (line, rule) of what the whole engine and analyzers report for `text` scanned as `path`.
fn found(path: &str, text: &str) -> Vec<(usize, String)> {
    let mut v: Vec<(usize, String)> = scanner()
        .scan_file(path, text.as_bytes())
        .findings
        .into_iter()
        .filter(|f| f.kind == nhiscan::finding::Category::Secret)
        .map(|f| (f.line, f.rule_id))
        .collect();
    v.sort();
    v
}

fn lines(v: &[(usize, &str)]) -> Vec<(usize, String)> {
    v.iter().map(|(l, r)| (*l, r.to_string())).collect()
}

#[test]
fn published_documentation_samples_are_not_reported() {
    // Firebase's FirebaseOptions.apiKey example, jwt.io's sample claims (any signature), Stripe's and
    // Mailgun's documentation keys.
    let firebase = format!("{}{}", "AIzaSyDOCAbC123dEf456GhI789jKl012", "-MnO");
    let jwt_io = format!(
        "{}.{}.{}",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
        "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ",
        random(ALNUM, 43, 1)
    );
    let stripe = format!("{}{}", "sk_test_", "BQokikJOvBiI2HlWgH4olfQ2");
    let mailgun = format!("{}{}", "key-", "3ax6xnjp29jd6fds4gc373sgvjxteol0");
    let text = format!(
        "const firebaseConfig = {{ apiKey: \"{firebase}\" }};\nconst token = \"{jwt_io}\";\nStripe.api_key = '{stripe}'\nMAILGUN_API_KEY={mailgun}\n"
    );
    assert_eq!(found("docs/setup.js", &text), vec![]);
    // The same shapes with other values are reported.
    let own_jwt = format!(
        "{}.{}.{}",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
        "eyJzdWIiOiJzdmMtYmlsbGluZyIsImlhdCI6MTcxODAwMDAwMH0",
        random(ALNUM, 43, 2)
    );
    let own_stripe = format!("{}{}", "sk_test_", random(ALNUM, 24, 3));
    let own_mailgun = format!(
        "{}{}",
        "key-",
        random(b"0123456789abcdefghijklmnopqrstuvwxyz", 32, 4)
    );
    let text = format!(
        "const token = \"{own_jwt}\";\nStripe.api_key = '{own_stripe}'\nMAILGUN_API_KEY={own_mailgun}\n"
    );
    assert_eq!(
        found("src/app.js", &text),
        lines(&[
            (1, "jwt"),
            (2, "stripe-test-secret-key"),
            (3, "mailgun-api-key-legacy")
        ])
    );
}

#[test]
fn filler_values_are_not_reported() {
    let text = "\
SLACK_BOT_TOKEN=xoxb-1234567890-1234567890123-abcdefghijklmnopqrstuvwx
STRIPE_SECRET_KEY=sk_live_1234567890abcdefghijklmn
aws_access_key_id = AKIAABCDEFGHIJKLMNOP
SHOPIFY_TOKEN=shpat_0123456789abcdef0123456789abcdef
password = \"1234567890\"
api_key = \"0123456789abcdefghij\"
secret = \"a1b2c3d4e5f6g7h8i9j0\"
DB_PASSWORD=qwerty123456
token: abcdabcdabcdabcd1
";
    assert_eq!(found("config/.env.sample", text), vec![]);
    let text = format!(
        "SLACK_BOT_TOKEN={}\nSTRIPE_SECRET_KEY={}\naws_access_key_id = {}\n",
        slack_bot(5),
        stripe_live(6),
        aws_key_id(7)
    );
    assert_eq!(
        found("config/.env", &text),
        lines(&[
            (1, "slack-bot-token"),
            (2, "stripe-live-secret-key"),
            (3, "aws-access-key-id")
        ])
    );
}

#[test]
fn a_provider_name_inside_a_longer_identifier_is_not_the_provider() {
    let okta = format!("00{}", random(ALNUM, 40, 11));
    let telegram = format!("{}:AA{}", random(DIGITS, 10, 12), random(ALNUM, 33, 13));
    let text =
        format!("const rookTable = [\"{okta}\"];\nrobot_token_cache = {{\"{telegram}\": 1}}\n");
    assert_eq!(found("src/tables.js", &text), vec![]);
    let text = format!(
        "OKTA_API_TOKEN={okta}\nconst myOktaToken = \"{okta}\";\nTELEGRAM_BOT_TOKEN={telegram}\n"
    );
    assert_eq!(
        found("src/tables.js", &text),
        lines(&[
            (1, "okta-api-token"),
            (2, "okta-api-token"),
            (3, "telegram-bot-token")
        ])
    );
}

#[test]
fn selectors_routes_and_format_strings_are_not_values() {
    let text = "\
a[href^=\"token\"] { color: red; }
.password:focus { outline: none; }
resetPassword: \":password1\"
app.get('/api/:token', handler);
passwordRoute = \"/users/:id/password2\"
password_format = \"%(db_password)s\"
password: \"%-12s\"
secretKey: \"{0}:{1}\"
";
    assert_eq!(found("web/app.js", text), vec![]);
    assert_eq!(found("web/site.css", text), vec![]);
}

#[test]
fn csrf_tokens_in_html_forms_are_not_secrets() {
    let csrf = random(ALNUM, 43, 21);
    let html = format!(
        "<form action=\"/session\" method=\"post\">\n<input type=\"hidden\" name=\"authenticity_token\" value=\"{csrf}==\" autocomplete=\"off\" />\n<input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">\n<input name=\"__RequestVerificationToken\" type=\"hidden\" value=\"{csrf}\" />\n</form>\n"
    );
    assert_eq!(found("app/views/sessions/new.html", &html), vec![]);
    let config = format!(
        "<appSettings>\n  <add key=\"PaymentApiToken\" value=\"{csrf}\" />\n</appSettings>\n"
    );
    assert_eq!(
        found("web.config", &config),
        lines(&[(2, "generic-secret-xml")])
    );
}

#[test]
fn a_detect_secrets_baseline_holds_hashes_not_secrets() {
    let mut results = String::new();
    for i in 0..45 {
        results.push_str(&format!(
            "      {{\n        \"type\": \"Secret Keyword\",\n        \"filename\": \"src/m{i}.py\",\n        \"hashed_secret\": \"{}\",\n        \"is_verified\": false,\n        \"line_number\": {i}\n      }},\n",
            random(b"0123456789abcdef", 40, 100 + i)
        ));
    }
    let baseline = format!(
        "{{\n  \"version\": \"1.5.0\",\n  \"results\": {{\n    \"src\": [\n{}    ]\n  }}\n}}\n",
        results.trim_end_matches(",\n")
    );
    assert_eq!(found(".secrets.baseline", &baseline), vec![]);
}

#[test]
fn helm_values_naming_a_secret_are_not_secrets() {
    let values = format!(
        "\
ingress:
  tlsSecret: x-tls
keystore:
  keyPasswordSecretKey: key-password
auth:
  existingSecret: my-secret
  secretName: app-credentials
  passwordSecretRef: db-pass
  tokenSecret: gh-token
  password: DB_PASSWORD
  jwtSecret: {}
  adminPassword: hunter22
",
        random(b"abcdefghijklmnopqrstuvwxyz0123456789", 32, 31)
    );
    assert_eq!(
        found("chart/values.yaml", &values),
        lines(&[(11, "helm-values-secret"), (12, "helm-values-secret")])
    );
    // The generic rules read such names the same way in any YAML.
    let manifest = "auth:\n  tokenSecret: github-app-token-secret-v2\n  passwordSecretKey: postgres-password-v2\n";
    assert_eq!(found("k8s/deploy.yaml", manifest), vec![]);
}

#[test]
fn empty_key_blocks_are_templates() {
    let pem = "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n\n-----BEGIN RSA PRIVATE KEY-----\n\n-----END RSA PRIVATE KEY-----\n";
    assert_eq!(found("keys/template.pem", pem), vec![]);
    let values = "sshPrivateKey: \"-----BEGIN OPENSSH PRIVATE KEY-----\\n\\n-----END OPENSSH PRIVATE KEY-----\"\ntls:\n  key: |\n    -----BEGIN PRIVATE KEY-----\n    -----END PRIVATE KEY-----\n";
    assert_eq!(found("chart/values.yaml", values), vec![]);
    let sa = format!(
        "{{\n  \"type\": \"service_account\",\n  \"private_key_id\": \"{}\",\n  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n-----END PRIVATE KEY-----\\n\",\n  \"client_email\": \"ci@demo.iam.gserviceaccount.com\"\n}}\n",
        random(b"0123456789abcdef", 40, 41)
    );
    assert_eq!(found("secrets/sa.json", &sa), vec![]);
}

#[test]
fn a_jwt_header_must_be_json_with_alg() {
    let payload = "eyJzdWIiOiJzdmMtYmlsbGluZyIsImlhdCI6MTcxODAwMDAwMH0";
    // {"alg":"HS256","typ":"JWT   (cut short: the header is not JSON)
    let broken = format!(
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVC.{payload}.{}",
        random(ALNUM, 43, 51)
    );
    let good = format!(
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{payload}.{}",
        random(ALNUM, 43, 51)
    );
    let text = format!("a = '{broken}'\nb = '{good}'\n");
    assert_eq!(found("src/auth.py", &text), lines(&[(2, "jwt")]));
}

#[test]
fn environment_variable_names_are_references() {
    let dockerfile = "FROM alpine\nENV DB_PASSWORD=DB_PASSWORD\nARG TOKEN=GITHUB_TOKEN\nENV API_KEY=API_KEY_V2\n";
    assert_eq!(found("Dockerfile", dockerfile), vec![]);
    let code =
        "password = \"DB_PASSWORD_2\"\npassword: ENV_DB_PASSWORD1\ntoken: secrets.GITHUB_TOKEN\n";
    assert_eq!(found("deploy/app.yaml", code), vec![]);
    let real = format!("FROM alpine\nENV DB_PASSWORD={}\n", password(61));
    assert_eq!(
        found("Dockerfile", &real),
        lines(&[(2, "dockerfile-env-secret")])
    );
}

/// A PuTTY key file with `comment`: random key material, the layout puttygen writes.
fn ppk(comment: &str, seed: u64) -> String {
    let b64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    // The public blob starts like every ssh-rsa key: length-prefixed fields with runs of zero bytes.
    let public: Vec<String> = (0..6)
        .map(|i| {
            if i == 0 {
                format!("AAAAB3NzaC1yc2EAAAADAQABAAABAQ{}", random(b64, 34, seed))
            } else {
                random(b64, 64, seed + i)
            }
        })
        .collect();
    let private: Vec<String> = (0..14).map(|i| random(b64, 64, seed + 100 + i)).collect();
    format!(
        "PuTTY-User-Key-File-3: ssh-rsa\nEncryption: none\nComment: {comment}\nPublic-Lines: 6\n{}\nPrivate-Lines: 14\n{}\nPrivate-MAC: {}\n",
        public.join("\n"),
        private.join("\n"),
        random(b"0123456789abcdef", 64, seed + 200)
    )
}

#[test]
fn putty_keys_are_judged_by_their_material_not_their_comment() {
    for (i, comment) in ["dummy-key", "deploy@example.com", "rsa-key-20240601"]
        .iter()
        .enumerate()
    {
        let key = ppk(comment, 70 + i as u64 * 1000);
        assert_eq!(
            found("keys/deploy.ppk", &key),
            lines(&[(1, "private-key-putty")]),
            "Comment: {comment}"
        );
    }
    // A key whose material is a placeholder is still not one.
    let template = "PuTTY-User-Key-File-3: ssh-rsa\nEncryption: none\nComment: deploy\nPublic-Lines: 1\nAAAAB3NzaC1yc2EAAAADAQABAAABAQ\nPrivate-Lines: 1\nREDACTEDREDACTEDREDACTEDREDACTEDREDACTEDREDACTED\nPrivate-MAC: 0000000000000000000000000000000000000000\n";
    assert_eq!(found("keys/template.ppk", template), vec![]);
}

#[test]
fn weak_passwords_under_a_password_key_are_reported() {
    let text = "\
password = \"hunter22\"
DB_PASSWORD=hunter22
\"password\": \"Tr0ub4dor\"
password = \"password1\"
password = \"P@ssw0rd!\"
password = \"secret123\"
password = \"changeme\"
password = \"qwerty123\"
password = \"aaaa1111\"
password = \"hunt3r\"
";
    assert_eq!(
        found("config/settings.py", text),
        lines(&[
            (1, "generic-password-assignment"),
            (2, "generic-password-config"),
            (3, "generic-password-assignment")
        ])
    );
}
