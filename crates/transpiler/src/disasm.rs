//! Side-by-side listings of original and transpiled code, for reports and debugging.

use std::fmt::Write;

use crate::analysis::decode;
use crate::opcodes::{info, physical_name};
use crate::Transpiled;

/// One line per physical instruction of `range`, `"PPPPPP  MNEMONIC 0xIMM"`.
fn physical_lines(code: &[u8], range: std::ops::Range<usize>) -> Vec<String> {
    let mut lines = Vec::new();
    let mut pc = range.start;
    while pc < range.end.min(code.len()) {
        let opcode = code[pc];
        let immediate = info(opcode).immediate as usize;
        let data = &code[(pc + 1).min(code.len())..(pc + 1 + immediate).min(code.len())];
        lines.push(format!("{pc:06x}  {}{}", physical_name(opcode), hex_suffix(data, immediate)));
        pc += 1 + immediate;
    }
    lines
}

fn hex_suffix(data: &[u8], declared: usize) -> String {
    if declared == 0 {
        return String::new();
    }
    let mut s = String::from(" 0x");
    for byte in data {
        let _ = write!(s, "{byte:02x}");
    }
    if data.len() < declared {
        let _ = write!(s, " (truncated, {} of {declared} bytes)", data.len());
    }
    s
}

/// One original instruction and the physical instructions it became (the PC map, readable).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedInstruction {
    /// Its original pc.
    pub pc: usize,
    /// `"PPPPPP  MNEMONIC 0xIMM"`, original pc and instruction.
    pub original: String,
    /// Its translation, one `"PPPPPP  MNEMONIC 0xIMM"` per physical instruction.
    pub physical: Vec<String>,
}

/// The body of a listing: every original instruction beside its translation.
pub fn listing(original: &[u8], transpiled: &Transpiled) -> Vec<ListedInstruction> {
    let code = &transpiled.code;
    decode(original)
        .iter()
        .enumerate()
        .map(|(i, ins)| {
            let start = transpiled.pc_map.get(i).map_or(0, |&(_, p)| p as usize);
            let end = transpiled.pc_map.get(i + 1).map_or(transpiled.sections.body.end, |&(_, p)| p as usize);
            let op = info(ins.opcode);
            let imm = ins.immediate(original);
            ListedInstruction {
                pc: ins.pc as usize,
                original: format!("{:06x}  {}{}", ins.pc, op.name, hex_suffix(imm.present, imm.declared)),
                physical: physical_lines(code, start..end),
            }
        })
        .collect()
}

/// The listing: each original instruction beside the physical instructions it became, then the
/// header and prologue, the routines, the jump table and the original-code section.
pub fn disassemble(original: &[u8], transpiled: &Transpiled) -> String {
    let code = &transpiled.code;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "; {:?} code: {} original bytes -> {} physical bytes",
        transpiled.mode,
        original.len(),
        code.len()
    );
    let _ = writeln!(out, "; header and prologue");
    for line in physical_lines(code, 0..transpiled.sections.body.start) {
        let _ = writeln!(out, "{:36}  {line}", "");
    }
    let _ = writeln!(out, "; body: original (pc, instruction) -> physical");
    for ins in listing(original, transpiled) {
        for (j, line) in ins.physical.iter().enumerate() {
            let shown = if j == 0 { ins.original.as_str() } else { "" };
            let _ = writeln!(out, "{shown:36}  {line}");
        }
        if ins.physical.is_empty() {
            let _ = writeln!(out, "{:36}", ins.original);
        }
    }
    let _ = writeln!(out, "; routines");
    for (name, range) in &transpiled.routines {
        let _ = writeln!(out, ";   {name} [{:#x}..{:#x})", range.start, range.end);
        for line in physical_lines(code, range.clone()) {
            let _ = writeln!(out, "{:36}  {line}", "");
        }
    }
    let table = &transpiled.sections.jump_table;
    let _ = writeln!(
        out,
        "; jump table at {:#x}: {} entries x {} bytes = {} bytes",
        table.start,
        transpiled.jump_table_entries,
        transpiled.jump_table_width,
        table.len()
    );
    let _ = writeln!(out, "; original code at {:#x}: {} bytes", transpiled.original_start, transpiled.original_len);
    out
}
