//! The git history source: every blob reachable from the chosen refs (every ref by default: branches,
//! tags, remote-tracking refs, `refs/pull/*`, notes, the stash; with `--all-objects`, unreachable
//! commits too), each unique blob once, read in process from the packs and loose objects ([`odb`];
//! `git cat-file --batch` for what it does not find or cannot decode) and scanned in parallel; with
//! `--since` / `--range`, only the lines the selected commits add count. Provenance (the commit that
//! introduced a blob, its author, whether it is still at HEAD, exposure age) is looked up
//! afterwards, and only for blobs that had findings, so a clean history pays nothing for it.
//!
//! git itself still lists the commits (`git rev-list`; their trees are walked in process), diffs for provenance and
//! `--since` / `--range`, and opens the repository: docs/git-reader.md says what the in-process
//! reader measured against `cat-file` and gitoxide, and what git still does and why.
//!
//! - [`repo`]: the repository wrapper (opening, the root, running git with bounded memory).
//! - [`refs`]: which revisions are scanned, as `git rev-list` arguments.
//! - [`list`]: listing every commit, tree and blob once (with `--all-objects`, then walking the
//!   commits no ref reaches), and the objects the repository lacks.
//! - [`message`]: commit messages, scanned as content of their commit, and their framing.
//! - [`reader`]: reading the listed blobs, in process or out of `git cat-file --batch`.
//! - [`odb`]: the in-process object store (packs, loose objects, alternates).
//! - [`missing`]: what a missing object was and where (a blob, a tree, a commit), for the report.
//! - [`submodule`]: the submodules (gitlinks) passed over, listed as skipped.
//! - [`added`]: the lines the commits of `--since` / `--range` add (`git log -p --cc -U0`).
//! - [`provenance`]: where each blob with findings entered and left the history (`git log`, on the
//!   commits [`touching`] finds can show one).
//! - [`touching`]: which commits can show a wanted object, from their trees compared in process.
//! - [`trees`]: tree objects as bytes: their entries, and two trees compared.
//! - [`branches`]: which branches contain the commits that introduced findings.
//! - [`origin`]: the provisional origin a blob is scanned with and the final one it is reported with.
//! - [`history`]: the [`History`] source that ties them together.

mod added;
mod branches;
mod history;
mod list;
mod message;
mod missing;
mod odb;
mod origin;
mod provenance;
mod reader;
mod refs;
mod repo;
mod submodule;
#[cfg(test)]
mod testing;
mod touching;
mod trees;

pub(crate) use history::History;
pub(crate) use reader::{read_blobs, Read};
pub(crate) use refs::Revs;
pub(crate) use repo::{first_line, git_at, Repo};
