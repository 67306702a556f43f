//! Traces of a layer-2 run that a reader (or a trace-diffing tool) follows in the *original*
//! program.
//!
//! - [`Eip3155Tracer`]: one EIP-3155 line per *original* instruction that runs, emitted where its
//!   translation starts (its `pc_map` point), where the physical stack is the original stack and
//!   physical memory past `S` is the original memory. So `pc`, `op`, `opName`, `stack`, `memSize`
//!   and `depth` (OVM frames, not physical ones) read as the native trace's do, and the two traces
//!   diff line by line. `gas` is what the meter says native gas is there: the meter plus what its
//!   segment charge prepaid (`Transpiled::meter_ahead`); `gasCost` is the difference to the next line
//!   of the same frame (the static cost for a frame's last line, or one followed by a callee's);
//!   `refund` is 0, since the meter keeps none. The physical detail rides along in `physPc` and
//!   `codeContract`.
//! - [`PhysicalTracer`]: one line per *physical* instruction of transpiled code (prologue and
//!   routines included, with `pc` null outside the body), for debugging the transpiler.
//!
//! The EM's own steps appear in neither: they are the machine, not the program.

use crate::EM;
use alloy_primitives::Address;
use ovm_transpiler::{
    layout::{ContextWord, S},
    opcodes::{min_gas, JUMPDEST, PUSH0, STOP},
    read_header, transpile, Mode,
};
use revm::{
    bytecode::OpCode,
    context_interface::{ContextTr, JournalTr},
    interpreter::{
        interpreter::EthInterpreter,
        interpreter_types::{InputsTr, Jumps, MemoryTr},
        CallInputs, CallOutcome, Interpreter,
    },
    primitives::U256,
    Inspector,
};
use std::{collections::HashMap, io::Write, rc::Rc};

/// What the tracers need to know about one code contract's transpiled code.
struct PcMap {
    body_end: usize,
    /// (original pc, physical pc), strictly ascending in both: `Transpiled::pc_map`, then the
    /// padding STOP at `fall_off_end`.
    pairs: Vec<(u32, u32)>,
    /// Per pair: what the meter has prepaid there (see `Transpiled::meter_ahead`).
    meter_ahead: Vec<u64>,
    /// Per pair: the original opcode.
    opcodes: Vec<u8>,
    /// Per pair: the value a PUSH just before the instruction left on top of the stack. The
    /// transpiler may have pushed a transformed value instead (a relocated memory offset, a physical
    /// jump target), which the original program never sees. Only a JUMPDEST can be entered other
    /// than from the instruction before it, and none of these is one.
    pushed: Vec<Option<U256>>,
}

impl PcMap {
    /// The map of a code contract, if its code is transpiled code (runtime or init mode).
    fn of(code: &[u8]) -> Option<Self> {
        let (start, len) = read_header(code)?;
        let original = code.get(start..start.checked_add(len)?)?;
        [Mode::Runtime, Mode::Init].into_iter().find_map(|mode| {
            let transpiled = transpile(original, mode).ok()?;
            (transpiled.code == code).then(|| {
                // revm runs the STOP that pads the original code when a run falls off its end (an
                // empty constructor's whole run): so does this trace, where the body goes on then.
                let mut pairs = transpiled.pc_map;
                pairs.push((len as u32, transpiled.fall_off_end));
                let mut meter_ahead = transpiled.meter_ahead;
                meter_ahead.push(0);
                let opcodes: Vec<u8> =
                    pairs.iter().map(|&(pc, _)| original.get(pc as usize).copied().unwrap_or(STOP)).collect();
                let pushed = (0..opcodes.len())
                    .map(|i| {
                        let previous = *opcodes.get(i.checked_sub(1)?)?;
                        let immediate = 1 + usize::from(previous.checked_sub(PUSH0)?);
                        let after = pairs[i - 1].0 as usize + 1;
                        (opcodes[i] != JUMPDEST && immediate <= 33)
                            .then(|| U256::from_be_slice(&original[after..(after + immediate - 1).min(len)]))
                    })
                    .collect();
                PcMap { body_end: transpiled.sections.body.end, pairs, meter_ahead, opcodes, pushed }
            })
        })
    }

    /// The original pc whose translation holds `physical`, if `physical` is in the body.
    fn original_pc(&self, physical: usize) -> Option<u32> {
        if physical >= self.body_end {
            return None;
        }
        let at = self.pairs.partition_point(|&(_, phys)| phys as usize <= physical);
        at.checked_sub(1).map(|i| self.pairs[i].0)
    }

    /// The index of the original instruction whose translation starts at `physical`.
    fn start_at(&self, physical: usize) -> Option<usize> {
        self.pairs.binary_search_by_key(&physical, |&(_, phys)| phys as usize).ok()
    }
}

/// The transpiled-code maps of the code contracts a run has stepped into: by code contract, or for
/// a constructor by the code contract it creates (which later runs other code at that address).
/// `None` for code that is not transpiled code.
#[derive(Default)]
struct Maps(HashMap<(Address, bool), Option<Rc<PcMap>>>);

impl Maps {
    fn of_running(&mut self, interp: &Interpreter<EthInterpreter>) -> Option<(Address, Rc<PcMap>)> {
        let constructor = interp.input.bytecode_address().is_none();
        let code_address = interp.input.bytecode_address().copied().unwrap_or_else(|| interp.input.target_address());
        if code_address == EM {
            return None;
        }
        let map = self
            .0
            .entry((code_address, constructor))
            .or_insert_with(|| PcMap::of(interp.bytecode.original_byte_slice()).map(Rc::new));
        map.clone().map(|map| (code_address, map))
    }
}

