//! The native backend runs blockchain tests: every Cancun test of the shared ValidBlocks passes
//! (each block's state root and gas used, the final post-state), or is skipped with a reason taken
//! from its content or its execution.

use ovm_backend::{check_chain, ChainMismatch};
use ovm_backend::{Backend, ChainOutcome, TxOutcome};
use ovm_fixture::{load_blockchain_file, BlockchainTest};
use ovm_native::NativeBackend;
use revm::primitives::{Address, B256, U256};
use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

fn valid_blocks() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/vectors/ethereum-tests/BlockchainTests/ValidBlocks");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("note: {} is absent; the shared ValidBlocks are not run", dir.display());
        None
    }
}

/// The folder's `*.json` files, in a stable order (the runner's discovery walks the same way).
fn json_files(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|entry| entry.unwrap().into_path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|e| e == "json"))
        .collect()
}

/// Every test of the folder, loaded (a file error fails the test: the loader's spec says there are none).
fn shared_tests(dir: &Path) -> Vec<(String, BlockchainTest)> {
    let files = json_files(dir);
    let mut tests = Vec::new();
    for path in &files {
        let rel = path.strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
        let loaded = load_blockchain_file(path, &rel);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        for case in loaded.tests {
            match case.test {
                Ok(test) => tests.push((case.id.0, test)),
                Err(skip) => panic!("{}: loader skipped it: {}", case.id, skip.reason),
            }
        }
    }
    tests
}

