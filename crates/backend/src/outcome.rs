use alloy_primitives::{Address, Bytes, Log, U256};
use std::collections::BTreeMap;

/// What running one case produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub tx: TxOutcome,
    /// Every account that exists after the transaction, normalized as the fork's state trie holds it
    /// (EIP-161 empty touched accounts removed, self-destructed accounts gone). State tests carry
    /// their whole world in the pre-state, so this is a superset of the accounts the tx touched.
    pub post_state: PostState,
}

pub type PostState = BTreeMap<Address, AccountState>;

/// An account as the state trie holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountState {
    pub balance: U256,
    pub nonce: u64,
    pub code: Bytes,
    /// Non-zero slots only: a zero slot does not exist in the trie.
    pub storage: BTreeMap<U256, U256>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxOutcome {
    /// The transaction is invalid and was not included; state is unchanged.
    Rejected {
        /// The EEST exception name, e.g. `TransactionException.INTRINSIC_GAS_TOO_LOW`.
        kind: String,
        detail: String,
    },
    Executed(Execution),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Execution {
    pub status: Status,
    /// Return data of the top frame (revert data included); for a create, the deployed code.
    pub output: Bytes,
    /// Gas used by the transaction after refunds.
    pub gas_used: u64,
    pub logs: Vec<Log>,
    /// What the run cost the system under test in its own machine's gas, where that is not
    /// `gas_used` (the OVM: the physical gas of the sequencer's transaction). Never compared.
    pub physical_gas: Option<u64>,
}

/// How the top frame ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Stop,
    Return,
    SelfDestruct,
    Revert,
    /// Exceptional halt; the reason is a stable name such as `OutOfGas` or `InvalidJump`.
    Halt(String),
}

impl Outcome {
    pub fn execution(&self) -> Option<&Execution> {
        match &self.tx {
            TxOutcome::Executed(execution) => Some(execution),
            TxOutcome::Rejected { .. } => None,
        }
    }
}

impl Status {
    pub fn is_success(&self) -> bool {
        matches!(self, Status::Stop | Status::Return | Status::SelfDestruct)
    }
}
