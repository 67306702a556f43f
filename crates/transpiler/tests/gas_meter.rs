//! The gas meter: each block charges the least native cost of its instructions up front, a request
//! to the EM ends a charging segment, size-dependent costs are charged from the size operand, and
//! memory growth is charged before an instruction (or a request to the EM) that grows memory.

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
fn a_request_to_the_em_ends_a_charging_segment_and_a_guarded_block() {
    // PUSH0 SLOAD PUSH0 SLOAD STOP: the second segment starts after the first SLOAD returns, as a
    // block of its own, with its own stack check: a request that runs out of gas comes before a
    // later instruction's stack failure, as natively.
    let t = transpile(&[0x5f, 0x54, 0x5f, 0x54, 0x00], Mode::Runtime).unwrap();
    assert_eq!(charge_of(&t, 0), Some(2 + 100));
    assert_eq!(charge_of(&t, 2), Some(2 + 100));
    let first_sload = full_translation(&t, 1);
    assert!((0..first_sload.len()).all(|i| split_charge(&first_sload[i..]).is_none()), "no charge inside the SLOAD");
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
    // PUSH0 MLOAD, PUSH0 PUSH0 MSTORE, PUSH1 32 PUSH0 KECCAK256: a precharge, nothing after
    for (code, index) in [(&[0x5f, 0x51][..], 1), (&[0x5f, 0x5f, 0x52][..], 2), (&[0x60, 0x20, 0x5f, 0x20][..], 2)] {
        let t = transpile(code, Mode::Runtime).unwrap();
        let bytes = full_translation(&t, index);
        assert!(strip_memory_precharges(bytes).len() < bytes.len(), "{code:02x?}: precharged");
        assert_eq!(bytes.last(), code.last(), "{code:02x?}: the instruction itself comes last");
    }
}

#[test]
fn requests_charge_the_memory_they_grow_before_they_are_made() {
    // PUSH0 PUSH0 LOG0, PUSH0 PUSH0 PUSH0 PUSH0 EXTCODECOPY, PUSH0 x7 CALL, PUSH0 x3 CREATE,
    // PUSH0 x3 RETURNDATACOPY: the routine reaches PrechargeMemory before it asks the EM (or
    // copies), and the call site checks nothing after it returns.
    let cases: [(&[u8], &str); 5] = [
        (&[0x5f, 0x5f, 0xa0], "LOG0"),
        (&[0x5f, 0x5f, 0x5f, 0x5f, 0x3c], "EXTCODECOPY"),
        (&[0x5f, 0x5f, 0x5f, 0x5f, 0x5f, 0x5f, 0x5f, 0xf1], "call body"),
        (&[0x5f, 0x5f, 0x5f, 0xf0], "create body"),
        (&[0x5f, 0x5f, 0x5f, 0x3e], "RETURNDATACOPY"),
    ];
    for (code, routine) in cases {
        let t = transpile(code, Mode::Runtime).unwrap();
        let span = |name: &str| t.routines.iter().find(|(n, _)| n == name).map(|(_, r)| r.clone());
        let precharge = span("precharge memory").expect("the precharge routine is emitted").start;
        let body = span(routine).unwrap();
        let ins = instructions(&t.code, body.clone());
        let jumps_to_precharge = ins.iter().position(|(_, op, imm)| {
            (0x61..=0x62).contains(op) && imm.iter().fold(0usize, |v, &b| v << 8 | b as usize) == precharge
        });
        let first_effect = ins.iter().position(|(_, op, _)| [0xf1, 0x3e].contains(op));
        assert!(jumps_to_precharge.is_some(), "{routine}: no precharge");
        assert!(jumps_to_precharge < first_effect, "{routine}: the precharge comes first");
        let site = full_translation(&t, code.len() - 1);
        assert_eq!(&site[site.len() - 2..], [0x56, 0x5b], "{routine}: nothing after the routine returns");
    }
}

#[test]
fn a_lone_jumpdest_is_charged_its_one_gas() {
    // JUMPDEST JUMPDEST PUSH0 JUMP: the first block is only a JUMPDEST; the meter is exact, so it
    // pays its 1 as the loop's block pays JUMPDEST, PUSH0 and JUMP.
    let t = transpile(&[0x5b, 0x5b, 0x5f, 0x56], Mode::Runtime).unwrap();
    assert_eq!(charge_of(&t, 0), Some(1));
    assert_eq!(charge_of(&t, 1), Some(1 + 2 + 8));
}