#[test]
fn every_cancun_valid_blocks_test_passes_natively_or_is_skipped_with_a_reason() {
    let Some(dir) = valid_blocks() else { return };
    let tests = shared_tests(&dir);
    let (mut passed, mut transactions, mut blocks) = (0, 0, 0);
    let mut skipped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut failures = Vec::new();
    for (id, test) in &tests {
        if let Some(reason) = NativeBackend.blocks_unsupported(test) {
            skipped.entry(reason).or_default().push(id.clone());
            continue;
        }
        let outcome = match NativeBackend.run_blocks(test) {
            Ok(outcome) => outcome,
            Err(e) => {
                failures.push(format!("{id}: {e}"));
                continue;
            }
        };
        assert_eq!(outcome.blocks.len(), test.blocks.len(), "{id}");
        match check_chain(test, &outcome) {
            Ok(()) => {
                passed += 1;
                blocks += outcome.blocks.len();
                transactions += outcome.blocks.iter().map(|b| b.txs.len()).sum::<usize>();
            }
            Err(mismatch) => match NativeBackend.blocks_limitation(test) {
                Some(reason) => skipped.entry(reason).or_default().push(id.clone()),
                None => failures.push(format!("{id}: {mismatch}")),
            },
        }
    }
    let skipped_count: usize = skipped.values().map(Vec::len).sum();
    println!(
        "{} Cancun tests: {passed} passed ({blocks} blocks, {transactions} transactions), {skipped_count} skipped, {} failed",
        tests.len(),
        failures.len()
    );
    for (reason, ids) in &skipped {
        println!("skipped {}: {reason}", ids.len());
        for id in ids {
            println!("  {id}");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(tests.len(), 368);
    assert_eq!(passed + skipped_count, 368);
}

/// The one test of a shared file, if the shared folder is there.
fn shared(rel: &str) -> Option<BlockchainTest> {
    let dir = valid_blocks()?;
    let mut loaded = load_blockchain_file(&dir.join(rel), rel);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert_eq!(loaded.tests.len(), 1);
    Some(loaded.tests.remove(0).test.unwrap())
}

#[test]
fn blockhash_returns_the_fixtures_own_header_hashes() {
    // 0x6e70da7a... stores NUMBER at slot 0 and BLOCKHASH(NUMBER - 1) at slot 1; block 1 calls it.
    let Some(mut test) = shared("bcStateTests/logRevert.json") else { return };
    let contract: Address = "0x6e70da7a00000000000000000000000000000000".parse().unwrap();
    let slot_1 = |test: &BlockchainTest| {
        let outcome = NativeBackend.run_blocks(test).unwrap();
        outcome.blocks[1].post_state[&contract].storage[&U256::from(1)]
    };
    assert_eq!(slot_1(&test), U256::from_be_bytes(test.blocks[0].header.hash.0));
    // Whatever the fixture says block 0's hash is, BLOCKHASH says too.
    test.blocks[0].header.hash = B256::repeat_byte(0x5a);
    assert_eq!(slot_1(&test), U256::from_be_bytes([0x5a; 32]));
}

#[test]
fn a_wrong_expectation_is_named_by_its_block_and_field() {
    let Some(test) = shared("bcStateTests/logRevert.json") else { return };
    let outcome = NativeBackend.run_blocks(&test).unwrap();
    assert_eq!(check_chain(&test, &outcome), Ok(()));
    let mismatch = |edit: &dyn Fn(&mut BlockchainTest)| {
        let mut test = shared("bcStateTests/logRevert.json").unwrap();
        edit(&mut test);
        check_chain(&test, &outcome).unwrap_err()
    };
    let m = mismatch(&|t| t.blocks[1].header.gas_used += 1);
    assert!(matches!(m, ChainMismatch::GasUsed { block: 1, .. }), "{m}");
    assert!(m.to_string().starts_with("block 1: gas used"), "{m}");
    let m = mismatch(&|t| t.blocks[0].header.state_root = B256::ZERO);
    assert!(matches!(m, ChainMismatch::StateRoot { block: 0, .. }), "{m}");
    let m = mismatch(&|t| t.blocks[0].header.logs_bloom = revm::primitives::alloy_primitives::Bloom::repeat_byte(1));
    assert!(matches!(m, ChainMismatch::LogsBloom { block: 0 }), "{m}");
    let m = mismatch(&|t| {
        let post = t.expect.post_state.as_mut().unwrap();
        post.values_mut().last().unwrap().balance += U256::from(1);
    });
    assert!(m.to_string().contains(".balance is"), "{m}");
    let m = mismatch(&|t| t.genesis.state_root = B256::ZERO);
    assert!(matches!(m, ChainMismatch::GenesisStateRoot { .. }), "{m}");
}

#[test]
fn a_rejected_transaction_changes_nothing_and_the_rest_of_the_block_runs() {
    let Some(mut test) = shared("bcStateTests/logRevert.json") else { return };
    let before = NativeBackend.run_blocks(&test).unwrap();
    // Transaction 0 again, right after itself: its nonce is spent.
    let replay = test.blocks[0].transactions[0].clone();
    test.blocks[0].transactions.insert(1, replay);
    let after = NativeBackend.run_blocks(&test).unwrap();
    let txs = &after.blocks[0].txs;
    let TxOutcome::Rejected { kind, .. } = &txs[1] else { panic!("{:?}", txs[1]) };
    assert_eq!(kind, "TransactionException.NONCE_MISMATCH_TOO_LOW");
    assert!(txs.iter().enumerate().all(|(i, tx)| i == 1 || matches!(tx, TxOutcome::Executed(_))));
    assert_eq!(after.blocks[0].post_state, before.blocks[0].post_state);
    assert_eq!(after.blocks[0].gas_used, before.blocks[0].gas_used);
    let m = check_chain(&test, &after).unwrap_err();
    assert!(matches!(m, ChainMismatch::Rejected { block: 0, tx: 1, .. }), "{m}");
}

#[test]
fn a_transaction_beyond_what_the_block_has_left_is_rejected() {
    let Some(mut test) = shared("bcStateTests/logRevert.json") else { return };
    let outcome = NativeBackend.run_blocks(&test).unwrap();
    let TxOutcome::Executed(first) = &outcome.blocks[0].txs[0] else { panic!() };
    let second_limit = test.blocks[0].transactions[1].tx.gas_limit;
    // Room for the first transaction and one gas short of the second's limit.
    let limit = first.gas_used + second_limit - 1;
    test.blocks[0].header.gas_limit = limit;
    test.blocks[0].env.gas_limit = limit;
    let outcome = NativeBackend.run_blocks(&test).unwrap();
    let TxOutcome::Rejected { kind, .. } = &outcome.blocks[0].txs[1] else { panic!("{:?}", outcome.blocks[0].txs[1]) };
    assert_eq!(kind, "TransactionException.GAS_ALLOWANCE_EXCEEDED");
}

#[test]
fn withdrawals_are_credited_in_wei_at_the_end_of_their_block() {
    let Some(mut test) = shared("bcExample/shanghaiExample.json") else { return };
    let withdrawal = test.blocks[0].withdrawals[0];
    let with = NativeBackend.run_blocks(&test).unwrap();
    test.blocks[0].withdrawals.clear();
    let without = NativeBackend.run_blocks(&test).unwrap();
    let balance = |o: &ChainOutcome| o.blocks[0].post_state.get(&withdrawal.address).map(|a| a.balance);
    assert_eq!(balance(&with).unwrap() - balance(&without).unwrap_or_default(), withdrawal.amount_wei());
}

#[test]
fn a_block_expected_to_be_invalid_is_not_run() {
    let Some(mut test) = shared("bcExample/shanghaiExample.json") else { return };
    assert_eq!(NativeBackend.blocks_unsupported(&test), None);
    test.blocks[0].expect_exception = Some("TransactionException.INTRINSIC_GAS_TOO_LOW".into());
    let reason = NativeBackend.blocks_unsupported(&test).unwrap();
    assert!(reason.contains("block 0 expects exception"), "{reason}");
}

#[test]
fn a_create_onto_a_storage_only_account_is_recognized_as_revms_eip7610_gap() {
    let Some(dir) = valid_blocks() else { return };
    // The first test whose first transaction creates a contract; put storage (and nothing else)
    // at the address it creates, as EIP-7610's collision case.
    let (id, mut test) = shared_tests(&dir)
        .into_iter()
        .find(|(_, t)| t.blocks.first().and_then(|b| b.transactions.first()).is_some_and(|tx| tx.tx.kind.is_create()))
        .expect("a test that creates a contract");
    assert_eq!(NativeBackend.blocks_limitation(&test), None, "{id}");
    let tx = &test.blocks[0].transactions[0].tx;
    let target = tx.caller.create(tx.nonce);
    let mut account = test.pre.values().next().unwrap().clone();
    account.balance = U256::ZERO;
    account.nonce = 0;
    account.code = Default::default();
    account.storage = [(U256::from(1), U256::from(1))].into_iter().collect();
    test.pre.insert(target, account);
    let reason = NativeBackend.blocks_limitation(&test).expect("the collision is seen");
    assert!(reason.contains("EIP-7610"), "{reason}");
}
