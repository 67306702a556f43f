//! Emission of the whole transpiled code: header, prologue, body, routines, jump table, original.

use crate::analysis::{self, Block, Guard, Instruction};
use crate::asm::{Asm, Label, LabelTooWide};
use crate::layout::*;
use crate::opcodes::*;
use crate::routines::{
    emit_charge, emit_precharge, emit_saturating_add_label, emit_saturating_add_s, emit_words, JumpTable, Routine,
    RoutineSpan, Routines,
};
use crate::{Mode, Sections, Transpiled};

/// The analysed original code.
pub struct Program<'c> {
    pub code: &'c [u8],
    pub mode: Mode,
    pub instructions: Vec<Instruction>,
    pub is_jumpdest: Vec<bool>,
    pub blocks: Vec<Block>,
    /// `folds[i]`: instruction `i` is a PUSH whose value instruction `i + 1` consumes as a
    /// foldable operand (a jump destination or a memory offset on top of the stack).
    pub folds: Vec<bool>,
    /// Jump-table entries: original PCs up to the last JUMPDEST.
    pub table_entries: usize,
}

impl<'c> Program<'c> {
    pub fn analyse(code: &'c [u8], mode: Mode) -> Self {
        let instructions = analysis::decode(code);
        let is_jumpdest = analysis::jumpdest_map(code, &instructions);
        let blocks = analysis::blocks(&instructions, |opcode| has_routine(opcode, mode) || has_dynamic_cost(opcode));
        let folds = (0..instructions.len())
            .map(|i| {
                is_push(instructions[i].opcode)
                    && instructions.get(i + 1).is_some_and(|next| consumes_folded_top(next.opcode, mode))
            })
            .collect();
        let table_entries = is_jumpdest.iter().rposition(|&d| d).map_or(0, |last| last + 1);
        Program { code, mode, instructions, is_jumpdest, blocks, folds, table_entries }
    }
}

/// Instructions whose top operand, when pushed just before, is transformed at transpile time.
fn consumes_folded_top(opcode: u8, mode: Mode) -> bool {
    match opcode {
        JUMP | JUMPI | MLOAD | MSTORE | MSTORE8 | KECCAK256 | CALLDATACOPY | CODECOPY | MCOPY | REVERT => true,
        RETURN => mode == Mode::Runtime,
        _ => false,
    }
}

/// A size operand: a constant, or the stack item at a position (1 = top).
#[derive(Clone, Copy)]
enum Operand {
    Const(u64),
    Stack(u8),
}

/// Context opcodes and their snapshot word.
fn context_word(opcode: u8) -> Option<ContextWord> {
    Some(match opcode {
        ADDRESS => ContextWord::Address,
        CALLER => ContextWord::Caller,
        CALLVALUE => ContextWord::CallValue,
        ORIGIN => ContextWord::Origin,
        GASPRICE => ContextWord::GasPrice,
        COINBASE => ContextWord::Coinbase,
        TIMESTAMP => ContextWord::Timestamp,
        NUMBER => ContextWord::Number,
        PREVRANDAO => ContextWord::PrevRandao,
        GASLIMIT => ContextWord::GasLimit,
        CHAINID => ContextWord::ChainId,
        BASEFEE => ContextWord::BaseFee,
        BLOBBASEFEE => ContextWord::BlobBaseFee,
        _ => return None,
    })
}

/// Opcodes replaced by a call to a routine.
fn has_routine(opcode: u8, mode: Mode) -> bool {
    match opcode {
        SLOAD
        | SSTORE
        | TLOAD
        | TSTORE
        | BALANCE
        | SELFBALANCE
        | EXTCODESIZE
        | EXTCODEHASH
        | EXTCODECOPY
        | BLOCKHASH
        | BLOBHASH
        | LOG0..=LOG4
        | CALL
        | CALLCODE
        | DELEGATECALL
        | STATICCALL
        | CREATE
        | CREATE2
        | SELFDESTRUCT
        | RETURNDATACOPY => true,
        RETURN => mode == Mode::Init,
        _ => false,
    }
}

