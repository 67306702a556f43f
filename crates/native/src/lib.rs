//! The native backend: a state-test case executed on revm, exactly as a mainnet client would.
//!
//! This is the oracle of every verdict the suite gives, so it adds nothing of its own: the pre-state
//! goes into revm's `State` cache, the transaction is executed and committed, and the post-state is
//! read back from that cache, which already applies the fork's rules for touched-empty (EIP-161)
//! and self-destructed accounts.
//!
//! Architecture invariant: the native backend is plain revm; it never special-cases a test.
//!
//! Blockchain tests (blocks of transactions on one evolving state) run through [`blocks`].

pub mod blocks;

use ovm_backend::{
    eip3155_summary, AccountState, Backend, BackendError, ChainOutcome, Execution, GasFacts, Outcome, PostState,
    Status, TxOutcome,
};
use ovm_fixture::{BlockchainTest, Case, Setup};
use revm::{
    context::result::{EVMError, ExecutionResult, HaltReason, InvalidTransaction, Output, SuccessReason},
    context_interface::result::InvalidHeader,
    database::{bal::EvmDatabaseError, CacheState, EmptyDB, State},
    inspector::inspectors::TracerEip3155,
    interpreter::{
        interpreter::EthInterpreter, interpreter_types::Jumps, CallInputs, CallOutcome, CreateInputs, CreateOutcome,
        InstructionResult, Interpreter, SuccessOrHalt,
    },
    primitives::Address,
    Context, ExecuteCommitEvm, InspectCommitEvm, InspectEvm, Inspector, MainBuilder, MainContext,
};
use std::{cell::RefCell, convert::Infallible, io::Write, rc::Rc};

/// revm's mainnet context for a case's environment (fork, block, transaction) over `state`.
macro_rules! case_context {
    ($setup:expr, $tx:expr, $state:expr) => {
        Context::mainnet().with_block(&$setup.block).with_tx($tx).with_cfg($setup.cfg.clone()).with_db($state)
    };
}

/// A fresh copy of the case's pre-state for one execution.
fn fresh_state(case: &Case) -> State<revm::database::EmptyDB> {
    State::builder().with_cached_prestate(case.unit.pre_state().clone()).build()
}

/// Runs cases on revm (mainnet configuration, the fixture's fork).
#[derive(Clone, Copy, Debug, Default)]
pub struct NativeBackend;

impl Backend for NativeBackend {
    fn name(&self) -> &'static str {
        "native"
    }

    fn run(&self, case: &Case, setup: &Setup) -> Result<Outcome, BackendError> {
        let pre = case.unit.pre_state();
        let tx = match &setup.tx {
            Ok(tx) => tx,
            Err(rejected) => {
                let tx = TxOutcome::Rejected { kind: rejected.kind.to_owned(), detail: rejected.detail.clone() };
                return Ok(Outcome { tx, post_state: post_state(pre) });
            }
        };

        let mut state = fresh_state(case);
        let mut evm = case_context!(setup, tx, &mut state).build_mainnet();
        let result = evm.transact_commit(tx);
        drop(evm);
        Ok(Outcome { tx: tx_outcome(result)?, post_state: post_state(&state.cache) })
    }

    fn run_blocks(&self, test: &BlockchainTest) -> Result<ChainOutcome, BackendError> {
        self.run_blocks_plain(test)
    }

    fn blocks_unsupported(&self, test: &BlockchainTest) -> Option<String> {
        self.invalid_blocks(test)
    }

    fn blocks_limitation(&self, test: &BlockchainTest) -> Option<String> {
        self.eip7610_in_blocks(test)
    }

    fn gas_facts(&self, case: &Case, setup: &Setup) -> Option<GasFacts> {
        let tx = setup.tx.as_ref().ok()?;
        let mut state = fresh_state(case);
        let mut evm = case_context!(setup, tx, &mut state).build_mainnet_with_inspector(GasWatch::default());
        let _ = evm.inspect_tx(tx);
        Some(evm.inspector.0)
    }

    /// revm 43.0.3 does not implement EIP-7610: a CREATE whose target has storage but no code and
    /// nonce 0 must fail as a collision, and revm deploys there instead. Such accounts cannot arise
    /// on mainnet today, but state tests build them; for those cases revm is no oracle.
    fn known_limitation(&self, case: &Case, setup: &Setup) -> Option<String> {
        let pre = &case.unit.test.pre;
        let storage_only = |a: &Address| {
            pre.get(a)
                .is_some_and(|acc| acc.nonce == 0 && acc.code.is_empty() && acc.storage.values().any(|v| !v.is_zero()))
        };
        if !pre.keys().any(storage_only) {
            return None;
        }
        let tx = setup.tx.as_ref().ok()?;
        let mut state = fresh_state(case);
        let mut evm = case_context!(setup, tx, &mut state).build_mainnet_with_inspector(CreateTargets::default());
        let _ = evm.inspect_tx(tx);
        // The reason is the same sentence for every such case, so that the summary counts them together.
        evm.inspector.0.iter().any(storage_only).then(|| {
            "revm 43.0.3 does not implement EIP-7610 (a CREATE targets an account with storage but no code and nonce 0)"
                .to_owned()
        })
    }
}

