//! Where things are in transpiled code: header, prologue, body, routines, jump table, original.

mod common;

use common::*;
use ovm_transpiler::layout::*;
use ovm_transpiler::{read_header, transpile, Mode};

const SAMPLE: &[u8] =
    &[0x60, 0x80, 0x60, 0x40, 0x52, 0x34, 0x80, 0x15, 0x60, 0x0e, 0x57, 0x5f, 0x80, 0xfd, 0x5b, 0x50, 0x00];

#[test]
fn header_says_where_the_original_code_is() {
    let t = transpile(SAMPLE, Mode::Runtime).unwrap();
    assert_eq!(t.code[0], 0x63, "PUSH4: byte 0 is neither JUMPDEST nor 0xEF");
    assert_eq!(t.code[5], 0x50);
    assert_eq!(t.code[6], 0x63);
    assert_eq!(t.code[11], 0x50);
    assert_eq!(read_header(&t.code), Some((t.original_start, SAMPLE.len())));
    assert_eq!(t.code[1..5], (t.original_start as u32).to_be_bytes());
    assert_eq!(t.code[7..HEADER_LEN - 1], (SAMPLE.len() as u32).to_be_bytes());
}

#[test]
fn original_code_is_verbatim_and_strictly_last() {
    let t = transpile(SAMPLE, Mode::Runtime).unwrap();
    assert_eq!(t.original_start + t.original_len, t.code.len());
    assert_eq!(&t.code[t.original_start..], SAMPLE);
    assert_eq!(t.sections.jump_table.end, t.original_start);
}

#[test]
fn sections_follow_each_other_in_order() {
    let t = transpile(SAMPLE, Mode::Runtime).unwrap();
    let s = &t.sections;
    assert_eq!(s.prologue.start, HEADER_LEN);
    assert_eq!(s.prologue.end, s.body.start);
    assert_eq!(s.body.end, s.routines.start);
    assert_eq!(s.routines.end, s.jump_table.start);
}

#[test]
fn prologue_expands_memory_to_s_and_fetches_the_context_into_scratch() {
    let t = transpile(&[], Mode::Runtime).unwrap();
    let prologue = &t.code[t.sections.prologue.clone()];
    let listing = instructions(prologue, 0..prologue.len());
    // MSTORE(S - 32, 0) first: memory is S bytes before anything else runs.
    assert_eq!(listing[0].1, 0x5f);
    assert_eq!(listing[1].2, ((S - 32) as u16).to_be_bytes());
    assert_eq!(listing[2].1, 0x52);
    // STATICCALL of the CONTEXT built-in, reply window = the context snapshot.
    let pushed: Vec<&[u8]> = listing.iter().map(|(_, _, imm)| imm.as_slice()).collect();
    assert!(pushed.contains(&&CONTEXT_ADDRESS[..]));
    assert!(pushed.contains(&&((CONTEXT_WORDS * 32) as u16).to_be_bytes()[..]));
    assert!(pushed.contains(&&(SCRATCH_CONTEXT as u16).to_be_bytes()[..]));
    let ops = opcodes_of(prologue);
    assert!(ops.contains(&0xfa) && !ops.contains(&0xf1), "one STATICCALL, no request to the EM");
}

#[test]
fn body_ends_with_a_jump_to_the_stop_routine() {
    for code in [&[][..], &[0x01], &[0x60], SAMPLE] {
        let t = transpile(code, Mode::Runtime).unwrap();
        let body = &t.code[..t.sections.body.end];
        let stop = t.routines.iter().find(|(name, _)| name == "stop").expect("the stop routine").1.start;
        assert_eq!(&body[body.len() - 4..], [0x61, (stop >> 8) as u8, stop as u8, 0x56], "code {code:02x?}");
    }
}

#[test]
fn stop_returns_the_meter_flagged_as_a_stop() {
    let t = transpile(&[0x00], Mode::Runtime).unwrap();
    let stop = t.routines.iter().find(|(name, _)| name == "stop").unwrap().1.clone();
    let ops = opcodes_of(&t.code[stop]);
    assert_eq!(ops.first(), Some(&0x5b));
    assert_eq!(ops.last(), Some(&0xf3), "a RETURN of the trailer");
    assert!(ops.contains(&0x1b) && ops.contains(&0x17), "SHL and OR set the STOP bit");
}