/// Whether an instruction's cost depends on its operands (memory growth, words copied or hashed,
/// exponent bytes), so that it may run out of gas where its static cost would not.
fn has_dynamic_cost(opcode: u8) -> bool {
    matches!(opcode, MLOAD | MSTORE | MSTORE8 | KECCAK256 | CALLDATACOPY | CODECOPY | MCOPY | EXP)
}

/// Why one assembly attempt stopped.
pub enum AssemblyError {
    LabelTooWide,
    TooLarge(usize),
}

impl From<LabelTooWide> for AssemblyError {
    fn from(_: LabelTooWide) -> Self {
        AssemblyError::LabelTooWide
    }
}

/// Assembles with label width `width` (2 or 3 bytes).
pub fn assemble(program: &Program, width: usize) -> Result<Transpiled, AssemblyError> {
    let table_len = program.table_entries * width;
    if table_len + program.code.len() > MAX_CODE_LEN {
        return Err(AssemblyError::TooLarge(table_len + program.code.len()));
    }
    let mut e = Emitter::new(program, width);
    e.header();
    let prologue_start = e.asm.len();
    e.prologue();
    let body_start = e.asm.len();
    e.body()?;
    let routines_start = e.asm.len();
    let routines = e.routines.emit_all(
        &mut e.asm,
        program.mode,
        JumpTable { label: e.table, entries: program.table_entries as u64 },
    );
    let jump_table_start = e.asm.len();
    e.jump_table();
    let original_start = e.asm.len();
    e.asm.bind(e.original);
    e.asm.raw(program.code);
    if e.asm.len() > MAX_CODE_LEN {
        return Err(AssemblyError::TooLarge(e.asm.len()));
    }
    let pc_map = std::mem::take(&mut e.pc_map);
    let meter_ahead = std::mem::take(&mut e.meter_ahead);
    let code = e.asm.finish()?;
    Ok(Transpiled {
        code,
        original_start,
        original_len: program.code.len(),
        pc_map,
        meter_ahead,
        fall_off_end: e.fall_off_end,
        mode: program.mode,
        sections: Sections {
            prologue: prologue_start..body_start,
            body: body_start..routines_start,
            routines: routines_start..jump_table_start,
            jump_table: jump_table_start..original_start,
        },
        routines: routines.into_iter().map(|RoutineSpan { name, start, end }| (name, start..end)).collect(),
        jump_table_width: width,
        jump_table_entries: program.table_entries,
    })
}

struct Emitter<'p, 'c> {
    program: &'p Program<'c>,
    asm: Asm,
    routines: Routines,
    /// Physical label of each original JUMPDEST, by position in `jumpdest_pcs`.
    jumpdest_pcs: Vec<u32>,
    jumpdest_labels: Vec<Label>,
    table: Label,
    original: Label,
    pc_map: Vec<(u32, u32)>,
    /// What the meter has been charged, at each `pc_map` point, for instructions not yet run.
    meter_ahead: Vec<u64>,
    /// The running value of that: set by a segment's charge, spent instruction by instruction.
    prepaid: u64,
    fall_off_end: u32,
}

impl<'p, 'c> Emitter<'p, 'c> {
    fn new(program: &'p Program<'c>, width: usize) -> Self {
        let mut asm = Asm::new(width);
        let jumpdest_pcs: Vec<u32> =
            program.instructions.iter().filter(|i| i.opcode == JUMPDEST).map(|i| i.pc).collect();
        let jumpdest_labels = jumpdest_pcs.iter().map(|_| asm.new_label()).collect();
        let table = asm.new_label();
        let original = asm.new_label();
        Emitter {
            program,
            asm,
            routines: Routines::new(),
            jumpdest_pcs,
            jumpdest_labels,
            table,
            original,
            pc_map: Vec::with_capacity(program.instructions.len()),
            meter_ahead: Vec::with_capacity(program.instructions.len()),
            prepaid: 0,
            fall_off_end: 0,
        }
    }

