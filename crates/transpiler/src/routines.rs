//! The shared routines at the end of the body: one entry per kind of replaced instruction, a few
//! shared bodies, the dynamic-jump lookup, the overflow loop and the failure exit.
//!
//! Contract with a call site: `PUSHw ret PUSHw entry JUMP ret: JUMPDEST`. An entry stores `ret`
//! at `SCRATCH_RETURN_ADDRESS`, spills the native operands (top first) into `A0, A1, ...`, writes
//! its op id at `SCRATCH_OP_ID`, does its work on a shallow stack and returns with
//! `PUSH0 MLOAD JUMP`, leaving the native results in place of the operands.

use std::collections::BTreeSet;

use crate::asm::{Asm, Label};
use crate::layout::*;
use crate::opcodes::*;
use crate::Mode;

/// Everything that can be emitted after the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Routine {
    /// Entry point for a replaced original opcode.
    Entry(u8),
    /// A request of `inputs` words, replying one word if `output`, then, if `surcharge`, the gas its
    /// state-dependent cost adds to the meter's static charge (a cold access, an SSTORE's cost).
    WordRequest { inputs: u8, output: bool, surcharge: bool },
    /// Body shared by CALL, CALLCODE, DELEGATECALL, STATICCALL.
    Call,
    /// Body shared by CREATE, CREATE2.
    Create,
    /// Dynamic JUMP/JUMPI: looks the destination up in the jump table.
    Jump,
    /// Grows the stack until it overflows (a block that always overflows first).
    Overflow,
    /// `INVALID`: a failed EM request halts exceptionally, as the native instruction would.
    Fail,
    /// The gas meter ran out: halt out of gas (`MLOAD(2^256 - 1)`).
    OutOfGas,
    /// `[size, physical offset, ret]`: charges the expansion over that window before it happens.
    PrechargeMemory,
    /// `[physical offset, size]`, jumped to: RETURN or REVERT of that window with the meter as
    /// its trailer.
    EndWithData(u8),
    /// Jumped to: STOP in runtime code: return the meter, flagged `METER_STOPPED_BIT`, as the trailer.
    Stop,
    /// Jumped to: a constructor's successful end without code (STOP): report the meter, stop.
    InitStop,
}

impl Routine {
    pub fn name(self) -> String {
        match self {
            Routine::Entry(opcode) => info(opcode).name.to_string(),
            Routine::WordRequest { inputs, output, surcharge } => {
                format!(
                    "word request ({inputs} in, {} out{})",
                    output as u8,
                    if surcharge { ", surcharge" } else { "" }
                )
            }
            Routine::Call => "call body".into(),
            Routine::Create => "create body".into(),
            Routine::Jump => "dynamic jump".into(),
            Routine::Overflow => "stack overflow".into(),
            Routine::Fail => "fail (INVALID)".into(),
            Routine::OutOfGas => "out of gas".into(),
            Routine::PrechargeMemory => "precharge memory".into(),
            Routine::EndWithData(opcode) => format!("{} with meter", info(opcode).name),
            Routine::Stop => "stop".into(),
            Routine::InitStop => "constructor stop".into(),
        }
    }
}

/// Where the jump table is, for the dynamic-jump routine.
#[derive(Clone, Copy)]
pub struct JumpTable {
    pub label: Label,
    pub entries: u64,
}

/// A routine's place in the output, for the disassembler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoutineSpan {
    pub name: String,
    pub start: usize,
    pub end: usize,
}

/// The routines referenced so far, emitted on demand (unused ones cost nothing).
pub struct Routines {
    labels: std::collections::BTreeMap<Routine, Label>,
}

impl Routines {
    pub fn new() -> Self {
        Routines { labels: Default::default() }
    }

    /// The label of `routine`, which will then be emitted.
    pub fn label(&mut self, asm: &mut Asm, routine: Routine) -> Label {
        *self.labels.entry(routine).or_insert_with(|| asm.new_label())
    }

    /// Emits every referenced routine, including those referenced by routines, in a fixed order.
    pub fn emit_all(&mut self, asm: &mut Asm, mode: Mode, table: JumpTable) -> Vec<RoutineSpan> {
        // The body has referenced every entry it uses: only code with a RETURNDATACOPY can read
        // return data after another request has replaced the physical buffer.
        let keep_return_data = self.labels.contains_key(&Routine::Entry(RETURNDATACOPY));
        let mut done = BTreeSet::new();
        let mut spans = Vec::new();
        while let Some(routine) = self.labels.keys().copied().find(|r| !done.contains(r)) {
            done.insert(routine);
            let label = self.labels[&routine];
            let start = asm.len();
            asm.bind(label);
            let mut ctx = Ctx { asm, routines: self, table, keep_return_data };
            ctx.emit(routine, mode);
            spans.push(RoutineSpan { name: routine.name(), start, end: asm.len() });
        }
        spans
    }
}

