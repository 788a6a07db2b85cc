//! `nhiscan image PATH`: a container image (docker save tarball, OCI layout directory or tarball,
//! `-` for standard input) through the scanner, layer by layer, plus its config.

use std::path::PathBuf;

use anyhow::Result;

use crate::cli::ImageArgs;
use crate::source::image::{self, ImageOptions};

pub fn run(args: &ImageArgs) -> Result<i32> {
    // The project config (.nhiscan.toml) of the current directory: an image has no tree of its own.
    let (scanner, suppressor, _) =
        super::project(&args.rules, &args.project, std::path::Path::new("."))?;
    let sink = super::collector(&args.output, suppressor)?;
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
