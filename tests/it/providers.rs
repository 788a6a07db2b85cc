//! Provider rules that share a token prefix: each token is reported once, by the rule that recognised
//! its provider (a rule tagged `shared-prefix` gives way), and never dropped when only the shared
//! prefix says what it is.

use crate::support::*;

const HEX: &[u8] = b"0123456789abcdef";

/// (line, rule) of every finding of `text` scanned as `path`.
fn rules_of(path: &str, text: &str) -> Vec<(usize, String)> {
    let mut v: Vec<(usize, String)> = scanner()
        .scan_file(path, text.as_bytes())
        .findings
        .into_iter()
        .map(|f| (f.line, f.rule_id))
        .collect();
    v.sort();
    v
}

#[test]
fn a_live_key_is_reported_once_by_the_provider_its_key_names() {
    let paystack = format!("{}{}", "sk_live_", random(HEX, 40, 1));
    let clerk = format!("{}{}", "sk_live_", random(ALNUM, 42, 2));
    let stripe = stripe_live(3);
    let text = format!(
        "PAYSTACK_SECRET_KEY={paystack}\nCLERK_SECRET_KEY={clerk}\nSTRIPE_SECRET_KEY={stripe}\n"
    );
    assert_eq!(
        rules_of(".env", &text),
        vec![
            (1, "paystack-live-secret-key".to_string()),
            (2, "clerk-secret-key".to_string()),
            (3, "stripe-live-secret-key".to_string()),
        ]
    );
}

#[test]
fn a_test_key_is_reported_once_too() {
    let paystack = format!("{}{}", "sk_test_", random(HEX, 40, 4));
    let clerk = format!("{}{}", "sk_test_", random(ALNUM, 42, 5));
    let text = format!("paystack_secret: {paystack}\nclerk_secret_key: {clerk}\n");
    assert_eq!(
        rules_of("config.yaml", &text),
        vec![
            (1, "paystack-test-secret-key".to_string()),
            (2, "clerk-secret-key".to_string()),
        ]
    );
}

#[test]
fn a_shared_prefix_key_with_no_provider_named_is_still_reported() {
    // Nothing names Paystack or Clerk: the shared-prefix rule is all there is, and it reports.
    let key = format!("{}{}", "sk_live_", random(HEX, 40, 6));
    assert_eq!(
        rules_of("settings.py", &format!("PAYMENTS_SECRET = \"{key}\"\n")),
        vec![(1, "stripe-live-secret-key".to_string())]
    );
}

#[test]
fn an_infura_key_secret_is_not_also_its_project_id() {
    let id = random(HEX, 32, 7);
    let secret = random(HEX, 32, 8);
    let text = format!("INFURA_PROJECT_ID={id}\nINFURA_API_KEY_SECRET={secret}\n");
    assert_eq!(
        rules_of(".env", &text),
        vec![
            (1, "infura-api-key".to_string()),
            (2, "infura-api-key-secret".to_string()),
        ]
    );
}
