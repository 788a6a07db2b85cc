//! Sharding: `--shard I/N` keeps the repositories whose group falls in shard I of N (0-based), by a
//! stable hash of the group key; `--shard auto` takes I from `JOB_COMPLETION_INDEX` (a Kubernetes
//! Indexed Job) and N from `--shards` or `NHISCAN_SHARDS`. The group of a local repository is the
//! root commit of its default branch, so forks of one project land on one shard and a blob they
//! share is scanned once there; a URL not yet cloned has no root commit to read, so its group is
//! its normalized URL, unless a plan (`--plan-only`, then `--plan FILE`) pinned it after cloning.

use anyhow::{bail, Context as _, Result};
use sha2::{Digest, Sha256};

/// This process's shard of a sharded run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shard {
    /// 0-based index.
    pub index: u32,
    /// How many shards the run has.
    pub count: u32,
}

impl Shard {
    /// Parses `--shard I/N` or `auto` (`shards`: `--shards`, else `NHISCAN_SHARDS`; `index_env`:
    /// `JOB_COMPLETION_INDEX`).
    pub(crate) fn parse(
        spec: &str,
        shards: Option<u32>,
        index_env: Option<String>,
        count_env: Option<String>,
    ) -> Result<Shard> {
        let spec = spec.trim();
        let (index, count) = if spec == "auto" {
            let index = index_env.context(
                "--shard auto: JOB_COMPLETION_INDEX is not set (it is set in the pods of a Kubernetes Indexed Job); give --shard I/N instead",
            )?;
            let index: u32 = index.trim().parse().with_context(|| {
                format!(
                    "--shard auto: JOB_COMPLETION_INDEX `{index}` is not a shard index (0, 1, ...)"
                )
            })?;
            let count = match (shards, count_env) {
                (Some(n), _) => n,
                (None, Some(n)) => n.trim().parse().with_context(|| {
                    format!("--shard auto: NHISCAN_SHARDS `{n}` is not a shard count (1, 2, ...)")
                })?,
                (None, None) => bail!(
                    "--shard auto: the shard count is unknown: give --shards N or set NHISCAN_SHARDS (the Job's completions)"
                ),
            };
            (index, count)
        } else {
            let (i, n) = spec.split_once('/').with_context(|| {
                format!(
                    "--shard `{spec}`: expected I/N (e.g. 0/4: the first of four shards) or `auto`"
                )
            })?;
            let i: u32 = i.trim().parse().with_context(|| {
                format!("--shard `{spec}`: `{i}` is not a shard index (0, 1, ...)")
            })?;
            let n: u32 = n.trim().parse().with_context(|| {
                format!("--shard `{spec}`: `{n}` is not a shard count (1, 2, ...)")
            })?;
            if shards.is_some_and(|s| s != n) {
                bail!(
                    "--shard `{spec}` says {n} shards but --shards says {}",
                    shards.unwrap_or(0)
                );
            }
            (i, n)
        };
        if count == 0 {
            bail!("--shard: the shard count must be at least 1");
        }
        if index >= count {
            bail!(
                "--shard: index {index} is not below the shard count {count} (shards are numbered 0 to {})",
                count - 1
            );
        }
        Ok(Shard { index, count })
    }

    /// True when `group` belongs to this shard.
    pub(crate) fn keeps(&self, group: &str) -> bool {
        of(group, self.count) == self.index
    }
}

/// The shard (of `count`) a group key falls in: the first 8 bytes of its SHA-256, modulo `count`.
/// The same on every machine and every version that keeps this function.
pub(crate) fn of(group: &str, count: u32) -> u32 {
    let h = Sha256::digest(group.as_bytes());
    let n = u64::from_be_bytes(h[..8].try_into().expect("8 bytes"));
    (n % u64::from(count.max(1))) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(spec: &str) -> Result<Shard> {
        Shard::parse(spec, None, None, None)
    }

    #[test]
    fn specs() {
        assert_eq!(parse("1/4").unwrap(), Shard { index: 1, count: 4 });
        assert_eq!(parse(" 0 / 1 ").unwrap(), Shard { index: 0, count: 1 });
        for (bad, says) in [
            ("4/4", "not below the shard count 4"),
            ("0/0", "at least 1"),
            ("x/4", "`x` is not a shard index"),
            ("1/y", "`y` is not a shard count"),
            ("3", "expected I/N"),
            ("-1/4", "not a shard index"),
            ("auto", "JOB_COMPLETION_INDEX is not set"),
        ] {
            let e = format!("{:#}", parse(bad).unwrap_err());
            assert!(e.contains(says), "{bad}: {e}");
        }
        let auto = Shard::parse("auto", None, Some("2".into()), Some("3".into())).unwrap();
        assert_eq!(auto, Shard { index: 2, count: 3 });
        let flag = Shard::parse("auto", Some(5), Some("4".into()), Some("3".into())).unwrap();
        assert_eq!(flag, Shard { index: 4, count: 5 });
        let e = Shard::parse("auto", None, Some("0".into()), None).unwrap_err();
        assert!(format!("{e:#}").contains("NHISCAN_SHARDS"));
        let e = Shard::parse("auto", None, Some("3".into()), Some("3".into())).unwrap_err();
        assert!(format!("{e:#}").contains("index 3 is not below"));
        assert!(Shard::parse("1/4", Some(3), None, None).is_err());
    }

    #[test]
    fn assignment_is_stable_and_covers_every_shard() {
        // Fixed values: a change here moves repositories between shards of a running deployment.
        assert_eq!(of("a", 4), of("a", 4));
        let mut seen = [0u32; 4];
        for i in 0..400 {
            let s = of(&format!("repo-{i}"), 4);
            seen[s as usize] += 1;
            let kept: Vec<u32> = (0..4)
                .filter(|&j| Shard { index: j, count: 4 }.keeps(&format!("repo-{i}")))
                .collect();
            assert_eq!(kept, vec![s]);
        }
        assert!(seen.iter().all(|&n| n > 50), "{seen:?}");
        assert_eq!(of("anything", 1), 0);
    }
}
