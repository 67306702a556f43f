//! The layer-2 EVM: revm with exactly the modifications ARCHITECTURE.md lists, no others.
//!
//! - the built-ins as precompiles: the two transpilers, CONTEXT and TOUCH;
//! - no physical code size limit, and a finite 2^24 initcode limit (transpiled code never exceeds it);
//! - no physical call-depth limit (the handler keeps every frame's depth at most 1; the EM enforces
//!   OVM depth);
//! - no 63/64 gas retention (the EM applies its own);
//! - stack headroom for the transpiled code's temporaries, with STACKGUARD enforcing the native limit,
//!   and SIZEHALT naming an EIP-170 failure as revm does;
//! - no physical nonce check (the sequencer sends every physical transaction from one account);
//! - an exceptional halt of a nested frame gives its unused physical gas back to its caller.

use ovm_transpiler::{layout, transpile, Mode};
use revm::{
    context::{
        result::{EVMError, ExecutionResult, HaltReason, InvalidTransaction},
        BlockEnv, CfgEnv, Context, Evm, FrameStack, Journal, TxEnv,
    },
    context_interface::{cfg::gas_params::GasId, ContextTr, JournalTr},
    database::{CacheDB, EmptyDB},
    handler::{
        instructions::EthInstructions, EthFrame, EthPrecompiles, EvmTr, EvmTrError, FrameResult, Handler, ItemOrResult,
        PrecompileProvider,
    },
    inspector::{InspectorEvmTr, InspectorHandler},
    interpreter::{
        interpreter::EthInterpreter,
        interpreter_action::{FrameInit, FrameInput},
        interpreter_types::{Immediates, InputsTr, Jumps, MemoryTr, ReturnData},
        CallInputs, Gas, Instruction, InstructionContext, InstructionExecResult, InstructionResult, InterpreterResult,
    },
    primitives::{hardfork::SpecId, Address, AddressSet, Bytes, U256},
    state::EvmState,
    Inspector, MainContext,
};
use std::{convert::Infallible, marker::PhantomData};

pub type L2Db = CacheDB<EmptyDB>;
pub type L2Context = Context<BlockEnv, TxEnv, CfgEnv, L2Db, Journal<L2Db>, ()>;
pub type L2Evm<I> =
    Evm<L2Context, I, EthInstructions<EthInterpreter, L2Context>, L2Precompiles, EthFrame<EthInterpreter>>;
pub type L2Error = EVMError<Infallible, InvalidTransaction>;

pub const EM: Address = Address::new(layout::EM_ADDRESS);
pub const TRANSPILE_RUNTIME: Address = Address::new(layout::TRANSPILE_RUNTIME_ADDRESS);
pub const TRANSPILE_INIT: Address = Address::new(layout::TRANSPILE_INIT_ADDRESS);
pub const CONTEXT: Address = Address::new(layout::CONTEXT_ADDRESS);
pub const TOUCH: Address = Address::new(layout::TOUCH_ADDRESS);
/// The only account the EM accepts genesis, transactions and dumps from.
pub const SEQUENCER: Address = Address::new(layout::em::SEQUENCER_ADDRESS);

const HEADROOM_LIMIT: usize = layout::NATIVE_STACK_LIMIT + layout::STACK_HEADROOM;

/// The physical configuration: Cancun, no size limits, no 63/64 retention, no fees.
pub fn config() -> CfgEnv {
    let mut cfg = CfgEnv::default();
    cfg.set_spec_and_mainnet_gas_params(SpecId::CANCUN);
    cfg.limit_contract_code_size = Some(usize::MAX);
    // Transpiled initcode is at most MAX_CODE_LEN; the limit is finite so that transpiled CREATE can
    // halt with the native EIP-3860 reason by asking for more.
    cfg.limit_contract_initcode_size = Some(layout::MAX_CODE_LEN);
    cfg.disable_nonce_check = true;
    cfg.gas_params.override_gas([(GasId::call_stipend_reduction(), u64::MAX)]);
    cfg
}

