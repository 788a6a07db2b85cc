//! Recipes that work when pasted (issue 9 point 8): every YAML, TOML and JSON block of README.md
//! and docs/*.md parses, the rule ids that config examples name exist, the config examples are
//! accepted by nhiscan, and the pre-commit hook builds with `--locked`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use yaml_rust2::{Yaml, YamlLoader};

use crate::support::{nhiscan, root, run_in, stderr};

/// A fenced code block: where it is, its language and its text.
struct Block {
    file: String,
    line: usize,
    lang: String,
    text: String,
}

fn markdown_files() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// Every fenced block (```lang ... ```) of a Markdown text; an indented fence (in a list) has its
/// indentation taken off the block's lines.
fn blocks_of(file: &str, text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<(usize, usize, String, Vec<&str>)> = None;
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim_start();
        match &mut open {
            None => {
                if let Some(lang) = trimmed.strip_prefix("```") {
                    open = Some((i + 1, indent, lang.trim().to_lowercase(), Vec::new()));
                }
            }
            Some((start, ind, lang, lines)) => {
                if trimmed.starts_with("```") {
                    out.push(Block {
                        file: file.to_string(),
                        line: *start,
                        lang: lang.clone(),
                        text: lines.join("\n") + "\n",
                    });
                    open = None;
                } else {
                    let cut = (*ind).min(indent);
                    lines.push(&line[cut..]);
                }
            }
        }
    }
    assert!(open.is_none(), "{file}: an unclosed code fence");
    out
}

fn all_blocks() -> Vec<Block> {
    markdown_files()
        .iter()
        .flat_map(|p| {
            let name = p
                .strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .into_owned();
            blocks_of(&name, &std::fs::read_to_string(p).unwrap())
        })
        .collect()
}