    fn jumpdest_label(&self, pc: u32) -> Option<Label> {
        self.jumpdest_pcs.binary_search(&pc).ok().map(|i| self.jumpdest_labels[i])
    }

    /// `PUSH4 start POP PUSH4 len POP`.
    fn header(&mut self) {
        self.asm.push_label_sized(self.original, 4);
        self.asm.op(POP);
        self.asm.op(PUSH4);
        self.asm.raw(&(self.program.code.len() as u32).to_be_bytes());
        self.asm.op(POP);
    }

    /// Memory to S, then `STATICCALL(GAS, CONTEXT, 0, 0, SCRATCH_CONTEXT, 15 * 32)`: the reply
    /// lands directly in the snapshot.
    fn prologue(&mut self) {
        self.asm.op(PUSH0);
        self.asm.push_u64((S - 32) as u64);
        self.asm.op(MSTORE);
        self.asm.push_u64((CONTEXT_WORDS * 32) as u64);
        self.asm.push_u64(SCRATCH_CONTEXT as u64);
        self.asm.ops(&[PUSH0, PUSH0]);
        self.asm.push_bytes(&CONTEXT_ADDRESS);
        self.asm.ops(&[GAS, STATICCALL, ISZERO]);
        let fail = self.routines.label(&mut self.asm, Routine::Fail);
        self.asm.push_label(fail);
        self.asm.op(JUMPI);
    }

    fn body(&mut self) -> Result<(), AssemblyError> {
        for block in &self.program.blocks {
            for i in block.first..block.end {
                let ins = self.program.instructions[i];
                self.pc_map.push((ins.pc, self.asm.len() as u32));
                self.meter_ahead.push(self.prepaid);
                if i == block.first {
                    self.block_entry(ins, block.guard);
                    if block.guard != Guard::AlwaysOverflow {
                        self.charge_segment(block.first..block.end);
                    }
                }
                // From here on the instruction's own static cost is spent.
                self.prepaid = self.prepaid.saturating_sub(min_gas(ins.opcode));
                // A block's JUMPDEST is all in `block_entry`.
                if i == block.first && ins.opcode == JUMPDEST {
                    continue;
                }
                self.charge_size_cost(ins.opcode);
                self.instruction(i);
                if self.asm.len() > MAX_CODE_LEN {
                    return Err(AssemblyError::TooLarge(self.asm.len()));
                }
            }
        }
        // Falling off the end of the original code stops, as natively.
        self.fall_off_end = self.asm.len() as u32;
        self.stop();
        Ok(())
    }

    /// A successful end without data (STOP, falling off the end, after SELFDESTRUCT). Runtime code
    /// returns its meter, flagged as a STOP, as the trailer; a constructor reports its meter to
    /// the EM and stops, so that it deploys empty code.
    fn stop(&mut self) {
        let routine = match self.program.mode {
            Mode::Runtime => Routine::Stop,
            Mode::Init => Routine::InitStop,
        };
        let routine = self.routines.label(&mut self.asm, routine);
        self.asm.push_label(routine);
        self.asm.op(JUMP);
    }

    /// A block's JUMPDEST (if any) and then its STACKGUARD.
    fn block_entry(&mut self, first: Instruction, guard: Guard) {
        if first.opcode == JUMPDEST {
            let label = self.jumpdest_label(first.pc).expect("every JUMPDEST has a label");
            self.asm.bind(label);
            self.asm.op(JUMPDEST);
        }
        match guard {
            Guard::None => {}
            Guard::Check { min, limit, toggles } => {
                let word = Guard::word(min, limit, &toggles);
                self.asm.op(PUSH1 - 1 + word.len() as u8);
                self.asm.raw(&word);
                self.asm.op(STACKGUARD);
            }
            Guard::AlwaysOverflow => {
                let overflow = self.routines.label(&mut self.asm, Routine::Overflow);
                self.asm.push_label(overflow);
                self.asm.op(JUMP);
            }
        }
    }

