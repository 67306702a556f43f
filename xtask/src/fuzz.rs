//! `cargo xtask fuzz [TARGET] --time SECS [--jobs N]`: a libFuzzer campaign on one of `fuzz/`'s
//! targets, through cargo-fuzz (installed if missing). On stable Rust it runs with `-s none` (and
//! `RUSTC_BOOTSTRAP=1`, which cargo-fuzz's flags need); where a nightly toolchain exists it uses the
//! address sanitizer. New inputs go to a working corpus under `target/fuzz-corpus/TARGET`; the
//! committed seeds in `fuzz/corpus/TARGET` are read, never written.
//!
//! It prints libFuzzer's figures (executions, executions per second, coverage), the differential
//! target's own counts (scenarios, discarded by a documented rule), and every crash. A crash of the
//! `differential` target is minimized (`ovm_scenario::minimize`, keeping its signature) and
//! written, filled, as a regression vector into `vectors/regressions/`, which `cargo test` runs
//! from then on; another target's crash input is kept in `fuzz/regressions/TARGET/`. Any crash
//! fails the command. `--minimize FILE` turns a given differential input into its regression vector
//! without fuzzing.

use ovm_scenario::{minimize, Bounds, Finding, Form, Scenario};
use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Instant,
};

#[derive(clap::Args)]
pub struct Args {
    /// The fuzz target (`differential`, `transpile`, `isolation`, `fixture`), or `all`.
    #[arg(default_value = "differential")]
    target: String,
    /// Seconds of fuzzing (per target with `all`).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=604_800))]
    time: u64,
    /// Parallel fuzzing processes.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=256))]
    jobs: u64,
    /// The sanitizer: `none` works on stable Rust; `address` needs a nightly toolchain (the default
    /// when one is installed).
    #[arg(long, value_parser = ["none", "address"])]
    sanitizer: Option<String>,
    /// Instead of fuzzing: time the differential pipeline's phases over this many generated
    /// scenarios (deterministic inputs, no instrumentation), the bench behind the throughput figure.
    #[arg(long, value_name = "N", conflicts_with_all = ["minimize"])]
    profile: Option<usize>,
    /// With --profile: profile (up to N of) the inputs in this folder, e.g. a working corpus
    /// (`target/fuzz-corpus/differential`), instead of random 1 KiB inputs.
    #[arg(long, value_name = "DIR", requires = "profile")]
    corpus: Option<PathBuf>,
    /// Turn this differential input into a minimized regression vector, without fuzzing.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["time", "jobs"])]
    minimize: Option<PathBuf>,
    /// The differential scenarios' bounds: `full` (2–6 contracts, 1–8 transactions) or `small`
    /// (2–4 contracts, 1–3 transactions: a quicker campaign). Also for --minimize and --profile: an
    /// input is the same scenario only under the same bounds.
    #[arg(long, default_value = "full", value_parser = ["full", "small"])]
    scenarios: String,
}

pub fn run(args: Args) -> Result<std::process::ExitCode, String> {
    let root = crate::project_root();
    let bounds = Bounds::named(&args.scenarios)?;
    if let Some(input) = &args.minimize {
        let bytes = std::fs::read(input).map_err(|e| format!("cannot read {}: {e}", input.display()))?;
        let (path, size) = write_regression(&root, &bytes, bounds)?;
        println!("regression vector: {} ({size})", path.display());
        return Ok(std::process::ExitCode::SUCCESS);
    }
    if let Some(n) = args.profile {
        return profile(n, args.corpus.as_deref(), bounds).map(|()| std::process::ExitCode::SUCCESS);
    }
    let targets = fuzz_targets(&root)?;
    let chosen: Vec<String> = if args.target == "all" {
        targets.clone()
    } else if targets.contains(&args.target) {
        vec![args.target.clone()]
    } else {
        return Err(format!("no fuzz target `{}`; the targets are {} (or `all`)", args.target, targets.join(", ")));
    };
    ensure_cargo_fuzz()?;
    let sanitizer = args.sanitizer.unwrap_or_else(|| if has_nightly() { "address" } else { "none" }.to_owned());
    let mut crashed = false;
    for target in &chosen {
        crashed |= campaign(&root, target, args.time, args.jobs, &sanitizer, bounds)?;
    }
    Ok(if crashed { std::process::ExitCode::FAILURE } else { std::process::ExitCode::SUCCESS })
}

