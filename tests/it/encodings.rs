//! Secrets behind an encoding or in a variant of their usual format (issue 10, causes 3 and 5): a PEM
//! key split across string literals, base64 of a whole PEM file (or of a service-account JSON), a key
//! body without its armour, a percent-encoded password, the legacy `.dockercfg`, low-entropy passwords
//! in URIs, framework keys with punctuation. Each case asserts the rule and the line, and a near miss
//! beside it that must not be reported. Key material is assembled here from random bytes in the DER
//! shapes of RFC 8017 / 5958 / 5915, so no key sits in the sources.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::support::{random, scanner, ALNUM};

/// (line, rule, secret) of every finding in `text` scanned as `path`, sorted.
fn scan(path: &str, text: &str) -> Vec<(usize, String, String)> {
    let mut v: Vec<_> = scanner()
        .scan_file(path, text.as_bytes())
        .findings
        .into_iter()
        .map(|f| (f.line, f.rule_id, f.secret.unwrap_or_default()))
        .collect();
    v.sort();
    v
}

/// (line, rule) of every finding.
fn lines(path: &str, text: &str) -> Vec<(usize, String)> {
    scan(path, text)
        .into_iter()
        .map(|(l, r, _)| (l, r))
        .collect()
}

fn at(list: &[(usize, &str)]) -> Vec<(usize, String)> {
    list.iter().map(|(l, r)| (*l, r.to_string())).collect()
}

/// Deterministic pseudo-random bytes (xorshift), never all alike.
fn bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn tlv(tag: u8, c: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match c.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n < 0x100 => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(c);
    out
}

fn seq(fields: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &fields.concat())
}

/// A positive INTEGER of `n` random bytes.
fn int(n: usize, seed: u64) -> Vec<u8> {
    let mut b = bytes(n, seed);
    b[0] &= 0x7f;
    b[0] |= 0x40;
    tlv(0x02, &b)
}

/// An RSAPrivateKey (PKCS#1) of a 2048-bit shape: the modulus has its top bit set, so its INTEGER
/// takes a leading zero byte.
fn rsa_pkcs1(seed: u64) -> Vec<u8> {
    let mut modulus = bytes(256, seed);
    modulus[0] |= 0x80;
    let modulus = tlv(0x02, &[vec![0], modulus].concat());
    let mut f = vec![
        tlv(0x02, &[0]),
        modulus,
        tlv(0x02, &[1, 0, 1]),
        int(256, seed + 1),
    ];
    for i in 0..5 {
        f.push(int(128, seed + 2 + i));
    }
    seq(&f)
}

/// A PrivateKeyInfo (PKCS#8) holding an RSA key.
fn rsa_pkcs8(seed: u64) -> Vec<u8> {
    let alg = seq(&[
        tlv(
            0x06,
            &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01],
        ),
        tlv(0x05, &[]),
    ]);
    seq(&[tlv(0x02, &[0]), alg, tlv(0x04, &rsa_pkcs1(seed))])
}

/// An Ed25519 PrivateKeyInfo (RFC 8410).
fn ed25519(seed: u64) -> Vec<u8> {
    let alg = seq(&[tlv(0x06, &[0x2B, 0x65, 0x70])]);
    seq(&[
        tlv(0x02, &[0]),
        alg,
        tlv(0x04, &tlv(0x04, &bytes(32, seed))),
    ])
}

/// An ECPrivateKey (SEC 1) on P-256.
fn ec_sec1(seed: u64) -> Vec<u8> {
    let curve = tlv(
        0xA0,
        &tlv(0x06, &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]),
    );
    let public = tlv(
        0xA1,
        &tlv(0x03, &[vec![0, 4], bytes(64, seed + 1)].concat()),
    );
    seq(&[tlv(0x02, &[1]), tlv(0x04, &bytes(32, seed)), curve, public])
}

fn b64_lines(der: &[u8], width: usize) -> Vec<String> {
    STANDARD
        .encode(der)
        .as_bytes()
        .chunks(width)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect()
}

fn pem(label: &str, der: &[u8]) -> String {
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        b64_lines(der, 64).join("\n")
    )
}