#[test]
fn pc_map_covers_every_original_instruction_in_order() {
    let t = transpile(SAMPLE, Mode::Runtime).unwrap();
    let originals: Vec<u32> = t.pc_map.iter().map(|&(o, _)| o).collect();
    assert_eq!(originals, vec![0, 2, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16]);
    assert_eq!(t.pc_map[0].1 as usize, t.sections.body.start);
    check_invariants(SAMPLE, &t);
}

#[test]
fn truncated_final_push_is_zero_padded_and_then_stops() {
    // PUSH3 0xaa: two bytes missing; natively it pushes 0xaa0000 and the code then stops.
    let code = [0x62, 0xaa];
    let t = transpile(&code, Mode::Runtime).unwrap();
    assert_eq!(t.pc_map.len(), 1);
    assert_eq!(translation(&t, 0), [0x62, 0xaa, 0x00, 0x00]);
    check_invariants(&code, &t);
}

#[test]
fn pure_instructions_are_copied() {
    let code = [0x01, 0x02, 0x1b, 0x35, 0x36, 0x80, 0x9f, 0x50, 0xfe];
    let t = transpile(&code, Mode::Runtime).unwrap();
    for (i, &opcode) in code.iter().enumerate() {
        assert_eq!(translation(&t, i), [opcode], "instruction {i}");
    }
}

#[test]
fn replaced_reads_use_scratch() {
    // ADDRESS, TIMESTAMP, RETURNDATASIZE, CODESIZE, PC, MSIZE
    let code = [0x30, 0x42, 0x3d, 0x38, 0x58, 0x59];
    let t = transpile(&code, Mode::Runtime).unwrap();
    assert_eq!(translation(&t, 0), [0x61, 0x03, 0x60, 0x51]);
    assert_eq!(ContextWord::Address.slot(), 0x360);
    assert_eq!(translation(&t, 1), [0x61, 0x04, 0x20, 0x51]);
    assert_eq!(translation(&t, 2), [0x61, 0x01, 0x20, 0x51]);
    assert_eq!(translation(&t, 3), [0x60, 0x06], "CODESIZE is the original length");
    assert_eq!(translation(&t, 4), [0x60, 0x04], "PC is the original pc");
    assert_eq!(translation(&t, 5), [0x59, 0x61, 0x06, 0x00, 0x90, 0x03], "MSIZE - S");
}

#[test]
fn reserved_bytes_in_original_code_stay_undefined() {
    for reserved in [STACKGUARD, SIZEHALT] {
        let t = transpile(&[reserved], Mode::Runtime).unwrap();
        assert_eq!(translation(&t, 0), [RESERVED_REPLACEMENT]);
    }
    assert!(!ovm_transpiler::opcodes::info(RESERVED_REPLACEMENT).defined);
}

#[test]
fn state_access_calls_a_routine_and_comes_back() {
    // SLOAD: PUSH2 ret PUSH2 routine JUMP ret: JUMPDEST
    let t = transpile(&[0x5f, 0x54], Mode::Runtime).unwrap();
    let bytes = full_translation(&t, 1);
    let site = t.pc_map[1].1 as usize;
    assert_eq!(opcodes_of(bytes), [0x61, 0x61, 0x56, 0x5b]);
    let ret = u16::from_be_bytes([bytes[1], bytes[2]]) as usize;
    assert_eq!(ret, site + 7, "returns to the JUMPDEST after the jump");
    let entry = u16::from_be_bytes([bytes[4], bytes[5]]) as usize;
    assert!(t.sections.routines.contains(&entry));
    assert_eq!(t.code[entry], 0x5b);
    assert!(t.routines.iter().any(|(name, r)| name == "SLOAD" && r.start == entry));
}