struct Ctx<'a> {
    asm: &'a mut Asm,
    routines: &'a mut Routines,
    table: JumpTable,
    /// Call and create requests carry `OP_KEEP_RETURN_DATA`.
    keep_return_data: bool,
}

const fn a(i: usize) -> usize {
    scratch_arg(i)
}

impl Ctx<'_> {
    fn emit(&mut self, routine: Routine, mode: Mode) {
        match routine {
            Routine::Entry(opcode) => self.entry(opcode, mode),
            Routine::WordRequest { inputs, output, surcharge } => {
                self.word_request_body(inputs as usize, output, surcharge)
            }
            Routine::Call => self.call_body(),
            Routine::Create => self.create_body(),
            Routine::Jump => self.jump(),
            Routine::Overflow => self.overflow(),
            Routine::Fail => self.asm.ops(&[JUMPDEST, INVALID]),
            Routine::OutOfGas => self.asm.ops(&[JUMPDEST, PUSH0, NOT, MLOAD]),
            Routine::PrechargeMemory => self.precharge_memory(),
            Routine::EndWithData(opcode) => self.end_with_data(opcode),
            Routine::Stop => {
                self.asm.op(JUMPDEST);
                self.mload(ContextWord::GasMeter.slot());
                self.asm.push_u64(1);
                self.asm.push_u64(METER_STOPPED_BIT as u64);
                self.asm.ops(&[SHL, OR]);
                self.mstore(ContextWord::GasMeter.slot());
                self.asm.push_u64(METER_TRAILER_LEN as u64);
                self.asm.push_u64(ContextWord::GasMeter.slot() as u64);
                self.asm.op(RETURN);
            }
            Routine::InitStop => {
                self.asm.op(JUMPDEST);
                self.report_meter();
                self.asm.op(STOP);
            }
        }
    }

    /// `[o, n]` (physical offset, size; memory already charged): `opcode(o, n + 32)` with the meter
    /// stored right after the data, or `opcode(meter slot, 32)` when there is no data (so that a
    /// zero-size window at a huge offset allocates nothing).
    fn end_with_data(&mut self, opcode: u8) {
        let (empty, beyond_usize) = (self.asm.new_label(), self.asm.new_label());
        self.asm.ops(&[JUMPDEST, dup(2), ISZERO]);
        self.jump_if(empty);
        // A size beyond 64 bits halts (InvalidOperandOOG, as natively) before the trailer's 32
        // bytes could wrap it around to a small one.
        self.asm.push_u64(u64::MAX);
        self.asm.ops(&[dup(3), GT]);
        self.jump_if(beyond_usize);
        self.mload(ContextWord::GasMeter.slot());
        self.asm.ops(&[dup(3), dup(3), ADD, MSTORE, SWAP1]);
        self.asm.push_u64(METER_TRAILER_LEN as u64);
        self.asm.ops(&[ADD, SWAP1, opcode]);
        self.asm.bind(empty);
        self.asm.ops(&[JUMPDEST, POP, POP]);
        self.asm.push_u64(METER_TRAILER_LEN as u64);
        self.asm.push_u64(ContextWord::GasMeter.slot() as u64);
        self.asm.op(opcode);
        self.asm.bind(beyond_usize);
        self.asm.ops(&[JUMPDEST, opcode]);
    }

    /// `OP_REPORT_METER`: a constructor about to return successfully tells the EM its meter. The
    /// request's success is not checked (the EM accepts it from the active frame): a constructor may
    /// stop with a full stack, where the physical CALL has no room left to push its result.
    fn report_meter(&mut self) {
        self.asm.push_u64(OP_REPORT_METER as u64);
        self.asm.push_u64(SCRATCH_REQUEST as u64);
        self.asm.op(MSTORE8);
        self.mload(ContextWord::GasMeter.slot());
        self.mstore(SCRATCH_REQUEST + 1);
        self.asm.ops(&[PUSH0, PUSH0]);
        self.asm.push_u64(request_header_len(1) as u64);
        self.asm.push_u64(SCRATCH_REQUEST as u64);
        self.asm.op(PUSH0);
        self.push_em();
        self.asm.ops(&[GAS, CALL]);
    }

    /// `[size, off, ret]`: nothing for `size = 0` or a window inside memory already charged
    /// (`off + size <= METERED_MSIZE`); else out of gas past 2^64 bytes (no gas pays for that),
    /// or charge the `w` logical words the window reaches and record `S + 32w`. A saturated offset
    /// wraps here and halts in the instruction itself, as natively.
    fn precharge_memory(&mut self) {
        let pop_two = self.asm.new_label();
        let pop_one = self.asm.new_label();
        let out_of_gas = self.label_of(Routine::OutOfGas);
        self.asm.ops(&[JUMPDEST, DUP1, ISZERO]);
        self.jump_if(pop_two);
        self.asm.ops(&[ADD, DUP1]); // [end, end, ret]
        self.mload(SCRATCH_METERED_MSIZE);
        self.asm.ops(&[LT, ISZERO]);
        self.jump_if(pop_one);
        self.asm.op(DUP1);
        self.asm.push_u64(u64::MAX);
        self.asm.op(LT);
        self.jump_if(out_of_gas);
        // w = (end - S + 31) / 32; METERED_MSIZE = S + 32w
        self.asm.push_u64(S as u64);
        self.asm.ops(&[SWAP1, SUB]);
        emit_words(self.asm);
        self.asm.op(DUP1);
        self.asm.push_u64(5);
        self.asm.op(SHL);
        self.asm.push_u64(S as u64);
        self.asm.op(ADD);
        self.mstore(SCRATCH_METERED_MSIZE);
        self.charge_memory_words();
        self.asm.op(JUMP);
        self.asm.bind(pop_two);
        self.asm.ops(&[JUMPDEST, POP]);
        self.asm.bind(pop_one);
        self.asm.ops(&[JUMPDEST, POP, JUMP]);
    }

    /// `[w, ..]` → `[..]`: charges `C(w) - MemoryCharged`, `C(w) = 3w + w^2/512` (out of gas if the
    /// meter cannot pay), and records `C(w)`.
    fn charge_memory_words(&mut self) {
        self.asm.ops(&[DUP1, DUP1, MUL]);
        self.asm.push_u64(512);
        self.asm.ops(&[SWAP1, DIV, SWAP1]);
        self.asm.push_u64(3);
        self.asm.ops(&[MUL, ADD, DUP1]);
        self.mload(ContextWord::MemoryCharged.slot());
        self.asm.op(SWAP1);
        self.mstore(ContextWord::MemoryCharged.slot());
        self.asm.ops(&[SWAP1, SUB]);
        let out_of_gas = self.label_of(Routine::OutOfGas);
        emit_charge(self.asm, out_of_gas);
    }

    // ---- small building blocks ----

    fn label_of(&mut self, routine: Routine) -> Label {
        self.routines.label(self.asm, routine)
    }

    fn mload(&mut self, slot: usize) {
        self.asm.push_u64(slot as u64);
        self.asm.op(MLOAD);
    }

    /// Stores the top of the stack at `slot`.
    fn mstore(&mut self, slot: usize) {
        self.asm.push_u64(slot as u64);
        self.asm.op(MSTORE);
    }

    fn store_zero(&mut self, slot: usize) {
        self.asm.op(PUSH0);
        self.mstore(slot);
    }

    fn jump_to(&mut self, routine: Routine) {
        let label = self.label_of(routine);
        self.asm.push_label(label);
        self.asm.op(JUMP);
    }

    fn jump_if(&mut self, label: Label) {
        self.asm.push_label(label);
        self.asm.op(JUMPI);
    }

    /// Halts exceptionally if the top of the stack (a success flag) is zero.
    fn fail_unless(&mut self) {
        self.asm.op(ISZERO);
        let fail = self.label_of(Routine::Fail);
        self.jump_if(fail);
    }

    fn return_to_site(&mut self) {
        self.asm.ops(&[PUSH0, MLOAD, JUMP]);
    }

    /// `A_slot = sat(A_slot + S)`.
    fn relocate_slot(&mut self, slot: usize) {
        self.mload(slot);
        emit_saturating_add_s(self.asm);
        self.mstore(slot);
    }

    /// Charges the memory expansion of the physical window `[p, p + n)`, then expands memory over
    /// it: memory no native gas can pay for is never allocated.
    fn expand_window(&mut self, ptr_slot: usize, len_slot: usize) {
        self.precharge_window(ptr_slot, len_slot);
        self.expand_physically(ptr_slot, len_slot);
    }

    /// The meter's charge for the window `[p, p + n)`: nothing when it ends inside memory already
    /// charged, else the `PrechargeMemory` routine.
    fn precharge_window(&mut self, ptr_slot: usize, len_slot: usize) {
        let routine = self.label_of(Routine::PrechargeMemory);
        emit_precharge(self.asm, routine, |asm, _| {
            for slot in [ptr_slot, len_slot] {
                asm.push_u64(slot as u64);
                asm.op(MLOAD);
            }
        });
    }

    /// Expands memory over the physical window exactly as the native instruction would:
    /// `MCOPY(p, p, n)` copies the window onto itself, does nothing for `n == 0`, and runs out of
    /// gas for a window no gas can pay (where `MLOAD(p + n - 32)` could wrap around).
    fn expand_physically(&mut self, ptr_slot: usize, len_slot: usize) {
        self.mload(len_slot);
        self.mload(ptr_slot);
        self.asm.ops(&[DUP1, MCOPY]);
    }

    fn push_em(&mut self) {
        // 0x42 << 152: five bytes instead of PUSH20's twenty-one.
        self.asm.push_u64(0x42);
        self.asm.push_u64(152);
        self.asm.op(SHL);
    }

    /// `RDSIZE = RETURNDATASIZE - 64; RDFRESH = 1` after a call-like reply (`word ‖ used ‖ data`).
    fn record_return_data(&mut self) {
        self.asm.push_u64(REPLY_HEADER_LEN as u64);
        self.asm.ops(&[RETURNDATASIZE, SUB]);
        self.mstore(SCRATCH_RDSIZE);
        self.asm.push_u64(1);
        self.mstore(SCRATCH_RDFRESH);
    }

    /// Charges the meter the native gas the callee used (the reply's second word) and pushes the
    /// first (success flag or address), both via `A0, A1`.
    fn settle_reply(&mut self) {
        self.asm.push_u64(REPLY_HEADER_LEN as u64);
        self.asm.op(PUSH0);
        self.asm.push_u64(a(0) as u64);
        self.asm.op(RETURNDATACOPY);
        self.mload(a(1));
        let out_of_gas = self.label_of(Routine::OutOfGas);
        emit_charge(self.asm, out_of_gas);
        self.mload(a(0));
    }

    /// Entry: store the return address, spill operands (top first) into `slots`, write the op id.
    fn spill(&mut self, op_id: u8, slots: &[usize]) {
        self.asm.op(JUMPDEST);
        self.mstore(SCRATCH_RETURN_ADDRESS);
        for &slot in slots {
            self.mstore(slot);
        }
        self.asm.push_u64(op_id as u64);
        self.mstore(SCRATCH_OP_ID);
    }

    /// Sends `op ‖ words` from the request buffer; the reply's first `reply_len` bytes land at `A0`.
    fn send_words(&mut self, word_slots: &[usize], reply_len: usize) {
        self.mload(SCRATCH_OP_ID);
        self.asm.push_u64(SCRATCH_REQUEST as u64);
        self.asm.op(MSTORE8);
        for (i, &slot) in word_slots.iter().enumerate() {
            self.mload(slot);
            self.mstore(SCRATCH_REQUEST + 1 + 32 * i);
        }
        self.asm.push_u64(reply_len as u64);
        self.asm.push_u64(if reply_len == 0 { 0 } else { a(0) as u64 });
        self.asm.push_u64(request_header_len(word_slots.len()) as u64);
        self.asm.push_u64(SCRATCH_REQUEST as u64);
        self.asm.op(PUSH0);
        self.push_em();
        self.asm.ops(&[GAS, CALL]);
        self.fail_unless();
        self.store_zero(SCRATCH_RDFRESH);
    }

    /// Sends `op ‖ words ‖ data` where data is the physical window `[A_ptr, A_ptr + A_len)`.
    ///
    /// The header goes right in front of the data (the bytes under it saved to scratch and restored
    /// after the request), or alone into the request buffer when the data is empty. Relocation
    /// guarantees `ptr - header >= SCRATCH_PAD`. Leaves RDFRESH to the caller.
    fn send_with_data(&mut self, word_slots: &[usize], ptr_slot: usize, len_slot: usize) {
        let header = request_header_len(word_slots.len()) as u64;
        let base_chosen = self.asm.new_label();
        // base = len == 0 ? REQUEST : ptr - header
        self.asm.push_u64(SCRATCH_REQUEST as u64);
        self.mload(len_slot);
        self.asm.op(ISZERO);
        self.jump_if(base_chosen);
        self.asm.op(POP);
        self.asm.push_u64(header);
        self.mload(ptr_slot);
        self.asm.op(SUB);
        self.asm.bind(base_chosen);
        self.asm.op(JUMPDEST); // [base]
                               // save: MCOPY(SAVED, base, header)
        self.asm.push_u64(header);
        self.asm.op(dup(2));
        self.asm.push_u64(SCRATCH_SAVED as u64);
        self.asm.op(MCOPY);
        // header: op byte, then the words
        self.mload(SCRATCH_OP_ID);
        self.asm.ops(&[dup(2), MSTORE8]);
        for (i, &slot) in word_slots.iter().enumerate() {
            self.mload(slot);
            self.asm.op(dup(2));
            self.asm.push_u64(1 + 32 * i as u64);
            self.asm.ops(&[ADD, MSTORE]);
        }
        // CALL(GAS, EM, 0, base, header + len, 0, 0)
        self.asm.ops(&[PUSH0, PUSH0]);
        self.mload(len_slot);
        self.asm.push_u64(header);
        self.asm.ops(&[ADD, dup(4), PUSH0]);
        self.push_em();
        self.asm.ops(&[GAS, CALL]);
        self.fail_unless();
        // restore: MCOPY(base, SAVED, header)
        self.asm.push_u64(header);
        self.asm.push_u64(SCRATCH_SAVED as u64);
        self.asm.ops(&[dup(3), MCOPY, POP]);
    }

    // ---- entries ----

    fn entry(&mut self, opcode: u8, mode: Mode) {
        let args = |n: usize| (0..n).map(a).collect::<Vec<_>>();
        match opcode {
            SLOAD => self.word_entry(OP_SLOAD, 1, true, true),
            SSTORE => {
                self.spill(OP_SSTORE, &args(2));
                self.sstore_sentry();
                self.jump_to(Routine::WordRequest { inputs: 2, output: false, surcharge: true });
            }
            TLOAD => self.word_entry(OP_TLOAD, 1, true, false),
            TSTORE => self.word_entry(OP_TSTORE, 2, false, false),
            BALANCE => self.word_entry(OP_BALANCE, 1, true, true),
            SELFBALANCE => self.word_entry(OP_SELFBALANCE, 0, true, false),
            EXTCODESIZE => self.word_entry(OP_EXTCODESIZE, 1, true, true),
            EXTCODEHASH => self.word_entry(OP_EXTCODEHASH, 1, true, true),
            BLOCKHASH => self.word_entry(OP_BLOCKHASH, 1, true, false),
            BLOBHASH => self.word_entry(OP_BLOBHASH, 1, true, false),
            SELFDESTRUCT => self.word_entry(OP_SELFDESTRUCT, 1, false, true),
            EXTCODECOPY => self.extcodecopy(),
            RETURNDATACOPY => self.returndatacopy(),
            CALL | CALLCODE => {
                self.spill(self.keeping(if opcode == CALL { OP_CALL } else { OP_CALLCODE }), &args(7));
                self.jump_to(Routine::Call);
            }
            DELEGATECALL | STATICCALL => {
                // No value operand: A2 = 0, the rest shifted to the CALL layout.
                let op_id = self.keeping(if opcode == DELEGATECALL { OP_DELEGATECALL } else { OP_STATICCALL });
                self.spill(op_id, &[a(0), a(1), a(3), a(4), a(5), a(6)]);
                self.store_zero(a(2));
                self.jump_to(Routine::Call);
            }
            CREATE => {
                self.spill(self.keeping(OP_CREATE), &args(3));
                self.store_zero(a(3));
                self.asm.push_u64(INITCODE_WORD_COST);
                self.mstore(a(4));
                self.jump_to(Routine::Create);
            }
            CREATE2 => {
                self.spill(self.keeping(OP_CREATE2), &args(4));
                self.asm.push_u64(INITCODE_WORD_COST + KECCAK_WORD_COST);
                self.mstore(a(4));
                self.jump_to(Routine::Create);
            }
            LOG0..=LOG4 => self.log(opcode - LOG0),
            RETURN if mode == Mode::Init => self.init_return(),
            _ => unreachable!("no routine for opcode {opcode:#04x}"),
        }
    }

    /// A call or create op id, flagged when this code may read the return data later.
    fn keeping(&self, op_id: u8) -> u8 {
        if self.keep_return_data {
            op_id | OP_KEEP_RETURN_DATA
        } else {
            op_id
        }
    }

    fn word_entry(&mut self, op_id: u8, inputs: usize, output: bool, surcharge: bool) {
        self.spill(op_id, &(0..inputs).map(a).collect::<Vec<_>>());
        self.jump_to(Routine::WordRequest { inputs: inputs as u8, output, surcharge });
    }

    fn word_request_body(&mut self, inputs: usize, output: bool, surcharge: bool) {
        self.asm.op(JUMPDEST);
        let reply_words = output as usize + surcharge as usize;
        self.send_words(&(0..inputs).map(a).collect::<Vec<_>>(), 32 * reply_words);
        if surcharge {
            self.mload(a(reply_words - 1));
            let out_of_gas = self.label_of(Routine::OutOfGas);
            emit_charge(self.asm, out_of_gas);
        }
        if output {
            self.mload(a(0));
        }
        self.return_to_site();
    }

    /// EIP-2200's sentry, at SSTORE's entry: out of gas if native gas left, the meter plus SSTORE's
    /// own static charge, is at most the stipend.
    fn sstore_sentry(&mut self) {
        self.mload(ContextWord::GasMeter.slot());
        self.asm.push_u64(CALL_STIPEND - min_gas(SSTORE) + 1);
        self.asm.op(GT);
        let out_of_gas = self.label_of(Routine::OutOfGas);
        self.jump_if(out_of_gas);
    }

    /// `[m] -> [m - m / 64]`: the 63/64 rule.
    fn all_but_one_64th(&mut self) {
        self.asm.op(DUP1);
        self.asm.push_u64(6);
        self.asm.ops(&[SHR, SWAP1, SUB]);
    }

    /// A0 gas, A1 address, A2 value, A3/A4 args window, A5/A6 return window; the request's words
    /// are gas, address, value and the meter.
    fn call_body(&mut self) {
        self.asm.op(JUMPDEST);
        self.relocate_slot(a(3));
        self.relocate_slot(a(5));
        self.expand_window(a(3), a(4));
        self.expand_window(a(5), a(6));
        // The meter goes with the request: the EM charges the call's state-dependent cost (and the
        // stipend's share of the value cost) before it applies the 63/64 rule to what is left.
        self.mload(ContextWord::GasMeter.slot());
        self.mstore(SCRATCH_CALL_BUDGET);
        self.send_with_data(&[a(0), a(1), a(2), SCRATCH_CALL_BUDGET], a(3), a(4));
        self.record_return_data();
        // RETURNDATACOPY(A5, 64, min(A6, RDSIZE)): after the restore, so return data wins.
        self.mload(SCRATCH_RDSIZE);
        self.mload(a(6));
        self.asm.ops(&[dup(2), dup(2), LT, dup(3), dup(3), SUB, MUL, SWAP1, POP, ADD]);
        self.asm.push_u64(REPLY_HEADER_LEN as u64);
        self.mload(a(5));
        self.asm.op(RETURNDATACOPY);
        self.settle_reply();
        self.return_to_site();
    }

    /// A0 value, A1/A2 initcode window, A3 salt (0 for CREATE), A4 gas per initcode word.
    fn create_body(&mut self) {
        let too_large = self.asm.new_label();
        self.asm.op(JUMPDEST);
        // A length beyond 64 bits is out of gas (InvalidOperandOOG) before anything else, natively.
        self.asm.push_u64(u64::MAX);
        self.mload(a(2));
        self.asm.op(GT);
        let out_of_gas = self.label_of(Routine::OutOfGas);
        self.jump_if(out_of_gas);
        // EIP-3860 halts the creator before memory is expanded.
        self.mload(a(2));
        self.asm.push_u64(MAX_INITCODE_LEN as u64);
        self.asm.op(LT);
        self.jump_if(too_large);
        // The initcode's words (and CREATE2's hashing of them): A4 gas per word.
        self.mload(a(2));
        emit_words(self.asm);
        self.mload(a(4));
        self.asm.op(MUL);
        emit_charge(self.asm, out_of_gas);
        self.relocate_slot(a(1));
        self.expand_window(a(1), a(2));
        // budget cap for the constructor = meter - meter / 64
        self.mload(ContextWord::GasMeter.slot());
        self.all_but_one_64th();
        self.mstore(SCRATCH_CALL_BUDGET);
        self.send_with_data(&[a(0), a(3), SCRATCH_CALL_BUDGET], a(1), a(2));
        self.record_return_data();
        self.settle_reply();
        self.return_to_site();
        // A physical CREATE above the layer-2 EVM's initcode limit halts with the native reason.
        self.asm.bind(too_large);
        self.asm.op(JUMPDEST);
        self.asm.push_u64(MAX_CODE_LEN as u64 + 1);
        self.asm.ops(&[PUSH0, PUSH0, CREATE, INVALID]);
    }

    /// A0/A1 data window, A2.. topics.
    fn log(&mut self, topics: u8) {
        let topics = topics as usize;
        // The topics come off the stack after the memory is charged, as revm pops them.
        self.spill(OP_LOG0 + topics as u8, &[a(0), a(1)]);
        self.relocate_slot(a(0));
        self.expand_window(a(0), a(1));
        for slot in (2..2 + topics).map(a) {
            self.mstore(slot);
        }
        self.send_with_data(&(2..2 + topics).map(a).collect::<Vec<_>>(), a(0), a(1));
        self.store_zero(SCRATCH_RDFRESH);
        self.return_to_site();
    }

    /// A0 address, A1 destination, A2 code offset, A3 length. Length 0: no request.
    /// The request goes even for an empty copy: the account access costs (and warms) all the same.
    /// The reply is the surcharge, then the code window.
    fn extcodecopy(&mut self) {
        let empty = self.asm.new_label();
        self.spill(OP_EXTCODECOPY, &[a(0), a(1), a(2), a(3)]);
        self.mload(a(3));
        self.asm.op(ISZERO);
        self.jump_if(empty);
        self.relocate_slot(a(1));
        self.expand_window(a(1), a(3));
        self.asm.bind(empty);
        self.asm.op(JUMPDEST);
        self.send_words(&[a(0), a(2), a(3)], 32);
        self.mload(a(0));
        let out_of_gas = self.label_of(Routine::OutOfGas);
        emit_charge(self.asm, out_of_gas);
        self.copy_reply_to(a(1), a(3), 32);
        self.return_to_site();
    }

    /// `RETURNDATACOPY(A_dest, reply_offset, A_len)`.
    fn copy_reply_to(&mut self, dest_slot: usize, len_slot: usize, reply_offset: u64) {
        self.mload(len_slot);
        self.asm.push_u64(reply_offset);
        self.mload(dest_slot);
        self.asm.op(RETURNDATACOPY);
    }

    /// A0 destination, A1 offset, A2 length.
    fn returndatacopy(&mut self) {
        let (out_of_bounds, stale, done) = (self.asm.new_label(), self.asm.new_label(), self.asm.new_label());
        self.spill(OP_RETURNDATACOPY, &[a(0), a(1), a(2)]);
        // A2 > RDSIZE or A1 > RDSIZE - A2: out of bounds (no overflow in 256 bits).
        self.mload(SCRATCH_RDSIZE);
        self.mload(a(2));
        self.asm.op(GT);
        self.jump_if(out_of_bounds);
        self.mload(a(2));
        self.mload(SCRATCH_RDSIZE);
        self.asm.op(SUB);
        self.mload(a(1));
        self.asm.op(GT);
        self.jump_if(out_of_bounds);
        // Then the copy's 3 gas per word, as natively (the length is within the return data).
        self.mload(a(2));
        emit_words(self.asm);
        self.asm.push_u64(COPY_WORD_COST);
        self.asm.op(MUL);
        let out_of_gas = self.label_of(Routine::OutOfGas);
        emit_charge(self.asm, out_of_gas);
        self.mload(a(2));
        self.asm.op(ISZERO);
        self.jump_if(done);
        self.relocate_slot(a(0));
        self.precharge_window(a(0), a(2));
        self.mload(SCRATCH_RDFRESH);
        self.asm.op(ISZERO);
        self.jump_if(stale);
        // Fresh: the physical buffer is `success ‖ used ‖ data`.
        self.mload(a(2));
        self.mload(a(1));
        self.asm.push_u64(REPLY_HEADER_LEN as u64);
        self.asm.op(ADD);
        self.mload(a(0));
        self.asm.op(RETURNDATACOPY);
        self.asm.push_label(done);
        self.asm.op(JUMP);
        // Stale: ask the EM (after expanding, so it is never asked for more than gas allows).
        self.asm.bind(stale);
        self.asm.op(JUMPDEST);
        self.expand_physically(a(0), a(2));
        self.send_words(&[a(1), a(2)], 0);
        self.copy_reply_to(a(0), a(2), 0);
        self.asm.bind(done);
        self.asm.op(JUMPDEST);
        self.return_to_site();
        // A physical out-of-bounds copy, so the halt reason is the native one (OutOfOffset, or
        // InvalidOperandOOG for a length beyond usize, checked first as natively).
        self.asm.bind(out_of_bounds);
        self.asm.op(JUMPDEST);
        self.mload(a(2));
        self.asm.push_u64(1);
        self.asm.ops(&[RETURNDATASIZE, ADD, PUSH0, RETURNDATACOPY, INVALID]);
    }

    /// Init mode `RETURN(A0, A1)`: memory as natively, then EIP-3541 and EIP-170 on the original
    /// bytes (in revm's order), then return the runtime code transpiled by TRANSPILE_RUNTIME.
    fn init_return(&mut self) {
        let empty = self.asm.new_label();
        let starts_with_ef = self.asm.new_label();
        let too_large = self.asm.new_label();
        self.spill(0, &[a(0), a(1)]);
        self.mload(a(1));
        self.asm.op(ISZERO);
        self.jump_if(empty);
        self.relocate_slot(a(0));
        self.expand_window(a(0), a(1));
        self.mload(a(0));
        self.asm.ops(&[MLOAD, PUSH0, BYTE]);
        self.asm.push_u64(0xef);
        self.asm.op(EQ);
        self.jump_if(starts_with_ef);
        self.asm.push_u64(MAX_RUNTIME_CODE_LEN as u64);
        self.mload(a(1));
        self.asm.op(GT);
        self.jump_if(too_large);
        // The code deposit, 200 per byte, out of the constructor's gas (after EIP-3541 and EIP-170,
        // as natively).
        self.mload(a(1));
        self.asm.push_u64(CODE_DEPOSIT_PER_BYTE);
        self.asm.op(MUL);
        let out_of_gas = self.label_of(Routine::OutOfGas);
        emit_charge(self.asm, out_of_gas);
        self.report_meter();
        // STATICCALL(GAS, TRANSPILE_RUNTIME, A0, A1, 0, 0)
        self.asm.ops(&[PUSH0, PUSH0]);
        self.mload(a(1));
        self.mload(a(0));
        self.asm.push_bytes(&TRANSPILE_RUNTIME_ADDRESS);
        self.asm.ops(&[GAS, STATICCALL]);
        self.fail_unless();
        self.asm.ops(&[RETURNDATASIZE, PUSH0, PUSH0, RETURNDATACOPY, RETURNDATASIZE, PUSH0, RETURN]);
        self.asm.bind(empty);
        self.asm.op(JUMPDEST);
        self.report_meter();
        self.asm.ops(&[PUSH0, PUSH0, RETURN]);
        // Deploying a physical 0xEF halts with the native reason (EIP-3541 is on physically).
        self.asm.bind(starts_with_ef);
        self.asm.op(JUMPDEST);
        self.asm.push_u64(0xef);
        self.asm.ops(&[PUSH0, MSTORE8]);
        self.asm.push_u64(1);
        self.asm.ops(&[PUSH0, RETURN]);
        self.asm.bind(too_large);
        self.asm.ops(&[JUMPDEST, SIZEHALT]);
    }

    /// `[dest] -> JUMP(table[dest])`, where a missing or zero entry jumps to physical 0
    /// (not a JUMPDEST: InvalidJump, as natively).
    fn jump(&mut self) {
        let width = self.asm.width() as u64;
        self.asm.op(JUMPDEST);
        self.store_zero(SCRATCH_JUMP_BUFFER);
        // length = width * (dest < entries); a huge dest copies nothing
        self.asm.op(DUP1);
        self.asm.push_u64(self.table.entries);
        self.asm.op(GT);
        self.asm.push_u64(width);
        self.asm.op(MUL);
        // offset = table + dest * width (wraps harmlessly when the length is 0)
        self.asm.op(SWAP1);
        self.asm.push_u64(width);
        self.asm.op(MUL);
        self.asm.push_label(self.table.label);
        self.asm.op(ADD);
        self.asm.push_u64((SCRATCH_JUMP_BUFFER + 32) as u64 - width);
        self.asm.op(CODECOPY);
        self.mload(SCRATCH_JUMP_BUFFER);
        self.asm.op(JUMP);
    }

    fn overflow(&mut self) {
        let again = self.asm.new_label();
        self.asm.bind(again);
        self.asm.ops(&[JUMPDEST, PUSH0]);
        self.asm.push_label(again);
        self.asm.op(JUMP);
    }
}

