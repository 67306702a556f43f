//! Generated scenarios for differential fuzzing.
//!
//! A [`Scenario`] is built from fuzzer bytes (`arbitrary`): 2–6 generated contracts (structured
//! programs over a weighted op mix, see [`program`], or a small share of raw bytes), funded senders
//! and accounts, and 1–8 transactions in 1–3 blocks (calls and creations, value, calldata whose
//! first byte selects a program segment, generous gas limits), with withdrawals now and then, and
//! rarely 257 empty blocks before one (so that BLOCKHASH's 256-block window has an edge). Every
//! transaction is valid by construction (nonces in order, funds, gas within the block), so a
//! scenario is also a valid blockchain test: [`Scenario::to_test`] builds it in memory for the
//! fuzzer, and [`Scenario::to_json`] writes it in the project's hand-written blockchain-test format
//! for `cargo xtask fill`, so that `cargo xtask conformance --vectors FILE` replays it.
//!
//! One scenario in [`STATE_TEST_EVERY`] has the [`Form::StateTest`] instead: its first transaction
//! alone, as a state test in block [`STATE_TEST_NUMBER`] (past BLOCKHASH's window, so that all 256
//! hashes before it exist). State tests are the path most shared vectors take (their genesis, their
//! block hashes, their one transaction), and a chain never takes it.
//!
//! [`Scenario::differential`] runs a scenario natively and through the OVM and judges it with the
//! conformance suite's comparator; [`minimize`] shrinks a divergent scenario while it keeps its
//! divergence's signature.
//!
//! Architecture invariant: generation is a pure function of the bytes (the same bytes give the
//! same scenario, the same test and the same JSON); every scenario is a valid chain.

pub mod program;

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use arbitrary::{Arbitrary, Unstructured};
use ovm_backend::Backend;
use ovm_fixture::{AccountInfo, Block, BlockTx, BlockchainTest, Case, ChainExpectation, Header};
use program::{Code, Compiler, Program, Target, World, MAX_RAW};
use revm::{context::TxEnv, primitives::TxKind};
use std::{collections::BTreeMap, sync::OnceLock};

pub const MIN_CONTRACTS: usize = 2;
pub const MAX_CONTRACTS: usize = 6;
pub const MAX_BLOCKS: usize = 3;
pub const MAX_TRANSACTIONS: usize = 8;
pub const SENDERS: usize = 2;
/// Gas limit of every block; the transactions of one block may ask for at most half of it, so that
/// no block uses more than EIP-1559's target and the base fee stays 0 (as the filler computes it).
pub const BLOCK_GAS_LIMIT: u64 = 30_000_000;
pub const GAS_PRICE: u64 = 10;

/// One scenario in this many is a state test ([`Form::StateTest`]).
pub const STATE_TEST_EVERY: u8 = 8;
/// The block a state-test scenario runs in: past BLOCKHASH's window, so that the state test's
/// genesis records all 256 hashes before it and the window's edge can be read.
pub const STATE_TEST_NUMBER: u64 = 0x200;

/// A generated scenario: the fuzzer's view (what varies), not yet a chain.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    pub contracts: Vec<Contract>,
    pub blocks: Vec<BlockSpec>,
    /// Last, so that inputs written before it existed keep their contracts and blocks.
    pub form: Form,
}

/// How a scenario is run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Form {
    /// Its blocks, as a blockchain test.
    #[default]
    Chain,
    /// Its first transaction alone, as a state test in block [`STATE_TEST_NUMBER`] (a normalized
    /// state-test scenario has that one transaction).
    StateTest,
}

impl<'a> Arbitrary<'a> for Form {
    /// One byte: one value in [`STATE_TEST_EVERY`] is a state test; an exhausted input is a chain.
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let byte = u8::arbitrary(u)?;
        Ok(if byte % STATE_TEST_EVERY == STATE_TEST_EVERY - 1 { Form::StateTest } else { Form::Chain })
    }

    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(1))
    }
}

#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct Contract {
    pub code: Code,
    pub balance: u16,
    pub storage: Vec<(u8, u8)>,
}

#[derive(Arbitrary, Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockSpec {
    pub transactions: Vec<TxSpec>,
    pub withdrawals: Vec<(Target, u8)>,
    /// `GAP_MARK`: the block comes after `GAP_BLOCKS` empty blocks, so that BLOCKHASH's window
    /// (256 blocks) has an edge to read (once per scenario: each empty block costs a block's
    /// system duties in both runs).
    pub gap: u8,
}

/// The `gap` value that puts empty blocks before a block, and how many.
pub const GAP_MARK: u8 = u8::MAX;
pub const GAP_BLOCKS: u64 = 257;

#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct TxSpec {
    pub sender: u8,
    pub kind: TxTarget,
    pub value: u8,
    pub selector: u8,
    pub data: Vec<u8>,
    pub gas: TxGas,
}

#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxTarget {
    Call(Target),
    /// A creation transaction with a generated program's initcode.
    Create(u8),
}

#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxGas {
    Tight,
    Medium,
    Generous,
}

