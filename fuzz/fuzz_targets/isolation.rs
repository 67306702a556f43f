//! Adversarial layer-2 code against the ExecutionManager's isolation.
//!
//! Two kinds of input (`Input`):
//!
//! - **Probe**: a sequence of physical calls the fuzzer picks. Some are physical transactions with no
//!   OVM frame active (from a stranger, a frame's code contract or the sequencer, to the EM with any
//!   op byte and payload, to CONTEXT, TOUCH or the transpile built-ins); the others are made while an
//!   OVM frame is active, by a hand-written code contract (the *probe*, generated from the input) that
//!   makes each call itself or through a forwarder: a stranger, an inactive frame's code contract, or
//!   code at the sequencer's address. A call that must fail and succeeds is a crash:
//!     * to the EM from anyone but the sequencer with no frame active; from the sequencer, an inner
//!       entry (`OP_INNER_*`) or anything that is not a sequencer entry;
//!     * while a frame is active, to the EM or CONTEXT from anyone but the active frame's code; from
//!       the active frame's code, a sequencer entry or an inner entry;
//!     * to CONTEXT with no frame active; to TOUCH from anyone (only the EM may use it).
//!
//!   The transpile built-ins answer anyone, with exactly `ovm_transpiler::transpile`'s output.
//!
//! - **Code**: raw bytes run as layer-2 code (transpiled, as a genesis account's code or as a
//!   creation's init code) in one transaction, next to a victim contract that cannot write anything
//!   and an EOA. After it: the transaction was executed (the EM's entry never fails); the victim's
//!   storage, nonce and code and the EOA's are untouched, their balances only grew; no ether was
//!   created; physically, no account but the EM has storage or a balance, and every physical account
//!   with code other than the EM holds transpiled code (a transpiled header).
#![no_main]

use alloy_primitives::{Address, Bytes, U256};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ovm_backend::TxOutcome;
use ovm_l2::{
    testing::{tx_request, Code, PhysicalChain, EMPTY_HEADER},
    CONTEXT, EM, SEQUENCER, TOUCH, TRANSPILE_INIT, TRANSPILE_RUNTIME,
};
use ovm_transpiler::{
    layout::{self, em},
    transpile, Mode,
};
use std::collections::BTreeMap;

use ovm_l2::testing::probe_world::{self, INACTIVE, INACTIVE_CODE, PROBED, PROBE_CODE, SENDER, STRANGER};
const VICTIM: Address = Address::repeat_byte(0x33);
const PEER: Address = Address::repeat_byte(0x44);

/// The first word of the probe's reply, so that a reply from anything else is never read as flags.
const MARKER: u64 = 0x1501_a710;
/// Payload bytes the probe can hold in memory (target word at 0, payload from 0x20, reply at 0x300).
const MAX_PAYLOAD: usize = 0x2e0;
const MAX_STEPS: usize = 24;
/// Physical gas of a top-level call: enough for any legitimate request of these sizes, and little
/// enough that a sequencer request with a huge count word (hashing or copying until the gas runs out)
/// stays fast.
const TOP_GAS: u64 = 1 << 24;

const SEQUENCER_OPS: [u8; 6] =
    [em::OP_GENESIS, em::OP_TRANSACTION, em::OP_DUMP, em::OP_BLOCK_HASHES, em::OP_SYSTEM_CALL, em::OP_CREDIT];
const INNER_OPS: [u8; 3] = [em::OP_INNER_CALL, em::OP_INNER_CREATE, em::OP_INNER_DEPLOY];
/// The EM's op ids, for the fuzzer to pick from (it may also pick any byte).
const OPS: &[u8] = &[
    layout::OP_SLOAD,
    layout::OP_SSTORE,
    layout::OP_TLOAD,
    layout::OP_TSTORE,
    layout::OP_BALANCE,
    layout::OP_SELFBALANCE,
    layout::OP_EXTCODESIZE,
    layout::OP_EXTCODEHASH,
    layout::OP_EXTCODECOPY,
    layout::OP_BLOCKHASH,
    layout::OP_BLOBHASH,
    layout::OP_LOG0,
    layout::OP_LOG0 + 4,
    layout::OP_CALL,
    layout::OP_CALLCODE,
    layout::OP_DELEGATECALL,
    layout::OP_STATICCALL,
    layout::OP_CREATE,
    layout::OP_CREATE2,
    layout::OP_SELFDESTRUCT,
    layout::OP_RETURNDATACOPY,
    layout::OP_REPORT_METER,
    layout::OP_CALL | layout::OP_KEEP_RETURN_DATA,
    em::OP_INNER_CALL,
    em::OP_INNER_CREATE,
    em::OP_INNER_DEPLOY,
    em::OP_GENESIS,
    em::OP_TRANSACTION,
    em::OP_DUMP,
    em::OP_BLOCK_HASHES,
    em::OP_SYSTEM_CALL,
    em::OP_CREDIT,
];

