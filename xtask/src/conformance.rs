//! `cargo xtask conformance`: every case natively on revm, checked against its fixture, and every
//! Cancun case again through the ExecutionManager, compared with the native outcome. Cases are state
//! tests (one transaction each) and blockchain tests (blocks of transactions on one evolving state,
//! compared after every transaction), found under the vectors folder and run in one parallel run.
//! `--native-only` runs the first half alone.

use ovm_backend::{Backend, Outcome, TxOutcome};
use ovm_conformance::Baseline;
use ovm_fixture::{BlockchainCase, Case};
use ovm_l2::L2Backend;
use ovm_native::NativeBackend;
use ovm_runner::{Origin, Progress, Report, RunInfo, Selection, Task};
use std::{
    path::PathBuf,
    process::ExitCode,
    time::{Duration, Instant},
};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    vectors: crate::VectorsArg,
    /// Run only cases whose file path or case id contains this text (repeatable: any matches).
    #[arg(long)]
    filter: Vec<String>,
    /// Run exactly the case with this id, and print its outcome.
    #[arg(long)]
    case: Option<String>,
    /// Run the K-th of N interleaved slices of the cases (1-based), e.g. 2/4.
    #[arg(long, value_parser = ovm_runner::parse_shard)]
    shard: Option<(usize, usize)>,
    /// Run only the native half (revm against the fixtures), not the OVM.
    #[arg(long)]
    native_only: bool,
    /// Opt-in hang detector: a case running longer than this many seconds is reported as an
    /// error (by default a slow case keeps its verdict; its time is in results.json).
    #[arg(long, value_parser = parse_seconds, value_name = "SECS", allow_negative_numbers = true)]
    case_timeout: Option<f64>,
    /// Where run folders are written.
    #[arg(long, default_value = "reports")]
    reports: PathBuf,
    /// Print nothing but the summary totals and failures.
    #[arg(long, short)]
    quiet: bool,
    /// With --case: write EIP-3155 traces of both runs into the run folder, the OVM's in original
    /// instructions and OVM depth (the meter as gas; see `ovm_l2::Eip3155Tracer`), so that
    /// trace-diffing tools compare them line by line.
    #[arg(long, requires = "case")]
    trace: bool,
    /// With --trace: also write the OVM's physical trace, every instruction of transpiled code
    /// (prologue and routines too) with its original pc (see `ovm_l2::PhysicalTracer`).
    #[arg(long, requires = "trace", conflicts_with = "native_only")]
    trace_physical: bool,
    /// Exit 0 even when cases fail (the report still says so).
    #[arg(long)]
    no_fail: bool,
    /// Stop at the first failing case: the cases not yet started are recorded as skipped, with
    /// that reason. For "is anything broken" (e.g. `cargo xtask mutants`), not for figures.
    #[arg(long, conflicts_with = "no_fail")]
    fail_fast: bool,
    /// Watch every Cancun case's native run for what the gas rule looks at (GAS executed, a frame
    /// out of gas), not only the cases that differ: results.json records it per case and the
    /// summary says how many such cases are equal anyway. Costs a second native run per case.
    #[arg(long, conflicts_with = "native_only")]
    gas_facts: bool,
    /// Fail the run if a case is `explained` but not listed in this baseline (one case id per line,
    /// `#` comments): no case drifts silently from `equal` into `explained`. Listed cases that are
    /// now equal are reported; shrink the list with --write-baseline.
    #[arg(long, value_name = "FILE", conflicts_with = "native_only")]
    baseline: Option<PathBuf>,
    /// Write the ids of this run's `explained` cases to FILE, as the baseline of later runs.
    #[arg(long, value_name = "FILE", conflicts_with = "native_only")]
    write_baseline: Option<PathBuf>,
    /// At the end, render the run's HTML report (reports/<run>/index.html; see `cargo xtask report`).
    #[arg(long)]
    html: bool,
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let root = crate::project_root();
    let vectors = args.vectors.resolve()?;
    if vectors.origin == Origin::Embedded {
        eprintln!(
            "note: no ethereum/tests found; running the project's own vectors in vectors/. \
             For the full suite run `cargo xtask vectors`, or pass --vectors DIR or set ${}.",
            ovm_runner::VECTORS_ENV
        );
    }
    if !args.quiet {
        println!("vectors: {}", vectors.root.display());
    }
    let started = Instant::now();
    let files = ovm_runner::vector_files(&vectors.root);
    let selection = Selection { filters: args.filter.clone(), case_id: args.case.clone(), shard: args.shard };
    let loaded = ovm_runner::load(&files, &selection);
    if loaded.is_empty() && loaded.file_errors.is_empty() {
        return Err(match &args.case {
            Some(id) => format!("no case has the id `{id}` in {}", vectors.root.display()),
            None if !args.filter.is_empty() => format!(
                "no case matches --filter {} in {}",
                args.filter.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", "),
                vectors.root.display()
            ),
            None => format!("no state tests or blockchain tests in {}", vectors.root.display()),
        });
    }

    let job = if args.native_only { "native" } else { "differential" };
    let progress = Progress::new(job, loaded.len(), args.quiet || args.case.is_some());
    let budget = args.case_timeout.map(Duration::from_secs_f64);
    let records =
        ovm_runner::run_all(&loaded, budget, args.fail_fast, &progress, |task| match (task, args.native_only) {
            (Task::State(case, setup), true) => ovm_conformance::native_job(&NativeBackend, case, setup),
            (Task::State(case, setup), false) => {
                ovm_conformance::differential_job(&NativeBackend, &L2Backend, case, setup, args.gas_facts)
            }
            (Task::Chain(_, test), true) => ovm_conformance::native_chain_job(&NativeBackend, test),
            (Task::Chain(_, test), false) => ovm_conformance::differential_chain_job(&NativeBackend, &L2Backend, test),
        });
    progress.finish();

    let run_id = ovm_runner::new_run_id(&root.join(&args.reports), job);
    let run_dir = root.join(&args.reports).join(&run_id);
    if let (Some(_), Some(case)) = (&args.case, loaded.cases.first()) {
        print_case(&NativeBackend, case);
        if !args.native_only {
            print_case(&L2Backend, case);
        }
        if args.trace {
            write_traces(case, &run_dir, args.native_only, args.trace_physical)?;
        }
    }
    if let (Some(_), Some(case)) = (&args.case, loaded.chains.first()) {
        print_chain(&NativeBackend, case);
        if !args.native_only {
            print_chain(&L2Backend, case);
        }
        if args.trace {
            crate::chain_trace::write(case, &run_dir, args.native_only)?;
        }
    }

    let run = RunInfo {
        run_id,
        job: job.into(),
        vectors: vectors.root.display().to_string(),
        vectors_origin: format!("{:?}", vectors.origin).to_lowercase(),
        filters: args.filter,
        case: args.case,
        shard: args.shard.map(|(k, n)| format!("{k}/{n}")),
        files: loaded.files,
        wall_seconds: started.elapsed().as_secs_f64(),
        command: Some(command_line()),
        commit: crate::report::git_head(&root),
        cores: std::thread::available_parallelism().ok().map(usize::from),
        em_artifact: crate::report::em_artifact_hash(&root),
    };
    let report = Report::new(run, records, loaded.file_errors);
    let listed = if args.quiet { 20 } else { 50 };
    // Quiet: totals (with their headers), skips, errors and failures only.
    print!("{}", if args.quiet { report.totals_summary(listed) } else { report.summary(listed) });
    if !args.native_only {
        if !args.quiet {
            println!("{}", overhead_summary(&report));
        }
        println!("{}", gas_exactness_summary(&report));
    }
    if args.gas_facts {
        println!("{}", gas_facts_summary(&report));
    }
    let dir = report.write(&root.join(&args.reports)).map_err(|e| format!("cannot write the report: {e}"))?;
    let t = &report.totals;
    println!(
        "{} case{}: {} pass, {} fail, {} error, {} skipped; {} file error(s); {:.1}s; report in {}",
        t.cases,
        if t.cases == 1 { "" } else { "s" },
        t.pass,
        t.fail,
        t.error,
        t.skipped,
        t.file_errors,
        report.run.wall_seconds,
        dir.display()
    );
    if let Some(path) = &args.write_baseline {
        write_baseline(&report, path, &vectors.root)?;
    }
    if args.html {
        let results = crate::report::model::read(&dir)?;
        let index = crate::report::render(&results, &dir, None, crate::report::TRACED_PAGES)?;
        println!("html report: {}", index.display());
    }
    let drifted = match &args.baseline {
        Some(path) => !check_baseline(&report, path)?,
        None => false,
    };
    Ok(if (t.is_clean() && !drifted) || args.no_fail { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// How this run was invoked, as a shell command line (`cargo xtask` and the arguments, quoted).
fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).map(|a| crate::report::shell_quote(&a)).collect();
    format!("cargo xtask {}", args.join(" "))
}

