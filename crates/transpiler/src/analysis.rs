//! Static analysis of the original code: instructions, JUMPDESTs, basic blocks, STACKGUARD values.
//!
//! Everything here follows the native EVM exactly: a byte inside PUSH data is never an instruction
//! or a jump destination, and a truncated final PUSH reads zeros past the end of the code.

use crate::layout::NATIVE_STACK_LIMIT;
use crate::opcodes::{self, info, JUMPDEST};

/// One original instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instruction {
    pub pc: u32,
    pub opcode: u8,
}

impl Instruction {
    /// Immediate data (PUSH1..PUSH32), zero-padded past the end of `code` as the EVM does.
    pub fn immediate<'c>(&self, code: &'c [u8]) -> Immediate<'c> {
        let declared = info(self.opcode).immediate as usize;
        let start = (self.pc as usize + 1).min(code.len());
        let end = (start + declared).min(code.len());
        Immediate { present: &code[start..end], declared }
    }
}

/// The immediate of a PUSH: `present` bytes from the code, then zeros up to `declared` bytes.
#[derive(Clone, Copy, Debug)]
pub struct Immediate<'c> {
    pub present: &'c [u8],
    pub declared: usize,
}

impl Immediate<'_> {
    /// The pushed value as a 32-byte big-endian word.
    pub fn word(&self) -> [u8; 32] {
        let mut word = [0u8; 32];
        let first = 32 - self.declared;
        word[first..first + self.present.len()].copy_from_slice(self.present);
        word
    }

    /// The immediate bytes as they execute (zero-padded to the declared size).
    pub fn padded(&self) -> Vec<u8> {
        let mut bytes = self.present.to_vec();
        bytes.resize(self.declared, 0);
        bytes
    }
}

/// Splits `code` into instructions, skipping PUSH data.
pub fn decode(code: &[u8]) -> Vec<Instruction> {
    let mut instructions = Vec::new();
    let mut pc = 0usize;
    while pc < code.len() {
        let opcode = code[pc];
        instructions.push(Instruction { pc: pc as u32, opcode });
        pc += 1 + info(opcode).immediate as usize;
    }
    instructions
}

/// `is_jumpdest[pc]` for every pc of `code`: true only for JUMPDEST *instructions*.
pub fn jumpdest_map(code: &[u8], instructions: &[Instruction]) -> Vec<bool> {
    let mut map = vec![false; code.len()];
    for ins in instructions.iter().filter(|ins| ins.opcode == JUMPDEST) {
        map[ins.pc as usize] = true;
    }
    map
}

/// Whether `opcode` ends a basic block: control leaves it or execution halts.
pub fn ends_block(opcode: u8) -> bool {
    use opcodes::*;
    matches!(opcode, JUMP | JUMPI | STOP | RETURN | REVERT | INVALID | SELFDESTRUCT) || !info(opcode).defined
}

/// Set in a guard's MIN when a block entered below MIN first fails on a DUP: the reference EVM
/// (revm) reports a DUP on too short a stack as a stack *overflow*, and halt reasons follow it.
pub const UNDERFLOW_AS_OVERFLOW: u16 = 0x8000;

/// The stack check a block needs at its entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guard {
    /// The block cannot fail on stack height (MIN == 0, GROWTH <= 0), or it is unreachable.
    None,
    /// `STACKGUARD(OVERFLOW_FROM << 32 | MIN << 16 | LIMIT)`: underflow below `min`, overflow
    /// above `limit`. When `min > limit` every height fails; the L2 EVM checks underflow first.
    /// With `UNDERFLOW_AS_OVERFLOW` in `min`, heights from `overflow_from` up to `min` fall short
    /// on a DUP and are reported as overflows (lower ones fail earlier, as underflows).
    Check { min: u16, limit: u16, overflow_from: u16 },
    /// Every entry height fails, and the first failure is always an overflow (which a
    /// `MIN/LIMIT` word cannot say at height 0): the block jumps to a routine that overflows.
    AlwaysOverflow,
}

impl Guard {
    /// The operand STACKGUARD pops.
    pub fn word(min: u16, limit: u16, overflow_from: u16) -> u64 {
        (overflow_from as u64) << 32 | (min as u64) << 16 | limit as u64
    }
}

/// A basic block of the original code: instructions `first..end` (indices into the decode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    pub first: usize,
    pub end: usize,
    pub guard: Guard,
}

