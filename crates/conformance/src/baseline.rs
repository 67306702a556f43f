//! The baseline of `explained` cases: a run fails when a case outside it is explained, so no case
//! drifts silently from `equal` into `explained` (`vectors/baselines/explained.txt`).

use ovm_runner::Report;
use std::{collections::BTreeSet, path::Path};

/// The case ids a run's explained cases are held to.
pub struct Baseline {
    listed: BTreeSet<String>,
}

/// What a run did against the baseline.
pub struct Drift {
    /// Explained in the run, not listed: each is a failure.
    pub newly_explained: Vec<String>,
    /// Listed, equal in the run: the list may shrink.
    pub now_equal: usize,
}

fn is_explained(verdict: Option<&str>) -> bool {
    verdict.is_some_and(|v| v.starts_with("explained"))
}

impl Baseline {
    /// Reads a baseline: one case id per line, `#` comments.
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("--baseline {}: {e}", path.display()))?;
        let listed =
            text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned).collect();
        Ok(Baseline { listed })
    }

    /// The run's explained and equal cases against the list (cases the run did not include count
    /// for nothing: a filtered or sharded run is checked on what it ran).
    pub fn check(&self, report: &Report) -> Drift {
        let mut drift = Drift { newly_explained: Vec::new(), now_equal: 0 };
        for case in &report.cases {
            match (is_explained(case.verdict.as_deref()), self.listed.contains(&case.id)) {
                (true, false) => drift.newly_explained.push(case.id.clone()),
                (false, true) if case.verdict.as_deref() == Some("equal") => drift.now_equal += 1,
                _ => {}
            }
        }
        drift
    }

    /// The run's explained cases, sorted, under a header saying what they are (`vectors` names the
    /// folder the run used).
    pub fn text_of(report: &Report, vectors: &str) -> String {
        let mut ids: Vec<&str> =
            report.cases.iter().filter(|c| is_explained(c.verdict.as_deref())).map(|c| c.id.as_str()).collect();
        ids.sort_unstable();
        let mut text = format!(
            "# The {} case(s) whose verdict is `explained` (a documented difference,\n\
             # docs/context-differences.md), over the vectors in {vectors}.\n\
             # `cargo xtask conformance --baseline FILE` fails when a case outside this list is explained;\n\
             # regenerate with `cargo xtask conformance --write-baseline FILE` (shrinking it is always welcome).\n",
            ids.len(),
        );
        for id in &ids {
            text.push_str(id);
            text.push('\n');
        }
        text
    }
}
