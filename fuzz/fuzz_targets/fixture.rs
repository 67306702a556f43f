//! Fixture loading never panics and every error names its file, whatever the text.
//!
//! The input is either raw text (first byte even) or, structure-aware (first byte odd), a JSON
//! document shaped like a state test or a blockchain test whose fields are present, missing or
//! wrong at the fuzzer's choice (odd hex, huge numbers, wrong types). Each text goes through
//! `load_str`, `load_blockchain_str`, and the sniff-then-load path of `load_vector_file`. For every
//! state case that loads with a `Setup`, building its revm environment (pre-state cache, context,
//! fee helpers) must not panic either.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use ovm_fixture::{is_blockchain_text, load_blockchain_str, load_str, FileError, VectorFile};
use revm::{database::State, Context, MainBuilder, MainContext};
use serde_json::{json, Map, Value};

const FILE: &str = "fuzz/input.json";

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let text = if mode % 2 == 0 {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        let mut u = Unstructured::new(rest);
        let Ok(doc) = Doc::arbitrary(&mut u) else { return };
        doc.render().to_string()
    };
    // To turn a (structured) crash into a fixture file: FIXTURE_DUMP=out.json <binary> crash-…
    if let Ok(path) = std::env::var("FIXTURE_DUMP") {
        std::fs::write(path, &text).expect("FIXTURE_DUMP is writable");
    }
    check(&text);
});

fn check(text: &str) {
    let state = load_str(text, FILE);
    errors_name_the_file(&state.errors);
    for case in &state.cases {
        assert_eq!(&*case.file, FILE, "a case names its file");
        assert!(case.id.0.starts_with(FILE), "a case id starts with its file: {}", case.id);
        if let Ok(setup) = &case.setup {
            // Building the revm environment the backends build must not panic.
            let pre = case.unit.pre_state().clone();
            let _ = setup.effective_gas_price();
            let _ = setup.blob_gas_price();
            let _ = setup.blob_gas();
            if let Ok(tx) = &setup.tx {
                let db = State::builder().with_cached_prestate(pre).build();
                let ctx = Context::mainnet().with_block(&setup.block).with_tx(tx.clone()).with_cfg(setup.cfg.clone());
                let _ = ctx.with_db(db).build_mainnet();
            }
        }
    }

    let chains = load_blockchain_str(text, FILE);
    errors_name_the_file(&chains.errors);
    for case in &chains.tests {
        assert_eq!(&*case.file, FILE, "a blockchain case names its file");
        if let Ok(test) = &case.test {
            let _ = test.pre_state();
            let _ = test.transaction_count();
            for i in 0..=test.blocks.len() {
                let _ = test.blockhash_window(i);
            }
        }
    }

    // `load_vector_file` on the same text: the sniff decides the loader.
    let file = if is_blockchain_text(text) {
        let f = load_blockchain_str(text, FILE);
        VectorFile { cases: vec![], chains: f.tests, errors: f.errors }
    } else {
        let f = load_str(text, FILE);
        VectorFile { cases: f.cases, chains: vec![], errors: f.errors }
    };
    errors_name_the_file(&file.errors);
}

fn errors_name_the_file(errors: &[FileError]) {
    for e in errors {
        assert_eq!(e.file, FILE, "an error names its file: {e:?}");
        assert!(e.to_string().starts_with(FILE), "an error's text starts with its file: {e}");
        assert!(!e.message.is_empty(), "an error says what is wrong: {e:?}");
    }
}

/// A value for one field: usually plausible, sometimes broken.
#[derive(Arbitrary, Debug)]
enum Hex {
    Small(u8),
    Word(u64),
    /// 0x and these bytes: more than 32 bytes is a huge number.
    Bytes(Vec<u8>),
    Zero32,
    Address(u8),
    /// An odd number of digits.
    Odd(u16),
    NoPrefix(u64),
    BigInt(u8),
    Decimal(u64),
    Junk(String),
    Number(u64),
    Negative(i32),
    Float,
    Null,
    Bool(bool),
    Array(Vec<u8>),
    Object,
}

