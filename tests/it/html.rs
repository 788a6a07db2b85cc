//! `nhiscan report --html`: the page is loaded in headless Chromium (Debian's `chromium` package)
//! with the network disabled, and the DOM it renders is read back with `--dump-dom`; screenshots go
//! to `<target>/html-report/`. Chromium is `$NHISCAN_TEST_CHROMIUM` or `/usr/bin/chromium`; without
//! it the tests fail when `CI` is set and are skipped otherwise.
//!
//! Why `--dump-dom` and not WebDriver or the DevTools protocol: it needs no crate, no port and no
//! driver process; the page keeps its filters in the URL fragment, so loading `page.html#…` drives
//! the same code a click in the filter bar runs, and the page itself records what a test needs on
//! `<body>` (`data-ready`, `data-render-ms`, `data-requests` from the resource timing entries,
//! `data-csp-violations`) and on each table (`data-total`, `data-filtered`, `data-shown`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::nhiscan;

fn chromium() -> Option<PathBuf> {
    let p = std::env::var_os("NHISCAN_TEST_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if p.exists() {
        return Some(p);
    }
    if std::env::var_os("CI").is_some() {
        panic!("Chromium not found at {} (set NHISCAN_TEST_CHROMIUM; Debian: apt-get install chromium)", p.display());
    }
    eprintln!(
        "skipped: Chromium not found at {} (set NHISCAN_TEST_CHROMIUM)",
        p.display()
    );
    None
}

/// Where screenshots are kept: `<target dir>/html-report/`.
fn shots() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // <target>/debug/deps/it-…
    let target = exe.ancestors().nth(3).unwrap().to_path_buf();
    let d = target.join("html-report");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs headless Chromium on `url` with no network: every host resolves to nothing and every
/// request would go to a proxy on the discard port.
fn chrome(bin: &Path, extra: &[String], url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut c = Command::new(bin);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=127.0.0.1:9",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(extra)
    .arg(url)
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    let mut child = c.spawn().expect("chromium starts");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).ok();
        s
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            panic!("chromium did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().unwrap()
}

/// The `data-*` attributes of the element whose start tag contains `marker`.
fn attrs(dom: &str, marker: &str) -> std::collections::HashMap<String, String> {
    let at = dom
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not in the DOM"));
    let start = dom[..at].rfind('<').unwrap();
    let end = at + dom[at..].find('>').unwrap();
    let tag = &dom[start..end];
    let mut out = std::collections::HashMap::new();
    let mut rest = tag;
    while let Some(i) = rest.find(" data-") {
        rest = &rest[i + 6..];
        let eq = rest.find("=\"").unwrap();
        let name = rest[..eq].to_string();
        let v = &rest[eq + 2..];
        let close = v.find('"').unwrap();
        out.insert(name, v[..close].to_string());
        rest = &v[close..];
    }
    out
}

fn dump(bin: &Path, page: &Path, fragment: &str) -> String {
    let url = format!("file://{}{fragment}", page.display());
    let dom = chrome(bin, &["--dump-dom".into()], &url);
    let body = attrs(&dom, "<body");
    assert_eq!(
        body.get("ready").map(String::as_str),
        Some("1"),
        "the page did not render: {}",
        &dom[..dom.len().min(2000)]
    );
    assert_eq!(body["requests"], "0", "the page made network requests");
    assert_eq!(
        body["csp-violations"], "0",
        "the page broke its Content-Security-Policy"
    );
    dom
}

fn screenshot(bin: &Path, page: &Path, fragment: &str, name: &str) {
    let out = shots().join(name);
    let url = format!("file://{}{fragment}", page.display());
    chrome(
        bin,
        &[
            "--window-size=1280,1000".into(),
            format!("--screenshot={}", out.display()),
        ],
        &url,
    );
    assert!(
        out.metadata().map(|m| m.len() > 1000).unwrap_or(false),
        "no screenshot at {}",
        out.display()
    );
}

