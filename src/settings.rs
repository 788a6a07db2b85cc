//! The one resolved settings value. Parsed arguments become [`Settings`] once, before anything runs (as
//! ripgrep turns its flags into `HiArgs`); every layer receives the part it needs as a field. No statics,
//! no global overrides.

use std::path::PathBuf;

use crate::finding::Severity;

/// How far sources read: the same limits for every source.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Units larger than this are skipped (`--max-file-size`).
    pub max_file_size: u64,
    /// Image layers: stop reading a layer that expands past this (decompression bomb guard).
    pub max_layer_size: u64,
    /// Image layers: how deep to open archives inside layers; 0 opens none.
    pub max_archive_depth: usize,
    /// Image layers: stop opening an archive once its contents pass this size.
    pub max_archive_size: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_file_size: 50 << 20,
            max_layer_size: 16 << 30,
            max_archive_depth: 3,
            max_archive_size: 256 << 20,
        }
    }
}

/// Which rules run: built-in plus extra files, narrowed by enable/disable.
#[derive(Debug, Clone, Default)]
pub struct RuleSelection {
    pub files: Vec<PathBuf>,
    pub enable: Vec<String>,
    pub disable: Vec<String>,
}