#[test]
fn a_pem_key_split_across_string_literals_is_joined() {
    let key = pem("RSA PRIVATE KEY", &rsa_pkcs1(1));
    let pem_lines: Vec<&str> = key.lines().collect();
    let n = pem_lines.len();
    // Java / JavaScript / C#: `+` at the end of each line.
    let mut java = String::from("class Keys {\n  static final String KEY =\n");
    for (i, l) in pem_lines.iter().enumerate() {
        java.push_str(&format!(
            "      \"{l}\\n\"{}\n",
            if i + 1 < n { " +" } else { ";" }
        ));
    }
    java.push_str("}\n");
    assert_eq!(lines("src/Keys.java", &java), at(&[(3, "private-key-rsa")]));
    // Python: adjacent literals in parentheses, a comment between two of them.
    let mut py = String::from("import jwt\n\nKEY = (\n");
    for (i, l) in pem_lines.iter().enumerate() {
        py.push_str(&format!(
            "    '{l}\\n'{}\n",
            if i == 3 { "  # body" } else { "" }
        ));
    }
    py.push_str(")\n");
    assert_eq!(lines("app/keys.py", &py), at(&[(4, "private-key-rsa")]));
    // Go: `+` at the start of the next line, the armour in literals of its own.
    let mut go = String::from("package keys\n\nconst key = \"-----BEGIN RSA PRIVATE KEY-----\\n\"");
    for l in &pem_lines[1..] {
        go.push_str(&format!("\n\t+ \"{l}\\n\""));
    }
    go.push('\n');
    assert_eq!(lines("keys/keys.go", &go), at(&[(3, "private-key-rsa")]));
    // The joined key is the same secret as the PEM file it came from.
    let from_file = scan("server.key", &key);
    let from_java = scan("src/Keys.java", &java);
    assert_eq!(from_file[0].2, from_java[0].2.trim_end());

    // Near misses: a certificate split the same way, a key cut short, code that only names the armour.
    let cert = java.replace("RSA PRIVATE KEY", "CERTIFICATE");
    assert_eq!(lines("src/Cert.java", &cert), vec![]);
    let cut: String = java.lines().take(6).map(|l| format!("{l}\n")).collect();
    assert_eq!(lines("src/Cut.java", &format!("{cut}\"\";\n")), vec![]);
    let check =
        "if (pem.startsWith(\"-----BEGIN RSA PRIVATE KEY-----\")) {\n  return \"pkcs1\";\n}\n";
    assert_eq!(lines("src/Pem.java", check), vec![]);
}

#[test]
fn a_json_escaped_pem_is_found_as_before() {
    let key = pem("PRIVATE KEY", &rsa_pkcs8(2));
    let json = format!(
        "{{\n  \"type\": \"service_account\",\n  \"private_key\": {}\n}}\n",
        serde_json::to_string(&key).unwrap()
    );
    assert_eq!(lines("sa.json", &json), at(&[(3, "private-key-escaped")]));
}

#[test]
fn base64_of_a_whole_pem_file_is_decoded_on_the_line_of_the_value() {
    let key = pem("RSA PRIVATE KEY", &rsa_pkcs1(3));
    let b64 = STANDARD.encode(&key);
    assert!(b64.starts_with("LS0tLS1CRUdJTi"));
    // A Helm value and an environment variable: no `kind: Secret`, no `base64` keyword.
    let values = format!(
        "ingress:\n  tls:\n    crt: {}\n    key: {b64}\n",
        STANDARD.encode("not a key")
    );
    assert_eq!(
        lines("chart/values.yaml", &values),
        at(&[(4, "private-key-rsa")])
    );
    let env = format!("APP_NAME=billing\nTLS_KEY={b64}\n");
    assert_eq!(lines("deploy/.env", &env), at(&[(2, "private-key-rsa")]));
    // The `base64` tool's output, wrapped at 76 columns, in a YAML block scalar.
    let mut wrapped = String::from("apiVersion: v1\nkind: ConfigMap\ndata:\n  tls.key: |\n");
    for l in b64.as_bytes().chunks(76) {
        wrapped.push_str(&format!("    {}\n", std::str::from_utf8(l).unwrap()));
    }
    wrapped.push_str("  other: value\n");
    let found = scan("cm.yaml", &wrapped);
    assert_eq!(
        found
            .iter()
            .map(|(l, r, _)| (*l, r.clone()))
            .collect::<Vec<_>>(),
        at(&[(5, "private-key-rsa")])
    );
    // A Google service-account key file, base64 as CI variables hold it.
    let sa = format!(
        "{{\"type\": \"service_account\", \"project_id\": \"billing-7\", \"private_key\": {}}}",
        serde_json::to_string(&pem("PRIVATE KEY", &rsa_pkcs8(4))).unwrap()
    );
    let ci = format!(
        "variables:\n  GOOGLE_CREDENTIALS: {}\n",
        STANDARD.encode(sa)
    );
    assert_eq!(
        lines(".gitlab-ci.yml", &ci),
        at(&[(2, "private-key-escaped")])
    );

    // Near misses: base64 of a certificate and of a public key decode to nothing secret.
    let cert = pem("CERTIFICATE", &rsa_pkcs1(5));
    let public = pem("PUBLIC KEY", &bytes(270, 6));
    let text = format!(
        "ca: {}\npub: {}\n",
        STANDARD.encode(cert),
        STANDARD.encode(public)
    );
    assert_eq!(lines("chart/values.yaml", &text), vec![]);
}

