//! What both backends' EIP-3155 traces share: the summary line a trace ends with.

use crate::{state_root, Outcome};

/// The EIP-3155 summary of an executed transaction: `stateRoot` (of the post-state, as the fork's
/// trie holds it), `output`, `gasUsed` (after refunds), `pass` and `fork`. No `time`, so that the
/// same case always gives the same trace. `None` for a rejected transaction, which has no trace.
pub fn eip3155_summary(outcome: &Outcome, fork: &str) -> Option<serde_json::Value> {
    let execution = outcome.execution()?;
    Some(serde_json::json!({
        "stateRoot": state_root(&outcome.post_state),
        "output": execution.output,
        "gasUsed": format!("{:#x}", execution.gas_used),
        "pass": execution.status.is_success(),
        "fork": fork,
    }))
}
