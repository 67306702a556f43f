//! Rejections come in revm's order: a transaction with two faults is rejected for the one revm checks
//! first, natively and through the sequencer and the ExecutionManager alike.
//!
//! The vectors are `vectors/ovm/rejection_pairs_of_faults.json`: one test per fault and one per
//! compatible pair of faults, each naming its faults in `_info.faults`.

use ovm_backend::{Backend, TxOutcome};
use ovm_fixture::load_file;
use ovm_l2::L2Backend;
use ovm_native::NativeBackend;

/// Every rejection a Cancun transaction can get, in the order revm 43.0.3 checks them
/// (`validate_tx_env`, then the intrinsic gas, then `validate_against_state_and_deduct_caller`).
const REVM_ORDER: &[(&str, &str)] = &[
    ("chain_id", "INVALID_CHAINID"),
    ("priority_above_max_fee", "PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS"),
    ("max_fee_below_base_fee", "INSUFFICIENT_MAX_FEE_PER_GAS"),
    ("blob_fee_too_low", "INSUFFICIENT_MAX_FEE_PER_BLOB_GAS"),
    ("zero_blobs", "TYPE_3_TX_ZERO_BLOBS"),
    ("blob_hash_version", "TYPE_3_TX_INVALID_BLOB_VERSIONED_HASH"),
    ("too_many_blobs", "TYPE_3_TX_BLOB_COUNT_EXCEEDED"),
    ("gas_above_block", "GAS_ALLOWANCE_EXCEEDED"),
    ("initcode_too_large", "INITCODE_SIZE_EXCEEDED"),
    ("transaction_nonce_max", "NONCE_IS_MAX"),
    ("intrinsic_gas", "INTRINSIC_GAS_TOO_LOW"),
    ("sender_has_code", "SENDER_NOT_EOA"),
    ("nonce_too_high", "NONCE_MISMATCH_TOO_HIGH"),
    ("nonce_too_low", "NONCE_MISMATCH_TOO_LOW"),
    ("payment_overflow", "GASLIMIT_PRICE_PRODUCT_OVERFLOW"),
    ("balance", "INSUFFICIENT_ACCOUNT_FUNDS"),
];

fn rank(fault: &str) -> usize {
    REVM_ORDER.iter().position(|(name, _)| *name == fault).unwrap_or_else(|| panic!("unknown fault {fault}"))
}

fn kind(outcome: &TxOutcome) -> String {
    match outcome {
        TxOutcome::Rejected { kind, .. } => kind.clone(),
        TxOutcome::Executed(execution) => format!("executed ({:?})", execution.status),
    }
}

#[test]
fn each_pair_of_faults_is_rejected_for_the_one_revm_checks_first() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vectors/ovm/rejection_pairs_of_faults.json");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let loaded = load_file(&path, "rejection_pairs_of_faults.json");
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let (mut pairs, mut failures) = (0, Vec::new());
    for case in &loaded.cases {
        let test = &json[&*case.test_name];
        let faults: Vec<&str> =
            test["_info"]["faults"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
        pairs += (faults.len() == 2) as usize;
        let first = faults.iter().min_by_key(|f| rank(f)).unwrap();
        let expected = format!("TransactionException.{}", REVM_ORDER[rank(first)].1);
        let declared = test["post"]["Cancun"][0]["expectException"].as_str().unwrap();
        let setup = case.setup.as_ref().unwrap();
        let native = kind(&NativeBackend.run(case, setup).unwrap().tx);
        let ovm = kind(&L2Backend.run(case, setup).unwrap().tx);
        if declared != expected || native != expected || ovm != expected {
            failures
                .push(format!("{faults:?}: expected {expected}, vector says {declared}, native {native}, ovm {ovm}"));
        }
    }
    assert!(pairs >= 100, "only {pairs} pairs of faults");
    assert!(failures.is_empty(), "{} of {} cases:\n{}", failures.len(), loaded.cases.len(), failures.join("\n"));
}