/// Builds the layer-2 EVM over `db` for a physical block with the layer-2 block's number (BLOCKHASH
/// is the EM's: it answers from the block hashes the sequencer recorded).
pub fn build<I>(db: L2Db, number: U256, inspector: I) -> L2Evm<I> {
    let mut block =
        BlockEnv { number, gas_limit: u64::MAX, prevrandao: Some(Default::default()), ..BlockEnv::default() };
    block.set_blob_excess_gas_and_price(0, revm::primitives::eip4844::BLOB_BASE_FEE_UPDATE_FRACTION_CANCUN);
    let mut ctx: L2Context = Context::mainnet().with_db(db).with_cfg(config()).with_block(block);
    ctx.local.shared_memory_buffer = memory_buffer();
    let mut instructions = EthInstructions::new_mainnet_with_spec(SpecId::CANCUN);
    install_headroom(&mut instructions);
    Evm {
        ctx,
        inspector,
        instruction: instructions,
        precompiles: L2Precompiles::new(),
        frame_stack: FrameStack::new_prealloc(8),
    }
}

/// The thread's interpreter memory, reused by every layer-2 transaction it runs: revm empties it
/// after each one but keeps its capacity, so pages touched once are not faulted in again for the
/// next case. A buffer grown past `KEEP` is let go rather than held for the rest of the run.
fn memory_buffer() -> std::rc::Rc<std::cell::RefCell<Vec<u8>>> {
    const KEEP: usize = 64 << 20;
    thread_local! {
        static BUFFER: std::rc::Rc<std::cell::RefCell<Vec<u8>>> = Default::default();
    }
    BUFFER.with(|buffer| {
        let mut memory = buffer.borrow_mut();
        if memory.capacity() > KEEP {
            *memory = Vec::new();
        }
        memory.clear();
        drop(memory);
        buffer.clone()
    })
}

// ------------------------------------------------------------------ instructions (modification 5)