/// The `[[bin]]` names of `fuzz/Cargo.toml`.
fn fuzz_targets(root: &Path) -> Result<Vec<String>, String> {
    let manifest = root.join("fuzz/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
    let mut names = Vec::new();
    let mut in_bin = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if let Some(name) = line.strip_prefix("name = ").filter(|_| in_bin) {
            names.push(name.trim_matches('"').to_owned());
        }
    }
    Ok(names)
}

fn ensure_cargo_fuzz() -> Result<(), String> {
    let installed = Command::new("cargo").args(["fuzz", "--version"]).output().is_ok_and(|o| o.status.success());
    if installed {
        return Ok(());
    }
    eprintln!("cargo-fuzz is not installed; installing it (cargo install cargo-fuzz --locked)");
    let status = Command::new("cargo")
        .args(["install", "cargo-fuzz", "--locked"])
        .status()
        .map_err(|e| format!("cannot run cargo install: {e}"))?;
    if !status.success() {
        return Err(format!("`cargo install cargo-fuzz` failed ({status})"));
    }
    Ok(())
}

fn has_nightly() -> bool {
    Command::new("rustc").args(["+nightly", "--version"]).output().is_ok_and(|o| o.status.success())
}

/// What libFuzzer and the target said, read off their output.
#[derive(Default, Debug)]
struct Stats {
    executions: Option<u64>,
    per_second: Option<u64>,
    coverage: Option<u64>,
    scenarios: Option<u64>,
    state_tests: Option<u64>,
    discarded: Option<u64>,
}

impl Stats {
    fn read(&mut self, line: &str) {
        let number = |text: &str| text.split_whitespace().next().and_then(|n| n.trim_end_matches(',').parse().ok());
        if let Some(rest) = line.strip_prefix("stat::number_of_executed_units:") {
            self.executions = number(rest);
        } else if let Some(rest) = line.strip_prefix("stat::average_exec_per_sec:") {
            self.per_second = number(rest);
        } else if let Some(rest) = line.strip_prefix("ovm-fuzz: scenarios ") {
            self.scenarios = number(rest);
            self.state_tests = rest.split("state-tests ").nth(1).and_then(number);
            self.discarded = rest.split("discarded-by-rule ").nth(1).and_then(number);
        }
        if let Some(rest) = line.split(" cov: ").nth(1) {
            self.coverage = number(rest);
        }
    }
}

/// A target's working corpus, where libFuzzer adds what it finds (`/TARGET` under it).
pub const WORKING_CORPUS: &str = "target/fuzz-corpus";
/// Crash inputs (`/TARGET` under it).
pub const ARTIFACTS: &str = "fuzz/artifacts";