impl TxSpec {
    /// The first sender calling the first contract with no value or data, at the generous limit:
    /// what a scenario without a transaction gets.
    pub fn call_first_contract() -> TxSpec {
        TxSpec {
            sender: 0,
            kind: TxTarget::Call(Target::Contract(0)),
            value: 0,
            selector: 0,
            data: vec![],
            gas: TxGas::Generous,
        }
    }
}

impl TxGas {
    /// Generous is ten times what a generated program needs without recursion; a recursion burns
    /// whatever it is given (the 63/64 rule keeps it far from depth 1024 at any limit), and at 3M
    /// those scenarios took a third of a fuzzing corpus's time.
    fn limit(self) -> u64 {
        match self {
            TxGas::Tight => 120_000,
            TxGas::Medium => 600_000,
            TxGas::Generous => 1_000_000,
        }
    }
}

/// How large generated scenarios may be: the generator's bounds, or a campaign's smaller ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    pub max_contracts: usize,
    pub max_transactions: usize,
}

impl Bounds {
    /// 2–6 contracts, 1–8 transactions.
    pub const FULL: Bounds = Bounds { max_contracts: MAX_CONTRACTS, max_transactions: MAX_TRANSACTIONS };
    /// 2–4 contracts, 1–3 transactions: a quick campaign's, and the class the throughput figure is
    /// quoted for.
    pub const SMALL: Bounds = Bounds { max_contracts: 4, max_transactions: 3 };

    /// `full` or `small`.
    pub fn named(name: &str) -> Result<Bounds, String> {
        match name {
            "full" => Ok(Bounds::FULL),
            "small" => Ok(Bounds::SMALL),
            other => Err(format!(
                "unknown scenario bounds `{other}` (full: 2–6 contracts, 1–8 transactions; small: 2–4, 1–3)"
            )),
        }
    }
}

impl Scenario {
    /// The scenario the bytes describe (an empty input still gives a valid one).
    pub fn from_bytes(bytes: &[u8]) -> Self {
        Self::from_bytes_within(bytes, Bounds::FULL)
    }

    /// The scenario the bytes describe, cut to `bounds` (extra contracts and transactions dropped).
    pub fn from_bytes_within(bytes: &[u8], bounds: Bounds) -> Self {
        let scenario = Scenario::arbitrary(&mut Unstructured::new(bytes)).unwrap_or_else(|_| Scenario {
            contracts: vec![],
            blocks: vec![],
            form: Form::Chain,
        });
        scenario.normalized_within(bounds)
    }

    /// Within the generator's bounds: 2–6 contracts, 1–3 blocks, 1–8 transactions in all, bounded
    /// programs, each block's gas within half its limit; a state test's one block with its first
    /// transaction alone.
    pub fn normalized(self) -> Self {
        self.normalized_within(Bounds::FULL)
    }

    fn normalized_within(mut self, bounds: Bounds) -> Self {
        let bounds = Bounds {
            max_contracts: bounds.max_contracts.clamp(MIN_CONTRACTS, MAX_CONTRACTS),
            max_transactions: bounds.max_transactions.clamp(1, MAX_TRANSACTIONS),
        };
        self.contracts.truncate(bounds.max_contracts);
        while self.contracts.len() < MIN_CONTRACTS {
            self.contracts.push(Contract { code: Code::Program(Program::default()), balance: 0, storage: vec![] });
        }
        for contract in &mut self.contracts {
            contract.storage.truncate(4);
            if let Code::Raw(bytes) = &mut contract.code {
                bytes.truncate(MAX_RAW);
            }
        }
        self.blocks.truncate(MAX_BLOCKS);
        if self.blocks.is_empty() {
            self.blocks.push(BlockSpec::default());
        }
        let mut left = bounds.max_transactions;
        for block in &mut self.blocks {
            block.transactions.truncate(left);
            left -= block.transactions.len();
            block.withdrawals.truncate(2);
            let mut gas = 0;
            block.transactions.retain(|tx| {
                gas += tx.gas.limit();
                gas <= BLOCK_GAS_LIMIT / 2
            });
        }
        if self.blocks.iter().all(|b| b.transactions.is_empty()) {
            self.blocks[0].transactions.push(TxSpec::call_first_contract());
        }
        if self.form == Form::StateTest {
            let first = self.blocks.iter().flat_map(|b| &b.transactions).next().cloned();
            self.blocks = vec![BlockSpec { transactions: first.into_iter().collect(), ..BlockSpec::default() }];
        }
        self
    }

    /// How many transactions the scenario sends.
    pub fn transaction_count(&self) -> usize {
        self.blocks.iter().map(|b| b.transactions.len()).sum()
    }

    fn world(&self) -> World {
        let contracts = (0..self.contracts.len()).map(|i| address(0xc0de_0000 + i as u64)).collect();
        let programs: Vec<&Program> = self.programs();
        let mut world = World {
            contracts,
            creations: self.creations(),
            eoas: (0..2).map(|i| address(0xe0a0_0000 + i)).collect(),
            empties: (0..2).map(|i| address(0xdead_0000 + i)).collect(),
            initcodes: vec![],
        };
        let initcodes = programs.iter().map(|p| Compiler::new(&world, false).initcode(p)).collect();
        world.initcodes = initcodes;
        world
    }

