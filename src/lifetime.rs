//! How long a found credential lives, decided offline from the token itself where the format says so
//! (AWS key id prefixes, JWT `exp`, GitHub prefixes, Google `ya29.` tokens, service-account keys), else
//! from the rule's declared lifetime.
//!
//! A JWT counts as long-lived when it has no `exp`, or when it stays valid for longer than the maximum
//! token lifetime: 1 day by default ([`DEFAULT_MAX_SECONDS`]), or the policy's
//! `max_token_lifetime_days` when one is loaded (the scanner is built with it).

use base64::Engine as _;

use crate::engine::Rule;
use crate::finding::{Lifetime, LifetimeKind};

/// The longest a token may live and still count as short-lived, when no policy says otherwise.
pub(crate) const DEFAULT_MAX_SECONDS: u64 = 86_400;

fn lt(kind: LifetimeKind, reason: impl Into<String>) -> Lifetime {
    Lifetime {
        kind,
        reason: reason.into(),
    }
}

/// The lifetime of `secret` found by `rule`: what the token itself says, else what the rule declares.
/// `max_seconds`: the longest a token may live and still count as short-lived.
pub(crate) fn refine(rule: &Rule, secret: &str, max_seconds: u64) -> Lifetime {
    let s = secret.trim();
    if let Some(l) = aws(s) {
        return l;
    }
    if let Some(l) = github(s) {
        return l;
    }
    if s.starts_with("ya29.") {
        return lt(
            LifetimeKind::ShortLived,
            "Google OAuth access token (ya29.): expires after about an hour",
        );
    }
    if let Some(l) = jwt(s, now(), max_seconds) {
        return l;
    }
    rule.spec.lifetime.clone()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The AWS account id encoded in an access key id (the 12-digit number behind `AKIA…`/`ASIA…`).
pub fn aws_account_id(key_id: &str) -> Option<String> {
    const B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let body = key_id.get(4..20)?;
    let mut bits: u128 = 0;
    for c in body.bytes() {
        bits = (bits << 5) | B32.iter().position(|&b| b == c)? as u128;
    }
    // 16 base32 characters = 80 bits; the account id is in bits 1..=40 of the first 48.
    let first48 = (bits >> 32) as u64;
    let account = (first48 & 0x7fff_ffff_ff80) >> 7;
    Some(format!("{account:012}"))
}

fn aws(s: &str) -> Option<Lifetime> {
    let prefix = s.get(..4)?;
    if s.len() != 20
        || !s[4..]
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
    {
        return None;
    }
    let account = aws_account_id(s)
        .map(|a| format!("; AWS account {a}"))
        .unwrap_or_default();
    match prefix {
        "AKIA" => Some(lt(
            LifetimeKind::LongLived,
            format!("AWS IAM user access key (AKIA): valid until deleted{account}"),
        )),
        "ABIA" | "ACCA" => Some(lt(
            LifetimeKind::LongLived,
            format!("AWS long-term {prefix} key: valid until deleted{account}"),
        )),
        "ASIA" => Some(lt(
            LifetimeKind::ShortLived,
            format!("AWS STS temporary credentials (ASIA): expire within hours{account}"),
        )),
        _ => None,
    }
}

fn github(s: &str) -> Option<Lifetime> {
    let (kind, reason) = if s.starts_with("ghp_") {
        (
            LifetimeKind::LongLived,
            "GitHub classic personal access token: no expiry unless one was set",
        )
    } else if s.starts_with("github_pat_") {
        (
            LifetimeKind::LongLived,
            "GitHub fine-grained personal access token: valid up to a year, or without expiry",
        )
    } else if s.starts_with("gho_") {
        (
            LifetimeKind::LongLived,
            "GitHub OAuth app token: valid until revoked",
        )
    } else if s.starts_with("ghr_") {
        (
            LifetimeKind::LongLived,
            "GitHub refresh token: valid for six months",
        )
    } else if s.starts_with("ghs_") {
        (
            LifetimeKind::ShortLived,
            "GitHub App installation token (ghs_): expires after one hour",
        )
    } else if s.starts_with("ghu_") {
        (
            LifetimeKind::ShortLived,
            "GitHub App user-to-server token (ghu_): expires after eight hours",
        )
    } else {
        return None;
    };
    Some(lt(kind, reason))
}

/// A JWT's lifetime from its `exp` (and `iat`) claims; None if `s` is not a decodable JWT.
pub(crate) fn jwt(s: &str, now: u64, max: u64) -> Option<Lifetime> {
    let mut parts = s.split('.');
    let (h, p) = (parts.next()?, parts.next()?);
    if !h.starts_with("eyJ") || parts.next().is_none() {
        return None;
    }
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(p.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&payload).ok()?;
    let Some(exp) = claims.get("exp").and_then(|e| e.as_f64()).map(|e| e as u64) else {
        return Some(lt(
            LifetimeKind::LongLived,
            "JWT without an exp claim: valid until its signing key is rotated",
        ));
    };
    if exp <= now {
        return Some(lt(
            LifetimeKind::Expired,
            format!("JWT expired on {}", date(exp)),
        ));
    }
    let iat = claims.get("iat").and_then(|e| e.as_f64()).map(|e| e as u64);
    let span = iat.map_or(exp - now, |i| exp.saturating_sub(i));
    let days = |s: u64| s as f64 / 86_400.0;
    if span > max {
        Some(lt(
            LifetimeKind::LongLived,
            format!(
                "JWT valid until {} ({:.1} days, over the {:.0}-day maximum)",
                date(exp),
                days(span),
                days(max).max(1.0)
            ),
        ))
    } else {
        Some(lt(
            LifetimeKind::ShortLived,
            format!("JWT expires on {}", date(exp)),
        ))
    }
}

/// `YYYY-MM-DD` (UTC) of a Unix time.
fn date(t: u64) -> String {
    crate::dates::iso_date(t as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn aws_account_from_key_id() {
        // The documented pair from AWS's own examples of the encoding.
        assert_eq!(
            aws_account_id(concat!("ASIA", "Y34FZKBOKMUTVV7A")).as_deref(),
            Some("609629065308")
        );
        assert_eq!(
            aws(concat!("AKIA", "Y34FZKBOKMUTVV7A")).unwrap().kind,
            LifetimeKind::LongLived
        );
        assert!(aws(concat!("ASIA", "Y34FZKBOKMUTVV7A"))
            .unwrap()
            .reason
            .contains("609629065308"));
        assert_eq!(
            aws(concat!("ASIA", "Y34FZKBOKMUTVV7A")).unwrap().kind,
            LifetimeKind::ShortLived
        );
    }

    #[test]
    fn token_prefixes() {
        let kind = |s: &str| github(s).map(|l| l.kind);
        assert_eq!(
            kind("ghp_0123456789abcdefghijABCDEFGHIJ012345"),
            Some(LifetimeKind::LongLived)
        );
        assert_eq!(
            kind("github_pat_11ABCDEFG0123456789_abcdef"),
            Some(LifetimeKind::LongLived)
        );
        assert_eq!(
            kind("ghs_0123456789abcdefghijABCDEFGHIJ012345"),
            Some(LifetimeKind::ShortLived)
        );
        assert_eq!(
            kind("ghu_0123456789abcdefghijABCDEFGHIJ012345"),
            Some(LifetimeKind::ShortLived)
        );
        assert_eq!(kind(concat!("glpat-", "0123456789abcdefghij")), None);
        assert!(aws("AKIA0123").is_none(), "too short for a key id");
        assert!(aws("ASIAY34FZKBOKMUTVV7a").is_none(), "not base32");
    }

    #[test]
    fn jwt_claims() {
        let h = b64(r#"{"alg":"HS256"}"#);
        let tok = |claims: &str| format!("{h}.{}.c2lnbmF0dXJl", b64(claims));
        let now = 1_800_000_000;
        assert_eq!(
            jwt(&tok(r#"{"sub":"x"}"#), now, DEFAULT_MAX_SECONDS)
                .unwrap()
                .kind,
            LifetimeKind::LongLived
        );
        assert_eq!(
            jwt(&tok(r#"{"exp":1700000000}"#), now, DEFAULT_MAX_SECONDS)
                .unwrap()
                .kind,
            LifetimeKind::Expired
        );
        assert_eq!(
            jwt(
                &tok(r#"{"iat":1800000000,"exp":1800003600}"#),
                now,
                DEFAULT_MAX_SECONDS
            )
            .unwrap()
            .kind,
            LifetimeKind::ShortLived
        );
        assert_eq!(
            jwt(
                &tok(r#"{"iat":1800000000,"exp":1900000000}"#),
                now,
                DEFAULT_MAX_SECONDS
            )
            .unwrap()
            .kind,
            LifetimeKind::LongLived
        );
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_718_000_000), "2024-06-10");
        assert!(jwt("not.a.jwt", now, DEFAULT_MAX_SECONDS).is_none());
    }
}
