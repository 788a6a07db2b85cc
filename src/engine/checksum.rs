//! Named checksum validators. A token whose format carries a checksum and fails it is not a token (a
//! typo, a truncated copy, or a made-up string in docs), so it is never reported.

#[derive(Debug, Clone, Copy)]
pub(crate) enum Checksum {
    /// GitHub's and npm's format: prefix (4 bytes) + 30 base62 characters + 6-character base62 CRC32
    /// of those 30 characters.
    GithubCrc32,
    /// A JWT (JWS compact form): the header segment base64url-decodes to a JSON object with a
    /// string `alg` member. Text that only starts like one (`eyJ...`) is not a token.
    JwtHeader,
    /// HTTP Basic credentials (RFC 7617): base64 of `user-id:password`, where the password is
    /// non-empty printable text without blanks and not a placeholder.
    BasicAuth,
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

impl Checksum {
    pub(crate) fn by_name(name: &str) -> Option<Checksum> {
        match name {
            "github-crc32" => Some(Checksum::GithubCrc32),
            "jwt-header" => Some(Checksum::JwtHeader),
            "basic-auth" => Some(Checksum::BasicAuth),
            _ => None,
        }
    }

    pub(crate) fn valid(self, token: &[u8]) -> bool {
        match self {
            Checksum::GithubCrc32 => github_crc32(token),
            Checksum::JwtHeader => jwt_header(token),
            Checksum::BasicAuth => basic_auth(token),
        }
    }
}

fn github_crc32(token: &[u8]) -> bool {
    if token.len() < 4 + 6 + 1 {
        return false;
    }
    let (body, check) = token[4..].split_at(token.len() - 4 - 6);
    base62_6(crc32fast::hash(body)).as_bytes() == check
}

fn jwt_header(token: &[u8]) -> bool {
    use base64::Engine as _;
    let header = token.split(|&b| b == b'.').next().unwrap_or_default();
    let Ok(json) = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header.strip_suffix(b"=").unwrap_or(header))
    else {
        return false;
    };
    serde_json::from_slice::<serde_json::Value>(&json)
        .ok()
        .and_then(|v| v.get("alg").map(serde_json::Value::is_string))
        .unwrap_or(false)
}

/// Whether `token` is base64 of `user:password`. A word after `Basic` that merely looks like base64
/// (`Basic authentication`) decodes to bytes without a colon, or not to text at all. A password with
/// a blank is prose (the RFC's own `Aladdin:open sesame`), and fewer than 4 characters is a test.
fn basic_auth(token: &[u8]) -> bool {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
    use base64::Engine as _;
    let Ok(raw) = STANDARD
        .decode(token)
        .or_else(|_| STANDARD_NO_PAD.decode(token))
    else {
        return false;
    };
    let Ok(text) = std::str::from_utf8(&raw) else {
        return false;
    };
    let Some((user, password)) = text.split_once(':') else {
        return false;
    };
    user.len() <= 256
        && !user.chars().any(char::is_control)
        && password.chars().count() >= 4
        && !password
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        && !super::placeholder::is_placeholder(password.as_bytes())
}

/// `n` in base62, left-padded with '0' to 6 characters.
pub(crate) fn base62_6(mut n: u32) -> String {
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out.to_vec()).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make(prefix: &str, body: &str) -> String {
        format!(
            "{prefix}{body}{}",
            base62_6(crc32fast::hash(body.as_bytes()))
        )
    }

    #[test]
    fn github_checksum_accepts_valid_and_rejects_one_changed_char() {
        let body = "q8Zr2LmX0vT4bN7cW1yE5uJ3kH9sPd";
        let tok = make("ghp_", body);
        assert_eq!(tok.len(), 40);
        assert!(Checksum::GithubCrc32.valid(tok.as_bytes()));
        let mut bad = tok.into_bytes();
        bad[10] = if bad[10] == b'a' { b'b' } else { b'a' };
        assert!(!Checksum::GithubCrc32.valid(&bad));
    }

    #[test]
    fn jwt_header_must_be_a_json_object_with_alg() {
        let ok = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2ln";
        assert!(Checksum::JwtHeader.valid(ok.as_bytes()));
        // {"alg":"HS256","typ":"JWT  (cut short: not JSON)
        let cut = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVC.eyJzdWIiOiIxIn0.c2ln";
        assert!(!Checksum::JwtHeader.valid(cut.as_bytes()));
        // {"typ":"JWT","cty":"x"}: JSON, but no alg.
        let no_alg = "eyJ0eXAiOiJKV1QiLCJjdHkiOiJ4In0.eyJzdWIiOiIxIn0.c2ln";
        assert!(!Checksum::JwtHeader.valid(no_alg.as_bytes()));
        // ["alg"]: an array, not an object.
        let array = "WyJhbGciXQ.eyJzdWIiOiIxIn0.c2ln";
        assert!(!Checksum::JwtHeader.valid(array.as_bytes()));
    }

    #[test]
    fn basic_auth_needs_base64_of_user_colon_password() {
        use base64::Engine as _;
        let enc = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        assert!(Checksum::BasicAuth.valid(enc("deploy:q8Zr2LmX0v").as_bytes()));
        assert!(Checksum::BasicAuth.valid(enc(":q8Zr2LmX0v").as_bytes()));
        assert!(
            Checksum::BasicAuth.valid(enc("deploy:q8Zr2LmX0v").trim_end_matches('=').as_bytes())
        );
        for bad in [
            "deploy-q8Zr2LmX0v",
            "deploy:",
            "deploy:abc",
            "Aladdin:open sesame",
            "ci:changeme1",
        ] {
            assert!(!Checksum::BasicAuth.valid(enc(bad).as_bytes()), "{bad}");
        }
        assert!(!Checksum::BasicAuth.valid(b"authentication"));
        assert!(!Checksum::BasicAuth.valid(b"not base64!"));
    }

    #[test]
    fn base62_pads_small_numbers() {
        assert_eq!(base62_6(0), "000000");
        assert_eq!(base62_6(61), "00000z");
        assert_eq!(base62_6(62), "000010");
    }
}
