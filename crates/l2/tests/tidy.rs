//! One source for the EM's protocol (in the style of rust-analyzer's `xtask/src/tidy.rs`): the
//! ExecutionManager names every number of its protocol once, as a Yul constant
//! (`function NAME() -> x { x := VALUE }`); the ones Rust shares have twins in
//! `ovm_transpiler::layout`, and this test fails when a twin differs, when a constant goes missing,
//! or when a bare protocol number appears in the EM outside its constants.

use alloy_primitives::U256;
use ovm_transpiler::{layout, layout::em, layout::em_transient as t, layout::ledger, opcodes};
use std::collections::BTreeMap;

fn em_source() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contracts/em/ExecutionManager.sol");
    std::fs::read_to_string(path).unwrap()
}

fn literal(text: &str) -> Option<U256> {
    let text = text.trim();
    match text.strip_prefix("0x") {
        Some(hex) => U256::from_str_radix(hex, 16).ok(),
        None => U256::from_str_radix(text, 10).ok(),
    }
}

/// The EM's constants: `function NAME() -> x { x := LITERAL }`, and the tags `{ t := TAG(n) }`.
fn em_constants(source: &str) -> BTreeMap<String, U256> {
    let mut constants = BTreeMap::new();
    for line in source.lines().map(str::trim) {
        let Some(rest) = line.strip_prefix("function ") else { continue };
        let Some((name, rest)) = rest.split_once("() -> ") else { continue };
        let Some((_, value)) = rest.split_once(":= ") else { continue };
        let Some(value) = value.split_once(" }").map(|(v, _)| v) else { continue };
        let value = match value.strip_prefix("TAG(").and_then(|v| v.strip_suffix(')')) {
            Some(n) => literal(n).map(|n| (U256::from(1) << 255) | n),
            None => literal(value),
        };
        if let Some(value) = value {
            constants.insert(name.to_owned(), value);
        }
    }
    constants
}

fn word(bytes: &[u8]) -> U256 {
    U256::from_be_slice(bytes)
}

