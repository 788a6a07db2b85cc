//! `nhiscan image PATH`: a container image (docker save tarball, OCI layout directory or tarball,
//! `-` for standard input) through the pipeline, layer by layer, plus its config.

use anyhow::Result;

use crate::cli::ImageArgs;
use crate::source::image::Image;

/// Runs `nhiscan image`.
pub fn run(args: &ImageArgs) -> Result<i32> {
    let settings = crate::cli::settings(
        &args.rules,
        &args.project,
        &args.limits,
        Some(&args.image_limits),
        &args.output,
    );
    let image = Image::new(&args.image, args.platform.clone(), settings.threads);
    crate::run::run(&settings, &image)
}
