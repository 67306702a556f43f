//! The sequencer's record of what it wrapped: the user's signed transaction hash next to the hash
//! of the internal transaction (the EM entry request) that carried it.

use alloy_primitives::{keccak256, Bytes, B256, U256};
use alloy_rlp::{Encodable, Header};
use ovm_fixture::{Case, Setup};
use revm::primitives::TxKind;

/// The two hashes of one layer-2 transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxHashes {
    /// keccak256 of the signed transaction as the user sent it.
    pub original: B256,
    /// keccak256 of the ExecutionManager entry request the sequencer sent for it.
    pub internal: B256,
}

/// The user's signed transaction: the fixture's `txbytes` when it has them, else (legacy
/// transactions) the transaction signed here with the fixture's key, EIP-155 style.
pub fn signed_transaction(case: &Case, setup: &Setup) -> Option<Bytes> {
    if let Some(bytes) = &case.signed_tx {
        return Some(bytes.clone());
    }
    let tx = setup.tx.as_ref().ok()?;
    if tx.tx_type != 0 {
        return None;
    }
    let key = case.unit.test.transaction.secret_key?;
    let key = k256::ecdsa::SigningKey::from_slice(key.as_slice()).ok()?;
    let chain_id = tx.chain_id.unwrap_or(1);
    let to: Bytes = match tx.kind {
        TxKind::Call(to) => Bytes::copy_from_slice(to.as_slice()),
        TxKind::Create => Bytes::new(),
    };
    let fields = |tail: [&dyn Encodable; 3]| -> Vec<u8> {
        let head: [&dyn Encodable; 6] = [&tx.nonce, &tx.gas_price, &tx.gas_limit, &to, &tx.value, &tx.data];
        rlp_list(head.iter().copied().chain(tail))
    };
    let unsigned = fields([&chain_id, &0u8, &0u8]);
    let (signature, recovery) = key.sign_prehash_recoverable(keccak256(&unsigned).as_slice()).ok()?;
    let r = U256::from_be_slice(&signature.r().to_bytes());
    let s = U256::from_be_slice(&signature.s().to_bytes());
    let v = chain_id * 2 + 35 + u64::from(recovery.to_byte());
    Some(fields([&v, &r, &s]).into())
}

fn rlp_list<'a>(items: impl Iterator<Item = &'a dyn Encodable> + Clone) -> Vec<u8> {
    let payload_length = items.clone().map(|item| item.length()).sum();
    let mut out = Vec::new();
    Header { list: true, payload_length }.encode(&mut out);
    for item in items {
        item.encode(&mut out);
    }
    out
}
