//! Helpers shared by the spec tests: physical decoding, a tiny stack machine, a fixed-seed PRNG.
#![allow(dead_code)]

use ovm_transpiler::opcodes::info;
use ovm_transpiler::Transpiled;

/// `(physical pc, opcode, immediate)` of every instruction in `code[range]`.
pub fn instructions(code: &[u8], range: std::ops::Range<usize>) -> Vec<(usize, u8, Vec<u8>)> {
    let mut out = Vec::new();
    let mut pc = range.start;
    while pc < range.end {
        let op = code[pc];
        let n = info(op).immediate as usize;
        out.push((pc, op, code[pc + 1..(pc + 1 + n).min(code.len())].to_vec()));
        pc += 1 + n;
    }
    out
}

/// All physical bytes of the `index`-th original instruction (its STACKGUARD included).
pub fn full_translation(t: &Transpiled, index: usize) -> &[u8] {
    let start = t.pc_map[index].1 as usize;
    // The last instruction ends before the body's final `PUSHw stop JUMP`.
    let stop_jump = 2 + t.jump_table_width;
    let end = t.pc_map.get(index + 1).map_or(t.sections.body.end - stop_jump, |&(_, p)| p as usize);
    &t.code[start..end]
}

/// The STACKGUARD operand at the start of the `index`-th instruction's translation (after its
/// JUMPDEST), if there is one.
pub fn guard_of(t: &Transpiled, index: usize) -> Option<u128> {
    let bytes = full_translation(t, index);
    let bytes = bytes.strip_prefix(&[0x5b]).unwrap_or(bytes);
    let (&push, rest) = bytes.split_first()?;
    let width = push.checked_sub(0x5f).filter(|w| (4..=16).contains(w))? as usize;
    if rest.get(width) != Some(&0x0c) {
        return None;
    }
    Some(rest[..width].iter().fold(0u128, |word, &b| word << 8 | b as u128))
}

/// `meter -= top; out of gas if negative`, up to the out-of-gas label: PUSH2 METER MLOAD SUB DUP1
/// PUSH2 METER MSTORE PUSH1 63 SHR.
pub const CHARGE_TOP: [u8; 13] = [0x61, 0x05, 0x00, 0x51, 0x03, 0x80, 0x61, 0x05, 0x00, 0x52, 0x60, 0x3f, 0x1c];

/// Splits a leading `PUSHn cost CHARGE_TOP PUSHw label JUMPI` off `bytes`: (cost, the rest).
pub fn split_charge(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let (&push, rest) = bytes.split_first()?;
    let width = push.checked_sub(0x5f).filter(|w| (1..=8).contains(w))? as usize;
    let cost = rest.get(..width)?.iter().fold(0u64, |c, &b| c << 8 | b as u64);
    let rest = rest[width..].strip_prefix(&CHARGE_TOP[..])?;
    // PUSH2 or PUSH3 label, JUMPI
    let label = (*rest.first()?).checked_sub(0x5f).filter(|w| (2..=3).contains(w))? as usize;
    (rest.get(label + 1) == Some(&0x57)).then(|| (cost, &rest[label + 2..]))
}

/// The native gas charged at the start of the `index`-th instruction (after JUMPDEST and
/// STACKGUARD), if its translation starts a metering segment.
pub fn charge_of(t: &Transpiled, index: usize) -> Option<u64> {
    split_charge(without_guard(full_translation(t, index)).1).map(|(cost, _)| cost)
}

/// `(JUMPDEST if any, the bytes after the STACKGUARD if any)`.
fn without_guard(bytes: &[u8]) -> (&[u8], &[u8]) {
    let (jumpdest, rest) = match bytes.strip_prefix(&[0x5b]) {
        Some(rest) => (&[0x5b][..], rest),
        None => (&[][..], bytes),
    };
    let rest = match rest {
        [push @ 0x63..=0x6f, tail @ ..] if tail.get((*push - 0x5f) as usize) == Some(&0x0c) => {
            &tail[(*push - 0x5f) as usize + 1..]
        }
        _ => rest,
    };
    (jumpdest, rest)
}

