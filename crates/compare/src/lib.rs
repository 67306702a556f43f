//! Compares a reference outcome with an outcome under test.
//!
//! Architecture invariant: the comparator never knows which backend produced an outcome. It sees
//! two outcomes and lists every difference, field by field: status, output, logs, gas used, and
//! every account of both post-states (fees included: the ExecutionManager charges them as the EVM
//! does).

use ovm_backend::{AccountState, Outcome, TxOutcome};
use std::fmt;

/// One field that differs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// What differs: `status`, `output`, `logs[2].data`, `account 0x…: balance`, `account 0x…: storage[0x…]`, …
    pub field: String,
    pub reference: String,
    pub under_test: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} vs {}", self.field, self.reference, self.under_test)
    }
}

/// Every difference between `reference` and `under_test`, in a stable order.
pub fn compare(reference: &Outcome, under_test: &Outcome) -> Vec<Difference> {
    let mut out = Differences(Vec::new());
    match (&reference.tx, &under_test.tx) {
        (TxOutcome::Rejected { kind: a, .. }, TxOutcome::Rejected { kind: b, .. }) => {
            out.check(|| "rejection".into(), a, b, |k| k.clone())
        }
        (TxOutcome::Executed(a), TxOutcome::Executed(b)) => {
            out.check(|| "status".into(), &a.status, &b.status, |s| format!("{s:?}"));
            out.check(|| "output".into(), &a.output, &b.output, |o| o.to_string());
            out.check(|| "gas_used".into(), &a.gas_used, &b.gas_used, |g| g.to_string());
            out.check(|| "logs.len".into(), &a.logs.len(), &b.logs.len(), |n| n.to_string());
            for (i, (x, y)) in a.logs.iter().zip(&b.logs).enumerate() {
                out.check(|| format!("logs[{i}].address"), &x.address, &y.address, |a| a.to_string());
                out.check(|| format!("logs[{i}].topics"), x.topics(), y.topics(), |t| format!("{t:?}"));
                out.check(|| format!("logs[{i}].data"), &x.data.data, &y.data.data, |d| d.to_string());
            }
        }
        (a, b) => out.check(|| "validity".into(), &validity(a), &validity(b), |v| v.clone()),
    }
    let reference_state = &reference.post_state;
    let empty = AccountState::default();
    let addresses: std::collections::BTreeSet<_> =
        reference_state.keys().chain(under_test.post_state.keys()).copied().collect();
    for address in addresses {
        let (a, b) = (reference_state.get(&address), under_test.post_state.get(&address));
        let field = |name: &str| format!("account {address}: {name}");
        out.check(|| field("exists"), &a.is_some(), &b.is_some(), |e| e.to_string());
        let (a, b) = (a.unwrap_or(&empty), b.unwrap_or(&empty));
        out.check(|| field("balance"), &a.balance, &b.balance, |v| v.to_string());
        out.check(|| field("nonce"), &a.nonce, &b.nonce, |n| n.to_string());
        out.check(|| field("code"), &a.code, &b.code, |c| c.to_string());
        if a.storage == b.storage {
            continue;
        }
        let keys: std::collections::BTreeSet<_> = a.storage.keys().chain(b.storage.keys()).copied().collect();
        for key in keys {
            let value = |s: &AccountState| s.storage.get(&key).copied().unwrap_or_default();
            out.check(|| field(&format!("storage[{key:#x}]")), &value(a), &value(b), |v| format!("{v:#x}"));
        }
    }
    out.0
}

/// Differences found so far; values are rendered only where they differ.
struct Differences(Vec<Difference>);

impl Differences {
    fn check<T: PartialEq + ?Sized>(
        &mut self,
        field: impl FnOnce() -> String,
        reference: &T,
        under_test: &T,
        show: impl Fn(&T) -> String,
    ) {
        if reference != under_test {
            self.0.push(Difference { field: field(), reference: show(reference), under_test: show(under_test) });
        }
    }
}

fn validity(tx: &TxOutcome) -> String {
    match tx {
        TxOutcome::Rejected { kind, .. } => format!("rejected ({kind})"),
        TxOutcome::Executed(_) => "executed".into(),
    }
}

/// What the comparison of two outcomes says about a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Equal,
    /// They differ, and the reference execution exercised this documented difference.
    Explained(Rule),
    /// They differ, and no documented difference explains it: a bug.
    Divergent,
}

/// A documented difference (`docs/context-differences.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// The reference's top frame ran out of gas in a block where the OVM's block-entry stack check
    /// halted first: the status is the only difference.
    HaltOrder,
}

impl Rule {
    pub const ALL: [Rule; 1] = [Rule::HaltOrder];

    pub fn name(self) -> &'static str {
        match self {
            Rule::HaltOrder => "halt-order",
        }
    }

    /// The rule named `name` (as in a verdict `explained(name)`).
    pub fn from_name(name: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.name() == name)
    }

    /// What the rule accepts, in one sentence, and where it is documented.
    pub fn summary(self) -> &'static str {
        match self {
            Rule::HaltOrder => {
                "The transaction's status is the only difference: out of gas natively, a stack underflow or \
                 overflow through the OVM, whose guard checks a block's stack bounds at its entry, before the \
                 static gas of the block's instructions is spent (docs/context-differences.md, 1. Halt order)."
            }
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Equal => f.write_str("equal"),
            Verdict::Explained(rule) => write!(f, "explained({})", rule.name()),
            Verdict::Divergent => f.write_str("divergent"),
        }
    }
}

/// The verdict for `differences`: equal, explained by a documented rule, or divergent.
pub fn verdict(differences: &[Difference]) -> Verdict {
    match differences {
        [] => Verdict::Equal,
        [only] if halt_order(only) => Verdict::Explained(Rule::HaltOrder),
        _ => Verdict::Divergent,
    }
}

/// The top frame's status: out of gas natively, a stack check's halt under test.
fn halt_order(difference: &Difference) -> bool {
    difference.field == "status"
        && difference.reference == r#"Halt("OutOfGas")"#
        && [r#"Halt("StackUnderflow")"#, r#"Halt("StackOverflow")"#].contains(&difference.under_test.as_str())
}
