//! `cargo xtask fill` for the project's own blockchain tests (a file whose text holds
//! `"genesisBlockHeader"`).
//!
//! A hand-written vector gives `network`, `pre`, a `genesisBlockHeader` with the fields its author
//! cares about, and `blocks`, each with a `blockHeader` (the same: `timestamp`, `coinbase`,
//! `gasLimit`, `mixHash`, `parentBeaconBlockRoot`, ...), `transactions` and `withdrawals`. Each
//! transaction gives `sender` and `secretKey`; the filler signs it (`v`, `r`, `s`; legacy
//! transactions EIP-155 with chain id 1, typed ones with their `chainId`, default 1). What must happen
//! is stated in `expect` objects, in the state tests' per-account form (any of `balance`, `nonce`,
//! `code`, `storage`, or `"absent"`): one on the test (after the last block) and, optionally, one on a
//! block (after that block, withdrawals included). An expected value may be `"$hash(N)"`, the
//! filled hash of block number `N` (0: the genesis), for what BLOCKHASH returns.
//!
//! Filling runs the chain natively, refuses to write anything if an expectation fails or a
//! transaction of a block is rejected, and otherwise writes every field the fixture format computes:
//!
//! - genesis: `stateRoot` (of `pre`), `hash`;
//! - each block: `number` (parent + 1), `parentHash`, `baseFeePerGas` (EIP-1559 from the parent),
//!   `excessBlobGas` (EIP-4844 from the parent), `stateRoot`, `gasUsed`, `blobGasUsed`, `bloom`,
//!   `transactionsTrie`, `withdrawalsRoot`, `hash`; each transaction's `v`, `r`, `s`;
//! - `lastblockhash` and `postState` (every account after the last block).
//!
//! Block hashes are what BLOCKHASH returns, and a block's hash depends on its state root, so the
//! chain is filled to a fixed point: run, write, rehash, run again until nothing moves (block `i`
//! only sees the hashes of blocks before it, so this takes at most one run per block).
//!
//! Header fields the author leaves out get defaults, written into the file: a block inherits its
//! parent's `coinbase`, `gasLimit`, `mixHash`, `extraData`, and its timestamp is the parent's plus 12;
//! `uncleHash` is the empty list's, `difficulty` 0, `nonce` zero, `parentBeaconBlockRoot` zero.
//! The filler refuses a timestamp that does not increase and a gas limit that moves by 1/1024 of the
//! parent's or more. Not computed: `receiptTrie` (the suite computes no receipts; the loader documents
//! it as unchecked), left as given, zero by default. No `rlp`/`genesisRLP` is written (the loader
//! checks them only where a fixture gives them).

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use k256::ecdsa::SigningKey;
use ovm_backend::{
    check_chain, check_expectation, state_root, Backend, ChainOutcome, Execution, Outcome, PostState, Status, TxOutcome,
};
use ovm_fixture::{load_blockchain_str, BlockchainTest};
use ovm_native::NativeBackend;
use serde_json::{json, Map, Value};
use std::str::FromStr;

/// `keccak256(rlp([]))`: the ommers hash of every post-merge block.
const EMPTY_UNCLES: &str = "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347";
const ZERO_HASH: &str = "0x0000000000000000000000000000000000000000000000000000000000000000";
/// EIP-4844 (Cancun): the blob gas a block targets.
const TARGET_BLOB_GAS_PER_BLOCK: u64 = 3 * ovm_fixture::GAS_PER_BLOB;
/// The chain id the suite runs with (the loader's default).
const CHAIN_ID: u64 = 1;

