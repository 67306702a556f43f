//! The fixture check: does an outcome match what the state test's filler recorded?

use crate::{Outcome, PostState, TxOutcome};
use alloy_primitives::{keccak256, Log, B256, KECCAK256_EMPTY};
use alloy_trie::{root::storage_root_unhashed, HashBuilder, Nibbles, TrieAccount};
use ovm_fixture::Expectation;
use std::fmt;

/// How an outcome disagrees with its fixture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// The fixture expects the transaction to be rejected, but it executed.
    ExpectedRejection {
        expected: String,
    },
    /// The transaction was rejected, but the fixture expects it to execute.
    UnexpectedRejection {
        kind: String,
        detail: String,
    },
    /// Both reject, for different reasons.
    WrongRejection {
        expected: String,
        got: String,
    },
    LogsHash {
        expected: B256,
        got: B256,
    },
    StateRoot {
        expected: B256,
        got: B256,
        first_difference: Option<String>,
    },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::ExpectedRejection { expected } => {
                write!(f, "expected exception {expected}, but the transaction executed")
            }
            Mismatch::UnexpectedRejection { kind, detail } => write!(f, "unexpected rejection {kind}: {detail}"),
            Mismatch::WrongRejection { expected, got } => write!(f, "rejected as {got}, fixture expects {expected}"),
            Mismatch::LogsHash { expected, got } => write!(f, "logs hash {got}, fixture expects {expected}"),
            Mismatch::StateRoot { expected, got, first_difference } => {
                write!(f, "state root {got}, fixture expects {expected}")?;
                if let Some(diff) = first_difference {
                    write!(f, " ({diff})")?;
                }
                Ok(())
            }
        }
    }
}

/// Checks `outcome` against the fixture: exception (kind included where the fixture names one we
/// know), then logs hash, then state root.
pub fn check_fixture(expect: &Expectation, outcome: &Outcome) -> Result<(), Mismatch> {
    match (&expect.exception, &outcome.tx) {
        (Some(expected), TxOutcome::Rejected { kind, .. }) => {
            return if exception_matches(expected, kind) {
                Ok(())
            } else {
                Err(Mismatch::WrongRejection { expected: expected.clone(), got: kind.clone() })
            };
        }
        (Some(expected), TxOutcome::Executed(_)) => {
            return Err(Mismatch::ExpectedRejection { expected: expected.clone() })
        }
        (None, TxOutcome::Rejected { kind, detail }) => {
            return Err(Mismatch::UnexpectedRejection { kind: kind.clone(), detail: detail.clone() })
        }
        (None, TxOutcome::Executed(execution)) => {
            let got = logs_hash(&execution.logs);
            if got != expect.logs_hash {
                return Err(Mismatch::LogsHash { expected: expect.logs_hash, got });
            }
        }
    }
    let got = state_root(&outcome.post_state);
    if got != expect.state_root {
        return Err(Mismatch::StateRoot {
            expected: expect.state_root,
            got,
            first_difference: first_post_state_difference(expect, &outcome.post_state),
        });
    }
    Ok(())
}

/// `expected` lists `|`-separated alternatives. Names outside the `TransactionException.` vocabulary
/// (older fixtures' `TR_*` names) cannot be mapped, so for them any rejection matches.
pub(crate) fn exception_matches(expected: &str, got: &str) -> bool {
    let alternatives: Vec<&str> = expected.split('|').map(str::trim).collect();
    if alternatives.iter().all(|a| a.starts_with("TransactionException.")) {
        alternatives.contains(&got)
    } else {
        true
    }
}

/// keccak256 of the RLP list of logs, as state tests record it.
pub fn logs_hash(logs: &[Log]) -> B256 {
    let mut out = Vec::with_capacity(alloy_rlp::list_length(logs));
    alloy_rlp::encode_list(logs, &mut out);
    keccak256(&out)
}

/// The Merkle-Patricia root of a post-state.
pub fn state_root(post_state: &PostState) -> B256 {
    let mut leaves: Vec<(B256, TrieAccount)> = post_state
        .iter()
        .map(|(address, account)| {
            let storage_root = storage_root_unhashed(
                account.storage.iter().filter(|(_, v)| !v.is_zero()).map(|(k, v)| (B256::from(*k), *v)),
            );
            let code_hash = if account.code.is_empty() { KECCAK256_EMPTY } else { keccak256(&account.code) };
            let leaf = TrieAccount { nonce: account.nonce, balance: account.balance, storage_root, code_hash };
            (keccak256(address), leaf)
        })
        .collect();
    leaves.sort_unstable_by_key(|(key, _)| *key);
    let mut builder = HashBuilder::default();
    let mut rlp = Vec::new();
    for (key, account) in leaves {
        rlp.clear();
        alloy_rlp::Encodable::encode(&account, &mut rlp);
        builder.add_leaf(Nibbles::unpack(key), &rlp);
    }
    builder.root()
}

/// Where the fixture spells out its post-state, name the first account that differs.
fn first_post_state_difference(expect: &Expectation, got: &PostState) -> Option<String> {
    if expect.post_state.is_empty() {
        return None;
    }
    for (address, want) in &expect.post_state {
        let Some(have) = got.get(address) else { return Some(format!("{address} missing")) };
        let want_storage: std::collections::BTreeMap<_, _> =
            want.storage.iter().filter(|(_, v)| !v.is_zero()).map(|(k, v)| (*k, *v)).collect();
        if have.balance != want.balance
            || have.nonce != want.nonce
            || have.code != want.code
            || have.storage != want_storage
        {
            return Some(format!("{address} differs"));
        }
    }
    got.keys().find(|a| !expect.post_state.contains_key(*a)).map(|a| format!("{a} unexpected"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AccountState;
    use alloy_primitives::{address, b256, U256};

    #[test]
    fn empty_state_has_the_empty_trie_root() {
        assert_eq!(
            state_root(&PostState::new()),
            b256!("56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
        );
    }

    #[test]
    fn no_logs_hash_to_the_rlp_of_an_empty_list() {
        assert_eq!(logs_hash(&[]), b256!("1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347"));
    }

    #[test]
    fn zero_storage_slots_do_not_change_the_root() {
        let mut account = AccountState { balance: U256::from(1), ..Default::default() };
        let a = address!("1000000000000000000000000000000000000000");
        let without = state_root(&PostState::from([(a, account.clone())]));
        account.storage.insert(U256::from(7), U256::ZERO);
        assert_eq!(state_root(&PostState::from([(a, account)])), without);
    }

    #[test]
    fn exception_alternatives_match_any_listed_kind() {
        let expected = "TransactionException.INSUFFICIENT_ACCOUNT_FUNDS|TransactionException.INTRINSIC_GAS_TOO_LOW";
        assert!(exception_matches(expected, "TransactionException.INTRINSIC_GAS_TOO_LOW"));
        assert!(!exception_matches(expected, "TransactionException.NONCE_IS_MAX"));
        assert!(exception_matches("TR_NoFunds", "TransactionException.INSUFFICIENT_ACCOUNT_FUNDS"));
    }
}
