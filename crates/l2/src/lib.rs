//! The layer-2 backend: a state-test case run through the ExecutionManager.
//!
//! For each case: a fresh layer-2 EVM with the EM deployed; the pre-state installed through the EM
//! (`genesis`, every contract transpiled); the transaction admitted by the sequencer's checks and
//! sent through the EM's entry; the OVM post-state read back through the EM's `dump`. The outcome
//! has the native backend's shape, so nothing downstream can tell which backend produced it.
//!
//! Architecture invariant: layer-2 state lives only in the EM. This crate writes physical state
//! directly only to deploy the EM and the genesis code contracts; everything else goes through
//! the EM's entry points, as a sequencer would.

mod evm;
mod profile;
mod receipt;
mod sequencer;
mod trace;

pub use evm::{CONTEXT, EM, SEQUENCER, TOUCH, TRANSPILE_INIT, TRANSPILE_RUNTIME};
pub use profile::{CallCounts, OpCost, RequestProfile};
pub use receipt::{signed_transaction, TxHashes};
pub use trace::OriginalPcTracer;

use alloy_primitives::{keccak256, Address, Bytes, Log, LogData, B256, U256};
use evm::{build, sequencer_call, Changes, L2Db, PhysicalRun};
use ovm_backend::{AccountState, Backend, BackendError, Execution, Outcome, PostState, Status, TxOutcome};
use ovm_fixture::{Case, Setup};
use ovm_transpiler::{transpile, Mode};
use revm::{
    context::result::{ExecutionResult, Output},
    interpreter::InstructionResult,
    state::{AccountInfo, Bytecode},
    Inspector,
};
use std::sync::OnceLock;

/// Physical gas for one layer-2 transaction, whatever its native gas limit. The gas meter bounds the
/// work (it stops a frame where native gas runs out), halts give their unused physical gas back, and
/// no program can spend this much in feasible time, so no frame runs out of physical gas where it
/// did not run out of native gas (ARCHITECTURE.md, "Physical gas").
pub const PHYSICAL_GAS: u64 = 1 << 62;

/// Runs cases through the ExecutionManager.
#[derive(Clone, Copy, Debug, Default)]
pub struct L2Backend;

impl Backend for L2Backend {
    fn name(&self) -> &'static str {
        "ovm"
    }

    fn run(&self, case: &Case, setup: &Setup) -> Result<Outcome, BackendError> {
        self.run_recorded(case, setup).map(|(outcome, _)| outcome)
    }
}

impl L2Backend {
    /// Runs a case and also returns the sequencer's record of the transaction's two hashes
    /// (none when the sequencer did not admit it, or has no signed form of it).
    pub fn run_recorded(&self, case: &Case, setup: &Setup) -> Result<(Outcome, Option<TxHashes>), BackendError> {
        self.run_inspected(case, setup, None::<revm::inspector::NoOpInspector>)
    }

    /// Runs a case writing a trace in original PCs (see [`OriginalPcTracer`]) to `out`.
    pub fn run_traced(&self, case: &Case, setup: &Setup, out: impl std::io::Write) -> Result<Outcome, BackendError> {
        self.run_inspected(case, setup, Some(OriginalPcTracer::new(out))).map(|(outcome, _)| outcome)
    }

    /// Runs a case and counts where the transaction's physical work went (see [`RequestProfile`]).
    pub fn run_profiled(&self, case: &Case, setup: &Setup) -> Result<(Outcome, RequestProfile), BackendError> {
        let profile = std::rc::Rc::new(std::cell::RefCell::new(RequestProfile::default()));
        let (outcome, _) = self.run_inspected(case, setup, Some(profile::Profiler::new(profile.clone())))?;
        let profile = profile.take();
        Ok((outcome, profile))
    }

    /// Runs a case; the transaction (not genesis or the dump) under `inspector` when there is one.
    fn run_inspected<I>(
        &self,
        case: &Case,
        setup: &Setup,
        inspector: Option<I>,
    ) -> Result<(Outcome, Option<TxHashes>), BackendError>
    where
        I: Inspector<evm::L2Context>,
    {
        let mut chain = Chain::genesis(case, setup)?;
        let tx = match sequencer::admit(setup) {
            Ok(tx) => tx,
            Err(rejection) => {
                let post_state = chain.dump()?;
                return Ok((Outcome { tx: rejection, post_state }, None));
            }
        };
        let request = tx.encode();
        let hashes = signed_transaction(case, setup)
            .map(|signed| TxHashes { original: keccak256(&signed), internal: keccak256(&request) });
        let run = chain.call(request, PHYSICAL_GAS, inspector)?;
        let tx = chain.transaction_outcome(run, tx.is_create)?;
        let post_state = chain.dump()?;
        Ok((Outcome { tx, post_state }, hashes))
    }
}

