//! JUMPDEST analysis, the dense jump table, static and dynamic jumps.

mod common;

use common::*;
use ovm_transpiler::{transpile, Mode, Transpiled};

/// The jump-table entry for original pc `pc` (0 = not a JUMPDEST).
fn table_entry(t: &Transpiled, pc: usize) -> usize {
    let w = t.jump_table_width;
    let at = t.sections.jump_table.start + pc * w;
    t.code[at..at + w].iter().fold(0, |acc, &b| acc << 8 | b as usize)
}

fn physical_pc_of(t: &Transpiled, original_pc: u32) -> usize {
    t.pc_map.iter().find(|&&(o, _)| o == original_pc).unwrap().1 as usize
}

#[test]
fn jumpdest_inside_push_data_is_not_a_destination() {
    // PUSH2 0x5b5b, JUMPDEST at 3, PUSH1 0x5b, JUMPDEST at 6
    let code = [0x61, 0x5b, 0x5b, 0x5b, 0x60, 0x5b, 0x5b];
    let t = transpile(&code, Mode::Runtime).unwrap();
    assert_eq!(t.jump_table_entries, 7, "entries up to the last JUMPDEST");
    for pc in [0, 1, 2, 4, 5] {
        assert_eq!(table_entry(&t, pc), 0, "pc {pc} is not a JUMPDEST");
    }
    assert_eq!(table_entry(&t, 3), physical_pc_of(&t, 3));
    assert_eq!(table_entry(&t, 6), physical_pc_of(&t, 6));
}

#[test]
fn every_jump_table_entry_points_at_a_physical_jumpdest() {
    let code = [0x5b, 0x60, 0x00, 0x56, 0x5b, 0x5b, 0x61, 0x5b, 0x5b, 0x5b, 0x00];
    let t = transpile(&code, Mode::Runtime).unwrap();
    assert_eq!(t.jump_table_width, 2);
    for pc in 0..t.jump_table_entries {
        let entry = table_entry(&t, pc);
        let is_jumpdest = [0, 4, 5, 9].contains(&pc);
        assert_eq!(entry != 0, is_jumpdest, "pc {pc}");
        if is_jumpdest {
            assert_eq!(t.code[entry], 0x5b, "entry of pc {pc} is a physical JUMPDEST");
        }
    }
}

#[test]
fn code_without_jumpdest_has_an_empty_table() {
    let t = transpile(&[0x60, 0x01, 0x56], Mode::Runtime).unwrap();
    assert_eq!(t.jump_table_entries, 0);
    assert!(t.sections.jump_table.is_empty());
}

#[test]
fn constant_jump_to_a_jumpdest_is_resolved_statically() {
    // PUSH1 4 JUMP INVALID JUMPDEST STOP
    let code = [0x60, 0x04, 0x56, 0xfe, 0x5b, 0x00];
    let t = transpile(&code, Mode::Runtime).unwrap();
    let push = translation(&t, 0);
    assert_eq!(push[0], 0x61, "PUSH2 of a physical pc");
    let target = u16::from_be_bytes([push[1], push[2]]) as usize;
    assert_eq!(target, physical_pc_of(&t, 4));
    assert_eq!(t.code[target], 0x5b);
    assert_eq!(translation(&t, 1), [0x56], "a plain JUMP, no table lookup");
}

#[test]
fn constant_jump_to_a_non_jumpdest_goes_to_physical_zero() {
    // PUSH1 3 JUMP; pc 3 is INVALID, not a JUMPDEST; PUSH1 0x5b's data is never one either.
    for code in [&[0x60, 0x03, 0x56, 0xfe][..], &[0x60, 0x01, 0x57, 0x5b]] {
        let t = transpile(code, Mode::Runtime).unwrap();
        assert_eq!(translation(&t, 0), [0x5f], "PUSH0: physical 0 is the header's PUSH4");
        assert_ne!(t.code[0], 0x5b);
    }
}

#[test]
fn constant_jumpi_is_resolved_statically() {
    // PUSH1 1 PUSH1 6 JUMPI STOP JUMPDEST? no: JUMPDEST at 6
    let code = [0x60, 0x01, 0x60, 0x06, 0x57, 0x00, 0x5b];
    let t = transpile(&code, Mode::Runtime).unwrap();
    let push = translation(&t, 1);
    let target = u16::from_be_bytes([push[1], push[2]]) as usize;
    assert_eq!(target, physical_pc_of(&t, 6));
    assert_eq!(translation(&t, 2), [0x57]);
}

#[test]
fn dynamic_jump_goes_through_the_table_routine() {
    // CALLDATASIZE JUMP
    let t = transpile(&[0x36, 0x56], Mode::Runtime).unwrap();
    let bytes = translation(&t, 1);
    assert_eq!(opcodes_of(&bytes), [0x61, 0x56]);
    let routine = u16::from_be_bytes([bytes[1], bytes[2]]) as usize;
    assert!(t.routines.iter().any(|(name, r)| name == "dynamic jump" && r.start == routine));
}

#[test]
fn dynamic_jumpi_only_looks_up_a_taken_branch() {
    // [cond, dest] -> SWAP1 PUSH2 jump JUMPI POP: a zero condition falls through and drops dest.
    let t = transpile(&[0x36, 0x36, 0x57], Mode::Runtime).unwrap();
    assert_eq!(opcodes_of(&translation(&t, 2)), [0x90, 0x61, 0x57, 0x50]);
}

#[test]
fn push_not_followed_by_its_consumer_is_not_folded() {
    // PUSH1 4 DUP1 JUMP: the JUMP's operand comes from DUP1, so it is dynamic.
    let code = [0x60, 0x04, 0x80, 0x56, 0x5b];
    let t = transpile(&code, Mode::Runtime).unwrap();
    assert_eq!(translation(&t, 0), [0x60, 0x04]);
    assert_eq!(opcodes_of(&translation(&t, 2)), [0x61, 0x56]);
}