fn install_headroom(table: &mut EthInstructions<EthInterpreter, L2Context>) {
    type H = L2Context;
    let static_gas = revm::interpreter::instructions::gas_table_spec(SpecId::CANCUN);
    macro_rules! push_ops {
        ($($n:literal),*) => { $( table.insert_instruction(0x5f + $n, Instruction::new(push_wide::<$n, H>), static_gas[0x5f + $n]); )* };
    }
    push_ops!(
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
        30, 31, 32
    );
    macro_rules! dup_ops {
        ($($n:literal),*) => { $( table.insert_instruction(0x7f + $n, Instruction::new(dup_wide::<$n, H>), static_gas[0x7f + $n]); )* };
    }
    dup_ops!(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
    table.insert_instruction(0x59, Instruction::new(msize_wide::<H>), static_gas[0x59]);
    table.insert_instruction(0x5a, Instruction::new(gas_wide::<H>), static_gas[0x5a]);
    table.insert_instruction(0x36, Instruction::new(calldatasize_wide::<H>), static_gas[0x36]);
    table.insert_instruction(0x3d, Instruction::new(returndatasize_wide::<H>), static_gas[0x3d]);
    table.insert_instruction(layout::STACKGUARD, Instruction::new(stack_guard::<H>), 2);
    table.insert_instruction(layout::SIZEHALT, Instruction::new(size_halt::<H>), 0);
}

/// SIZEHALT: the frame halts as a constructor returning code over EIP-170's limit does natively.
fn size_halt<H: ?Sized>(_: Ctx<'_, H>) -> InstructionExecResult {
    Err(InstructionResult::CreateContractSizeLimit)
}

type Ctx<'a, H> = InstructionContext<'a, H, EthInterpreter>;

fn push_headroom<H: ?Sized>(ctx: &mut Ctx<'_, H>, value: U256) -> InstructionExecResult {
    let data = ctx.interpreter.stack.data_mut();
    if data.len() >= HEADROOM_LIMIT {
        return Err(InstructionResult::StackOverflow);
    }
    data.push(value);
    Ok(())
}

fn push_wide<const N: usize, H: ?Sized>(mut ctx: Ctx<'_, H>) -> InstructionExecResult {
    let value = if N == 0 { U256::ZERO } else { U256::from_be_slice(ctx.interpreter.bytecode.read_slice(N)) };
    push_headroom(&mut ctx, value)?;
    ctx.interpreter.bytecode.relative_jump(N as isize);
    Ok(())
}

fn dup_wide<const N: usize, H: ?Sized>(mut ctx: Ctx<'_, H>) -> InstructionExecResult {
    let data = ctx.interpreter.stack.data();
    if data.len() < N {
        return Err(InstructionResult::StackUnderflow);
    }
    let value = data[data.len() - N];
    push_headroom(&mut ctx, value)
}

fn msize_wide<H: ?Sized>(mut ctx: Ctx<'_, H>) -> InstructionExecResult {
    let size = U256::from(ctx.interpreter.memory.size());
    push_headroom(&mut ctx, size)
}

fn gas_wide<H: ?Sized>(mut ctx: Ctx<'_, H>) -> InstructionExecResult {
    let gas = U256::from(ctx.interpreter.gas.remaining());
    push_headroom(&mut ctx, gas)
}

fn calldatasize_wide<H: ?Sized>(mut ctx: Ctx<'_, H>) -> InstructionExecResult {
    let size = U256::from(ctx.interpreter.input.input().len());
    push_headroom(&mut ctx, size)
}

fn returndatasize_wide<H: ?Sized>(mut ctx: Ctx<'_, H>) -> InstructionExecResult {
    let size = U256::from(ctx.interpreter.return_data.buffer().len());
    push_headroom(&mut ctx, size)
}

/// STACKGUARD: pops `toggles | n << 32 | MIN << 16 | LIMIT` (see `ovm_transpiler::Guard::word`);
/// the native stack must hold between MIN and LIMIT items. With the top bit of MIN set, a shortfall
/// at a height with an odd number of toggles at or below it is a DUP's, which revm names an overflow.
fn stack_guard<H: ?Sized>(ctx: Ctx<'_, H>) -> InstructionExecResult {
    let Some([word]) = ctx.interpreter.stack.popn::<1>() else {
        return Err(InstructionResult::StackUnderflow);
    };
    let bits = |at: usize, mask: u64| ((word >> at).as_limbs()[0] & mask) as usize;
    let field = |at: usize| bits(at, 0xffff);
    let (limit, min, flagged) = (field(0), field(16) & 0x7fff, field(16) & 0x8000 != 0);
    let height = ctx.interpreter.stack.len();
    if height < min {
        let toggles = if flagged { bits(32, 0xff) } else { 0 };
        let at_or_below = (0..toggles).filter(|k| field(40 + 16 * k) <= height).count();
        return Err(if at_or_below % 2 == 1 {
            InstructionResult::StackOverflow
        } else {
            InstructionResult::StackUnderflow
        });
    }
    if height > limit {
        return Err(InstructionResult::StackOverflow);
    }
    Ok(())
}

// ------------------------------------------------------------------ precompiles (modification 1)

/// Ethereum's precompiles plus the built-ins: the two transpilers and CONTEXT.
#[derive(Debug, Clone)]
pub struct L2Precompiles {
    eth: EthPrecompiles,
    warm: AddressSet,
}

impl L2Precompiles {
    fn new() -> Self {
        let eth = EthPrecompiles::new(SpecId::CANCUN);
        let mut warm = eth.warm_addresses().clone();
        warm.insert(TRANSPILE_RUNTIME);
        warm.insert(TRANSPILE_INIT);
        warm.insert(CONTEXT);
        warm.insert(TOUCH);
        Self { eth, warm }
    }
}

/// Physical gas the CONTEXT built-in charges (it reads 15 transient slots).
const CONTEXT_GAS: u64 = 1500;

/// CONTEXT: the active OVM frame's snapshot, in `ContextWord` order, read from the EM's transient
/// storage; only that frame's code contract gets it (anyone else: failure).
fn context_snapshot<CTX: ContextTr>(context: &mut CTX, inputs: &CallInputs) -> InterpreterResult {
    use layout::em_transient as t;
    let mut gas = Gas::new(inputs.gas_limit);
    let mut read = |key: u64| context.journal_mut().tload(EM, U256::from(key));
    let frames: u64 = read(t::FRAMES).saturating_to();
    let frame = t::FRAME_BASE + t::FRAME_STRIDE * frames.saturating_sub(1);
    let active = frames > 0 && Address::from_word(read(frame + t::F_PHYS).into()) == inputs.caller;
    if !active || !gas.record_regular_cost(CONTEXT_GAS) {
        gas.spend_all();
        return InterpreterResult::new(InstructionResult::PrecompileError, Bytes::new(), gas);
    }
    let keys = [t::F_ADDRESS, t::F_CALLER, t::F_VALUE].map(|field| frame + field).into_iter().chain(t::TX_CONTEXT);
    let mut words: Vec<U256> = keys.map(&mut read).collect();
    words.extend([read(frame + t::F_BUDGET), U256::ZERO]);
    let out: Vec<u8> = words.iter().flat_map(|word| word.to_be_bytes::<32>()).collect();
    InterpreterResult::new(InstructionResult::Return, Bytes::from(out), gas)
}

/// Physical gas the TOUCH built-in charges.
const TOUCH_GAS: u64 = 200;

/// TOUCH: `0x01 || address word` touches that physical account; `0x00 || address word` answers
/// whether it was touched in this physical transaction, as one word. Only the EM may ask. The
/// layer-2 EVM's journal keeps a touch of `0x03` across reverts (revm's rule since the 2016
/// RIPEMD-160 incident), so the EM records an OVM touch of `0x03` as a physical one and reads it back
/// at the end of the transaction, even when the frame that made it reverted.
fn touch<CTX: ContextTr<Journal: JournalTr<State = EvmState>>>(
    context: &mut CTX,
    inputs: &CallInputs,
) -> InterpreterResult {
    let mut gas = Gas::new(inputs.gas_limit);
    let input = inputs.input.bytes(context);
    let request = match (input.len(), input.first()) {
        (33, Some(&op @ (0 | 1))) => Some((op, Address::from_word(alloy_primitives::B256::from_slice(&input[1..])))),
        _ => None,
    };
    let Some((op, address)) = request.filter(|_| inputs.caller == EM && gas.record_regular_cost(TOUCH_GAS)) else {
        gas.spend_all();
        return InterpreterResult::new(InstructionResult::PrecompileError, Bytes::new(), gas);
    };
    let journal = context.journal_mut();
    let output = if op == 1 {
        if journal.load_account(address).is_err() {
            gas.spend_all();
            return InterpreterResult::new(InstructionResult::PrecompileError, Bytes::new(), gas);
        }
        journal.touch_account(address);
        Bytes::new()
    } else {
        let touched = journal.evm_state().get(&address).is_some_and(|account| account.is_touched());
        Bytes::from(U256::from(touched as u8).to_be_bytes_vec())
    };
    InterpreterResult::new(InstructionResult::Return, output, gas)
}

/// `transpile`, remembering the thread's recent results: the same constructor and runtime code is
/// often deployed again and again (by loops, by the cases of one test).
fn transpile_cached(code: Bytes, mode: Mode) -> Result<Bytes, ovm_transpiler::TranspileError> {
    type Recent = std::collections::VecDeque<((Mode, Bytes), Result<Bytes, ovm_transpiler::TranspileError>)>;
    const KEEP: usize = 16;
    thread_local! {
        static RECENT: std::cell::RefCell<Recent> = const { std::cell::RefCell::new(Recent::new()) };
    }
    let key = (mode, code);
    if let Some(hit) = RECENT.with(|r| r.borrow().iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone())) {
        return hit;
    }
    let result = transpile(&key.1, mode).map(|t| Bytes::from(t.code));
    RECENT.with(|r| {
        let mut recent = r.borrow_mut();
        if recent.len() == KEEP {
            recent.pop_front();
        }
        recent.push_back((key, result.clone()));
    });
    result
}

