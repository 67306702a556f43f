//! Every blockchain test in `vectors/blocks/` and `vectors/regressions/` (minimized differential
//! fuzzing reproducers; the state tests among them are `ovm_vectors`') gives the same outcome
//! natively and through the ExecutionManager after every transaction and at every block's end (`equal`), and the OVM's own
//! chain meets the fixture: each block's state root, gas used and logs bloom, and the post-state.
//! A difference is named by its block and transaction.

use ovm_backend::{check_chain, Backend, ChainOutcome};
use ovm_compare::Verdict;
use ovm_conformance::{compare_chains, differential_chain_job};
use ovm_fixture::{load_blockchain_str, BlockchainTest};
use ovm_l2::L2Backend;
use ovm_native::NativeBackend;
use ovm_runner::CaseStatus;

fn own_chains() -> Vec<(String, BlockchainTest)> {
    let vectors = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vectors");
    let mut files: Vec<_> = ["blocks", "regressions"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(vectors.join(dir)).unwrap().map(|e| e.unwrap().path()))
        .collect();
    files.sort();
    let mut tests = Vec::new();
    for path in files.iter().filter(|p| p.extension().is_some_and(|x| x == "json")) {
        let name = path.strip_prefix(&vectors).unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).unwrap();
        if !ovm_fixture::is_blockchain_text(&text) {
            assert!(name.starts_with("regressions"), "{name}: not a blockchain test");
            continue;
        }
        let loaded = load_blockchain_str(&text, &name);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        for case in loaded.tests {
            let test = case.test.unwrap_or_else(|skip| panic!("{}: skipped: {}", case.id, skip.reason));
            tests.push((case.id.0, test));
        }
    }
    tests
}

#[test]
fn every_own_blockchain_vector_is_equal_after_every_transaction_and_the_ovm_meets_the_fixture() {
    let tests = own_chains();
    let mut failures = Vec::new();
    for (id, test) in &tests {
        let job = differential_chain_job(&NativeBackend, &L2Backend, test);
        if job.status != CaseStatus::Pass || job.verdict.as_deref() != Some("equal") {
            failures.push(format!("{id}: {:?} {:?}: {}", job.status, job.verdict, job.message));
            continue;
        }
        match L2Backend.run_blocks(test) {
            Ok(ovm) => {
                if let Err(mismatch) = check_chain(test, &ovm) {
                    failures.push(format!("{id}: the OVM's chain breaks the fixture: {mismatch}"));
                }
            }
            Err(e) => failures.push(format!("{id}: OVM error: {e}")),
        }
    }
    assert!(tests.len() >= 20, "only {} blockchain vectors", tests.len());
    let transactions: usize = tests.iter().map(|(_, t)| t.transaction_count()).sum();
    assert!(transactions >= 50, "only {transactions} transactions");
    assert!(failures.is_empty(), "{} of {} tests fail:\n{}", failures.len(), tests.len(), failures.join("\n"));
}

/// The native outcome of the first own vector with at least two blocks, each with a transaction.
fn two_block_outcome() -> ChainOutcome {
    let (_, test) = own_chains()
        .into_iter()
        .find(|(_, t)| t.blocks.len() >= 2 && t.blocks.iter().all(|b| !b.transactions.is_empty()))
        .expect("an own vector with two blocks of transactions");
    NativeBackend.run_blocks(&test).unwrap()
}

#[test]
fn a_difference_after_a_transaction_is_divergent_and_names_its_block_and_transaction() {
    let reference = two_block_outcome();
    assert_eq!(compare_chains(&reference, &reference), (Verdict::Equal, vec![]));

    let mut broken = reference.clone();
    let account = broken.blocks[1].tx_states[0].values_mut().next().unwrap();
    account.nonce += 1;
    let (verdict, lines) = compare_chains(&reference, &broken);
    assert_eq!(verdict, Verdict::Divergent);
    assert!(lines[0].starts_with("block 1, transaction 0: account "), "{lines:?}");
    assert!(lines[0].contains(": nonce: "), "{lines:?}");

    // A state that differs only at a block's end (after its withdrawals) is seen there.
    let mut broken = reference.clone();
    broken.blocks[0].post_state.values_mut().next().unwrap().balance += alloy_primitives::U256::from(1);
    let (verdict, lines) = compare_chains(&reference, &broken);
    assert_eq!(verdict, Verdict::Divergent);
    assert!(lines[0].starts_with("block 0, end: account "), "{lines:?}");

    // A transaction's outcome, not only the state.
    let mut broken = reference.clone();
    if let ovm_backend::TxOutcome::Executed(e) = &mut broken.blocks[0].txs[0] {
        e.gas_used += 1;
    }
    let (_, lines) = compare_chains(&reference, &broken);
    assert!(lines[0].starts_with("block 0, transaction 0: gas_used: "), "{lines:?}");
}

/// Writes into a buffer both the tracer and the test can reach.
#[derive(Clone, Default)]
struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn lines(buffer: &Shared) -> Vec<serde_json::Value> {
    String::from_utf8(buffer.0.borrow().clone()).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn the_ovm_traces_every_transaction_of_a_chain_as_the_evm_does() {
    let mut traced = 0;
    for (id, test) in own_chains() {
        let (native, ovm) = (Shared::default(), Shared::default());
        NativeBackend.run_blocks_traced(&test, native.clone()).unwrap();
        L2Backend.run_blocks_traced(&test, ovm.clone()).unwrap();
        let (native, ovm) = (lines(&native), lines(&ovm));
        assert_eq!(native.len(), ovm.len(), "{id}: trace lengths");
        for (n, (a, b)) in native.iter().zip(&ovm).enumerate() {
            for field in ["pc", "op", "depth", "stack", "memSize", "gas"] {
                assert_eq!(a[field], b[field], "{id}: line {n}, {field}");
            }
        }
        traced += native.len();
    }
    assert!(traced > 1000, "only {traced} lines traced");
}
