//! The seam between the runner and a system under test.
//!
//! A [`Backend`] runs one case and returns an [`Outcome`] (or a blockchain test's blocks, a
//! [`ChainOutcome`]): the structured result of the transaction
//! and the complete post-state. [`check_fixture`] judges an outcome against the fixture's own
//! expectations (state root, logs hash, exception), whichever backend produced it.
//!
//! Architecture invariant: nothing here knows about revm or about any particular backend. An
//! outcome is plain data; two outcomes from different backends are directly comparable.

mod chain;
mod check;
mod expectation;
mod outcome;
mod trace;

pub use chain::{block_rejection, check_chain, BlockOutcome, ChainMismatch, ChainOutcome};
pub use check::{check_fixture, logs_hash, state_root, Mismatch};
pub use expectation::check_expectation;
pub use outcome::{AccountState, Execution, Outcome, PostState, Status, TxOutcome};
pub use trace::eip3155_summary;

use ovm_fixture::{BlockchainTest, Case, Setup};
use std::fmt;

/// A system that can execute state-test cases.
///
/// Implementations must be deterministic (same case, same outcome) and must not panic on any input
/// they can reasonably be given; the runner still catches panics and reports them as case errors.
pub trait Backend: Sync {
    /// Short, stable name used in reports and results (`native`, `ovm`, ...).
    fn name(&self) -> &'static str;

    /// Runs `case`, whose environment is `setup`.
    fn run(&self, case: &Case, setup: &Setup) -> Result<Outcome, BackendError>;

    /// Runs the blocks of a blockchain test on one evolving state: per block its environment, its
    /// system duties (EIP-4788's beacon-roots call at the start, EIP-4895's withdrawals at the end)
    /// and its transactions, each on the state the previous one left.
    fn run_blocks(&self, test: &BlockchainTest) -> Result<ChainOutcome, BackendError>;

    /// [`Backend::unsupported`] for a blockchain test.
    fn blocks_unsupported(&self, test: &BlockchainTest) -> Option<String> {
        let _ = test;
        None
    }

    /// [`Backend::known_limitation`] for a blockchain test.
    fn blocks_limitation(&self, test: &BlockchainTest) -> Option<String> {
        let _ = test;
        None
    }

    /// Asked only when an outcome disagrees with its fixture: if the case needs behaviour this
    /// backend is known not to have, the reason, which turns the failure into a counted skip.
    /// The answer must come from the case's content and execution, never from its name or path.
    fn known_limitation(&self, case: &Case, setup: &Setup) -> Option<String> {
        let _ = (case, setup);
        None
    }

    /// Why this backend does not run `case` at all (a fork it does not implement, say), or `None`
    /// when it does. A differential job then judges the case by the reference alone.
    fn unsupported(&self, case: &Case, setup: &Setup) -> Option<String> {
        let _ = (case, setup);
        None
    }

    /// For a backend that serves as the reference: what its execution of the case did that the
    /// documented differences are recognized by (`docs/context-differences.md`). Asked only when
    /// two outcomes differ; `None` when this backend cannot observe it.
    fn gas_facts(&self, case: &Case, setup: &Setup) -> Option<GasFacts> {
        let _ = (case, setup);
        None
    }
}

/// What a reference execution did with gas.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GasFacts {
    /// Some frame executed the GAS opcode.
    pub read_gas: bool,
    /// Some frame (the top one included) ended with an out-of-gas halt of any kind.
    pub ran_out_of_gas: bool,
}

/// A backend could not produce an outcome at all (a harness or implementation fault, never a
/// property of the transaction: invalid transactions are outcomes too).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendError(pub String);

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BackendError {}
