//! What a scan hands the results store: one run, and per repository what was covered and found.
//! `batch` (and the single-repository commands, later) build these; the store only reads them.
//! Everything the store keeps about a finding comes from [`Finding`] and its origin's properties
//! (`commit`, `blob`, `path`, `layer`, ...); the secret itself is kept only when the user asks.

use std::collections::BTreeMap;

use crate::finding::{Finding, ScanError};

/// Which parts of a repository a scan covered. A scan can mark something fixed only when its scope
/// covers (is a superset of) the scope of the scan that found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scope {
    /// The default branch's tree at its tip, with every analyzer.
    pub tree: bool,
    /// Every blob of the history (all refs), for secrets.
    pub history: bool,
    /// Container image tarballs found in the repository.
    pub images: bool,
}

impl Scope {
    /// True when `self` covers everything `other` covers.
    pub fn covers(self, other: Scope) -> bool {
        (self.tree || !other.tree)
            && (self.history || !other.history)
            && (self.images || !other.images)
    }

    /// `tree,history,images` (the parts covered, comma-separated), as stored and shown.
    pub fn as_list(self) -> String {
        let parts = [
            (self.tree, "tree"),
            (self.history, "history"),
            (self.images, "images"),
        ];
        let on: Vec<&str> = parts.iter().filter(|p| p.0).map(|p| p.1).collect();
        on.join(",")
    }
}

/// What the findings of a run depend on besides the content: the rules and the settings that change
/// what is found. Blobs scanned clean under the same engine are not scanned again; a scan can mark
/// something fixed only with the same or newer rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Engine {
    /// nhiscan's version (semver), to order rule sets: a newer version has the same or newer rules.
    pub version: String,
    /// Hash of the loaded rules (built-in and custom, after enable/disable).
    pub rules_hash: String,
    /// Hash of the settings that change findings (limits, context globs, ...).
    pub settings_hash: String,
}

/// How completely one repository was scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    /// Everything in scope was read.
    Complete,
    /// Scanned, but some content could not be read: the reasons (missing objects, read errors).
    Partial(Vec<String>),
    /// Not scanned at all: why (the clone failed, not a repository, ...).
    Failed(String),
}

/// One repository of a run.
#[derive(Debug, Clone)]
pub struct RepoRecord {
    /// How the repository is known across runs: its normalized remote URL, else its canonical path.
    pub key: String,
    /// Tip commit of the default branch, when there is one.
    pub tip: Option<String>,
    /// The first (root) commit of the default branch: forks of one project share it.
    pub root_commit: Option<String>,
    /// A hash of every ref and `HEAD` (and the repository's own config) when it was scanned: the
    /// same value later means the same content, so the repository need not be scanned again.
    pub refs: Option<String>,
    /// What was scanned.
    pub scope: Scope,
    /// How completely.
    pub coverage: Coverage,
    /// Files (or blobs) and bytes scanned, as in the report summary.
    pub files: u64,
    /// Bytes scanned.
    pub bytes: u64,
    /// Every finding, with final origins (repository-relative paths; commit, blob, image, layer in
    /// the origin's properties). Unfiltered by `--min-severity` and context: the store keeps all.
    pub findings: Vec<Finding>,
    /// Content that could not be read.
    pub errors: Vec<ScanError>,
}

/// The start of a run, as recorded before any repository is scanned (so that an interrupted run can
/// be resumed and a merge can tell which shards are missing).
#[derive(Debug, Clone)]
pub struct RunStart {
    /// Stable id of the run; every shard of one sharded run uses the same id.
    pub run_id: String,
    /// This shard's index and the shard count (`--shard I/N`), or `None` for an unsharded run.
    pub shard: Option<(u32, u32)>,
    /// The engine the run scans with.
    pub engine: Engine,
    /// The scope asked for.
    pub scope: Scope,
    /// Every repository key this run (this shard) is expected to cover, so that none can be
    /// dropped silently.
    pub expected: Vec<String>,
    /// Free-form facts shown with the run (inputs, host, user).
    pub meta: BTreeMap<String, String>,
}

/// What a store remembers of a repository's last complete (or partial) scan under one engine and
/// scope.
#[derive(Debug, Clone)]
pub struct Prior {
    /// The run that recorded it.
    pub run: String,
    /// Its refs then ([`RepoRecord::refs`]).
    pub refs: String,
    /// Tip of the default branch then.
    pub tip: Option<String>,
    /// Root commit of the default branch.
    pub root_commit: Option<String>,
    /// Files (blobs) covered.
    pub files: u64,
    /// Bytes covered.
    pub bytes: u64,
    /// Complete, or partial with its reasons (never failed: nothing to carry).
    pub coverage: Coverage,
    /// Every secret it found is in the store (`--store-secrets`), so a report can show them.
    pub secrets_kept: bool,
}

/// What `batch` needs from a results store, whatever its backend: resume an interrupted run, skip
/// blobs already scanned clean, record each repository as it finishes, and end the run.
pub trait RunStore {
    /// The unfinished run started with the same `plan_key` (a hash of the inputs, scope, engine and
    /// shard), with the keys of the repositories it already recorded; `None` when there is none.
    fn resume(&mut self, plan_key: &str) -> anyhow::Result<Option<(String, Vec<String>)>>;
    /// Records the start of a run (before any repository is scanned).
    fn begin(&mut self, start: &RunStart, plan_key: &str) -> anyhow::Result<()>;
    /// Blob ids already scanned with no finding under `engine` (any repository, any earlier run).
    fn clean_blobs(&mut self, engine: &Engine)
        -> anyhow::Result<std::collections::HashSet<String>>;
    /// Per repository key: its newest complete record under `engine` and `scope` with known refs.
    fn priors(
        &mut self,
        engine: &Engine,
        scope: Scope,
    ) -> anyhow::Result<std::collections::HashMap<String, Prior>>;
    /// Records repository `key` in run `run_id` as run `prior.run` recorded it (its refs have not
    /// changed since), in one transaction; its findings, for the report.
    fn carry(&mut self, run_id: &str, key: &str, prior: &Prior) -> anyhow::Result<Vec<Finding>>;
    /// Records one finished repository of run `run_id`, with the blob ids it scanned clean, in one
    /// transaction: a run killed half-way keeps every repository it recorded.
    fn record(
        &mut self,
        run_id: &str,
        repo: &RepoRecord,
        clean_blobs: &[String],
    ) -> anyhow::Result<()>;
    /// Marks this run (or shard) complete. For an unsharded run this also advances first seen, last
    /// seen and statuses (new, open, fixed, reopened); a shard's state advances at `nhiscan merge`,
    /// once every shard of the run is complete.
    fn finish(&mut self, run_id: &str) -> anyhow::Result<()>;
}