#[test]
fn report_of_a_scan_in_chromium() {
    let Some(bin) = chromium() else { return };
    let (r, secrets) = crate::inventory::estate();
    let page = r.home().join("report.html");
    let out = nhiscan()
        .current_dir(&r.dir)
        .args(["report", "--html", page.to_str().unwrap(), "--git", "."])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&page).unwrap();
    for s in &secrets {
        assert!(
            !html.contains(s.rsplit(':').next().unwrap()),
            "a secret is in the page in full"
        );
    }
    let inv: Value = serde_json::from_slice(
        &nhiscan()
            .current_dir(&r.dir)
            .args(["inventory", "--git", ".", "--format", "json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let identities = inv["identities"].as_array().unwrap().len();
    let findings = inv["summary"]["findings"].as_u64().unwrap();

    let dom = dump(&bin, &page, "");
    let t = attrs(&dom, "id=\"inv-table\"");
    assert_eq!(t["total"], identities.to_string());
    assert_eq!(t["filtered"], identities.to_string());
    assert_eq!(attrs(&dom, "id=\"f-table\"")["total"], findings.to_string());
    assert_eq!(attrs(&dom, "id=\"cov-complete\"").len(), 0);
    assert!(
        dom.contains("id=\"cov-complete\">1<"),
        "one complete repository"
    );

    // A filter changes the visible rows: one AWS identity; only the critical findings.
    let dom = dump(&bin, &page, "#tab=inventory&type=aws-access-key");
    let t = attrs(&dom, "id=\"inv-table\"");
    assert_eq!((t["filtered"].as_str(), t["shown"].as_str()), ("1", "1"));
    assert!(dom.contains("AWS access key AKIA…"));
    let dom = dump(&bin, &page, "#tab=findings&sev=critical");
    let f = attrs(&dom, "id=\"f-table\"");
    let critical: usize = f["filtered"].parse().unwrap();
    assert!(critical >= 1 && (critical as u64) < findings, "{f:?}");
    let dom = dump(&bin, &page, "#tab=inventory&q=payments-prod%2Fdeployer");
    assert_eq!(attrs(&dom, "id=\"inv-table\"")["filtered"], "1");

    // The probe is not vacuous: a page that tries to load a remote image is caught.
    let tampered = r.home().join("tampered.html");
    std::fs::write(
        &tampered,
        html.replacen(
            "<main>",
            "<main><img src=\"https://example.invalid/pixel.png\" alt=\"\">",
            1,
        ),
    )
    .unwrap();
    let url = format!("file://{}", tampered.display());
    let dom = chrome(&bin, &["--dump-dom".into()], &url);
    let body = attrs(&dom, "<body");
    assert_eq!(body.get("ready").map(String::as_str), Some("1"));
    assert_ne!(body["csp-violations"], "0", "a blocked request is counted");

    screenshot(&bin, &page, "", "summary.png");
    screenshot(&bin, &page, "#tab=inventory", "inventory.png");
    screenshot(&bin, &page, "#tab=findings", "findings.png");
    // Printed: every section, without the controls.
    let pdf = shots().join("report.pdf");
    chrome(
        &bin,
        &[
            "--no-pdf-header-footer".into(),
            format!("--print-to-pdf={}", pdf.display()),
        ],
        &format!("file://{}", page.display()),
    );
    assert!(std::fs::read(&pdf).is_ok_and(|b| b.starts_with(b"%PDF")));
}

/// A report of 10,000 findings across 40 repositories: time to first render (navigation start to
/// the first page of both tables drawn, as `performance.now()` in the page) stays low because only
/// one page of rows is put in the DOM.
#[test]
fn ten_thousand_findings_render_fast() {
    let Some(bin) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let rules = [
        ("aws-access-key-id", "secret", "AKIA…"),
        ("github-pat-classic", "secret", "ghp_Zq8r…"),
        ("postgres-connection-string", "secret", "u4Bd…"),
        ("k8s-rbac-wildcard", "permission", ""),
        ("gha-write-all", "permission", ""),
    ];
    let sev = ["critical", "high", "medium", "low", "info"];
    let envs = ["prod", "staging", "dev"];
    let findings: Vec<Value> = (0..10_000u64)
        .map(|i| {
            let (rule, cat, red) = rules[(i % 5) as usize];
            let repo = format!("github.com/example/svc-{}", i % 40);
            let path = format!("deploy/{}/app-{}.env", envs[(i % 3) as usize], i % 97);
            let mut f = json!({
                "rule_id": rule, "title": rule, "category": cat, "kind": cat,
                "severity": sev[(i % 5) as usize], "confidence": "high", "context": "production",
                "message": format!("{rule} finding {i}"), "artifact": path, "display": path, "name": path,
                "line": 1 + i % 300, "column": 1, "end_line": 1 + i % 300, "end_column": 2,
                "fingerprint": format!("{:032x}", i * 7919), "location_fingerprint": format!("{i:032x}"),
                "repository": repo,
                "properties": {
                    "owasp_nhi": if cat == "secret" { json!(["NHI2:2025", "NHI7:2025"]) } else { json!(["NHI5:2025"]) },
                    "nhi": {"type": if cat == "secret" { "aws-access-key" } else { "ci-workflow" },
                            "id": format!("id-{}", i / 3), "name": format!("identity {}", i / 3)},
                    "commit": format!("{:040x}", i), "author": "Alice Example", "date": "2024-05-01T10:00:00Z",
                    "at_head": i % 2 == 0, "exposure_days": i % 1000
                }
            });
            if !red.is_empty() {
                f["redacted"] = json!(red);
                f["lifetime"] = json!({"kind": "long-lived", "reason": "r"});
            }
            f
        })
        .collect();
    let repos: Vec<Value> = (0..40)
        .map(|i| json!({"key": format!("github.com/example/svc-{i}"),
                        "coverage": if i == 7 { json!({"status": "partial", "reasons": ["missing blob"]}) }
                                    else if i == 9 { json!({"status": "failed", "reason": "clone failed"}) }
                                    else { json!("complete") }}))
        .collect();
    let doc = json!({"schema_version": 1, "target": "40 repositories", "complete": false,
                     "findings": findings, "repositories": repos});
    let report = dir.path().join("big.json");
    std::fs::write(&report, serde_json::to_vec(&doc).unwrap()).unwrap();
    let page = dir.path().join("big.html");
    let t = Instant::now();
    let out = nhiscan()
        .args([
            "report",
            "--html",
            page.to_str().unwrap(),
            "--from-report",
            report.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let build = t.elapsed();
    let size = page.metadata().unwrap().len();

    let dom = dump(&bin, &page, "#tab=findings");
    let f = attrs(&dom, "id=\"f-table\"");
    assert_eq!(
        (f["total"].as_str(), f["shown"].as_str()),
        ("10000", "100"),
        "one page of rows in the DOM"
    );
    assert!(dom.contains("id=\"cov-partial\">1<") && dom.contains("id=\"cov-failed\">1<"));
    let ms: f64 = attrs(&dom, "<body")["render-ms"].parse().unwrap();
    eprintln!(
        "10,000 findings: page {:.1} MB written in {:.2} s; first render {ms:.0} ms after navigation start",
        size as f64 / 1e6,
        build.as_secs_f64()
    );
    assert!(ms < 5000.0, "first render took {ms} ms");
    // svc-7 holds findings 7, 47, 87, ...: 250 of them, all medium (i % 5 == 2).
    let dom = dump(&bin, &page, "#tab=findings&fq=svc-7");
    assert_eq!(attrs(&dom, "id=\"f-table\"")["filtered"], "250");
    let dom = dump(&bin, &page, "#tab=findings&fq=svc-7&sev=high");
    assert_eq!(attrs(&dom, "id=\"f-table\"")["filtered"], "0");
    screenshot(&bin, &page, "#tab=findings", "findings-10k.png");
}

/// Printed, a table shows every row, not the page of 100 on screen: the page draws all rows on
/// `beforeprint` (which headless `--print-to-pdf` fires). The check is the PDF's page count: 600
/// findings of the same 5 identities print on many more pages than 100 of them (with paging both
/// printed 100 rows and came out the same length). Page objects are counted in the PDF itself;
/// its text is compressed and glyph-coded, so reading it back would need a PDF text extractor.
#[test]
fn printed_report_has_every_row() {
    let Some(bin) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let finding = |i: u64| {
        let path = format!("deploy/app/file-{i:04}.env");
        json!({
            "rule_id": "github-pat-classic", "title": "GitHub token", "category": "secret",
            "kind": "secret", "severity": "high", "confidence": "high", "context": "production",
            "message": format!("token {i}"), "artifact": path, "display": path, "name": path,
            "line": 1, "column": 1, "end_line": 1, "end_column": 2, "redacted": "ghp_Zq8r…",
            "fingerprint": format!("{:032x}", i * 7919), "location_fingerprint": format!("{i:032x}"),
            "properties": {"nhi": {"type": "github-token", "id": format!("id-{}", i % 5),
                                   "name": format!("identity {}", i % 5)}}
        })
    };
    let pages = |n: u64| -> usize {
        let doc = json!({"schema_version": 1, "target": "t", "complete": true,
                         "findings": (0..n).map(finding).collect::<Vec<_>>()});
        let report = dir.path().join(format!("r{n}.json"));
        std::fs::write(&report, serde_json::to_vec(&doc).unwrap()).unwrap();
        let page = dir.path().join(format!("r{n}.html"));
        let out = nhiscan()
            .args(["report", "--html", page.to_str().unwrap()])
            .args(["--from-report", report.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success());
        let pdf = shots().join(format!("print-{n}.pdf"));
        let _ = std::fs::remove_file(&pdf);
        chrome(
            &bin,
            &[
                "--no-pdf-header-footer".into(),
                format!("--print-to-pdf={}", pdf.display()),
            ],
            &format!("file://{}", page.display()),
        );
        let b = std::fs::read(&pdf).unwrap();
        assert!(b.starts_with(b"%PDF"));
        // `/Type /Page` objects, not the `/Type /Pages` nodes of the page tree.
        let key = b"/Type /Page";
        b.windows(key.len() + 1)
            .filter(|w| w.starts_with(key) && w[key.len()] != b's')
            .count()
    };
    let (few, many) = (pages(100), pages(600));
    // 500 more rows at well under 100 rows a page.
    assert!(
        many >= few + 5,
        "600 findings printed on {many} pages, 100 on {few}: rows are missing"
    );
}
