//! A blockchain test through the ExecutionManager: one layer-2 chain, its state kept in the EM from
//! one transaction and block to the next.
//!
//! The sequencer builds the chain from the test's genesis (`OP_GENESIS`), records each block's hash
//! once the block is sealed (`OP_BLOCK_HASHES`, which BLOCKHASH answers from), and per block:
//! performs the EIP-4788 beacon-roots update as a system call of the layer-2 chain
//! (`OP_SYSTEM_CALL`: from the system address, no fees), admits and sends each transaction as in a
//! state test (with the block-level checks first, [`block_rejection`]), credits the withdrawals to
//! the ledger (`OP_CREDIT`), and reads the OVM state back through the EM's dump after every
//! transaction and at the block's end. Nothing is carried between transactions outside the EM:
//! the physical state is the EM's storage, and each transaction is a new physical transaction, so
//! transient storage and the accessed sets start empty, as the EVM's do.

use crate::{sequencer, Chain, L2Backend};
use alloy_primitives::{Bytes, U256};
use ovm_backend::{block_rejection, BackendError, BlockOutcome, ChainOutcome};
use ovm_fixture::{Block, BlockchainTest, Setup};
use ovm_native::blocks::BEACON_ROOTS_ADDRESS;
use ovm_transpiler::layout::em;
use revm::Inspector;

impl L2Backend {
    /// Runs the blocks of `test`, every transaction under `inspector` when there is one.
    pub(crate) fn run_chain<I>(
        &self,
        test: &BlockchainTest,
        inspector: Option<&mut I>,
    ) -> Result<ChainOutcome, BackendError>
    where
        I: Inspector<crate::evm::L2Context>,
    {
        self.run_chain_timed(test, inspector).map(|(outcome, _)| outcome)
    }

    /// [`L2Backend::run_blocks`], also saying how long the genesis took (the rest is execution).
    pub fn run_blocks_timed(&self, test: &BlockchainTest) -> Result<(ChainOutcome, std::time::Duration), BackendError> {
        self.run_chain_timed(test, None::<&mut revm::inspector::NoOpInspector>)
    }

    fn run_chain_timed<I>(
        &self,
        test: &BlockchainTest,
        mut inspector: Option<&mut I>,
    ) -> Result<(ChainOutcome, std::time::Duration), BackendError>
    where
        I: Inspector<crate::evm::L2Context>,
    {
        let clock = std::time::Instant::now();
        let mut chain = Chain::from_pre(&test.pre, U256::from(test.genesis.number))?;
        chain.record_block_hashes([(test.genesis.number, test.genesis.hash)])?;
        let genesis_time = clock.elapsed();
        let genesis = chain.dump()?;
        let mut blocks = Vec::with_capacity(test.blocks.len());
        for (i, block) in test.blocks.iter().enumerate() {
            let at = |e: BackendError| BackendError(format!("block {i}: {}", e.0));
            chain.number = U256::from(block.header.number);
            let context = block_setup(test, block, None);
            // As revm's system call: at every block but the genesis.
            if block.header.number != 0 {
                let root = Bytes::copy_from_slice(block.header.parent_beacon_block_root.as_slice());
                chain
                    .system_request(sequencer::system_call(&context, BEACON_ROOTS_ADDRESS, root), "system call")
                    .map_err(at)?;
            }
            let mut outcome = BlockOutcome::empty(block.transactions.len());
            for (j, tx) in block.transactions.iter().enumerate() {
                let result = match block_rejection(block, &outcome, tx) {
                    Some(rejection) => rejection,
                    None => {
                        let setup = block_setup(test, block, Some(tx));
                        let (result, _) = chain
                            .transact(&setup, inspector.as_deref_mut())
                            .map_err(|e| BackendError(format!("block {i}, transaction {j}: {}", e.0)))?;
                        result
                    }
                };
                let state = chain.dump().map_err(at)?;
                outcome.push(tx, result, state);
            }
            outcome.post_state = match outcome.tx_states.last() {
                // Nothing ran since the last transaction's dump.
                Some(state) if block.withdrawals.is_empty() => state.clone(),
                _ => {
                    chain.credit(block).map_err(at)?;
                    chain.dump().map_err(at)?
                }
            };
            chain.record_block_hashes([(block.header.number, block.header.hash)]).map_err(at)?;
            blocks.push(outcome);
        }
        Ok((ChainOutcome { genesis, blocks }, genesis_time))
    }
}

/// A block's environment as a state test's [`Setup`], with one of its transactions (or none, for the
/// block's system call).
fn block_setup(test: &BlockchainTest, block: &Block, tx: Option<&ovm_fixture::BlockTx>) -> Setup {
    Setup {
        spec: test.spec,
        cfg: test.cfg.clone(),
        block: block.env.clone(),
        tx: Ok(tx.map(|tx| tx.tx.clone()).unwrap_or_default()),
    }
}

impl Chain {
    /// Credits a block's withdrawals (gwei to wei) to the ledger.
    fn credit(&mut self, block: &Block) -> Result<(), BackendError> {
        if block.withdrawals.is_empty() {
            return Ok(());
        }
        let mut request = vec![em::OP_CREDIT];
        crate::push_word(&mut request, U256::from(block.withdrawals.len()));
        for w in &block.withdrawals {
            crate::push_word(&mut request, U256::from_be_slice(w.address.as_slice()));
            crate::push_word(&mut request, w.amount_wei());
        }
        self.system_request(request.into(), "withdrawals").map(drop)
    }
}