#[test]
fn a_key_body_without_armour_is_recognised_by_its_structure() {
    let pkcs8 = STANDARD.encode(rsa_pkcs8(7));
    assert!(pkcs8.starts_with("MIIE") && pkcs8.contains("IBADANBgkqhkiG9w0BAQEFAAS"));
    let pkcs1 = STANDARD.encode(rsa_pkcs1(8));
    assert!(
        pkcs1.starts_with("MIIE") && pkcs1[6..].starts_with("IBAAKCAQEA"),
        "{pkcs1}"
    );
    let ed = STANDARD.encode(ed25519(9));
    assert!(ed.starts_with("MC4CAQAwBQYDK2VwBCIEI"), "{ed}");
    let ec = STANDARD.encode(ec_sec1(10));
    assert!(ec.starts_with("MHcCAQEEI"), "{ec}");
    let text = format!(
        "service:\n  private_key: {pkcs8}\n  legacy_key: \"{pkcs1}\"\n  signing_key: {ed}\n  ecdsa_key: '{ec}'\n"
    );
    assert_eq!(
        lines("config/app.yaml", &text),
        at(&[
            (2, "private-key-pkcs8"),
            (3, "private-key-rsa"),
            (4, "private-key-pkcs8"),
            (5, "private-key-ec"),
        ])
    );
    // Wrapped over the lines of a YAML block scalar.
    let mut block = String::from("jwt:\n  key: |\n");
    for l in b64_lines(&rsa_pkcs8(11), 64) {
        block.push_str(&format!("    {l}\n"));
    }
    assert_eq!(
        lines("config/jwt.yaml", &block),
        at(&[(3, "private-key-pkcs8")])
    );
    // An OpenSSH key's body: openssh-key-v1, cipher none.
    let mut ossh = b"openssh-key-v1\0".to_vec();
    for part in [&b"none"[..], b"none", b""] {
        ossh.extend((part.len() as u32).to_be_bytes());
        ossh.extend_from_slice(part);
    }
    ossh.extend(bytes(200, 12));
    let text = format!("DEPLOY_KEY={}\n", STANDARD.encode(&ossh));
    assert_eq!(lines("ci.env", &text), at(&[(1, "private-key-openssh")]));

    // Near misses: a body shortened in documentation, a public key, an armoured key (reported once, by
    // its PEM rule, not again as a body).
    let doc = "private_key: MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n";
    assert_eq!(lines("README.md", doc), vec![]);
    let spki = seq(&[
        seq(&[tlv(0x06, &[0x2B, 0x65, 0x70])]),
        tlv(0x03, &[vec![0], bytes(32, 13)].concat()),
    ]);
    let text = format!("public_key: {}\n", STANDARD.encode(spki));
    assert_eq!(lines("config/app.yaml", &text), vec![]);
    let armoured = pem("PRIVATE KEY", &rsa_pkcs8(14));
    assert_eq!(
        lines("server.key", &armoured),
        at(&[(1, "private-key-pkcs8")])
    );
}

#[test]
fn a_percent_encoded_password_is_reported_whole() {
    let text = "DATABASE_URL=postgres://etl:h4x%40Lm2%21w9@db.corp.lan:5432/wh\n";
    assert_eq!(
        scan(".env", text),
        vec![(
            1,
            "postgres-connection-string".into(),
            "h4x%40Lm2%21w9".into()
        )]
    );
    // The whole URL percent-encoded once more inside a query string: decoded, the password keeps its
    // encoded `@`, up to the real one.
    let text = "CALLBACK=https://app.corp.lan/connect?dsn=postgres%3A%2F%2Fetl%3Ah4x%2540Lm2w9%40db.corp.lan%2Fwh\n";
    assert_eq!(
        scan(".env", text),
        vec![(1, "postgres-connection-string".into(), "h4x%40Lm2w9".into())]
    );
}

