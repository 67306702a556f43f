//! `cargo xtask em`: the ExecutionManager (and the example contracts) compiled with the pinned solc.
//! `--check` compiles in memory and fails if a committed artifact differs from its source.

use std::{path::Path, process::Command};

/// (artifact folder, sources), relative to the project root.
const BUILDS: &[(&str, &[&str])] = &[
    ("contracts/artifacts/em", &["contracts/em/ExecutionManager.sol"]),
    (
        "contracts/artifacts/examples",
        &["contracts/examples/WETH9.sol", "contracts/examples/Token.sol", "contracts/examples/Exchange.sol"],
    ),
];

pub fn run(check: bool) -> Result<(), String> {
    let root = crate::project_root();
    for tool in ["node", "npm"] {
        if Command::new(tool).arg("--version").output().is_err() {
            return Err(format!(
                "`cargo xtask em` needs Node.js and npm (the pinned solc is an npm package), and `{tool}` \
                 is not on the PATH; install them (e.g. `apt-get install nodejs npm`) and run it again"
            ));
        }
    }
    if !root.join("contracts/node_modules/solc").is_dir() {
        eprintln!("installing the pinned solc (npm ci in contracts/)");
        run_command(Command::new("npm").args(["ci", "--silent", "--prefix", "contracts"]), &root)?;
    }
    for (out, sources) in BUILDS {
        let mut command = Command::new("node");
        command.arg("contracts/build.mjs");
        if check {
            command.arg("--check");
        }
        command.arg(out).args(*sources);
        run_command(&mut command, &root)?;
    }
    Ok(())
}

fn run_command(command: &mut Command, dir: &Path) -> Result<(), String> {
    let status = command.current_dir(dir).status().map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} failed ({status})"))
    }
}
