//! Blockchain tests' outcomes and their check against the fixture, whichever backend ran them.
//!
//! A backend runs a test's blocks on one evolving state ([`crate::Backend::run_blocks`]) and returns a
//! [`ChainOutcome`]: every transaction's outcome with the state after it, and every block's state and
//! gas. [`check_chain`] judges it against the fixture, block by block; [`block_rejection`] is the
//! block-level admission both backends apply before a transaction (what revm, seeing one
//! transaction, cannot).

use crate::{state_root, PostState, TxOutcome};
use alloy_primitives::{logs_bloom, B256};
use ovm_fixture::{Block, BlockTx, BlockchainTest, GAS_PER_BLOB, MAX_BLOB_GAS_PER_BLOCK};
use std::fmt;

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
    /// The state after each transaction (the block's system call included in the first), in order.
    pub tx_states: Vec<PostState>,
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

impl BlockOutcome {
    /// A block outcome with nothing in it yet.
    pub fn empty(transactions: usize) -> Self {
        Self {
            txs: Vec::with_capacity(transactions),
            tx_states: Vec::with_capacity(transactions),
            post_state: PostState::new(),
            gas_used: 0,
            blob_gas_used: 0,
        }
    }

    /// Records a transaction's outcome and the state after it, adding its gas to the block's.
    pub fn push(&mut self, tx: &BlockTx, outcome: TxOutcome, state: PostState) {
        if let TxOutcome::Executed(execution) = &outcome {
            self.gas_used += execution.gas_used;
            self.blob_gas_used += GAS_PER_BLOB * tx.tx.blob_hashes.len() as u64;
        }
        self.txs.push(outcome);
        self.tx_states.push(state);
    }
}

/// The block-level checks a client makes before a transaction and revm cannot, as it sees one
/// transaction: the gas the block has left, and Cancun's blob gas per block. A transaction beyond
/// them is rejected like one the EVM rejects.
pub fn block_rejection(block: &Block, so_far: &BlockOutcome, tx: &BlockTx) -> Option<TxOutcome> {
    let tx = &tx.tx;
    let blob_gas = GAS_PER_BLOB * tx.blob_hashes.len() as u64;
    let gas_left = block.header.gas_limit.saturating_sub(so_far.gas_used);
    if tx.gas_limit > gas_left {
        return Some(TxOutcome::Rejected {
            kind: "TransactionException.GAS_ALLOWANCE_EXCEEDED".into(),
            detail: format!("gas limit {} above the {gas_left} the block has left", tx.gas_limit),
        });
    }
    if so_far.blob_gas_used + blob_gas > MAX_BLOB_GAS_PER_BLOCK {
        return Some(TxOutcome::Rejected {
            kind: "TransactionException.TYPE_3_TX_MAX_BLOB_GAS_ALLOWANCE_EXCEEDED".into(),
            detail: format!(
                "blob gas {blob_gas} above the {} the block has left",
                MAX_BLOB_GAS_PER_BLOCK.saturating_sub(so_far.blob_gas_used)
            ),
        });
    }
    None
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
