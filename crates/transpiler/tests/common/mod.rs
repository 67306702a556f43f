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
    // The last instruction ends before the body's final STOP.
    let end = t.pc_map.get(index + 1).map_or(t.sections.body.end - 1, |&(_, p)| p as usize);
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

/// The physical bytes of the `index`-th original instruction, without its STACKGUARD.
pub fn translation(t: &Transpiled, index: usize) -> Vec<u8> {
    let bytes = full_translation(t, index);
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
    [jumpdest, rest].concat()
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
    assert_eq!(t.code[t.sections.body.end - 1], 0x00, "body ends with STOP");
}
