//! Embeds every `rules/*.toml` in the binary, sorted by name, so the rules ship as data and a new family
//! needs no code change. Each file is converted to JSON here: parsing JSON at start-up is several times
//! cheaper than parsing TOML, and start-up counts for a pre-commit scan of one file. A malformed file
//! fails the build, naming the file.
use std::{env, fs, path::Path};

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = fs::read_dir(&dir)
        .expect("rules/ directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let out_dir = env::var("OUT_DIR").unwrap();
    let mut out = String::from("&[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let text = fs::read_to_string(f).unwrap();
        let value: toml::Value =
            toml::from_str(&text).unwrap_or_else(|e| panic!("rules/{name}: not valid TOML: {e}"));
        let json_path = Path::new(&out_dir).join(format!("{name}.json"));
        fs::write(&json_path, serde_json::to_string(&value).unwrap()).unwrap();
        out.push_str(&format!(
            "    ({name:?}, include_str!({:?}), include_str!({:?})),\n",
            f.display().to_string(),
            json_path.display().to_string()
        ));
    }
    out.push(']');
    fs::write(Path::new(&out_dir).join("builtin_rules.rs"), out).unwrap();
    version_facts(&files);
}

/// What `nhiscan --version` names besides the version: the build commit, how many built-in rules,
/// and a hash of the rule files (two builds with the same hash find the same things).
fn version_facts(files: &[std::path::PathBuf]) {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut rules = 0usize;
    for f in files {
        let text = fs::read(f).unwrap();
        rules += text
            .split(|&b| b == b'\n')
            .filter(|l| l.starts_with(b"[[rule]]"))
            .count();
        h.update(f.file_name().unwrap().to_string_lossy().as_bytes());
        h.update((text.len() as u64).to_le_bytes());
        h.update(&text);
    }
    let hash: String = h.finalize()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // The commit is read from git when the source is a checkout; a packaged source has none.
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short=10", "HEAD"])
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "unknown".into());
    // Rebuild the version when HEAD moves: a worktree's git dir is not `.git/`, so ask git where it is.
    let dirs = std::process::Command::new("git")
        .args(["rev-parse", "--absolute-git-dir", "--git-common-dir"])
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let mut lines = dirs.lines();
    if let (Some(git_dir), Some(common)) = (lines.next(), lines.next()) {
        let common = root.join(common);
        for p in [
            Path::new(git_dir).join("HEAD"),
            Path::new(git_dir).join("logs/HEAD"),
            common.join("refs/heads"),
            common.join("packed-refs"),
        ] {
            if p.exists() {
                println!("cargo:rerun-if-changed={}", p.display());
            }
        }
    }
    println!(
        "cargo:rustc-env=NHISCAN_LONG_VERSION={} (commit {commit}, {rules} built-in rules, rules sha256 {hash})",
        env!("CARGO_PKG_VERSION")
    );
}
