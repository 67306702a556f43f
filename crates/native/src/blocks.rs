//! A blockchain test on revm: blocks of transactions on one evolving state, as a mainnet client (and
//! revme's `blockchaintest`) runs them.
//!
//! Per block: revm's environment from the header; the EIP-4788 system call that stores the parent
//! beacon block root; the transactions, each executed and committed on the state the previous one
//! left (a transaction revm rejects is recorded as rejected and changes nothing); the withdrawals
//! credited at the end (gwei to wei). BLOCKHASH returns the fixture's own header hashes (revm's
//! block-hash cache, filled with the genesis and each block after it runs). Before each transaction
//! come the two block-level checks a client makes and revm cannot, as it sees one transaction: the
//! gas the block has left, and Cancun's blob gas per block; a transaction beyond them is rejected
//! like one revm rejects. The outcome of every transaction (the same [`TxOutcome`] the state-test
//! path gives) and the post-state and gas of every block are returned; [`check_chain`] judges them
//! against the fixture.
//!
//! Architecture invariant: plain revm, as in the state-test path; nothing depends on a test's name.

use crate::{post_state, tx_outcome, NativeBackend};
use ovm_backend::{state_root, BackendError, PostState, TxOutcome};
use ovm_fixture::{BlockchainTest, GAS_PER_BLOB, MAX_BLOB_GAS_PER_BLOCK};
use revm::{
    context::{ContextTr, JournalTr},
    database::State,
    handler::EvmTr,
    interpreter::{CreateInputs, CreateOutcome},
    primitives::{address, alloy_primitives::logs_bloom, Address, B256},
    Context, ExecuteCommitEvm, InspectCommitEvm, Inspector, MainBuilder, MainContext, SystemCallCommitEvm,
};
use std::fmt;

/// EIP-4788's beacon roots contract, called by the system at the start of every block.
pub const BEACON_ROOTS_ADDRESS: Address = address!("000F3df6D732807Ef1319fB7B8bB8522d0Beac02");

/// What running a blockchain test produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainOutcome {
    /// The genesis state, as the run started from it.
    pub genesis: PostState,
    /// One per block of the test, in order.
    pub blocks: Vec<BlockOutcome>,
}

/// What one block produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockOutcome {
    /// One per transaction of the block, in order.
    pub txs: Vec<TxOutcome>,
    /// Every account after the block (withdrawals included).
    pub post_state: PostState,
    /// Gas used by the block's executed transactions (after refunds), as the header counts it.
    pub gas_used: u64,
    /// Blob gas of the block's executed transactions.
    pub blob_gas_used: u64,
}

impl ChainOutcome {
    /// The state after the last block (the genesis state for a test without blocks).
    pub fn final_state(&self) -> &PostState {
        self.blocks.last().map_or(&self.genesis, |b| &b.post_state)
    }
}

/// How a chain outcome disagrees with its fixture; the first disagreement, in chain order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainMismatch {
    /// `pre` does not have the genesis header's state root.
    GenesisStateRoot {
        expected: B256,
        got: B256,
    },
    /// A transaction of a valid block was rejected.
    Rejected {
        block: usize,
        tx: usize,
        kind: String,
        detail: String,
    },
    GasUsed {
        block: usize,
        expected: u64,
        got: u64,
    },
    BlobGasUsed {
        block: usize,
        expected: u64,
        got: u64,
    },
    LogsBloom {
        block: usize,
    },
    StateRoot {
        block: usize,
        expected: B256,
        got: B256,
    },
    /// The final state differs from `postState`: the first account and field that differ.
    PostState {
        difference: String,
    },
    PostStateHash {
        expected: B256,
        got: B256,
    },
}

impl fmt::Display for ChainMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainMismatch::GenesisStateRoot { expected, got } => {
                write!(f, "genesis: pre-state root {got}, genesisBlockHeader.stateRoot is {expected}")
            }
            ChainMismatch::Rejected { block, tx, kind, detail } => {
                write!(f, "block {block}, transaction {tx}: rejected as {kind} ({detail}) in a valid block")
            }
            ChainMismatch::GasUsed { block, expected, got } => {
                write!(f, "block {block}: gas used {got}, blockHeader.gasUsed is {expected}")
            }
            ChainMismatch::BlobGasUsed { block, expected, got } => {
                write!(f, "block {block}: blob gas used {got}, blockHeader.blobGasUsed is {expected}")
            }
            ChainMismatch::LogsBloom { block } => {
                write!(f, "block {block}: the bloom of the block's logs is not blockHeader.bloom")
            }
            ChainMismatch::StateRoot { block, expected, got } => {
                write!(f, "block {block}: state root {got}, blockHeader.stateRoot is {expected}")
            }
            ChainMismatch::PostState { difference } => write!(f, "after the last block: postState: {difference}"),
            ChainMismatch::PostStateHash { expected, got } => {
                write!(f, "after the last block: state root {got}, postStateHash is {expected}")
            }
        }
    }
}