/// The EM's runtime code, from the committed artifact.
fn em_code() -> &'static Bytes {
    static CODE: OnceLock<Bytes> = OnceLock::new();
    CODE.get_or_init(|| {
        let artifact: serde_json::Value =
            serde_json::from_str(include_str!("../../../contracts/artifacts/em/ExecutionManager.json"))
                .expect("the committed EM artifact is JSON");
        let hex = artifact["deployedBytecode"].as_str().expect("the EM artifact has deployedBytecode");
        hex.parse().expect("the EM artifact's deployedBytecode is hex")
    })
}

/// The physical address of a genesis account's code contract.
fn genesis_code_address(account: Address) -> Address {
    let mut preimage = b"ovm.genesis.code".to_vec();
    preimage.extend_from_slice(account.as_slice());
    Address::from_slice(&keccak256(preimage)[12..])
}

/// One layer-2 chain: the physical state and the block it runs in.
#[derive(Clone)]
struct Chain {
    db: Option<L2Db>,
    number: U256,
}

impl Chain {
    /// The chain after genesis. The cases of one unit share their pre-state and block, and a
    /// thread runs them one after another, so each thread keeps its last genesis to copy.
    fn genesis(case: &Case, setup: &Setup) -> Result<Self, BackendError> {
        type Last = Option<(std::sync::Arc<ovm_fixture::Unit>, Chain)>;
        thread_local! {
            static LAST: std::cell::RefCell<Last> = const { std::cell::RefCell::new(None) };
        }
        let cached = LAST.with(|last| match &*last.borrow() {
            Some((unit, chain)) if std::sync::Arc::ptr_eq(unit, &case.unit) && chain.number == setup.block.number => {
                Some(chain.clone())
            }
            _ => None,
        });
        if let Some(chain) = cached {
            return Ok(chain);
        }
        let chain = Self::fresh_genesis(case, setup)?;
        LAST.with(|last| *last.borrow_mut() = Some((case.unit.clone(), chain.clone())));
        Ok(chain)
    }

    fn fresh_genesis(case: &Case, setup: &Setup) -> Result<Self, BackendError> {
        let mut db = L2Db::default();
        db.insert_account_info(
            EM,
            AccountInfo {
                code_hash: keccak256(em_code()),
                code: Some(Bytecode::new_raw(em_code().clone())),
                ..Default::default()
            },
        );
        let mut request = vec![0xf0];
        push_word(&mut request, U256::from(case.unit.test.pre.len()));
        for (address, account) in &case.unit.test.pre {
            let phys = if account.code.is_empty() {
                Address::ZERO
            } else {
                let transpiled = transpile(&account.code, Mode::Runtime)
                    .map_err(|e| BackendError(format!("transpiling the code of {address}: {e}")))?;
                let phys = genesis_code_address(*address);
                let code = Bytes::from(transpiled.code);
                db.insert_account_info(
                    phys,
                    AccountInfo {
                        code_hash: keccak256(&code),
                        code: Some(Bytecode::new_raw(code)),
                        ..Default::default()
                    },
                );
                phys
            };
            push_word(&mut request, U256::from_be_slice(address.as_slice()));
            push_word(&mut request, account.balance);
            push_word(&mut request, U256::from(account.nonce));
            push_word(&mut request, U256::from_be_slice(phys.as_slice()));
            let slots: Vec<_> = account.storage.iter().filter(|(_, v)| !v.is_zero()).collect();
            push_word(&mut request, U256::from(slots.len()));
            for (key, value) in slots {
                push_word(&mut request, *key);
                push_word(&mut request, *value);
            }
        }
        let mut chain = Self { db: Some(db), number: setup.block.number };
        let run = chain.call(request.into(), 1 << 40, None::<revm::inspector::NoOpInspector>)?;
        if !run.result.is_success() {
            return Err(BackendError(format!("the EM refused the genesis: {:?}", run.result)));
        }
        Ok(chain)
    }

    /// One sequencer transaction, committed, watched by `inspector` if there is one.
    fn call<I>(&mut self, data: Bytes, gas: u64, inspector: Option<I>) -> Result<PhysicalRun, BackendError>
    where
        I: Inspector<evm::L2Context>,
    {
        self.request(data, gas, inspector, Changes::Commit)
    }

    fn request<I>(
        &mut self,
        data: Bytes,
        gas: u64,
        inspector: Option<I>,
        changes: Changes,
    ) -> Result<PhysicalRun, BackendError>
    where
        I: Inspector<evm::L2Context>,
    {
        let db = self.db.take().expect("the chain's database is always put back");
        let (run, db) = match inspector {
            Some(inspector) => {
                let mut evm = build(db, self.number, inspector);
                (sequencer_call(&mut evm, data, gas, true, changes), evm.ctx.journaled_state.database)
            }
            None => {
                let mut evm = build(db, self.number, revm::inspector::NoOpInspector);
                (sequencer_call(&mut evm, data, gas, false, changes), evm.ctx.journaled_state.database)
            }
        };
        self.db = Some(db);
        run.map_err(|e| BackendError(format!("layer-2 EVM: {e}")))
    }

