//! A layer-2 trace reads in the original program's PCs.

use ovm_fixture::load_str;
use ovm_l2::L2Backend;

#[test]
fn the_trace_of_a_straight_line_program_visits_its_original_pcs_in_order() {
    // PUSH1 2 PUSH1 3 ADD PUSH1 0 SSTORE ... (vectors/state/add_and_store.json, data 0)
    let loaded = load_str(include_str!("../../../vectors/state/add_and_store.json"), "add_and_store.json");
    let case = &loaded.cases[0];
    let mut out = Vec::new();
    L2Backend.run_traced(case, case.setup.as_ref().unwrap(), &mut out).unwrap();
    let mut original_pcs: Vec<u64> = String::from_utf8(out)
        .unwrap()
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["pc"].as_u64())
        .collect();
    original_pcs.dedup();
    // 0 PUSH1, 2 PUSH1, 4 ADD, 5 PUSH1, 7 SSTORE, 8 PUSH1, 10 CALLDATALOAD, 11 PUSH1, 13 ADD, 14 PUSH1, 16 SSTORE, 17 STOP
    assert_eq!(original_pcs, [0, 2, 4, 5, 7, 8, 10, 11, 13, 14, 16, 17]);
}
