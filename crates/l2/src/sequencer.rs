//! The sequencer: admits a signed transaction (the checks that need no layer-2 state) and wraps it
//! in the EM's transaction request.
//!
//! Rejections come in the EVM's order (revm 43.0.3: `validate_tx_env`, then the intrinsic gas, then
//! the state checks), so that a transaction with several faults is rejected for the same one as
//! natively. The sequencer checks, in order: chain id; fee fields (legacy and EIP-2930: gas price
//! against the base fee; EIP-1559 and EIP-4844: priority fee against max fee, then max fee against
//! the base fee); a set-code transaction (not in Cancun); the blob fields (blob fee, then count
//! zero, versions, too many); the gas limit against the block's; the initcode size of a creation;
//! a transaction nonce of 2^64 - 1 (EIP-2681). The EM then checks what needs layer-2 state, in
//! order: intrinsic gas, sender code (EIP-3607), nonce, the required balance (overflow first).

use alloy_primitives::{Address, Bytes, B256, U256};
use ovm_backend::TxOutcome;
use ovm_fixture::Setup;
use ovm_transpiler::layout::em;
use revm::{context::TxEnv, primitives::TxKind};

const MAX_BLOBS_CANCUN: usize = 6;
const MAX_INITCODE_LEN: usize = ovm_transpiler::layout::MAX_INITCODE_LEN;

/// The EM's transaction request (op `0xf1`), field by field, in the order the EM reads its words.
pub struct TxRequest {
    pub sender: U256,
    /// The recipient, 0 for a creation.
    pub to: U256,
    pub is_create: bool,
    pub value: U256,
    pub gas_limit: U256,
    pub effective_gas_price: U256,
    /// The balance the sender must have: gas limit x max fee + blob gas x max blob fee + value.
    pub required_balance: U256,
    /// What the sender pays up front: gas limit x effective price + blob gas x blob base fee.
    pub upfront_charge: U256,
    pub nonce: U256,
    pub coinbase: U256,
    pub timestamp: U256,
    pub number: U256,
    pub prevrandao: U256,
    pub block_gas_limit: U256,
    pub chain_id: U256,
    pub base_fee: U256,
    pub blob_base_fee: U256,
    /// The required balance does not fit in 256 bits (`GASLIMIT_PRICE_PRODUCT_OVERFLOW`).
    pub required_balance_overflows: bool,
    pub blob_hashes: Vec<B256>,
    /// The EIP-2930 access list: each entry's address, and each storage key with its address.
    pub access_list: Vec<(U256, Vec<U256>)>,
    pub data: Bytes,
}

impl TxRequest {
    /// `OP_TRANSACTION || the TX_WORDS words || blob hashes || access-list addresses || access-list
    /// (address, key) pairs || data`, each word at its named index.
    pub fn encode(&self) -> Bytes {
        self.encode_as(em::OP_TRANSACTION)
    }

    /// The request under another op that reads the same words (`OP_SYSTEM_CALL`).
    fn encode_as(&self, op: u8) -> Bytes {
        let mut words = [U256::ZERO; em::TX_WORDS];
        words[em::TX_SENDER] = self.sender;
        words[em::TX_TO] = self.to;
        words[em::TX_IS_CREATE] = U256::from(self.is_create as u8);
        words[em::TX_VALUE] = self.value;
        words[em::TX_GAS_LIMIT] = self.gas_limit;
        words[em::TX_GAS_PRICE] = self.effective_gas_price;
        words[em::TX_REQUIRED_BALANCE] = self.required_balance;
        words[em::TX_UPFRONT_CHARGE] = self.upfront_charge;
        words[em::TX_ACCESS_ADDRESSES] = U256::from(self.access_list.len());
        words[em::TX_ACCESS_KEYS] = U256::from(self.access_list.iter().map(|(_, keys)| keys.len()).sum::<usize>());
        words[em::TX_NONCE] = self.nonce;
        words[em::TX_COINBASE] = self.coinbase;
        words[em::TX_TIMESTAMP] = self.timestamp;
        words[em::TX_NUMBER] = self.number;
        words[em::TX_PREVRANDAO] = self.prevrandao;
        words[em::TX_BLOCK_GAS_LIMIT] = self.block_gas_limit;
        words[em::TX_CHAIN_ID] = self.chain_id;
        words[em::TX_BASE_FEE] = self.base_fee;
        words[em::TX_BLOB_BASE_FEE] = self.blob_base_fee;
        words[em::TX_BLOB_COUNT] = U256::from(self.blob_hashes.len());
        words[em::TX_BALANCE_OVERFLOWS] = U256::from(self.required_balance_overflows as u8);
        let mut out = vec![op];
        for word in &words {
            out.extend_from_slice(&word.to_be_bytes::<32>());
        }
        for hash in &self.blob_hashes {
            out.extend_from_slice(hash.as_slice());
        }
        for (address, _) in &self.access_list {
            out.extend_from_slice(&address.to_be_bytes::<32>());
        }
        for (address, keys) in &self.access_list {
            for key in keys {
                out.extend_from_slice(&address.to_be_bytes::<32>());
                out.extend_from_slice(&key.to_be_bytes::<32>());
            }
        }
        out.extend_from_slice(&self.data);
        out.into()
    }
}

