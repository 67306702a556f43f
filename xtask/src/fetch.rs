//! `cargo xtask vectors`: ethereum/tests at the pinned commit, state tests only.

use ovm_runner::PINNED_COMMIT;
use std::{path::Path, process::Command};

const UPSTREAM: &str = "https://github.com/ethereum/tests.git";

pub fn vectors(dest: &Path) -> Result<(), String> {
    if dest.join("GeneralStateTests").is_dir() {
        println!("{} already holds GeneralStateTests; remove it to fetch again", dest.display());
        return Ok(());
    }
    let dest_str = dest.to_str().ok_or("the destination path is not UTF-8")?;
    // Blobless and sparse: only GeneralStateTests' files at the pinned commit are downloaded.
    git(&["clone", "--filter=blob:none", "--no-checkout", "--sparse", UPSTREAM, dest_str], None)?;
    git(&["sparse-checkout", "set", "GeneralStateTests"], Some(dest))?;
    git(&["checkout", "--quiet", PINNED_COMMIT], Some(dest))?;
    println!("fetched ethereum/tests@{PINNED_COMMIT} into {}", dest.display());
    Ok(())
}

fn git(args: &[&str], dir: Option<&Path>) -> Result<(), String> {
    let mut command = Command::new("git");
    command.args(args);
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let status = command.status().map_err(|e| format!("cannot run git: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`git {}` failed ({status})", args.join(" ")))
    }
}
