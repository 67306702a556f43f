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

mod blocks;
mod evm;
mod profile;
mod receipt;
mod sequencer;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod trace;

pub use evm::{CONTEXT, EM, SEQUENCER, TOUCH, TRANSPILE_INIT, TRANSPILE_RUNTIME};
pub use profile::{CallCounts, OpCost, RequestProfile};
pub use receipt::{signed_transaction, TxHashes};
pub use trace::{Eip3155Tracer, PhysicalTracer};

use alloy_primitives::{keccak256, Address, Bytes, Log, LogData, B256, U256};
use evm::{build, sequencer_call, Changes, L2Db, PhysicalRun};
use ovm_backend::{AccountState, Backend, BackendError, Execution, Outcome, PostState, Status, TxOutcome};
use ovm_fixture::{Case, Setup};
use ovm_transpiler::{layout::em, transpile, Mode};
use revm::{
    context::result::{ExecutionResult, Output},
    interpreter::InstructionResult,
    state::{AccountInfo, Bytecode},
    Inspector,
};
use std::{collections::BTreeMap, sync::OnceLock};

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
        self.run_inspected(case, setup, None::<revm::inspector::NoOpInspector>).map(|(outcome, _)| outcome)
    }

    fn unsupported(&self, _case: &Case, setup: &Setup) -> Option<String> {
        cancun_only(setup.spec)
    }

    fn run_blocks(&self, test: &ovm_fixture::BlockchainTest) -> Result<ovm_backend::ChainOutcome, BackendError> {
        self.run_chain(test, None::<&mut revm::inspector::NoOpInspector>)
    }

    fn blocks_unsupported(&self, test: &ovm_fixture::BlockchainTest) -> Option<String> {
        cancun_only(test.spec)
    }
}

fn cancun_only(spec: revm::primitives::hardfork::SpecId) -> Option<String> {
    (spec != revm::primitives::hardfork::SpecId::CANCUN).then(|| "the layer-2 EVM implements Cancun".into())
}

impl L2Backend {
    /// Runs a case and also returns the sequencer's record of the transaction's two hashes
    /// (none when the sequencer did not admit it, or has no signed form of it).
    pub fn run_recorded(&self, case: &Case, setup: &Setup) -> Result<(Outcome, Option<TxHashes>), BackendError> {
        let (outcome, request) = self.run_inspected(case, setup, None::<revm::inspector::NoOpInspector>)?;
        // Signing costs as much as a small transaction's run: only here, where it is asked for.
        let hashes = request.and_then(|request| {
            let signed = signed_transaction(case, setup)?;
            Some(TxHashes { original: keccak256(&signed), internal: keccak256(&request) })
        });
        Ok((outcome, hashes))
    }

    /// Runs a case writing its EIP-3155 trace in original instructions (see [`Eip3155Tracer`]),
    /// then the summary with the OVM post-state's root, to `out`. A rejected transaction writes
    /// nothing.
    pub fn run_traced(
        &self,
        case: &Case,
        setup: &Setup,
        mut out: impl std::io::Write,
    ) -> Result<Outcome, BackendError> {
        let (outcome, _) = self.run_inspected(case, setup, Some(Eip3155Tracer::new(&mut out)))?;
        if let Some(summary) = ovm_backend::eip3155_summary(&outcome, &case.fork) {
            writeln!(out, "{summary}")
                .and_then(|()| out.flush())
                .map_err(|e| BackendError(format!("cannot write the trace: {e}")))?;
        }
        Ok(outcome)
    }

    /// Runs a blockchain test writing the EIP-3155 trace of every transaction, one after another, in
    /// original instructions (see [`Eip3155Tracer`]) to `out`.
    pub fn run_blocks_traced(
        &self,
        test: &ovm_fixture::BlockchainTest,
        out: impl std::io::Write,
    ) -> Result<ovm_backend::ChainOutcome, BackendError> {
        let mut tracer = Eip3155Tracer::new(out);
        self.run_chain(test, Some(&mut tracer))
    }

    /// Runs a case writing every physical step of transpiled code (see [`PhysicalTracer`]) to `out`.
    pub fn run_traced_physical(
        &self,
        case: &Case,
        setup: &Setup,
        out: impl std::io::Write,
    ) -> Result<Outcome, BackendError> {
        self.run_inspected(case, setup, Some(PhysicalTracer::new(out))).map(|(outcome, _)| outcome)
    }