/// The OVM's cost against the native run's, per case: medians of the time and gas ratios.
fn overhead_summary(report: &Report) -> String {
    fn median(mut values: Vec<f64>) -> Option<f64> {
        values.sort_by(f64::total_cmp);
        values.get(values.len() / 2).copied()
    }
    let ratio = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) if b > 0 => Some(a as f64 / b as f64),
        _ => None,
    };
    let time = median(
        report
            .cases
            .iter()
            .filter_map(|c| ratio(c.timings.get("ovm").copied(), c.timings.get("native").copied()))
            .collect(),
    );
    let gas = median(report.cases.iter().filter_map(|c| ratio(c.physical_gas, c.gas_used)).collect());
    match (time, gas) {
        (Some(time), Some(gas)) => {
            format!("ovm/native per case (medians): time {time:.1}x, gas {gas:.1}x (physical gas over native gas)")
        }
        _ => "ovm/native per case: no case ran both halves".into(),
    }
}

/// How many executed cases the OVM reports the native `gas_used` for: the gas-exact meter's progress
/// (`gas_used` is not a compared field until the meter is exact).
fn gas_exactness_summary(report: &Report) -> String {
    let both: Vec<_> = report.cases.iter().filter_map(|c| Some((c.gas_used?, c.gas_used_under_test?))).collect();
    let exact = both.iter().filter(|(native, ovm)| native == ovm).count();
    format!("gas used: the OVM reports the native value in {exact} of {} executed case(s)", both.len())
}

