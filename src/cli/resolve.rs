//! From parsed arguments to the one resolved [`Settings`] value: colour decided, the output file's
//! extension read, option groups turned into the settings each layer receives.

use super::{ColorChoice, ImageLimitArgs, LimitArgs, OutputArgs, ProjectArgs, RuleArgs};
use crate::finding::Severity;
use crate::report::Format;
use crate::settings::{Limits, OutputOptions, ProjectOptions, RuleSelection, Settings};

impl OutputArgs {
    /// The output options, colour resolved (`auto`: a terminal on standard output and no `NO_COLOR`).
    pub(crate) fn resolve(&self) -> OutputOptions {
        use std::io::IsTerminal;
        let color = match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && self.output.as_ref().is_none_or(|p| p.as_os_str() == "-")
                    && std::io::stdout().is_terminal()
            }
        };
        let output = self.output.clone().filter(|p| p.as_os_str() != "-");
        let format = self.format.unwrap_or_else(|| {
            output
                .as_deref()
                .and_then(Format::from_extension)
                .unwrap_or(Format::TEXT)
        });
        OutputOptions {
            format,
            output,
            reports: self.reports.clone(),
            min_severity: self.min_severity,
            min_confidence: self.min_confidence,
            context: self.context.clone(),
            fail_on: self.fail_on.clone(),
            show_secrets: self.show_secrets,
            color,
            quiet: self.quiet,
            verbose: self.verbose,
            strict: self.strict,
        }
    }
}

impl RuleArgs {
    /// The rule selection these flags make.
    pub(crate) fn resolve(&self) -> RuleSelection {
        RuleSelection {
            files: self.rule_files.clone(),
            enable: self.enable.clone(),
            disable: self.disable.clone(),
        }
    }
}

impl ProjectArgs {
    /// The project options these flags make.
    pub(crate) fn resolve(&self) -> ProjectOptions {
        ProjectOptions {
            config: self.config.clone(),
            no_suppress: self.no_suppress,
            baseline: self.baseline.clone(),
            policy: self.policy.clone(),
        }
    }
}

/// The settings of a scanning command, from its option groups. `image` carries the image reader's
/// limits where the command has them (elsewhere the defaults stand, unused).
pub(crate) fn settings(
    rules: &RuleArgs,
    project: &ProjectArgs,
    limits: &LimitArgs,
    image: Option<&ImageLimitArgs>,
    output: &OutputArgs,
) -> Settings {
    let mut l = Limits {
        max_file_size: limits.max_file_size,
        ..Limits::default()
    };
    if let Some(i) = image {
        l.max_layer_size = i.max_layer_size;
        l.max_archive_depth = i.max_archive_depth;
        l.max_archive_size = i.max_archive_size;
    }
    Settings {
        rules: rules.resolve(),
        project: project.resolve(),
        output: output.resolve(),
        limits: l,
        threads: output
            .threads
            .filter(|&n| n > 0)
            .unwrap_or_else(crate::settings::default_threads),
    }
}

impl Default for OutputArgs {
    fn default() -> OutputArgs {
        OutputArgs {
            format: None,
            output: None,
            reports: Vec::new(),
            min_severity: Severity::Info,
            min_confidence: None,
            context: None,
            fail_on: None,
            show_secrets: false,
            color: ColorChoice::Never,
            quiet: false,
            verbose: false,
            threads: None,
            strict: false,
        }
    }
}