fn builtin_rule_ids() -> BTreeSet<String> {
    let out = nhiscan()
        .args(["rules", "list", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_block_reader_sees_what_it_should() {
    // A check of the checker: an indented fence, languages, and the `: ` in a plain scalar that
    // made docs/ci.md invalid YAML (issue 9) fails yaml-rust2.
    let md = "text\n\n- item\n\n  ```yaml\n  a: 1\n  b: [2]\n  ```\n\n```toml\nx = 1\n```\n";
    let b = blocks_of("t.md", md);
    assert_eq!(b.len(), 2);
    assert_eq!((b[0].lang.as_str(), b[0].line), ("yaml", 5));
    assert_eq!(b[0].text, "a: 1\nb: [2]\n");
    assert_eq!(b[1].lang, "toml");
    let broken = "steps:\n  - name: Scan (pull request: only what the branch adds)\n    run: x\n";
    assert!(YamlLoader::load_from_str(broken).is_err());
}

#[test]
fn every_yaml_toml_and_json_block_parses() {
    let blocks = all_blocks();
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for b in &blocks {
        let at = format!("{}:{} ({})", b.file, b.line, b.lang);
        match b.lang.as_str() {
            "yaml" | "yml" => {
                let docs = YamlLoader::load_from_str(&b.text)
                    .unwrap_or_else(|e| panic!("{at}: not YAML: {e}\n{}", b.text));
                assert!(
                    !docs.is_empty() && docs.iter().all(|d| !matches!(d, Yaml::Null)),
                    "{at}: empty YAML"
                );
            }
            "toml" => {
                toml::from_str::<toml::Table>(&b.text)
                    .unwrap_or_else(|e| panic!("{at}: not TOML: {e}\n{}", b.text));
            }
            "json" => {
                serde_json::from_str::<serde_json::Value>(&b.text)
                    .unwrap_or_else(|e| panic!("{at}: not JSON: {e}\n{}", b.text));
            }
            _ => continue,
        }
        *counts
            .entry(if b.lang == "yml" { "yaml" } else { &b.lang })
            .or_default() += 1;
    }
    // Not vacuous: the CI recipes (GitHub Actions, GitLab, pre-commit) and the config examples.
    assert!(counts.get("yaml").copied().unwrap_or(0) >= 3, "{counts:?}");
    assert!(counts.get("toml").copied().unwrap_or(0) >= 2, "{counts:?}");
}

#[test]
fn the_github_workflow_recipe_is_a_workflow() {
    let blocks = all_blocks();
    let wf = blocks
        .iter()
        .find(|b| b.lang == "yaml" && b.text.contains(".github/workflows/"))
        .expect("a GitHub Actions recipe in the docs");
    let doc = &YamlLoader::load_from_str(&wf.text).unwrap()[0];
    let steps = doc["jobs"]
        .as_hash()
        .expect("jobs")
        .values()
        .flat_map(|j| j["steps"].as_vec().cloned().unwrap_or_default())
        .collect::<Vec<_>>();
    assert!(!steps.is_empty(), "{}:{}: steps", wf.file, wf.line);
    for s in &steps {
        assert!(
            s["run"].as_str().is_some() || s["uses"].as_str().is_some(),
            "{}:{}: every step runs or uses something: {s:?}",
            wf.file,
            wf.line
        );
    }
    // The recipe installs reproducibly and scans history.
    assert!(wf.text.contains("--locked"), "{}", wf.text);
    assert!(wf.text.contains("nhiscan git"), "{}", wf.text);
    // It holds itself to the rule nhiscan checks: a `permissions` block.
    assert!(!doc["permissions"].is_badvalue(), "{}", wf.text);
}

/// The rule ids a config example names: `enable`, `disable` and the keys of `[severity]`.
fn named_rule_ids(t: &toml::Table) -> Vec<String> {
    let mut ids = Vec::new();
    for key in ["enable", "disable"] {
        if let Some(v) = t.get(key) {
            let list = v.as_array().unwrap_or_else(|| panic!("`{key}` is a list"));
            ids.extend(list.iter().map(|x| x.as_str().unwrap().to_string()));
        }
    }
    if let Some(s) = t.get("severity") {
        ids.extend(s.as_table().expect("[severity] is a table").keys().cloned());
    }
    ids
}

fn config_examples() -> Vec<(Block, toml::Table)> {
    const CONFIG_KEYS: &[&str] = &[
        "rules",
        "enable",
        "disable",
        "severity",
        "allow_paths",
        "allow",
        "strict",
        "policy",
    ];
    all_blocks()
        .into_iter()
        .filter(|b| b.lang == "toml")
        .map(|b| {
            let t: toml::Table = toml::from_str(&b.text).unwrap();
            (b, t)
        })
        .filter(|(_, t)| !t.contains_key("rule") && t.keys().any(|k| CONFIG_KEYS.contains(&&**k)))
        .collect()
}

#[test]
fn rule_ids_named_in_config_examples_exist() {
    let ids = builtin_rule_ids();
    let examples = config_examples();
    assert!(examples.len() >= 2, "the README and docs/ci.md examples");
    let mut named = 0;
    for (b, t) in &examples {
        for id in named_rule_ids(t) {
            named += 1;
            assert!(
                ids.contains(&id),
                "{}:{}: rule id `{id}` is not in `nhiscan rules list`",
                b.file,
                b.line
            );
        }
    }
    assert!(named >= 3, "{named} rule ids named");
}

#[test]
fn config_examples_are_accepted_when_pasted() {
    for (b, t) in config_examples() {
        let dir = tempfile::tempdir().unwrap();
        // The extra rule files an example names: an empty rule file each.
        if let Some(rules) = t.get("rules").and_then(|r| r.as_array()) {
            for r in rules {
                let p = dir.path().join(r.as_str().unwrap());
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(p, "").unwrap();
            }
        }
        std::fs::write(dir.path().join(".nhiscan.toml"), &b.text).unwrap();
        std::fs::write(dir.path().join("a.txt"), "nothing here\n").unwrap();
        let out = run_in(dir.path(), &["scan", ".", "-q"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}:{}: {}",
            b.file,
            b.line,
            stderr(&out)
        );
    }
}

#[test]
fn the_pre_commit_hook_builds_locked() {
    let text = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    let docs = YamlLoader::load_from_str(&text).expect(".pre-commit-hooks.yaml is YAML");
    let hooks = docs[0].as_vec().expect("a list of hooks");
    let hook = hooks
        .iter()
        .find(|h| h["id"].as_str() == Some("nhiscan"))
        .expect("the `nhiscan` hook");
    assert_eq!(hook["language"].as_str(), Some("script"));
    assert_eq!(hook["pass_filenames"].as_bool(), Some(false));
    let entry = hook["entry"].as_str().expect("an entry");
    let script = root().join(entry.split_whitespace().next().unwrap());
    let body = std::fs::read_to_string(&script)
        .unwrap_or_else(|e| panic!("the entry {entry} exists: {e}"));
    assert!(body.contains("--locked"), "{body}");
    assert!(body.contains("staged"), "{body}");
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&script).unwrap().permissions().mode();
    assert!(
        mode & 0o111 != 0,
        "a `script` entry is executable: {mode:o}"
    );
    // Every hook runs the pre-commit check.
    for h in hooks {
        let entry = h["entry"].as_str().unwrap();
        assert!(
            entry.contains("staged") || entry == "scripts/pre-commit-locked",
            "{entry}"
        );
    }
}
