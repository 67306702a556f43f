//! The transpiler's opcode table is hand-written (it must stay pure: no revm), and STACKGUARD and the
//! gas meter's lower bound rest on it. Here it is checked against revm's, opcode by opcode.

use ovm_transpiler::opcodes::{info, min_gas};
use revm::{bytecode::opcode::OpCode, interpreter::instructions::gas_table_spec, primitives::hardfork::SpecId};

/// Opcodes revm 43 knows that Cancun does not have: CLZ (Osaka), SLOTNUM, DUPN, SWAPN, EXCHANGE
/// (Amsterdam).
const AFTER_CANCUN: &[u8] = &[0x1e, 0x4b, 0xe6, 0xe7, 0xe8];

/// The least dynamic cost revm adds to an opcode's static table entry, for the opcodes whose table
/// entry is not their whole least cost (Cancun): SSTORE's warm no-op, CREATE's base, LOG's topics.
fn least_dynamic_gas(opcode: u8) -> u64 {
    match opcode {
        0x55 => 100,
        0xf0 | 0xf5 => 32_000,
        0xa0..=0xa4 => 375 * u64::from(opcode - 0xa0),
        _ => 0,
    }
}

#[test]
fn every_cancun_opcode_has_revms_stack_inputs_outputs_and_immediate_size() {
    for opcode in 0..=255u8 {
        let ours = info(opcode);
        match OpCode::new(opcode) {
            Some(theirs) if !AFTER_CANCUN.contains(&opcode) => {
                assert!(ours.defined, "{opcode:#04x} ({}) is a Cancun opcode", theirs.as_str());
                // revm names 0x44 by its pre-merge name.
                let name = if opcode == 0x44 { "PREVRANDAO" } else { theirs.as_str() };
                assert_eq!(ours.name, name, "{opcode:#04x}: name");
                assert_eq!(ours.inputs, theirs.inputs(), "{opcode:#04x} {}: inputs", ours.name);
                assert_eq!(ours.outputs, theirs.outputs(), "{opcode:#04x} {}: outputs", ours.name);
                let immediate = theirs.info().immediate_size();
                assert_eq!(ours.immediate, immediate, "{opcode:#04x} {}: immediate size", ours.name);
            }
            _ => assert!(!ours.defined, "{opcode:#04x}: not a Cancun opcode, but the transpiler defines it"),
        }
    }
}

#[test]
fn min_gas_is_revms_least_cancun_cost_of_every_opcode() {
    let table = gas_table_spec(SpecId::CANCUN);
    for opcode in 0..=255u8 {
        if !info(opcode).defined {
            continue;
        }
        let least = u64::from(table[opcode as usize]) + least_dynamic_gas(opcode);
        assert_eq!(min_gas(opcode), least, "{opcode:#04x} {}", info(opcode).name);
    }
}
