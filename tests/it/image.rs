//! `nhiscan image` on images built here, in the test (no Docker daemon): `docker save` and OCI
//! layouts as tarballs, directories and standard input; gzip, zstd and plain layers; whiteouts,
//! opaque directories and overwrites; config Env/history; nested archives; broken input.

use std::io::Write as _;
use std::path::Path;

use serde_json::{json, Value};

use crate::support::{
    config, docker_save, github_token, gz, json as parse_json, layer, nhiscan, sha, tar_of, Entry,
};

/// The shipped rules these tests assert on; enabling only them keeps the results exact as the rule
/// set grows.
const ENABLE: &str = "github-pat-classic,aws-access-key-id,dockerfile-env-secret,dockerfile-arg-secret-default,dockerfile-run-inline-credential";

fn zst(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 1).unwrap()
}

/// An OCI image layout: (path, bytes) of every file. `platforms`: one (platform, layers, config)
/// per image; more than one makes a multi-platform index.
/// (platform, layer blobs, config) of one image in a layout.
type Platform<'a> = (&'a str, Vec<Vec<u8>>, Vec<u8>);

fn oci_layout(platforms: &[Platform]) -> Vec<(String, Vec<u8>)> {
    let mut files = vec![(
        "oci-layout".to_string(),
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    )];
    let mut descs = Vec::new();
    for (platform, layers, cfg) in platforms {
        let mut ldescs = Vec::new();
        for l in layers {
            let mt = if l.starts_with(&[0x1f, 0x8b]) {
                "application/vnd.oci.image.layer.v1.tar+gzip"
            } else if l.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
                "application/vnd.oci.image.layer.v1.tar+zstd"
            } else {
                "application/vnd.oci.image.layer.v1.tar"
            };
            ldescs.push(
                json!({"mediaType": mt, "digest": format!("sha256:{}", sha(l)), "size": l.len()}),
            );
            files.push((format!("blobs/sha256/{}", sha(l)), l.clone()));
        }
        files.push((format!("blobs/sha256/{}", sha(cfg)), cfg.clone()));
        let m = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": format!("sha256:{}", sha(cfg)), "size": cfg.len()},
            "layers": ldescs,
        }))
        .unwrap();
        let (os, arch) = platform.split_once('/').unwrap();
        descs.push(json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": format!("sha256:{}", sha(&m)),
                          "size": m.len(), "platform": {"os": os, "architecture": arch}}));
        files.push((format!("blobs/sha256/{}", sha(&m)), m));
    }
    let index = if descs.len() == 1 {
        json!({"schemaVersion": 2, "manifests": descs})
    } else {
        // A nested index, as `docker buildx` writes: index.json -> image index -> manifests.
        let inner = serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": descs})).unwrap();
        let d = json!({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": format!("sha256:{}", sha(&inner)), "size": inner.len()});
        files.push((format!("blobs/sha256/{}", sha(&inner)), inner));
        json!({"schemaVersion": 2, "manifests": [d]})
    };
    files.push(("index.json".into(), serde_json::to_vec(&index).unwrap()));
    files
}

fn write_dir(dir: &Path, files: &[(String, Vec<u8>)]) {
    for (name, data) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }
}

struct Run {
    code: i32,
    report: Value,
    stderr: String,
}