/// revm's context for a native run: what an inspector of [`NativeBackend::run_inspected`] sees.
pub type NativeContext<'a> =
    Context<&'a revm::context::BlockEnv, &'a revm::context::TxEnv, revm::context::CfgEnv, &'a mut State<EmptyDB>>;

impl NativeBackend {
    /// Runs a case under a revm inspector, and gives the inspector back.
    pub fn run_inspected<I>(&self, case: &Case, setup: &Setup, inspector: I) -> Result<(Outcome, I), BackendError>
    where
        I: for<'a> Inspector<NativeContext<'a>>,
    {
        let Ok(tx) = &setup.tx else { return self.run(case, setup).map(|outcome| (outcome, inspector)) };
        let mut state = fresh_state(case);
        let mut evm = case_context!(setup, tx, &mut state).build_mainnet_with_inspector(inspector);
        let result = evm.inspect_tx_commit(tx);
        let inspector = evm.inspector;
        let outcome = Outcome { tx: tx_outcome(result)?, post_state: post_state(&state.cache) };
        Ok((outcome, inspector))
    }

    /// Runs a case writing its EIP-3155 trace (JSON lines: revm's steps, then the summary with the
    /// post-state's root) to `out`, and gives `out` back (revm's tracer wants to own its writer). A
    /// rejected transaction writes nothing.
    pub fn run_traced<W: Write + 'static>(
        &self,
        case: &Case,
        setup: &Setup,
        out: W,
    ) -> Result<(Outcome, W), BackendError> {
        let out = SharedOut(Rc::new(RefCell::new(out)));
        let tracer = TracerEip3155::new(Box::new(out.clone())).without_summary();
        let (outcome, tracer) = self.run_inspected(case, setup, tracer)?;
        drop(tracer);
        let Ok(out) = Rc::try_unwrap(out.0) else { unreachable!("the tracer, holding the other writer, is dropped") };
        let mut out = out.into_inner();
        if let Some(summary) = eip3155_summary(&outcome, &case.fork) {
            writeln!(out, "{summary}")
                .and_then(|()| out.flush())
                .map_err(|e| BackendError(format!("cannot write the trace: {e}")))?;
        }
        Ok((outcome, out))
    }
}

/// One writer shared by revm's tracer, which wants to own it, and the summary written after it.
struct SharedOut<W>(Rc<RefCell<W>>);

impl<W> Clone for SharedOut<W> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<W: Write> Write for SharedOut<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.borrow_mut().flush()
    }
}