impl NativeBackend {
    /// Runs the blocks of `test` on revm (the test's fork, mainnet configuration).
    pub fn run_blocks(&self, test: &BlockchainTest) -> Result<ChainOutcome, BackendError> {
        self.run_blocks_inspected(test, NoInspector, false).map(|(outcome, _)| outcome)
    }

    /// Why the native backend does not run `test`, taken from its content: a block the fixture
    /// expects to be invalid (invalid blocks are out of scope).
    pub fn blocks_unsupported(&self, test: &BlockchainTest) -> Option<String> {
        test.blocks.iter().enumerate().find_map(|(i, block)| {
            let exception = block.expect_exception.as_ref()?;
            Some(format!("block {i} expects exception `{exception}`: invalid blocks are not run"))
        })
    }

    /// Asked when a run disagrees with its fixture: revm 43.0.3 does not implement EIP-7610 (a
    /// CREATE whose target has storage but no code and nonce 0 must fail as a collision), so if the
    /// run made such a CREATE, revm is no oracle for the test. The reason is the state-test path's.
    pub fn blocks_limitation(&self, test: &BlockchainTest) -> Option<String> {
        // Such an account cannot arise during execution (storage comes with code or a nonce), so the
        // genesis is where to look.
        let storage_only = |a: &Address| {
            test.pre
                .get(a)
                .is_some_and(|acc| acc.nonce == 0 && acc.code.is_empty() && acc.storage.values().any(|v| !v.is_zero()))
        };
        if !test.pre.keys().any(storage_only) {
            return None;
        }
        let (_, targets) = self.run_blocks_inspected(test, CreateTargets::default(), true).ok()?;
        targets.0.iter().any(storage_only).then(|| {
            "revm 43.0.3 does not implement EIP-7610 (a CREATE targets an account with storage but no code and nonce 0)"
                .to_owned()
        })
    }

    /// Runs the blocks under `inspector`, which sees the transactions only if `inspect` (revm's
    /// plain `transact` otherwise).
    fn run_blocks_inspected<I: for<'a> Inspector<BlockContext<'a>>>(
        &self,
        test: &BlockchainTest,
        mut inspector: I,
        inspect: bool,
    ) -> Result<(ChainOutcome, I), BackendError> {
        let mut state = State::builder().with_cached_prestate(test.pre_state().clone()).build();
        let genesis = post_state(&state.cache);
        state.block_hashes.insert(test.genesis.number, test.genesis.hash);
        let mut blocks = Vec::with_capacity(test.blocks.len());
        for (i, block) in test.blocks.iter().enumerate() {
            let context = Context::mainnet().with_block(&block.env).with_cfg(test.cfg.clone()).with_db(&mut state);
            let mut evm = context.build_mainnet_with_inspector(&mut inspector);
            if block.header.number != 0 {
                evm.system_call_commit(BEACON_ROOTS_ADDRESS, block.header.parent_beacon_block_root.0.into())
                    .map_err(|e| BackendError(format!("block {i}: the EIP-4788 system call failed: {e}")))?;
            }
            let mut outcome = BlockOutcome {
                txs: Vec::with_capacity(block.transactions.len()),
                post_state: PostState::new(),
                gas_used: 0,
                blob_gas_used: 0,
            };
            for tx in &block.transactions {
                let tx = &tx.tx;
                let blob_gas = GAS_PER_BLOB * tx.blob_hashes.len() as u64;
                // What the block still allows: a client includes no transaction beyond it.
                let gas_left = block.header.gas_limit.saturating_sub(outcome.gas_used);
                let tx_outcome = if tx.gas_limit > gas_left {
                    TxOutcome::Rejected {
                        kind: "TransactionException.GAS_ALLOWANCE_EXCEEDED".into(),
                        detail: format!("gas limit {} above the {gas_left} the block has left", tx.gas_limit),
                    }
                } else if outcome.blob_gas_used + blob_gas > MAX_BLOB_GAS_PER_BLOCK {
                    TxOutcome::Rejected {
                        kind: "TransactionException.TYPE_3_TX_MAX_BLOB_GAS_ALLOWANCE_EXCEEDED".into(),
                        detail: format!(
                            "blob gas {blob_gas} above the {} the block has left",
                            MAX_BLOB_GAS_PER_BLOCK - outcome.blob_gas_used
                        ),
                    }
                } else if inspect {
                    tx_outcome(evm.inspect_tx_commit(tx.clone()))?
                } else {
                    tx_outcome(evm.transact_commit(tx.clone()))?
                };
                if let TxOutcome::Executed(execution) = &tx_outcome {
                    outcome.gas_used += execution.gas_used;
                    outcome.blob_gas_used += blob_gas;
                }
                outcome.txs.push(tx_outcome);
            }
            for w in &block.withdrawals {
                evm.ctx_mut()
                    .journal_mut()
                    .balance_incr(w.address, w.amount_wei())
                    .map_err(|e| BackendError(format!("block {i}: crediting withdrawal {}: {e}", w.index)))?;
            }
            evm.commit_inner();
            drop(evm);
            state.block_hashes.insert(block.header.number, block.header.hash);
            outcome.post_state = post_state(&state.cache);
            blocks.push(outcome);
        }
        Ok((ChainOutcome { genesis, blocks }, inspector))
    }
}