#[derive(Arbitrary, Debug)]
enum Input {
    Probe { before: Vec<TopCall>, steps: Vec<Step>, after: Vec<TopCall> },
    Code { create: bool, code: Vec<u8>, data: Vec<u8>, value: u8 },
}

/// Who sends a physical transaction.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Caller {
    Stranger,
    ProbeCode,
    InactiveCode,
    Sequencer,
    Anyone(u8),
}

impl Caller {
    fn address(self) -> Address {
        match self {
            Caller::Stranger => STRANGER,
            Caller::ProbeCode => PROBE_CODE,
            Caller::InactiveCode => INACTIVE_CODE,
            Caller::Sequencer => SEQUENCER,
            Caller::Anyone(b) => Address::repeat_byte(b),
        }
    }
}

/// Through whom the probe makes a call while its frame is active.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq)]
enum Via {
    Itself,
    Stranger,
    InactiveCode,
    Sequencer,
}

#[derive(Arbitrary, Debug)]
enum Op {
    Known(u8),
    Any(u8),
}

/// A payload word: mostly words the EM reads meaningfully.
#[derive(Arbitrary, Debug)]
enum Word {
    Zero,
    Small(u8),
    Account(u8),
    Max,
    Any([u8; 32]),
}

impl Word {
    fn bytes(&self) -> [u8; 32] {
        let accounts = [PROBED, INACTIVE, SENDER, STRANGER, PROBE_CODE, INACTIVE_CODE, SEQUENCER, EM, CONTEXT, TOUCH];
        match self {
            Word::Zero => [0; 32],
            Word::Small(v) => U256::from(*v).to_be_bytes(),
            Word::Account(i) => accounts[*i as usize % accounts.len()].into_word().0,
            Word::Max => [0xff; 32],
            Word::Any(w) => *w,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Target {
    Em { op: Op, words: Vec<Word>, tail: Vec<u8> },
    Context(Vec<u8>),
    Touch(Vec<u8>),
    Transpile { init: bool, code: Vec<u8> },
}

impl Target {
    fn address(&self) -> Address {
        match self {
            Target::Em { .. } => EM,
            Target::Context(_) => CONTEXT,
            Target::Touch(_) => TOUCH,
            Target::Transpile { init: false, .. } => TRANSPILE_RUNTIME,
            Target::Transpile { init: true, .. } => TRANSPILE_INIT,
        }
    }

    fn op(&self) -> Option<u8> {
        match self {
            Target::Em { op: Op::Known(i), .. } => Some(OPS[*i as usize % OPS.len()]),
            Target::Em { op: Op::Any(b), .. } => Some(*b),
            _ => None,
        }
    }

    fn payload(&self) -> Vec<u8> {
        let mut out = match self {
            Target::Em { words, tail, .. } => {
                let mut out = vec![self.op().unwrap_or_default()];
                words.iter().for_each(|w| out.extend_from_slice(&w.bytes()));
                out.extend_from_slice(tail);
                out
            }
            Target::Context(data) | Target::Touch(data) => data.clone(),
            Target::Transpile { code, .. } => code.clone(),
        };
        out.truncate(MAX_PAYLOAD);
        out
    }
}

#[derive(Arbitrary, Debug)]
struct TopCall {
    caller: Caller,
    target: Target,
}

#[derive(Arbitrary, Debug)]
struct Step {
    via: Via,
    target: Target,
}

fuzz_target!(|input: Input| match input {
    Input::Probe { before, steps, after } => probe_run(&before, &steps, &after),
    Input::Code { create, code, data, value } => code_run(create, &code, &data, value),
});

/// A physical transaction with no frame active; fails the run if a call that must fail succeeded.
fn top_call(chain: &mut PhysicalChain, call: &TopCall) {
    let caller = call.caller.address();
    let payload = call.target.payload();
    let run = chain.physical(caller, call.target.address(), &payload, TOP_GAS);
    let ok = run.result.is_success();
    match &call.target {
        Target::Em { .. } => {
            let op = call.target.op().unwrap_or_default();
            let allowed = caller == SEQUENCER && SEQUENCER_OPS.contains(&op);
            assert!(allowed || !ok, "no frame active: EM op {op:#04x} from {caller} succeeded: {:?}", run.result);
        }
        Target::Context(_) => assert!(!ok, "no frame active: CONTEXT answered {caller}: {:?}", run.result),
        Target::Touch(_) => assert!(!ok, "TOUCH answered {caller}: {:?}", run.result),
        Target::Transpile { init, .. } => {
            let mode = if *init { Mode::Init } else { Mode::Runtime };
            let expected = transpile(&payload, mode).map(|t| t.code);
            match (&run.result, expected) {
                (r, Ok(code)) if r.is_success() => {
                    assert_eq!(r.output().map(|o| o.as_ref()), Some(&code[..]), "the built-in is the transpiler")
                }
                (r, Ok(_)) => panic!("the transpile built-in refused {caller}: {r:?}"),
                (r, Err(e)) => assert!(!r.is_success(), "the built-in transpiled what the transpiler refuses: {e}"),
            }
        }
    }
}

/// What a step may do: `false` if it must fail.
fn may_succeed(step: &Step) -> bool {
    match (&step.target, step.via) {
        (Target::Transpile { .. }, _) => true,
        (Target::Touch(_), _) => false,
        (Target::Context(_), via) => via == Via::Itself,
        (Target::Em { .. }, Via::Itself) => {
            let op = step.target.op().unwrap_or_default();
            !SEQUENCER_OPS.contains(&op) && !INNER_OPS.contains(&op)
        }
        // The sequencer's entries refuse to run while a transaction's frame is active (found by
        // this target: OP_CREDIT once succeeded from code at the sequencer's address mid-frame).
        (Target::Em { .. }, _) => false,
    }
}

/// The probe: `MARKER`, then for each step its success flag, then the meter trailer (0).
fn probe(steps: &[Step]) -> Bytes {
    const CALL: u8 = 0xf1;
    const MSTORE: u8 = 0x52;
    let mut code = Code::default().op(&EMPTY_HEADER);
    code = code.push(MARKER).push(0x400).op(&[MSTORE]);
    let mut slot = 0x420u64;
    for step in steps {
        let payload = step.target.payload();
        let target = step.target.address();
        for (i, byte) in payload.iter().enumerate() {
            code = code.push(u64::from(*byte)).push(0x20 + i as u64).op(&[0x53]);
            // MSTORE8
        }
        let len = payload.len() as u64;
        match step.via {
            Via::Itself => {
                // CALL(1M, target, 0, 0x20, len, 0, 0)
                code = code.op(&[0x5f, 0x5f]).push(len).push(0x20).op(&[0x5f]).address(target);
                code = code.push(1_000_000).op(&[CALL]).push(slot).op(&[MSTORE]);
            }
            via => {
                let via = match via {
                    Via::Stranger => STRANGER,
                    Via::InactiveCode => INACTIVE_CODE,
                    _ => SEQUENCER,
                };
                // Target word at 0, reply word at 0x300 cleared; CALL(2M, via, 0, 0, 32 + len, 0x300, 32)
                code = code.address(target).op(&[0x5f, MSTORE]).op(&[0x5f]).push(0x300).op(&[MSTORE]);
                code = code.push(32).push(0x300).push(32 + len).op(&[0x5f, 0x5f]).address(via);
                code = code.push(2_000_000).op(&[CALL, 0x50]);
                code = code.push(0x300).op(&[0x51]).push(slot).op(&[MSTORE]);
            }
        }
        slot += 32;
    }
    // RETURN(0x400, marker + flags + the trailer word, which is zero: a meter of 0)
    code.push(slot - 0x400 + 32).push(0x400).op(&[0xf3]).bytes()
}

fn probe_run(before: &[TopCall], steps: &[Step], after: &[TopCall]) {
    let steps = &steps[..steps.len().min(MAX_STEPS)];
    let mut chain = probe_world::chain(probe(steps));
    before.iter().take(MAX_STEPS).for_each(|call| top_call(&mut chain, call));

    let tx = tx_request(SENDER, Some(PROBED), Bytes::new(), U256::ZERO, 10_000_000);
    let mut tx = tx;
    // The sender's nonce may have moved if the fuzzer's own sequencer requests ran transactions.
    if let Ok(state) = chain.dump() {
        tx.nonce = U256::from(state.get(&SENDER).map_or(0, |a| a.nonce));
    }
    if let Ok(TxOutcome::Executed(execution)) = chain.transact(&tx) {
        let words: Vec<&[u8]> = execution.output.chunks(32).collect();
        let marked = words.first().is_some_and(|w| U256::from_be_slice(w) == U256::from(MARKER));
        // The EM takes the meter trailer off the reply.
        if marked && words.len() > steps.len() {
            for (i, step) in steps.iter().enumerate() {
                let ok = words[i + 1].iter().any(|&b| b != 0);
                assert!(
                    !ok || may_succeed(step),
                    "while the probe's frame was active, step {i} succeeded: {step:?} (payload {:02x?})",
                    step.target.payload()
                );
            }
        }
    }
    after.iter().take(MAX_STEPS).for_each(|call| top_call(&mut chain, call));
}

fn code_run(create: bool, code: &[u8], data: &[u8], value: u8) {
    let account = |balance: u64, nonce: u64, code: &[u8], storage: &[(u64, u64)]| ovm_fixture::AccountInfo {
        balance: U256::from(balance),
        nonce,
        code: Bytes::copy_from_slice(code),
        storage: storage.iter().map(|(k, v)| (U256::from(*k), U256::from(*v))).collect(),
    };
    let target_code = if create { &[][..] } else { code };
    let pre: BTreeMap<Address, ovm_fixture::AccountInfo> = [
        (SENDER, account(1_000_000_000_000, 0, &[], &[])),
        (PROBED, account(1_000, 0, target_code, &[(1, 1)])),
        // PUSH1 0 SLOAD POP STOP: reads, cannot write anything.
        (VICTIM, account(1_000_000, 1, &[0x60, 0x00, 0x54, 0x50, 0x00], &[(0, 0x42), (7, 9)])),
        (PEER, account(5, 0, &[], &[])),
    ]
    .into_iter()
    .collect();
    let mut chain = PhysicalChain::from_pre(&pre).expect("genesis through the EM");
    let before = chain.dump().expect("the dump");

    let to = (!create).then_some(PROBED);
    let input = if create { code } else { data };
    let tx = tx_request(SENDER, to, Bytes::copy_from_slice(input), U256::from(value), 2_000_000);
    let outcome = chain.transact(&tx).expect("the EM's transaction entry never fails");
    // Intrinsic gas of a long input may exceed the limit; anything else is executed.
    if let TxOutcome::Rejected { kind, .. } = &outcome {
        assert!(kind.contains("INTRINSIC_GAS") || kind.contains("INITCODE"), "rejected: {outcome:?}");
    }
    let after = chain.dump().expect("the dump");

    for who in [VICTIM, PEER] {
        let (b, a) = (&before[&who], after.get(&who).unwrap_or_else(|| panic!("{who} vanished")));
        assert_eq!(b.storage, a.storage, "{who}'s storage changed without a frame of its own");
        assert_eq!(b.nonce, a.nonce, "{who}'s nonce changed");
        assert_eq!(b.code, a.code, "{who}'s code changed");
        assert!(a.balance >= b.balance, "{who}'s balance fell");
    }
    let sender = &after[&SENDER];
    assert!(sender.code.is_empty() && sender.storage.is_empty(), "the sender gained code or storage");
    let total = |s: &ovm_backend::PostState| s.values().fold(U256::ZERO, |t, a| t.saturating_add(a.balance));
    assert!(total(&after) <= total(&before), "ether was created: {} > {}", total(&after), total(&before));

    // Physically, layer-2 state lives only in the EM.
    for (address, account) in &chain.db().cache.accounts {
        if *address == EM {
            continue;
        }
        let storage = account.storage.iter().filter(|(_, v)| !v.is_zero()).count();
        assert_eq!(storage, 0, "physical account {address} has storage");
        assert!(account.info.balance.is_zero(), "physical account {address} has a balance");
        if let Some(code) = &account.info.code {
            let bytes = code.original_byte_slice();
            assert!(
                bytes.is_empty() || ovm_transpiler::read_header(bytes).is_some(),
                "physical account {address} holds code that was not transpiled"
            );
        }
    }
}