    // ---- the gas meter (ARCHITECTURE.md, "Gas") ----

    /// Charges a segment's static cost up front: the least native cost of its instructions. A segment
    /// is a guarded block, so it ends after each request to the EM (which may end the frame) and
    /// each instruction with a dynamic cost. Charging it whole is exact for the outcome: running out
    /// of gas anywhere in it ends the frame the same way.
    fn charge_segment(&mut self, segment: std::ops::Range<usize>) {
        debug_assert_eq!(self.prepaid, 0, "a segment is charged only when the previous one is spent");
        let cost: u64 = self.program.instructions[segment].iter().map(|ins| min_gas(ins.opcode)).sum();
        if cost > 0 {
            self.asm.push_u64(cost);
            self.charge_top();
            self.prepaid = cost;
        }
    }

    /// EXP's 50 per byte of its exponent (the second operand): count the bytes by shifting them out.
    fn charge_exponent_bytes(&mut self) {
        let (top, done) = (self.asm.new_label(), self.asm.new_label());
        self.asm.ops(&[dup(2), PUSH0]); // [bytes, e]
        self.asm.bind(top);
        self.asm.ops(&[JUMPDEST, dup(2), ISZERO]);
        self.asm.push_label(done);
        self.asm.op(JUMPI);
        self.asm.push_u64(1);
        self.asm.ops(&[ADD, SWAP1]);
        self.asm.push_u64(8);
        self.asm.ops(&[SHR, SWAP1]); // [bytes + 1, e >> 8]
        self.asm.push_label(top);
        self.asm.op(JUMP);
        self.asm.bind(done);
        self.asm.ops(&[JUMPDEST, SWAP1, POP]);
        self.asm.push_u64(EXP_BYTE_COST);
        self.asm.op(MUL);
        self.charge_top();
    }

    /// The per-word or per-byte part of an instruction's cost, from its size operand, and a call's
    /// value-transfer cost (before it runs, as natively). Memory expansion is charged after it,
    /// from MSIZE.
    fn charge_size_cost(&mut self, opcode: u8) {
        if opcode == EXP {
            self.charge_exponent_bytes();
            return;
        }
        if matches!(opcode, CALL | CALLCODE) {
            // A call that moves value costs 9000 more, of which the callee's 2300 stipend comes back
            // to the caller when unused: at least (value != 0) * 6700.
            self.asm.ops(&[dup(3), ISZERO, ISZERO]);
            self.asm.push_u64(CALL_VALUE_COST - CALL_STIPEND);
            self.asm.op(MUL);
            self.charge_top();
            return;
        }
        // (stack position of the size operand, gas per word; 0 = per byte at 8)
        let (position, per_word) = match opcode {
            KECCAK256 => (2, KECCAK_WORD_COST),
            CALLDATACOPY | CODECOPY | MCOPY => (3, COPY_WORD_COST),
            EXTCODECOPY => (4, COPY_WORD_COST),
            LOG0..=LOG4 => (2, 0),
            // Not RETURNDATACOPY, CREATE, CREATE2: their bounds and EIP-3860 checks come first.
            _ => return,
        };
        self.asm.op(dup(position));
        if per_word == 0 {
            self.asm.push_u64(8);
            self.asm.op(MUL);
        } else {
            // A size so large that this wraps would run out of gas natively anyway.
            emit_words(&mut self.asm);
            self.asm.push_u64(per_word);
            self.asm.op(MUL);
        }
        self.charge_top();
    }