/// Runs one target; whether it crashed.
fn campaign(root: &Path, target: &str, time: u64, jobs: u64, sanitizer: &str, bounds: Bounds) -> Result<bool, String> {
    let corpus = root.join(WORKING_CORPUS).join(target);
    let seeds = root.join("fuzz/corpus").join(target);
    let artifacts = root.join(ARTIFACTS).join(target);
    for dir in [&corpus, &artifacts] {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let cargo_fuzz = |verb: &str| {
        let mut command = Command::new("cargo");
        if sanitizer == "none" {
            // cargo-fuzz passes flags only nightly accepts; stable accepts them with this.
            command.env("RUSTC_BOOTSTRAP", "1");
        } else {
            command.arg("+nightly");
        }
        // -O: see fuzz/Cargo.toml (the project's crates keep their overflow checks).
        command.args(["fuzz", verb, "-O", target, "--sanitizer", sanitizer, "--no-trace-compares"]);
        command.current_dir(root);
        command
    };
    // Built first, so that the campaign's clock (and its time to a first crash) is fuzzing only.
    let built = cargo_fuzz("build").status().map_err(|e| format!("cannot run cargo fuzz build: {e}"))?;
    if !built.success() {
        return Err(format!("cargo fuzz build {target} failed ({built})"));
    }
    let mut command = cargo_fuzz("run");
    command.env("OVM_SCENARIO_BOUNDS", if bounds == Bounds::SMALL { "small" } else { "full" });
    // (--no-trace-compares, above: the differential target's inputs are structure, not magic
    // values to match, and tracing comparisons through two EVMs costs more executions than it
    // finds. Every target is built the same way, the dictionaries giving the others their magic
    // values, so that one build of the dependencies serves all of them.)
    command.arg(&corpus);
    if seeds.is_dir() {
        command.arg(&seeds);
    }
    command.arg("--");
    command.arg(format!("-max_total_time={time}"));
    command.arg("-print_final_stats=1");
    command.arg(format!("-artifact_prefix={}/", artifacts.display()));
    let dict = root.join("fuzz/dicts").join(if target == "fixture" { "json.dict" } else { "evm.dict" });
    if dict.is_file() {
        command.arg(format!("-dict={}", dict.display()));
    }
    if jobs > 1 {
        command.arg(format!("-jobs={jobs}")).arg(format!("-workers={jobs}"));
    }
    command.stdout(Stdio::null()).stderr(Stdio::piped());
    println!("fuzzing {target} for {time}s ({jobs} job{}, sanitizer {sanitizer})", if jobs == 1 { "" } else { "s" },);
    let before = crash_files(&artifacts);
    let started = Instant::now();
    let mut child = command.spawn().map_err(|e| format!("cannot run cargo fuzz: {e}"))?;
    // libFuzzer's status lines (`#N pulse ... exec/s`) are progress: shown on a terminal only.
    let show_progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut stats = Stats::default();
    let mut last_lines = std::collections::VecDeque::new();
    if let Some(stderr) = child.stderr.take() {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            stats.read(&line);
            if show_progress && line.starts_with('#') {
                eprintln!("{target}: {line}");
            }
            last_lines.push_back(line);
            if last_lines.len() > 60 {
                last_lines.pop_front();
            }
        }
    }
    let status = child.wait().map_err(|e| format!("cargo fuzz: {e}"))?;
    let elapsed = started.elapsed();
    let text = last_lines.iter().map(String::as_str).collect::<Vec<_>>().join("\n");
    // With -jobs, each worker logs to fuzz-N.log in the working directory.
    for log in (0..jobs).map(|i| root.join(format!("fuzz-{i}.log"))) {
        if let Ok(text) = std::fs::read_to_string(&log) {
            text.lines().for_each(|line| stats.read(line));
            let _ = std::fs::remove_file(log);
        }
    }
    let show = |v: Option<u64>| v.map_or_else(|| "?".to_owned(), |v| v.to_string());
    println!(
        "{target}: {} executions, {} per second, coverage {}{}",
        show(stats.executions),
        show(stats.per_second),
        show(stats.coverage),
        match stats.scenarios {
            Some(n) => format!(
                ", {n} scenarios ({} as state tests), {} discarded by a documented rule",
                show(stats.state_tests),
                show(stats.discarded)
            ),
            None => String::new(),
        }
    );
    let new: Vec<PathBuf> = crash_files(&artifacts).into_iter().filter(|f| !before.contains(f)).collect();
    if status.success() && new.is_empty() {
        println!("{target}: no crash");
        return Ok(false);
    }
    if new.is_empty() {
        return Err(format!("cargo fuzz run {target} failed without a crash input:\n{text}"));
    }
    println!("first divergence after {:.1}s", elapsed.as_secs_f64());
    // What the target said about the crash (a differential one: the differences).
    let said: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("divergent") || l.contains("panicked") || l.contains("block "))
        .take(12)
        .collect();
    for line in said {
        println!("{target}: {line}");
    }
    for crash in &new {
        println!("{target}: CRASH {}", crash.display());
        if target == "differential" {
            let bytes = std::fs::read(crash).map_err(|e| format!("cannot read {}: {e}", crash.display()))?;
            let (path, size) = write_regression(root, &bytes, bounds)?;
            println!(
                "{target}: minimized regression vector {} ({size}; crash input {} B)",
                path.display(),
                bytes.len()
            );
        } else {
            let dir = root.join("fuzz/regressions").join(target);
            std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            let kept = dir.join(crash.file_name().unwrap_or_default());
            std::fs::copy(crash, &kept).map_err(|e| format!("cannot copy {}: {e}", crash.display()))?;
            println!("{target}: reproducer kept in {}", kept.display());
        }
    }
    Ok(true)
}

