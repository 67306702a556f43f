//! Any byte string transpiles without panicking, deterministically, with the invariants intact.

mod common;

use common::*;
use ovm_transpiler::layout::MAX_CODE_LEN;
use ovm_transpiler::{transpile, Mode, TranspileError};

fn check(code: &[u8]) {
    for mode in [Mode::Runtime, Mode::Init] {
        let t = transpile(code, mode).expect("small inputs always transpile");
        check_invariants(code, &t);
    }
}

#[test]
fn every_single_byte() {
    for byte in 0..=255u8 {
        check(&[byte]);
    }
}

#[test]
fn every_two_byte_input() {
    for a in 0..=255u8 {
        for b in 0..=255u8 {
            check(&[a, b]);
        }
    }
}

#[test]
fn ten_thousand_pseudo_random_inputs() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for _ in 0..10_000 {
        let len = (rng.next() % 600) as usize;
        let code: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        check(&code);
    }
}

#[test]
fn the_empty_code() {
    let t = transpile(&[], Mode::Runtime).unwrap();
    check_invariants(&[], &t);
    assert!(t.pc_map.is_empty());
}

#[test]
fn transpiling_is_deterministic() {
    let mut rng = XorShift(42);
    for _ in 0..200 {
        let code: Vec<u8> = (0..(rng.next() % 300)).map(|_| rng.next() as u8).collect();
        for mode in [Mode::Runtime, Mode::Init] {
            assert_eq!(transpile(&code, mode), transpile(&code, mode));
        }
    }
}

#[test]
fn large_code_switches_to_three_byte_labels() {
    // 70k JUMPDESTs: physical JUMPDESTs past 64 KiB need 3-byte labels and entries.
    let code = vec![0x5b; 70_000];
    let t = transpile(&code, Mode::Runtime).unwrap();
    assert_eq!(t.jump_table_width, 3);
    check_invariants(&code, &t);
}

#[test]
fn too_large_input_is_an_error() {
    let code = vec![0u8; MAX_CODE_LEN + 1];
    assert_eq!(
        transpile(&code, Mode::Runtime),
        Err(TranspileError::TooLarge { len: MAX_CODE_LEN + 1, limit: MAX_CODE_LEN })
    );
}

#[test]
fn too_large_output_is_an_error() {
    // 4 MiB of SLOADs: 8 physical bytes each.
    let code = vec![0x54; 4 << 20];
    assert!(matches!(transpile(&code, Mode::Runtime), Err(TranspileError::OutputTooLarge { .. })));
}