/// Physical gas a built-in charges: a base plus a per-byte cost, so that transpiling is not free.
fn builtin_gas(len: usize) -> u64 {
    3000 + 30 * len as u64
}

impl<CTX: ContextTr<Journal: JournalTr<State = EvmState>>> PrecompileProvider<CTX> for L2Precompiles {
    type Output = InterpreterResult;

    fn set_spec(&mut self, spec: <CTX::Cfg as revm::context_interface::Cfg>::Spec) -> bool {
        <EthPrecompiles as PrecompileProvider<CTX>>::set_spec(&mut self.eth, spec)
    }

    fn run(&mut self, context: &mut CTX, inputs: &CallInputs) -> Result<Option<InterpreterResult>, String> {
        let mode = match inputs.bytecode_address {
            a if a == TRANSPILE_RUNTIME => Mode::Runtime,
            a if a == TRANSPILE_INIT => Mode::Init,
            a if a == CONTEXT => return Ok(Some(context_snapshot(context, inputs))),
            a if a == TOUCH => return Ok(Some(touch(context, inputs))),
            _ => return self.eth.run(context, inputs),
        };
        let code = inputs.input.bytes(context);
        let mut gas = Gas::new(inputs.gas_limit);
        let (result, output) = match transpile_cached(code.clone(), mode) {
            Ok(transpiled) if gas.record_regular_cost(builtin_gas(code.len())) => {
                (InstructionResult::Return, transpiled)
            }
            Ok(_) => (InstructionResult::PrecompileOOG, Bytes::new()),
            Err(_) => (InstructionResult::PrecompileError, Bytes::new()),
        };
        if result.is_halt() {
            gas.spend_all();
        }
        Ok(Some(InterpreterResult::new(result, output, gas)))
    }

