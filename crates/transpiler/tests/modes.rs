//! Init mode differs from runtime mode only in how a frame ends successfully: RETURN deploys the
//! transpiled runtime code, and RETURN and STOP report the meter to the EM instead of returning it.

mod common;

use common::*;
use ovm_transpiler::{transpile, Mode};

#[test]
fn without_return_both_modes_translate_alike_but_stop_differently() {
    let code = [0x60, 0x80, 0x60, 0x40, 0x52, 0x54, 0x36, 0x56, 0x5b, 0xfd, 0xf1, 0x00];
    let runtime = transpile(&code, Mode::Runtime).unwrap();
    let init = transpile(&code, Mode::Init).unwrap();
    assert_eq!(runtime.pc_map, init.pc_map);
    for i in 0..runtime.pc_map.len() - 1 {
        assert_eq!(translation(&runtime, i), translation(&init, i), "instruction {i}");
    }
    let has = |t: &ovm_transpiler::Transpiled, name: &str| t.routines.iter().any(|(n, _)| n == name);
    assert!(has(&runtime, "stop") && !has(&runtime, "constructor stop"));
    assert!(has(&init, "constructor stop") && !has(&init, "stop"));
    // The constructor's stop reports its meter to the EM (op 0x28) before it stops.
    let routine = init.routines.iter().find(|(n, _)| n == "constructor stop").unwrap().1.clone();
    let listing = instructions(&init.code, routine);
    assert!(listing.iter().any(|(_, op, imm)| *op == 0x60 && imm == &[ovm_transpiler::layout::OP_REPORT_METER]));
    assert_eq!(listing.last().map(|(_, op, _)| *op), Some(0x00));
}

#[test]
fn init_return_goes_through_the_transpile_routine() {
    // PUSH1 0x20 PUSH0 RETURN
    let code = [0x60, 0x20, 0x5f, 0xf3];
    let runtime = transpile(&code, Mode::Runtime).unwrap();
    let init = transpile(&code, Mode::Init).unwrap();
    // Runtime: folded offset, then the RETURN that appends the meter.
    assert_eq!(translation(&runtime, 1), [0x61, 0x06, 0x00]);
    assert_eq!(opcodes_of(&translation(&runtime, 2)), [0x61, 0x56]);
    // Init: the offset is left for the routine, which relocates and checks it.
    assert_eq!(translation(&init, 1), [0x5f]);
    assert_eq!(opcodes_of(&translation(&init, 2)), [0x61, 0x61, 0x56, 0x5b]);
    assert!(init.routines.iter().any(|(name, _)| name == "RETURN"));
    // The routine asks TRANSPILE_RUNTIME, and checks EIP-170 and EIP-3541.
    let routine = &init.code[init.sections.routines.clone()];
    let listing = instructions(routine, 0..routine.len());
    let pushes: Vec<&[u8]> = listing.iter().map(|(_, _, imm)| imm.as_slice()).collect();
    assert!(pushes.contains(&&ovm_transpiler::layout::TRANSPILE_RUNTIME_ADDRESS[..]));
    assert!(pushes.contains(&&[0x60u8, 0x00][..]), "24576 = 0x6000");
    assert!(pushes.contains(&&[0xefu8][..]));
    assert!(listing.iter().any(|(_, op, _)| *op == 0xfa), "STATICCALL to the built-in");
    assert!(pushes.contains(&&[200u8][..]), "the code deposit, 200 per byte");
    assert!(pushes.contains(&&[ovm_transpiler::layout::OP_REPORT_METER][..]), "the meter is reported");
    // Everything before the RETURN is identical.
    assert_eq!(translation(&runtime, 0), translation(&init, 0));
}