/// `[bytes] -> [words]`: the 32-byte words a size in bytes spans, rounded up (a size within 31 of
/// 2^256 wraps; no gas pays for such a size anyway).
pub fn emit_words(asm: &mut Asm) {
    asm.push_u64(31);
    asm.op(ADD);
    asm.push_u64(5);
    asm.op(SHR);
}

/// The gas meter's charge of the top of the stack: `meter -= top`, and a jump to `out_of_gas` when
/// that went below zero (the meter stays below 2^63, so a wrapped result has high bits set).
pub fn emit_charge(asm: &mut Asm, out_of_gas: Label) {
    asm.push_u64(ContextWord::GasMeter.slot() as u64);
    asm.ops(&[MLOAD, SUB, DUP1]);
    asm.push_u64(ContextWord::GasMeter.slot() as u64);
    asm.op(MSTORE);
    asm.push_u64(63);
    asm.op(SHR);
    asm.push_label(out_of_gas);
    asm.op(JUMPI);
}

/// The memory precharge of a window: `if offset + size > METERED_MSIZE { PrechargeMemory([size,
/// offset, done]) } done:`. `push_window(asm, above)` pushes the offset, then the size, with
/// `above` items pushed since the first time it was called (it is called twice).
pub fn emit_precharge(asm: &mut Asm, routine: Label, push_window: impl Fn(&mut Asm, u8)) {
    let done = asm.new_label();
    push_window(asm, 0);
    asm.op(ADD);
    asm.push_u64(SCRATCH_METERED_MSIZE as u64);
    asm.ops(&[MLOAD, LT, ISZERO]);
    asm.push_label(done);
    asm.op(JUMPI);
    asm.push_label(done);
    push_window(asm, 1);
    asm.push_label(routine);
    asm.op(JUMP);
    asm.bind(done);
    asm.op(JUMPDEST);
}

/// The saturating relocation `x -> x < 2^255 ? x + S : 2^256 - 1` on the top of the stack:
/// `DUP1 PUSH1 0xff SAR SWAP1 PUSH2 S ADD OR`.
pub fn emit_saturating_add_s(asm: &mut Asm) {
    asm.op(DUP1);
    asm.push_u64(0xff);
    asm.ops(&[SAR, SWAP1]);
    asm.push_u64(S as u64);
    asm.ops(&[ADD, OR]);
}

/// The same saturating add with a label (the original-code start) as the addend.
pub fn emit_saturating_add_label(asm: &mut Asm, addend: Label) {
    asm.op(DUP1);
    asm.push_u64(0xff);
    asm.ops(&[SAR, SWAP1]);
    asm.push_label(addend);
    asm.ops(&[ADD, OR]);
}
