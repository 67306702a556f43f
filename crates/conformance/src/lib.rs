//! The conformance jobs: what the suite does with one case, whatever runs it.
//!
//! - [`native_job`]: a backend against the case's fixture (state root, logs hash, exception kind).
//! - [`differential_job`]: the reference backend against the fixture, then the backend under test
//!   against the reference, with the verdict of `docs/context-differences.md`.
//! - [`native_chain_job`], [`differential_chain_job`]: the same for a blockchain test, its blocks run
//!   on one evolving state; the backends are compared after every transaction.
//! - [`Baseline`]: the committed list of `explained` cases a run is held to.
//!
//! Architecture invariant: a job names no backend. It is given the reference and the backend under
//! test, asks them what they support (`Backend::unsupported`) and what they observed
//! (`Backend::gas_facts`, `Backend::known_limitation`), and returns a status, a verdict and a message
//! to the runner.

mod baseline;

pub use baseline::Baseline;

use ovm_backend::{check_chain, check_fixture, Backend, ChainOutcome, Outcome, TxOutcome};
use ovm_compare::{Difference, Verdict};
use ovm_fixture::{BlockchainTest, Case, Setup};
use ovm_runner::{CaseStatus, JobOutcome};
use std::time::Instant;

/// One backend against the case's fixture.
pub fn native_job(backend: &dyn Backend, case: &Case, setup: &Setup) -> JobOutcome {
    match backend.run(case, setup) {
        Ok(outcome) => judge_on_fixture(backend, case, setup, &outcome, "")
            .unwrap_or_else(|| JobOutcome::new(CaseStatus::Pass, "").with_gas(outcome.execution().map(|e| e.gas_used))),
        Err(e) => JobOutcome::new(CaseStatus::Error, format!("{} backend: {e}", backend.name())),
    }
}

/// `None` when the outcome matches the fixture; else the failure, or the counted skip where the
/// backend knows it cannot judge the case.
pub fn judge_on_fixture(
    backend: &dyn Backend,
    case: &Case,
    setup: &Setup,
    outcome: &Outcome,
    prefix: &str,
) -> Option<JobOutcome> {
    let gas = outcome.execution().map(|e| e.gas_used);
    let mismatch = check_fixture(&case.expect, outcome).err()?;
    Some(match backend.known_limitation(case, setup) {
        Some(reason) => JobOutcome::new(CaseStatus::Skipped, reason).with_gas(gas),
        None => JobOutcome::new(CaseStatus::Fail, format!("{prefix}{mismatch}")).with_gas(gas),
    })
}

/// The reference against the fixture, then (where it supports the case) the backend under test
/// against the reference, with the verdict of `docs/context-differences.md`: equal, explained(rule),
/// divergent, or error. With `all_gas_facts`, the reference's gas facts are recorded for every case,
/// not only the differing ones.
pub fn differential_job(
    reference: &dyn Backend,
    under_test: &dyn Backend,
    case: &Case,
    setup: &Setup,
    all_gas_facts: bool,
) -> JobOutcome {
    let (reference_name, under_test_name) = (reference.name(), under_test.name());
    let clock = Instant::now();
    let expected = match reference.run(case, setup) {
        Ok(outcome) => outcome,
        Err(e) => {
            return JobOutcome::new(CaseStatus::Error, format!("{reference_name} backend: {e}")).with_verdict("error")
        }
    };
    if let Some(failure) = judge_on_fixture(reference, case, setup, &expected, &format!("{reference_name}: ")) {
        return failure;
    }
    let reference_time = clock.elapsed();
    let gas = expected.execution().map(|e| e.gas_used);
    if let Some(reason) = under_test.unsupported(case, setup) {
        return JobOutcome::new(CaseStatus::Pass, format!("{reference_name} only: {reason}")).with_gas(gas);
    }
    let clock = Instant::now();
    let got = match under_test.run(case, setup) {
        Ok(outcome) => outcome,
        Err(e) => {
            let message = format!("{under_test_name} backend: {e}");
            return JobOutcome::new(CaseStatus::Error, message).with_gas(gas).with_verdict("error");
        }
    };
    let under_test_time = clock.elapsed();
    let clock = Instant::now();
    let differences = ovm_compare::compare(&expected, &got);
    let verdict = ovm_compare::verdict(&differences);
    let facts = if all_gas_facts { reference.gas_facts(case, setup) } else { None };
    let compare_time = clock.elapsed();
    let mut outcome = judged(&verdict, &differences);
    if all_gas_facts {
        // No facts: the transaction never executed (it could not be encoded).
        let facts = facts.unwrap_or_default();
        let seen = [(facts.read_gas, "read_gas"), (facts.ran_out_of_gas, "out_of_gas")];
        outcome =
            outcome.with_observed(seen.iter().filter(|(yes, _)| *yes).map(|(_, name)| name.to_string()).collect());
    }
    outcome
        .with_gas(gas)
        .with_gas_under_test(got.execution().map(|e| e.gas_used), got.execution().and_then(|e| e.physical_gas))
        .with_verdict(verdict.to_string())
        .with_diff(differences.iter().map(|d| d.to_string()))
        .with_timing(reference_name, reference_time)
        .with_timing(under_test_name, under_test_time)
        .with_timing("compare", compare_time)
}