impl Hex {
    fn render(&self) -> Value {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        match self {
            Hex::Small(v) => json!(format!("0x{v:02x}")),
            Hex::Word(v) => json!(format!("0x{v:x}")),
            Hex::Bytes(b) => json!(format!("0x{}", hex(b))),
            Hex::Zero32 => json!(format!("0x{}", "00".repeat(32))),
            Hex::Address(b) => json!(format!("0x{}", format!("{b:02x}").repeat(20))),
            Hex::Odd(v) => {
                json!(format!("0x{:x}{}", v, "f".repeat(if format!("{v:x}").len() % 2 == 0 { 1 } else { 0 })))
            }
            Hex::NoPrefix(v) => json!(format!("{v:x}")),
            Hex::BigInt(n) => json!(format!("0x:bigint 0x1{}", "0".repeat(*n as usize))),
            Hex::Decimal(v) => json!(v.to_string()),
            Hex::Junk(s) => json!(s),
            Hex::Number(v) => json!(v),
            Hex::Negative(v) => json!(v),
            Hex::Float => json!(1.5),
            Hex::Null => Value::Null,
            Hex::Bool(b) => json!(b),
            Hex::Array(b) => json!(b.iter().map(|x| format!("0x{x:02x}")).collect::<Vec<_>>()),
            Hex::Object => json!({}),
        }
    }
}

/// An object with the given field names, each with a plausible value unless the fuzzer overrides
/// it (with a value of its own, or by leaving it out), plus an extra field.
#[derive(Arbitrary, Debug)]
struct Fields {
    overrides: Vec<(u8, Option<Hex>)>,
    extra: Option<(String, Hex)>,
}

impl Fields {
    fn render(&self, names: &[&str]) -> Value {
        let mut map: Map<String, Value> = names.iter().map(|name| ((*name).to_owned(), plausible(name))).collect();
        for (i, value) in &self.overrides {
            let name = names[*i as usize % names.len()];
            match value {
                None => map.remove(name),
                Some(v) => map.insert(name.to_owned(), v.render()),
            };
        }
        if let Some((k, v)) = &self.extra {
            map.insert(k.clone(), v.render());
        }
        Value::Object(map)
    }
}

/// A valid value for a field, so that a document the fuzzer says little about still loads and the
/// fuzzer's own values reach the deep checks (setup, environment) one at a time.
fn plausible(name: &str) -> Value {
    let zeros = |n: usize| json!(format!("0x{}", "00".repeat(n)));
    match name {
        "currentCoinbase" | "coinbase" | "sender" | "to" | "address" => {
            json!("0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba")
        }
        "secretKey" => json!("0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8"),
        "bloom" => zeros(256),
        "nonce" => zeros(8),
        "extraData" | "code" | "txbytes" => json!("0x"),
        "data" | "gas" | "value" => json!(0),
        "index" | "validatorIndex" => json!("0x00"),
        "currentGasLimit" | "gasLimit" => json!("0x0f4240"),
        "currentExcessBlobGas" | "excessBlobGas" | "blobGasUsed" | "gasUsed" | "number" | "currentNumber" => {
            json!("0x00")
        }
        "expectException" | "sealEngine" => json!("NoProof"),
        n if n.ends_with("Hash")
            || n.ends_with("Root")
            || n.ends_with("Trie")
            || n.ends_with("hash")
            || n == "currentRandom"
            || n == "mixHash"
            || n == "logs"
            || n == "stateRoot" =>
        {
            zeros(32)
        }
        _ => json!("0x01"),
    }
}

#[derive(Arbitrary, Debug)]
struct Account {
    address: Hex,
    fields: Fields,
    storage: Vec<(Hex, Hex)>,
    storage_broken: Option<Hex>,
}

