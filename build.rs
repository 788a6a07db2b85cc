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
}