fn reject(kind: &str, detail: impl Into<String>) -> TxOutcome {
    TxOutcome::Rejected { kind: format!("TransactionException.{kind}"), detail: detail.into() }
}

/// The EM's rejection codes (`REJECT_*`, see `validateTx` in ExecutionManager.sol).
pub fn rejection(code: u64) -> TxOutcome {
    let kind = match code {
        em::REJECT_INTRINSIC_GAS => "INTRINSIC_GAS_TOO_LOW",
        em::REJECT_SENDER_CODE => "SENDER_NOT_EOA",
        em::REJECT_NONCE_HIGH => "NONCE_MISMATCH_TOO_HIGH",
        em::REJECT_NONCE_LOW => "NONCE_MISMATCH_TOO_LOW",
        em::REJECT_FUNDS => "INSUFFICIENT_ACCOUNT_FUNDS",
        em::REJECT_BALANCE_OVERFLOW => "GASLIMIT_PRICE_PRODUCT_OVERFLOW",
        _ => "UNKNOWN",
    };
    reject(kind, format!("rejected by the ExecutionManager (code {code})"))
}

/// A system call of the layer-2 chain in a block (EIP-4788's beacon-roots update), as the EM's
/// `OP_SYSTEM_CALL` request: from revm's system address to `target` with `data` and revm's system-call
/// gas limit, no fees, the block's context.
pub fn system_call(setup: &Setup, target: Address, data: Bytes) -> Bytes {
    TxRequest {
        sender: U256::from_be_slice(revm::handler::SYSTEM_ADDRESS.as_slice()),
        to: U256::from_be_slice(target.as_slice()),
        gas_limit: U256::from(revm::handler::system_call::SYSTEM_CALL_GAS_LIMIT),
        data,
        ..TxRequest::in_block(setup)
    }
    .encode_as(em::OP_SYSTEM_CALL)
}

impl TxRequest {
    /// A request with the block's context (and the chain id) and nothing else: no sender, value,
    /// gas, fees, nonce, blobs, access list or data.
    fn in_block(setup: &Setup) -> Self {
        let block = &setup.block;
        TxRequest {
            sender: U256::ZERO,
            to: U256::ZERO,
            is_create: false,
            value: U256::ZERO,
            gas_limit: U256::ZERO,
            effective_gas_price: U256::ZERO,
            required_balance: U256::ZERO,
            upfront_charge: U256::ZERO,
            nonce: U256::ZERO,
            coinbase: U256::from_be_slice(block.beneficiary.as_slice()),
            timestamp: block.timestamp,
            number: block.number,
            prevrandao: block.prevrandao.map_or(U256::ZERO, |r| U256::from_be_bytes(r.0)),
            block_gas_limit: U256::from(block.gas_limit),
            chain_id: U256::from(setup.cfg.chain_id),
            base_fee: U256::from(block.basefee),
            blob_base_fee: U256::from(setup.blob_gas_price()),
            required_balance_overflows: false,
            blob_hashes: Vec::new(),
            access_list: Vec::new(),
            data: Bytes::new(),
        }
    }
}