impl Account {
    fn render(&self) -> (String, Value) {
        let key = match self.address.render() {
            Value::String(s) => s,
            other => other.to_string(),
        };
        let mut v = self.fields.render(&["balance", "code", "nonce"]);
        let storage = match &self.storage_broken {
            Some(h) => h.render(),
            None => Value::Object(
                self.storage
                    .iter()
                    .map(|(k, v)| (k.render().to_string().trim_matches('"').to_owned(), v.render()))
                    .collect(),
            ),
        };
        v.as_object_mut().map(|m| m.insert("storage".into(), storage));
        (key, v)
    }
}

fn pre(accounts: &[Account]) -> Value {
    Value::Object(accounts.iter().map(Account::render).collect())
}

const FORKS: &[&str] = &["Cancun", "Shanghai", "Prague", "Constantinople", "Frontier", "Berlin", "London", "Nope"];

#[derive(Arbitrary, Debug)]
struct PostEntry {
    fields: Fields,
    indexes: Fields,
    post_state: Option<Vec<Account>>,
}

#[derive(Arbitrary, Debug)]
struct StateTest {
    name: String,
    env: Fields,
    pre: Vec<Account>,
    tx: Fields,
    lists: Vec<(u8, Vec<Hex>)>,
    post: Vec<(u8, Vec<PostEntry>)>,
    drop: Option<u8>,
}

impl StateTest {
    fn render(&self) -> Value {
        let env = self.env.render(&[
            "currentCoinbase",
            "currentDifficulty",
            "currentGasLimit",
            "currentNumber",
            "currentTimestamp",
            "currentBaseFee",
            "currentRandom",
            "currentExcessBlobGas",
            "currentChainID",
            "currentBeaconRoot",
            "currentWithdrawalsRoot",
        ]);
        let mut tx = self.tx.render(&[
            "nonce",
            "gasPrice",
            "maxFeePerGas",
            "maxPriorityFeePerGas",
            "maxFeePerBlobGas",
            "secretKey",
            "sender",
            "to",
            "chainId",
        ]);
        const LISTS: &[&str] =
            &["data", "gasLimit", "value", "accessLists", "blobVersionedHashes", "authorizationList"];
        if let Some(m) = tx.as_object_mut() {
            for name in &LISTS[..3] {
                m.insert((*name).into(), json!(["0x00"]));
            }
            for (which, values) in &self.lists {
                let name = LISTS[*which as usize % LISTS.len()];
                m.insert(name.into(), Value::Array(values.iter().map(Hex::render).collect()));
            }
        }
        let mut post = Map::new();
        for (fork, entries) in &self.post {
            let entries = entries
                .iter()
                .map(|e| {
                    let mut v = e.fields.render(&["hash", "logs", "txbytes"]);
                    if let Some(m) = v.as_object_mut() {
                        m.insert("indexes".into(), e.indexes.render(&["data", "gas", "value"]));
                        if let Some(p) = &e.post_state {
                            m.insert("postState".into(), pre(p));
                        }
                    }
                    v
                })
                .collect();
            post.insert(FORKS[*fork as usize % FORKS.len()].into(), Value::Array(entries));
        }
        let mut unit = Map::new();
        unit.insert("env".into(), env);
        unit.insert("pre".into(), pre(&self.pre));
        unit.insert("transaction".into(), tx);
        unit.insert("post".into(), Value::Object(post));
        // Rarely: a whole part missing.
        if let Some(d) = self.drop.filter(|d| *d < 16) {
            let key = ["env", "pre", "transaction", "post"][d as usize % 4];
            unit.remove(key);
        }
        json!({ self.name.clone(): unit })
    }
}

const HEADER: &[&str] = &[
    "parentHash",
    "uncleHash",
    "coinbase",
    "stateRoot",
    "transactionsTrie",
    "receiptTrie",
    "bloom",
    "difficulty",
    "number",
    "gasLimit",
    "gasUsed",
    "timestamp",
    "extraData",
    "mixHash",
    "nonce",
    "baseFeePerGas",
    "withdrawalsRoot",
    "blobGasUsed",
    "excessBlobGas",
    "parentBeaconBlockRoot",
    "hash",
];

