//! Memory relocation by S: the saturating sequence, constant folding, MSIZE, CODECOPY.

mod common;

use common::*;
use ovm_transpiler::layout::S;
use ovm_transpiler::{transpile, Mode};

/// The saturating relocation every dynamic memory operand gets.
const SATURATING_ADD_S: [u8; 10] = [0x80, 0x60, 0xff, 0x1d, 0x90, 0x61, 0x06, 0x00, 0x01, 0x17];

fn two_pow(n: u32) -> Word {
    let mut w = [0u8; 32];
    w[31 - (n / 8) as usize] = 1 << (n % 8);
    w
}

fn expected_relocation(x: &Word) -> Word {
    if x[0] & 0x80 != 0 {
        [0xff; 32]
    } else {
        let mut v = *x;
        let low = u128::from_be_bytes(v[16..].try_into().unwrap());
        // the test offsets below keep the low half far from overflow
        v[16..].copy_from_slice(&(low + S as u128).to_be_bytes());
        v
    }
}

fn test_offsets() -> Vec<Word> {
    vec![
        word_from_u128(0),
        word_from_u128(0x40),
        word_from_u128(u64::MAX as u128),
        two_pow(254),
        two_pow(255),
        [0xff; 32],
    ]
}

#[test]
fn dynamic_offsets_get_the_saturating_sequence() {
    // CALLDATASIZE MLOAD
    let t = transpile(&[0x36, 0x51], Mode::Runtime).unwrap();
    let bytes = translation(&t, 1);
    assert_eq!(bytes[..10], SATURATING_ADD_S);
    assert_eq!(bytes[10..], [0x51]);
}

#[test]
fn the_saturating_sequence_computes_x_plus_s_or_all_ones() {
    for x in test_offsets() {
        let out = run(&SATURATING_ADD_S, vec![x]);
        assert_eq!(out, vec![expected_relocation(&x)], "offset {x:02x?}");
    }
    assert_eq!(run(&SATURATING_ADD_S, vec![word_from_u128(0)]), vec![word_from_u128(0x600)]);
    assert_eq!(run(&SATURATING_ADD_S, vec![two_pow(255)]), vec![[0xff; 32]]);
    assert_eq!(run(&SATURATING_ADD_S, vec![[0xff; 32]]), vec![[0xff; 32]]);
}

#[test]
fn a_constant_offset_pushed_just_before_is_folded() {
    // PUSH1 0x40 MLOAD -> PUSH2 0x0640 MLOAD
    let t = transpile(&[0x60, 0x40, 0x51], Mode::Runtime).unwrap();
    assert_eq!(translation(&t, 0), [0x61, 0x06, 0x40]);
    assert_eq!(translation(&t, 1), [0x51]);
    // PUSH0 MSTORE -> PUSH2 0x0600 MSTORE
    let t = transpile(&[0x5f, 0x52], Mode::Runtime).unwrap();
    assert_eq!(translation(&t, 0), [0x61, 0x06, 0x00]);
    assert_eq!(translation(&t, 1), [0x52]);
}

#[test]
fn folding_agrees_with_the_sequence_on_every_test_offset() {
    for x in test_offsets() {
        let mut code = vec![0x7f];
        code.extend_from_slice(&x);
        code.push(0x51);
        let t = transpile(&code, Mode::Runtime).unwrap();
        let folded = run(&translation(&t, 0), vec![]);
        assert_eq!(folded, vec![expected_relocation(&x)], "offset {x:02x?}");
    }
}

#[test]
fn every_memory_operand_is_relocated() {
    // (opcode, how many relocation sequences, trailing opcodes)
    for opcode in [0x51u8, 0x52, 0x53, 0x20, 0x37, 0xf3, 0xfd] {
        let code = [0x36, 0x36, 0x36, opcode];
        let t = transpile(&code, Mode::Runtime).unwrap();
        let bytes = translation(&t, 3);
        assert_eq!(bytes[..10], SATURATING_ADD_S, "opcode {opcode:#04x}");
        if matches!(opcode, 0xf3 | 0xfd) {
            // RETURN and REVERT end through the routine that appends the meter trailer.
            let name = format!("{} with meter", ovm_transpiler::opcodes::info(opcode).name);
            let routine = t.routines.iter().find(|(n, _)| *n == name).expect("the ending routine").1.start;
            assert_eq!(bytes[10..], [0x61, (routine >> 8) as u8, routine as u8, 0x56]);
        } else {
            assert_eq!(bytes[10..], [opcode]);
        }
    }
    // MCOPY relocates destination (top) and source (second).
    let t = transpile(&[0x36, 0x36, 0x36, 0x5e], Mode::Runtime).unwrap();
    let bytes = translation(&t, 3);
    assert_eq!(bytes[..10], SATURATING_ADD_S);
    assert_eq!(bytes[10], 0x90);
    assert_eq!(bytes[11..21], SATURATING_ADD_S);
    assert_eq!(bytes[21..], [0x90, 0x5e]);
}

#[test]
fn codecopy_reads_the_original_code_section() {
    // CALLDATASIZE CALLDATASIZE PUSH1 0x20 CODECOPY: destination folded, code offset + start
    let code = [0x36, 0x36, 0x60, 0x20, 0x39];
    let t = transpile(&code, Mode::Runtime).unwrap();
    assert_eq!(translation(&t, 2), [0x61, 0x06, 0x20]);
    let bytes = translation(&t, 3);
    let start = (t.original_start as u16).to_be_bytes();
    assert_eq!(bytes, [0x90, 0x80, 0x60, 0xff, 0x1d, 0x90, 0x61, start[0], start[1], 0x01, 0x17, 0x90, 0x39]);
    // Evaluate the code-offset part on a few offsets: offset + start, saturating.
    let sequence = &bytes[1..11];
    assert_eq!(run(sequence, vec![word_from_u128(0)]), vec![word_from_u128(t.original_start as u128)]);
    assert_eq!(run(sequence, vec![two_pow(255)]), vec![[0xff; 32]]);
}
