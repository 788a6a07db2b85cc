//! Container images committed to a repository (`images` in `--scope`): the blobs of the default
//! branch's tip that are `docker save` or OCI layout tarballs (plain or compressed), each copied
//! out of the object store into a temporary file and scanned by the image source, its findings
//! named by the blob's path in the repository.

use std::io::Read as _;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, Result};

use super::tree::Entry;
use crate::finding::{Finding, Origin, ScanError};
use crate::settings::Settings;
use crate::source::git::Repo;
use crate::source::image::Image;

/// What the images of one repository gave.
#[derive(Default)]
pub(crate) struct Scanned {
    pub findings: Vec<Finding>,
    pub errors: Vec<ScanError>,
    pub files: u64,
    pub bytes: u64,
    pub incomplete: bool,
    /// How many blobs were images.
    pub images: u64,
}

/// The tarballs of `entries` that hold an image, scanned; `limit`: the largest blob copied out.
pub(crate) fn scan(settings: &Settings, repo: &Repo, entries: &[Entry], limit: u64) -> Scanned {
    let mut out = Scanned::default();
    for e in entries
        .iter()
        .filter(|e| e.kind == "blob" && tarball_name(&e.path))
    {
        if e.size > limit {
            out.errors.push(ScanError {
                path: e.path.clone(),
                message: format!(
                    "possible image tarball not scanned: larger than --max-layer-size ({} > {limit} bytes)",
                    e.size
                ),
            });
            out.incomplete = true;
            continue;
        }
        if let Err(err) = one(settings, repo, e, &mut out) {
            out.errors.push(ScanError {
                path: e.path.clone(),
                message: format!("{err:#}"),
            });
            out.incomplete = true;
        }
    }
    out
}

fn tarball_name(p: &str) -> bool {
    let p = p.to_ascii_lowercase();
    [".tar", ".tar.gz", ".tgz", ".tar.zst", ".oci"]
        .iter()
        .any(|x| p.ends_with(x))
}

fn one(settings: &Settings, repo: &Repo, e: &Entry, out: &mut Scanned) -> Result<()> {
    let dir = TempDir::new()?;
    let file = dir.0.join("image.tar");
    let f = std::fs::File::create(&file).context("cannot create a temporary file")?;
    let status = repo
        .git()
        .args(["cat-file", "blob", &e.oid])
        .stdout(f)
        .stderr(std::process::Stdio::null())
        .status()
        .context("cannot run git cat-file")?;
    if !status.success() {
        anyhow::bail!("cannot read blob {} (missing or corrupt)", e.oid);
    }
    if !is_image(&file) {
        return Ok(());
    }
    out.images += 1;
    let image = Image::new(&file, None, settings.threads);
    let done = crate::run::scan(settings, &image)?;
    let tmp = file.display().to_string();
    let rename = |s: &str| s.replace(&tmp, &e.path);
    let mut renamed: std::collections::HashMap<*const Origin, Arc<Origin>> = Default::default();
    for mut f in done.outcome.findings {
        let o = renamed
            .entry(Arc::as_ptr(&f.origin))
            .or_insert_with(|| {
                let mut o = (*f.origin).clone();
                o.display = rename(&o.display);
                o.artifact = rename(&o.artifact);
                o.properties
                    .insert("image_blob".into(), serde_json::json!(e.oid));
                Arc::new(o)
            })
            .clone();
        f.origin = o;
        out.findings.push(f);
    }
    for mut err in done.outcome.errors {
        err.path = rename(&err.path);
        err.message = rename(&err.message);
        out.errors.push(err);
    }
    out.files += done.outcome.summary.files;
    out.bytes += done.outcome.summary.bytes;
    out.incomplete |= done.outcome.summary.incomplete;
    Ok(())
}

/// True when the tarball at `p` (plain, gzip or zstd) has a `manifest.json` (docker save) or an
/// `oci-layout` file at its top.
fn is_image(p: &Path) -> bool {
    let Ok(mut f) = std::fs::File::open(p) else {
        return false;
    };
    let mut head = [0u8; 4];
    let n = f.read(&mut head).unwrap_or(0);
    let Ok(f) = std::fs::File::open(p) else {
        return false;
    };
    let reader: Box<dyn std::io::Read> = match &head[..n] {
        [0x1f, 0x8b, ..] => Box::new(flate2::read::GzDecoder::new(f)),
        [0x28, 0xb5, 0x2f, 0xfd] => match zstd::Decoder::new(f) {
            Ok(d) => Box::new(d),
            Err(_) => return false,
        },
        _ => Box::new(f),
    };
    let mut ar = tar::Archive::new(reader);
    let Ok(entries) = ar.entries() else {
        return false;
    };
    for entry in entries {
        let Ok(entry) = entry else {
            return false;
        };
        let Ok(path) = entry.path() else {
            continue;
        };
        let name = path.to_string_lossy();
        let name = name.trim_start_matches("./");
        if name == "manifest.json" || name == "oci-layout" {
            return true;
        }
    }
    false
}

/// A private temporary directory, removed when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> Result<TempDir> {
        use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
        static N: AtomicU64 = AtomicU64::new(0);
        let p = std::env::temp_dir().join(format!(
            "nhiscan-image-{}-{}",
            std::process::id(),
            N.fetch_add(1, Relaxed)
        ));
        let mut b = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
        b.create(&p)
            .with_context(|| format!("cannot create {}", p.display()))?;
        Ok(TempDir(p))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
