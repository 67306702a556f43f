//! The example contracts transpile, keep their invariants, and the listing shows every part.

mod common;

use common::*;
use ovm_transpiler::{disassemble, transpile, Mode};

fn hex_field(json: &str, field: &str) -> Vec<u8> {
    let key = format!("\"{field}\"");
    let at = json.find(&key).expect("field present") + key.len();
    let rest = &json[at..];
    let start = rest.find("\"").unwrap() + 1;
    let end = start + rest[start..].find('"').unwrap();
    let hex = rest[start..end].trim_start_matches("0x");
    (0..hex.len() / 2).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap()).collect()
}

fn examples() -> Vec<(String, Vec<u8>, Vec<u8>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../contracts/artifacts/examples");
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<_> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| {
            let json = std::fs::read_to_string(e.path()).unwrap();
            let name = e.path().file_stem().unwrap().to_string_lossy().into_owned();
            (name, hex_field(&json, "bytecode"), hex_field(&json, "deployedBytecode"))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn example_contracts_transpile_with_their_invariants() {
    for (name, init, runtime) in examples() {
        let t = transpile(&runtime, Mode::Runtime).unwrap();
        check_invariants(&runtime, &t);
        let i = transpile(&init, Mode::Init).unwrap();
        check_invariants(&init, &i);
        eprintln!(
            "{name}: runtime {} -> {} bytes ({:.2}x; body {}, routines {}, table {}), init {} -> {} bytes",
            runtime.len(),
            t.code.len(),
            t.code.len() as f64 / runtime.len() as f64,
            t.sections.body.len(),
            t.sections.routines.len(),
            t.sections.jump_table.len(),
            init.len(),
            i.code.len()
        );
    }
}

#[test]
fn the_listing_shows_body_routines_table_and_original() {
    // PUSH1 0x40 MLOAD SLOAD CALLDATASIZE JUMP JUMPDEST STOP
    let code = [0x60, 0x40, 0x51, 0x54, 0x36, 0x56, 0x5b, 0x00];
    let t = transpile(&code, Mode::Runtime).unwrap();
    let listing = disassemble(&code, &t);
    assert!(listing.contains("000000  PUSH1 0x40"), "{listing}");
    assert!(listing.contains("PUSH2 0x0640"), "{listing}");
    assert!(listing.contains("STACKGUARD"), "{listing}");
    assert!(listing.contains("SLOAD ["), "{listing}");
    assert!(listing.contains("dynamic jump ["), "{listing}");
    assert!(listing.contains("; jump table at"), "{listing}");
    assert!(listing.contains(&format!("; original code at {:#x}: 8 bytes", t.original_start)), "{listing}");
}
