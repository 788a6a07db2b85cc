//! Analyzers read documents whose structure matters (IAM policies, RBAC, workflows, Dockerfiles, config
//! files). They report through the same finding type as the regex rules: an analyzer returns [`Hit`]s
//! naming a rule id, and the scanner fills title, severity and remediation from that rule's entry in
//! `rules/*.toml` (whose `analyzer` field names the analyzer).
//!
//! Every analyzer is one line of [`ANALYZERS`]: a name, a cheap `claims` check (file name,
//! extension, a substring; no parse) and the `check` itself. Almost every file of a source tree
//! leaves after the claims; a file several analyzers claim is parsed once per syntax ([`Input`]).
//! Adding an analyzer is a new file and one line in the table.
//!
//! Layers, each using only those below it: this registry; the analyzers; [`vocab`] (secret names,
//! literal values) and [`input`] (what analyzers receive and return); [`syntax`] (the parsers).

pub(crate) mod aws_iam;
pub(crate) mod azure;
pub(crate) mod config_files;
pub(crate) mod dockerfile;
pub(crate) mod gcp;
pub(crate) mod gha;
pub(crate) mod input;
pub(crate) mod k8s;
pub(crate) mod syntax;
pub(crate) mod vocab;

pub(crate) use input::{BuildContext, Hit, Input, Subject};

/// One analyzer of the registry.
pub(crate) struct Analyzer {
    /// The name rules give in their `analyzer` field.
    pub(crate) name: &'static str,
    /// The ids of the rules it reports (each with `analyzer = name` in `rules/*.toml`).
    pub(crate) rules: &'static [&'static str],
    /// Whether the file can interest the analyzer: file name, extension, substring checks only.
    pub(crate) claims: fn(&Input) -> bool,
    /// Adds the file's hits.
    pub(crate) check: fn(&Input, &mut Vec<Hit>),
}

/// Every analyzer, in the order their hits are reported.
#[rustfmt::skip]
pub(crate) const ANALYZERS: &[Analyzer] = &[
    Analyzer { name: "config-files", rules: config_files::RULES, claims: config_files::claims, check: config_files::check },
    Analyzer { name: "aws-iam", rules: aws_iam::RULES, claims: aws_iam::claims, check: aws_iam::check },
    Analyzer { name: "k8s", rules: k8s::RULES, claims: k8s::claims, check: k8s::check },
    Analyzer { name: "gha", rules: gha::RULES, claims: gha::claims, check: gha::check },
    Analyzer { name: "gcp", rules: gcp::RULES, claims: gcp::claims, check: gcp::check },
    Analyzer { name: "azure", rules: azure::RULES, claims: azure::claims, check: azure::check },
    Analyzer { name: "dockerfile", rules: dockerfile::RULES, claims: dockerfile::claims, check: dockerfile::check },
];

/// Runs every analyzer that claims the subject. Malformed documents produce an error message, never a
/// panic; the regex rules still run on the file.
pub(crate) fn run(subject: &Subject<'_>, hits: &mut Vec<Hit>, errors: &mut Vec<String>) {
    let input = Input::new(subject);
    for a in ANALYZERS {
        if (a.claims)(&input) {
            let from = hits.len();
            (a.check)(&input, hits);
            debug_assert!(
                hits[from..].iter().all(|h| a.rules.contains(&h.rule_id)),
                "analyzer {} reported a rule it does not list",
                a.name
            );
        }
    }
    errors.extend(input.into_errors());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analyzers_and_rule_files_agree() {
        let rules = crate::engine::rule::builtin().expect("built-in rules load");
        for r in &rules {
            let Some(name) = &r.spec.analyzer else {
                continue;
            };
            // Policy rules judge other findings (collect::policy checks their entries).
            if r.spec.kind == crate::finding::Category::Policy {
                continue;
            }
            let a = ANALYZERS.iter().find(|a| a.name == name);
            let a = a.unwrap_or_else(|| panic!("rule {} names unknown analyzer {name}", r.spec.id));
            assert!(
                a.rules.contains(&r.spec.id.as_str()),
                "{} does not list {}",
                a.name,
                r.spec.id
            );
        }
        for a in ANALYZERS {
            for id in a.rules {
                let r = rules.iter().find(|r| r.spec.id == *id);
                let r = r.unwrap_or_else(|| panic!("{}: rule {id} has no entry", a.name));
                assert_eq!(r.spec.analyzer.as_deref(), Some(a.name), "{id}");
            }
        }
    }

    #[test]
    fn ordinary_source_files_are_claimed_by_none() {
        for (name, data) in [
            ("kernel/sched/core.c", "int main(void) { return 0; }\n"),
            (
                "README.md",
                "# Statement of work: roles/owner apiVersion kind\n",
            ),
            ("docs/conf.py", "token = 1\n"),
        ] {
            let s = Subject {
                name,
                data: data.as_bytes(),
                context: None,
            };
            let input = Input::new(&s);
            let claimed: Vec<&str> = ANALYZERS
                .iter()
                .filter(|a| (a.claims)(&input))
                .map(|a| a.name)
                .collect();
            assert!(claimed.is_empty(), "{name}: {claimed:?}");
        }
    }
}