/// A compared case's status (divergent fails) and message (its first difference and how many more).
fn judged(verdict: &Verdict, differences: &[impl std::fmt::Display]) -> JobOutcome {
    let status = if *verdict == Verdict::Divergent { CaseStatus::Fail } else { CaseStatus::Pass };
    let message = match differences.split_first() {
        None => String::new(),
        Some((first, rest)) => format!("{first} (+{} more)", rest.len()),
    };
    JobOutcome::new(status, message)
}

/// One backend against a blockchain test's fixture: every block's state root, gas used, blob gas
/// used and logs bloom, then the final post-state.
pub fn native_chain_job(backend: &dyn Backend, test: &BlockchainTest) -> JobOutcome {
    if let Some(reason) = backend.blocks_unsupported(test) {
        return JobOutcome::new(CaseStatus::Skipped, reason);
    }
    match backend.run_blocks(test) {
        Ok(outcome) => judge_chain_on_fixture(backend, test, &outcome, "")
            .unwrap_or_else(|| JobOutcome::new(CaseStatus::Pass, "").with_gas(Some(chain_gas(&outcome)))),
        Err(e) => JobOutcome::new(CaseStatus::Error, format!("{} backend: {e}", backend.name())),
    }
}

/// `None` when the chain outcome matches the fixture; else the failure, or the counted skip where
/// the backend knows it cannot judge the test.
fn judge_chain_on_fixture(
    backend: &dyn Backend,
    test: &BlockchainTest,
    outcome: &ChainOutcome,
    prefix: &str,
) -> Option<JobOutcome> {
    let gas = Some(chain_gas(outcome));
    let mismatch = check_chain(test, outcome).err()?;
    Some(match backend.blocks_limitation(test) {
        Some(reason) => JobOutcome::new(CaseStatus::Skipped, reason).with_gas(gas),
        None => JobOutcome::new(CaseStatus::Fail, format!("{prefix}{mismatch}")).with_gas(gas),
    })
}

/// The gas all executed transactions of a chain used.
fn chain_gas(outcome: &ChainOutcome) -> u64 {
    outcome.blocks.iter().map(|b| b.gas_used).sum()
}

/// The physical gas of a chain's transactions, where the backend reports it.
fn chain_physical_gas(outcome: &ChainOutcome) -> Option<u64> {
    let executions = outcome.blocks.iter().flat_map(|b| &b.txs).filter_map(|tx| match tx {
        TxOutcome::Executed(execution) => Some(execution.physical_gas),
        TxOutcome::Rejected { .. } => None,
    });
    executions.sum()
}

