//! What the user allowed: inline `nhiscan:allow` comments (marked by the scanner), and — with the
//! project config and baseline — fingerprints. Keyed on the secret, never on a line number, so moving
//! code keeps a suppression and a different secret on the same line is not hidden.

use crate::finding::Finding;

pub enum Verdict {
    Report,
    Suppressed,
    Baselined,
}

#[derive(Default)]
pub struct Suppressor {
    /// `--no-suppress`: report everything, suppressed or not.
    pub disabled: bool,
}

impl Suppressor {
    pub fn check(&self, f: &mut Finding) -> Verdict {
        if self.disabled {
            return Verdict::Report;
        }
        if f.suppressed.is_some() {
            return Verdict::Suppressed;
        }
        Verdict::Report
    }
}
