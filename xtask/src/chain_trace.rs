//! `--case ID --trace` on a blockchain test: the EIP-3155 traces of its transactions, natively and
//! through the OVM (in original instructions), one file per side, each transaction's lines after
//! the previous one's (a transaction's first line is the one at depth 1 and pc 0 after a line of
//! the previous transaction; the per-transaction outcomes are printed by `--case`).

use ovm_fixture::BlockchainCase;
use ovm_l2::L2Backend;
use ovm_native::NativeBackend;
use std::path::Path;

pub fn write(case: &BlockchainCase, dir: &Path, native_only: bool) -> Result<(), String> {
    let test = case
        .test
        .as_ref()
        .map_err(|skip| format!("case {} is not run ({}), so it has no trace", case.id, skip.reason))?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let create = |name: &str| crate::conformance::trace_file(dir, name);
    let (out, path) = create("trace-native.jsonl")?;
    NativeBackend.run_blocks_traced(test, out).map_err(|e| e.to_string())?;
    println!("native trace (EIP-3155, every transaction): {}", path.display());
    if !native_only {
        let (out, path) = create("trace-ovm.jsonl")?;
        L2Backend.run_blocks_traced(test, out).map_err(|e| e.to_string())?;
        println!("ovm trace (EIP-3155, original instructions, every transaction): {}", path.display());
    }
    Ok(())
}