const TX: &[&str] = &[
    "type",
    "chainId",
    "nonce",
    "gasPrice",
    "maxPriorityFeePerGas",
    "maxFeePerGas",
    "gasLimit",
    "to",
    "value",
    "data",
    "v",
    "r",
    "s",
    "sender",
    "maxFeePerBlobGas",
];

#[derive(Arbitrary, Debug)]
struct ChainBlock {
    header: Option<Fields>,
    rlp: Option<Hex>,
    txs: Option<Vec<(Fields, Option<Vec<Hex>>)>>,
    withdrawals: Option<Vec<Fields>>,
    exception: Option<String>,
}

#[derive(Arbitrary, Debug)]
struct ChainTest {
    name: String,
    network: u8,
    genesis: Fields,
    genesis_rlp: Option<Hex>,
    pre: Vec<Account>,
    blocks: Vec<ChainBlock>,
    post: Option<Vec<Account>>,
    top: Fields,
}

impl ChainTest {
    fn render(&self) -> Value {
        let mut t = self.top.render(&["lastblockhash", "postStateHash", "sealEngine"]);
        let m = t.as_object_mut().expect("an object");
        m.insert("network".into(), json!(FORKS[self.network as usize % FORKS.len()]));
        m.insert("genesisBlockHeader".into(), self.genesis.render(HEADER));
        if let Some(r) = &self.genesis_rlp {
            m.insert("genesisRLP".into(), r.render());
        }
        m.insert("pre".into(), pre(&self.pre));
        if let Some(p) = &self.post {
            m.insert("postState".into(), pre(p));
        }
        let blocks = self
            .blocks
            .iter()
            .map(|b| {
                let mut o = Map::new();
                if let Some(h) = &b.header {
                    o.insert("blockHeader".into(), h.render(HEADER));
                }
                if let Some(r) = &b.rlp {
                    o.insert("rlp".into(), r.render());
                }
                if let Some(txs) = &b.txs {
                    let txs = txs
                        .iter()
                        .map(|(f, access)| {
                            let mut v = f.render(TX);
                            if let (Some(a), Some(m)) = (access, v.as_object_mut()) {
                                m.insert("accessList".into(), Value::Array(a.iter().map(Hex::render).collect()));
                            }
                            v
                        })
                        .collect();
                    o.insert("transactions".into(), Value::Array(txs));
                }
                if let Some(ws) = &b.withdrawals {
                    let ws = ws.iter().map(|w| w.render(&["index", "validatorIndex", "address", "amount"])).collect();
                    o.insert("withdrawals".into(), Value::Array(ws));
                }
                if let Some(e) = &b.exception {
                    o.insert("expectException".into(), json!(e));
                }
                o.insert("uncleHeaders".into(), json!([]));
                Value::Object(o)
            })
            .collect();
        m.insert("blocks".into(), Value::Array(blocks));
        json!({ self.name.clone(): t })
    }
}

#[derive(Arbitrary, Debug)]
enum Doc {
    State(Vec<StateTest>),
    Chain(Vec<ChainTest>),
    Both(Box<StateTest>, Box<ChainTest>),
}

impl Doc {
    fn render(&self) -> Value {
        let merge = |docs: Vec<Value>| {
            let mut m = Map::new();
            for d in docs {
                if let Value::Object(o) = d {
                    m.extend(o);
                }
            }
            Value::Object(m)
        };
        match self {
            Doc::State(tests) => merge(tests.iter().map(StateTest::render).collect()),
            Doc::Chain(tests) => merge(tests.iter().map(ChainTest::render).collect()),
            Doc::Both(s, c) => merge(vec![s.render(), c.render()]),
        }
    }
}
