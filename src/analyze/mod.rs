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
    /// The name rules give in their `analyzer` field (a test keeps the two in step).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) name: &'static str,
    /// Whether the file can interest the analyzer: file name, extension, substring checks only.
    pub(crate) claims: fn(&Input) -> bool,
    /// Adds the file's hits.
    pub(crate) check: fn(&Input, &mut Vec<Hit>),
}

/// Every analyzer, in the order their hits are reported.
#[rustfmt::skip]
pub(crate) const ANALYZERS: &[Analyzer] = &[
    Analyzer { name: "config-files", claims: config_files::claims, check: config_files::check },
    Analyzer { name: "aws-iam", claims: aws_iam::claims, check: aws_iam::check },
    Analyzer { name: "k8s", claims: k8s::claims, check: k8s::check },
    Analyzer { name: "gha", claims: gha::claims, check: gha::check },
    Analyzer { name: "gcp", claims: gcp::claims, check: gcp::check },
    Analyzer { name: "azure", claims: azure::claims, check: azure::check },
    Analyzer { name: "dockerfile", claims: dockerfile::claims, check: dockerfile::check },
];

/// Runs every analyzer that claims the subject. Malformed documents produce an error message, never a
/// panic; the regex rules still run on the file.
pub(crate) fn run(subject: &Subject<'_>, hits: &mut Vec<Hit>, errors: &mut Vec<String>) {
    let input = Input::new(subject);
    for a in ANALYZERS {
        if (a.claims)(&input) {
            (a.check)(&input, hits);
        }
    }
    errors.extend(input.into_errors());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_analyzer_rule_names_a_registered_analyzer() {
        let rules = crate::engine::rule::builtin().expect("built-in rules load");
        let mut used = std::collections::HashSet::new();
        for r in &rules {
            if let Some(a) = &r.spec.analyzer {
                assert!(
                    ANALYZERS.iter().any(|x| x.name == a),
                    "rule {} names unknown analyzer {a}",
                    r.spec.id
                );
                used.insert(a.as_str());
            }
        }
        for a in ANALYZERS {
            assert!(used.contains(a.name), "analyzer {} has no rule", a.name);
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