/// Fills the blockchain-test text `original` of the file `name`: the filled text and whether it
/// equals `original`, or every problem, each naming the file and test.
pub fn fill_text(original: &str, name: &str) -> Result<(String, bool), Vec<String>> {
    let mut json: Value = serde_json::from_str(original).map_err(|e| vec![format!("{name}: not JSON: {e}")])?;
    let Some(tests) = json.as_object_mut() else {
        return Err(vec![format!("{name}: expected a JSON object of tests")]);
    };
    let mut errors = Vec::new();
    for (test_name, test) in tests.iter_mut() {
        if let Err(e) = fill_test(test_name, test, name) {
            errors.push(format!("{name}: {test_name}: {e}"));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut text = serde_json::to_string_pretty(&json).map_err(|e| vec![format!("{name}: {e}")])?;
    text.push('\n');
    let unchanged = text == original;
    Ok((text, unchanged))
}

fn fill_test(test_name: &str, test: &mut Value, file: &str) -> Result<(), String> {
    if !test.is_object() {
        return Err("a test must be an object".into());
    }
    if !test["blocks"].is_array() {
        return Err("`blocks` must be an array".into());
    }
    let senders = sign_transactions(test)?;
    complete_headers(test)?;
    if test.get("postState").is_none() {
        test["postState"] = json!({});
    }

    // The fixed point: block i's execution sees the hashes of blocks 0..i, which depend on their
    // state roots. Each round makes one more block final.
    let rounds = test["blocks"].as_array().map_or(0, Vec::len) + 3;
    let mut settled = None;
    for _ in 0..rounds {
        let before = test.clone();
        chain(test)?;
        let (loaded, outcome) = load_and_run(test_name, test, file)?;
        write_computed(test, &loaded, &outcome);
        chain(test)?;
        if *test == before {
            settled = Some((loaded, outcome));
            break;
        }
    }
    let Some((loaded, outcome)) = settled else {
        return Err(format!("the chain did not settle in {rounds} runs"));
    };
    test["postState"] = post_state_json(outcome.final_state());
    // The final file, loaded as any run loads it, must pass as it stands.
    let (loaded_again, again) = load_and_run(test_name, test, file)?;
    check_chain(&loaded_again, &again).map_err(|e| format!("the filled chain fails natively: {e}"))?;
    drop(loaded);

    check_senders(test_name, test, file, &senders)?;
    check_expectations(test, &again)
}

/// Signs every transaction that has a `secretKey`; returns each one's `sender` (block, tx, address).
fn sign_transactions(test: &mut Value) -> Result<Vec<(usize, usize, Address)>, String> {
    let mut senders = Vec::new();
    let blocks = test["blocks"].as_array_mut().expect("checked");
    for (i, block) in blocks.iter_mut().enumerate() {
        let Some(txs) = block.get_mut("transactions").and_then(Value::as_array_mut) else { continue };
        for (j, tx) in txs.iter_mut().enumerate() {
            let at = format!("blocks[{i}].transactions[{j}]");
            let tx = tx.as_object_mut().ok_or_else(|| format!("{at}: not an object"))?;
            let Some(key) = tx.get("secretKey") else {
                if let Some(sender) = tx.get("sender").and_then(Value::as_str) {
                    senders.push((i, j, Address::from_str(sender).map_err(|e| format!("{at}.sender: {e}"))?));
                }
                continue;
            };
            let key = B256::from_str(key.as_str().unwrap_or_default())
                .map_err(|e| format!("{at}.secretKey: expected 32 bytes of hex: {e}"))?;
            let key = SigningKey::from_slice(key.as_slice()).map_err(|e| format!("{at}.secretKey: {e}"))?;
            let point = key.verifying_key().to_encoded_point(false);
            let address = Address::from_raw_public_key(&point.as_bytes()[1..]);
            match tx.get("sender").and_then(Value::as_str) {
                None => {
                    tx.insert("sender".into(), Value::String(format!("{address:#x}")));
                }
                Some(sender) => {
                    let sender = Address::from_str(sender).map_err(|e| format!("{at}.sender: {e}"))?;
                    if sender != address {
                        return Err(format!("{at}: secretKey is the key of {address}, not of the sender {sender}"));
                    }
                }
            }
            senders.push((i, j, address));
            let tx_type = u256_field(tx, "type", &at)?.unwrap_or_default();
            if tx_type > U256::from(3) {
                return Err(format!("{at}.type: {tx_type} is not a Cancun transaction type"));
            }
            let tx_type = tx_type.to::<u8>();
            tx.entry("value").or_insert_with(|| json!("0x00"));
            tx.entry("data").or_insert_with(|| json!("0x"));
            if tx_type != 0 {
                tx.entry("chainId").or_insert_with(|| json!(format!("{CHAIN_ID:#04x}")));
                tx.entry("accessList").or_insert_with(|| json!([]));
            }
            let payload = signing_payload(tx, tx_type, &at)?;
            let (signature, recovery) = key
                .sign_prehash_recoverable(keccak256(&payload).as_slice())
                .map_err(|e| format!("{at}: cannot sign: {e}"))?;
            let (signature, parity) = match signature.normalize_s() {
                Some(low) => (low, !recovery.is_y_odd()),
                None => (signature, recovery.is_y_odd()),
            };
            let v = if tx_type == 0 {
                let chain_id = u256_field(tx, "chainId", &at)?.map_or(CHAIN_ID, |c| c.to::<u64>());
                35 + 2 * chain_id + u64::from(parity)
            } else {
                u64::from(parity)
            };
            let (r, s) = signature.split_bytes();
            tx.insert("v".into(), json!(format!("{v:#04x}")));
            tx.insert("r".into(), json!(hex_u256(U256::from_be_slice(&r))));
            tx.insert("s".into(), json!(hex_u256(U256::from_be_slice(&s))));
        }
    }
    Ok(senders)
}

/// What a transaction's signature signs: its fields in its type's order (EIP-155 for legacy).
fn signing_payload(tx: &Map<String, Value>, tx_type: u8, at: &str) -> Result<Vec<u8>, String> {
    let need = |name: &str| -> Result<U256, String> {
        u256_field(tx, name, at)?.ok_or_else(|| format!("{at}.{name}: missing for a type-{tx_type} transaction"))
    };
    let to = match tx.get("to").and_then(Value::as_str) {
        None | Some("") => Vec::new(),
        Some(to) => Address::from_str(to).map_err(|e| format!("{at}.to: {e}"))?.to_vec(),
    };
    let data = bytes_field(tx, "data", at)?;
    let mut items = Vec::new();
    if tx_type != 0 {
        items.push(rlp_uint(need("chainId")?));
    }
    items.push(rlp_uint(need("nonce")?));
    if tx_type >= 2 {
        items.push(rlp_uint(need("maxPriorityFeePerGas")?));
        items.push(rlp_uint(need("maxFeePerGas")?));
    } else {
        items.push(rlp_uint(need("gasPrice")?));
    }
    items.push(rlp_uint(need("gasLimit")?));
    items.push(rlp_bytes(&to));
    items.push(rlp_uint(need("value")?));
    items.push(rlp_bytes(&data));
    if tx_type != 0 {
        let list = tx.get("accessList").and_then(Value::as_array).ok_or(format!("{at}.accessList: expected a list"))?;
        let mut entries = Vec::new();
        for entry in list {
            let address = entry["address"].as_str().and_then(|a| Address::from_str(a).ok());
            let address = address.ok_or(format!("{at}.accessList: an entry without a valid address"))?;
            let keys = entry["storageKeys"].as_array().cloned().unwrap_or_default();
            let keys = keys
                .iter()
                .map(|k| k.as_str().and_then(|k| B256::from_str(k).ok()).map(|k| rlp_bytes(k.as_slice())))
                .collect::<Option<Vec<_>>>()
                .ok_or(format!("{at}.accessList: a storage key is not 32 bytes of hex"))?;
            entries.push(rlp_list(&[rlp_bytes(address.as_slice()), rlp_list(&keys)]));
        }
        items.push(rlp_list(&entries));
    }
    if tx_type == 3 {
        items.push(rlp_uint(need("maxFeePerBlobGas")?));
        let hashes = tx.get("blobVersionedHashes").and_then(Value::as_array).cloned().unwrap_or_default();
        let hashes = hashes
            .iter()
            .map(|h| h.as_str().and_then(|h| B256::from_str(h).ok()).map(|h| rlp_bytes(h.as_slice())))
            .collect::<Option<Vec<_>>>()
            .ok_or(format!("{at}.blobVersionedHashes: a hash is not 32 bytes of hex"))?;
        items.push(rlp_list(&hashes));
    }
    if tx_type == 0 {
        let chain_id = u256_field(tx, "chainId", at)?.unwrap_or(U256::from(CHAIN_ID));
        items.extend([rlp_uint(chain_id), rlp_uint(U256::ZERO), rlp_uint(U256::ZERO)]);
        Ok(rlp_list(&items))
    } else {
        let mut out = vec![tx_type];
        out.extend(rlp_list(&items));
        Ok(out)
    }
}

/// Gives every header the fields the format requires: defaults, or the parent's (see the module doc).
fn complete_headers(test: &mut Value) -> Result<(), String> {
    let genesis = test
        .get_mut("genesisBlockHeader")
        .and_then(Value::as_object_mut)
        .ok_or("`genesisBlockHeader` must be an object")?;
    let defaults = [
        ("coinbase", json!("0x0000000000000000000000000000000000000000")),
        ("difficulty", json!("0x00")),
        ("extraData", json!("0x00")),
        ("gasLimit", json!("0x05f5e100")),
        ("mixHash", json!(ZERO_HASH)),
        ("number", json!("0x00")),
        ("timestamp", json!("0x00")),
        ("baseFeePerGas", json!("0x0a")),
        ("excessBlobGas", json!("0x00")),
    ];
    for (key, value) in defaults {
        genesis.entry(key).or_insert(value);
    }
    complete_common(genesis);
    let mut parent = genesis.clone();
    for (i, block) in test["blocks"].as_array_mut().expect("checked").iter_mut().enumerate() {
        let at = format!("blocks[{i}]");
        let block = block.as_object_mut().ok_or(format!("{at}: not an object"))?;
        block.entry("transactions").or_insert_with(|| json!([]));
        block.entry("withdrawals").or_insert_with(|| json!([]));
        let header = block.entry("blockHeader").or_insert_with(|| json!({}));
        let header = header.as_object_mut().ok_or(format!("{at}.blockHeader: not an object"))?;
        for key in ["coinbase", "gasLimit", "mixHash", "extraData", "difficulty"] {
            header.entry(key).or_insert_with(|| parent[key].clone());
        }
        let parent_time = u256_field(&parent, "timestamp", "parent")?.unwrap_or_default();
        header.entry("timestamp").or_insert_with(|| json!(hex_u256(parent_time + U256::from(12))));
        let time = u256_field(header, "timestamp", &at)?.unwrap_or_default();
        if time <= parent_time {
            return Err(format!("{at}.blockHeader.timestamp: {time} does not follow the parent's {parent_time}"));
        }
        let limit = u256_field(header, "gasLimit", &at)?.unwrap_or_default();
        let parent_limit = u256_field(&parent, "gasLimit", "parent")?.unwrap_or_default();
        let delta = if limit > parent_limit { limit - parent_limit } else { parent_limit - limit };
        if delta >= parent_limit / U256::from(1024) || limit < U256::from(5000) {
            return Err(format!(
                "{at}.blockHeader.gasLimit: {limit} is not within 1/1024 of the parent's {parent_limit} (EIP-1559)"
            ));
        }
        complete_common(header);
        parent = header.clone();
    }
    Ok(())
}

fn complete_common(header: &mut Map<String, Value>) {
    let defaults = [
        ("parentHash", json!(ZERO_HASH)),
        ("uncleHash", json!(EMPTY_UNCLES)),
        ("stateRoot", json!(ZERO_HASH)),
        ("transactionsTrie", json!(ZERO_HASH)),
        ("receiptTrie", json!(ZERO_HASH)),
        ("bloom", json!(format!("0x{}", "00".repeat(256)))),
        ("gasUsed", json!("0x00")),
        ("nonce", json!("0x0000000000000000")),
        ("withdrawalsRoot", json!(alloy_trie::EMPTY_ROOT_HASH.to_string())),
        ("blobGasUsed", json!("0x00")),
        ("parentBeaconBlockRoot", json!(ZERO_HASH)),
        ("hash", json!(ZERO_HASH)),
    ];
    for (key, value) in defaults {
        header.entry(key).or_insert(value);
    }
}

/// Links the headers: numbers, parent hashes, the fields computed from the parent (base fee, excess
/// blob gas), every hash, and `lastblockhash`.
fn chain(test: &mut Value) -> Result<(), String> {
    let genesis = test["genesisBlockHeader"].as_object_mut().expect("completed");
    let hash = header_hash(genesis, "genesisBlockHeader")?;
    genesis.insert("hash".into(), json!(hash.to_string()));
    let mut parent = genesis.clone();
    for (i, block) in test["blocks"].as_array_mut().expect("checked").iter_mut().enumerate() {
        let at = format!("blocks[{i}].blockHeader");
        let header = block["blockHeader"].as_object_mut().expect("completed");
        let number = u256_field(&parent, "number", "parent")?.unwrap_or_default() + U256::from(1);
        header.insert("number".into(), json!(hex_u256(number)));
        header.insert("parentHash".into(), parent["hash"].clone());
        let base_fee = next_base_fee(
            u256_field(&parent, "baseFeePerGas", "parent")?.unwrap_or_default(),
            u256_field(&parent, "gasUsed", "parent")?.unwrap_or_default(),
            u256_field(&parent, "gasLimit", "parent")?.unwrap_or_default(),
        );
        header.insert("baseFeePerGas".into(), json!(hex_u256(base_fee)));
        let excess = u256_field(&parent, "excessBlobGas", "parent")?.unwrap_or_default()
            + u256_field(&parent, "blobGasUsed", "parent")?.unwrap_or_default();
        let excess = excess.saturating_sub(U256::from(TARGET_BLOB_GAS_PER_BLOCK));
        header.insert("excessBlobGas".into(), json!(hex_u256(excess)));
        let hash = header_hash(header, &at)?;
        header.insert("hash".into(), json!(hash.to_string()));
        parent = header.clone();
    }
    test["lastblockhash"] = parent["hash"].clone();
    Ok(())
}

/// EIP-1559 (the fixture crate's rule), on the header's JSON numbers.
fn next_base_fee(base_fee: U256, gas_used: U256, gas_limit: U256) -> U256 {
    let u64_of = |v: U256| u64::try_from(v).unwrap_or(u64::MAX);
    U256::from(ovm_fixture::next_base_fee(u64_of(base_fee), u64_of(gas_used), u64_of(gas_limit)))
}

/// keccak256 of the header's fields in RLP order (Cancun: up to `parentBeaconBlockRoot`).
fn header_hash(header: &Map<String, Value>, at: &str) -> Result<B256, String> {
    let h = |k: &str| -> Result<Vec<u8>, String> { Ok(rlp_bytes(&bytes_field(header, k, at)?)) };
    let u = |k: &str| -> Result<Vec<u8>, String> { Ok(rlp_uint(u256_field(header, k, at)?.unwrap_or_default())) };
    let fields = [
        h("parentHash")?,
        h("uncleHash")?,
        h("coinbase")?,
        h("stateRoot")?,
        h("transactionsTrie")?,
        h("receiptTrie")?,
        h("bloom")?,
        u("difficulty")?,
        u("number")?,
        u("gasLimit")?,
        u("gasUsed")?,
        u("timestamp")?,
        h("extraData")?,
        h("mixHash")?,
        h("nonce")?,
        u("baseFeePerGas")?,
        h("withdrawalsRoot")?,
        u("blobGasUsed")?,
        u("excessBlobGas")?,
        h("parentBeaconBlockRoot")?,
    ];
    Ok(keccak256(rlp_list(&fields)))
}

/// Loads the test as the suite does and runs it natively.
fn load_and_run(test_name: &str, test: &Value, file: &str) -> Result<(BlockchainTest, ChainOutcome), String> {
    let text = json!({ test_name: test }).to_string();
    let mut loaded = load_blockchain_str(&text, file);
    if let Some(error) = loaded.errors.first() {
        return Err(format!("does not load: {error}"));
    }
    let case = loaded.tests.pop().ok_or("does not load as a test")?;
    let loaded = case.test.map_err(|skip| format!("not run: {}", skip.reason))?;
    let outcome = NativeBackend.run_blocks(&loaded).map_err(|e| format!("native backend: {e}"))?;
    Ok((loaded, outcome))
}

/// Writes what the run computed into the headers (not the hashes: see [`chain`]).
fn write_computed(test: &mut Value, loaded: &BlockchainTest, outcome: &ChainOutcome) {
    test["genesisBlockHeader"]["stateRoot"] = json!(state_root(&outcome.genesis).to_string());
    for (i, (block, result)) in loaded.blocks.iter().zip(&outcome.blocks).enumerate() {
        let header = &mut test["blocks"][i]["blockHeader"];
        header["stateRoot"] = json!(state_root(&result.post_state).to_string());
        header["gasUsed"] = json!(format!("{:#04x}", result.gas_used));
        header["blobGasUsed"] = json!(format!("{:#04x}", result.blob_gas_used));
        let logs = result.txs.iter().filter_map(|tx| match tx {
            TxOutcome::Executed(execution) => Some(&execution.logs),
            TxOutcome::Rejected { .. } => None,
        });
        header["bloom"] = json!(alloy_primitives::logs_bloom(logs.flatten()).to_string());
        let txs: Vec<&[u8]> = block.transactions.iter().map(|tx| tx.encoded.as_ref()).collect();
        header["transactionsTrie"] = json!(alloy_trie::root::ordered_trie_root_encoded(&txs).to_string());
        let withdrawals: Vec<Vec<u8>> = block
            .withdrawals
            .iter()
            .map(|w| {
                rlp_list(&[
                    rlp_uint(U256::from(w.index)),
                    rlp_uint(U256::from(w.validator_index)),
                    rlp_bytes(w.address.as_slice()),
                    rlp_uint(U256::from(w.amount_gwei)),
                ])
            })
            .collect();
        header["withdrawalsRoot"] = json!(alloy_trie::root::ordered_trie_root_encoded(&withdrawals).to_string());
    }
}

/// The signatures must recover the senders: the test loaded with every `sender` removed, so that the
/// loader recovers each from (v, r, s) over its own encoding.
fn check_senders(test_name: &str, test: &Value, file: &str, senders: &[(usize, usize, Address)]) -> Result<(), String> {
    let mut unsigned = test.clone();
    for block in unsigned["blocks"].as_array_mut().expect("checked") {
        for tx in block["transactions"].as_array_mut().into_iter().flatten() {
            tx.as_object_mut().map(|tx| tx.remove("sender"));
        }
    }
    let text = json!({ test_name: unsigned }).to_string();
    let mut loaded = load_blockchain_str(&text, file);
    if let Some(error) = loaded.errors.first() {
        return Err(format!("without `sender`, the signatures do not load: {error}"));
    }
    let loaded = loaded.tests.pop().and_then(|c| c.test.ok()).ok_or("without `sender`, the test does not load")?;
    for &(i, j, sender) in senders {
        let recovered = loaded.blocks[i].transactions[j].tx.caller;
        if recovered != sender {
            return Err(format!(
                "block {i}, transaction {j}: the signature recovers {recovered}, not the sender {sender}"
            ));
        }
    }
    Ok(())
}

/// Each block's `expect` against the state after it, then the test's against the final state.
///
/// An expected value may be written `"$hash(N)"`: the hash of the test's block number `N` (0 the
/// genesis), as the filled headers hold it; an author cannot know it before filling.
fn check_expectations(test: &Value, outcome: &ChainOutcome) -> Result<(), String> {
    let mut hashes = vec![(test["genesisBlockHeader"]["number"].clone(), test["genesisBlockHeader"]["hash"].clone())];
    for block in test["blocks"].as_array().expect("checked") {
        hashes.push((block["blockHeader"]["number"].clone(), block["blockHeader"]["hash"].clone()));
    }
    let hash_of = |n: &str| -> Option<Value> {
        let n = U256::from_str(n).ok()?;
        hashes
            .iter()
            .find(|(number, _)| number.as_str().and_then(|s| U256::from_str(s).ok()) == Some(n))
            .map(|(_, h)| h.clone())
    };
    fn substitute(v: &mut Value, hash_of: &dyn Fn(&str) -> Option<Value>) -> Result<(), String> {
        match v {
            Value::String(s) => {
                if let Some(n) = s.strip_prefix("$hash(").and_then(|r| r.strip_suffix(')')) {
                    *v = hash_of(n).ok_or_else(|| format!("`{s}`: the test has no block number {n}"))?;
                }
            }
            Value::Object(map) => map.values_mut().try_for_each(|v| substitute(v, hash_of))?,
            Value::Array(items) => items.iter_mut().try_for_each(|v| substitute(v, hash_of))?,
            _ => {}
        }
        Ok(())
    }
    let check = |expect: &Value, post_state: &PostState| {
        let mut expect = expect.clone();
        substitute(&mut expect, &hash_of)?;
        let entry: Map<String, Value> = [("expect".to_owned(), expect)].into_iter().collect();
        let execution =
            Execution { status: Status::Stop, output: Bytes::new(), gas_used: 0, logs: vec![], physical_gas: None };
        let outcome = Outcome { tx: TxOutcome::Executed(execution), post_state: post_state.clone() };
        check_expectation(&entry, &outcome)
    };
    for (i, (block, result)) in test["blocks"].as_array().expect("checked").iter().zip(&outcome.blocks).enumerate() {
        if let Some(expect) = block.get("expect") {
            check(expect, &result.post_state).map_err(|e| format!("blocks[{i}] (block {}): expect: {e}", i + 1))?;
        }
    }
    if let Some(expect) = test.get("expect") {
        check(expect, outcome.final_state()).map_err(|e| format!("after the last block: expect: {e}"))?;
    }
    Ok(())
}

fn post_state_json(state: &PostState) -> Value {
    let accounts: Map<String, Value> = state
        .iter()
        .map(|(address, account)| {
            let storage: Map<String, Value> =
                account.storage.iter().map(|(k, v)| (hex_u256(*k), json!(hex_u256(*v)))).collect();
            let value = json!({
                "balance": hex_u256(account.balance),
                "code": account.code.to_string(),
                "nonce": format!("{:#04x}", account.nonce),
                "storage": storage,
            });
            (format!("{address:#x}"), value)
        })
        .collect();
    Value::Object(accounts)
}

fn hex_u256(v: U256) -> String {
    let s = format!("{v:x}");
    if s.len() % 2 == 1 {
        format!("0x0{s}")
    } else {
        format!("0x{s}")
    }
}

fn u256_field(obj: &Map<String, Value>, key: &str, at: &str) -> Result<Option<U256>, String> {
    match obj.get(key) {
        None => Ok(None),
        Some(v) => v
            .as_str()
            .and_then(|s| U256::from_str(s).ok())
            .map(Some)
            .ok_or_else(|| format!("{at}.{key}: expected a number string, got {v}")),
    }
}

fn bytes_field(obj: &Map<String, Value>, key: &str, at: &str) -> Result<Vec<u8>, String> {
    let v = obj.get(key).ok_or_else(|| format!("{at}.{key}: missing"))?;
    v.as_str()
        .and_then(|s| Bytes::from_str(s).ok())
        .map(|b| b.to_vec())
        .ok_or_else(|| format!("{at}.{key}: expected hex, got {v}"))
}

fn rlp_header(len: usize, base: u8) -> Vec<u8> {
    if len < 56 {
        vec![base + len as u8]
    } else {
        let be = (len as u64).to_be_bytes();
        let be = &be[be.iter().take_while(|b| **b == 0).count()..];
        let mut out = vec![base + 55 + be.len() as u8];
        out.extend_from_slice(be);
        out
    }
}

fn rlp_bytes(b: &[u8]) -> Vec<u8> {
    if let [single] = b {
        if *single < 0x80 {
            return vec![*single];
        }
    }
    let mut out = rlp_header(b.len(), 0x80);
    out.extend_from_slice(b);
    out
}

fn rlp_uint(v: U256) -> Vec<u8> {
    let be = v.to_be_bytes::<32>();
    rlp_bytes(&be[be.iter().take_while(|b| **b == 0).count()..])
}

fn rlp_list(items: &[Vec<u8>]) -> Vec<u8> {
    let payload: Vec<u8> = items.concat();
    let mut out = rlp_header(payload.len(), 0xc0);
    out.extend(payload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_fee_follows_eip1559() {
        // ethereum/tests: a genesis with base fee 0x10 and no gas used is followed by 0x0e.
        assert_eq!(next_base_fee(U256::from(16), U256::ZERO, U256::from(0x7fff_ffff_ffff_ffffu64)), U256::from(14));
        assert_eq!(next_base_fee(U256::from(7), U256::ZERO, U256::from(1000)), U256::from(7));
        assert_eq!(next_base_fee(U256::from(100), U256::from(1000), U256::from(1000)), U256::from(112));
    }
}