/// Splits a leading size-dependent charge (`DUPn` words-or-bytes times a price, then the charge)
/// off `bytes`: (DUPn, the rest).
pub fn split_size_charge(bytes: &[u8]) -> Option<(u8, &[u8])> {
    let dup = *bytes.first().filter(|d| (0x80..=0x8f).contains(*d))?;
    let skip = bytes.len() - rest_len_after_price(bytes)?;
    split_charge_top(&bytes[skip..]).map(|rest| (dup, rest))
}

/// Length of `bytes` after `DUPn (PUSH1 31 ADD PUSH1 5 SHR PUSH1 k MUL | PUSH1 8 MUL)`.
fn rest_len_after_price(bytes: &[u8]) -> Option<usize> {
    let per_word = [0x60, 31, 0x01, 0x60, 5, 0x1c, 0x60];
    if bytes.get(1..8) == Some(&per_word[..]) && bytes.get(9) == Some(&0x02) {
        Some(bytes.len() - 10)
    } else if bytes.get(1..4) == Some(&[0x60, 8, 0x02][..]) {
        Some(bytes.len() - 4)
    } else {
        None
    }
}

/// Splits `CHARGE_TOP PUSHw label JUMPI` off the front of `bytes`.
fn split_charge_top(bytes: &[u8]) -> Option<&[u8]> {
    let rest = bytes.strip_prefix(&CHARGE_TOP[..])?;
    let label = (*rest.first()?).checked_sub(0x5f).filter(|w| (2..=3).contains(w))? as usize;
    (rest.get(label + 1) == Some(&0x57)).then(|| &rest[label + 2..])
}

/// Removes every memory precharge: `DUPk (PUSHn size | DUPm) ADD PUSH2 METERED_MSIZE MLOAD LT
/// ISZERO PUSHw done JUMPI`, then `PUSHw done DUPk (PUSHn size | DUPm) PUSHw routine JUMP done:
/// JUMPDEST`.
pub fn strip_memory_precharges(bytes: &[u8]) -> Vec<u8> {
    let ins = instructions(bytes, 0..bytes.len());
    let label = |op: u8| op == 0x61 || op == 0x62;
    let dup = |op: u8| (0x80..=0x8f).contains(&op);
    let operand = |op: u8| dup(op) || (0x60..=0x67).contains(&op);
    let shape: [&dyn Fn(u8) -> bool; 15] = [
        &dup,
        &operand,
        &|op| op == 0x01,
        &|op| op == 0x61,
        &|op| op == 0x51,
        &|op| op == 0x10,
        &|op| op == 0x15,
        &label,
        &|op| op == 0x57,
        &label,
        &dup,
        &operand,
        &label,
        &|op| op == 0x56,
        &|op| op == 0x5b,
    ];
    let mut out = Vec::new();
    let mut i = 0;
    while i < ins.len() {
        let window = &ins[i..(i + shape.len()).min(ins.len())];
        if window.len() == shape.len() && window.iter().zip(&shape).all(|((_, op, _), fits)| fits(*op)) {
            i += shape.len();
            continue;
        }
        let (_, op, imm) = &ins[i];
        out.push(*op);
        out.extend_from_slice(imm);
        i += 1;
    }
    out
}

/// The physical bytes of the `index`-th original instruction without STACKGUARD and metering: the
/// gas charge of a segment it starts, its size-dependent charge, its memory precharges and its
/// memory-expansion check.
pub fn translation(t: &Transpiled, index: usize) -> Vec<u8> {
    let (jumpdest, rest) = without_guard(full_translation(t, index));
    let rest = split_charge(rest).map_or(rest, |(_, rest)| rest);
    let rest = split_size_charge(rest).map_or(rest, |(_, rest)| rest);
    [jumpdest.to_vec(), strip_memory_precharges(rest)].concat()
}

