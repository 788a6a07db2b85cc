//! `nhiscan image PATH`: a container image (docker save tarball, OCI layout directory or tarball,
//! `-` for standard input) through the scanner, layer by layer, plus its config.

use std::path::PathBuf;

use anyhow::Result;

use crate::cli::ImageArgs;
use crate::scan::Scanner;
use crate::source::image::{self, ImageOptions};
use crate::suppress::Suppressor;

pub fn run(args: &ImageArgs) -> Result<i32> {
    let rules = crate::ruleset::load(&args.rules, &[])?;
    let scanner = Scanner::new(rules)?;
    let sink = super::collector(&args.output, Suppressor::default())?;
    let opts = ImageOptions {
        platform: args.platform.clone(),
        max_file_size: args.max_file_size,
        max_layer_size: args.max_layer_size,
        max_archive_depth: args.max_archive_depth,
        max_archive_size: args.max_archive_size,
        threads: super::threads(args.output.threads),
        verbose: args.output.verbose,
    };
    let res = crate::progress::while_running(&sink, args.output.quiet, || {
        image::scan(&args.image, &opts, &scanner, &sink)
    })?;
    let target = args.image.display().to_string();
    super::finish(
        &args.output,
        &scanner,
        sink,
        PathBuf::from("."),
        target,
        |o| {
            o.summary.incomplete |= res.incomplete;
        },
    )
}