    /// `meter -= top`; out of gas when that would go below zero (the meter is below 2^63).
    fn charge_top(&mut self) {
        let out_of_gas = self.routines.label(&mut self.asm, Routine::OutOfGas);
        emit_charge(&mut self.asm, out_of_gas);
    }

    /// Before an instruction that may expand memory over the physical window whose offset is at
    /// stack position `offset` (1 = top): charge the expansion first, so that memory native gas
    /// cannot pay for is never allocated physically. Inline, a window ending within memory already
    /// charged goes on at once (`offset + size` wrapping around means a size or offset no gas pays
    /// for: the instruction itself halts); the routine does the rest.
    fn precharge_memory(&mut self, offset: u8, size: Operand) {
        let routine = self.routines.label(&mut self.asm, Routine::PrechargeMemory);
        // `above` items sit over the instruction's own operands when the window is pushed.
        emit_precharge(&mut self.asm, routine, |asm, above| {
            asm.op(dup(offset + above));
            match size {
                Operand::Const(value) => asm.push_u64(value),
                Operand::Stack(position) => asm.op(dup(position + above + 1)),
            }
        });
    }

    fn instruction(&mut self, i: usize) {
        let ins = self.program.instructions[i];
        let top_folded = i > 0 && self.program.folds[i - 1];
        let mode = self.program.mode;
        match ins.opcode {
            op if is_push(op) => self.push(i),
            JUMP if top_folded => self.asm.op(JUMP),
            JUMPI if top_folded => self.asm.op(JUMPI),
            JUMP => self.dynamic_jump(),
            JUMPI => {
                // [cond, dest] -> [dest, cond]: only a taken branch looks the destination up,
                // so a not-taken JUMPI never faults on its destination.
                self.asm.op(SWAP1);
                let jump = self.routines.label(&mut self.asm, Routine::Jump);
                self.asm.push_label(jump);
                self.asm.ops(&[JUMPI, POP]);
            }
            MLOAD | MSTORE | MSTORE8 | KECCAK256 | CALLDATACOPY | REVERT | RETURN if !has_routine(ins.opcode, mode) => {
                self.relocate_top_unless(top_folded);
                let size = match ins.opcode {
                    MLOAD | MSTORE => Operand::Const(32),
                    MSTORE8 => Operand::Const(1),
                    CALLDATACOPY => Operand::Stack(3),
                    _ => Operand::Stack(2),
                };
                self.precharge_memory(1, size);
                if matches!(ins.opcode, RETURN | REVERT) {
                    let routine = self.routines.label(&mut self.asm, Routine::EndWithData(ins.opcode));
                    self.asm.push_label(routine);
                    self.asm.op(JUMP);
                } else {
                    self.asm.op(ins.opcode);
                }
            }
            MCOPY => {
                self.relocate_top_unless(top_folded);
                self.asm.op(SWAP1);
                emit_saturating_add_s(&mut self.asm);
                self.asm.op(SWAP1);
                // Both windows grow memory: [dst, src, size].
                self.precharge_memory(1, Operand::Stack(3));
                self.precharge_memory(2, Operand::Stack(3));
                self.asm.op(MCOPY);
            }
            CODECOPY => {
                self.relocate_top_unless(top_folded);
                self.precharge_memory(1, Operand::Stack(3));
                self.asm.op(SWAP1);
                emit_saturating_add_label(&mut self.asm, self.original);
                self.asm.ops(&[SWAP1, CODECOPY]);
            }
            MSIZE => {
                self.asm.op(MSIZE);
                self.asm.push_u64(S as u64);
                self.asm.ops(&[SWAP1, SUB]);
            }
            CODESIZE => self.asm.push_u64(self.program.code.len() as u64),
            PC => self.asm.push_u64(ins.pc as u64),
            RETURNDATASIZE => {
                self.asm.push_u64(SCRATCH_RDSIZE as u64);
                self.asm.op(MLOAD);
            }
            op if context_word(op).is_some() => {
                self.asm.push_u64(context_word(op).map_or(0, |w| w.slot()) as u64);
                self.asm.op(MLOAD);
            }
            op if has_routine(op, mode) => {
                self.call_routine(Routine::Entry(op));
                if op == SELFDESTRUCT {
                    self.stop();
                }
            }
            STOP => self.stop(),
            GAS => {
                // Native GAS: the meter, plus what this segment charged up front for the
                // instructions after GAS.
                self.asm.push_u64(ContextWord::GasMeter.slot() as u64);
                self.asm.op(MLOAD);
                if self.prepaid > 0 {
                    self.asm.push_u64(self.prepaid);
                    self.asm.op(ADD);
                }
            }
            STACKGUARD | SIZEHALT => self.asm.op(RESERVED_REPLACEMENT),
            // Pure instructions, JUMPDEST-less GAS, INVALID and undefined opcodes: unchanged.
            op => self.asm.op(op),
        }
    }