/// `--gas-facts`: how the verdicts split between cases whose native run touched gas and the rest.
fn gas_facts_summary(report: &Report) -> String {
    let (mut touched, mut touched_equal, mut untouched, mut untouched_equal) = (0, 0, 0, 0);
    for case in &report.cases {
        let (Some(observed), Some(verdict)) = (&case.observed, &case.verdict) else { continue };
        let equal = verdict == "equal";
        if observed.is_empty() {
            untouched += 1;
            untouched_equal += usize::from(equal);
        } else {
            touched += 1;
            touched_equal += usize::from(equal);
        }
    }
    format!(
        "gas facts: {untouched} case(s) neither read GAS nor ran a frame out of gas natively ({untouched_equal} equal); \
         {touched} did ({touched_equal} equal anyway)"
    )
}

/// A trace file `name` in the run folder `dir`, buffered, and its path.
pub(crate) fn trace_file(
    dir: &std::path::Path,
    name: &str,
) -> Result<(std::io::BufWriter<std::fs::File>, std::path::PathBuf), String> {
    let path = dir.join(name);
    std::fs::File::create(&path)
        .map(|f| (std::io::BufWriter::new(f), path))
        .map_err(|e| format!("cannot write {name}: {e}"))
}

/// `--trace`: both runs of one case, traced into `dir`.
fn write_traces(case: &Case, dir: &std::path::Path, native_only: bool, physical: bool) -> Result<(), String> {
    let Ok(setup) = &case.setup else { return Err(format!("case {} cannot run, so it has no trace", case.id)) };
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let create = |name: &str| trace_file(dir, name);
    // A rejected transaction executes nothing: there is no trace to write, only the rejection (which
    // the outcome above already shows).
    let rejected = |backend: &dyn Backend| match backend.run(case, setup) {
        Ok(Outcome { tx: TxOutcome::Rejected { kind, .. }, .. }) => Some(kind),
        _ => None,
    };
    match rejected(&NativeBackend) {
        Some(kind) => println!("native: no trace, the transaction is rejected ({kind})"),
        None => {
            let (native_out, native_path) = create("trace-native.jsonl")?;
            NativeBackend.run_traced(case, setup, native_out).map_err(|e| e.to_string())?;
            println!("native trace (EIP-3155): {}", native_path.display());
        }
    }
    if !native_only {
        match rejected(&L2Backend) {
            Some(kind) => println!("ovm: no trace, the transaction is rejected ({kind})"),
            None => {
                let (ovm_out, ovm_path) = create("trace-ovm.jsonl")?;
                L2Backend.run_traced(case, setup, ovm_out).map_err(|e| e.to_string())?;
                println!("ovm trace (EIP-3155, original instructions): {}", ovm_path.display());
                if physical {
                    let (out, path) = create("trace-ovm-physical.jsonl")?;
                    L2Backend.run_traced_physical(case, setup, out).map_err(|e| e.to_string())?;
                    println!("ovm physical trace: {}", path.display());
                }
            }
        }
    }
    Ok(())
}

