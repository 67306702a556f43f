//! `cargo xtask fill`: fills the project's own state tests, and its blockchain tests (a file whose
//! text holds `"genesisBlockHeader"`; see [`crate::fill_blocks`]).
//!
//! A hand-written vector states what must happen in an `expect` object on each post entry (the
//! upstream fillers' `expect` section, in the filled format): per account, any of `balance`,
//! `nonce`, `code`, and `storage` (listed slots must hold exactly these values; a missing slot is
//! zero), or the string `"absent"`. Filling runs the case natively, refuses to write anything if an
//! expectation fails, and otherwise records the state root and logs hash the fixture format needs.
//! So a filled vector is checked twice: by its author's expectations, and by its hashes on every run.

use ovm_backend::{logs_hash, state_root, Backend, TxOutcome};
use ovm_fixture::load_str;
use ovm_native::NativeBackend;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

const ZERO_HASH: &str = "0x0000000000000000000000000000000000000000000000000000000000000000";

#[derive(clap::Args)]
pub struct Args {
    /// Vector files or folders to fill (default: every JSON file under vectors/ outside ethereum-tests).
    paths: Vec<PathBuf>,
    /// Check only: fail if a file's recorded hashes (blockchain tests: computed header fields,
    /// signatures, postState) differ from what filling would write.
    #[arg(long)]
    check: bool,
}

pub fn run(args: Args) -> Result<(), String> {
    let root = crate::project_root();
    let paths = if args.paths.is_empty() { vec![root.join("vectors")] } else { args.paths };
    let mut files = Vec::new();
    for path in &paths {
        files.extend(ovm_runner::vector_files(path).into_iter().map(|(p, _)| p));
    }
    let mut problems = Vec::new();
    let mut changed = 0;
    for file in &files {
        match fill_file(file, &root) {
            Ok((text, unchanged)) => {
                if !unchanged {
                    changed += 1;
                    if args.check {
                        problems.push(format!("{}: recorded hashes are stale; run `cargo xtask fill`", file.display()));
                    } else {
                        std::fs::write(file, text).map_err(|e| format!("{}: cannot write: {e}", file.display()))?;
                    }
                }
            }
            Err(mut errors) => problems.append(&mut errors),
        }
    }
    for problem in &problems {
        eprintln!("{problem}");
    }
    if !problems.is_empty() {
        return Err(format!("{} problem(s) in {} file(s)", problems.len(), files.len()));
    }
    let verb = if args.check { "checked" } else { "filled" };
    println!("{verb} {} file(s), {changed} changed", files.len());
    Ok(())
}

/// Returns the filled text and whether it equals the file as it was.
fn fill_file(path: &Path, root: &Path) -> Result<(String, bool), Vec<String>> {
    let name = path.strip_prefix(root).unwrap_or(path).display().to_string();
    let fail = |m: String| vec![format!("{name}: {m}")];
    let original = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    fill_text(&original, &name)
}

/// Fills a vector's text, a state test or a blockchain test; `name` names it in errors. Returns
/// the filled text and whether it equals `original`.
pub fn fill_text(original: &str, name: &str) -> Result<(String, bool), Vec<String>> {
    if ovm_fixture::is_blockchain_text(original) {
        return crate::fill_blocks::fill_text(original, name);
    }
    let fail = |m: String| vec![format!("{name}: {m}")];
    let mut json: Value = serde_json::from_str(original).map_err(|e| fail(format!("not JSON: {e}")))?;

    // Placeholders, so that a freshly written vector loads.
    for entry in post_entries(&mut json) {
        for key in ["hash", "logs"] {
            entry.entry(key).or_insert_with(|| Value::String(ZERO_HASH.into()));
        }
    }
    let loaded = load_str(&json.to_string(), name);
    let mut errors: Vec<String> = loaded.errors.iter().map(|e| e.to_string()).collect();
    let backend = NativeBackend;
    for case in &loaded.cases {
        let setup = match &case.setup {
            Ok(setup) => setup,
            Err(problem) => {
                errors.push(format!("{}: {problem:?}", case.id));
                continue;
            }
        };
        let outcome = match backend.run(case, setup) {
            Ok(outcome) => outcome,
            Err(e) => {
                errors.push(format!("{}: native backend: {e}", case.id));
                continue;
            }
        };
        let entry = json[&*case.test_name]["post"][&*case.fork][case.post_index]
            .as_object_mut()
            .expect("the loader produced this case from this entry");
        if let Err(e) = ovm_backend::check_expectation(entry, &outcome) {
            errors.push(format!("{}: {e}", case.id));
            continue;
        }
        let logs = match &outcome.tx {
            TxOutcome::Executed(execution) => logs_hash(&execution.logs),
            TxOutcome::Rejected { .. } => logs_hash(&[]),
        };
        entry.insert("hash".into(), Value::String(state_root(&outcome.post_state).to_string()));
        entry.insert("logs".into(), Value::String(logs.to_string()));
    }
    if !errors.is_empty() {
        return Err(errors.into_iter().map(|e| format!("{name}: {e}")).collect());
    }
    let mut text = serde_json::to_string_pretty(&json).map_err(|e| fail(e.to_string()))?;
    text.push('\n');
    let unchanged = text == original;
    Ok((text, unchanged))
}

fn post_entries(json: &mut Value) -> Vec<&mut Map<String, Value>> {
    let Some(units) = json.as_object_mut() else { return vec![] };
    units
        .values_mut()
        .filter_map(|unit| unit.get_mut("post").and_then(Value::as_object_mut))
        .flat_map(|forks| forks.values_mut())
        .filter_map(Value::as_array_mut)
        .flat_map(|entries| entries.iter_mut())
        .filter_map(Value::as_object_mut)
        .collect()
}