    /// Runs a case and counts where the transaction's physical work went (see [`RequestProfile`]).
    pub fn run_profiled(&self, case: &Case, setup: &Setup) -> Result<(Outcome, RequestProfile), BackendError> {
        let profile = std::rc::Rc::new(std::cell::RefCell::new(RequestProfile::default()));
        let (outcome, _) = self.run_inspected(case, setup, Some(profile::Profiler::new(profile.clone())))?;
        let profile = profile.take();
        Ok((outcome, profile))
    }

    /// Runs a case and also returns how long its genesis took (the differential fuzzer's profile).
    pub fn run_timed(&self, case: &Case, setup: &Setup) -> Result<(Outcome, std::time::Duration), BackendError> {
        let clock = std::time::Instant::now();
        let chain = Chain::genesis(case, setup)?;
        let genesis = clock.elapsed();
        Self::run_from(chain, setup, None::<revm::inspector::NoOpInspector>).map(|(outcome, _)| (outcome, genesis))
    }

    /// Runs a case, the transaction (not genesis or the dump) under `inspector` when there is one;
    /// also returns the EM request the transaction became, if the sequencer admitted it.
    fn run_inspected<I>(
        &self,
        case: &Case,
        setup: &Setup,
        inspector: Option<I>,
    ) -> Result<(Outcome, Option<Bytes>), BackendError>
    where
        I: Inspector<evm::L2Context>,
    {
        Self::run_from(Chain::genesis(case, setup)?, setup, inspector)
    }

    /// Runs a case's transaction on its genesis `chain`, then dumps the state.
    fn run_from<I>(
        mut chain: Chain,
        setup: &Setup,
        inspector: Option<I>,
    ) -> Result<(Outcome, Option<Bytes>), BackendError>
    where
        I: Inspector<evm::L2Context>,
    {
        let (tx, request) = chain.transact(setup, inspector)?;
        let post_state = chain.dump()?;
        Ok((Outcome { tx, post_state }, request))
    }
}

/// Whether every dump is also asked of the EM and compared ([`testing::check_dumps`]).
static CHECK_DUMPS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

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

