//! The conformance jobs: what the suite does with one case, whatever runs it.
//!
//! - [`native_job`]: a backend against the case's fixture (state root, logs hash, exception kind).
//! - [`differential_job`]: the reference backend against the fixture, then the backend under test
//!   against the reference, with the verdict of `docs/context-differences.md`.
//! - [`Baseline`]: the committed list of `explained` cases a run is held to.
//!
//! Architecture invariant: a job names no backend. It is given the reference and the backend under
//! test, asks them what they support (`Backend::unsupported`) and what they observed
//! (`Backend::gas_facts`, `Backend::known_limitation`), and returns a status, a verdict and a message
//! to the runner.

mod baseline;

pub use baseline::Baseline;

use ovm_backend::{check_fixture, Backend, Outcome};
use ovm_compare::Verdict;
use ovm_fixture::{Case, Setup};
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
    let status = if verdict == Verdict::Divergent { CaseStatus::Fail } else { CaseStatus::Pass };
    let message = match differences.split_first() {
        None => String::new(),
        Some((first, rest)) => format!("{first} (+{} more)", rest.len()),
    };
    let mut outcome = JobOutcome::new(status, message);
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