    fn warm_addresses(&self) -> &AddressSet {
        &self.warm
    }

    fn contains(&self, address: &Address) -> bool {
        self.warm.contains(address)
    }
}

// ------------------------------------------------------------------ handler (modification 3)

/// Mainnet's handler, except that no frame is ever deeper than 1 as far as revm's own limit
/// (1024 frames) is concerned: one OVM call is two or three physical frames, and the EM counts OVM depth.
/// It also records how the top OVM frame ended (revm reports a frame's end reason only to the
/// handler and inspectors), so that a run needs no inspector.
pub struct L2Handler<EVM, ERROR> {
    top: TopFrame,
    _types: PhantomData<(EVM, ERROR)>,
}

/// Watches for the top OVM frame: the first frame the EM opens that is not the EM itself or a
/// transpiler built-in, and records how it ended.
#[derive(Default)]
struct TopFrame {
    open: Vec<bool>,
    seen: bool,
    result: Option<InstructionResult>,
    /// The top frame ended with STOP: its trailer has `METER_STOPPED_BIT` set.
    stopped: bool,
    /// The top frame is a precompile (a transaction to one): its output has no meter trailer.
    precompile: bool,
}

/// Cancun's precompiles, 0x01..=0x0a, which the EM calls physically.
fn is_precompile(address: Address) -> bool {
    address.0[..19].iter().all(|&b| b == 0) && (1..=0x0a).contains(&address.0[19])
}

impl TopFrame {
    fn enter(&mut self, input: &FrameInput) {
        // The code that runs: a precompile called by DELEGATECALL keeps the EM as its target.
        let (caller, target) = match input {
            FrameInput::Call(call) => (call.caller, Some(call.bytecode_address)),
            FrameInput::Create(create) => (create.caller(), None),
            FrameInput::Empty => (Address::ZERO, None),
        };
        let is_top = !self.seen
            && caller == EM
            && target.is_none_or(|t| t != EM && t != TRANSPILE_INIT && t != TRANSPILE_RUNTIME && t != TOUCH);
        self.seen |= is_top;
        if is_top {
            self.precompile = target.is_some_and(is_precompile);
        }
        self.open.push(is_top);
    }

    fn leave(&mut self, result: &FrameResult) {
        if self.open.pop() == Some(true) {
            let interpreted = result.interpreter_result();
            self.result = Some(interpreted.result);
            let trailer = interpreted.output.len().checked_sub(layout::METER_TRAILER_LEN);
            let flag_byte = 31 - layout::METER_STOPPED_BIT as usize / 8;
            self.stopped = !self.precompile && trailer.is_some_and(|at| interpreted.output[at + flag_byte] & 0x80 != 0);
        }
    }
}

impl<EVM, ERROR> Default for L2Handler<EVM, ERROR> {
    fn default() -> Self {
        Self { top: TopFrame::default(), _types: PhantomData }
    }
}

fn shallow(mut init: FrameInit) -> FrameInit {
    init.depth = init.depth.min(1);
    init
}

impl<EVM, ERROR> Handler for L2Handler<EVM, ERROR>
where
    EVM: EvmTr<Context: ContextTr<Journal: JournalTr<State = EvmState>>, Frame = EthFrame<EthInterpreter>>,
    ERROR: EvmTrError<EVM>,
{
    type Evm = EVM;
    type Error = ERROR;
    type HaltReason = HaltReason;

    fn run_exec_loop(&mut self, evm: &mut EVM, first: FrameInit) -> Result<FrameResult, ERROR> {
        let init = |evm: &mut EVM, init| Ok(finished(evm.frame_init(init)?));
        exec_loop(&mut self.top, evm, first, init, |evm| Ok(evm.frame_run()?))
    }
}

/// Modification 8: a nested frame's exceptional halt returns to its caller as a revert without
/// output, so the caller gets the frame's unused physical gas back. Native gas is the meter's and
/// the EM's business; physical gas only bounds work, and a halting frame must not take its caller's
/// share with it (ARCHITECTURE.md, "Physical gas"). Out-of-gas halts have nothing left anyway.
fn keep_unused_gas(mut result: FrameResult) -> FrameResult {
    let interpreted = result.interpreter_result_mut();
    if interpreted.result.is_halt() {
        interpreted.result = InstructionResult::Revert;
        interpreted.output = Bytes::new();
    }
    result
}

/// The result of a frame that ended as soon as it was initialized (a precompile, a failed call).
fn finished<F>(init: ItemOrResult<F, FrameResult>) -> Option<FrameResult> {
    match init {
        ItemOrResult::Item(_) => None,
        ItemOrResult::Result(result) => Some(result),
    }
}