/// The sequencer's checks, in the EVM's order; the transaction as the EM's request if they pass.
pub fn admit(setup: &Setup) -> Result<TxRequest, TxOutcome> {
    let tx: &TxEnv = match &setup.tx {
        Ok(tx) => tx,
        Err(rejected) => {
            return Err(TxOutcome::Rejected { kind: rejected.kind.to_owned(), detail: rejected.detail.clone() })
        }
    };
    let block = &setup.block;
    if tx.chain_id.is_some_and(|id| id != setup.cfg.chain_id) {
        return Err(reject("INVALID_CHAINID", "wrong chain id"));
    }
    let base_fee = u128::from(block.basefee);
    match tx.tx_type {
        0 | 1 => {
            if tx.gas_price < base_fee {
                return Err(reject("INSUFFICIENT_MAX_FEE_PER_GAS", "gas price below the base fee"));
            }
        }
        2 | 3 => {
            if tx.gas_priority_fee.unwrap_or_default() > tx.gas_price {
                return Err(reject("PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS", "priority fee above max fee"));
            }
            if tx.gas_price < base_fee {
                return Err(reject("INSUFFICIENT_MAX_FEE_PER_GAS", "max fee below the base fee"));
            }
        }
        4 => return Err(reject("TYPE_4_TX_PRE_FORK", "set-code transactions begin with Prague")),
        other => return Err(reject("UNKNOWN", format!("transaction type {other}"))),
    }
    let blob_gas_price = setup.blob_gas_price();
    if tx.tx_type == 3 {
        if blob_gas_price > tx.max_fee_per_blob_gas {
            return Err(reject("INSUFFICIENT_MAX_FEE_PER_BLOB_GAS", "max blob fee below the blob base fee"));
        }
        if tx.blob_hashes.is_empty() {
            return Err(reject("TYPE_3_TX_ZERO_BLOBS", "blob transaction without blobs"));
        }
        if tx.blob_hashes.iter().any(|h| h[0] != 0x01) {
            return Err(reject("TYPE_3_TX_INVALID_BLOB_VERSIONED_HASH", "blob hash version is not 0x01"));
        }
        if tx.blob_hashes.len() > MAX_BLOBS_CANCUN {
            return Err(reject("TYPE_3_TX_BLOB_COUNT_EXCEEDED", "too many blobs"));
        }
    }
    if tx.gas_limit > block.gas_limit {
        return Err(reject("GAS_ALLOWANCE_EXCEEDED", "gas limit above the block's"));
    }
    if matches!(tx.kind, TxKind::Create) && tx.data.len() > MAX_INITCODE_LEN {
        return Err(reject("INITCODE_SIZE_EXCEEDED", "initcode above EIP-3860's limit"));
    }
    if tx.nonce == u64::MAX {
        return Err(reject("NONCE_IS_MAX", "transaction nonce 2^64 - 1 (EIP-2681)"));
    }

    let effective_price = setup.effective_gas_price().unwrap_or(tx.gas_price);
    let blob_gas = setup.blob_gas();
    let is_blob = tx.tx_type == 3;
    // As revm's `max_balance_spending`: the gas part in 128 bits, then value and blob fee in 256.
    let required = (tx.gas_limit as u128)
        .checked_mul(tx.gas_price)
        .and_then(|gas| U256::from(gas).checked_add(tx.value))
        .and_then(|sum| match is_blob {
            true => sum.checked_add(U256::from((blob_gas as u128).saturating_mul(tx.max_fee_per_blob_gas))),
            false => Some(sum),
        });
    let upfront_charge = U256::from(tx.gas_limit) * U256::from(effective_price)
        + U256::from(blob_gas) * U256::from(if is_blob { blob_gas_price } else { 0 });
    let (is_create, to) = match tx.kind {
        TxKind::Create => (true, U256::ZERO),
        TxKind::Call(to) => (false, U256::from_be_slice(to.as_slice())),
    };
    Ok(TxRequest {
        sender: U256::from_be_slice(tx.caller.as_slice()),
        to,
        is_create,
        value: tx.value,
        gas_limit: U256::from(tx.gas_limit),
        effective_gas_price: U256::from(effective_price),
        required_balance: required.unwrap_or(U256::MAX),
        upfront_charge,
        access_list: tx
            .access_list
            .iter()
            .map(|item| {
                let keys = item.storage_keys.iter().map(|k| U256::from_be_bytes(k.0)).collect();
                (U256::from_be_slice(item.address.as_slice()), keys)
            })
            .collect(),
        nonce: U256::from(tx.nonce),
        required_balance_overflows: required.is_none(),
        blob_hashes: tx.blob_hashes.clone(),
        data: tx.data.clone(),
        ..TxRequest::in_block(setup)
    })
}
