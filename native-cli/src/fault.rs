//! TEST-ONLY fault injection, for the integration tests that prove a failed run leaves the
//! database exactly as it was. Compiled into debug builds only (the ones the tests run): in a
//! release build [`Faults::from_env`] reads nothing and every fault point is inert.
//!
//! `QA_LOAD_FAIL_AT` holds comma-separated points:
//! - `batch:N`: fail right after app batch N was written (inside the transaction);
//! - `stall:batch:N`: after app batch N, run `pg_sleep` until the run's timeout cancels it;
//! - `stall:stage:developers|links|screenshots|post-check|commit`: the same stall, after the
//!   stage's first batch was written (developers, links, screenshots) or on entering it
//!   (post-check, commit), so that a test can kill the connection or the process there;
//! - `stage:links`, `stage:screenshots`, `stage:post-check`, `stage:commit`: fail on entering
//!   that stage;
//! - `lose:commit:before`, `lose:commit:after`: the connection ends at the COMMIT, before or
//!   after the server ran it (the server terminates the session), as a network failure would.

use anyhow::{bail, Result};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    pub fail_after_batch: Option<usize>,
    pub stall_after_batch: Option<usize>,
    pub fail_stages: Vec<String>,
    pub stall_stages: Vec<String>,
    pub lose_commit: Option<LoseCommit>,
}

/// Where `lose:commit:*` ends the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoseCommit {
    Before,
    After,
}

pub const ENV: &str = "QA_LOAD_FAIL_AT";
#[cfg(debug_assertions)]
const STAGES: &[&str] = &["links", "screenshots", "post-check", "commit"];
#[cfg(debug_assertions)]
const STALL_STAGES: &[&str] = &["developers", "links", "screenshots", "post-check", "commit"];

impl Faults {
    /// The fault points `QA_LOAD_FAIL_AT` names (debug builds).
    #[cfg(debug_assertions)]
    pub fn from_env() -> Result<Faults> {
        match std::env::var(ENV) {
            Ok(v) if !v.trim().is_empty() => Faults::parse(&v),
            _ => Ok(Faults::default()),
        }
    }

    /// A release build reads no fault points: every one is inert.
    #[cfg(not(debug_assertions))]
    pub fn from_env() -> Result<Faults> {
        Ok(Faults::default())
    }

    #[cfg(debug_assertions)]
    pub fn parse(spec: &str) -> Result<Faults> {
        let mut f = Faults::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if let Some(n) = part.strip_prefix("stall:batch:") {
                f.stall_after_batch = Some(n.parse()?);
            } else if let Some(s) = part.strip_prefix("stall:stage:") {
                if !STALL_STAGES.contains(&s) {
                    bail!(
                        "{ENV}: unknown stall stage {s:?} (known: {})",
                        STALL_STAGES.join(", ")
                    );
                }
                f.stall_stages.push(s.to_string());
            } else if let Some(n) = part.strip_prefix("batch:") {
                f.fail_after_batch = Some(n.parse()?);
            } else if let Some(s) = part.strip_prefix("stage:") {
                if !STAGES.contains(&s) {
                    bail!("{ENV}: unknown stage {s:?} (known: {})", STAGES.join(", "));
                }
                f.fail_stages.push(s.to_string());
            } else if part == "lose:commit:before" {
                f.lose_commit = Some(LoseCommit::Before);
            } else if part == "lose:commit:after" {
                f.lose_commit = Some(LoseCommit::After);
            } else {
                bail!("{ENV}: unknown fault point {part:?}");
            }
        }
        Ok(f)
    }

    pub fn active(&self) -> bool {
        *self != Faults::default()
    }

    pub fn check_stage(&self, stage: &str) -> Result<()> {
        if self.fail_stages.iter().any(|s| s == stage) {
            bail!("injected failure at stage {stage} ({ENV}, test only)");
        }
        Ok(())
    }

    pub fn stalls_at(&self, stage: &str) -> bool {
        self.stall_stages.iter().any(|s| s == stage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fault_points() {
        let f = Faults::parse("batch:3, stall:batch:2,stage:post-check").unwrap();
        assert_eq!(f.fail_after_batch, Some(3));
        assert_eq!(f.stall_after_batch, Some(2));
        assert_eq!(f.fail_stages, vec!["post-check"]);
        assert!(f.active());
        assert!(Faults::parse("batch:x").is_err());
        assert!(Faults::parse("stage:nowhere").is_err());
        let f = Faults::parse("stall:stage:developers,stall:stage:post-check").unwrap();
        assert!(f.stalls_at("developers") && f.stalls_at("post-check") && !f.stalls_at("links"));
        assert!(Faults::parse("stall:stage:apps").is_err());
        assert!(!Faults::parse("").unwrap().active());
        assert_eq!(
            Faults::parse("lose:commit:after").unwrap().lose_commit,
            Some(LoseCommit::After)
        );
    }
}
