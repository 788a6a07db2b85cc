//! Standard input as one unit (`nhiscan scan -`), for pipes such as `printenv | nhiscan scan -`.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;

use super::{Feed, Source, Unit};
use crate::finding::Origin;

/// Standard input.
pub(crate) struct Stdin;

impl Source for Stdin {
    fn target(&self) -> String {
        "-".into()
    }

    fn project_dir(&self) -> PathBuf {
        std::path::absolute(".").unwrap_or_else(|_| PathBuf::from("."))
    }

    fn produce(&self, feed: &Feed<'_>) -> Result<()> {
        let max = feed.limits().max_file_size;
        let mut data = Vec::new();
        let read = std::io::stdin()
            .lock()
            .take(max.saturating_add(1))
            .read_to_end(&mut data);
        if let Err(e) = read {
            feed.error("<stdin>", format!("cannot read standard input: {e}"));
            return Ok(());
        }
        if data.len() as u64 > max {
            // A pipe has no size to skip by: scan what fits and say the rest was not read.
            feed.error("<stdin>", format!("standard input is larger than --max-file-size ({max} bytes); scanned the first {max} bytes"));
            data.truncate(max as usize);
        }
        feed.unit(Unit::new(&data, Arc::new(Origin::file("<stdin>", "stdin"))));
        Ok(())
    }
}
