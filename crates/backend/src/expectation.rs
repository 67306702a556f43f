//! The project's own vectors state what must happen in a hand-written `expect` object on each post
//! entry (the upstream fillers' `expect` section, in the filled format): per account, any of
//! `balance`, `nonce`, `code`, and `storage` (listed slots must hold exactly these values; a missing
//! slot is zero), or the string `"absent"`. `cargo xtask fill` checks it against the native outcome,
//! and the OVM vectors' spec against the OVM outcome too.

use crate::{Outcome, TxOutcome};
use alloy_primitives::{Address, Bytes, U256};
use serde_json::{Map, Value};
use std::str::FromStr;

/// Checks the entry's hand-written `expect` (and `expectException`) against the outcome.
pub fn check_expectation(entry: &Map<String, Value>, outcome: &Outcome) -> Result<(), String> {
    match (entry.get("expectException").and_then(Value::as_str), &outcome.tx) {
        (Some(_), TxOutcome::Executed(_)) => return Err("expectException is set but the transaction executed".into()),
        (None, TxOutcome::Rejected { .. }) => return Err(format!("the transaction was rejected: {:?}", outcome.tx)),
        (Some(expected), TxOutcome::Rejected { kind, .. }) if !crate::check::exception_matches(expected, kind) => {
            return Err(format!("the transaction was rejected as {kind}, expected {expected}"))
        }
        _ => {}
    }
    let Some(expect) = entry.get("expect") else { return Ok(()) };
    let accounts = expect.as_object().ok_or("`expect` must be an object of accounts")?;
    let parse_u256 = |v: &Value, what: &str| -> Result<U256, String> {
        v.as_str()
            .and_then(|s| U256::from_str(s).ok())
            .ok_or_else(|| format!("{what}: expected a number string, got {v}"))
    };
    for (address, want) in accounts {
        let address = Address::from_str(address).map_err(|e| format!("expect: bad address {address}: {e}"))?;
        let have = outcome.post_state.get(&address);
        if want.as_str() == Some("absent") {
            if have.is_some() {
                return Err(format!("{address} exists, expected absent"));
            }
            continue;
        }
        let have = have.ok_or_else(|| format!("{address} does not exist"))?;
        let want = want.as_object().ok_or_else(|| format!("expect.{address}: expected an object or \"absent\""))?;
        if let Some(balance) = want.get("balance") {
            let balance = parse_u256(balance, "balance")?;
            if have.balance != balance {
                return Err(format!("{address} balance {}, expected {balance}", have.balance));
            }
        }
        if let Some(nonce) = want.get("nonce") {
            let nonce = parse_u256(nonce, "nonce")?;
            if U256::from(have.nonce) != nonce {
                return Err(format!("{address} nonce {}, expected {nonce}", have.nonce));
            }
        }
        if let Some(code) = want.get("code") {
            let code: Bytes = code.as_str().and_then(|s| s.parse().ok()).ok_or("code: expected hex")?;
            if have.code != code {
                return Err(format!("{address} code {}, expected {code}", have.code));
            }
        }
        if let Some(storage) = want.get("storage").and_then(Value::as_object) {
            for (key, value) in storage {
                let key = parse_u256(&Value::String(key.clone()), "storage key")?;
                let value = parse_u256(value, "storage value")?;
                let got = have.storage.get(&key).copied().unwrap_or_default();
                if got != value {
                    return Err(format!("{address} storage[{key:#x}] = {got:#x}, expected {value:#x}"));
                }
            }
        }
    }
    Ok(())
}
