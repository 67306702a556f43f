//! The gas meter: each block charges the least native cost of its instructions up front, a request
//! to the EM ends a charging segment, size-dependent costs are charged from the size operand, and
//! memory growth is charged before an instruction that grows memory (after, for requests to the EM).

mod common;

use common::*;
use ovm_transpiler::opcodes::min_gas;
use ovm_transpiler::{transpile, Mode};

#[test]
fn a_block_charges_the_least_native_cost_of_its_instructions() {
    // PUSH1 1 PUSH1 2 ADD POP STOP: 3 + 3 + 3 + 2 + 0
    let t = transpile(&[0x60, 0x01, 0x60, 0x02, 0x01, 0x50, 0x00], Mode::Runtime).unwrap();
    assert_eq!(charge_of(&t, 0), Some(11));
    assert_eq!(charge_of(&t, 1), None, "one charge per segment");
}

#[test]
fn a_jumpdest_block_charges_from_its_jumpdest() {
    // JUMPDEST PUSH0 JUMP
    let t = transpile(&[0x5b, 0x5f, 0x56], Mode::Runtime).unwrap();
    assert_eq!(charge_of(&t, 0), Some(1 + 2 + 8));
}

#[test]
fn a_request_to_the_em_ends_a_charging_segment() {
    // PUSH0 SLOAD PUSH0 SLOAD STOP: the second segment starts after the first SLOAD returns.
    let t = transpile(&[0x5f, 0x54, 0x5f, 0x54, 0x00], Mode::Runtime).unwrap();
    assert_eq!(charge_of(&t, 0), Some(2 + 100));
    let first_sload = full_translation(&t, 1);
    let (cost, rest) = (0..first_sload.len())
        .find_map(|i| split_charge(&first_sload[i..]))
        .expect("a charge after the request returns");
    assert_eq!((cost, rest), (2 + 100, &[][..]), "the SLOAD's translation ends with the next charge");
}

#[test]
fn halting_instructions_cost_nothing_of_their_own() {
    for opcode in [0x00, 0xf3, 0xfd, 0xfe, 0x0c, 0x21] {
        assert_eq!(min_gas(opcode), 0, "opcode {opcode:#04x}");
    }
    assert_eq!(min_gas(0xa4), 375 * 5, "LOG4: 375 plus 375 per topic");
    assert_eq!(min_gas(0xf0), 32_000);
}

#[test]
fn keccak_charges_six_per_word_of_its_size_operand() {
    // PUSH1 64 PUSH0 KECCAK256: the size is the second operand (DUP2)
    let t = transpile(&[0x60, 0x40, 0x5f, 0x20, 0x00], Mode::Runtime).unwrap();
    let bytes = full_translation(&t, 2);
    let (dup, _) = split_size_charge(bytes).expect("a size charge before KECCAK256");
    assert_eq!(dup, 0x81);
    assert_eq!(&bytes[1..10], [0x60, 31, 0x01, 0x60, 5, 0x1c, 0x60, 6, 0x02], "(size + 31) / 32 * 6");
}

#[test]
fn memory_instructions_charge_their_expansion_before_they_run() {
    // PUSH0 MLOAD, PUSH0 PUSH0 MSTORE, PUSH1 32 PUSH0 KECCAK256: a precharge, no check after
    for (code, index) in [(&[0x5f, 0x51][..], 1), (&[0x5f, 0x5f, 0x52][..], 2), (&[0x60, 0x20, 0x5f, 0x20][..], 2)] {
        let t = transpile(code, Mode::Runtime).unwrap();
        let bytes = full_translation(&t, index);
        assert!(strip_memory_precharges(bytes).len() < bytes.len(), "{code:02x?}: precharged");
        assert_eq!(strip_memory_meter(bytes).len(), bytes.len(), "{code:02x?}: no check after");
    }
}

#[test]
fn requests_that_grow_memory_are_followed_by_the_memory_check() {
    // PUSH0 PUSH0 LOG0 is a request; PUSH0 POP grows nothing
    for (code, index, checked) in [(&[0x5f, 0x5f, 0xa0][..], 2, true), (&[0x5f, 0x50][..], 1, false)] {
        let t = transpile(code, Mode::Runtime).unwrap();
        let bytes = full_translation(&t, index);
        let bytes = (0..bytes.len()).find_map(|i| split_charge(&bytes[i..]).map(|_| &bytes[..i])).unwrap_or(bytes);
        assert_eq!(strip_memory_meter(bytes).len() < bytes.len(), checked, "{code:02x?}");
    }
}

#[test]
fn a_lone_jumpdest_is_not_charged() {
    // JUMPDEST JUMPDEST PUSH0 JUMP: the first block is only a JUMPDEST; the loop's JUMP is charged.
    let t = transpile(&[0x5b, 0x5b, 0x5f, 0x56], Mode::Runtime).unwrap();
    assert_eq!(charge_of(&t, 0), None);
    assert_eq!(charge_of(&t, 1), Some(1 + 2 + 8));
}