/// A transaction's outcome from revm's result: executed, or rejected by validation.
pub(crate) fn tx_outcome(
    result: Result<ExecutionResult<HaltReason>, EVMError<EvmDatabaseError<Infallible>>>,
) -> Result<TxOutcome, BackendError> {
    match result {
        Ok(result) => Ok(TxOutcome::Executed(execution(result))),
        Err(EVMError::Transaction(invalid)) => {
            Ok(TxOutcome::Rejected { kind: exception_name(&invalid).to_owned(), detail: invalid.to_string() })
        }
        Err(EVMError::Header(InvalidHeader::ExcessBlobGasNotSet | InvalidHeader::PrevrandaoNotSet)) => {
            Err(BackendError("the fixture's env lacks a field the fork requires".into()))
        }
        Err(other) => Err(BackendError(format!("revm failed: {other}"))),
    }
}

/// Watches a native execution for what the gas rule of `docs/context-differences.md` needs.
#[derive(Default)]
struct GasWatch(GasFacts);

impl GasWatch {
    fn frame_ended(&mut self, result: InstructionResult) {
        if matches!(SuccessOrHalt::<HaltReason>::from(result), SuccessOrHalt::Halt(HaltReason::OutOfGas(_))) {
            self.0.ran_out_of_gas = true;
        }
    }
}

impl<CTX> Inspector<CTX> for GasWatch {
    fn step(&mut self, interp: &mut Interpreter<EthInterpreter>, _: &mut CTX) {
        if interp.bytecode.opcode() == 0x5a {
            self.0.read_gas = true;
        }
    }

    fn call_end(&mut self, _: &mut CTX, _: &CallInputs, outcome: &mut CallOutcome) {
        self.frame_ended(outcome.result.result);
    }

    fn create_end(&mut self, _: &mut CTX, _: &CreateInputs, outcome: &mut CreateOutcome) {
        self.frame_ended(outcome.result.result);
    }
}

/// Records the address of every CREATE/CREATE2 (and create transaction) attempted.
#[derive(Default)]
struct CreateTargets(Vec<Address>);

impl<CTX> Inspector<CTX> for CreateTargets {
    fn create_end(&mut self, _: &mut CTX, _: &CreateInputs, outcome: &mut CreateOutcome) {
        self.0.extend(outcome.address);
    }
}

fn execution(result: ExecutionResult<HaltReason>) -> Execution {
    let gas_used = result.tx_gas_used();
    match result {
        ExecutionResult::Success { reason, logs, output, .. } => {
            let status = match reason {
                SuccessReason::Stop => Status::Stop,
                SuccessReason::Return => Status::Return,
                SuccessReason::SelfDestruct => Status::SelfDestruct,
            };
            let output = match output {
                Output::Call(bytes) | Output::Create(bytes, _) => bytes,
            };
            Execution { status, output, gas_used, logs, physical_gas: None }
        }
        ExecutionResult::Revert { logs, output, .. } => {
            Execution { status: Status::Revert, output, gas_used, logs, physical_gas: None }
        }
        ExecutionResult::Halt { reason, logs, .. } => Execution {
            status: Status::Halt(halt_name(&reason)),
            output: Default::default(),
            gas_used,
            logs,
            physical_gas: None,
        },
    }
}

/// A stable name for an exceptional halt: all out-of-gas kinds are one kind to a program.
pub fn halt_name(reason: &HaltReason) -> String {
    match reason {
        HaltReason::OutOfGas(_) => "OutOfGas".to_owned(),
        // The context is revm's diagnostic text, not a different halt.
        HaltReason::PrecompileErrorWithContext(_) => "PrecompileError".to_owned(),
        other => format!("{other:?}"),
    }
}