    /// The addresses the creation transactions create, in order (sender and nonce are known ahead).
    fn creations(&self) -> Vec<Address> {
        let mut nonces = [0u64; SENDERS];
        let mut out = Vec::new();
        for tx in self.blocks.iter().flat_map(|b| &b.transactions) {
            let who = usize::from(tx.sender) % SENDERS;
            if matches!(tx.kind, TxTarget::Create(_)) {
                out.push(senders()[who].1.create(nonces[who]));
            }
            nonces[who] += 1;
        }
        out
    }

    fn programs(&self) -> Vec<&Program> {
        self.contracts
            .iter()
            .filter_map(|c| match &c.code {
                Code::Program(p) => Some(p),
                Code::Raw(_) => None,
            })
            .collect()
    }

    /// Every account of the genesis.
    fn pre(&self, world: &World) -> BTreeMap<Address, AccountInfo> {
        let mut pre = BTreeMap::new();
        let account = |balance: U256, code: Vec<u8>, nonce: u64, storage: &[(u8, u8)]| AccountInfo {
            balance,
            code: Bytes::from(code),
            nonce,
            storage: storage
                .iter()
                .filter(|(_, v)| *v != 0)
                .map(|(k, v)| (U256::from(*k % 8), U256::from(*v)))
                .collect(),
        };
        for sender in senders() {
            pre.insert(sender.1, account(U256::from(10u128.pow(21)), vec![], 0, &[]));
        }
        // The second account exists but is empty (EIP-161: the first touch clears it).
        for (i, eoa) in world.eoas.iter().enumerate() {
            let balance = if i == 1 { U256::ZERO } else { U256::from(10u64.pow(18)) };
            pre.insert(*eoa, account(balance, vec![], 0, &[]));
        }
        for (contract, address) in self.contracts.iter().zip(&world.contracts) {
            let code = match &contract.code {
                Code::Program(program) => Compiler::new(world, true).runtime(program),
                Code::Raw(bytes) => bytes.clone(),
            };
            pre.insert(*address, account(U256::from(contract.balance) * U256::from(1000), code, 1, &contract.storage));
        }
        pre
    }

    /// Each transaction as revm runs it, block by block; nonces in order per sender.
    fn transactions(&self, world: &World) -> Vec<Vec<TxEnv>> {
        let mut nonces = [0u64; SENDERS];
        self.blocks
            .iter()
            .map(|block| {
                block
                    .transactions
                    .iter()
                    .map(|spec| {
                        let who = usize::from(spec.sender) % SENDERS;
                        let nonce = nonces[who];
                        nonces[who] += 1;
                        let (kind, data) = match spec.kind {
                            TxTarget::Call(target) => {
                                let mut data = vec![spec.selector % 4];
                                data.extend(spec.data.iter().take(8));
                                (TxKind::Call(target_address(world, target, senders()[who].1)), data)
                            }
                            TxTarget::Create(program) => {
                                let code = world.initcodes.get(usize::from(program) % world.initcodes.len().max(1));
                                (TxKind::Create, code.cloned().unwrap_or_default())
                            }
                        };
                        TxEnv {
                            tx_type: 0,
                            caller: senders()[who].1,
                            gas_limit: spec.gas.limit(),
                            gas_price: u128::from(GAS_PRICE),
                            kind,
                            value: U256::from(spec.value) * U256::from(1000),
                            data: Bytes::from(data),
                            nonce,
                            chain_id: Some(1),
                            ..TxEnv::default()
                        }
                    })
                    .collect()
            })
            .collect()
    }

    /// The scenario as a blockchain test in memory. Block hashes are placeholders (both runs read
    /// the same headers; `cargo xtask fill` computes real ones for a regression vector), and nothing
    /// is expected: a differential run compares the two backends.
    pub fn to_test(&self) -> BlockchainTest {
        let world = self.world();
        let cfg = ovm_fixture::cancun_cfg(1);
        let header = |number: u64| Header {
            number,
            timestamp: timestamp(number),
            coinbase: coinbase(),
            base_fee: 0,
            prevrandao: B256::ZERO,
            difficulty: U256::ZERO,
            gas_limit: BLOCK_GAS_LIMIT,
            gas_used: 0,
            excess_blob_gas: 0,
            blob_gas_used: 0,
            parent_beacon_block_root: B256::ZERO,
            parent_hash: B256::ZERO,
            state_root: B256::ZERO,
            hash: keccak256(number.to_be_bytes()),
            logs_bloom: Default::default(),
            receipts_root: B256::ZERO,
        };
        let empty = BlockSpec::default();
        let gap_before = self.blocks.iter().position(|b| b.gap == GAP_MARK);
        let planned = self.transactions(&world).into_iter().zip(&self.blocks).enumerate().flat_map(|(i, block)| {
            let gap = if gap_before == Some(i) { GAP_BLOCKS as usize } else { 0 };
            std::iter::repeat_with(|| (Vec::new(), &empty)).take(gap).chain(std::iter::once(block))
        });
        let blocks = planned
            .enumerate()
            .map(|(i, (txs, spec))| {
                let header = header(i as u64 + 1);
                let env = ovm_fixture::block_env(&header, &cfg);
                let transactions = txs
                    .into_iter()
                    .map(|tx| BlockTx { tx, encoded: Bytes::new(), hash: B256::ZERO, sender_recovered: false })
                    .collect();
                let withdrawals = spec
                    .withdrawals
                    .iter()
                    .enumerate()
                    .map(|(k, (target, gwei))| ovm_fixture::Withdrawal {
                        index: k as u64,
                        validator_index: 0,
                        address: target_address(&world, *target, senders()[0].1),
                        // 0 (a touch without a credit) a quarter of the time.
                        amount_gwei: u64::from(*gwei % 4) * 1000,
                    })
                    .collect();
                Block { header, env, transactions, withdrawals, expect_exception: None }
            })
            .collect();
        let expect = ChainExpectation { post_state: None, post_state_hash: None, last_block_hash: B256::ZERO };
        BlockchainTest::new(cfg, self.pre(&world), header(0), blocks, expect)
    }

