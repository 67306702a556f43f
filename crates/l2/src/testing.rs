//! Test support: drive the layer-2 EVM with physical calls, as an attacker would.
//!
//! Behind the cargo feature `testing` (and always in this crate's own tests). Not part of the
//! backend's API: it exists for the isolation specs (`mod isolation` in `lib.rs`) and the `isolation`
//! fuzz target (`fuzz/fuzz_targets/isolation.rs`), which both need to make physical calls the
//! sequencer never makes (from a stranger, from a frame's code contract, to the EM's inner entry
//! points) and to read physical state directly.
//!
//! [`PhysicalChain`] is a layer-2 chain (the EM deployed, a genesis made through the EM) on which any
//! physical account may call any other. Physical code can be installed directly at any address:
//! that is how hand-written code contracts and attackers are set up (the only physical writes
//! outside the EM, as with a state test's genesis code contracts).

use crate::{evm, push_word, sequencer, Chain, PHYSICAL_GAS};
use alloy_primitives::{keccak256, Address, Bytes, U256};
use ovm_backend::{BackendError, PostState, TxOutcome};
use ovm_transpiler::layout::em;
use revm::state::{AccountInfo, Bytecode};

pub use crate::evm::{Changes, L2Db, PhysicalRun};
pub use crate::sequencer::TxRequest;