fn crash_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return vec![] };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            ["crash-", "timeout-", "oom-", "leak-"].iter().any(|prefix| name.starts_with(prefix))
        })
        .collect();
    files.sort();
    files
}

/// Minimizes a divergent differential input and writes it, filled, to `vectors/regressions/`; its
/// path and its size in words. An input that is not divergent (fixed since, or an error) is written
/// as it is, said so.
fn write_regression(root: &Path, bytes: &[u8], bounds: Bounds) -> Result<(PathBuf, String), String> {
    let scenario = Scenario::from_bytes_within(bytes, bounds);
    let finding = scenario.differential();
    let (scenario, signature, what) = match &finding {
        Finding::Divergent { signature, lines } => {
            let small = minimize(&scenario, 2_000);
            let first = match small.differential() {
                Finding::Divergent { lines, .. } => lines.first().cloned().unwrap_or_default(),
                _ => lines.first().cloned().unwrap_or_default(),
            };
            (small, signature.clone(), format!("divergent ({signature}) when found: {first}"))
        }
        Finding::Error(e) => (scenario, "error".to_owned(), format!("a backend error when found: {e}")),
        Finding::Equal | Finding::Explained(_) => (scenario, "equal".to_owned(), "equal when written".to_owned()),
    };
    let digest = alloy_primitives::keccak256(bytes);
    let name = format!("differential_{signature}_{}", alloy_primitives::hex::encode(&digest[..4]));
    let comment = format!(
        "A differential fuzzing reproducer, minimized: {what}. `cargo test` requires it to be equal natively and \
         through the OVM after every transaction."
    );
    let json = scenario.to_json(&name, &comment);
    let text = serde_json::to_string_pretty(&json).map_err(|e| e.to_string())? + "\n";
    let dir = root.join("vectors/regressions");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(format!("{name}.json"));
    let rel = format!("vectors/regressions/{name}.json");
    let (filled, _) = crate::fill::fill_text(&text, &rel).map_err(|errors| errors.join("\n"))?;
    std::fs::write(&path, &filled).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let test = scenario.to_test();
    let code: usize = test.pre.values().map(|a| a.code.len()).sum();
    let size = format!(
        "{} transaction{}, {} account{} with {code} B of code, {} B of JSON",
        test.transaction_count(),
        if test.transaction_count() == 1 { "" } else { "s" },
        test.pre.len(),
        if test.pre.len() == 1 { "" } else { "s" },
        filled.len()
    );
    Ok((path, size))
}

