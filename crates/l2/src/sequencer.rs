//! The sequencer: admits a signed transaction (the envelope checks no contract can make: fee
//! fields against the block, blob fields, gas against the block) and wraps it in the EM's entry.
//! The checks that depend on layer-2 state (nonce, balance, sender code, intrinsic gas, initcode
//! size) are the EM's own.

use alloy_primitives::{Bytes, B256, U256};
use ovm_backend::TxOutcome;
use ovm_fixture::Setup;
use revm::{context::TxEnv, primitives::TxKind};

const MAX_BLOBS_CANCUN: usize = 6;

/// A transaction the sequencer admitted, as the EM's `0xf1` request.
pub struct Admitted {
    pub is_create: bool,
    words: Vec<U256>,
    blob_hashes: Vec<B256>,
    data: Bytes,
}

impl Admitted {
    pub fn encode(&self) -> Bytes {
        let mut out = vec![0xf1];
        for word in &self.words {
            out.extend_from_slice(&word.to_be_bytes::<32>());
        }
        for hash in &self.blob_hashes {
            out.extend_from_slice(hash.as_slice());
        }
        out.extend_from_slice(&self.data);
        out.into()
    }
}

fn reject(kind: &str, detail: impl Into<String>) -> TxOutcome {
    TxOutcome::Rejected { kind: format!("TransactionException.{kind}"), detail: detail.into() }
}

/// The EM's rejection codes (see `runTx` in ExecutionManager.sol).
pub fn rejection(code: u64) -> TxOutcome {
    let kind = match code {
        1 => "INTRINSIC_GAS_TOO_LOW",
        2 => "INITCODE_SIZE_EXCEEDED",
        3 => "SENDER_NOT_EOA",
        4 => "NONCE_MISMATCH_TOO_HIGH",
        5 => "NONCE_MISMATCH_TOO_LOW",
        6 => "NONCE_IS_MAX",
        7 => "INSUFFICIENT_ACCOUNT_FUNDS",
        _ => "UNKNOWN",
    };
    reject(kind, format!("rejected by the ExecutionManager (code {code})"))
}

pub fn admit(setup: &Setup) -> Result<Admitted, TxOutcome> {
    let tx: &TxEnv = match &setup.tx {
        Ok(tx) => tx,
        Err(rejected) => {
            return Err(TxOutcome::Rejected { kind: rejected.kind.to_owned(), detail: rejected.detail.clone() })
        }
    };
    let block = &setup.block;
    if tx.gas_limit > block.gas_limit {
        return Err(reject("GAS_ALLOWANCE_EXCEEDED", "gas limit above the block's"));
    }
    let base_fee = u128::from(block.basefee);
    let is_dynamic = tx.tx_type >= 2;
    if is_dynamic {
        let priority = tx.gas_priority_fee.unwrap_or_default();
        if priority > tx.gas_price {
            return Err(reject("PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS", "priority fee above max fee"));
        }
    }
    if tx.gas_price < base_fee {
        return Err(reject("INSUFFICIENT_MAX_FEE_PER_GAS", "max fee below the base fee"));
    }
    if tx.chain_id.is_some_and(|id| id != setup.cfg.chain_id) {
        return Err(reject("INVALID_CHAINID", "wrong chain id"));
    }
    let blob_gas_price = setup.blob_gas_price();
    if tx.tx_type == 3 {
        if matches!(tx.kind, TxKind::Create) {
            return Err(reject("TYPE_3_TX_CONTRACT_CREATION", "blob transaction creating"));
        }
        if tx.blob_hashes.is_empty() {
            return Err(reject("TYPE_3_TX_ZERO_BLOBS", "blob transaction without blobs"));
        }
        if tx.blob_hashes.len() > MAX_BLOBS_CANCUN {
            return Err(reject("TYPE_3_TX_BLOB_COUNT_EXCEEDED", "too many blobs"));
        }
        if tx.blob_hashes.iter().any(|h| h[0] != 0x01) {
            return Err(reject("TYPE_3_TX_INVALID_BLOB_VERSIONED_HASH", "blob hash version is not 0x01"));
        }
        if tx.max_fee_per_blob_gas < blob_gas_price {
            return Err(reject("INSUFFICIENT_MAX_FEE_PER_BLOB_GAS", "max blob fee below the blob base fee"));
        }
    }
    let effective_price = setup.effective_gas_price().unwrap_or(tx.gas_price);
    let blob_gas = U256::from(setup.blob_gas());
    let gas = U256::from(tx.gas_limit);
    let required = gas * U256::from(tx.gas_price)
        + blob_gas * U256::from(if tx.tx_type == 3 { tx.max_fee_per_blob_gas } else { 0 });
    let charge = gas * U256::from(effective_price) + blob_gas * U256::from(blob_gas_price);
    let access_keys: usize = tx.access_list.iter().map(|item| item.storage_keys.len()).sum();
    let (is_create, to) = match tx.kind {
        TxKind::Create => (true, U256::ZERO),
        TxKind::Call(to) => (false, U256::from_be_slice(to.as_slice())),
    };
    let words = vec![
        U256::from_be_slice(tx.caller.as_slice()),
        to,
        U256::from(is_create as u8),
        tx.value,
        gas,
        U256::from(effective_price),
        required,
        charge,
        U256::from(tx.access_list.len()),
        U256::from(access_keys),
        U256::from(tx.nonce),
        U256::from_be_slice(block.beneficiary.as_slice()),
        block.timestamp,
        block.number,
        block.prevrandao.map_or(U256::ZERO, |r| U256::from_be_bytes(r.0)),
        U256::from(block.gas_limit),
        U256::from(setup.cfg.chain_id),
        U256::from(block.basefee),
        U256::from(blob_gas_price),
        U256::from(tx.blob_hashes.len()),
    ];
    Ok(Admitted { is_create, words, blob_hashes: tx.blob_hashes.clone(), data: tx.data.clone() })
}
