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
    /// `STACKGUARD(toggles << 32 | MIN << 16 | LIMIT)`: underflow below `min`, overflow above
    /// `limit`. When `min > limit` every height fails; the L2 EVM checks underflow first. With
    /// `UNDERFLOW_AS_OVERFLOW` in `min`, `toggles` says at which entry heights below `min` the
    /// shortfall is a DUP's, reported as an overflow.
    Check { min: u16, limit: u16, toggles: Toggles },
    /// Every entry height fails, and the first failure is always an overflow (which a
    /// `MIN/LIMIT` word cannot say at height 0): the block jumps to a routine that overflows.
    AlwaysOverflow,
}

impl Guard {
    /// The operand STACKGUARD pops, big-endian, at least 4 bytes:
    /// `t[n-1] .. t[0] (16 bits each) | n (8 bits) | MIN (16 bits) | LIMIT (16 bits)`.
    pub fn word(min: u16, limit: u16, toggles: &Toggles) -> Vec<u8> {
        let mut le = Vec::with_capacity(32);
        le.extend_from_slice(&limit.to_le_bytes());
        le.extend_from_slice(&min.to_le_bytes());
        if !toggles.as_slice().is_empty() {
            le.push(toggles.as_slice().len() as u8);
            for t in toggles.as_slice() {
                le.extend_from_slice(&t.to_le_bytes());
            }
        }
        le.reverse();
        le
    }
}

/// The most toggles a guard word carries (13 x 16 bits + the rest fit in 32 bytes); a block needing
/// more keeps the first ones, naming the lowest heights' failures exactly.
pub const MAX_TOGGLES: usize = 13;

/// Entry heights, ascending, at which the kind of a shortfall toggles, starting from an underflow
/// at height 0: an odd number of toggles at or below a height means a DUP falls short first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Toggles {
    len: u8,
    at: [u16; MAX_TOGGLES],
}

impl Toggles {
    fn push(&mut self, height: u16) {
        if (self.len as usize) < MAX_TOGGLES {
            self.at[self.len as usize] = height;
            self.len += 1;
        }
    }

    pub fn as_slice(&self) -> &[u16] {
        &self.at[..self.len as usize]
    }
}

/// Where entering the block below MIN fails first on a DUP. For an entry height `h`, the first
/// instruction to fall short is the first whose need (inputs minus the height change before it)
/// exceeds `h`: the needs' running maxima split `0..MIN` into ranges, one failing instruction each.
fn shortfall_toggles(block: &[Instruction]) -> Toggles {
    let mut toggles = Toggles::default();
    let (mut height, mut covered, mut dup_kind) = (0i64, 0i64, false);
    for ins in block {
        let op = info(ins.opcode);
        let need = checked_inputs(ins.opcode) - height;
        if need > covered {
            if is_dup(ins.opcode) != dup_kind {
                toggles.push(covered as u16);
                dup_kind = !dup_kind;
            }
            covered = need;
        }
        height += op.outputs as i64 - op.inputs as i64;
    }
    toggles
}

/// A basic block of the original code: instructions `first..end` (indices into the decode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    pub first: usize,
    pub end: usize,
    pub guard: Guard,
}

/// Splits the instructions into guarded blocks and computes each block's guard.
///
/// Blocks start at pc 0, at each JUMPDEST, after each block-ending instruction, and after each
/// instruction that `splits_after` names: the emitter's requests to the EM and instructions with a
/// dynamic cost. That split keeps the EVM's order of halts: such an instruction may run out of gas (a
/// call's memory, a cold access, a memory store) before a later instruction of the same basic block
/// would fail its stack check, and natively that out-of-gas comes first. A block that starts after
/// anything but JUMPI or a split, and is not a JUMPDEST, is unreachable: it gets no guard.
pub fn blocks(instructions: &[Instruction], splits_after: impl Fn(u8) -> bool) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut first = 0;
    for i in 0..instructions.len() {
        let next_starts_block = match instructions.get(i + 1) {
            None => true,
            Some(next) => {
                next.opcode == JUMPDEST || ends_block(instructions[i].opcode) || splits_after(instructions[i].opcode)
            }
        };
        if next_starts_block {
            let reachable = first == 0
                || instructions[first].opcode == JUMPDEST
                || instructions[first - 1].opcode == opcodes::JUMPI
                || (splits_after(instructions[first - 1].opcode) && !ends_block(instructions[first - 1].opcode));
            let guard = if reachable { block_guard(&instructions[first..=i]) } else { Guard::None };
            blocks.push(Block { first, end: i + 1, guard });
            first = i + 1;
        }
    }
    blocks
}

/// The stack items an instruction checks before its gas. Every instruction checks all of its
/// inputs first, except LOG: revm pops its offset and size, charges the gas (memory included), and
/// only then pops the topics, so a LOG short of a topic with a size no gas pays for runs out of gas.
/// A LOG asks the EM, so it ends its guarded block, and the transpiled LOG takes its topics off the
/// stack after it has charged the memory: a missing topic halts there, as natively.
fn checked_inputs(opcode: u8) -> i64 {
    match opcode {
        opcodes::LOG0..=opcodes::LOG4 => 2,
        _ => info(opcode).inputs as i64,
    }
}

/// MIN (least entry height with no underflow) and GROWTH (max height above entry) of a block.
pub fn min_and_growth(block: &[Instruction]) -> (i64, i64) {
    let (mut min, mut growth, mut height) = (0i64, 0i64, 0i64);
    for ins in block {
        let op = info(ins.opcode);
        min = min.max(checked_inputs(ins.opcode) - height);
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
        // Below MIN the first failure is a shortfall; revm names a DUP's an overflow.
        let toggles = shortfall_toggles(block);
        let flag = if toggles.as_slice().is_empty() { 0 } else { UNDERFLOW_AS_OVERFLOW };
        return Guard::Check { min: min as u16 | flag, limit: limit.min(limit_height) as u16, toggles };
    }
    // Every height fails; find where the first failure turns from underflow to overflow.
    match overflow_threshold(block) {
        0 => Guard::AlwaysOverflow,
        t => Guard::Check { min: t, limit: t - 1, toggles: Toggles::default() },
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
        if height < checked_inputs(ins.opcode) {
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
        assert_eq!(block_guard(&pops_then_pushes), Guard::Check { min: 10, limit: 9, toggles: Toggles::default() });
        let pushes: Vec<Instruction> = (0..1025).map(|pc| Instruction { pc, opcode: opcodes::PUSH0 }).collect();
        assert_eq!(block_guard(&pushes), Guard::AlwaysOverflow);
    }
}
