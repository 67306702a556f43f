//! STACKGUARD: `PUSH4 (MIN << 16 | LIMIT)` + `0x0c` at the start of each reachable basic block.

mod common;

use common::*;
use ovm_transpiler::{transpile, Mode};

fn word(min: u32, limit: u32) -> u128 {
    (min as u128) << 16 | limit as u128
}

#[test]
fn a_full_stack_of_pushes_allows_only_an_empty_entry() {
    // 1024 x PUSH1 then STOP: GROWTH 1024, so LIMIT 0.
    let mut code: Vec<u8> = (0..1024).flat_map(|_| [0x60, 0x01]).collect();
    code.push(0x00);
    let t = transpile(&code, Mode::Runtime).unwrap();
    assert_eq!(guard_of(&t, 0), Some(word(0, 0)));
}

#[test]
fn a_block_starting_with_add_needs_two_items() {
    let t = transpile(&[0x01, 0x00], Mode::Runtime).unwrap();
    assert_eq!(guard_of(&t, 0), Some(word(2, 1024)));
}

#[test]
fn min_and_growth_are_measured_from_the_block_entry() {
    // JUMPDEST POP PUSH0 PUSH0 PUSH0 STOP: needs 1, grows by 2 above entry.
    let t = transpile(&[0x5b, 0x50, 0x5f, 0x5f, 0x5f, 0x00], Mode::Runtime).unwrap();
    assert_eq!(guard_of(&t, 0), Some(word(1, 1022)));
    assert_eq!(&full_translation(&t, 0)[..1], [0x5b], "the guard comes after the JUMPDEST");
}

#[test]
fn dup16_and_swap16_need_their_depth() {
    // A DUP on too short a stack halts as an overflow in the reference EVM: MIN's top bit says so,
    // and one toggle at height 0 says it is so from the bottom up.
    let short_is_overflow = 0x8000;
    let one_toggle_at_zero = 1 << 32;
    assert_eq!(
        guard_of(&transpile(&[0x8f], Mode::Runtime).unwrap(), 0),
        Some(word(16 | short_is_overflow, 1023) | one_toggle_at_zero)
    );
    assert_eq!(guard_of(&transpile(&[0x9f], Mode::Runtime).unwrap(), 0), Some(word(17, 1024)));
}

#[test]
fn a_block_that_cannot_fail_has_no_guard() {
    // JUMPDEST STOP, and JUMPDEST PUSH0 POP STOP (grows by 1 though: guarded).
    let t = transpile(&[0x5b, 0x00], Mode::Runtime).unwrap();
    assert_eq!(guard_of(&t, 0), None);
    let t = transpile(&[0x5b, 0x5f, 0x50, 0x00], Mode::Runtime).unwrap();
    assert_eq!(guard_of(&t, 0), Some(word(0, 1023)));
}

#[test]
fn blocks_split_at_jumpdests_and_after_terminators() {
    // PUSH0 PUSH0 JUMPI | ADD JUMPDEST? -> pc: 0 PUSH0, 1 PUSH0, 2 JUMPI, 3 ADD, 4 JUMPDEST, 5 POP
    let t = transpile(&[0x5f, 0x5f, 0x57, 0x01, 0x5b, 0x50], Mode::Runtime).unwrap();
    assert_eq!(guard_of(&t, 0), Some(word(0, 1022)));
    assert_eq!(guard_of(&t, 3), Some(word(2, 1024)), "fall-through after JUMPI starts a block");
    assert_eq!(guard_of(&t, 4), Some(word(1, 1024)), "a JUMPDEST starts a block");
}

#[test]
fn unreachable_blocks_are_not_guarded() {
    // STOP ADD: ADD can never run (no JUMPDEST, not after JUMPI).
    let t = transpile(&[0x00, 0x01], Mode::Runtime).unwrap();
    assert_eq!(guard_of(&t, 1), None);
}

#[test]
fn impossible_blocks_always_fail_with_the_native_reason() {
    // 1025 pushes: every entry height overflows first -> jump to the overflow routine.
    let code = vec![0x5f; 1025];
    let t = transpile(&code, Mode::Runtime).unwrap();
    let first = full_translation(&t, 0);
    assert_eq!(opcodes_of(first), [0x61, 0x56, 0x5f]);
    let target = u16::from_be_bytes([first[1], first[2]]) as usize;
    assert!(t.routines.iter().any(|(name, r)| name == "stack overflow" && r.start == target));
    // POP then 1025 pushes: entry 0 underflows, entry >= 1 overflows: MIN 1 > LIMIT 0.
    let mut code = vec![0x50];
    code.extend(vec![0x5f; 1025]);
    let t = transpile(&code, Mode::Runtime).unwrap();
    assert_eq!(guard_of(&t, 0), Some(word(1, 0)));
}

#[test]
fn a_shortfall_is_named_by_the_instruction_that_falls_short_first() {
    // ISZERO (needs 1), PUSH0 x 3, DUP6 (needs 6 - 3 = 3 at entry): entered with 0 items ISZERO
    // falls short (underflow); with 1 or 2, DUP6 does (revm: overflow). Toggles at 1; MIN 3.
    let t = transpile(&[0x15, 0x5f, 0x5f, 0x5f, 0x85, 0x00], Mode::Runtime).unwrap();
    let toggles_at_1 = 1u128 << 32 | 1u128 << 40;
    assert_eq!(guard_of(&t, 0), Some(word(3 | 0x8000, 1024 - 4) | toggles_at_1));
}