/// Every EM constant that has a twin in Rust, with the twin's value.
fn twins() -> Vec<(&'static str, U256)> {
    let n = |v: u64| U256::from(v);
    let tag = |v: u64| (U256::from(1) << 255) | U256::from(v);
    let mut twins = vec![
        ("SEQUENCER", word(&em::SEQUENCER_ADDRESS)),
        ("TRANSPILE_INIT", word(&layout::TRANSPILE_INIT_ADDRESS)),
        ("TOUCH", word(&layout::TOUCH_ADDRESS)),
        ("OP_SLOAD", n(layout::OP_SLOAD.into())),
        ("OP_SSTORE", n(layout::OP_SSTORE.into())),
        ("OP_TLOAD", n(layout::OP_TLOAD.into())),
        ("OP_TSTORE", n(layout::OP_TSTORE.into())),
        ("OP_BALANCE", n(layout::OP_BALANCE.into())),
        ("OP_SELFBALANCE", n(layout::OP_SELFBALANCE.into())),
        ("OP_EXTCODESIZE", n(layout::OP_EXTCODESIZE.into())),
        ("OP_EXTCODEHASH", n(layout::OP_EXTCODEHASH.into())),
        ("OP_EXTCODECOPY", n(layout::OP_EXTCODECOPY.into())),
        ("OP_BLOCKHASH", n(layout::OP_BLOCKHASH.into())),
        ("OP_BLOBHASH", n(layout::OP_BLOBHASH.into())),
        ("OP_LOG0", n(layout::OP_LOG0.into())),
        ("OP_CALL", n(layout::OP_CALL.into())),
        ("OP_CALLCODE", n(layout::OP_CALLCODE.into())),
        ("OP_DELEGATECALL", n(layout::OP_DELEGATECALL.into())),
        ("OP_STATICCALL", n(layout::OP_STATICCALL.into())),
        ("OP_CREATE", n(layout::OP_CREATE.into())),
        ("OP_CREATE2", n(layout::OP_CREATE2.into())),
        ("OP_SELFDESTRUCT", n(layout::OP_SELFDESTRUCT.into())),
        ("OP_RETURNDATACOPY", n(layout::OP_RETURNDATACOPY.into())),
        ("OP_REPORT_METER", n(layout::OP_REPORT_METER.into())),
        ("OP_KEEP", n(layout::OP_KEEP_RETURN_DATA.into())),
        ("OP_INNER_CALL", n(em::OP_INNER_CALL.into())),
        ("OP_INNER_CREATE", n(em::OP_INNER_CREATE.into())),
        ("OP_INNER_DEPLOY", n(em::OP_INNER_DEPLOY.into())),
        ("OP_GENESIS", n(em::OP_GENESIS.into())),
        ("OP_TRANSACTION", n(em::OP_TRANSACTION.into())),
        ("OP_DUMP", n(em::OP_DUMP.into())),
        ("OP_BLOCK_HASHES", n(em::OP_BLOCK_HASHES.into())),
        ("OP_SYSTEM_CALL", n(em::OP_SYSTEM_CALL.into())),
        ("OP_CREDIT", n(em::OP_CREDIT.into())),
        ("CALL_HEADER", n(em::CALL_HEADER as u64)),
        ("CREATE_HEADER", n(em::CREATE_HEADER as u64)),
        ("INNER_CALL_HEADER", n(em::INNER_CALL_HEADER as u64)),
        ("INNER_CREATE_HEADER", n(em::INNER_CREATE_HEADER as u64)),
        ("INNER_DEPLOY_HEADER", n(em::INNER_DEPLOY_HEADER as u64)),
        ("TX_SENDER", n(em::TX_SENDER as u64)),
        ("TX_TO", n(em::TX_TO as u64)),
        ("TX_IS_CREATE", n(em::TX_IS_CREATE as u64)),
        ("TX_VALUE", n(em::TX_VALUE as u64)),
        ("TX_GAS_LIMIT", n(em::TX_GAS_LIMIT as u64)),
        ("TX_GAS_PRICE", n(em::TX_GAS_PRICE as u64)),
        ("TX_REQUIRED_BALANCE", n(em::TX_REQUIRED_BALANCE as u64)),
        ("TX_UPFRONT_CHARGE", n(em::TX_UPFRONT_CHARGE as u64)),
        ("TX_ACCESS_ADDRESSES", n(em::TX_ACCESS_ADDRESSES as u64)),
        ("TX_ACCESS_KEYS", n(em::TX_ACCESS_KEYS as u64)),
        ("TX_NONCE", n(em::TX_NONCE as u64)),
        ("TX_COINBASE", n(em::TX_COINBASE as u64)),
        ("TX_TIMESTAMP", n(em::TX_TIMESTAMP as u64)),
        ("TX_NUMBER", n(em::TX_NUMBER as u64)),
        ("TX_PREVRANDAO", n(em::TX_PREVRANDAO as u64)),
        ("TX_BLOCK_GAS_LIMIT", n(em::TX_BLOCK_GAS_LIMIT as u64)),
        ("TX_CHAIN_ID", n(em::TX_CHAIN_ID as u64)),
        ("TX_BASE_FEE", n(em::TX_BASE_FEE as u64)),
        ("TX_BLOB_BASE_FEE", n(em::TX_BLOB_BASE_FEE as u64)),
        ("TX_BLOB_COUNT", n(em::TX_BLOB_COUNT as u64)),
        ("TX_BALANCE_OVERFLOWS", n(em::TX_BALANCE_OVERFLOWS as u64)),
        ("TX_WORDS", n(em::TX_WORDS as u64)),
        ("REJECT_INTRINSIC_GAS", n(em::REJECT_INTRINSIC_GAS)),
        ("REJECT_SENDER_CODE", n(em::REJECT_SENDER_CODE)),
        ("REJECT_NONCE_HIGH", n(em::REJECT_NONCE_HIGH)),
        ("REJECT_NONCE_LOW", n(em::REJECT_NONCE_LOW)),
        ("REJECT_FUNDS", n(em::REJECT_FUNDS)),
        ("REJECT_BALANCE_OVERFLOW", n(em::REJECT_BALANCE_OVERFLOW)),
        ("TX_REJECTED", n(em::TX_REJECTED)),
        ("TX_SUCCEEDED", n(em::TX_SUCCEEDED)),
        ("TX_FAILED", n(em::TX_FAILED)),
        ("T_FRAMES", n(t::FRAMES)),
        ("FRAME_BASE", n(t::FRAME_BASE)),
        ("FRAME_STRIDE_BITS", n(t::FRAME_STRIDE_BITS)),
        ("F_ADDRESS", n(t::F_ADDRESS)),
        ("F_METER_LEFT", n(t::F_METER_LEFT)),
        ("F_CALLER", n(t::F_CALLER)),
        ("F_VALUE", n(t::F_VALUE)),
        ("F_PHYS", n(t::F_PHYS)),
        ("F_BUDGET", n(t::F_BUDGET)),
        ("MAX_INITCODE", n(layout::MAX_INITCODE_LEN as u64)),
        ("STIPEND", n(opcodes::CALL_STIPEND)),
        ("METER_MASK", n(layout::METER_MASK)),
        ("TRAILER", n(layout::METER_TRAILER_LEN as u64)),
        ("HEADER_LEN", n(layout::HEADER_LEN as u64)),
        ("HEADER_START_AT", n(layout::HEADER_START_FIELD as u64)),
        ("HEADER_LEN_AT", n(layout::HEADER_LEN_FIELD as u64)),
        ("A_NONCE", n(ledger::A_NONCE)),
        ("A_BALANCE", n(ledger::A_BALANCE)),
        ("A_CODE", n(ledger::A_CODE)),
        ("A_EXISTS", n(ledger::A_EXISTS)),
        ("A_INCARNATION", n(ledger::A_INCARNATION)),
        ("A_KEY_COUNT", n(ledger::A_KEY_COUNT)),
        ("TAG_KEYS", tag(ledger::TAG_KEYS)),
        ("TAG_ACCOUNT_COUNT", tag(ledger::TAG_ACCOUNT_COUNT)),
        ("TAG_ACCOUNT", tag(ledger::TAG_ACCOUNT)),
    ];
    for (name, slot) in t::TX_CONTEXT_NAMES.into_iter().zip(t::TX_CONTEXT) {
        twins.push((name, n(slot)));
    }
    twins
}

