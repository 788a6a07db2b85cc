//! The results store: what every run found, where, and since when (issue 11).

// The record types land first so that the batch command and the store backends are written
// against one interface; their users arrive with them.
#[allow(dead_code)]
pub(crate) mod record;