/// Reads the post-state out of revm's cache (accounts that exist, with their code and non-zero slots).
pub(crate) fn post_state(cache: &CacheState) -> PostState {
    cache
        .trie_account()
        .into_iter()
        .map(|(address, account)| {
            let info = &account.info;
            let code = match &info.code {
                Some(code) => code.original_bytes(),
                None => cache.contracts.get(&info.code_hash).map(|c| c.original_bytes()).unwrap_or_default(),
            };
            let storage = account.storage.iter().filter(|(_, v)| !v.is_zero()).map(|(k, v)| (*k, *v)).collect();
            (address, AccountState { balance: info.balance, nonce: info.nonce, code, storage })
        })
        .collect()
}

/// The EEST (`execution-spec-tests`) name of a transaction rejection, as fixtures spell it in
/// `expectException`.
pub fn exception_name(invalid: &InvalidTransaction) -> &'static str {
    use InvalidTransaction as I;
    match invalid {
        I::PriorityFeeGreaterThanMaxFee => "TransactionException.PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS",
        I::GasPriceLessThanBasefee => "TransactionException.INSUFFICIENT_MAX_FEE_PER_GAS",
        I::CallerGasLimitMoreThanBlock => "TransactionException.GAS_ALLOWANCE_EXCEEDED",
        I::CallGasCostMoreThanGasLimit { .. } | I::GasFloorMoreThanGasLimit { .. } => {
            "TransactionException.INTRINSIC_GAS_TOO_LOW"
        }
        I::RejectCallerWithCode => "TransactionException.SENDER_NOT_EOA",
        I::LackOfFundForMaxFee { .. } => "TransactionException.INSUFFICIENT_ACCOUNT_FUNDS",
        I::OverflowPaymentInTransaction => "TransactionException.GASLIMIT_PRICE_PRODUCT_OVERFLOW",
        I::NonceOverflowInTransaction => "TransactionException.NONCE_IS_MAX",
        I::NonceTooHigh { .. } => "TransactionException.NONCE_MISMATCH_TOO_HIGH",
        I::NonceTooLow { .. } => "TransactionException.NONCE_MISMATCH_TOO_LOW",
        I::CreateInitCodeSizeLimit => "TransactionException.INITCODE_SIZE_EXCEEDED",
        I::InvalidChainId | I::MissingChainId => "TransactionException.INVALID_CHAINID",
        I::TxGasLimitGreaterThanCap { .. } => "TransactionException.GAS_LIMIT_EXCEEDS_MAXIMUM",
        I::BlobGasPriceGreaterThanMax { .. } => "TransactionException.INSUFFICIENT_MAX_FEE_PER_BLOB_GAS",
        I::EmptyBlobs => "TransactionException.TYPE_3_TX_ZERO_BLOBS",
        I::BlobCreateTransaction => "TransactionException.TYPE_3_TX_CONTRACT_CREATION",
        I::TooManyBlobs { .. } => "TransactionException.TYPE_3_TX_BLOB_COUNT_EXCEEDED",
        I::BlobVersionNotSupported => "TransactionException.TYPE_3_TX_INVALID_BLOB_VERSIONED_HASH",
        I::Eip4844NotSupported | I::MaxFeePerBlobGasNotSupported | I::BlobVersionedHashesNotSupported => {
            "TransactionException.TYPE_3_TX_PRE_FORK"
        }
        I::EmptyAuthorizationList => "TransactionException.TYPE_4_EMPTY_AUTHORIZATION_LIST",
        I::Eip7702NotSupported | I::AuthorizationListNotSupported => "TransactionException.TYPE_4_TX_PRE_FORK",
        I::AuthorizationListInvalidFields => "TransactionException.TYPE_4_INVALID_AUTHORIZATION_FORMAT",
        I::AccessListNotSupported | I::Eip2930NotSupported => "TransactionException.TYPE_1_TX_PRE_FORK",
        I::Eip1559NotSupported => "TransactionException.TYPE_2_TX_PRE_FORK",
        I::Eip7873NotSupported | I::Eip7873MissingTarget | I::Str(_) => "TransactionException.UNKNOWN",
    }
}
