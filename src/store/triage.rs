//! Triage: a person's decision about a credential (revoked, false positive, used in tests, won't
//! fix), with who and when. Every decision is kept; the latest counts. Triage is keyed by the
//! credential's fingerprint, so it survives rescans (a rescan only touches observations and state).

use std::collections::HashMap;

use anyhow::{bail, Result};

use super::db::vals;
use super::{now, Store};

/// The resolutions `--resolve` takes.
pub(crate) const RESOLUTIONS: [&str; 4] =
    ["revoked", "false-positive", "used-in-tests", "wont-fix"];

/// One triage decision.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Triage {
    pub resolution: String,
    pub comment: String,
    pub who: String,
    /// Unix seconds.
    pub at: i64,
}

impl Store {
    /// The full fingerprint `given` names: itself, or the one credential it is a prefix of (the
    /// 12-hex short form text reports show).
    pub(crate) fn resolve_fingerprint(&mut self, given: &str) -> Result<String> {
        let given = given.trim().to_ascii_lowercase();
        if given.len() < 8 || !given.bytes().all(|b| b.is_ascii_hexdigit()) {
            bail!(
                "`{}` is not a fingerprint (hex, at least 8 digits; text reports show 12)",
                given.chars().take(40).collect::<String>()
            );
        }
        let rows = self.db.query(
            "SELECT fingerprint FROM credentials WHERE fingerprint LIKE ? ORDER BY fingerprint",
            vals![format!("{given}%")],
        )?;
        match rows.len() {
            0 => bail!("{}: no credential with fingerprint {given}", self.name),
            1 => Ok(rows[0][0].text()),
            n => bail!(
                "{}: fingerprint {given} is ambiguous ({n} credentials start with it: {}); give more digits",
                self.name,
                rows.iter().map(|r| r[0].text()).collect::<Vec<_>>().join(", ")
            ),
        }
    }

    /// Records a triage decision for credential `fingerprint` (a full one).
    pub(crate) fn triage(
        &mut self,
        fingerprint: &str,
        resolution: &str,
        comment: &str,
        who: &str,
    ) -> Result<()> {
        if !RESOLUTIONS.contains(&resolution) {
            bail!("`{resolution}` is not one of {}", RESOLUTIONS.join(", "));
        }
        self.db.tx(|db| {
            let seqno = db
                .one(
                    "SELECT MAX(seqno) FROM triage WHERE fingerprint = ?",
                    vals![fingerprint],
                )?
                .and_then(|r| r[0].opt_int())
                .unwrap_or(0)
                + 1;
            db.exec(
                "INSERT INTO triage (fingerprint, seqno, resolution, comment, who, at_time) VALUES (?, ?, ?, ?, ?, ?)",
                vals![fingerprint, seqno, resolution, comment, who, now()],
            )?;
            Ok(())
        })
    }

    /// The latest triage decision of every triaged credential.
    pub(crate) fn triage_latest(&mut self) -> Result<HashMap<String, Triage>> {
        let rows = self.db.query(
            "SELECT fingerprint, resolution, comment, who, at_time FROM triage ORDER BY fingerprint, seqno",
            &[],
        )?;
        Ok(rows
            .into_iter()
            .map(|r| {
                (
                    r[0].text(),
                    Triage {
                        resolution: r[1].text(),
                        comment: r[2].text(),
                        who: r[3].text(),
                        at: r[4].int(),
                    },
                )
            })
            .collect())
    }

    /// Every triage decision of `fingerprint`, oldest first.
    pub(crate) fn triage_history(&mut self, fingerprint: &str) -> Result<Vec<Triage>> {
        let rows = self.db.query(
            "SELECT resolution, comment, who, at_time FROM triage WHERE fingerprint = ? ORDER BY seqno",
            vals![fingerprint],
        )?;
        Ok(rows
            .into_iter()
            .map(|r| Triage {
                resolution: r[0].text(),
                comment: r[1].text(),
                who: r[2].text(),
                at: r[3].int(),
            })
            .collect())
    }
}