/// `--profile N [--corpus DIR]`: the differential pipeline, phase by phase, on one thread, over N
/// random 1 KiB inputs or the first N inputs of a corpus (in file-name order).
fn profile(n: usize, corpus: Option<&Path>, bounds: Bounds) -> Result<(), String> {
    use std::time::Duration;
    let inputs: Vec<Vec<u8>> = match corpus {
        None => {
            let mut random = ovm_scenario::XorShift(0x2545_f491_4f6c_dd1d);
            (0..n).map(|_| random.bytes(1024)).collect()
        }
        Some(dir) => {
            let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
                .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            files.sort();
            files.truncate(n);
            let inputs: Vec<Vec<u8>> = files.iter().filter_map(|f| std::fs::read(f).ok()).collect();
            let mean = inputs.iter().map(Vec::len).sum::<usize>() / inputs.len().max(1);
            println!("{} inputs from {}, {mean} bytes on average", inputs.len(), dir.display());
            inputs
        }
    };
    let mut rows: Vec<(ovm_scenario::Phases, Scenario)> = Vec::with_capacity(n);
    let started = Instant::now();
    for input in &inputs {
        let (finding, phases, scenario) = ovm_scenario::profile(input, bounds)?;
        match finding {
            Finding::Divergent { lines, .. } => {
                return Err(format!("a profiled scenario diverges: {}", lines.join("; ")))
            }
            Finding::Error(e) => return Err(format!("a profiled scenario errs: {e}")),
            Finding::Equal | Finding::Explained(_) => {}
        }
        rows.push((phases, scenario));
    }
    let wall = started.elapsed();
    let report = |name: &str, keep: &dyn Fn(&Scenario) -> bool| {
        let chosen: Vec<&ovm_scenario::Phases> = rows.iter().filter(|(_, s)| keep(s)).map(|(p, _)| p).collect();
        if chosen.is_empty() {
            return;
        }
        let phase = |f: &dyn Fn(&ovm_scenario::Phases) -> Duration| {
            let mut v: Vec<Duration> = chosen.iter().map(|p| f(p)).collect();
            v.sort();
            let total: Duration = v.iter().sum();
            (v[v.len() / 2], total)
        };
        let phases: [(&str, (Duration, Duration)); 5] = [
            ("generation", phase(&|p| p.generation)),
            ("native", phase(&|p| p.native)),
            ("ovm genesis", phase(&|p| p.ovm_genesis)),
            ("ovm execution", phase(&|p| p.ovm_execution)),
            ("compare", phase(&|p| p.compare)),
        ];
        let total: Duration = phases.iter().map(|(_, (_, t))| *t).sum();
        println!(
            "{name}: {} scenarios, {:.0} per second on one thread",
            chosen.len(),
            chosen.len() as f64 / total.as_secs_f64()
        );
        for (label, (median, sum)) in phases {
            println!(
                "  {label:<14} median {:>7.1} us, {:>5.1}% of the time",
                median.as_secs_f64() * 1e6,
                100.0 * sum.as_secs_f64() / total.as_secs_f64()
            );
        }
    };
    // Every scenario has at least 2 contracts and a transaction.
    let small = |s: &Scenario| {
        s.contracts.len() <= Bounds::SMALL.max_contracts && s.transaction_count() <= Bounds::SMALL.max_transactions
    };
    report("all", &|_| true);
    report("2-4 contracts, 1-3 transactions", &small);
    report("  of which chains", &|s| small(s) && s.form == Form::Chain);
    report("  of which state tests", &|s| small(s) && s.form == Form::StateTest);
    println!("wall time {:.1}s", wall.as_secs_f64());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ovm_native::NativeBackend;
    use ovm_runner::CaseStatus;
    use ovm_scenario::XorShift;

    #[test]
    fn the_targets_counts_are_read_off_its_lines() {
        let mut stats = Stats::default();
        stats.read("ovm-fuzz: scenarios 4096, state-tests 500, discarded-by-rule 3");
        stats.read("stat::average_exec_per_sec:     1032");
        stats.read("#4096\tpulse  cov: 6589 ft: 20000 corp: 300/90Kb exec/s: 1000 rss: 60Mb");
        let read = (stats.scenarios, stats.state_tests, stats.discarded, stats.per_second, stats.coverage);
        assert_eq!(read, (Some(4096), Some(500), Some(3), Some(1032), Some(6589)));
    }

    /// A reproducer is written in its scenario's form (a blockchain test, or a state test), filled:
    /// it loads as the suite loads a vector, the native run meets its recorded hashes, and filling
    /// it again changes nothing.
    #[test]
    fn a_reproducer_is_written_filled_in_its_scenarios_form() {
        let root = std::env::temp_dir().join(format!("ovm-xtask-regression-{}", std::process::id()));
        for form in [Form::Chain, Form::StateTest] {
            let input = (1u64..)
                .map(|seed| XorShift(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)).bytes(1024))
                .find(|bytes| Scenario::from_bytes(bytes).form == form)
                .unwrap();
            let (path, size) = write_regression(&root, &input, Bounds::FULL).unwrap();
            assert!(size.contains("transaction"), "{size}");
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(ovm_fixture::is_blockchain_text(&text), form == Form::Chain, "{form:?}");
            let loaded = ovm_fixture::load_vector_file(&path, "regression.json");
            assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
            let statuses: Vec<CaseStatus> = match form {
                Form::Chain => loaded
                    .chains
                    .iter()
                    .map(|chain| ovm_conformance::native_chain_job(&NativeBackend, chain.test.as_ref().unwrap()).status)
                    .collect(),
                Form::StateTest => loaded
                    .cases
                    .iter()
                    .map(|case| ovm_conformance::native_job(&NativeBackend, case, case.setup.as_ref().unwrap()).status)
                    .collect(),
            };
            assert_eq!(statuses, vec![CaseStatus::Pass], "{form:?}");
            assert!(crate::fill::fill_text(&text, "regression.json").unwrap().1, "{form:?}: filled twice differs");
        }
        std::fs::remove_dir_all(&root).unwrap();
    }
}