/// The frame loop of both handlers (the inspecting one initializes and runs frames through the
/// inspector): every frame kept shallow, the top OVM frame watched.
fn exec_loop<EVM, ERROR>(
    top: &mut TopFrame,
    evm: &mut EVM,
    first: FrameInit,
    init: impl Fn(&mut EVM, FrameInit) -> Result<Option<FrameResult>, ERROR>,
    run: impl Fn(&mut EVM) -> Result<ItemOrResult<FrameInit, FrameResult>, ERROR>,
) -> Result<FrameResult, ERROR>
where
    EVM: EvmTr<Context: ContextTr<Journal: JournalTr<State = EvmState>>, Frame = EthFrame<EthInterpreter>>,
    ERROR: EvmTrError<EVM>,
{
    top.enter(&first.frame_input);
    if let Some(result) = init(evm, first)? {
        top.leave(&result);
        return Ok(result);
    }
    loop {
        let result = match run(evm)? {
            ItemOrResult::Item(next) => {
                top.enter(&next.frame_input);
                match init(evm, shallow(next))? {
                    None => continue,
                    Some(result) => result,
                }
            }
            ItemOrResult::Result(result) => result,
        };
        top.leave(&result);
        let result = if top.open.is_empty() { result } else { keep_unused_gas(result) };
        if let Some(result) = evm.frame_return_result(result)? {
            return Ok(result);
        }
    }
}

impl<EVM, ERROR> InspectorHandler for L2Handler<EVM, ERROR>
where
    EVM: InspectorEvmTr<
        Context: ContextTr<Journal: JournalTr<State = EvmState>>,
        Frame = EthFrame<EthInterpreter>,
        Inspector: Inspector<<EVM as EvmTr>::Context, EthInterpreter>,
    >,
    ERROR: EvmTrError<EVM>,
{
    type IT = EthInterpreter;

    fn inspect_run_exec_loop(&mut self, evm: &mut EVM, first: FrameInit) -> Result<FrameResult, ERROR> {
        let init = |evm: &mut EVM, init| Ok(finished(evm.inspect_frame_init(init)?));
        exec_loop(&mut self.top, evm, first, init, |evm| Ok(evm.inspect_frame_run()?))
    }
}

/// A committed physical transaction: its result, and how the top OVM frame in it ended (if any).
pub struct PhysicalRun {
    pub result: ExecutionResult,
    pub top_frame: Option<InstructionResult>,
    /// The top OVM frame ended with STOP (rather than RETURN).
    pub top_stopped: bool,
}

/// What becomes of a physical transaction's state changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Changes {
    Commit,
    /// A read-only request (the dump): nothing to write back.
    Discard,
}

/// Runs one sequencer transaction to the EM; with `inspect`, the EVM's inspector watches (slower:
/// every instruction is reported to it).
pub fn sequencer_call<I>(
    evm: &mut L2Evm<I>,
    data: Bytes,
    gas_limit: u64,
    inspect: bool,
    changes: Changes,
) -> Result<PhysicalRun, L2Error>
where
    I: Inspector<L2Context, EthInterpreter>,
{
    physical_call(evm, SEQUENCER, EM, data, gas_limit, inspect, changes)
}

/// Runs one physical transaction from `caller` to `to`.
pub fn physical_call<I>(
    evm: &mut L2Evm<I>,
    caller: Address,
    to: Address,
    data: Bytes,
    gas_limit: u64,
    inspect: bool,
    changes: Changes,
) -> Result<PhysicalRun, L2Error>
where
    I: Inspector<L2Context, EthInterpreter>,
{
    use revm::{context::ContextSetters, DatabaseCommit};
    let tx = TxEnv {
        caller,
        kind: revm::primitives::TxKind::Call(to),
        data,
        gas_limit,
        gas_price: 0,
        chain_id: Some(1),
        ..TxEnv::default()
    };
    evm.ctx.set_tx(tx);
    let mut handler = L2Handler::<_, L2Error>::default();
    let result = if inspect { handler.inspect_run(evm) } else { handler.run(evm) };
    let state = evm.ctx.journal_mut().finalize();
    if result.is_ok() && changes == Changes::Commit {
        evm.ctx.db_mut().commit(state);
    }
    result.map(|result| PhysicalRun { result, top_frame: handler.top.result, top_stopped: handler.top.stopped })
}