    fn transaction_outcome(&self, run: PhysicalRun, is_create: bool) -> Result<TxOutcome, BackendError> {
        let top_frame = run.top_frame;
        let ExecutionResult::Success { output: Output::Call(reply), logs, gas, .. } = run.result else {
            return Err(BackendError(format!("the EM's transaction entry failed: {:?}", run.result)));
        };
        let word = |i: usize| reply.get(i * 32..i * 32 + 32).map(U256::from_be_slice);
        let (Some(status), Some(code), Some(top_selfdestructed)) = (word(0), word(1), word(2)) else {
            return Err(BackendError("the EM's reply is too short".into()));
        };
        if status.is_zero() {
            return Ok(sequencer::rejection(code.saturating_to()));
        }
        let output = reply.slice(96..);
        let status = if status == U256::from(1) {
            // A successful creation is a Return, whatever its constructor ended with (as in revm).
            match (top_selfdestructed.is_zero() || is_create, top_frame) {
                _ if is_create => Status::Return,
                (false, _) => Status::SelfDestruct,
                (true, Some(InstructionResult::Return)) if !run.top_stopped => Status::Return,
                (true, _) => Status::Stop,
            }
        } else {
            match top_frame {
                Some(InstructionResult::Revert) => Status::Revert,
                Some(result) => Status::Halt(halt_name(result)),
                None if is_create => Status::Halt("CreateCollision".into()),
                None => Status::Halt("Unknown".into()),
            }
        };
        let logs = logs.into_iter().filter(|log| log.address == EM).map(ovm_log).collect::<Result<_, _>>()?;
        Ok(TxOutcome::Executed(Execution { status, output, gas_used: gas.tx_gas_used(), logs }))
    }

    /// The OVM post-state, as the EM's `dump` lists it.
    fn dump(&mut self) -> Result<PostState, BackendError> {
        let no_inspector = None::<revm::inspector::NoOpInspector>;
        let run = self.request(Bytes::from_static(&[0xf2]), 1 << 40, no_inspector, Changes::Discard)?;
        let ExecutionResult::Success { output: Output::Call(reply), .. } = run.result else {
            return Err(BackendError(format!("the EM's dump failed: {:?}", run.result)));
        };
        let mut words = reply.chunks_exact(32).map(U256::from_be_slice);
        let mut next = || words.next().ok_or_else(|| BackendError("the EM's dump is truncated".into()));
        let count: usize = next()?.saturating_to();
        let mut post_state = PostState::new();
        for _ in 0..count {
            let address = Address::from_word(B256::from(next()?));
            let exists = !next()?.is_zero();
            let balance = next()?;
            let nonce = next()?.saturating_to();
            let phys = Address::from_word(B256::from(next()?));
            let keys: usize = next()?.saturating_to();
            let mut storage = std::collections::BTreeMap::new();
            for _ in 0..keys {
                let (key, value) = (next()?, next()?);
                if !value.is_zero() {
                    storage.insert(key, value);
                }
            }
            if exists {
                let code = self.original_code(phys);
                post_state.insert(address, AccountState { balance, nonce, code, storage });
            }
        }
        Ok(post_state)
    }

    /// The original code a code contract carries at its end (see the header).
    fn original_code(&self, phys: Address) -> Bytes {
        let db = self.db.as_ref().expect("the chain's database is always put back");
        let Some(code) = db.cache.accounts.get(&phys).and_then(|a| a.info.code.as_ref()) else {
            return Bytes::new();
        };
        let code = code.original_byte_slice();
        ovm_transpiler::read_header(code)
            .and_then(|(start, len)| code.get(start..start.checked_add(len)?))
            .map(Bytes::copy_from_slice)
            .unwrap_or_default()
    }
}

fn push_word(out: &mut Vec<u8>, word: U256) {
    out.extend_from_slice(&word.to_be_bytes::<32>());
}

/// An EM log carries the OVM address as its first data word.
fn ovm_log(log: Log) -> Result<Log, BackendError> {
    let data = &log.data.data;
    if data.len() < 32 {
        return Err(BackendError("an EM log without its OVM address".into()));
    }
    let address = Address::from_slice(&data[12..32]);
    Ok(Log { address, data: LogData::new_unchecked(log.data.topics().to_vec(), data.slice(32..)) })
}

