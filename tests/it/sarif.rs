//! Our SARIF is valid against the OASIS SARIF 2.1.0 schema (a copy in tests/data) and has what GitHub
//! code scanning needs: rules with help and security-severity, relative uris under a base id, regions
//! and stable partial fingerprints.

use crate::support::*;

fn scan_sarif(dir: &std::path::Path) -> serde_json::Value {
    let out = run_in(dir, &["scan", ".", "--format", "sarif"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json(&out)
}

fn planted(dir: &std::path::Path) {
    std::fs::create_dir_all(dir.join("deploy dir")).unwrap();
    std::fs::write(
        dir.join("deploy dir/app.env"),
        format!("X=1\nGITHUB_TOKEN={}\n", github_token("ghp_", 31)),
    )
    .unwrap();
    std::fs::write(
        dir.join("keys.py"),
        format!("AWS_ACCESS_KEY_ID = \"{}\"\n", aws_key_id(32)),
    )
    .unwrap();
}

#[test]
fn sarif_is_schema_valid_and_github_ready() {
    let dir = tempfile::tempdir().unwrap();
    planted(dir.path());
    let doc = scan_sarif(dir.path());
    let errors = sarif_schema_errors(&doc);
    assert!(errors.is_empty(), "schema errors:\n{}", errors.join("\n"));
    let run = &doc["runs"][0];
    assert_eq!(doc["version"], "2.1.0");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 2);
    for r in rules {
        assert!(r["fullDescription"]["text"].as_str().unwrap().len() > 10);
        assert!(r["help"]["text"].as_str().unwrap().contains("Remediation"));
        assert!(r["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .is_ok());
    }
    let base = run["originalUriBaseIds"]["SRCROOT"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        base.starts_with("file:///") && base.ends_with('/'),
        "{base}"
    );
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let uris: Vec<&str> = results
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(uris, ["deploy%20dir/app.env", "keys.py"]);
    for r in results {
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "SRCROOT");
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(
            r["partialFingerprints"]["nhiscan/v1"]
                .as_str()
                .unwrap()
                .len()
                == 32
        );
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
    }
}

#[test]
fn fingerprints_survive_moving_lines() {
    let dir = tempfile::tempdir().unwrap();
    planted(dir.path());
    let before = scan_sarif(dir.path());
    let env = dir.path().join("deploy dir/app.env");
    let text = std::fs::read_to_string(&env).unwrap();
    std::fs::write(&env, format!("# moved down\n\n\n{text}")).unwrap();
    let after = scan_sarif(dir.path());
    let fp = |d: &serde_json::Value| {
        d["runs"][0]["results"][0]["partialFingerprints"]["nhiscan/v1"].clone()
    };
    let line = |d: &serde_json::Value| {
        d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"]
            .clone()
    };
    assert_eq!(fp(&before), fp(&after));
    assert_ne!(line(&before), line(&after));
}

#[test]
fn an_empty_scan_is_valid_sarif_too() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "nothing here\n").unwrap();
    let out = run_in(dir.path(), &["scan", ".", "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(0));
    let doc = json(&out);
    assert!(sarif_schema_errors(&doc).is_empty());
    assert_eq!(doc["runs"][0]["results"].as_array().unwrap().len(), 0);
}