fn image(dir: &Path, args: &[&str], stdin: Option<Vec<u8>>) -> Run {
    let mut c = nhiscan();
    c.current_dir(dir)
        .arg("image")
        .args(args)
        .args(["--enable", ENABLE, "--format", "json"]);
    if let Some(s) = stdin {
        c.write_stdin(s);
    }
    let out = c.output().unwrap();
    Run {
        code: out.status.code().unwrap(),
        report: parse_json(&out),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// (in-image path, line, rule, layer, status) of every finding from a layer; config findings as
/// (display suffix, line, rule, 0, "").
fn found(r: &Value) -> Vec<(String, u64, String, u64, String)> {
    let mut v: Vec<_> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = &f["properties"];
            let path = match p["path"].as_str() {
                Some(s) => s.to_string(),
                None => f["display"]
                    .as_str()
                    .unwrap()
                    .rsplit(") ")
                    .next()
                    .unwrap()
                    .to_string(),
            };
            (
                path,
                f["line"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap().to_string(),
                p["layer_index"].as_u64().unwrap_or(0),
                p["status"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn f(
    path: &str,
    line: u64,
    rule: &str,
    layer: u64,
    status: &str,
) -> (String, u64, String, u64, String) {
    (path.into(), line, rule.into(), layer, status.into())
}

const PRESENT: &str = "present in the final image";

/// Three layers (gzip, zstd, plain): a token in /app/.env deleted by a whiteout, one in a directory
/// made opaque, one overwritten, one still present.
fn layered(tok: &[String]) -> (Vec<Vec<u8>>, Vec<u8>) {
    let l1 = gz(&layer(&[
        Entry::Dir("app/"),
        Entry::File(
            "app/.env",
            format!("DEBUG=1\nGITHUB_TOKEN={}\n", tok[0]).into_bytes(),
        ),
        Entry::File("etc/keys/a.txt", format!("{}\n", tok[1]).into_bytes()),
        Entry::File("srv/conf", format!("x\n\ntoken: {}\n", tok[2]).into_bytes()),
    ]));
    let l2 = zst(&layer(&[
        Entry::File("app/.wh..env", vec![]),
        Entry::File("etc/keys/.wh..wh..opq", vec![]),
        Entry::File("srv/conf", b"x\n".to_vec()),
    ]));
    let l3 = layer(&[Entry::File(
        "app/main.py",
        format!("# {}\n", tok[3]).into_bytes(),
    )]);
    let build_arg = format!("RUN |1 TOKEN={} /bin/sh -c make # buildkit", tok[4]);
    let cfg = config(
        &[
            "PATH=/usr/bin",
            "DB_PASSWORD=Pr0d-db-pw-2024",
            &format!("AWS_ACCESS_KEY_ID={}", crate::support::aws_key_id(3)),
        ],
        &[
            "COPY . / # buildkit",
            "RUN /bin/sh -c rm /app/.env # buildkit",
            &build_arg,
        ],
    );
    (vec![l1, l2, l3], cfg)
}

fn tokens() -> Vec<String> {
    (1..=5).map(|i| github_token("ghp_", i)).collect()
}

fn expected_layered() -> Vec<(String, u64, String, u64, String)> {
    vec![
        f(
            "/app/.env",
            2,
            "github-pat-classic",
            1,
            "deleted in layer 2, still extractable from layer 1",
        ),
        f("/app/main.py", 1, "github-pat-classic", 3, PRESENT),
        f(
            "/etc/keys/a.txt",
            1,
            "github-pat-classic",
            1,
            "deleted in layer 2, still extractable from layer 1",
        ),
        f(
            "/srv/conf",
            3,
            "github-pat-classic",
            1,
            "overwritten in layer 2, still extractable from layer 1",
        ),
        f("Env AWS_ACCESS_KEY_ID", 1, "aws-access-key-id", 0, ""),
        f("Env DB_PASSWORD", 1, "dockerfile-env-secret", 0, ""),
        // The build arg's value is a GitHub token: the provider rule's finding stands for it (the
        // scanner drops an analyzer hit on the same secret and line).
        f("history[3]", 1, "github-pat-classic", 3, ""),
    ]
}

#[test]
fn docker_save_tarball_every_layer_with_visibility() {
    let dir = tempfile::tempdir().unwrap();
    let (layers, cfg) = layered(&tokens());
    std::fs::write(dir.path().join("app.tar"), docker_save(&layers, &cfg)).unwrap();
    let r = image(dir.path(), &["app.tar"], None);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(found(&r.report), expected_layered());
    let env = r.report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["path"] == "/app/.env")
        .unwrap();
    assert_eq!(env["artifact"], "app.tar");
    let display = env["display"].as_str().unwrap();
    assert!(
        display.starts_with(&format!(
            "app.tar layer 1 (sha256:{}…) /app/.env",
            &sha(&layers[0])[..12]
        )),
        "{display}"
    );
    assert_eq!(env["logical"], "layer 1/app/.env");
    assert_eq!(
        env["properties"]["layer_digest"],
        format!("sha256:{}", sha(&layers[0]))
    );
    assert_eq!(env["properties"]["created_by"], "COPY . / # buildkit");
    assert_eq!(env["properties"]["visible_in_final"], false);
    assert_eq!(env["properties"]["deleted_in_layer"], 2);
    assert!(!r.report["summary"]["incomplete"].as_bool().unwrap());
    // No secret in clear anywhere in the report: not in findings, not in the history properties.
    let raw = r.report.to_string();
    for secret in tokens()
        .iter()
        .map(String::as_str)
        .chain(["Pr0d-db-pw-2024"])
    {
        assert!(!raw.contains(secret), "{secret} in the report");
    }
    let hist = r.report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["field"] == "history")
        .unwrap();
    assert!(
        hist["properties"]["created_by"]
            .as_str()
            .unwrap()
            .starts_with("RUN |1 TOKEN=ghp_"),
        "{hist}"
    );
}

#[test]
fn text_report_reads_like_a_location() {
    let dir = tempfile::tempdir().unwrap();
    let (layers, cfg) = layered(&tokens());
    std::fs::write(dir.path().join("app.tar"), docker_save(&layers, &cfg)).unwrap();
    let out = nhiscan()
        .current_dir(dir.path())
        .args(["image", "app.tar", "--enable", ENABLE, "--color", "never"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "app.tar layer 1 (sha256:{}…) /app/.env\n2:",
            &sha(&layers[0])[..12]
        )),
        "{text}"
    );
    assert!(
        text.contains("deleted in layer 2, still extractable from layer 1"),
        "{text}"
    );
}

#[test]
fn sarif_points_at_the_image_with_layer_properties() {
    let dir = tempfile::tempdir().unwrap();
    let (layers, cfg) = layered(&tokens());
    std::fs::write(dir.path().join("app.tar"), docker_save(&layers, &cfg)).unwrap();
    let out = nhiscan()
        .current_dir(dir.path())
        .args(["image", "app.tar", "--enable", ENABLE, "--format", "sarif"])
        .output()
        .unwrap();
    let s = parse_json(&out);
    let errors = crate::support::sarif_schema_errors(&s);
    assert!(errors.is_empty(), "{errors:#?}");
    let results = s["runs"][0]["results"].as_array().unwrap();
    let r = results
        .iter()
        .find(|r| r["properties"]["path"] == "/app/.env")
        .expect("result for /app/.env");
    assert_eq!(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "app.tar"
    );
    assert_eq!(
        r["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );
    assert_eq!(
        r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "layer 1/app/.env"
    );
    assert_eq!(
        r["properties"]["layer_digest"],
        format!("sha256:{}", sha(&layers[0]))
    );
    assert_eq!(r["properties"]["layer_index"], 1);
}

#[test]
fn oci_layout_directory_tarball_and_stdin_agree() {
    let dir = tempfile::tempdir().unwrap();
    let (layers, cfg) = layered(&tokens());
    let files = oci_layout(&[("linux/amd64", layers.clone(), cfg.clone())]);
    write_dir(&dir.path().join("layout"), &files);
    std::fs::write(dir.path().join("oci.tar"), tar_of(&files)).unwrap();
    for args in [vec!["layout"], vec!["oci.tar"]] {
        let r = image(dir.path(), &args, None);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert_eq!(found(&r.report), expected_layered(), "{args:?}");
    }
    // Standard input: one pass, OCI layout tar and docker save tar, plain and gzip-compressed.
    for input in [
        tar_of(&files),
        docker_save(&layers, &cfg),
        gz(&docker_save(&layers, &cfg)),
    ] {
        let r = image(dir.path(), &["-"], Some(input));
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert_eq!(found(&r.report), expected_layered());
        assert_eq!(r.report["findings"][0]["artifact"], "stdin");
    }
}

#[test]
fn legacy_docker_save_layout_with_diff_ids() {
    let dir = tempfile::tempdir().unwrap();
    let tok = github_token("ghp_", 42);
    let l = layer(&[Entry::File(
        "root/.npmrc",
        format!("//r/:_authToken={tok}\n").into_bytes(),
    )]);
    let mut cfg: Value =
        serde_json::from_slice(&config(&[], &["COPY .npmrc /root/ # buildkit"])).unwrap();
    cfg["rootfs"]["diff_ids"] = json!([format!("sha256:{}", sha(&l))]);
    let cfg = serde_json::to_vec(&cfg).unwrap();
    let cfg_name = format!("{}.json", sha(&cfg));
    let files = vec![
        ("abc123/layer.tar".to_string(), l.clone()),
        (cfg_name.clone(), cfg),
        (
            "manifest.json".into(),
            serde_json::to_vec(&json!([{"Config": cfg_name, "Layers": ["abc123/layer.tar"]}]))
                .unwrap(),
        ),
    ];
    std::fs::write(dir.path().join("old.tar"), tar_of(&files)).unwrap();
    let r = image(dir.path(), &["old.tar"], None);
    assert_eq!(
        found(&r.report),
        vec![f("/root/.npmrc", 1, "github-pat-classic", 1, PRESENT)]
    );
    assert_eq!(
        r.report["findings"][0]["properties"]["layer_digest"],
        format!("sha256:{}", sha(&l))
    );
}

#[test]
fn multi_platform_index_every_platform_or_one() {
    let dir = tempfile::tempdir().unwrap();
    let amd = layer(&[Entry::File(
        "amd.txt",
        format!("{}\n", github_token("ghp_", 7)).into_bytes(),
    )]);
    let arm = gz(&layer(&[Entry::File(
        "arm.txt",
        format!("{}\n", github_token("ghp_", 8)).into_bytes(),
    )]));
    let cfg_arm = {
        let mut c: Value = serde_json::from_slice(&config(&[], &["COPY . /"])).unwrap();
        c["architecture"] = json!("arm64");
        serde_json::to_vec(&c).unwrap()
    };
    let arm_digest = sha(&arm);
    let files = oci_layout(&[
        ("linux/amd64", vec![amd], config(&[], &["COPY . /"])),
        ("linux/arm64", vec![arm], cfg_arm),
    ]);
    write_dir(&dir.path().join("multi"), &files);
    let all = image(dir.path(), &["multi"], None);
    let paths: Vec<String> = found(&all.report).into_iter().map(|x| x.0).collect();
    assert_eq!(paths, vec!["/amd.txt", "/arm.txt"]);
    let arm_only = image(dir.path(), &["multi", "--platform", "linux/arm64"], None);
    let found_arm = found(&arm_only.report);
    assert_eq!(
        found_arm,
        vec![f("/arm.txt", 1, "github-pat-classic", 1, PRESENT)]
    );
    assert_eq!(
        arm_only.report["findings"][0]["properties"]["platform"],
        "linux/arm64"
    );
    // `docker save` of a multi-platform image keeps only the local platform's blobs: the others are
    // noted as skipped, not an error.
    let partial: Vec<(String, Vec<u8>)> = files
        .iter()
        .filter(|(n, d)| {
            let text = String::from_utf8_lossy(d);
            !(n.starts_with("blobs/") && text.contains("\"layers\"") && text.contains(&arm_digest))
        })
        .cloned()
        .collect();
    assert_eq!(partial.len(), files.len() - 1);
    write_dir(&dir.path().join("partial"), &partial);
    let r = image(dir.path(), &["partial"], None);
    assert_eq!(
        found(&r.report),
        vec![f("/amd.txt", 1, "github-pat-classic", 1, PRESENT)]
    );
    let skipped = r.report["skipped"].to_string();
    assert!(
        skipped.contains("platform linux/arm64: manifest sha256:")
            && skipped.contains("is not in the archive"),
        "{skipped}"
    );
    let none = image_raw(dir.path(), &["multi", "--platform", "linux/s390x"]);
    assert_eq!(none.0, 2);
    assert!(
        none.1.contains("no image for platform `linux/s390x`") && none.1.contains("linux/arm64"),
        "{}",
        none.1
    );
}

fn image_raw(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = nhiscan()
        .current_dir(dir)
        .arg("image")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A zip with stored entries, written by hand.
fn zip(files: &[(&str, &[u8])]) -> Vec<u8> {
    let entries: Vec<ZipEntry> = files.iter().map(|&(n, d)| (n, d, 0, 0)).collect();
    zip_raw(&entries, false)
}

/// (name, stored bytes, compression method, flags) of one entry written by `zip_raw`.
type ZipEntry<'a> = (&'a str, &'a [u8], u16, u16);

/// A zip written by hand: the method and flags are written as given (bit 0 of the flags marks an
/// entry encrypted), the bytes deflated for method 8 and stored as they are otherwise; `zip64` ends it with the zip64 end records, the
/// 32-bit end record saying "see zip64" (0xFFFF entries at offset 0xFFFFFFFF).
fn zip_raw(files: &[ZipEntry], zip64: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for &(name, data, method, flags) in files {
        let off = out.len() as u32;
        let crc = crc32fast::hash(data);
        let stored = if method == 8 {
            let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        } else {
            data.to_vec()
        };
        let mut local = vec![0x50, 0x4b, 0x03, 0x04, 20, 0];
        local.extend(flags.to_le_bytes());
        local.extend(method.to_le_bytes());
        local.extend([0, 0, 0, 0]);
        local.extend(crc.to_le_bytes());
        local.extend((stored.len() as u32).to_le_bytes());
        local.extend((data.len() as u32).to_le_bytes());
        local.extend((name.len() as u16).to_le_bytes());
        local.extend(0u16.to_le_bytes());
        local.extend(name.as_bytes());
        out.extend(local);
        out.extend(&stored);
        let mut c = vec![0x50, 0x4b, 0x01, 0x02, 45, 0, 45, 0];
        c.extend(flags.to_le_bytes());
        c.extend(method.to_le_bytes());
        c.extend([0, 0, 0, 0]);
        c.extend(crc.to_le_bytes());
        c.extend((stored.len() as u32).to_le_bytes());
        c.extend((data.len() as u32).to_le_bytes());
        c.extend((name.len() as u16).to_le_bytes());
        c.extend([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        c.extend(off.to_le_bytes());
        c.extend(name.as_bytes());
        central.extend(c);
    }
    let cd_off = out.len();
    out.extend(&central);
    let n = files.len();
    if zip64 {
        let rec = out.len() as u64;
        out.extend([0x50, 0x4b, 0x06, 0x06]);
        out.extend(44u64.to_le_bytes());
        out.extend([45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend((n as u64).to_le_bytes());
        out.extend((n as u64).to_le_bytes());
        out.extend((central.len() as u64).to_le_bytes());
        out.extend((cd_off as u64).to_le_bytes());
        out.extend([0x50, 0x4b, 0x06, 0x07, 0, 0, 0, 0]);
        out.extend(rec.to_le_bytes());
        out.extend(1u32.to_le_bytes());
        out.extend([0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
        out.extend([0xff; 8]);
    } else {
        out.extend([0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0]);
        out.extend((n as u16).to_le_bytes());
        out.extend((n as u16).to_le_bytes());
        out.extend((central.len() as u32).to_le_bytes());
        out.extend((cd_off as u32).to_le_bytes());
    }
    out.extend(0u16.to_le_bytes());
    out
}

#[test]
fn archives_inside_layers_are_opened() {
    let dir = tempfile::tempdir().unwrap();
    let t1 = github_token("ghp_", 11);
    let t2 = github_token("ghp_", 12);
    let t3 = github_token("ghp_", 13);
    let props = format!("db.url=jdbc:x\ngithub.token={t1}\n");
    let jar = zip(&[
        ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
        ("config/app.properties", props.as_bytes()),
    ]);
    let inner_tgz = gz(&tar_of(&[(
        "deploy/creds.txt".into(),
        format!("{t2}\n").into_bytes(),
    )]));
    // A jar inside a tar.gz: two levels.
    let outer = gz(&tar_of(&[(
        "lib/inner.jar".into(),
        zip(&[("secret.txt", format!("\n{t3}\n").as_bytes())]),
    )]));
    let l = gz(&layer(&[
        Entry::File("app/lib.jar", jar),
        Entry::File("app/bundle.tar.gz", inner_tgz),
        Entry::File("opt/deep.tgz", outer),
    ]));
    std::fs::write(
        dir.path().join("app.tar"),
        docker_save(&[l], &config(&[], &["COPY . /"])),
    )
    .unwrap();
    let r = image(dir.path(), &["app.tar"], None);
    assert_eq!(
        found(&r.report),
        vec![
            f(
                "/app/bundle.tar.gz!/deploy/creds.txt",
                1,
                "github-pat-classic",
                1,
                PRESENT
            ),
            f(
                "/app/lib.jar!/config/app.properties",
                2,
                "github-pat-classic",
                1,
                PRESENT
            ),
            f(
                "/opt/deep.tgz!/lib/inner.jar!/secret.txt",
                2,
                "github-pat-classic",
                1,
                PRESENT
            ),
        ]
    );
    // --max-archive-depth 1 opens the tar.gz but not the jar inside it.
    let r = image(dir.path(), &["app.tar", "--max-archive-depth", "1"], None);
    assert_eq!(found(&r.report).len(), 2);
    assert!(r.stderr.contains("--max-archive-depth"), "{}", r.stderr);
}

#[test]
fn truncated_gzip_layer_is_an_error_and_other_layers_are_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let big: String = (0..4000)
        .map(|i| format!("line {i} {}\n", "x".repeat(40)))
        .collect();
    let good_tok = github_token("ghp_", 21);
    let full = gz(&layer(&[
        Entry::File("a/big.txt", big.into_bytes()),
        Entry::File("a/tok.txt", format!("{good_tok}\n").into_bytes()),
    ]));
    let truncated = full[..full.len() / 2].to_vec();
    let l2 = zst(&layer(&[Entry::File(
        "b/ok.txt",
        format!("{}\n", github_token("ghp_", 22)).into_bytes(),
    )]));
    let l3 = zst(&layer(&[Entry::File("c/x.txt", b"fine\n".to_vec())]))[..20].to_vec();
    std::fs::write(
        dir.path().join("app.tar"),
        docker_save(
            &[truncated.clone(), l2.clone(), l3.clone()],
            &config(&[], &["COPY a /a", "COPY b /b", "COPY c /c"]),
        ),
    )
    .unwrap();
    let r = image(dir.path(), &["app.tar"], None);
    assert_eq!(r.code, 1, "findings decide the exit code: {}", r.stderr);
    assert_eq!(
        found(&r.report),
        vec![f("/b/ok.txt", 1, "github-pat-classic", 2, PRESENT)]
    );
    let l1_name = format!("app.tar layer 1 (sha256:{}…)", &sha(&truncated)[..12]);
    let l3_name = format!("app.tar layer 3 (sha256:{}…)", &sha(&l3)[..12]);
    assert!(
        r.stderr.contains(&format!(
            "error: {l1_name}: truncated or corrupt gzip layer"
        )),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&format!(
            "error: {l3_name}: truncated or corrupt zstd layer"
        )),
        "{}",
        r.stderr
    );
    assert!(r.report["summary"]["incomplete"].as_bool().unwrap());
}

#[test]
fn unsafe_paths_are_reported_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let l = layer(&[
        Entry::File(
            "../../etc/evil",
            format!("{}\n", github_token("ghp_", 31)).into_bytes(),
        ),
        Entry::File(
            "/abs/key.txt",
            format!("{}\n", github_token("ghp_", 32)).into_bytes(),
        ),
        Entry::File("ok.txt", b"nothing\n".to_vec()),
    ]);
    std::fs::write(
        dir.path().join("app.tar"),
        docker_save(&[l], &config(&[], &["COPY . /"])),
    )
    .unwrap();
    let r = image(dir.path(), &["app.tar"], None);
    assert_eq!(
        found(&r.report),
        vec![f("/abs/key.txt", 1, "github-pat-classic", 1, PRESENT)]
    );
    assert!(
        r.stderr.contains("app.tar layer 1 (sha256:")
            && r.stderr.contains("`../../etc/evil` has a `..` path"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("`/abs/key.txt` has an absolute path"),
        "{}",
        r.stderr
    );
    // Nothing was written next to the image or above it.
    assert!(!dir.path().join("etc").exists() && !dir.path().join("abs").exists());
}

#[test]
fn decompression_bomb_stops_at_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = gz(&layer(&[Entry::File("zeros.txt", vec![b'a'; 4 << 20])]));
    assert!(bomb.len() < 64 << 10);
    let ok = gz(&layer(&[Entry::File(
        "ok.txt",
        format!("{}\n", github_token("ghp_", 41)).into_bytes(),
    )]));
    std::fs::write(
        dir.path().join("app.tar"),
        docker_save(&[bomb, ok], &config(&[], &["COPY a /", "COPY b /"])),
    )
    .unwrap();
    let r = image(dir.path(), &["app.tar", "--max-layer-size", "1M"], None);
    assert_eq!(
        found(&r.report),
        vec![f("/ok.txt", 1, "github-pat-classic", 2, PRESENT)]
    );
    assert!(
        r.stderr.contains("app.tar layer 1 (sha256:") && r.stderr.contains("--max-layer-size"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("decompression bomb"), "{}", r.stderr);
}

#[test]
fn missing_blob_and_malformed_input() {
    let dir = tempfile::tempdir().unwrap();
    let ok = layer(&[Entry::File(
        "ok.txt",
        format!("{}\n", github_token("ghp_", 51)).into_bytes(),
    )]);
    let gone = layer(&[Entry::File("gone.txt", b"x\n".to_vec())]);
    let mut files = oci_layout(&[(
        "linux/amd64",
        vec![gone.clone(), ok],
        config(&[], &["COPY a /", "COPY b /"]),
    )]);
    files.retain(|(n, _)| *n != format!("blobs/sha256/{}", sha(&gone)));
    write_dir(&dir.path().join("layout"), &files);
    let r = image(dir.path(), &["layout"], None);
    assert_eq!(r.code, 1);
    assert_eq!(
        found(&r.report),
        vec![f("/ok.txt", 1, "github-pat-classic", 2, PRESENT)]
    );
    assert!(
        r.stderr.contains(&format!(
            "layout layer 1 (sha256:{}…): missing blob",
            &sha(&gone)[..12]
        )),
        "{}",
        r.stderr
    );
    assert!(r.report["summary"]["incomplete"].as_bool().unwrap());

    // A malformed manifest stops the image with a clear error.
    std::fs::write(
        dir.path().join("bad.tar"),
        tar_of(&[("manifest.json".into(), b"{not json".to_vec())]),
    )
    .unwrap();
    let (code, err) = image_raw(dir.path(), &["bad.tar"]);
    assert_eq!(code, 2);
    assert!(err.contains("bad.tar: malformed image"), "{err}");
    std::fs::write(dir.path().join("notimage.txt"), "hello\n").unwrap();
    let (code, err) = image_raw(dir.path(), &["notimage.txt"]);
    assert_eq!(code, 2);
    assert!(err.contains("notimage.txt: not an image"), "{err}");
}

#[test]
fn size_limits_skip_large_files_and_stop_archive_bombs() {
    let dir = tempfile::tempdir().unwrap();
    let tok = github_token("ghp_", 61);
    let mut first = format!("{tok}\n").into_bytes();
    first.resize(600 << 10, b'\n');
    let big = vec![b'b'; 600 << 10];
    let jar = zip(&[("a.txt", &first), ("b.txt", &big), ("c.txt", &big)]);
    let mut large = format!("{}\n", github_token("ghp_", 62)).into_bytes();
    large.resize(3 << 20, b'\n');
    let l = gz(&layer(&[
        Entry::File("app/lib.jar", jar),
        Entry::File("var/large.log", large),
    ]));
    std::fs::write(
        dir.path().join("app.tar"),
        docker_save(&[l], &config(&[], &["COPY . /"])),
    )
    .unwrap();
    let r = image(
        dir.path(),
        &[
            "app.tar",
            "--max-archive-size",
            "1M",
            "--max-file-size",
            "2M",
        ],
        None,
    );
    // The jar's first entry is within the budget and scanned; the archive stops at the limit.
    assert_eq!(
        found(&r.report),
        vec![f(
            "/app/lib.jar!/a.txt",
            1,
            "github-pat-classic",
            1,
            PRESENT
        )]
    );
    assert!(
        r.stderr
            .contains("/app/lib.jar: archive expands past --max-archive-size"),
        "{}",
        r.stderr
    );
    let skipped = r.report["skipped"].as_array().unwrap();
    assert!(
        skipped
            .iter()
            .any(|s| s["path"].as_str().unwrap().ends_with("/var/large.log")),
        "{skipped:?}"
    );
}

#[test]
fn image_scans_honour_the_project_config_and_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let (layers, cfg) = layered(&tokens());
    std::fs::write(dir.path().join("app.tar"), docker_save(&layers, &cfg)).unwrap();
    let all = image(dir.path(), &["app.tar"], None);
    let n = all.report["summary"]["findings"].as_u64().unwrap();
    assert!(n >= 2);
    // A baseline of the current findings hides them all, and the summary counts them.
    std::fs::write(
        dir.path().join("base.json"),
        serde_json::to_vec(&all.report).unwrap(),
    )
    .unwrap();
    let r = image(dir.path(), &["app.tar", "--baseline", "base.json"], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.report["summary"]["findings"], 0);
    assert_eq!(r.report["summary"]["baselined"], n);
    // An [[allow]] entry in .nhiscan.toml suppresses one finding by fingerprint.
    let fp = all.report["findings"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::write(
        dir.path().join(".nhiscan.toml"),
        format!("[[allow]]\nfingerprint = \"{fp}\"\nreason = \"rotated\"\n"),
    )
    .unwrap();
    let r = image(dir.path(), &["app.tar"], None);
    let fps: Vec<&str> = r.report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    assert!(!fps.contains(&fp.as_str()));
    assert!(r.report["summary"]["suppressed"].as_u64().unwrap() >= 1);
}

#[test]
fn zip64_read_and_unreadable_entries_reported() {
    let dir = tempfile::tempdir().unwrap();
    let t1 = github_token("ghp_", 71);
    let t2 = github_token("ghp_", 72);
    let secret = format!("token={t1}\n");
    let hidden = format!("token={t2}\n");
    let big = vec![b'x'; 2 << 20];
    let t3 = github_token("ghp_", 73);
    let deflated = format!("# deflated\ntoken={t3}\n");
    let z64 = zip_raw(
        &[
            ("conf/app.env", secret.as_bytes(), 0, 0),
            ("conf/deflated.env", deflated.as_bytes(), 8, 0),
        ],
        true,
    );
    let odd = zip_raw(
        &[
            ("locked.txt", hidden.as_bytes(), 0, 1),
            ("packed.txt", hidden.as_bytes(), 12, 0),
            ("../escape.txt", hidden.as_bytes(), 0, 0),
            ("large.txt", &big, 8, 0),
        ],
        false,
    );
    let mut exe = b"MZ\0\0".to_vec();
    exe.extend(format!("{t2}\n").as_bytes());
    let l = gz(&layer(&[
        Entry::File("app/z64.jar", z64),
        Entry::File("app/odd.zip", odd),
        Entry::File("app/tool.exe", exe),
    ]));
    std::fs::write(
        dir.path().join("app.tar"),
        docker_save(&[l], &config(&[], &["COPY . /"])),
    )
    .unwrap();
    let r = image(dir.path(), &["app.tar", "--max-file-size", "1M"], None);
    assert_eq!(
        found(&r.report),
        vec![
            f(
                "/app/z64.jar!/conf/app.env",
                1,
                "github-pat-classic",
                1,
                PRESENT
            ),
            f(
                "/app/z64.jar!/conf/deflated.env",
                2,
                "github-pat-classic",
                1,
                PRESENT
            )
        ],
        "{}",
        r.stderr
    );
    let skipped: Vec<(String, String)> = r.report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let path = s["path"].as_str().unwrap();
            let path = path.rsplit(") ").next().unwrap().to_string();
            (path, s["reason"].as_str().unwrap().to_string())
        })
        .collect();
    let reason = |p: &str| {
        skipped
            .iter()
            .find(|(q, _)| q == p)
            .map(|(_, r)| r.as_str())
            .unwrap_or_else(|| panic!("{p} not in {skipped:?}"))
    };
    assert!(reason("/app/odd.zip!/locked.txt").contains("encrypted"));
    assert!(reason("/app/odd.zip!/packed.txt").contains("bzip2"));
    assert!(reason("/app/odd.zip!/../escape.txt").contains(".."));
    assert!(reason("/app/odd.zip!/large.txt").contains("--max-file-size"));
    assert_eq!(reason("/app/tool.exe"), "binary content");
    assert!(!r.report["summary"]["incomplete"].as_bool().unwrap());
}

#[test]
fn streamed_multi_platform_image_keeps_only_the_platform_asked() {
    let dir = tempfile::tempdir().unwrap();
    let amd = layer(&[Entry::File(
        "amd.txt",
        format!("{}\n", github_token("ghp_", 81)).into_bytes(),
    )]);
    let arm = gz(&layer(&[Entry::File(
        "arm.txt",
        format!("{}\n", github_token("ghp_", 82)).into_bytes(),
    )]));
    let cfg_arm = {
        let mut c: Value = serde_json::from_slice(&config(&[], &["COPY . /"])).unwrap();
        c["architecture"] = json!("arm64");
        serde_json::to_vec(&c).unwrap()
    };
    // Blobs first, index.json last, as `docker save` writes: the stream learns which blob is
    // which platform's layer only at the end.
    let mut files = oci_layout(&[
        ("linux/amd64", vec![amd], config(&[], &["COPY . /"])),
        ("linux/arm64", vec![arm], cfg_arm),
    ]);
    files.sort_by_key(|(n, _)| !n.starts_with("blobs/"));
    let tarball = tar_of(&files);
    let r = image(
        dir.path(),
        &["-", "--platform", "linux/arm64"],
        Some(tarball.clone()),
    );
    assert_eq!(
        found(&r.report),
        vec![f("/arm.txt", 1, "github-pat-classic", 1, PRESENT)],
        "{}",
        r.stderr
    );
    assert_eq!(
        r.report["findings"][0]["properties"]["platform"],
        "linux/arm64"
    );
    let all = image(dir.path(), &["-"], Some(tarball));
    let paths: Vec<String> = found(&all.report).into_iter().map(|x| x.0).collect();
    assert_eq!(paths, vec!["/amd.txt", "/arm.txt"]);
}

// Issue 14: hostile and faulty images.

/// Bytes that do not compress: a layer file big enough that cutting the tarball inside its layer
/// loses what comes after it.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    crate::support::random(crate::support::ALNUM, len, seed).into_bytes()
}

/// Issue 14.7: a `docker save` tarball cut short (docker writes manifest.json last) keeps the
/// findings of every complete layer, from a file and from standard input; the scan says what is
/// missing and is incomplete; `--strict` makes that exit 2.
#[test]
fn a_truncated_docker_save_keeps_the_findings_of_every_complete_layer() {
    let dir = tempfile::tempdir().unwrap();
    let tok: Vec<String> = (0..3).map(|i| github_token("ghp_", 140 + i)).collect();
    let layers: Vec<Vec<u8>> = (0..3)
        .map(|i| {
            gz(&layer(&[
                Entry::File(
                    "app/pad.bin",
                    noise(if i == 2 { 200_000 } else { 1000 }, i as u64),
                ),
                Entry::File(
                    &format!("app/l{i}.env"),
                    format!("GITHUB_TOKEN={}\n", tok[i]).into_bytes(),
                ),
            ]))
        })
        .collect();
    let key = crate::support::aws_key_id(140);
    let cfg = config(
        &[&format!("AWS_ACCESS_KEY_ID={key}")],
        &["COPY a /", "COPY b /", "COPY c /"],
    );
    let full = docker_save(&layers, &cfg);
    let third = full
        .windows(64)
        .position(|w| w == &layers[2][..64])
        .unwrap();
    // Cut inside the third layer: its token (after the padding) is lost, the other two are kept.
    let cut = full[..third + layers[2].len() / 2].to_vec();
    std::fs::write(dir.path().join("cut.tar"), &cut).unwrap();
    let expect = vec![
        f("/app/l0.env", 1, "github-pat-classic", 0, UNORDERED),
        f("/app/l1.env", 1, "github-pat-classic", 0, UNORDERED),
    ];
    for (args, stdin) in [(vec!["cut.tar"], None), (vec!["-"], Some(cut.clone()))] {
        let r = image(dir.path(), &args, stdin.clone());
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert_eq!(found(&r.report), expect, "{args:?}: {}", r.stderr);
        assert_eq!(r.report["complete"], false);
        let errors = r.report["errors"].to_string();
        assert!(
            errors.contains("no manifest.json or index.json")
                && errors.contains("cut short")
                && errors.contains("tar order"),
            "{args:?}: {errors}"
        );
        let f0 = r.report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["properties"]["path"] == "/app/l0.env")
            .unwrap();
        let name = if stdin.is_some() {
            "<stdin>"
        } else {
            "cut.tar"
        };
        assert_eq!(
            f0["display"],
            format!(
                "{name} layer (sha256:{}…) /app/l0.env",
                &sha(&layers[0])[..12]
            )
        );
        assert!(f0["properties"].get("layer_index").is_none(), "{f0}");
        // --strict: an incomplete scan exits 2, the findings still reported.
        let mut strict = args.clone();
        strict.push("--strict");
        let r = image(dir.path(), &strict, stdin);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert_eq!(found(&r.report).len(), 2);
    }
    // The text summary says so.
    let out = nhiscan()
        .current_dir(dir.path())
        .args(["image", "cut.tar", "--enable", ENABLE, "--color", "never"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("INCOMPLETE"), "{text}");

    // Cut just before manifest.json: every layer and the config are complete and scanned.
    let at = full
        .windows(13)
        .position(|w| w == b"manifest.json")
        .unwrap();
    std::fs::write(dir.path().join("nomanifest.tar"), &full[..at]).unwrap();
    let r = image(dir.path(), &["nomanifest.tar"], None);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let got = found(&r.report);
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(got[..3]
        .iter()
        .all(|x| x.2 == "github-pat-classic" && x.4 == UNORDERED));
    assert!(got[3].0.ends_with("Env AWS_ACCESS_KEY_ID"), "{got:?}");
    assert_eq!(r.report["complete"], false);
}

/// The status of a layer file when no manifest says where the layer belongs.
const UNORDERED: &str =
    "layer order unknown (no readable manifest): whether it is in the final image is unknown";

/// Issue 14.7, older `docker save` (`<id>/layer.tar`), and what is not an image at all.
#[test]
fn a_truncated_legacy_docker_save_and_a_plain_tar() {
    let dir = tempfile::tempdir().unwrap();
    let tok = github_token("ghp_", 150);
    let l = layer(&[Entry::File(
        "root/.npmrc",
        format!("//r/:_authToken={tok}\n").into_bytes(),
    )]);
    let files = vec![
        ("abc123/VERSION".to_string(), b"1.0".to_vec()),
        ("abc123/layer.tar".to_string(), l.clone()),
        ("abc123/json".to_string(), b"{}".to_vec()),
    ];
    std::fs::write(dir.path().join("old.tar"), tar_of(&files)).unwrap();
    let r = image(dir.path(), &["old.tar"], None);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        found(&r.report),
        vec![f("/root/.npmrc", 1, "github-pat-classic", 0, UNORDERED)]
    );
    assert_eq!(
        r.report["findings"][0]["properties"]["layer_digest"],
        "abc123/layer.tar"
    );
    // A tarball with no layer in it and no manifest is still not an image.
    std::fs::write(
        dir.path().join("src.tar"),
        tar_of(&[("src/main.rs".into(), format!("// {tok}\n").into_bytes())]),
    )
    .unwrap();
    let (code, err) = image_raw(dir.path(), &["src.tar"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("neither an OCI image layout"), "{err}");
}

/// Issue 14.11: the content of a whiteout file ships in its layer and is scanned; the whiteout
/// still deletes what it names.
#[test]
fn the_content_of_a_whiteout_file_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let hidden = github_token("ghp_", 160);
    let deleted = github_token("ghp_", 161);
    let l1 = layer(&[Entry::File(
        "app/.env",
        format!("GITHUB_TOKEN={deleted}\n").into_bytes(),
    )]);
    let l2 = layer(&[
        Entry::File("app/.wh..env", format!("\n{hidden}\n").into_bytes()),
        Entry::File(
            "etc/.wh..wh..opq",
            format!("{}\n", github_token("ghp_", 162)).into_bytes(),
        ),
    ]);
    std::fs::write(
        dir.path().join("app.tar"),
        docker_save(&[l1, l2], &config(&[], &["COPY . /", "RUN rm /app/.env"])),
    )
    .unwrap();
    let r = image(dir.path(), &["app.tar"], None);
    let whiteout =
        "content of a whiteout entry: not in the final filesystem, still extractable from layer 2";
    assert_eq!(
        found(&r.report),
        vec![
            f(
                "/app/.env",
                1,
                "github-pat-classic",
                1,
                "deleted in layer 2, still extractable from layer 1"
            ),
            f("/app/.wh..env", 2, "github-pat-classic", 2, whiteout),
            f("/etc/.wh..wh..opq", 1, "github-pat-classic", 2, whiteout),
        ],
        "{}",
        r.stderr
    );
    let wh = r.report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["path"] == "/app/.wh..env")
        .unwrap();
    assert_eq!(wh["properties"]["visible_in_final"], false);
}

/// Issue 14.11: zip entries nhiscan cannot read (bzip2, LZMA, encrypted, over --max-file-size) are
/// listed as skipped with the reason, and shown with `-v`.
#[test]
fn unreadable_zip_entries_are_shown_with_verbose() {
    let dir = tempfile::tempdir().unwrap();
    let tok = github_token("ghp_", 170);
    let body = format!("token={tok}\n");
    let big = vec![b'x'; 2 << 20];
    let z = zip_raw(
        &[
            ("bz.txt", body.as_bytes(), 12, 0),
            ("lz.txt", body.as_bytes(), 14, 0),
            ("locked.txt", body.as_bytes(), 0, 1),
            ("large.txt", &big, 8, 0),
            ("plain.txt", body.as_bytes(), 0, 0),
        ],
        false,
    );
    std::fs::write(
        dir.path().join("app.tar"),
        docker_save(
            &[layer(&[Entry::File("app/x.zip", z)])],
            &config(&[], &["COPY . /"]),
        ),
    )
    .unwrap();
    let r = image(
        dir.path(),
        &["app.tar", "--max-file-size", "1M", "-v"],
        None,
    );
    assert_eq!(
        found(&r.report),
        vec![f(
            "/app/x.zip!/plain.txt",
            1,
            "github-pat-classic",
            1,
            PRESENT
        )]
    );
    for (entry, why) in [
        ("bz.txt", "bzip2"),
        ("lz.txt", "lzma"),
        ("locked.txt", "encrypted"),
        ("large.txt", "--max-file-size"),
    ] {
        let line = r
            .stderr
            .lines()
            .find(|l| l.contains(&format!("/app/x.zip!/{entry}: skipped")))
            .unwrap_or_else(|| panic!("{entry} not noted: {}", r.stderr));
        assert!(line.contains(why), "{line}");
    }
    assert_eq!(r.report["skipped"].as_array().unwrap().len(), 4);
}

/// A zip whose central directory lists `n` entries (`a.txt`, then `f00001.txt`...) all pointing
/// at one deflated local entry of `data` (the duplicate-entry zip bomb).
fn duplicate_entry_zip(data: &[u8], n: usize) -> Vec<u8> {
    let one = zip_raw(&[("a.txt", data, 8, 0)], false);
    // zip_raw: local header + data, one central entry (46 bytes + the name), the end record.
    let cd_off = u32::from_le_bytes(one[one.len() - 6..one.len() - 2].try_into().unwrap()) as usize;
    let (local, central) = (&one[..cd_off], &one[cd_off..cd_off + 46]);
    let mut out = local.to_vec();
    let mut cd = Vec::new();
    for i in 0..n {
        let name = if i == 0 {
            "a.txt".to_string()
        } else {
            format!("f{i:05}.txt")
        };
        let mut c = central.to_vec();
        c[28..30].copy_from_slice(&(name.len() as u16).to_le_bytes());
        cd.extend(c);
        cd.extend(name.as_bytes());
    }
    out.extend(&cd);
    out.extend([0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0]);
    out.extend((n as u16).to_le_bytes());
    out.extend((n as u16).to_le_bytes());
    out.extend((cd.len() as u32).to_le_bytes());
    out.extend((cd_off as u32).to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

/// A zip whose second entry lies inside the first one's (stored) data: the overlapping-entry
/// construction.
fn overlapping_zip(data: &[u8]) -> Vec<u8> {
    let inner = zip_raw(&[("inner.txt", data, 8, 0)], false);
    let cd_off =
        u32::from_le_bytes(inner[inner.len() - 6..inner.len() - 2].try_into().unwrap()) as usize;
    let inner_local = &inner[..cd_off];
    let inner_central = &inner[cd_off..inner.len() - 22];
    // The outer entry stores the inner entry's local header and data.
    let outer = zip_raw(&[("outer.bin", inner_local, 0, 0)], false);
    let o_cd =
        u32::from_le_bytes(outer[outer.len() - 6..outer.len() - 2].try_into().unwrap()) as usize;
    let outer_local = &outer[..o_cd];
    let outer_central = &outer[o_cd..outer.len() - 22];
    // The inner entry starts after the outer local header (30 bytes + the name).
    let at = (30 + "outer.bin".len()) as u32;
    let mut central2 = inner_central.to_vec();
    central2[42..46].copy_from_slice(&at.to_le_bytes());
    let mut out = outer_local.to_vec();
    let cd = out.len();
    out.extend(outer_central);
    out.extend(&central2);
    out.extend([0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 2, 0, 2, 0]);
    out.extend(((outer_central.len() + central2.len()) as u32).to_le_bytes());
    out.extend((cd as u32).to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

/// Issue 14.17: entries sharing or overlapping another entry's data are read once (a 145 KB
/// duplicate-entry zip cost 256 MB and a budget's worth of scanning); entries are handed on one at
/// a time, within the archive budget.
#[test]
fn duplicate_and_overlapping_zip_entries_are_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let tok = github_token("ghp_", 180);
    let mut data = format!("GITHUB_TOKEN={tok}\n").into_bytes();
    data.resize(1 << 20, b'x');
    let dup = duplicate_entry_zip(&data, 2500);
    assert!(dup.len() < 200_000, "{}", dup.len());
    let tok2 = github_token("ghp_", 181);
    let over = overlapping_zip(format!("GITHUB_TOKEN={tok2}\n").as_bytes());
    std::fs::write(
        dir.path().join("app.tar"),
        docker_save(
            &[layer(&[
                Entry::File("app/dup.zip", dup),
                Entry::File("app/over.zip", over),
            ])],
            &config(&[], &["COPY . /"]),
        ),
    )
    .unwrap();
    let r = image(dir.path(), &["app.tar"], None);
    assert_eq!(
        found(&r.report),
        vec![f(
            "/app/dup.zip!/a.txt",
            1,
            "github-pat-classic",
            1,
            PRESENT
        )],
        "{}",
        r.stderr
    );
    let skipped = r.report["skipped"].to_string();
    assert!(
        skipped.contains("2499 zip entries repeat another entry's data"),
        "{skipped}"
    );
    let errors = r.report["errors"].to_string();
    assert!(
        errors.contains("/app/over.zip: 1 zip entries overlap the data of other entries"),
        "{errors}"
    );
    assert_eq!(r.report["complete"], false);
}

/// Issue 14.17: a gzip member bigger than --max-file-size once decompressed is a skip with the
/// reason; a tar.gz inside a layer is read as a stream, its members charged to
/// --max-archive-size.
#[test]
fn compressed_members_are_bounded_by_the_limits() {
    let dir = tempfile::tempdir().unwrap();
    let tok = github_token("ghp_", 190);
    let mut big = format!("{tok}\n").into_bytes();
    big.resize(3 << 20, b'\n');
    let members: Vec<(String, Vec<u8>)> = (0..6)
        .map(|i| {
            (format!("m{i}.txt"), {
                let mut d = format!("{}\n", github_token("ghp_", 191 + i)).into_bytes();
                d.resize(400 << 10, b'\n');
                d
            })
        })
        .collect();
    std::fs::write(
        dir.path().join("app.tar"),
        docker_save(
            &[layer(&[
                Entry::File("app/big.log.gz", gz(&big)),
                Entry::File("app/bundle.tgz", gz(&tar_of(&members))),
            ])],
            &config(&[], &["COPY . /"]),
        ),
    )
    .unwrap();
    let r = image(
        dir.path(),
        &[
            "app.tar",
            "--max-file-size",
            "1M",
            "--max-archive-size",
            "1500K",
        ],
        None,
    );
    let paths: Vec<String> = found(&r.report).into_iter().map(|x| x.0).collect();
    // 1.5 MiB of the stream holds the first three members whole (tar headers included).
    assert_eq!(
        paths,
        vec![
            "/app/bundle.tgz!/m0.txt",
            "/app/bundle.tgz!/m1.txt",
            "/app/bundle.tgz!/m2.txt"
        ],
        "{}",
        r.report
    );
    let skipped = r.report["skipped"].to_string();
    assert!(
        skipped.contains("big.log.gz!/big.log") && skipped.contains("larger than --max-file-size"),
        "{skipped}"
    );
    assert!(
        r.report["errors"]
            .to_string()
            .contains("/app/bundle.tgz: archive expands past --max-archive-size"),
        "{}",
        r.report["errors"]
    );
}

/// Issue 14.15: nested indexes fanning out (four levels of sixty) are read once each; an index
/// that lists itself is an error for that entry and the manifest beside it is scanned.
#[test]
fn nested_index_fan_out_and_cycles_stay_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let tok = github_token("ghp_", 200);
    let mut files = oci_layout(&[(
        "linux/amd64",
        vec![layer(&[Entry::File(
            "app/.env",
            format!("GITHUB_TOKEN={tok}\n").into_bytes(),
        )])],
        config(&[], &["COPY . /"]),
    )]);
    let index: Value = serde_json::from_slice(&files.pop().unwrap().1).unwrap();
    let mut child = index["manifests"][0].clone();
    const IDX: &str = "application/vnd.oci.image.index.v1+json";
    let mut fan = files.clone();
    for _ in 0..3 {
        let list: Vec<Value> = (0..60)
            .map(|k| {
                let mut c = child.clone();
                c["annotations"] = json!({ "n": k.to_string() });
                c
            })
            .collect();
        let blob =
            serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": IDX, "manifests": list}))
                .unwrap();
        child = json!({"mediaType": IDX, "digest": format!("sha256:{}", sha(&blob)), "size": blob.len()});
        fan.push((format!("blobs/sha256/{}", sha(&blob)), blob));
    }
    let top: Vec<Value> = (0..60).map(|_| child.clone()).collect();
    fan.push((
        "index.json".into(),
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": top})).unwrap(),
    ));
    write_dir(&dir.path().join("fan"), &fan);
    let started = std::time::Instant::now();
    let r = image(dir.path(), &["fan"], None);
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    assert_eq!(
        found(&r.report),
        vec![f("/app/.env", 1, "github-pat-classic", 1, PRESENT)],
        "{}",
        r.stderr
    );
    assert_eq!(r.report["complete"], true, "{}", r.report["errors"]);

    // An index listing itself (the digest is only a name: nhiscan does not hash blobs).
    let loop_digest = format!("sha256:{}", "ab".repeat(32));
    let looped = serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": IDX,
        "manifests": [{"mediaType": IDX, "digest": loop_digest}]}))
    .unwrap();
    let mut selfish = files.clone();
    selfish.push((format!("blobs/sha256/{}", "ab".repeat(32)), looped));
    selfish.push((
        "index.json".into(),
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [
            {"mediaType": IDX, "digest": loop_digest}, index["manifests"][0]]}))
        .unwrap(),
    ));
    write_dir(&dir.path().join("loop"), &selfish);
    let r = image(dir.path(), &["loop"], None);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(found(&r.report).len(), 1, "{}", r.stderr);
    assert_eq!(r.report["complete"], false);
    let errors = r.report["errors"].to_string();
    assert!(errors.contains("(a cycle); not followed"), "{errors}");
}