/// From now on, in this process, every dump of the layer-2 state (read from the EM's storage by
/// Rust) is also asked of the EM (`OP_DUMP`), and a difference between the two is a backend error:
/// the specs of the ledger's Rust twin.
pub fn check_dumps() {
    crate::CHECK_DUMPS.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// A layer-2 chain open to arbitrary physical calls.
#[derive(Clone)]
pub struct PhysicalChain(Chain);

impl PhysicalChain {
    /// A chain with only the EM deployed, at layer-2 block `number`.
    pub fn em_only(number: u64) -> Self {
        Self(Chain { db: Some(Chain::em_only()), number: U256::from(number) })
    }

    /// The chain whose genesis is `pre`, every account's code transpiled and installed as the
    /// backend installs a state test's (at block 1).
    pub fn from_pre(pre: &std::collections::BTreeMap<Address, ovm_fixture::AccountInfo>) -> Result<Self, BackendError> {
        Chain::from_pre(pre.iter(), U256::from(1)).map(Self)
    }

    /// Writes physical code at `address` directly (a hand-written code contract, or an attacker).
    pub fn install(&mut self, address: Address, code: Bytes) {
        self.db_mut().insert_account_info(
            address,
            AccountInfo { code_hash: keccak256(&code), code: Some(Bytecode::new_raw(code)), ..Default::default() },
        );
    }

    /// The EM's genesis request for `accounts` (OVM address, balance, physical code contract or
    /// zero; nonce 0, no storage), sent by the sequencer with the backend's gas for it; the run must
    /// succeed.
    pub fn genesis(&mut self, accounts: &[(Address, U256, Address)]) -> PhysicalRun {
        let mut request = vec![em::OP_GENESIS];
        push_word(&mut request, U256::from(accounts.len()));
        for (address, balance, phys) in accounts {
            for word in [address.into_word().into(), *balance, U256::ZERO, phys.into_word().into(), U256::ZERO] {
                push_word(&mut request, word);
            }
        }
        let run = self.physical(evm::SEQUENCER, evm::EM, &request, 1 << 40);
        assert!(run.result.is_success(), "genesis: {:?}", run.result);
        run
    }

    /// One physical transaction from `caller` to `to`, committed. EIP-3607 is off, so that an
    /// address with code (the sequencer's, holding a forwarder) can send it.
    pub fn physical(&mut self, caller: Address, to: Address, data: &[u8], gas: u64) -> PhysicalRun {
        let chain = &mut self.0;
        let db = chain.db.take().expect("the chain's database is always put back");
        let mut evm = evm::build(db, chain.number, revm::inspector::NoOpInspector);
        evm.ctx.cfg.disable_eip3607 = true;
        let data = Bytes::copy_from_slice(data);
        let run = evm::physical_call(&mut evm, caller, to, data, gas, false, Changes::Commit)
            .expect("the layer-2 EVM runs any physical call (gas price 0, no nonce check)");
        chain.db = Some(evm.ctx.journaled_state.database);
        run
    }

    /// A physical transaction from the sequencer to the EM.
    pub fn sequencer(&mut self, data: &[u8]) -> PhysicalRun {
        self.physical(evm::SEQUENCER, evm::EM, data, PHYSICAL_GAS)
    }

    /// Sends `tx` as the sequencer and reads the EM's reply as the backend does.
    pub fn transact(&mut self, tx: &TxRequest) -> Result<TxOutcome, BackendError> {
        let run = self.sequencer(&tx.encode());
        self.0.transaction_outcome(run, tx.is_create)
    }

    /// The OVM state, as the EM's `dump` lists it (read-only).
    pub fn dump(&mut self) -> Result<PostState, BackendError> {
        self.0.dump()
    }

    /// The physical state.
    pub fn db(&self) -> &L2Db {
        self.0.db.as_ref().expect("the chain's database is always put back")
    }

    fn db_mut(&mut self) -> &mut L2Db {
        self.0.db.as_mut().expect("the chain's database is always put back")
    }
}

/// A call to `to` with `data` from `sender`, with the block context the specs use: gas price and
/// fees 0, gas limit `gas_limit`, block 1, chain id 1.
pub fn tx_request(sender: Address, to: Option<Address>, data: Bytes, value: U256, gas_limit: u64) -> TxRequest {
    sequencer::TxRequest {
        sender: sender.into_word().into(),
        to: to.map_or(U256::ZERO, |to| to.into_word().into()),
        is_create: to.is_none(),
        value,
        gas_limit: U256::from(gas_limit),
        effective_gas_price: U256::ZERO,
        required_balance: value,
        upfront_charge: U256::ZERO,
        nonce: U256::ZERO,
        coinbase: U256::ZERO,
        timestamp: U256::from(1),
        number: U256::from(1),
        prevrandao: U256::ZERO,
        block_gas_limit: U256::from(30_000_000),
        chain_id: U256::from(1),
        base_fee: U256::ZERO,
        blob_base_fee: U256::from(1),
        required_balance_overflows: false,
        blob_hashes: Vec::new(),
        access_list: Vec::new(),
        data,
    }
}

/// A tiny assembler for hand-written physical contracts.
#[derive(Default)]
pub struct Code(pub Vec<u8>);

impl Code {
    /// Appends raw instructions.
    pub fn op(mut self, ops: &[u8]) -> Self {
        self.0.extend_from_slice(ops);
        self
    }
    /// Appends the shortest PUSH of `value` (PUSH1 for 0).
    pub fn push(mut self, value: u64) -> Self {
        let bytes = value.to_be_bytes();
        let skip = bytes.iter().position(|&b| b != 0).unwrap_or(7);
        self.0.push(0x5f + (8 - skip) as u8);
        self.0.extend_from_slice(&bytes[skip..]);
        self
    }
    /// Appends PUSH20 `address`.
    pub fn address(mut self, address: Address) -> Self {
        self.0.push(0x73);
        self.0.extend_from_slice(address.as_slice());
        self
    }
    pub fn bytes(self) -> Bytes {
        Bytes::from(self.0)
    }
}

/// The header transpiled code starts with (`PUSH4 start POP PUSH4 len POP`), saying "no original
/// code": what a hand-written code contract starts with.
pub const EMPTY_HEADER: [u8; 12] = [0x63, 0, 0, 0x10, 0, 0x50, 0x63, 0, 0, 0, 0, 0x50];

/// Physical code that calls the address in its first calldata word with the rest of its calldata
/// (1M gas, no value) and returns the call's success flag as one word. It starts with
/// [`EMPTY_HEADER`], so that it can be an account's code contract: without it, the EM would read
/// the first instructions as a header and hash hundreds of megabytes as the original code.
pub fn forwarder() -> Bytes {
    Code::default()
        .op(&EMPTY_HEADER)
        .push(32)
        .op(&[0x36, 0x03]) // CALLDATASIZE SUB: len
        .push(32)
        .op(&[0x5f, 0x37]) // PUSH0 CALLDATACOPY: payload to memory 0
        .op(&[0x5f, 0x5f])
        .push(32)
        .op(&[0x36, 0x03, 0x5f, 0x5f, 0x5f, 0x35])
        .push(1_000_000)
        .op(&[0xf1]) // CALL(1M, target, 0, 0, len, 0, 0): a failed built-in consumes its gas
        .op(&[0x5f, 0x52])
        .push(32)
        .op(&[0x5f, 0xf3])
        .bytes()
}

/// The probe world both the isolation specs and the `isolation` fuzz target set up: an OVM account
/// whose code contract is a probe, another whose code contract is a forwarder (an inactive frame's
/// code), a forwarder that is no one's code (a stranger), one at the sequencer's address, and a
/// funded sender.
pub mod probe_world {
    use super::*;

    pub const PROBED: Address = Address::repeat_byte(0x11);
    pub const INACTIVE: Address = Address::repeat_byte(0x22);
    pub const PROBE_CODE: Address = Address::repeat_byte(0xa1);
    pub const INACTIVE_CODE: Address = Address::repeat_byte(0xa2);
    pub const STRANGER: Address = Address::repeat_byte(0x77);
    pub const SENDER: Address = Address::repeat_byte(0x55);

    /// The chain of that world, with `probe` as the probed account's code contract.
    pub fn chain(probe: Bytes) -> PhysicalChain {
        let mut chain = PhysicalChain::em_only(1);
        chain.install(PROBE_CODE, probe);
        chain.install(INACTIVE_CODE, forwarder());
        chain.install(STRANGER, forwarder());
        chain.install(crate::SEQUENCER, forwarder());
        chain.genesis(&[
            (PROBED, U256::ZERO, PROBE_CODE),
            (INACTIVE, U256::ZERO, INACTIVE_CODE),
            (SENDER, U256::from(1_000_000_000u64), Address::ZERO),
        ]);
        chain
    }
}