/// Opcodes of a byte sequence (immediates dropped).
pub fn opcodes_of(bytes: &[u8]) -> Vec<u8> {
    instructions(bytes, 0..bytes.len()).into_iter().map(|(_, op, _)| op).collect()
}

/// 256-bit word, big-endian bytes.
pub type Word = [u8; 32];

pub fn word_from_u128(v: u128) -> Word {
    let mut w = [0u8; 32];
    w[16..].copy_from_slice(&v.to_be_bytes());
    w
}

pub fn word_from_bytes(bytes: &[u8]) -> Word {
    let mut w = [0u8; 32];
    w[32 - bytes.len()..].copy_from_slice(bytes);
    w
}

fn add(a: &Word, b: &Word) -> Word {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in (0..32).rev() {
        let s = a[i] as u16 + b[i] as u16 + carry;
        out[i] = s as u8;
        carry = s >> 8;
    }
    out
}

fn sar(value: &Word, shift: &Word) -> Word {
    let negative = value[0] & 0x80 != 0;
    let fill = if negative { 0xff } else { 0 };
    if shift[..31].iter().any(|&b| b != 0) {
        return [fill; 32];
    }
    let s = shift[31] as usize;
    // bit-by-bit: simple and obviously right
    let bit = |w: &Word, i: usize| (w[31 - i / 8] >> (i % 8)) & 1;
    let mut out = [0u8; 32];
    for i in 0..256 {
        let b = if i + s < 256 { bit(value, i + s) } else { fill & 1 };
        out[31 - i / 8] |= b << (i % 8);
    }
    out
}

/// Runs straight-line code with PUSH*, DUP1, SWAP1, ADD, OR, SAR on `stack` (top last).
pub fn run(code: &[u8], mut stack: Vec<Word>) -> Vec<Word> {
    for (_, op, imm) in instructions(code, 0..code.len()) {
        match op {
            0x5f..=0x7f => stack.push(word_from_bytes(&imm)),
            0x80 => stack.push(*stack.last().unwrap()),
            0x90 => {
                let n = stack.len();
                stack.swap(n - 1, n - 2);
            }
            0x01 | 0x17 | 0x1d => {
                let a = stack.pop().unwrap();
                let b = stack.pop().unwrap();
                stack.push(match op {
                    0x01 => add(&a, &b),
                    0x17 => std::array::from_fn(|i| a[i] | b[i]),
                    _ => sar(&b, &a),
                });
            }
            other => panic!("the test interpreter does not know opcode {other:#04x}"),
        }
    }
    stack
}

/// xorshift64: fixed seed, reproducible.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// Invariants every transpilation must satisfy.
pub fn check_invariants(original: &[u8], t: &Transpiled) {
    assert_eq!(&t.code[t.original_start..], original, "original code is the tail");
    assert_eq!(t.original_len, original.len());
    assert_eq!(ovm_transpiler::read_header(&t.code), Some((t.original_start, t.original_len)));
    let mut last = None;
    for &(orig, phys) in &t.pc_map {
        if let Some((o, p)) = last {
            assert!(orig > o && phys > p, "pc_map strictly increasing: {:?} then {:?}", (o, p), (orig, phys));
        }
        last = Some((orig, phys));
    }
    // Falling off the end stops: the body ends with a jump to the mode's stop routine, which ends
    // the frame with its meter (runtime) or reports it first (init).
    assert_eq!(t.code[t.sections.body.end - 1], 0x56, "body ends with JUMP to the stop routine");
    let stop = if t.mode == ovm_transpiler::Mode::Runtime { "stop" } else { "constructor stop" };
    assert!(t.routines.iter().any(|(name, _)| name == stop), "the {stop} routine is emitted");
}
