//! The OVM bytecode transpiler: original EVM code in, code for the layer-2 EVM out.
//!
//! Pure: bytes in, bytes out, no revm, no I/O; deterministic and panic-free on any input. The same
//! function runs as the layer-2 EVM's `TRANSPILE_RUNTIME` / `TRANSPILE_INIT` built-ins, so the
//! ExecutionManager and the layer-2 EVM take every shared number from [`layout`].
//!
//! Output layout (ARCHITECTURE.md, "Transpiled code layout"):
//! `[header 12 B][prologue][body][routines][jump table][original code]`.
//!
//! Modules: [`opcodes`] (the Cancun instruction table), `analysis` (JUMPDESTs, basic blocks,
//! STACKGUARD values), `emit` (the body), `routines` (shared routines), `disasm` (listings).

mod analysis;
mod asm;
mod disasm;
mod emit;
pub mod layout;
pub mod opcodes;
mod routines;

use std::ops::Range;

pub use analysis::Guard;
pub use disasm::{disassemble, listing, ListedInstruction};

/// What the code is for: deployed (runtime) code, or init code whose `RETURN` yields runtime code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    Runtime,
    Init,
}

/// Transpiled code and where its parts are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transpiled {
    /// The physical code.
    pub code: Vec<u8>,
    /// Offset of the verbatim original code (also in the header).
    pub original_start: usize,
    /// Length of the original code (also in the header).
    pub original_len: usize,
    /// `(original pc, physical pc)` of every original instruction, in order; the physical pc is
    /// where its translation starts (its JUMPDEST first, then the block's STACKGUARD).
    pub pc_map: Vec<(u32, u32)>,
    /// Per `pc_map` entry: what the gas meter has already been charged, at that physical pc, for
    /// this and later original instructions. Native gas left before the instruction is
    /// `meter + meter_ahead` (up to what the meter does not charge yet; ARCHITECTURE.md, "Gas").
    pub meter_ahead: Vec<u64>,
    /// The physical pc where a run falling off the end of the original code goes on (to stop, as
    /// natively): the translation of the STOP that pads the original code, at `original_len`.
    pub fall_off_end: u32,
    pub mode: Mode,
    pub sections: Sections,
    /// Each emitted routine's name and physical range, in code order.
    pub routines: Vec<(String, Range<usize>)>,
    /// Bytes per jump-table entry, and per label in `PUSHw` (2, or 3 for code over 64 KiB).
    pub jump_table_width: usize,
    /// Jump-table entries: original PCs `0..=last JUMPDEST`.
    pub jump_table_entries: usize,
}

/// Physical ranges of the sections between the header and the original code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sections {
    pub prologue: Range<usize>,
    pub body: Range<usize>,
    pub routines: Range<usize>,
    pub jump_table: Range<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TranspileError {
    /// The input is longer than the transpiler accepts.
    #[error("code of {len} bytes exceeds the transpiler's limit of {limit} bytes")]
    TooLarge { len: usize, limit: usize },
    /// The transpiled code would be longer than the limit (physical PCs must fit in 3 bytes).
    #[error("transpiled code of {len} bytes (at least) exceeds the limit of {limit} bytes")]
    OutputTooLarge { len: usize, limit: usize },
}

/// Transpiles `code`. Never panics; the same input always gives the same output.
pub fn transpile(code: &[u8], mode: Mode) -> Result<Transpiled, TranspileError> {
    let limit = layout::MAX_CODE_LEN;
    if code.len() > limit {
        return Err(TranspileError::TooLarge { len: code.len(), limit });
    }
    let program = emit::Program::analyse(code, mode);
    // Labels are PUSH2 while everything fits in 64 KiB, PUSH3 otherwise.
    for width in [2, 3] {
        match emit::assemble(&program, width) {
            Ok(transpiled) => return Ok(transpiled),
            Err(emit::AssemblyError::LabelTooWide) => continue,
            Err(emit::AssemblyError::TooLarge(len)) => return Err(TranspileError::OutputTooLarge { len, limit }),
        }
    }
    // Width 3 addresses all of MAX_CODE_LEN, which the size check enforces.
    Err(TranspileError::OutputTooLarge { len: limit + 1, limit })
}

/// Reads `(original_start, original_len)` from a transpiled code's header.
pub fn read_header(code: &[u8]) -> Option<(usize, usize)> {
    let header = code.get(..layout::HEADER_LEN)?;
    let field = |at: usize| u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]]) as usize;
    Some((field(layout::HEADER_START_FIELD), field(layout::HEADER_LEN_FIELD)))
}