#[test]
fn low_entropy_passwords_in_credential_uris_are_reported_and_placeholders_are_not() {
    let text = "\
PG=postgres://app:hunter22@db/app
MONGO=mongodb+srv://orders:rabbit99@cluster0.x1y2z.mongodb.net/orders
AMQP=amqp://worker:w0rker7x@mq:5672/
REDIS=redis://:Kq7tromb@cache:6379/0
SMTP=smtp://mailer:mailpw12@smtp.corp.lan:587
FTP=ftp://deploy:ftp2024x@files.corp.lan/
PG2=postgres://user:password@db/app
PG3=postgres://user:pass@db/app
PG4=postgres://user:${DB_PASSWORD}@db/app
FTP2=ftp://deploy:*****@files.corp.lan/
SMTP2=smtp://mailer:<password>@smtp.corp.lan:587
";
    assert_eq!(
        lines(".env", text),
        at(&[
            (1, "postgres-connection-string"),
            (2, "mongodb-connection-string"),
            (3, "amqp-connection-string"),
            (4, "redis-connection-string"),
            (5, "uri-credentials-known-scheme"),
            (6, "uri-credentials-known-scheme"),
        ])
    );
}

#[test]
fn legacy_dockercfg_and_config_json_auths_are_read() {
    let auth = STANDARD.encode(format!("deploy:{}", random(ALNUM, 20, 15)));
    let legacy = format!(
        "{{\n  \"registry.corp.lan\": {{\n    \"auth\": \"{auth}\",\n    \"email\": \"ci@corp.lan\"\n  }}\n}}\n"
    );
    let found = scan(".dockercfg", &legacy);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].0, found[0].1.as_str()), (3, "docker-config-auth"));
    let current = format!("{{\n  \"auths\": {{\n    \"registry.corp.lan\": {{\n      \"auth\": \"{auth}\"\n    }}\n  }}\n}}\n");
    assert_eq!(
        lines("home/.docker/config.json", &current),
        at(&[(4, "docker-config-auth")])
    );
    // Near misses: a credential helper and no secret, and a legacy file whose auth is a placeholder.
    let helper =
        "{\n  \"credsStore\": \"osxkeychain\",\n  \"credHelpers\": {\"gcr.io\": \"gcloud\"}\n}\n";
    assert_eq!(lines(".dockercfg", helper), vec![]);
    let placeholder =
        "{\"registry.corp.lan\": {\"auth\": \"${REGISTRY_AUTH}\", \"email\": \"ci@corp.lan\"}}\n";
    assert_eq!(lines(".dockercfg", placeholder), vec![]);
}

#[test]
fn framework_keys_with_punctuation_are_reported() {
    let salt = |seed| {
        random(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%^&*()-_ []{}<>~`+=,.;:/?|", 64, seed)
    };
    let mut wp = String::from("<?php\ndefine( 'DB_NAME', 'wordpress' );\n");
    for (i, name) in [
        "AUTH_KEY",
        "SECURE_AUTH_KEY",
        "LOGGED_IN_KEY",
        "NONCE_KEY",
        "AUTH_SALT",
        "SECURE_AUTH_SALT",
        "LOGGED_IN_SALT",
        "NONCE_SALT",
    ]
    .iter()
    .enumerate()
    {
        wp.push_str(&format!("define( '{name}', '{}' );\n", salt(20 + i as u64)));
    }
    let found = lines("wp-config.php", &wp);
    assert_eq!(found.len(), 8, "{found:?}");
    assert!(found
        .iter()
        .enumerate()
        .all(|(i, (l, r))| *l == i + 3 && r == "wordpress-auth-key-salt"));
    let sample = "define( 'AUTH_KEY',         'put your unique phrase here' );\n";
    assert_eq!(lines("wp-config-sample.php", sample), vec![]);

    let key = |seed| {
        random(
            b"abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)",
            50,
            seed,
        )
    };
    let settings = format!("DEBUG = False\nSECRET_KEY = '{}'\n", key(30));
    assert_eq!(
        lines("mysite/settings.py", &settings),
        at(&[(2, "django-secret-key")])
    );
    let dev = format!("SECRET_KEY = \"django-insecure-{}\"\n", key(31));
    assert_eq!(
        lines("mysite/settings.py", &dev),
        at(&[(1, "django-secret-key-insecure")])
    );
    let from_env = "SECRET_KEY = os.environ[\"DJANGO_SECRET_KEY\"]\n";
    assert_eq!(lines("mysite/settings.py", from_env), vec![]);
}