    /// The scenario in the project's hand-written format, blockchain test or state test by its
    /// form (`cargo xtask fill` completes it: a blockchain test's signatures, headers and
    /// `postState`, a state test's hashes).
    pub fn to_json(&self, name: &str, comment: &str) -> serde_json::Value {
        match self.form {
            Form::Chain => self.chain_json(name, comment),
            Form::StateTest => self.state_test_json(name, comment),
        }
    }

    fn chain_json(&self, name: &str, comment: &str) -> serde_json::Value {
        use serde_json::json;
        let test = self.to_test();
        let blocks: Vec<serde_json::Value> = test
            .blocks
            .iter()
            .map(|block| {
                let txs: Vec<serde_json::Value> = block.transactions.iter().map(|t| tx_json(&t.tx)).collect();
                let withdrawals: Vec<serde_json::Value> = block
                    .withdrawals
                    .iter()
                    .map(|w| {
                        json!({
                            "index": num(w.index), "validatorIndex": "0x00",
                            "address": w.address.to_checksum(None), "amount": num(w.amount_gwei),
                        })
                    })
                    .collect();
                json!({
                    "blockHeader": { "timestamp": num(block.header.timestamp) },
                    "transactions": txs,
                    "withdrawals": withdrawals,
                })
            })
            .collect();
        let genesis = json!({
            "coinbase": test.genesis.coinbase.to_checksum(None),
            "gasLimit": num(BLOCK_GAS_LIMIT),
            "baseFeePerGas": "0x00",
            "timestamp": "0x00",
            "number": "0x00",
            "excessBlobGas": "0x00",
        });
        json!({ name: {
            "_info": { "comment": comment, "scenario": format!("{self:?}") },
            "network": "Cancun",
            "pre": pre_json(&test.pre),
            "genesisBlockHeader": genesis,
            "blocks": blocks,
        }})
    }

    /// The state test of a [`Form::StateTest`] scenario (of any scenario: its first transaction),
    /// its hashes zero until `cargo xtask fill` records them.
    fn state_test_json(&self, name: &str, comment: &str) -> serde_json::Value {
        use serde_json::json;
        let world = self.world();
        let transactions = self.transactions(&world);
        let tx = transactions.iter().flatten().next().expect("a normalized scenario has a transaction");
        // A state test lists its transaction's variants: one of each here.
        let mut tx = tx_json(tx);
        for key in ["data", "gasLimit", "value"] {
            tx[key] = json!([tx[key].take()]);
        }
        let zero = B256::ZERO.to_string();
        json!({ name: {
            "_info": { "comment": comment, "scenario": format!("{self:?}") },
            "env": {
                "currentCoinbase": coinbase().to_checksum(None),
                "currentDifficulty": "0x00",
                "currentGasLimit": num(BLOCK_GAS_LIMIT),
                "currentNumber": num(STATE_TEST_NUMBER),
                "currentTimestamp": num(timestamp(STATE_TEST_NUMBER)),
                "currentBaseFee": "0x00",
                "currentRandom": zero,
                "currentExcessBlobGas": "0x00",
            },
            "pre": pre_json(&self.pre(&world)),
            "transaction": tx,
            "post": { "Cancun": [{ "indexes": { "data": 0, "gas": 0, "value": 0 }, "hash": zero, "logs": zero }] },
        }})
    }

    /// A [`Form::StateTest`] scenario's state test, loaded as the suite loads a vector.
    pub fn state_test_case(&self) -> Result<Case, String> {
        let text = self.state_test_json("scenario", "").to_string();
        let mut loaded = ovm_fixture::load_str(&text, "scenario.json");
        if let Some(error) = loaded.errors.first() {
            return Err(error.to_string());
        }
        match (loaded.cases.pop(), loaded.cases.is_empty()) {
            (Some(case), true) => Ok(case),
            _ => Err("the scenario's state test is not one case".into()),
        }
    }

    /// The scenario's differential run, by its form.
    pub fn differential(&self) -> Finding {
        match self.form {
            Form::Chain => differential_chain(&self.to_test()),
            Form::StateTest => match self.state_test_case() {
                Ok(case) => differential_state(&case),
                Err(e) => Finding::Error(format!("state test: {e}")),
            },
        }
    }

