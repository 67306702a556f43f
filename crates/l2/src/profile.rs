//! Where a layer-2 run's physical work goes: requests to the EM by op, the EM instructions each
//! kind costs, the instructions of transpiled code, and the physical calls by kind. This is what
//! `cargo xtask em-profile` adds up over the vectors; it is how the EM's hot paths are found.

use crate::{CONTEXT, EM, TOUCH, TRANSPILE_INIT, TRANSPILE_RUNTIME};
use revm::{
    context_interface::{ContextTr, LocalContextTr},
    interpreter::{
        interpreter::EthInterpreter, interpreter_types::InputsTr, CallInput, CallInputs, CallOutcome, Interpreter,
    },
    precompile::Precompiles,
    Inspector,
};
use std::{cell::RefCell, collections::BTreeMap, rc::Rc};

/// Counts of one layer-2 run, or of many added together.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestProfile {
    /// Per request op byte (flags included): requests made, and EM instructions executed for them
    /// (excluding the requests and code they call in turn).
    pub requests: BTreeMap<u8, OpCost>,
    /// Instructions executed by the EM, in all.
    pub em_instructions: u64,
    /// Instructions executed by transpiled code (code contracts), in all.
    pub code_instructions: u64,
    /// Physical calls to the EM, to the built-ins, to Ethereum's precompiles, to code contracts.
    pub calls: CallCounts,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpCost {
    pub requests: u64,
    pub em_instructions: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallCounts {
    pub em: u64,
    pub built_ins: u64,
    pub precompiles: u64,
    pub code: u64,
}

impl RequestProfile {
    pub fn add(&mut self, other: &RequestProfile) {
        for (&op, cost) in &other.requests {
            let mine = self.requests.entry(op).or_default();
            mine.requests += cost.requests;
            mine.em_instructions += cost.em_instructions;
        }
        self.em_instructions += other.em_instructions;
        self.code_instructions += other.code_instructions;
        self.calls.em += other.calls.em;
        self.calls.built_ins += other.calls.built_ins;
        self.calls.precompiles += other.calls.precompiles;
        self.calls.code += other.calls.code;
    }
}

/// The inspector that fills a [`RequestProfile`] (shared, so the caller reads it after the run
/// has consumed the inspector). An EM frame's instructions count for the op of the request it
/// serves.
pub(crate) struct Profiler {
    profile: Rc<RefCell<RequestProfile>>,
    /// The request op of each open physical call frame (`None`: not a request).
    open: Vec<Option<u8>>,
}

impl Profiler {
    pub(crate) fn new(profile: Rc<RefCell<RequestProfile>>) -> Self {
        Profiler { profile, open: Vec::new() }
    }
}

/// The first byte of a call's input (a request's op), without copying the rest: a request can
/// carry a megabyte of arguments.
fn first_input_byte<CTX: ContextTr>(context: &CTX, input: &CallInput) -> Option<u8> {
    match input {
        CallInput::Bytes(bytes) => bytes.first().copied(),
        CallInput::SharedBuffer(range) => {
            context.local().shared_memory_buffer_slice(range.start..range.end.min(range.start + 1))?.first().copied()
        }
    }
}

impl<CTX: ContextTr> Inspector<CTX> for Profiler {
    fn step(&mut self, interp: &mut Interpreter<EthInterpreter>, _context: &mut CTX) {
        let mut profile = self.profile.borrow_mut();
        if interp.input.bytecode_address() != Some(&EM) {
            profile.code_instructions += 1;
            return;
        }
        profile.em_instructions += 1;
        if let Some(Some(op)) = self.open.last() {
            profile.requests.entry(*op).or_default().em_instructions += 1;
        }
    }

    fn call(&mut self, context: &mut CTX, inputs: &mut CallInputs) -> Option<CallOutcome> {
        let target = inputs.bytecode_address;
        let mut profile = self.profile.borrow_mut();
        let calls = &mut profile.calls;
        let op = if target == EM {
            calls.em += 1;
            first_input_byte(context, &inputs.input)
        } else {
            if [TRANSPILE_RUNTIME, TRANSPILE_INIT, CONTEXT, TOUCH].contains(&target) {
                calls.built_ins += 1;
            } else if Precompiles::cancun().contains(&target) {
                calls.precompiles += 1;
            } else {
                calls.code += 1;
            }
            None
        };
        if let Some(op) = op {
            profile.requests.entry(op).or_default().requests += 1;
        }
        self.open.push(op);
        None
    }

    fn call_end(&mut self, _context: &mut CTX, _inputs: &CallInputs, _outcome: &mut CallOutcome) {
        self.open.pop();
    }
}