/// Checks a chain outcome against its fixture: the genesis state root, then block by block the
/// transactions (none rejected: the blocks are valid), gas used, blob gas used, logs bloom and state
/// root, then the final state against `postState` (every account and field) or `postStateHash`.
pub fn check_chain(test: &BlockchainTest, outcome: &ChainOutcome) -> Result<(), ChainMismatch> {
    let got = state_root(&outcome.genesis);
    if got != test.genesis.state_root {
        return Err(ChainMismatch::GenesisStateRoot { expected: test.genesis.state_root, got });
    }
    for (i, (block, result)) in test.blocks.iter().zip(&outcome.blocks).enumerate() {
        let header = &block.header;
        for (j, tx) in result.txs.iter().enumerate() {
            if let TxOutcome::Rejected { kind, detail } = tx {
                return Err(ChainMismatch::Rejected { block: i, tx: j, kind: kind.clone(), detail: detail.clone() });
            }
        }
        if result.gas_used != header.gas_used {
            return Err(ChainMismatch::GasUsed { block: i, expected: header.gas_used, got: result.gas_used });
        }
        if result.blob_gas_used != header.blob_gas_used {
            return Err(ChainMismatch::BlobGasUsed {
                block: i,
                expected: header.blob_gas_used,
                got: result.blob_gas_used,
            });
        }
        let logs = result.txs.iter().filter_map(|tx| match tx {
            TxOutcome::Executed(execution) => Some(&execution.logs),
            TxOutcome::Rejected { .. } => None,
        });
        if logs_bloom(logs.flatten()) != header.logs_bloom {
            return Err(ChainMismatch::LogsBloom { block: i });
        }
        let got = state_root(&result.post_state);
        if got != header.state_root {
            return Err(ChainMismatch::StateRoot { block: i, expected: header.state_root, got });
        }
    }
    let last = outcome.final_state();
    if let Some(difference) = post_state_difference(test, last) {
        return Err(ChainMismatch::PostState { difference });
    }
    if let Some(expected) = test.expect.post_state_hash {
        let got = state_root(last);
        if got != expected {
            return Err(ChainMismatch::PostStateHash { expected, got });
        }
    }
    Ok(())
}

/// The first account and field in which `got` differs from the fixture's `postState`, if it has one.
fn post_state_difference(test: &BlockchainTest, got: &PostState) -> Option<String> {
    let expected = test.expect.post_state.as_ref()?;
    for (address, want) in expected {
        let Some(have) = got.get(address) else { return Some(format!("{address} is missing")) };
        if have.balance != want.balance {
            return Some(format!("{address}.balance is {:#x}, expected {:#x}", have.balance, want.balance));
        }
        if have.nonce != want.nonce {
            return Some(format!("{address}.nonce is {}, expected {}", have.nonce, want.nonce));
        }
        if have.code != want.code {
            return Some(format!("{address}.code differs"));
        }
        for (slot, value) in want.storage.iter().filter(|(_, v)| !v.is_zero()) {
            let have_value = have.storage.get(slot).copied().unwrap_or_default();
            if have_value != *value {
                return Some(format!("{address}.storage[{slot:#x}] is {have_value:#x}, expected {value:#x}"));
            }
        }
        let unexpected = have.storage.iter().find(|(slot, _)| want.storage.get(*slot).is_none_or(|v| v.is_zero()));
        if let Some((slot, value)) = unexpected {
            return Some(format!("{address}.storage[{slot:#x}] is {value:#x}, expected none"));
        }
    }
    got.keys().find(|a| !expected.contains_key(*a)).map(|a| format!("{a} is not expected to exist"))
}

/// revm's context for a block's transactions.
type BlockContext<'a> = Context<
    &'a revm::context::BlockEnv,
    revm::context::TxEnv,
    revm::context::CfgEnv,
    &'a mut State<revm::database::EmptyDB>,
>;

/// Watches nothing: the transactions run with revm's plain `transact`.
struct NoInspector;

impl<CTX> Inspector<CTX> for NoInspector {}

/// Records the address of every CREATE/CREATE2 (and create transaction) attempted.
#[derive(Default)]
struct CreateTargets(Vec<Address>);

impl<CTX> Inspector<CTX> for CreateTargets {
    fn create_end(&mut self, _: &mut CTX, _: &CreateInputs, outcome: &mut CreateOutcome) {
        self.0.extend(outcome.address);
    }
}
