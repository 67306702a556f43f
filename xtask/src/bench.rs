//! `cargo xtask bench`: the native run against revme's `statetest`, and the differential run
//! (native + OVM + comparison + results.json) against the native one, side by side on the same work.
//!
//! revme 43.0.3 (the revm release we pin) is installed from crates.io into `target/bench-tools`.
//! revme skips some files by name (slow ones and EIP-7610 ones); so that both tools do the same work,
//! the bench runs both on a mirror of the vectors folder without those files. Rounds alternate
//! between the two tools, and the medians are reported together.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

const REVME_VERSION: &str = "43.0.3";

/// The files revme 43.0.3's `statetest` skips by name (src/cmd/statetest/runner.rs, `skip_test`).
const REVME_SKIPS: &[&str] = &[
    "RevertInCreateInInit_Paris.json",
    "RevertInCreateInInit.json",
    "dynamicAccountOverwriteEmpty.json",
    "dynamicAccountOverwriteEmpty_Paris.json",
    "RevertInCreateInInitCreate2Paris.json",
    "create2collisionStorage.json",
    "RevertInCreateInInitCreate2.json",
    "create2collisionStorageParis.json",
    "InitCollision.json",
    "InitCollisionParis.json",
    "test_init_collision_create_opcode.json",
    "ValueOverflow.json",
    "ValueOverflowParis.json",
    "Call50000_sha256.json",
    "static_Call50000_sha256.json",
    "loopMul.json",
    "CALLBlake2f_MaxRounds.json",
];

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    vectors: crate::VectorsArg,
    /// Timed rounds per tool.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Also time the differential run (both halves) against the native-only one.
    #[arg(long)]
    differential: bool,
}

pub fn run(args: Args) -> Result<(), String> {
    let root = crate::project_root();
    let vectors = args.vectors.resolve()?;
    let tools = root.join("target/bench-tools");
    let revme = install_revme(&tools)?;
    let ours = std::env::current_exe().map_err(|e| format!("cannot find the xtask binary: {e}"))?;

    let mirror = tools.join("vectors");
    let (files, left_out) = mirror_without_revme_skips(&vectors.root, &mirror)?;
    println!("bench folder: {} ({files} files; {left_out} files revme skips by name left out)", vectors.root.display());
    let reports = tools.join("reports");

    let revme_run = || {
        let mut command = Command::new(&revme);
        command.args(["statetest", "--keep-going", "--omit-progress"]).arg(&mirror);
        command
    };
    let our_run = |native_only: bool| {
        let mut command = Command::new(&ours);
        command.arg("conformance");
        if native_only {
            command.arg("--native-only");
        }
        command.args(["--quiet", "--no-fail", "--vectors"]).arg(&mirror).arg("--reports").arg(&reports);
        command
    };
    // One untimed round each: page cache, binaries.
    time(revme_run())?;
    time(our_run(true))?;
    let (mut theirs, mut native, mut differential) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=args.rounds {
        theirs.push(time(revme_run())?);
        native.push(time(our_run(true))?);
        let mut line =
            format!("  round {round}: revme {:.2}s, native {:.2}s", secs(theirs[round - 1]), secs(native[round - 1]));
        if args.differential {
            differential.push(time(our_run(false))?);
            line += &format!(", native + OVM {:.2}s", secs(differential[round - 1]));
        }
        eprintln!("{line}");
    }
    let native_rounds = native.clone();
    let (theirs, native) = (median(&mut theirs), median(&mut native));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("median over {} rounds, {threads} threads:", args.rounds);
    println!("  revme {REVME_VERSION} statetest          {:>8.2}s", secs(theirs));
    println!("  conformance --native-only    {:>8.2}s   ({:.2}x revme)", secs(native), secs(native) / secs(theirs));
    if args.differential {
        // Each round's two runs are adjacent in time: their ratio shrugs off a machine whose speed
        // drifts between rounds better than the ratio of the two medians does.
        let mut per_round: Vec<f64> =
            differential.iter().zip(&native_rounds).map(|(d, n)| secs(*d) / secs(*n)).collect();
        per_round.sort_by(f64::total_cmp);
        let differential = median(&mut differential);
        let ratio = secs(differential) / secs(native);
        println!("  conformance (native + OVM)   {:>8.2}s   ({ratio:.2}x native-only)", secs(differential));
        println!(
            "  per-round ratio native + OVM / native-only: median {:.2}x (range {:.2}x-{:.2}x)",
            per_round[per_round.len() / 2],
            per_round[0],
            per_round[per_round.len() - 1]
        );
    }
    Ok(())
}

fn install_revme(tools: &Path) -> Result<PathBuf, String> {
    let revme = tools.join("bin/revme");
    if revme.exists() {
        return Ok(revme);
    }
    eprintln!("installing revme {REVME_VERSION} into {} (once)", tools.display());
    let status = Command::new(env!("CARGO"))
        .args(["install", "revme", "--locked", "--version", &format!("={REVME_VERSION}"), "--root"])
        .arg(tools)
        .status()
        .map_err(|e| format!("cannot run cargo install: {e}"))?;
    if !status.success() {
        return Err(format!("`cargo install revme@{REVME_VERSION}` failed ({status})"));
    }
    Ok(revme)
}

/// Symlinks every state-test file of `source` into `mirror`, except revme's skips. Returns (kept, left out).
fn mirror_without_revme_skips(source: &Path, mirror: &Path) -> Result<(usize, usize), String> {
    let _ = std::fs::remove_dir_all(mirror);
    let (mut kept, mut left_out) = (0, 0);
    for (path, name) in ovm_runner::vector_files(source) {
        // revme's statetest runs state tests only.
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        if ovm_fixture::is_blockchain_text(&text) {
            continue;
        }
        let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if REVME_SKIPS.contains(&file_name) || name.contains("paris/eip7610_create_collision") {
            left_out += 1;
            continue;
        }
        let link = mirror.join(&name);
        let parent = link.parent().unwrap_or(mirror);
        std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        let target = path.canonicalize().map_err(|e| format!("{}: {e}", path.display()))?;
        std::os::unix::fs::symlink(target, &link).map_err(|e| format!("cannot link {}: {e}", link.display()))?;
        kept += 1;
    }
    Ok((kept, left_out))
}

fn time(mut command: Command) -> Result<Duration, String> {
    command.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
    let start = Instant::now();
    let status = command.status().map_err(|e| format!("cannot run {command:?}: {e}"))?;
    let elapsed = start.elapsed();
    // revme exits non-zero when a case fails; the bench times work, the conformance run judges it.
    let _ = status;
    Ok(elapsed)
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}
