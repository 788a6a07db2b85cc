//! `nhiscan batch`: many repositories in one run (issue 11). Inputs are resolved to repositories,
//! URLs cloned into a cache, the repositories of this shard scanned a bounded number at a time
//! through the one pipeline, with a memory of blobs shared across repositories and of blobs an
//! earlier run found clean, each repository recorded (results store, manifest, reports) as it
//! finishes.
//!
//! | module | concern |
//! | --- | --- |
//! | `key` | repository keys: normalized URLs (credentials never kept), canonical paths |
//! | `input` | paths, directories of repositories, list files → targets |
//! | `cache` | the clone cache: mirror or blobless clones, incremental fetches, no prompts, a timeout |
//! | `probe` | a repository's tip and root commit |
//! | `shard` | `--shard I/N` and `auto`, the stable assignment by group |
//! | `plan` | `--plan-only` (resolve and clone, print the assignment) and `--plan FILE` |
//! | `engine` | the engine (version, rules and settings hashes) and the plan key |
//! | `memo` | blobs shared across repositories read once; blobs clean in an earlier run skipped |
//! | `tree` | the tip's tree as a source (tree-only scope) |
//! | `images` | image tarballs committed to a repository |
//! | `repo` | one repository: clone, probe, scan, coverage, record |
//! | `manifest` | the run manifest: every repository, its status and counts |
//! | `report` | the reports over many repositories (streamed where the format allows) |
//! | `run` | the run: shard, store, bounded parallelism, exit code |
//! | `store` | opening the results store `--store` names |

mod cache;
mod engine;
mod images;
mod input;
mod key;
mod manifest;
mod memo;
mod plan;
mod probe;
mod repo;
mod report;
mod run;
mod shard;
mod store;
mod totals;
mod tree;

#[cfg(test)]
mod tests;

pub(crate) use cache::{default_dir as default_cache_dir, Cache};
pub(crate) use input::collect;
pub(crate) use plan::{plan, read as read_plan};
pub(crate) use run::{run, Options};
pub(crate) use shard::Shard;
pub(crate) use store::open as open_store;

use crate::store::record::Coverage;
