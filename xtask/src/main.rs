//! `cargo xtask <workflow>`: every workflow of the project, one command each.

mod bench;
mod chain_trace;
mod conformance;
mod em;
mod envelope;
mod fetch;
mod fill;
mod fill_blocks;
mod fuzz;
mod mutants;
mod profile;
mod report;
mod stats;

use clap::{Parser, Subcommand};
use std::{path::PathBuf, process::ExitCode};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Workflows of the OVM conformance suite", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the state and blockchain tests and report per case (reports/<run>/results.json, junit.xml).
    Conformance(conformance::Args),
    /// Fuzz one of fuzz/'s targets with cargo-fuzz; a differential crash becomes a minimized
    /// regression vector in vectors/regressions/.
    Fuzz(fuzz::Args),
    /// Compile the ExecutionManager and example contracts with the pinned solc (`--check`: verify
    /// the committed artifacts instead).
    Em {
        /// Compile in memory and fail if a committed artifact differs from what its source compiles to
        /// (writes nothing). Needs Node.js and npm; installs the pinned solc with `npm ci` once.
        #[arg(long)]
        check: bool,
    },
    /// Fill the project's own vectors: check their `expect` sections natively, record their hashes.
    Fill(fill::Args),
    /// Fetch ethereum/tests at the pinned commit into vectors/ethereum-tests (needs git and network).
    Vectors {
        /// Where to put the checkout.
        #[arg(long, default_value = "vectors/ethereum-tests")]
        dest: PathBuf,
    },
    /// Transpiled size overhead over every contract in the vectors.
    TranspileStats(stats::Args),
    /// Time the native run against revme's `statetest` on the same folder, side by side (installs
    /// revme 43.0.3 from crates.io into target/bench-tools on first use).
    Bench(bench::Args),
    /// The physical gas envelope, measured: adversarial loops of every kind of instruction and EM
    /// request, natively and through the OVM, with physical gas per native gas and time per half.
    Envelope(envelope::Args),
    /// Count where the OVM half's physical work goes: EM requests by op and the EM instructions
    /// each costs, transpiled-code instructions, physical calls by kind.
    EmProfile(profile::Args),
    /// Detection power: apply each mutant patch (fuzz/mutants/*.patch) to a scratch copy, rebuild,
    /// and run the detectors (own tests and vectors, shared state and blockchain tests, the
    /// differential fuzzer) until one catches it; fails if a mutant survives them all.
    Mutants(mutants::Args),
    /// Render a run's results.json as a self-contained HTML report (reports/<run>/index.html and a
    /// page per case that is not equal); --merge joins the results of --shard runs first.
    Report(report::Args),
}

/// `--vectors`: where the state tests are, resolved the same way by every workflow that reads them.
#[derive(clap::Args)]
pub struct VectorsArg {
    /// Vectors folder (an ethereum/tests checkout, its GeneralStateTests, or any folder of state tests).
    /// Default: $ETHEREUM_TESTS, then vectors/ethereum-tests, then ../shared/vectors/ethereum-tests,
    /// then the project's own vectors/.
    #[arg(id = "vectors", long, value_name = "VECTORS")]
    path: Option<PathBuf>,
}

impl VectorsArg {
    pub fn resolve(&self) -> Result<ovm_runner::Vectors, String> {
        ovm_runner::resolve(self.path.as_deref(), &project_root())
    }
}

/// The project root (where the workspace `Cargo.toml` is).
pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().map(PathBuf::from).unwrap_or_default()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Conformance(args) => conformance::run(args),
        Command::Fuzz(args) => fuzz::run(args),
        Command::Em { check } => em::run(check).map(|()| ExitCode::SUCCESS),
        Command::Fill(args) => fill::run(args).map(|()| ExitCode::SUCCESS),
        Command::Vectors { dest } => fetch::vectors(&project_root().join(dest)).map(|()| ExitCode::SUCCESS),
        Command::TranspileStats(args) => stats::run(args).map(|()| ExitCode::SUCCESS),
        Command::Bench(args) => bench::run(args).map(|()| ExitCode::SUCCESS),
        Command::Envelope(args) => envelope::run(args).map(|()| ExitCode::SUCCESS),
        Command::EmProfile(args) => profile::run(args).map(|()| ExitCode::SUCCESS),
        Command::Mutants(args) => mutants::run(args),
        Command::Report(args) => report::run(args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
