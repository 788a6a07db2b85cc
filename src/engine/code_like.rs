//! Code that sits where a secret's value would (a route parameter, a CSS selector, a format string,
//! an address or alias): the placeholder filter ([`super::placeholder`]) never reports it.

/// CSS pseudo-classes: a "value" holding one is a selector (`.password:focus`).
const PSEUDO_CLASSES: &[&str] = &[
    ":focus",
    ":hover",
    ":active",
    ":visited",
    ":checked",
    ":disabled",
    ":enabled",
    ":invalid",
    ":valid",
    ":not(",
    ":nth-",
    ":first-child",
    ":last-child",
    "::before",
    "::after",
    "::placeholder",
];

/// Code that sits where a value would: a route parameter (`:token`, `/reset/:password`), a CSS
/// selector (`.password:focus`, `[href^=...]`), a format string (`%(pw)s`, `{0}`, `%d`).
pub(crate) fn is_code(s: &[u8]) -> bool {
    let ident = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_');
    // `&trueProperty`, `*anchor`: an address, a dereference or a YAML alias, not a value.
    // (`*` and 40 hex digits is a MySQL password hash, not an alias.)
    if matches!(s.first(), Some(b'&' | b'*'))
        && ident(s.get(1))
        && s[1..]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.'))
        && !s[1..].iter().all(u8::is_ascii_hexdigit)
    {
        return true;
    }
    // `github.com/org/repo/pkg`: an import or module path (a Go import alias `password "…"` reads
    // like an assignment).
    if let Some(slash) = s.iter().position(|&b| b == b'/') {
        let host = &s[..slash];
        if host.contains(&b'.')
            && host
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-'))
            && s[slash..].iter().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'.' | b'-' | b'_' | b'/')
            })
        {
            return true;
        }
    }
    // `type!=kubernetes.io/tls`: a selector (`==` is not one: base64 padding inside Adyen keys and
    // SCRAM verifiers).
    if memchr::memmem::find(s, b"!=").is_some() {
        return true;
    }
    if s.first() == Some(&b':') && ident(s.get(1)) {
        return true;
    }
    if memchr::memmem::find_iter(s, b"/:").any(|i| ident(s.get(i + 2))) {
        return true;
    }
    if PSEUDO_CLASSES
        .iter()
        .any(|p| memchr::memmem::find(s, p.as_bytes()).is_some())
    {
        return true;
    }
    if s.contains(&b'[')
        && [&b"^="[..], b"$=", b"*=", b"~=", b"|="]
            .iter()
            .any(|op| memchr::memmem::find(s, op).is_some())
    {
        return true;
    }
    if memchr::memmem::find(s, b"%(").is_some() || memchr::memmem::find(s, b"{}").is_some() {
        return true;
    }
    // `{0}`, `{12}`: positional format arguments.
    for (i, &b) in s.iter().enumerate() {
        if b == b'{' {
            let digits = s[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if digits > 0 && s.get(i + 1 + digits) == Some(&b'}') {
                return true;
            }
        }
    }
    // printf directives: `%d`, `%-5s`, `%1$s`, `%.2f`, followed by something that is not a letter or
    // digit; a percent-encoded byte (`%3D`, `%d4`) is not one.
    for (i, _) in s.iter().enumerate().filter(|(_, &b)| b == b'%') {
        if s.get(i + 1..i + 3)
            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
        {
            continue;
        }
        let mut j = i + 1;
        while s
            .get(j)
            .is_some_and(|c| c.is_ascii_digit() || b"-+ #.$".contains(c))
        {
            j += 1;
        }
        if s.get(j).is_some_and(|c| b"sdifuxvq".contains(c))
            && !s.get(j + 1).is_some_and(u8::is_ascii_alphanumeric)
        {
            return true;
        }
    }
    false
}