    /// Smaller scenarios to try, the most aggressive first: fewer blocks, transactions, withdrawals,
    /// contracts' storage, ops, segments; simpler endings and values.
    pub fn shrink_candidates(&self) -> Vec<Scenario> {
        let mut out = Vec::new();
        for i in 0..self.blocks.len() {
            if self.blocks.len() > 1 {
                let mut s = self.clone();
                s.blocks.remove(i);
                out.push(s);
            }
            for j in 0..self.blocks[i].transactions.len() {
                let mut s = self.clone();
                s.blocks[i].transactions.remove(j);
                out.push(s);
            }
            if self.blocks[i].gap == GAP_MARK {
                let mut s = self.clone();
                s.blocks[i].gap = 0;
                out.push(s);
            }
            if !self.blocks[i].withdrawals.is_empty() {
                let mut s = self.clone();
                s.blocks[i].withdrawals.clear();
                out.push(s);
            }
        }
        for (c, contract) in self.contracts.iter().enumerate() {
            if !contract.storage.is_empty() {
                let mut s = self.clone();
                s.contracts[c].storage.clear();
                out.push(s);
            }
            if contract.balance != 0 {
                let mut s = self.clone();
                s.contracts[c].balance = 0;
                out.push(s);
            }
            match &contract.code {
                Code::Raw(bytes) => {
                    for cut in [bytes.len() / 2, bytes.len().saturating_sub(1)] {
                        if cut < bytes.len() {
                            let mut s = self.clone();
                            s.contracts[c].code = Code::Raw(bytes[..cut].to_vec());
                            out.push(s);
                        }
                    }
                }
                Code::Program(program) => {
                    let edit = |f: &dyn Fn(&mut Program)| {
                        let mut s = self.clone();
                        if let Code::Program(p) = &mut s.contracts[c].code {
                            f(p);
                        }
                        s
                    };
                    for seg in 0..program.segments.len() {
                        if program.segments.len() > 1 {
                            out.push(edit(&|p| {
                                p.segments.remove(seg);
                            }));
                        }
                        for op in 0..program.segments[seg].ops.len() {
                            out.push(edit(&|p| {
                                p.segments[seg].ops.remove(op);
                            }));
                        }
                    }
                    for op in 0..program.constructor.ops.len() {
                        out.push(edit(&|p| {
                            p.constructor.ops.remove(op);
                        }));
                    }
                }
            }
        }
        for (i, block) in self.blocks.iter().enumerate() {
            for (j, tx) in block.transactions.iter().enumerate() {
                if tx.value != 0 || !tx.data.is_empty() {
                    let mut s = self.clone();
                    s.blocks[i].transactions[j].value = 0;
                    s.blocks[i].transactions[j].data.clear();
                    out.push(s);
                }
            }
        }
        out.into_iter().map(Scenario::normalized).filter(|s| s != self).collect()
    }
}

/// What a differential run of a scenario found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    Equal,
    /// The outcomes differ in a way a documented rule explains (discarded by the fuzzer, counted).
    Explained(String),
    /// The outcomes differ: `signature` is the kind of the first difference (what the minimizer
    /// keeps), `lines` every difference.
    Divergent {
        signature: String,
        lines: Vec<String>,
    },
    /// A backend produced no outcome.
    Error(String),
}

/// Runs `test` natively and through the OVM, compared after every transaction.
pub fn differential_chain(test: &BlockchainTest) -> Finding {
    let native = match ovm_native::NativeBackend.run_blocks(test) {
        Ok(outcome) => outcome,
        Err(e) => return Finding::Error(format!("native: {e}")),
    };
    let ovm = match ovm_l2::L2Backend.run_blocks(test) {
        Ok(outcome) => outcome,
        Err(e) => return Finding::Error(format!("ovm: {e}")),
    };
    let (verdict, lines) = ovm_conformance::compare_chains(&native, &ovm);
    finding(verdict, lines)
}

/// Runs a state test natively and through the OVM, compared.
pub fn differential_state(case: &Case) -> Finding {
    let setup = match &case.setup {
        Ok(setup) => setup,
        Err(problem) => return Finding::Error(format!("state test: {problem:?}")),
    };
    let native = match ovm_native::NativeBackend.run(case, setup) {
        Ok(outcome) => outcome,
        Err(e) => return Finding::Error(format!("native: {e}")),
    };
    let ovm = match ovm_l2::L2Backend.run(case, setup) {
        Ok(outcome) => outcome,
        Err(e) => return Finding::Error(format!("ovm: {e}")),
    };
    compare_state(&native, &ovm)
}

fn compare_state(native: &ovm_backend::Outcome, ovm: &ovm_backend::Outcome) -> Finding {
    let differences = ovm_compare::compare(native, ovm);
    finding(ovm_compare::verdict(&differences), differences.iter().map(ToString::to_string).collect())
}

fn finding(verdict: ovm_compare::Verdict, lines: Vec<String>) -> Finding {
    match verdict {
        ovm_compare::Verdict::Equal => Finding::Equal,
        ovm_compare::Verdict::Explained(rule) => Finding::Explained(rule.name().to_owned()),
        ovm_compare::Verdict::Divergent => {
            Finding::Divergent { signature: signature(lines.first().map_or("", String::as_str)), lines }
        }
    }
}