#[test]
fn every_protocol_constant_of_the_em_equals_its_rust_twin() {
    let constants = em_constants(&em_source());
    assert!(constants.len() > 100, "only {} constants parsed", constants.len());
    let mut problems = Vec::new();
    for (name, rust) in twins() {
        match constants.get(name) {
            None => problems.push(format!("{name}: no such constant in ExecutionManager.sol")),
            Some(em) if *em != rust => problems.push(format!("{name}: the EM says {em:#x}, layout.rs says {rust:#x}")),
            Some(_) => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The assembly lines that are code, not constants or comments, with their line numbers.
fn code_lines(source: &str) -> Vec<(usize, &str)> {
    let start = source.find("assembly {").expect("the EM's body is one assembly block");
    let first = source[..start].lines().count();
    source[start..]
        .lines()
        .enumerate()
        .map(|(i, line)| (first + i, line.trim()))
        .filter(|(_, line)| !line.starts_with("//") && !line.starts_with("///"))
        .filter(|(_, line)| !(line.starts_with("function ") && line.contains("() -> ") && line.contains(":= ")))
        .collect()
}

/// Numeric literals of a line's code (its comment cut off).
fn literals(line: &str) -> Vec<String> {
    let code = line.split("//").next().unwrap_or_default();
    let mut out = Vec::new();
    let mut token = String::new();
    for c in code.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_alphanumeric() || c == '_' {
            token.push(c);
        } else {
            if token.starts_with(|c: char| c.is_ascii_digit()) {
                out.push(std::mem::take(&mut token));
            }
            token.clear();
        }
    }
    out
}

#[test]
fn no_bare_protocol_number_in_the_em_outside_its_constants() {
    // Word arithmetic (sizes and offsets below 256, byte shifts) is not protocol. A hex literal or a
    // number from 256 up is, unless its line says in a comment what it is (RLP, EIP-1014, masks).
    let source = em_source();
    let mut problems = Vec::new();
    for (number, line) in code_lines(&source) {
        let commented = line.contains("//");
        for literal in literals(line) {
            let big = literal.starts_with("0x") || literal.parse::<u64>().map_or(true, |v| v >= 256);
            if big && !commented && !line.trim_start().starts_with("case ") {
                problems.push(format!("ExecutionManager.sol:{}: bare number {literal} in `{line}`", number + 1));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "name these in a constant (or say in a comment what they are):\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_case_label_of_the_em_names_its_constant() {
    // Yul needs literals in `case`: each hex one carries a comment naming the constant it stands for.
    let source = em_source();
    let constants = em_constants(&source);
    let mut problems = Vec::new();
    for (number, line) in code_lines(&source) {
        let Some(label) = line.strip_prefix("case ").map(|rest| rest.split_whitespace().next().unwrap_or_default())
        else {
            continue;
        };
        // Decimal labels count things (LOG topics); hex ones are protocol numbers.
        let Some(value) = label.starts_with("0x").then(|| literal(label)).flatten() else { continue };
        let named = line.split("//").nth(1).and_then(|comment| {
            comment.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).find(|w| constants.contains_key(*w))
        });
        match named {
            Some(name) if constants[name] == value => {}
            Some(name) => {
                problems.push(format!("line {}: case {label} says {name}, which is {:#x}", number + 1, constants[name]))
            }
            None => problems.push(format!("line {}: case {label} names no constant in a comment", number + 1)),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