/// The native backend's name for the halt a physical frame ended with.
fn halt_name(result: InstructionResult) -> String {
    use revm::{context::result::HaltReason, interpreter::SuccessOrHalt};
    match SuccessOrHalt::<HaltReason>::from(result) {
        SuccessOrHalt::Halt(reason) => ovm_native::halt_name(&reason),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod isolation {
    //! The ExecutionManager never lets anyone act as anyone else.
    use super::*;
    use ovm_fixture::load_str;
    use ovm_transpiler::layout;

    fn chain() -> Chain {
        let text = include_str!("../../../vectors/state/add_and_store.json");
        let loaded = load_str(text, "add_and_store.json");
        let case = &loaded.cases[0];
        Chain::genesis(case, case.setup.as_ref().unwrap()).unwrap()
    }

    fn call(chain: &mut Chain, caller: Address, to: Address, data: &[u8]) -> ExecutionResult {
        let db = chain.db.take().unwrap();
        let mut evm = build(db, chain.number, revm::inspector::NoOpInspector);
        let run =
            evm::physical_call(&mut evm, caller, to, Bytes::copy_from_slice(data), 1 << 30, false, Changes::Commit)
                .unwrap();
        chain.db = Some(evm.ctx.journaled_state.database);
        run.result
    }

    fn request_from(chain: &mut Chain, caller: Address, request: &[u8]) -> ExecutionResult {
        call(chain, caller, EM, request)
    }

    fn sstore_request() -> Vec<u8> {
        let mut request = vec![layout::OP_SSTORE];
        request.extend_from_slice(&[0u8; 31]);
        request.push(1);
        request.extend_from_slice(&[0xffu8; 32]);
        request
    }

    #[test]
    fn a_stranger_cannot_make_a_frame_request() {
        let mut chain = chain();
        let stranger = Address::repeat_byte(0x77);
        assert!(!request_from(&mut chain, stranger, &sstore_request()).is_success());
        assert!(!request_from(&mut chain, stranger, &sload_request()).is_success());
    }

    fn sload_request() -> Vec<u8> {
        let mut request = vec![layout::OP_SLOAD];
        request.extend_from_slice(&[0u8; 32]);
        request
    }

    #[test]
    fn the_context_built_in_answers_only_the_active_frame() {
        let mut chain = chain();
        for caller in [Address::repeat_byte(0x77), SEQUENCER] {
            let result = call(&mut chain, caller, CONTEXT, &[]);
            assert!(!result.is_success(), "CONTEXT answered {caller} with no OVM frame active: {result:?}");
        }
    }

    #[test]
    fn a_contract_that_is_not_the_active_frame_cannot_make_requests() {
        // Physical code that forwards its calldata to the EM and returns the call's success flag:
        // CALLDATASIZE PUSH0 PUSH0 CALLDATACOPY PUSH0 PUSH0 CALLDATASIZE PUSH0 PUSH0 PUSH20 EM GAS
        // CALL PUSH0 MSTORE PUSH1 32 PUSH0 RETURN
        let mut code = vec![0x36, 0x5f, 0x5f, 0x37, 0x5f, 0x5f, 0x36, 0x5f, 0x5f, 0x73];
        code.extend_from_slice(EM.as_slice());
        code.extend_from_slice(&[0x5a, 0xf1, 0x5f, 0x52, 0x60, 0x20, 0x5f, 0xf3]);
        let mut chain = chain();
        let forwarder = Address::repeat_byte(0x66);
        let code = Bytes::from(code);
        chain.db.as_mut().unwrap().insert_account_info(
            forwarder,
            AccountInfo { code_hash: keccak256(&code), code: Some(Bytecode::new_raw(code)), ..Default::default() },
        );
        for request in [sstore_request(), sload_request()] {
            let result = call(&mut chain, Address::repeat_byte(0x77), forwarder, &request);
            let ExecutionResult::Success { output, .. } = result else { panic!("{result:?}") };
            assert_eq!(
                U256::from_be_slice(output.data()),
                U256::ZERO,
                "the EM accepted a request from a stranger contract"
            );
        }
    }

    #[test]
    fn only_the_sequencer_may_run_transactions_or_genesis() {
        let mut chain = chain();
        let stranger = Address::repeat_byte(0x77);
        for op in [0xf0u8, 0xf1, 0xf2, 0xe0, 0xe1, 0xe2] {
            let mut request = vec![op];
            request.extend_from_slice(&[0u8; 32 * 20]);
            assert!(!request_from(&mut chain, stranger, &request).is_success(), "op {op:#x}");
        }
        // The sequencer itself may not use the EM's inner frames either.
        assert!(!request_from(&mut chain, SEQUENCER, &[0xe0; 200]).is_success());
    }

    #[test]
    fn the_sequencer_cannot_make_frame_requests() {
        let mut chain = chain();
        assert!(!request_from(&mut chain, SEQUENCER, &sstore_request()).is_success());
    }
}
