//! The design's own example, end to end: a user trades ETH for a token on a Uniswap-style exchange;
//! the sequencer wraps the signed transaction, the exchange calls WETH and the token through the
//! ExecutionManager, and the sequencer records the original -> internal transaction hash.

use alloy_primitives::{keccak256, Address, U256};
use ovm_backend::{Backend, Status, TxOutcome};
use ovm_fixture::load_file;
use ovm_l2::{signed_transaction, L2Backend};
use ovm_native::NativeBackend;

fn uniswap() -> Vec<ovm_fixture::Case> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vectors/ovm/uniswap_eth_for_token.json");
    let loaded = load_file(&path, "uniswap_eth_for_token.json");
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    loaded.cases
}

#[test]
fn the_swap_pays_out_tokens_through_the_execution_manager_and_the_hashes_are_recorded() {
    let cases = uniswap();
    let case = &cases[0];
    let setup = case.setup.as_ref().unwrap();
    let (outcome, hashes) = L2Backend.run_recorded(case, setup).unwrap();
    let TxOutcome::Executed(execution) = &outcome.tx else { panic!("{:?}", outcome.tx) };
    assert_eq!(execution.status, Status::Return);
    // WETH Deposit, Token Transfer, Swap: the OVM addresses, as natively.
    let emitters: Vec<Address> = execution.logs.iter().map(|log| log.address).collect();
    let native = NativeBackend.run(case, setup).unwrap();
    let native_emitters: Vec<Address> = native.execution().unwrap().logs.iter().map(|log| log.address).collect();
    assert_eq!(emitters, native_emitters);
    assert_eq!(emitters.len(), 3);

    let hashes = hashes.expect("a legacy transaction with a key: the sequencer can sign it");
    let signed = signed_transaction(case, setup).unwrap();
    assert_eq!(hashes.original, keccak256(&signed));
    assert_ne!(hashes.original, hashes.internal);
}

#[test]
fn the_signed_transaction_recovers_to_its_sender() {
    let cases = uniswap();
    let case = &cases[0];
    let setup = case.setup.as_ref().unwrap();
    let signed = signed_transaction(case, setup).unwrap();
    // RLP list of nine fields: nonce, gasPrice, gas, to, value, data, v, r, s.
    let mut buf = &signed[..];
    let header = alloy_rlp::Header::decode(&mut buf).unwrap();
    assert!(header.list);
    let mut fields = Vec::new();
    while !buf.is_empty() {
        let field = alloy_rlp::Header::decode_bytes(&mut buf, false).unwrap();
        fields.push(field.to_vec());
    }
    assert_eq!(fields.len(), 9);
    let v = U256::from_be_slice(&fields[6]).to::<u64>();
    assert!(v == 37 || v == 38, "EIP-155 on chain 1: v = {v}");
}

#[test]
fn a_slippage_limit_too_high_reverts_and_changes_nothing_but_the_nonce() {
    let cases = uniswap();
    let case = &cases[1];
    let setup = case.setup.as_ref().unwrap();
    let (outcome, _) = L2Backend.run_recorded(case, setup).unwrap();
    assert_eq!(outcome.execution().unwrap().status, Status::Revert);
    for (address, account) in &case.unit.test.pre {
        let after = &outcome.post_state[address];
        assert_eq!(after.storage.len(), account.storage.values().filter(|v| !v.is_zero()).count(), "{address}");
    }
}