/// Writes an EIP-3155 trace in original instructions to `out` (see the module doc); write errors
/// end the trace silently. The last line is written when the tracer is dropped.
pub struct Eip3155Tracer<W: Write> {
    out: W,
    maps: Maps,
    /// Physical depths of the transpiled frames on the physical call stack, outermost first: the
    /// OVM depth is its length.
    frames: Vec<usize>,
    /// The last line, waiting for the next one to know its `gasCost`.
    pending: Option<Line>,
}

struct Line {
    json: serde_json::Map<String, serde_json::Value>,
    depth: usize,
    gas: u64,
    static_cost: u64,
}

impl<W: Write> Eip3155Tracer<W> {
    pub fn new(out: W) -> Self {
        Self { out, maps: Maps::default(), frames: Vec::new(), pending: None }
    }

    /// Writes the pending line, its cost known from `next` (the line after it, if any).
    fn write_pending(&mut self, next: Option<&Line>) {
        let Some(mut line) = self.pending.take() else { return };
        let cost = match next {
            Some(next) if next.depth == line.depth => line.gas.saturating_sub(next.gas),
            _ => line.static_cost,
        };
        line.json.insert("gasCost".into(), hex(cost).into());
        let _ = writeln!(self.out, "{}", serde_json::Value::Object(line.json));
    }
}

impl<W: Write> Drop for Eip3155Tracer<W> {
    fn drop(&mut self) {
        self.write_pending(None);
        let _ = self.out.flush();
    }
}

impl<CTX: ContextTr, W: Write> Inspector<CTX> for Eip3155Tracer<W> {
    fn step(&mut self, interp: &mut Interpreter<EthInterpreter>, context: &mut CTX) {
        let physical_depth = context.journal().depth();
        while self.frames.last().is_some_and(|&d| d >= physical_depth) {
            self.frames.pop();
        }
        let Some((code_contract, map)) = self.maps.of_running(interp) else { return };
        self.frames.push(physical_depth);
        let physical_pc = interp.bytecode.pc();
        let Some(i) = map.start_at(physical_pc) else { return };

        let meter_word = ContextWord::GasMeter.slot();
        let meter = U256::from_be_slice(&interp.memory.slice(meter_word..meter_word + 32));
        let gas = u64::try_from(meter).unwrap_or(u64::MAX).saturating_add(map.meter_ahead[i]);
        let (pc, op) = (map.pairs[i].0, map.opcodes[i]);
        let mut stack: Vec<String> = interp.stack.data().iter().map(|v| format!("{v:#x}")).collect();
        if let (Some(top), Some(value)) = (stack.last_mut(), map.pushed[i]) {
            *top = format!("{value:#x}");
        }
        let mut json = serde_json::Map::new();
        json.insert("pc".into(), pc.into());
        json.insert("op".into(), op.into());
        json.insert("gas".into(), hex(gas).into());
        json.insert("memSize".into(), hex(interp.memory.size().saturating_sub(S) as u64).into());
        json.insert("stack".into(), stack.into());
        json.insert("depth".into(), self.frames.len().into());
        json.insert("returnData".into(), "0x".into());
        json.insert("refund".into(), hex(0).into());
        if let Some(name) = OpCode::new(op) {
            json.insert("opName".into(), name.as_str().into());
        }
        json.insert("physPc".into(), physical_pc.into());
        json.insert("codeContract".into(), code_contract.to_string().into());
        let line = Line { json, depth: self.frames.len(), gas, static_cost: min_gas(op) };
        self.write_pending(Some(&line));
        self.pending = Some(line);
    }

    fn call_end(&mut self, context: &mut CTX, _: &CallInputs, _: &mut CallOutcome) {
        // The sequencer's call ended, and with it the transaction: its last line has no next line
        // (the next transaction's first one follows in a blockchain test's trace).
        if context.journal().depth() == 0 {
            self.write_pending(None);
            self.frames.clear();
        }
    }
}

fn hex(n: u64) -> String {
    format!("{n:#x}")
}

/// Writes one line per physical instruction of transpiled code to `out` (see the module doc);
/// write errors end the trace silently.
pub struct PhysicalTracer<W: Write> {
    out: W,
    maps: Maps,
}

impl<W: Write> PhysicalTracer<W> {
    pub fn new(out: W) -> Self {
        Self { out, maps: Maps::default() }
    }
}

impl<CTX: ContextTr, W: Write> Inspector<CTX> for PhysicalTracer<W> {
    fn step(&mut self, interp: &mut Interpreter<EthInterpreter>, context: &mut CTX) {
        let Some((code_contract, map)) = self.maps.of_running(interp) else { return };
        let physical = interp.bytecode.pc();
        let opcode = interp.bytecode.opcode();
        let top: Vec<String> = interp.stack.data().iter().rev().take(4).map(|v| format!("{v:#x}")).collect();
        let line = serde_json::json!({
            "depth": context.journal().depth(),
            "codeContract": code_contract,
            "pc": map.original_pc(physical),
            "physPc": physical,
            "op": opcode,
            "opName": ovm_transpiler::opcodes::physical_name(opcode),
            "gas": interp.gas.remaining(),
            "stackTop": top,
        });
        let _ = writeln!(self.out, "{line}");
    }
}