/// Where one scenario's differential run spends its time.
#[derive(Clone, Copy, Debug, Default)]
pub struct Phases {
    /// Bytes to scenario to in-memory test (programs compiled).
    pub generation: std::time::Duration,
    pub native: std::time::Duration,
    /// The OVM chain's genesis: every contract transpiled, the EM's genesis request.
    pub ovm_genesis: std::time::Duration,
    /// The OVM's blocks: system calls, transactions, dumps after each.
    pub ovm_execution: std::time::Duration,
    pub compare: std::time::Duration,
}

/// The differential run of the scenario `bytes` describe, timed phase by phase; and the scenario.
pub fn profile(bytes: &[u8], bounds: Bounds) -> Result<(Finding, Phases, Scenario), String> {
    use std::time::Instant;
    let clock = Instant::now();
    let scenario = Scenario::from_bytes_within(bytes, bounds);
    let mut phases = Phases::default();
    let finding = match scenario.form {
        Form::Chain => {
            let test = scenario.to_test();
            phases.generation = clock.elapsed();
            let clock = Instant::now();
            let native = ovm_native::NativeBackend.run_blocks(&test).map_err(|e| e.to_string())?;
            phases.native = clock.elapsed();
            let clock = Instant::now();
            let (ovm, ovm_genesis) = ovm_l2::L2Backend.run_blocks_timed(&test).map_err(|e| e.to_string())?;
            (phases.ovm_genesis, phases.ovm_execution) = (ovm_genesis, clock.elapsed().saturating_sub(ovm_genesis));
            let clock = Instant::now();
            let (verdict, lines) = ovm_conformance::compare_chains(&native, &ovm);
            phases.compare = clock.elapsed();
            finding(verdict, lines)
        }
        Form::StateTest => {
            let case = scenario.state_test_case()?;
            let setup = case.setup.as_ref().map_err(|problem| format!("state test: {problem:?}"))?;
            phases.generation = clock.elapsed();
            let clock = Instant::now();
            let native = ovm_native::NativeBackend.run(&case, setup).map_err(|e| e.to_string())?;
            phases.native = clock.elapsed();
            let clock = Instant::now();
            let (ovm, ovm_genesis) = ovm_l2::L2Backend.run_timed(&case, setup).map_err(|e| e.to_string())?;
            (phases.ovm_genesis, phases.ovm_execution) = (ovm_genesis, clock.elapsed().saturating_sub(ovm_genesis));
            let clock = Instant::now();
            let found = compare_state(&native, &ovm);
            phases.compare = clock.elapsed();
            found
        }
    };
    Ok((finding, phases, scenario))
}

/// The kind of a difference line, without where it is and what the values are:
/// `block 1, transaction 0: account 0x…: storage[0x3]: 0x1 vs 0x2` → `storage`.
pub fn signature(line: &str) -> String {
    let field =
        line.split(": ").find(|part| !part.starts_with("block ") && !part.starts_with("account ")).unwrap_or("");
    field.split(['[', '.']).next().unwrap_or("").to_owned()
}

/// Shrinks a scenario whose differential run is divergent, greedily, keeping each smaller scenario
/// that is still divergent with the same signature. At most `budget` runs.
pub fn minimize(scenario: &Scenario, budget: usize) -> Scenario {
    let Finding::Divergent { signature: wanted, .. } = scenario.differential() else {
        return scenario.clone();
    };
    let mut best = scenario.clone();
    let mut runs = 0;
    'outer: loop {
        for candidate in best.shrink_candidates() {
            if runs >= budget {
                break 'outer;
            }
            runs += 1;
            if let Finding::Divergent { signature, .. } = candidate.differential() {
                if signature == wanted {
                    best = candidate;
                    continue 'outer;
                }
            }
        }
        break;
    }
    best
}

fn coinbase() -> Address {
    address(0xc014_ba5e)
}

fn timestamp(number: u64) -> u64 {
    12 * number
}

fn hex(bytes: &[u8]) -> String {
    format!("0x{}", alloy_primitives::hex::encode(bytes))
}

fn num<T>(n: T) -> String
where
    U256: alloy_primitives::ruint::UintTryFrom<T>,
{
    format!("{:#x}", U256::from(n))
}

/// Accounts in the fixture formats' shape, keyed by checksummed address.
fn pre_json(pre: &BTreeMap<Address, AccountInfo>) -> serde_json::Map<String, serde_json::Value> {
    pre.iter()
        .map(|(a, acc)| {
            let storage: BTreeMap<String, String> = acc.storage.iter().map(|(k, v)| (num(*k), num(*v))).collect();
            let body = serde_json::json!({
                "balance": num(acc.balance), "code": hex(&acc.code), "nonce": num(acc.nonce), "storage": storage,
            });
            (a.to_checksum(None), body)
        })
        .collect()
}

/// A transaction in the hand-written blockchain-test format (a state test lists `data`,
/// `gasLimit` and `value`), signed by the sender's key.
fn tx_json(tx: &TxEnv) -> serde_json::Value {
    let key =
        senders().iter().find(|(_, a)| *a == tx.caller).map(|(k, _)| *k).expect("scenarios are sent by senders()");
    let to = match tx.kind {
        TxKind::Call(to) => to.to_checksum(None),
        TxKind::Create => String::new(),
    };
    serde_json::json!({
        "nonce": num(tx.nonce), "gasPrice": num(tx.gas_price), "gasLimit": num(tx.gas_limit), "to": to,
        "value": num(tx.value), "data": hex(&tx.data), "sender": tx.caller.to_checksum(None),
        "secretKey": key.to_string(),
    })
}

