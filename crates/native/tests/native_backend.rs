//! The native backend is the oracle: it must agree with fixtures, and normalize state as the trie does.

use alloy_primitives::{address, Address};
use ovm_backend::{check_fixture, Backend, Mismatch, Outcome, TxOutcome};
use ovm_fixture::{load_str, Case};
use ovm_native::NativeBackend;

fn own_vector(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../../vectors/state/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn run(case: &Case) -> Outcome {
    NativeBackend.run(case, case.setup.as_ref().unwrap()).unwrap()
}

#[test]
fn every_own_state_vector_passes_its_fixture_check() {
    let dir = format!("{}/../../vectors/state", env!("CARGO_MANIFEST_DIR"));
    let mut cases = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let loaded = load_str(&std::fs::read_to_string(&path).unwrap(), &path.display().to_string());
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        for case in &loaded.cases {
            assert_eq!(check_fixture(&case.expect, &run(case)), Ok(()), "{}", case.id);
            cases += 1;
        }
    }
    assert!(cases >= 8, "only {cases} cases found");
}

#[test]
fn a_wrong_state_root_is_a_mismatch() {
    let mut loaded = load_str(&own_vector("add_and_store.json"), "x.json");
    let case = &mut loaded.cases[0];
    case.expect.state_root = Default::default();
    assert!(matches!(check_fixture(&case.expect, &run(case)), Err(Mismatch::StateRoot { .. })));
}

#[test]
fn an_unaffordable_transaction_is_rejected_with_its_eest_name() {
    let loaded = load_str(&own_vector("value_transfer.json"), "x.json");
    let outcome = run(&loaded.cases[1]);
    let TxOutcome::Rejected { kind, .. } = &outcome.tx else { panic!("{:?}", outcome.tx) };
    assert_eq!(kind, "TransactionException.INSUFFICIENT_ACCOUNT_FUNDS");
    assert_eq!(check_fixture(&loaded.cases[1].expect, &outcome), Ok(()));
}

/// A unit whose transaction calls `to` with the given value; `pre` adds accounts.
fn unit_calling(to: Address, value: &str, extra_pre: &str) -> String {
    format!(
        r#"{{"t": {{
        "env": {{"currentCoinbase": "0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba", "currentDifficulty": "0x00",
                 "currentGasLimit": "0x05f5e100", "currentNumber": "0x01", "currentTimestamp": "0x03e8",
                 "currentBaseFee": "0x0a", "currentRandom": "0x0000000000000000000000000000000000000000000000000000000000020000",
                 "currentExcessBlobGas": "0x00"}},
        "pre": {{"0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b": {{"balance": "0x0de0b6b3a7640000", "code": "0x", "nonce": "0x00", "storage": {{}}}}
                 {extra_pre}}},
        "transaction": {{"data": ["0x"], "gasLimit": ["0x0186a0"], "gasPrice": "0x0a", "nonce": "0x00",
                 "secretKey": "0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8",
                 "to": "{to}", "value": ["{value}"]}},
        "post": {{"Cancun": [{{"indexes": {{"data": 0, "gas": 0, "value": 0}},
                 "hash": "0x0000000000000000000000000000000000000000000000000000000000000000",
                 "logs": "0x0000000000000000000000000000000000000000000000000000000000000000"}}]}}
    }}}}"#
    )
}

#[test]
fn a_touched_empty_account_is_removed_after_spurious_dragon() {
    let empty = address!("3000000000000000000000000000000000000003");
    let pre = format!(r#", "{empty}": {{"balance": "0x00", "code": "0x", "nonce": "0x00", "storage": {{}}}}"#);
    let loaded = load_str(&unit_calling(empty, "0x00", &pre), "x.json");
    let outcome = run(&loaded.cases[0]);
    assert!(outcome.execution().unwrap().status.is_success());
    assert!(!outcome.post_state.contains_key(&empty), "EIP-161: touched empty accounts are deleted");
}

#[test]
fn an_untouched_empty_account_stays() {
    let empty = address!("3000000000000000000000000000000000000003");
    let elsewhere = address!("4000000000000000000000000000000000000004");
    let pre = format!(r#", "{empty}": {{"balance": "0x00", "code": "0x", "nonce": "0x00", "storage": {{}}}}"#);
    let loaded = load_str(&unit_calling(elsewhere, "0x01", &pre), "x.json");
    let outcome = run(&loaded.cases[0]);
    assert!(outcome.post_state.contains_key(&empty));
    assert_eq!(outcome.post_state[&elsewhere].balance, alloy_primitives::U256::from(1));
}

#[test]
fn a_selfdestructed_preexisting_contract_keeps_its_account_but_moves_its_balance() {
    // EIP-6780: SELFDESTRUCT of a contract not created in this tx only sends the balance away.
    let victim = address!("5000000000000000000000000000000000000005");
    let heir = address!("6000000000000000000000000000000000000006");
    let code = format!("0x73{}ff", hex(heir.as_slice()));
    let pre = format!(
        r#", "{victim}": {{"balance": "0x07", "code": "{code}", "nonce": "0x01", "storage": {{"0x01": "0x01"}}}}"#
    );
    let loaded = load_str(&unit_calling(victim, "0x00", &pre), "x.json");
    let outcome = run(&loaded.cases[0]);
    assert_eq!(outcome.post_state[&heir].balance, alloy_primitives::U256::from(7));
    let victim = &outcome.post_state[&victim];
    assert!(victim.balance.is_zero() && !victim.code.is_empty() && victim.storage.len() == 1);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