/// The reference against a blockchain test's fixture, then the backend under test against the
/// reference after every transaction (outcome and whole state) and at every block's end
/// (withdrawals credited), with the state tests' comparator and verdict rules. The test's verdict
/// is its worst transaction's; each difference names its block and transaction.
pub fn differential_chain_job(reference: &dyn Backend, under_test: &dyn Backend, test: &BlockchainTest) -> JobOutcome {
    let (reference_name, under_test_name) = (reference.name(), under_test.name());
    if let Some(reason) = reference.blocks_unsupported(test) {
        return JobOutcome::new(CaseStatus::Skipped, reason);
    }
    let clock = Instant::now();
    let expected = match reference.run_blocks(test) {
        Ok(outcome) => outcome,
        Err(e) => {
            return JobOutcome::new(CaseStatus::Error, format!("{reference_name} backend: {e}")).with_verdict("error")
        }
    };
    if let Some(failure) = judge_chain_on_fixture(reference, test, &expected, &format!("{reference_name}: ")) {
        return failure;
    }
    let reference_time = clock.elapsed();
    let gas = Some(chain_gas(&expected));
    if let Some(reason) = under_test.blocks_unsupported(test) {
        return JobOutcome::new(CaseStatus::Pass, format!("{reference_name} only: {reason}")).with_gas(gas);
    }
    let clock = Instant::now();
    let got = match under_test.run_blocks(test) {
        Ok(outcome) => outcome,
        Err(e) => {
            let message = format!("{under_test_name} backend: {e}");
            return JobOutcome::new(CaseStatus::Error, message).with_gas(gas).with_verdict("error");
        }
    };
    let under_test_time = clock.elapsed();
    let clock = Instant::now();
    let (verdict, differences) = compare_chains(&expected, &got);
    let compare_time = clock.elapsed();
    judged(&verdict, &differences)
        .with_gas(gas)
        .with_gas_under_test(Some(chain_gas(&got)), chain_physical_gas(&got))
        .with_verdict(verdict.to_string())
        .with_diff(differences)
        .with_timing(reference_name, reference_time)
        .with_timing(under_test_name, under_test_time)
        .with_timing("compare", compare_time)
}

/// Two runs of one blockchain test, compared transaction by transaction: the verdict (the worst of
/// the transactions' and the blocks' ends') and every difference, each prefixed with where it is.
pub fn compare_chains(reference: &ChainOutcome, under_test: &ChainOutcome) -> (Verdict, Vec<String>) {
    let mut verdict = Verdict::Equal;
    let mut lines = Vec::new();
    let mut judge = |place: String, differences: Vec<Difference>| {
        let found = ovm_compare::verdict(&differences);
        if rank(&found) > rank(&verdict) {
            verdict = found;
        }
        lines.extend(differences.iter().map(|d| format!("{place}: {d}")));
    };
    let state_only = |post_state: &ovm_backend::PostState| Outcome {
        tx: TxOutcome::Rejected { kind: String::new(), detail: String::new() },
        post_state: post_state.clone(),
    };
    judge("genesis".into(), ovm_compare::compare(&state_only(&reference.genesis), &state_only(&under_test.genesis)));
    if reference.blocks.len() != under_test.blocks.len() {
        let d = Difference {
            field: "blocks".into(),
            reference: reference.blocks.len().to_string(),
            under_test: under_test.blocks.len().to_string(),
        };
        judge("chain".into(), vec![d]);
    }
    for (i, (a, b)) in reference.blocks.iter().zip(&under_test.blocks).enumerate() {
        let txs = a.txs.iter().zip(&a.tx_states).zip(b.txs.iter().zip(&b.tx_states));
        for (j, ((tx_a, state_a), (tx_b, state_b))) in txs.enumerate() {
            let outcome =
                |tx: &TxOutcome, state: &ovm_backend::PostState| Outcome { tx: tx.clone(), post_state: state.clone() };
            judge(
                format!("block {i}, transaction {j}"),
                ovm_compare::compare(&outcome(tx_a, state_a), &outcome(tx_b, state_b)),
            );
        }
        if a.txs.len() != b.txs.len() {
            let d = Difference {
                field: "transactions".into(),
                reference: a.txs.len().to_string(),
                under_test: b.txs.len().to_string(),
            };
            judge(format!("block {i}"), vec![d]);
        }
        judge(format!("block {i}, end"), ovm_compare::compare(&state_only(&a.post_state), &state_only(&b.post_state)));
    }
    (verdict, lines)
}

fn rank(verdict: &Verdict) -> u8 {
    match verdict {
        Verdict::Equal => 0,
        Verdict::Explained(_) => 1,
        Verdict::Divergent => 2,
    }
}
