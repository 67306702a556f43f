//! `run_profiled` counts what the layer-2 run did physically: one EM request per state access.

use ovm_fixture::load_file;
use ovm_l2::L2Backend;
use ovm_transpiler::layout::{em, OP_SLOAD, OP_SSTORE};

#[test]
fn every_state_access_is_one_request_and_its_em_instructions_are_counted() {
    // The contract reads 4 slots and writes 7, and calls nothing.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vectors/ovm/sload_sstore_opcodes.json");
    let loaded = load_file(&path, "sload_sstore_opcodes.json");
    let case = &loaded.cases[0];
    let (_, profile) = L2Backend.run_profiled(case, case.setup.as_ref().unwrap()).unwrap();

    let count = |op: u8| profile.requests.get(&op).map_or(0, |cost| cost.requests);
    assert_eq!(count(OP_SLOAD), 4);
    assert_eq!(count(OP_SSTORE), 7);
    assert_eq!(count(em::OP_TRANSACTION), 1, "the transaction itself, from the sequencer");
    let ops: Vec<u8> = profile.requests.keys().copied().collect();
    assert_eq!(
        ops,
        [OP_SLOAD, OP_SSTORE, em::OP_INNER_CALL, em::OP_TRANSACTION],
        "and the inner frame of the top-level call"
    );
    assert_eq!(profile.calls.code, 1, "the contract's code contract, once");
    assert_eq!(profile.calls.em, 4 + 7 + 2);
    assert!(profile.requests.values().all(|cost| cost.em_instructions > 0));
    let per_request: u64 = profile.requests.values().map(|cost| cost.em_instructions).sum();
    assert!(per_request <= profile.em_instructions);
    assert!(profile.code_instructions > 0);
}