/// Splits the instructions into basic blocks and computes each block's guard.
///
/// Blocks start at pc 0, at each JUMPDEST and after each block-ending instruction. A block that
/// starts after anything but JUMPI, and is not a JUMPDEST, is unreachable: it gets no guard.
pub fn blocks(instructions: &[Instruction]) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut first = 0;
    for i in 0..instructions.len() {
        let next_starts_block = match instructions.get(i + 1) {
            None => true,
            Some(next) => next.opcode == JUMPDEST || ends_block(instructions[i].opcode),
        };
        if next_starts_block {
            let reachable = first == 0
                || instructions[first].opcode == JUMPDEST
                || instructions[first - 1].opcode == opcodes::JUMPI;
            let guard = if reachable { block_guard(&instructions[first..=i]) } else { Guard::None };
            blocks.push(Block { first, end: i + 1, guard });
            first = i + 1;
        }
    }
    blocks
}

/// MIN (least entry height with no underflow) and GROWTH (max height above entry) of a block.
pub fn min_and_growth(block: &[Instruction]) -> (i64, i64) {
    let (mut min, mut growth, mut height) = (0i64, 0i64, 0i64);
    for ins in block {
        let op = info(ins.opcode);
        min = min.max(op.inputs as i64 - height);
        height += op.outputs as i64 - op.inputs as i64;
        growth = growth.max(height);
    }
    (min, growth)
}

/// The guard of one reachable block.
pub fn block_guard(block: &[Instruction]) -> Guard {
    let limit_height = NATIVE_STACK_LIMIT as i64;
    let (min, growth) = min_and_growth(block);
    let limit = limit_height - growth;
    if min == 0 && growth <= 0 {
        return Guard::None;
    }
    if min <= limit.min(limit_height) {
        // Some entry heights pass: below MIN the first failure is an underflow, above LIMIT an
        // overflow, so one word expresses the native behaviour exactly.
        // Below MIN the first failure is a shortfall; revm names a DUP's an overflow. Find the
        // heights (just below MIN) where it is a DUP's.
        let mut overflow_from = min;
        while overflow_from > 0 && first_failure_is_overflow(block, overflow_from - 1) {
            overflow_from -= 1;
        }
        let flag = if overflow_from < min { UNDERFLOW_AS_OVERFLOW } else { 0 };
        let overflow_from = if flag == 0 { 0 } else { overflow_from as u16 };
        return Guard::Check { min: min as u16 | flag, limit: limit.min(limit_height) as u16, overflow_from };
    }
    // Every height fails; find where the first failure turns from underflow to overflow.
    match overflow_threshold(block) {
        0 => Guard::AlwaysOverflow,
        t => Guard::Check { min: t, limit: t - 1, overflow_from: 0 },
    }
}

fn is_dup(opcode: u8) -> bool {
    (0x80..=0x8f).contains(&opcode)
}

/// Smallest entry height whose first failure in the block is an overflow (1025 if none).
/// The kind of the first failure is monotonic in the entry height, so a binary search finds it.
fn overflow_threshold(block: &[Instruction]) -> u16 {
    let (mut low, mut high) = (0u16, NATIVE_STACK_LIMIT as u16 + 1);
    while low < high {
        let mid = (low + high) / 2;
        if first_failure_is_overflow(block, mid as i64) {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    low
}

fn first_failure_is_overflow(block: &[Instruction], entry: i64) -> bool {
    let mut height = entry;
    for ins in block {
        let op = info(ins.opcode);
        if height < op.inputs as i64 {
            return is_dup(ins.opcode);
        }
        height += op.outputs as i64 - op.inputs as i64;
        if height > NATIVE_STACK_LIMIT as i64 {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_data_is_skipped_and_truncated_push_is_padded() {
        let code = [0x61, 0x5b, 0x5b, 0x5b, 0x62, 0xaa];
        let ins = decode(&code);
        assert_eq!(ins.iter().map(|i| i.pc).collect::<Vec<_>>(), vec![0, 3, 4]);
        assert_eq!(jumpdest_map(&code, &ins), vec![false, false, false, true, false, false]);
        let imm = ins[2].immediate(&code);
        assert_eq!(imm.padded(), vec![0xaa, 0, 0]);
        assert_eq!(imm.word()[29..], [0xaa, 0, 0]);
    }

    #[test]
    fn impossible_blocks_pick_the_first_native_failure() {
        let pops_then_pushes: Vec<Instruction> = (0..10)
            .map(|_| opcodes::POP)
            .chain((0..1030).map(|_| opcodes::PUSH0))
            .enumerate()
            .map(|(pc, opcode)| Instruction { pc: pc as u32, opcode })
            .collect();
        // Below 10 items the POPs underflow first; from 10 on the pushes overflow.
        assert_eq!(block_guard(&pops_then_pushes), Guard::Check { min: 10, limit: 9, overflow_from: 0 });
        let pushes: Vec<Instruction> = (0..1025).map(|pc| Instruction { pc, opcode: opcodes::PUSH0 }).collect();
        assert_eq!(block_guard(&pushes), Guard::AlwaysOverflow);
    }
}
