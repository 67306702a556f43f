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
use ovm_backend::{block_rejection, BackendError, BlockOutcome, ChainOutcome};
use ovm_fixture::BlockchainTest;
use revm::{
    context::{ContextTr, JournalTr},
    database::State,
    handler::EvmTr,
    interpreter::{CreateInputs, CreateOutcome},
    primitives::{address, Address},
    Context, ExecuteCommitEvm, InspectCommitEvm, Inspector, MainBuilder, MainContext, SystemCallCommitEvm,
};

/// EIP-4788's beacon roots contract, called by the system at the start of every block.
pub const BEACON_ROOTS_ADDRESS: Address = address!("000F3df6D732807Ef1319fB7B8bB8522d0Beac02");

impl NativeBackend {
    /// Runs the blocks of `test` on revm (the test's fork, mainnet configuration).
    pub(crate) fn run_blocks_plain(&self, test: &BlockchainTest) -> Result<ChainOutcome, BackendError> {
        self.run_blocks_inspected(test, NoInspector, false).map(|(outcome, _)| outcome)
    }

    /// Runs the blocks of `test` writing the EIP-3155 trace of every transaction, one after another
    /// (no summaries), to `out`.
    pub fn run_blocks_traced(
        &self,
        test: &BlockchainTest,
        out: impl std::io::Write + 'static,
    ) -> Result<ChainOutcome, BackendError> {
        let tracer = revm::inspector::inspectors::TracerEip3155::new(Box::new(out)).without_summary();
        self.run_blocks_inspected(test, tracer, true).map(|(outcome, _)| outcome)
    }

    /// Why the native backend does not run `test`, taken from its content: a block the fixture
    /// expects to be invalid (invalid blocks are out of scope).
    pub(crate) fn invalid_blocks(&self, test: &BlockchainTest) -> Option<String> {
        test.blocks.iter().enumerate().find_map(|(i, block)| {
            let exception = block.expect_exception.as_ref()?;
            Some(format!("block {i} expects exception `{exception}`: invalid blocks are not run"))
        })
    }

    /// Asked when a run disagrees with its fixture: revm 43.0.3 does not implement EIP-7610 (a
    /// CREATE whose target has storage but no code and nonce 0 must fail as a collision), so if the
    /// run made such a CREATE, revm is no oracle for the test. The reason is the state-test path's.
    pub(crate) fn eip7610_in_blocks(&self, test: &BlockchainTest) -> Option<String> {
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
            let mut outcome = BlockOutcome::empty(block.transactions.len());
            for tx in &block.transactions {
                let tx_outcome = match block_rejection(block, &outcome, tx) {
                    Some(rejection) => rejection,
                    None if inspect => tx_outcome(evm.inspect_tx_commit(tx.tx.clone()))?,
                    None => tx_outcome(evm.transact_commit(tx.tx.clone()))?,
                };
                let state = post_state(&evm.ctx.journaled_state.database.cache);
                outcome.push(tx, tx_outcome, state);
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