/// The block hash a state test's environment gives number `n` (revm's `EmptyDB`, as ethereum/tests
/// fill them): keccak256 of the number in decimal.
fn state_test_block_hash(n: u64) -> B256 {
    keccak256(n.to_string().as_bytes())
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

    /// A physical state with only the EM deployed.
    fn em_only() -> L2Db {
        let mut db = L2Db::default();
        // Analysed once (jump destinations): every chain shares it.
        static EM_ACCOUNT: OnceLock<AccountInfo> = OnceLock::new();
        let account = EM_ACCOUNT.get_or_init(|| AccountInfo {
            code_hash: keccak256(em_code()),
            code: Some(Bytecode::new_raw(em_code().clone())),
            ..Default::default()
        });
        db.insert_account_info(EM, account.clone());
        db
    }

    /// A state test's genesis: its pre-state, and the hashes of the blocks before its block.
    fn fresh_genesis(case: &Case, setup: &Setup) -> Result<Self, BackendError> {
        // In address order, so that the EM lists accounts (and spends physical gas) the same way on
        // every run.
        let pre: BTreeMap<_, _> = case.unit.test.pre.iter().collect();
        Self::from_pre_on(Self::em_with_state_test_hashes(setup.block.number)?, pre, setup.block.number)
    }

    /// The EM alone, with the hashes a state test's environment gives the blocks before block
    /// `number`. They are the same for every state test of that block, and recording 256 of them
    /// costs more than a small transaction, so each thread keeps its last one to copy.
    fn em_with_state_test_hashes(number: U256) -> Result<L2Db, BackendError> {
        thread_local! {
            static LAST: std::cell::RefCell<Option<(U256, L2Db)>> = const { std::cell::RefCell::new(None) };
        }
        let cached = LAST.with(|last| last.borrow().as_ref().filter(|(n, _)| *n == number).map(|(_, db)| db.clone()));
        if let Some(db) = cached {
            return Ok(db);
        }
        let mut chain = Self { db: Some(Self::em_only()), number };
        let current = number.saturating_to::<u64>();
        let window = current.saturating_sub(ovm_fixture::BLOCKHASH_WINDOW)..current;
        chain.record_block_hashes(window.map(|n| (n, state_test_block_hash(n))))?;
        let db = chain.db.expect("the chain's database is always put back");
        LAST.with(|last| *last.borrow_mut() = Some((number, db.clone())));
        Ok(db)
    }

    /// The chain whose genesis is `pre`, every account's code transpiled.
    fn from_pre<'a>(
        pre: impl IntoIterator<Item = (&'a Address, &'a ovm_fixture::AccountInfo), IntoIter: ExactSizeIterator>,
        number: U256,
    ) -> Result<Self, BackendError> {
        Self::from_pre_on(Self::em_only(), pre, number)
    }

    /// The chain whose genesis is `pre` on the physical state `db` (the EM, and what was recorded
    /// in it before).
    fn from_pre_on<'a>(
        mut db: L2Db,
        pre: impl IntoIterator<Item = (&'a Address, &'a ovm_fixture::AccountInfo), IntoIter: ExactSizeIterator>,
        number: U256,
    ) -> Result<Self, BackendError> {
        let pre = pre.into_iter();
        let mut request = vec![em::OP_GENESIS];
        push_word(&mut request, U256::from(pre.len()));
        for (address, account) in pre {
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
        let mut chain = Self { db: Some(db), number };
        chain.system_request(request.into(), "genesis")?;
        Ok(chain)
    }

    /// A sequencer request that changes the chain's state outside any transaction, which must succeed.
    fn system_request(&mut self, request: Bytes, what: &str) -> Result<PhysicalRun, BackendError> {
        let run = self.call(request, 1 << 40, None::<revm::inspector::NoOpInspector>)?;
        if !run.result.is_success() {
            return Err(BackendError(format!("the EM refused the {what}: {:?}", run.result)));
        }
        Ok(run)
    }

    /// Records block hashes, which BLOCKHASH answers from.
    fn record_block_hashes(&mut self, hashes: impl IntoIterator<Item = (u64, B256)>) -> Result<(), BackendError> {
        let mut words = Vec::new();
        for (number, hash) in hashes {
            words.push(U256::from(number));
            words.push(U256::from_be_bytes(hash.0));
        }
        let mut request = vec![em::OP_BLOCK_HASHES];
        push_word(&mut request, U256::from(words.len() / 2));
        words.iter().for_each(|w| push_word(&mut request, *w));
        self.system_request(request.into(), "block hashes").map(drop)
    }

    /// A transaction: admitted by the sequencer (or its rejection), then run by the EM under
    /// `inspector`. Also returns the EM request it became, if it was admitted.
    fn transact<I>(&mut self, setup: &Setup, inspector: Option<I>) -> Result<(TxOutcome, Option<Bytes>), BackendError>
    where
        I: Inspector<evm::L2Context>,
    {
        let tx = match sequencer::admit(setup) {
            Ok(tx) => tx,
            Err(rejection) => return Ok((rejection, None)),
        };
        let request = tx.encode();
        let run = self.call(request.clone(), PHYSICAL_GAS, inspector)?;
        Ok((self.transaction_outcome(run, tx.is_create)?, Some(request)))
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
        let (Some(status), Some(code), Some(top_selfdestructed), Some(gas_used)) = (word(0), word(1), word(2), word(3))
        else {
            return Err(BackendError("the EM's reply is too short".into()));
        };
        if status == U256::from(em::TX_REJECTED) {
            return Ok(sequencer::rejection(code.saturating_to()));
        }
        let output = reply.slice(em::TX_REPLY_HEADER..);
        let status = if status == U256::from(em::TX_SUCCEEDED) {
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
        let physical_gas = Some(gas.tx_gas_used());
        Ok(TxOutcome::Executed(Execution { status, output, gas_used: gas_used.saturating_to(), logs, physical_gas }))
    }

    /// The layer-2 state: the EM's ledger, read straight from its physical storage (the layout of
    /// `ovm_transpiler::layout::ledger`, the EM's `dump()` in Rust: a fifth of a fuzzed scenario's
    /// time was the EM's dump after every transaction). With [`testing::check_dumps`] on, the
    /// EM's own dump is asked too, and any difference between the two is an error.
    fn dump(&mut self) -> Result<PostState, BackendError> {
        let state = self.read_ledger();
        if CHECK_DUMPS.load(std::sync::atomic::Ordering::Relaxed) {
            let em = self.dump_via_em()?;
            if em != state {
                return Err(BackendError(format!(
                    "the ledger read from the EM's storage differs from the EM's dump:\n  read: {state:?}\n  EM:   {em:?}"
                )));
            }
        }
        Ok(state)
    }

    fn read_ledger(&self) -> PostState {
        use ovm_transpiler::layout::ledger::*;
        let db = self.db.as_ref().expect("the chain's database is always put back");
        let storage = db.cache.accounts.get(&EM).map(|account| &account.storage);
        let sload = |slot: U256| storage.and_then(|s| s.get(&slot)).copied().unwrap_or_default();
        let hash = |x: U256| ledger_hash(x, None);
        let hash2 = |x: U256, y: U256| ledger_hash(x, Some(y));
        let tag = |n: u64| (U256::from(1) << 255) | U256::from(n);
        let field = |base: U256, f: u64| base.wrapping_add(U256::from(f));
        let mut post_state = PostState::new();
        let count: u64 = sload(hash(tag(TAG_ACCOUNT_COUNT))).saturating_to();
        for i in 0..count {
            let a = sload(hash2(tag(TAG_ACCOUNT), U256::from(i)));
            let base = hash(a);
            let storage_base = hash2(a, sload(field(base, A_INCARNATION)));
            let keys = hash2(a, tag(TAG_KEYS));
            let key_count: u64 = sload(field(base, A_KEY_COUNT)).saturating_to();
            let storage = (0..key_count)
                .map(|j| sload(field(keys, j)))
                .map(|key| (key, sload(hash2(storage_base, key))))
                .filter(|(_, value)| !value.is_zero())
                .collect();
            let address = Address::from_word(B256::from(a));
            let (balance, nonce) = (sload(field(base, A_BALANCE)), sload(field(base, A_NONCE)).saturating_to());
            let code = self.original_code(Address::from_word(B256::from(sload(field(base, A_CODE)))));
            let account = AccountState { balance, nonce, code, storage };
            keep_if_seen(&mut post_state, address, !sload(field(base, A_EXISTS)).is_zero(), account);
        }
        post_state
    }

    /// The EM's own dump (`OP_DUMP`): what [`Chain::read_ledger`] is checked against.
    fn dump_via_em(&mut self) -> Result<PostState, BackendError> {
        let no_inspector = None::<revm::inspector::NoOpInspector>;
        let run = self.request(Bytes::from_static(&[em::OP_DUMP]), 1 << 40, no_inspector, Changes::Discard)?;
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
            let code = self.original_code(phys);
            keep_if_seen(&mut post_state, address, exists, AccountState { balance, nonce, code, storage });
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

/// keccak256 of one or two words, remembered: a chain's dumps hash the same accounts and keys after
/// every transaction (a pure function, so the memo is per thread and shared by every chain).
fn ledger_hash(x: U256, y: Option<U256>) -> U256 {
    type Memo = std::collections::HashMap<(U256, Option<U256>), U256>;
    thread_local! {
        static MEMO: std::cell::RefCell<Memo> = std::cell::RefCell::new(Memo::new());
    }
    MEMO.with(|memo| {
        let mut memo = memo.borrow_mut();
        if memo.len() > 1 << 16 {
            memo.clear();
        }
        *memo.entry((x, y)).or_insert_with(|| {
            let mut preimage = x.to_be_bytes::<32>().to_vec();
            if let Some(y) = y {
                preimage.extend_from_slice(&y.to_be_bytes::<32>());
            }
            U256::from_be_bytes(keccak256(preimage).0)
        })
    })
}

/// Every account and key the EM ever recorded is read back: one that does not exist must have
/// nothing left, storage included (an incarnation a destruction failed to bump), or it shows up in
/// the post-state, where the comparator sees it.
fn keep_if_seen(post_state: &mut PostState, address: Address, exists: bool, account: AccountState) {
    let leftover =
        account.balance != U256::ZERO || account.nonce != 0 || !account.code.is_empty() || !account.storage.is_empty();
    if exists || leftover {
        post_state.insert(address, account);
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
mod ledger_twin {
    //! The dump Rust reads from the EM's storage is the EM's own dump, after every transaction of
    //! every vector of the project (state tests, OVM specs, blockchain tests, fuzz regressions).
    use super::*;

    #[test]
    fn the_ledger_read_from_storage_is_the_ems_dump_on_every_own_vector() {
        testing::check_dumps();
        let own = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vectors");
        let (mut cases, mut chains) = (0, 0);
        for (path, name) in ovm_runner::vector_files(&own) {
            let file = ovm_fixture::load_vector_file(&path, &name);
            for case in &file.cases {
                let Ok(setup) = &case.setup else { continue };
                if let Err(e) = L2Backend.run(case, setup) {
                    assert!(!e.0.contains("differs from the EM's dump"), "{}: {e}", case.id.0);
                }
                cases += 1;
            }
            for chain in &file.chains {
                let Ok(test) = &chain.test else { continue };
                if let Err(e) = L2Backend.run_blocks(test) {
                    assert!(!e.0.contains("differs from the EM's dump"), "{}: {e}", chain.id.0);
                }
                chains += 1;
            }
        }
        assert!(cases > 100 && chains > 20, "{cases} state cases, {chains} blockchain tests");
    }
}

#[cfg(test)]
mod leftovers {
    //! The dump reads back every account and key the EM ever recorded: an account that does not
    //! exist but still has something (storage an incarnation bump should have hidden, a balance)
    //! is in the post-state, where the comparator sees it.
    use super::*;

    const HOLDER: Address = Address::repeat_byte(0x33);

    /// A chain whose genesis has HOLDER with a balance and two slots.
    fn chain() -> Chain {
        let mut storage = std::collections::HashMap::default();
        storage.insert(U256::from(1), U256::from(0xaa));
        storage.insert(U256::from(2), U256::from(0xbb));
        let account = ovm_fixture::AccountInfo { balance: U256::from(7), code: Bytes::new(), nonce: 0, storage };
        Chain::from_pre([(&HOLDER, &account)], U256::from(1)).unwrap()
    }

    /// Sets one of HOLDER's EM fields directly in the EM's physical storage, as a broken EM would.
    fn poke(chain: &mut Chain, field: u64, value: U256) {
        let base = U256::from_be_bytes(keccak256(HOLDER.into_word()).0);
        let db = chain.db.as_mut().unwrap();
        db.insert_account_storage(EM, base + U256::from(field), value).unwrap();
    }

    const A_BALANCE: u64 = 1;
    const A_EXISTS: u64 = 3;

    #[test]
    fn an_existing_account_is_read_back_whole() {
        let state = chain().dump().unwrap();
        assert_eq!(state[&HOLDER].storage.len(), 2);
        assert_eq!(state[&HOLDER].balance, U256::from(7));
    }

    #[test]
    fn a_non_existent_account_with_live_storage_is_in_the_post_state() {
        let mut chain = chain();
        // "Destroyed" without clearing anything: balance and storage are left over.
        poke(&mut chain, A_EXISTS, U256::ZERO);
        let state = chain.dump().unwrap();
        assert_eq!(state[&HOLDER].storage.len(), 2, "the leftover storage is visible");
        // Storage alone is enough.
        poke(&mut chain, A_BALANCE, U256::ZERO);
        let state = chain.dump().unwrap();
        assert_eq!(state[&HOLDER].balance, U256::ZERO);
        assert_eq!(state[&HOLDER].storage.len(), 2, "the leftover storage is visible");
    }
}

#[cfg(test)]
mod isolation {
    //! The ExecutionManager never lets anyone act as anyone else. Each spec makes its requests while
    //! an OVM frame is active (so the EM's "no frame" check cannot answer for the caller check), next
    //! to a positive control: the active frame's own code making the same request, successfully.
    //! (The `isolation` fuzz target makes the same kinds of calls in sequences the fuzzer picks.)
    use super::*;
    use crate::testing::{tx_request, Code, PhysicalChain, EMPTY_HEADER};
    use ovm_transpiler::layout;

    const CALL: u8 = 0xf1;
    const MSTORE: u8 = 0x52;
    const MLOAD: u8 = 0x51;

    use crate::testing::probe_world::{INACTIVE_CODE, PROBED, PROBE_CODE, SENDER, STRANGER};

    /// What the probe asks: the EM an SLOAD request, and the CONTEXT built-in its snapshot.
    fn requests() -> [(Address, Vec<u8>); 2] {
        let mut sload = vec![layout::OP_SLOAD];
        sload.extend_from_slice(&[0u8; 32]);
        [(EM, sload), (CONTEXT, Vec::new())]
    }

    /// The probe: for each request, asks it itself, then through the stranger, the inactive frame's
    /// code and the sequencer's address, and returns the eight success flags (and a meter trailer).
    fn probe() -> Bytes {
        let mut code = Code::default().op(&EMPTY_HEADER);
        let mut slot = 0x400u64;
        for (target, payload) in requests() {
            // payload at memory 0x20, target word at 0x00: forwarders take `target ‖ payload`
            for (i, byte) in payload.iter().enumerate() {
                code = code.push(u64::from(*byte)).push(0x20 + i as u64).op(&[0x53]);
                // MSTORE8
            }
            let len = payload.len() as u64;
            // Direct: CALL(1M, target, 0, 0x20, len, 0, 0)
            code = code.op(&[0x5f, 0x5f]).push(len).push(0x20).op(&[0x5f]).address(target).push(1_000_000).op(&[CALL]);
            code = code.push(slot).op(&[MSTORE]);
            slot += 32;
            for via in [STRANGER, INACTIVE_CODE, SEQUENCER] {
                // CALL(2M, via, 0, 0, 32 + len, 0x300, 32) with the target word at 0, the reply word
                // cleared first (a call that fails writes nothing)
                code = code.address(target).op(&[0x5f, MSTORE]).op(&[0x5f]).push(0x300).op(&[MSTORE]);
                code = code.push(32).push(0x300).push(32 + len).op(&[0x5f, 0x5f]).address(via);
                code = code.push(2_000_000).op(&[CALL, 0x50]);
                code = code.push(0x300).op(&[MLOAD]).push(slot).op(&[MSTORE]);
                slot += 32;
            }
        }
        // RETURN(0x400, 8 words + the trailer, a meter of 0)
        code.push(0x500).op(&[0x5f, 0x90, MSTORE]).push(9 * 32).push(0x400).op(&[0xf3]).bytes()
    }

    /// The probe world, with the probe as the probed account's code contract.
    fn chain() -> PhysicalChain {
        crate::testing::probe_world::chain(probe())
    }

    /// Runs a transaction from the sender to the probed account; the probe's eight flags.
    fn probe_flags() -> Vec<bool> {
        let mut chain = chain();
        let tx = tx_request(SENDER, Some(PROBED), Bytes::new(), U256::ZERO, 10_000_000);
        let TxOutcome::Executed(execution) = chain.transact(&tx).unwrap() else {
            panic!("the probe's transaction was rejected")
        };
        assert_eq!(execution.status, Status::Return, "the probe returns its flags: {execution:?}");
        execution.output.chunks(32).map(|word| word.iter().any(|&b| b != 0)).collect()
    }

    #[test]
    fn the_active_frames_code_may_ask_and_nobody_else_may_while_it_is_active() {
        let flags = probe_flags();
        let names = ["itself", "a stranger", "an inactive frame's code", "the sequencer"];
        for (i, (target, _)) in requests().iter().enumerate() {
            let what = if *target == EM { "an EM request" } else { "the CONTEXT built-in" };
            for (j, who) in names.iter().enumerate() {
                let allowed = flags[4 * i + j];
                assert_eq!(allowed, j == 0, "{what} from {who} while the probe's frame is active");
            }
        }
    }

    fn call(chain: &mut PhysicalChain, caller: Address, to: Address, data: &[u8]) -> ExecutionResult {
        chain.physical(caller, to, data, 1 << 30).result
    }

    #[test]
    fn with_no_frame_active_no_one_may_make_frame_requests() {
        let mut chain = chain();
        let (_, sload) = &requests()[0];
        for caller in [STRANGER, SEQUENCER, PROBE_CODE] {
            assert!(!call(&mut chain, caller, EM, sload).is_success(), "an EM request from {caller}");
            assert!(!call(&mut chain, caller, CONTEXT, &[]).is_success(), "CONTEXT for {caller}");
        }
    }

    #[test]
    fn only_the_sequencer_may_run_transactions_or_genesis() {
        let mut chain = chain();
        let stranger = Address::repeat_byte(0x77);
        for op in [
            em::OP_GENESIS,
            em::OP_TRANSACTION,
            em::OP_DUMP,
            em::OP_BLOCK_HASHES,
            em::OP_SYSTEM_CALL,
            em::OP_CREDIT,
            em::OP_INNER_CALL,
            em::OP_INNER_CREATE,
            em::OP_INNER_DEPLOY,
        ] {
            let mut request = vec![op];
            request.extend_from_slice(&[0u8; 32 * 20]);
            assert!(!call(&mut chain, stranger, EM, &request).is_success(), "op {op:#x}");
        }
        // The sequencer itself may not use the EM's inner frames either.
        assert!(!call(&mut chain, SEQUENCER, EM, &[em::OP_INNER_CALL; 200]).is_success());
    }

    #[test]
    fn only_the_em_may_use_the_touch_built_in() {
        let mut chain = chain();
        let mut query = vec![0u8];
        query.extend_from_slice(&[0u8; 32]);
        assert!(!call(&mut chain, STRANGER, TOUCH, &query).is_success());
        assert!(!call(&mut chain, SEQUENCER, TOUCH, &query).is_success());
    }
}
