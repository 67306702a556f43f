//! Compares a reference outcome with an outcome under test.
//!
//! Architecture invariant: the comparator never knows which backend produced an outcome. It sees
//! two outcomes and the transaction's fee terms, removes the one effect the design documents away
//! (fee payment, computed exactly from the reference run's gas), and lists every remaining
//! difference, field by field.

use alloy_primitives::{Address, U256};
use ovm_backend::{AccountState, Outcome, PostState, TxOutcome};
use std::fmt;

/// Who pays and who earns the transaction's fee, at what price per gas.
#[derive(Clone, Copy, Debug)]
pub struct Fees {
    pub sender: Address,
    pub coinbase: Address,
    /// Price per gas the sender pays (EIP-1559 effective gas price).
    pub effective_price: U256,
    /// Price per gas the coinbase earns (effective price minus base fee).
    pub priority_price: U256,
    /// Blob gas x blob base fee, burnt.
    pub blob_fee: U256,
}

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

/// The reference post-state as it would be without fee payment: the sender pays nothing, and the
/// coinbase earns a zero tip. The EVM touches the coinbase when it pays the tip, even a zero one, so
/// a coinbase left empty without its tip is removed (EIP-161), whether or not it existed before.
pub fn without_fees(outcome: &Outcome, fees: Option<&Fees>) -> PostState {
    let mut state = outcome.post_state.clone();
    let (Some(execution), Some(fees)) = (outcome.execution(), fees) else { return state };
    let gas = U256::from(execution.gas_used);
    if let Some(sender) = state.get_mut(&fees.sender) {
        sender.balance += gas * fees.effective_price + fees.blob_fee;
    }
    if let Some(coinbase) = state.get_mut(&fees.coinbase) {
        coinbase.balance = coinbase.balance.saturating_sub(gas * fees.priority_price);
        if coinbase.balance.is_zero() && coinbase.nonce == 0 && coinbase.code.is_empty() {
            state.remove(&fees.coinbase);
        }
    }
    state
}

/// Every difference between `reference` (fees removed, when the transaction has fee terms) and
/// `under_test`, in a stable order. A transaction without fee terms (one that cannot be encoded) paid
/// no fees natively, so its outcomes are compared as they are. Gas used is not compared: physical
/// gas is the documented difference.
pub fn compare(reference: &Outcome, under_test: &Outcome, fees: Option<&Fees>) -> Vec<Difference> {
    let mut out = Differences(Vec::new());
    match (&reference.tx, &under_test.tx) {
        (TxOutcome::Rejected { kind: a, .. }, TxOutcome::Rejected { kind: b, .. }) => {
            out.check(|| "rejection".into(), a, b, |k| k.clone())
        }
        (TxOutcome::Executed(a), TxOutcome::Executed(b)) => {
            out.check(|| "status".into(), &a.status, &b.status, |s| format!("{s:?}"));
            out.check(|| "output".into(), &a.output, &b.output, |o| o.to_string());
            out.check(|| "logs.len".into(), &a.logs.len(), &b.logs.len(), |n| n.to_string());
            for (i, (x, y)) in a.logs.iter().zip(&b.logs).enumerate() {
                out.check(|| format!("logs[{i}].address"), &x.address, &y.address, |a| a.to_string());
                out.check(|| format!("logs[{i}].topics"), x.topics(), y.topics(), |t| format!("{t:?}"));
                out.check(|| format!("logs[{i}].data"), &x.data.data, &y.data.data, |d| d.to_string());
            }
        }
        (a, b) => out.check(|| "validity".into(), &validity(a), &validity(b), |v| v.clone()),
    }
    let reference_state = without_fees(reference, fees);
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

/// The fee terms of a case's transaction (none for a transaction that cannot be encoded).
pub fn fees(setup: &ovm_fixture::Setup) -> Option<Fees> {
    let tx = setup.tx.as_ref().ok()?;
    let effective = setup.effective_gas_price()?;
    Some(Fees {
        sender: tx.caller,
        coinbase: setup.block.beneficiary,
        effective_price: U256::from(effective),
        priority_price: U256::from(effective.saturating_sub(u128::from(setup.block.basefee))),
        blob_fee: U256::from(setup.blob_gas()) * U256::from(setup.blob_gas_price()),
    })
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
    /// The reference execution read GAS or ran a frame out of gas.
    Gas,
}

impl Rule {
    pub fn name(self) -> &'static str {
        match self {
            Rule::Gas => "gas",
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

/// The verdict for `differences`, given what the reference execution did with gas.
pub fn verdict(differences: &[Difference], facts: Option<ovm_backend::GasFacts>) -> Verdict {
    if differences.is_empty() {
        return Verdict::Equal;
    }
    match facts {
        Some(facts) if facts.read_gas || facts.ran_out_of_gas => Verdict::Explained(Rule::Gas),
        _ => Verdict::Divergent,
    }
}