/// `--case`: what a backend produced, for a reader chasing one case.
fn print_case(backend: &dyn Backend, case: &Case) {
    println!("case {} ({})", case.id, backend.name());
    let Ok(setup) = &case.setup else { return };
    match backend.run(case, setup) {
        Ok(outcome) => describe(&outcome),
        Err(e) => println!("  {} backend error: {e}", backend.name()),
    }
}

/// `--case` on a blockchain test: what a backend produced, block by block.
fn print_chain(backend: &dyn Backend, case: &BlockchainCase) {
    println!("case {} ({})", case.id, backend.name());
    let Ok(test) = &case.test else { return };
    let outcome = match backend.run_blocks(test) {
        Ok(outcome) => outcome,
        Err(e) => return println!("  {} backend error: {e}", backend.name()),
    };
    for (i, block) in outcome.blocks.iter().enumerate() {
        println!("block {i}: gas used {}, blob gas used {}", block.gas_used, block.blob_gas_used);
        for (j, (tx, post_state)) in block.txs.iter().zip(&block.tx_states).enumerate() {
            println!(" transaction {j}:");
            describe(&Outcome { tx: tx.clone(), post_state: post_state.clone() });
        }
        println!(" after the block: state root {}", ovm_backend::state_root(&block.post_state));
    }
}

fn describe(outcome: &Outcome) {
    match &outcome.tx {
        TxOutcome::Rejected { kind, detail } => println!("  rejected: {kind} ({detail})"),
        TxOutcome::Executed(e) => {
            println!("  status: {:?}, gas used: {}, output: 0x{}", e.status, e.gas_used, hex(&e.output));
            for log in &e.logs {
                let topics: Vec<String> = log.topics().iter().map(|t| t.to_string()).collect();
                println!("  log {} [{}] 0x{}", log.address, topics.join(", "), hex(&log.data.data));
            }
        }
    }
    println!("  state root: {}", ovm_backend::state_root(&outcome.post_state));
    for (address, account) in &outcome.post_state {
        println!(
            "  {address}: balance {}, nonce {}, code {} bytes",
            account.balance,
            account.nonce,
            account.code.len()
        );
        for (key, value) in &account.storage {
            println!("    [{key:#x}] = {value:#x}");
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `YYYYMMDDTHHMMSSZ-<job>`, with `-2`, `-3`... when a run of the same second exists.
/// A positive, finite number of seconds that a `Duration` can hold.
fn parse_seconds(text: &str) -> Result<f64, String> {
    let seconds: f64 = text.parse().map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !seconds.is_finite() || seconds <= 0.0 || Duration::try_from_secs_f64(seconds).is_err() {
        return Err(format!("`{text}` is not a positive, finite number of seconds"));
    }
    Ok(seconds)
}

/// `--write-baseline`: the run's explained cases, as the baseline of later runs.
fn write_baseline(report: &Report, path: &std::path::Path, vectors: &std::path::Path) -> Result<(), String> {
    let folder =
        vectors.file_name().map_or_else(|| vectors.display().to_string(), |n| n.to_string_lossy().into_owned());
    let text = Baseline::text_of(report, &folder);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, &text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let count = text.lines().filter(|l| !l.starts_with('#')).count();
    println!("baseline: wrote {count} explained case(s) to {}", path.display());
    Ok(())
}

/// `--baseline`: whether every explained case of the run is listed; prints what drifted either way.
fn check_baseline(report: &Report, path: &std::path::Path) -> Result<bool, String> {
    let drift = Baseline::read(path)?.check(report);
    if drift.now_equal > 0 {
        println!(
            "baseline: {} listed case(s) are equal now; shrink {} with --write-baseline",
            drift.now_equal,
            path.display()
        );
    }
    let new = &drift.newly_explained;
    if new.is_empty() {
        println!("baseline: every explained case is listed in {}", path.display());
        return Ok(true);
    }
    println!("FAIL baseline: {} case(s) are explained but not listed in {}:", new.len(), path.display());
    for id in new.iter().take(20) {
        println!("  {id}");
    }
    if new.len() > 20 {
        println!("  ... and {} more", new.len() - 20);
    }
    Ok(false)
}