    fn relocate_top_unless(&mut self, folded: bool) {
        if !folded {
            emit_saturating_add_s(&mut self.asm);
        }
    }

    /// A PUSH, copied, or with its value transformed for the instruction that consumes it.
    fn push(&mut self, i: usize) {
        let ins = self.program.instructions[i];
        let immediate = ins.immediate(self.program.code);
        if !self.program.folds[i] {
            self.asm.op(ins.opcode);
            self.asm.raw(&immediate.padded());
            return;
        }
        let value = immediate.word();
        match self.program.instructions[i + 1].opcode {
            JUMP | JUMPI => match self.static_destination(&value) {
                Some(label) => self.asm.push_label(label),
                // Physical 0 is not a JUMPDEST: the jump halts with InvalidJump, as natively.
                None => self.asm.op(PUSH0),
            },
            _ => self.asm.push_bytes(&saturating_add_s(value)),
        }
    }

    fn static_destination(&self, value: &[u8; 32]) -> Option<Label> {
        if value[..28].iter().any(|&b| b != 0) {
            return None;
        }
        let pc = u32::from_be_bytes([value[28], value[29], value[30], value[31]]);
        self.jumpdest_label(pc)
    }

    fn dynamic_jump(&mut self) {
        let jump = self.routines.label(&mut self.asm, Routine::Jump);
        self.asm.push_label(jump);
        self.asm.op(JUMP);
    }

    /// `PUSHw ret PUSHw routine JUMP ret: JUMPDEST`.
    fn call_routine(&mut self, routine: Routine) {
        let back = self.asm.new_label();
        let entry = self.routines.label(&mut self.asm, routine);
        self.asm.push_label(back);
        self.asm.push_label(entry);
        self.asm.op(JUMP);
        self.asm.bind(back);
        self.asm.op(JUMPDEST);
    }

    /// One `w`-byte physical PC per original PC up to the last JUMPDEST, 0 where none.
    fn jump_table(&mut self) {
        self.asm.bind(self.table);
        let width = self.asm.width();
        for pc in 0..self.program.table_entries {
            if self.program.is_jumpdest[pc] {
                let label = self.jumpdest_label(pc as u32).expect("every JUMPDEST has a label");
                self.asm.label_bytes(label, width);
            } else {
                self.asm.raw(&[0u8; 3][..width]);
            }
        }
    }
}

/// `x < 2^255 ? x + S : 2^256 - 1`, the value the relocation sequence computes.
pub fn saturating_add_s(mut value: [u8; 32]) -> [u8; 32] {
    if value[0] & 0x80 != 0 {
        return [0xff; 32];
    }
    let mut carry = S as u64;
    for byte in value.iter_mut().rev() {
        let sum = *byte as u64 + (carry & 0xff);
        *byte = sum as u8;
        carry = (carry >> 8) + (sum >> 8);
        if carry == 0 {
            break;
        }
    }
    value
}
