//! A trace of a layer-2 run that a reader can follow in the *original* program: one JSON line per
//! instruction executed by transpiled code, with the original PC it belongs to (`null` inside the
//! prologue and the shared routines), beside the physical PC and opcode. The EM's own steps are
//! left out: they are the machine, not the program.

use crate::EM;
use alloy_primitives::Address;
use ovm_transpiler::{read_header, transpile, Mode};
use revm::{
    context_interface::{ContextTr, JournalTr},
    interpreter::{
        interpreter::EthInterpreter,
        interpreter_types::{InputsTr, Jumps},
        Interpreter,
    },
    Inspector,
};
use std::{collections::HashMap, io::Write};

/// Physical -> original PCs of one code contract.
struct PcMap {
    body_end: usize,
    /// (original pc, physical pc), ascending in both.
    pairs: Vec<(u32, u32)>,
}

impl PcMap {
    /// The map of a code contract, if its code is transpiled code (runtime or init mode).
    fn of(code: &[u8]) -> Option<Self> {
        let (start, len) = read_header(code)?;
        let original = code.get(start..start.checked_add(len)?)?;
        [Mode::Runtime, Mode::Init].into_iter().find_map(|mode| {
            let transpiled = transpile(original, mode).ok()?;
            (transpiled.code == code)
                .then_some(PcMap { body_end: transpiled.sections.body.end, pairs: transpiled.pc_map })
        })
    }

    fn original_pc(&self, physical: usize) -> Option<u32> {
        if physical >= self.body_end {
            return None;
        }
        let at = self.pairs.partition_point(|&(_, phys)| phys as usize <= physical);
        at.checked_sub(1).map(|i| self.pairs[i].0)
    }
}

/// Writes the trace to `out` (JSON lines); write errors end the trace silently.
pub struct OriginalPcTracer<W: Write> {
    out: W,
    maps: HashMap<Address, Option<PcMap>>,
}

impl<W: Write> OriginalPcTracer<W> {
    pub fn new(out: W) -> Self {
        Self { out, maps: HashMap::new() }
    }
}

impl<CTX: ContextTr, W: Write> Inspector<CTX> for OriginalPcTracer<W> {
    fn step(&mut self, interp: &mut Interpreter<EthInterpreter>, context: &mut CTX) {
        let Some(&code_address) = interp.input.bytecode_address() else { return };
        if code_address == EM {
            return;
        }
        let map = self.maps.entry(code_address).or_insert_with(|| PcMap::of(interp.bytecode.original_byte_slice()));
        let Some(map) = map else { return };
        let physical = interp.bytecode.pc();
        let opcode = interp.bytecode.opcode();
        let stack = interp.stack.data();
        let top: Vec<String> = stack.iter().rev().take(4).map(|v| format!("{v:#x}")).collect();
        let line = serde_json::json!({
            "depth": context.journal().depth(),
            "code": code_address,
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