#[test]
fn every_state_access_has_its_own_routine_entry() {
    // SLOAD SSTORE TLOAD TSTORE BALANCE SELFBALANCE EXTCODESIZE EXTCODEHASH EXTCODECOPY BLOCKHASH
    // BLOBHASH LOG0..LOG4 CALL CALLCODE DELEGATECALL STATICCALL CREATE CREATE2 SELFDESTRUCT
    // RETURNDATACOPY
    let replaced = [
        0x54u8, 0x55, 0x5c, 0x5d, 0x31, 0x47, 0x3b, 0x3f, 0x3c, 0x40, 0x49, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xf1, 0xf2,
        0xf4, 0xfa, 0xf0, 0xf5, 0xff, 0x3e,
    ];
    for opcode in replaced {
        let code = [0x5f, opcode];
        let t = transpile(&code, Mode::Runtime).unwrap();
        let bytes = translation(&t, 1);
        // Size-dependent gas may be charged before the call, memory expansion after it.
        let call = bytes
            .windows(8)
            .position(|w| w[0] == 0x61 && w[3] == 0x61 && w[6] == 0x56 && w[7] == 0x5b)
            .unwrap_or_else(|| panic!("opcode {opcode:#04x}: no routine call in {bytes:02x?}"));
        if opcode == 0xff {
            assert_eq!(bytes[call + 8], 0x61, "SELFDESTRUCT stops after its request");
            assert_eq!(bytes[call + 11], 0x56);
        }
        let bytes = &bytes[call..];
        let entry = u16::from_be_bytes([bytes[4], bytes[5]]) as usize;
        let name = ovm_transpiler::opcodes::info(opcode).name;
        assert!(t.routines.iter().any(|(n, r)| n == name && r.start == entry), "{name}");
    }
}

#[test]
fn context_reads_come_from_the_snapshot() {
    let context = [0x30u8, 0x33, 0x34, 0x32, 0x3a, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x48, 0x4a];
    for (word, opcode) in context.into_iter().enumerate() {
        let t = transpile(&[opcode], Mode::Runtime).unwrap();
        let slot = (SCRATCH_CONTEXT + 32 * word) as u16;
        assert_eq!(translation(&t, 0), [0x61, (slot >> 8) as u8, slot as u8, 0x51], "opcode {opcode:#04x}");
    }
}

/// The op id a routine writes before its request: `PUSH1 id PUSH1 SCRATCH_OP_ID MSTORE`.
fn request_op_ids(t: &ovm_transpiler::Transpiled, routine: &str) -> Vec<u8> {
    let span = &t.routines.iter().find(|(name, _)| name == routine).expect("routine emitted").1;
    let ins = instructions(&t.code, span.start..span.end);
    ins.windows(3)
        .filter(|w| w[0].1 == 0x60 && w[1].1 == 0x60 && w[1].2 == [SCRATCH_OP_ID as u8] && w[2].1 == 0x52)
        .map(|w| w[0].2[0])
        .collect()
}

#[test]
fn calls_ask_the_em_to_keep_return_data_only_in_code_that_can_copy_it_later() {
    // PUSH0 x7 CALL, then PUSH0 x4 CREATE2; the second program ends with RETURNDATACOPY(0, 0, 0).
    let calls = [vec![0x5f; 7], vec![0xf1], vec![0x5f; 4], vec![0xf5]].concat();
    let copying = [calls.clone(), vec![0x5f, 0x5f, 0x5f, 0x3e]].concat();
    let plain = transpile(&calls, Mode::Runtime).unwrap();
    assert_eq!(request_op_ids(&plain, "CALL"), [OP_CALL]);
    assert_eq!(request_op_ids(&plain, "CREATE2"), [OP_CREATE2]);
    let keeping = transpile(&copying, Mode::Runtime).unwrap();
    assert_eq!(request_op_ids(&keeping, "CALL"), [OP_CALL | OP_KEEP_RETURN_DATA]);
    assert_eq!(request_op_ids(&keeping, "CREATE2"), [OP_CREATE2 | OP_KEEP_RETURN_DATA]);
    assert_eq!(request_op_ids(&keeping, "RETURNDATACOPY"), [OP_RETURNDATACOPY], "the copy itself is unflagged");
}