fn address(n: u64) -> Address {
    Address::from_word(B256::from(U256::from(n)))
}

fn target_address(world: &World, target: Target, caller: Address) -> Address {
    let pick = |list: &[Address], i: u8| list[usize::from(i) % list.len()];
    match target {
        Target::Contract(i) => pick(&world.contracts, i),
        Target::Created => world.contracts[0],
        Target::CreatedBy { creator, nonce } => world.created_by(creator, nonce),
        Target::Precompile(i) => address(u64::from(i % 10) + 1),
        Target::Eoa(i) => pick(&world.eoas, i),
        Target::Empty(i) => pick(&world.empties, i),
        Target::Caller | Target::Itself => caller,
    }
}

/// Deterministic pseudo-random bytes (xorshift64): fuzzer-like inputs for the generator's own specs
/// and benches, the same on every run.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len)
            .map(|_| {
                let x = &mut self.0;
                *x ^= *x << 13;
                *x ^= *x >> 7;
                *x ^= *x << 17;
                *x as u8
            })
            .collect()
    }
}

/// The senders: (secret key, address), from fixed keys.
pub fn senders() -> &'static [(B256, Address); SENDERS] {
    static SENDERS_: OnceLock<[(B256, Address); SENDERS]> = OnceLock::new();
    SENDERS_.get_or_init(|| {
        std::array::from_fn(|i| {
            let key = keccak256(format!("ovm.scenario.sender.{i}"));
            let signing = k256::ecdsa::SigningKey::from_slice(key.as_slice()).expect("a keccak output is a valid key");
            let point = signing.verifying_key().to_encoded_point(false);
            (key, Address::from_slice(&keccak256(&point.as_bytes()[1..])[12..]))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(seed: u64, len: usize) -> Vec<u8> {
        XorShift(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1).bytes(len)
    }

    #[test]
    fn generation_is_deterministic_and_within_bounds() {
        for seed in 0..200 {
            let input = bytes(seed, 512);
            let a = Scenario::from_bytes(&input);
            assert_eq!(a, Scenario::from_bytes(&input));
            assert!((MIN_CONTRACTS..=MAX_CONTRACTS).contains(&a.contracts.len()));
            assert!((1..=MAX_BLOCKS).contains(&a.blocks.len()));
            let txs = a.transaction_count();
            assert!((1..=MAX_TRANSACTIONS).contains(&txs));
            let small = Scenario::from_bytes_within(&input, Bounds::SMALL);
            let small_txs = small.transaction_count();
            assert!((2..=4).contains(&small.contracts.len()) && (1..=3).contains(&small_txs), "{small:?}");
            assert!(a.contracts.len() > 4 || txs > 3 || small == a, "within the small bounds, the same scenario");
            assert_eq!(a.to_json("t", ""), a.to_json("t", ""));
        }
    }

    #[test]
    fn generated_scenarios_are_valid_chains_that_run_natively() {
        let mut executed = 0;
        for seed in 0..100 {
            let test = Scenario::from_bytes(&bytes(seed, 768)).to_test();
            let outcome = ovm_native::NativeBackend.run_blocks(&test).unwrap();
            for block in &outcome.blocks {
                for tx in &block.txs {
                    assert!(matches!(tx, ovm_backend::TxOutcome::Executed(_)), "seed {seed}: {tx:?}");
                    executed += 1;
                }
                assert!(block.gas_used <= BLOCK_GAS_LIMIT / 2);
            }
        }
        assert!(executed >= 100);
    }

    #[test]
    fn signatures_name_the_kind_of_the_first_difference() {
        assert_eq!(signature("block 1, transaction 0: account 0xab: storage[0x3]: 0x1 vs 0x2"), "storage");
        assert_eq!(signature("block 0, transaction 2: status: Stop vs Revert"), "status");
        assert_eq!(signature("block 0, end: account 0xab: balance: 1 vs 2"), "balance");
    }
}

#[cfg(test)]
mod block_hashes {
    use super::*;
    use program::{BlocksBack, Context, Op};

    /// Two contracts that store BLOCKHASH of the blocks 255, 256 and 257 back, the first called
    /// once in `block`, run as `form`.
    fn window_reads(block: BlockSpec, form: Form) -> Scenario {
        let reads = [BlocksBack::Window255, BlocksBack::Window256, BlocksBack::Window257]
            .map(|back| Op::Context(Context::BlockHash(back)))
            .to_vec();
        let program =
            Program { segments: vec![program::Segment { ops: reads, ..Default::default() }], ..Default::default() };
        let contract = Contract { code: Code::Program(program), balance: 0, storage: vec![] };
        let block = BlockSpec { transactions: vec![TxSpec::call_first_contract()], ..block };
        Scenario { contracts: vec![contract.clone(), contract], blocks: vec![block], form }.normalized()
    }

    /// The reads called in a block after the gap: natively the first two are hashes, the third is
    /// 0, and the OVM agrees.
    #[test]
    fn a_gap_puts_the_blockhash_window_edge_in_reach_and_the_ovm_agrees() {
        let scenario = window_reads(BlockSpec { gap: GAP_MARK, ..BlockSpec::default() }, Form::Chain);
        let test = scenario.to_test();
        assert_eq!(test.blocks.len() as u64, GAP_BLOCKS + 1);
        let native = ovm_native::NativeBackend.run_blocks(&test).unwrap();
        let state = &native.blocks.last().unwrap().post_state[&scenario.world().contracts[0]];
        let hashes: Vec<U256> = state.storage.values().copied().collect();
        assert_eq!(hashes.len(), 2, "two non-zero hashes (255 and 256 back), the third 0: {hashes:?}");
        assert_eq!(differential_chain(&test), Finding::Equal);
        // Without the gap, every read is below block 0: nothing is stored.
        let mut short = scenario.clone();
        short.blocks[0].gap = 0;
        assert!(short.shrink_candidates().iter().all(|s| s.blocks.iter().all(|b| b.gap == 0)));
        assert!(scenario.shrink_candidates().contains(&short), "the minimizer tries without the gap");
    }

    /// The same reads in a state-test scenario, whose block is past the window: the state test's
    /// genesis records the 256 hashes before it, the edge included, and the OVM agrees.
    #[test]
    fn a_state_test_reads_the_whole_blockhash_window_and_the_ovm_agrees() {
        let scenario = window_reads(BlockSpec::default(), Form::StateTest);
        let case = scenario.state_test_case().unwrap();
        let setup = case.setup.as_ref().unwrap();
        assert_eq!(setup.block.number, U256::from(STATE_TEST_NUMBER));
        let native = ovm_native::NativeBackend.run(&case, setup).unwrap();
        let state = &native.post_state[&scenario.world().contracts[0]];
        let hashes: Vec<U256> = state.storage.values().copied().collect();
        assert_eq!(hashes.len(), 2, "two non-zero hashes (255 and 256 back), the third 0: {hashes:?}");
        assert_eq!(scenario.differential(), Finding::Equal);
    }
}

#[cfg(test)]
mod state_test_form {
    use super::*;

    /// One scenario in about eight is a state test: its first transaction alone, in block 0x200,
    /// loaded as the suite loads a vector, equal through the OVM.
    #[test]
    fn one_scenario_in_eight_runs_its_first_transaction_as_a_state_test() {
        let mut state_tests = 0;
        for seed in 0..400u64 {
            let input = XorShift((seed + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)).bytes(1024);
            let scenario = Scenario::from_bytes(&input);
            if scenario.form != Form::StateTest {
                continue;
            }
            state_tests += 1;
            let chain = Scenario { form: Form::Chain, ..Scenario::arbitrary(&mut Unstructured::new(&input)).unwrap() };
            let first = chain.normalized().blocks.into_iter().flat_map(|b| b.transactions).next().unwrap();
            assert_eq!(scenario.blocks, vec![BlockSpec { transactions: vec![first], ..BlockSpec::default() }]);
            let json = scenario.to_json("t", "");
            assert_eq!(json["t"]["env"]["currentNumber"], "0x200", "{json}");
            assert_eq!(json["t"]["post"]["Cancun"].as_array().map(Vec::len), Some(1));
            let case = scenario.state_test_case().unwrap();
            assert!(case.setup.is_ok(), "{:?}", case.setup);
            if state_tests <= 12 {
                assert_eq!(scenario.differential(), Finding::Equal, "seed {seed}: {scenario:?}");
            }
        }
        assert!((25..=75).contains(&state_tests), "{state_tests} state tests in 400 scenarios");
    }

    /// An input that ends before the form's byte is a chain: inputs written before state tests
    /// existed keep their meaning.
    #[test]
    fn an_exhausted_input_is_a_chain() {
        assert_eq!(Scenario::from_bytes(&[]).form, Form::Chain);
        assert_eq!(Scenario::from_bytes(&[7; 3]).form, Form::Chain);
    }
}

#[cfg(test)]
mod differential_smoke {
    use super::*;

    /// Also the spec of the ledger's Rust twin on generated state: every dump is asked of the EM too.
    #[test]
    fn random_scenarios_are_equal_through_the_ovm() {
        ovm_l2::testing::check_dumps();
        let start = std::time::Instant::now();
        let mut findings = BTreeMap::new();
        let n: usize = std::env::var("OVM_SCENARIOS").ok().and_then(|n| n.parse().ok()).unwrap_or(300);
        for seed in 0..n {
            let input = XorShift((seed as u64 + 1).wrapping_mul(0x2545_f491_4f6c_dd1d)).bytes(1024);
            let scenario = Scenario::from_bytes(&input);
            match scenario.differential() {
                Finding::Equal => *findings.entry("equal".to_owned()).or_insert(0) += 1,
                other => {
                    println!("seed {seed}: {other:?}");
                    *findings.entry(format!("{other:?}").chars().take(60).collect()).or_insert(0) += 1;
                }
            }
        }
        println!("{n} scenarios in {:?}: {findings:?}", start.elapsed());
        assert_eq!(findings.get("equal").copied(), Some(n), "{findings:?}");
    }
}
