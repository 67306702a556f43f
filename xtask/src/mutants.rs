//! `cargo xtask mutants`: the project's detection power, measured. Each patch of a catalogue
//! (`fuzz/mutants/*.patch`, or `--patches DIR`) is a realistic bug; for each, a scratch copy of the
//! repository (one git worktree, reset between mutants) gets the patch, the EM artifact is rebuilt
//! when a `.sol` file changed (`cargo xtask em` in the scratch copy), and the detectors run in
//! order, stopping at the first that catches the mutant (`--all-detectors`: all of them):
//!
//! 1. `own-tests`: `cargo test --release -p ovm-conformance` (its `ovm_vectors`, `blocks`, `traces` tests);
//! 2. `own-vectors`: `cargo xtask conformance --vectors vectors`;
//! 3. `shared-state` and 4. `shared-blockchain`: one `cargo xtask conformance --fail-fast` over the
//!    shared ethereum/tests checkout, attributed by the `kinds` of its results.json (a kind the
//!    stopped run did not reach is "not run");
//! 5. `fuzz`: `cargo xtask fuzz differential --time T` from the committed corpus (reported as
//!    unavailable when the scratch copy has no such command), its time to first divergence parsed
//!    from its `first divergence after N.Ns` line.
//!
//! The scratch copy is the commit `--base` (default `HEAD`), not the working tree. All scratch builds
//! share one target dir (`target/mutants/target`, seeded once from `target/release`), so each mutant
//! rebuilds incrementally. Every detector's output is kept in `target/mutants/logs/`. Exit status:
//! non-zero when a mutant survives every detector that ran (a patch that does not apply or build
//! is reported as such, not as caught).

use std::{
    fmt::Write as _,
    fs,
    path::{Path, PathBuf},
    process::{Command, ExitCode, Stdio},
    time::Instant,
};

#[derive(clap::Args)]
pub struct Args {
    /// Folder of mutant patches (`*.patch`, each applying with `git apply` at the repository root;
    /// its first line, before the diff, says what the bug is).
    #[arg(long, default_value = "fuzz/mutants")]
    patches: PathBuf,
    /// Seconds the differential fuzzer gets per mutant.
    #[arg(long, default_value_t = 120)]
    time: u64,
    /// Run only the mutants whose file name contains this text (repeatable: any matches).
    #[arg(long)]
    only: Vec<String>,
    /// Run every detector on every mutant instead of stopping at the first that catches it.
    #[arg(long)]
    all_detectors: bool,
    /// Run only these detectors, in the usual order (comma-separated): own-tests, own-vectors,
    /// shared (both shared kinds), fuzz. Default: all.
    #[arg(long, value_delimiter = ',')]
    detectors: Vec<String>,
    /// The shared ethereum/tests checkout. Default: $ETHEREUM_TESTS, then vectors/ethereum-tests, then
    /// ../shared/vectors/ethereum-tests (the shared detectors are unavailable without one).
    #[arg(long)]
    shared_vectors: Option<PathBuf>,
    /// The commit the scratch copy starts from.
    #[arg(long, default_value = "HEAD")]
    base: String,
    /// Where the scratch worktree, its target dir and the logs live.
    #[arg(long, default_value = "target/mutants")]
    work: PathBuf,
}

const OWN_TESTS: &str = "own-tests";
const OWN_VECTORS: &str = "own-vectors";
const SHARED_STATE: &str = "shared-state";
const SHARED_BLOCKCHAIN: &str = "shared-blockchain";
const FUZZ: &str = "fuzz";

/// What one detector said about one mutant.
#[derive(Clone, Debug, PartialEq)]
enum Verdict {
    Caught(String),
    Missed,
    Unavailable(String),
    NotRun,
}

struct MutantResult {
    name: String,
    description: String,
    /// `None`: the detectors ran; `Some`: the patch did not apply or build.
    broken: Option<String>,
    detectors: Vec<(&'static str, Verdict)>,
    fuzz_first_divergence: Option<String>,
    /// The fuzzer's minimized reproducer: its size, and where a copy is kept.
    reproducer: Option<String>,
    seconds: f64,
}

impl MutantResult {
    fn caught_by(&self) -> Vec<&'static str> {
        self.detectors.iter().filter(|(_, v)| matches!(v, Verdict::Caught(_))).map(|(d, _)| *d).collect()
    }
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let root = crate::project_root();
    let patches_dir = absolute(&root, &args.patches);
    let work = absolute(&root, &args.work);
    let mut patches: Vec<PathBuf> = fs::read_dir(&patches_dir)
        .map_err(|e| format!("cannot read {}: {e}", patches_dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "patch"))
        .filter(|p| args.only.is_empty() || args.only.iter().any(|o| file_stem(p).contains(o.as_str())))
        .collect();
    patches.sort();
    if patches.is_empty() {
        return Err(format!("no *.patch in {} (matching --only)", patches_dir.display()));
    }
    let wanted = |d: &str| {
        args.detectors.is_empty() || args.detectors.iter().any(|w| w == d || (w == "shared" && d.starts_with("shared")))
    };
    let shared = shared_vectors(&root, args.shared_vectors.as_deref());

    let tree = work.join("tree");
    let target = work.join("target");
    let logs = work.join("logs");
    fs::create_dir_all(&logs).map_err(|e| format!("cannot create {}: {e}", logs.display()))?;
    let base = git_output(&root, &["rev-parse", "--verify", &format!("{}^{{commit}}", args.base)])?;
    prepare_tree(&root, &tree, &base)?;
    seed_target(&root, &target);

    eprintln!(
        "mutants: {} patches from {}, scratch {} at {}",
        patches.len(),
        patches_dir.display(),
        tree.display(),
        &base[..12]
    );
    let mut results = Vec::new();
    for patch in &patches {
        let name = file_stem(patch).to_owned();
        let description = describe(patch);
        eprintln!("\n== {name}: {description}");
        let started = Instant::now();
        let mut result = MutantResult {
            name: name.clone(),
            description,
            broken: None,
            detectors: Vec::new(),
            fuzz_first_divergence: None,
            reproducer: None,
            seconds: 0.0,
        };
        let ctx = Ctx { tree: &tree, target: &target, logs: &logs, name: &name };
        match apply_and_build(&ctx, &base, patch) {
            Err(broken) => {
                eprintln!("   {broken}");
                result.broken = Some(broken);
            }
            Ok(()) => {
                let mut done = false;
                let record = |r: &mut MutantResult, d: &'static str, v: Verdict| {
                    eprintln!("   {d}: {}", show(&v));
                    r.detectors.push((d, v));
                };
                for detector in [OWN_TESTS, OWN_VECTORS] {
                    if !wanted(detector) {
                        continue;
                    }
                    let v = if done { Verdict::NotRun } else { ctx.own(detector) };
                    done |= matches!(v, Verdict::Caught(_)) && !args.all_detectors;
                    record(&mut result, detector, v);
                }
                if wanted(SHARED_STATE) {
                    let (state, chain) = match (&shared, done) {
                        (_, true) => (Verdict::NotRun, Verdict::NotRun),
                        (None, _) => {
                            let why = "no shared ethereum/tests checkout".to_owned();
                            (Verdict::Unavailable(why.clone()), Verdict::Unavailable(why))
                        }
                        (Some(dir), false) => ctx.shared(dir),
                    };
                    done |= (matches!(state, Verdict::Caught(_)) || matches!(chain, Verdict::Caught(_)))
                        && !args.all_detectors;
                    record(&mut result, SHARED_STATE, state);
                    record(&mut result, SHARED_BLOCKCHAIN, chain);
                }
                if wanted(FUZZ) {
                    let v = if done {
                        Verdict::NotRun
                    } else {
                        let (v, first, reproducer) = ctx.fuzz(args.time);
                        result.fuzz_first_divergence = first;
                        result.reproducer = reproducer;
                        v
                    };
                    record(&mut result, FUZZ, v);
                }
            }
        }
        result.seconds = started.elapsed().as_secs_f64();
        results.push(result);
    }
    // Leave the scratch tree clean for the next run.
    let _ = reset_tree(&tree, &base);

    let table = render(&results);
    println!("\n{table}");
    let _ = fs::write(work.join("results.md"), &table);
    let survivors: Vec<&str> =
        results.iter().filter(|r| r.broken.is_none() && r.caught_by().is_empty()).map(|r| r.name.as_str()).collect();
    let broken = results.iter().filter(|r| r.broken.is_some()).count();
    let caught = results.iter().filter(|r| !r.caught_by().is_empty()).count();
    println!(
        "{} mutants: {caught} caught, {} survived, {broken} did not apply or build (logs in {})",
        results.len(),
        survivors.len(),
        logs.display()
    );
    if survivors.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        println!("survived: {}", survivors.join(", "));
        Ok(ExitCode::FAILURE)
    }
}

struct Ctx<'a> {
    tree: &'a Path,
    target: &'a Path,
    logs: &'a Path,
    name: &'a str,
}

impl Ctx<'_> {
    /// A cargo command in the scratch tree, on the shared scratch target dir.
    fn cargo(&self, args: &[&str]) -> Command {
        let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        command.args(args).current_dir(self.tree).env("CARGO_TARGET_DIR", self.target);
        command
    }

    /// Runs `command`, its output in the log `<mutant>.<step>.log`; (success, output).
    fn run(&self, step: &str, mut command: Command) -> (bool, String) {
        let log = self.logs.join(format!("{}.{step}.log", self.name));
        let output = command.stdin(Stdio::null()).output();
        let (ok, text) = match output {
            Ok(o) => {
                let mut text = String::from_utf8_lossy(&o.stdout).into_owned();
                text.push_str(&String::from_utf8_lossy(&o.stderr));
                (o.status.success(), text)
            }
            Err(e) => (false, format!("cannot run {command:?}: {e}")),
        };
        let _ = fs::write(&log, format!("$ {command:?}\n{text}"));
        (ok, text)
    }

    fn log_name(&self, step: &str) -> String {
        format!("{}.{step}.log", self.name)
    }

    fn own(&self, detector: &'static str) -> Verdict {
        let (ok, text) = match detector {
            OWN_TESTS => self.run(
                detector,
                self.cargo(&[
                    "test",
                    "--release",
                    "-p",
                    "ovm-conformance",
                    "--test",
                    "ovm_vectors",
                    "--test",
                    "blocks",
                    "--test",
                    "traces",
                ]),
            ),
            _ => {
                let reports = self.tree.join("reports/mutants-own");
                let _ = fs::remove_dir_all(&reports);
                let mut command = self.cargo(&["xtask", "conformance", "--quiet", "--vectors", "vectors", "--reports"]);
                command.arg(&reports);
                let (ok, text) = self.run(detector, command);
                if let Some(summary) = read_results(&reports) {
                    let bad = summary.failing(None);
                    return match bad {
                        0 if ok => Verdict::Missed,
                        0 => Verdict::Caught(format!("exit status (see {})", self.log_name(detector))),
                        n => Verdict::Caught(format!("{n} cases")),
                    };
                }
                (ok, text)
            }
        };
        if ok {
            Verdict::Missed
        } else {
            Verdict::Caught(first_failure(&text).unwrap_or_else(|| format!("see {}", self.log_name(detector))))
        }
    }

    /// One conformance run over the shared checkout: (state-test verdict, blockchain-test verdict).
    fn shared(&self, dir: &Path) -> (Verdict, Verdict) {
        let reports = self.tree.join("reports/mutants-shared");
        let _ = fs::remove_dir_all(&reports);
        // --fail-fast: a caught mutant stops at its first failing case; only survivors run it all.
        let mut command = self.cargo(&["xtask", "conformance", "--quiet", "--fail-fast", "--vectors"]);
        command.arg(dir).arg("--reports").arg(&reports);
        let (ok, _) = self.run("shared", command);
        let Some(summary) = read_results(&reports) else {
            let why = format!("no results.json (see {})", self.log_name("shared"));
            return (Verdict::Unavailable(why.clone()), Verdict::Unavailable(why));
        };
        let verdict = |kind: &str| match (summary.failing(Some(kind)), summary.not_run(kind)) {
            (0, 0) => Verdict::Missed,
            (0, _) => Verdict::NotRun,
            (n, 0) => Verdict::Caught(format!("{n} of {} cases", summary.cases(kind))),
            (n, _) => Verdict::Caught(format!("{n} before the run stopped")),
        };
        let (state, chain) = (verdict("state"), verdict("blockchain"));
        if !ok && state == Verdict::Missed && chain == Verdict::Missed {
            // Non-zero exit with no failing case of either kind (file errors, a baseline): say so.
            return (Verdict::Caught(format!("exit status (see {})", self.log_name("shared"))), chain);
        }
        (state, chain)
    }

    /// The differential fuzzer from the committed corpus for `time` seconds.
    /// (verdict, time to the first divergence, the minimized reproducer's size and kept copy).
    fn fuzz(&self, time: u64) -> (Verdict, Option<String>, Option<String>) {
        let (available, _) = self.run("fuzz-help", self.cargo(&["xtask", "fuzz", "differential", "--help"]));
        if !available {
            return (Verdict::Unavailable("no `cargo xtask fuzz differential` in this tree".into()), None, None);
        }
        let time = time.to_string();
        // Without a sanitizer: the bugs hunted are divergences, not memory errors, and a stable
        // build is what CI has.
        let args = ["xtask", "fuzz", "differential", "--time", &time, "--sanitizer", "none"];
        let (ok, text) = self.run(FUZZ, self.cargo(&args));
        let first = text.lines().find_map(|l| {
            let at = l.find("first divergence after ")?;
            let rest = &l[at + "first divergence after ".len()..];
            Some(rest.split_whitespace().next().unwrap_or(rest).trim_end_matches([',', '.', ';']).to_owned())
        });
        let verdict = match (&first, ok) {
            (Some(t), _) => Verdict::Caught(format!("after {t}")),
            (None, false) => Verdict::Caught(format!("exit status (see {})", self.log_name(FUZZ))),
            (None, true) => Verdict::Missed,
        };
        (verdict, first, self.keep_reproducer(&text))
    }

    /// The `minimized regression vector PATH (SIZE…)` line of a fuzz run: the vector is copied next
    /// to the logs (the scratch tree is reset before the next mutant) and its size returned.
    fn keep_reproducer(&self, text: &str) -> Option<String> {
        const SAID: &str = "minimized regression vector ";
        let rest = text.lines().find_map(|l| Some(l[l.find(SAID)? + SAID.len()..].to_owned()))?;
        let (path, size) = rest.split_once(" (")?;
        let kept = self.logs.join(format!("{}.reproducer.json", self.name));
        let _ = fs::copy(path, &kept);
        Some(size.trim_end_matches(')').to_owned())
    }
}

/// Resets the scratch tree, applies the patch, rebuilds the EM when a `.sol` changed, and builds
/// everything the detectors run; `Err` says what did not apply or build.
fn apply_and_build(ctx: &Ctx, base: &str, patch: &Path) -> Result<(), String> {
    reset_tree(ctx.tree, base)?;
    let mut apply = Command::new("git");
    apply.args(["apply", "--whitespace=nowarn"]).arg(patch).current_dir(ctx.tree);
    let (ok, text) = ctx.run("apply", apply);
    if !ok {
        return Err(format!("does not apply: {}", text.lines().next().unwrap_or("").trim()));
    }
    let touched = git_output(ctx.tree, &["diff", "--name-only"]).unwrap_or_default();
    if touched.lines().any(|f| f.ends_with(".sol")) {
        let (ok, text) = ctx.run("em", ctx.cargo(&["xtask", "em"]));
        if !ok {
            return Err(format!("does not build (cargo xtask em): {}", last_error(&text)));
        }
    }
    let (ok, text) = ctx.run("build", ctx.cargo(&["build", "--release", "-p", "xtask"]));
    if !ok {
        return Err(format!("does not build: {}", last_error(&text)));
    }
    let (ok, text) = ctx.run("build-tests", ctx.cargo(&["test", "--release", "-p", "ovm-conformance", "--no-run"]));
    if !ok {
        return Err(format!("does not build (tests): {}", last_error(&text)));
    }
    Ok(())
}

/// The scratch worktree at `base`, created on first use.
fn prepare_tree(root: &Path, tree: &Path, base: &str) -> Result<(), String> {
    if !tree.join(".git").exists() {
        let _ = fs::remove_dir_all(tree);
        let _ = git_output(root, &["worktree", "prune"]);
        git_output(root, &["worktree", "add", "--detach", &tree.to_string_lossy(), base])?;
    }
    // The pinned solc, shared rather than installed again.
    let modules = root.join("contracts/node_modules");
    let link = tree.join("contracts/node_modules");
    if modules.is_dir() && !link.exists() {
        #[cfg(unix)]
        let _ = std::os::unix::fs::symlink(&modules, &link);
    }
    reset_tree(tree, base)
}

fn reset_tree(tree: &Path, base: &str) -> Result<(), String> {
    git_output(tree, &["checkout", "--quiet", "--force", "--detach", base])?;
    git_output(tree, &["reset", "--quiet", "--hard", base])?;
    // Keep the pinned solc (a symlink to the project's node_modules is not ignored as a directory).
    git_output(tree, &["clean", "-fdq", "-e", "contracts/node_modules"])?;
    // Ignored by git, so kept by the clean: without this, a mutant's fuzzing would start from the
    // corpus grown on earlier mutants, not from the committed seeds, and see their crashes.
    for grown in FUZZ_STATE {
        match fs::remove_dir_all(tree.join(grown)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(format!("cannot remove {}: {e}", tree.join(grown).display()))
            }
            _ => {}
        }
    }
    Ok(())
}

/// What `cargo xtask fuzz` leaves in a tree: the working corpora and crash artifacts.
const FUZZ_STATE: [&str; 2] = [crate::fuzz::WORKING_CORPUS, crate::fuzz::ARTIFACTS];

/// The first scratch build reuses the project's compiled dependencies (a copy of its release dir).
fn seed_target(root: &Path, target: &Path) {
    if target.join("release").exists() {
        return;
    }
    let own = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    let release = own.join("release");
    if release.is_dir() {
        eprintln!("mutants: seeding {} from {}", target.display(), release.display());
        let _ = fs::create_dir_all(target);
        let _ = Command::new("cp").arg("-a").arg(&release).arg(target.join("release")).status();
    }
}

fn shared_vectors(root: &Path, flag: Option<&Path>) -> Option<PathBuf> {
    let candidates = [
        flag.map(|p| absolute(root, p)),
        std::env::var_os("ETHEREUM_TESTS").map(PathBuf::from),
        Some(root.join("vectors/ethereum-tests")),
        Some(root.join("../shared/vectors/ethereum-tests")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("GeneralStateTests").is_dir())
        .map(|p| p.canonicalize().unwrap_or(p))
}

/// The counts of a results.json.
struct Summary(serde_json::Value);

impl Summary {
    /// Failing cases (status fail or error, or a divergent or error verdict), of one kind or all.
    fn failing(&self, kind: Option<&str>) -> u64 {
        let Some(cases) = self.0["cases"].as_array() else { return 0 };
        cases
            .iter()
            .filter(|c| kind.is_none_or(|k| c["kind"] == k))
            .filter(|c| {
                matches!(c["status"].as_str(), Some("fail" | "error"))
                    || matches!(c["verdict"].as_str(), Some("divergent" | "error"))
            })
            .count() as u64
    }

    /// Cases of `kind` a `--fail-fast` run stopped before starting.
    fn not_run(&self, kind: &str) -> u64 {
        let Some(cases) = self.0["cases"].as_array() else { return 0 };
        cases.iter().filter(|c| c["kind"] == kind && c["message"] == ovm_runner::NOT_RUN_FAIL_FAST).count() as u64
    }

    fn cases(&self, kind: &str) -> u64 {
        self.0["kinds"][kind]["totals"]["cases"].as_u64().unwrap_or(0)
    }
}

fn read_results(reports: &Path) -> Option<Summary> {
    let latest = reports.join("latest");
    let run = match fs::read_link(&latest) {
        Ok(target) => reports.join(target),
        Err(_) => reports.join(fs::read_to_string(&latest).ok()?.trim()),
    };
    let text = fs::read_to_string(run.join("results.json")).ok()?;
    serde_json::from_str(&text).ok().map(Summary)
}

fn render(results: &[MutantResult]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| mutant | what it breaks | caught by | detectors | fuzz: first divergence | minimized reproducer | time |"
    );
    let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- | ---: |");
    for r in results {
        let caught = match (&r.broken, r.caught_by()) {
            (Some(b), _) => format!("**{b}**"),
            (None, c) if c.is_empty() => "**SURVIVED**".to_owned(),
            (None, c) => c.join(", "),
        };
        let detectors = r.detectors.iter().map(|(d, v)| format!("{d}: {}", show(v))).collect::<Vec<_>>().join("; ");
        let first = r.fuzz_first_divergence.clone().unwrap_or_else(|| "-".into());
        let reproducer = r.reproducer.clone().unwrap_or_else(|| "-".into());
        let _ = writeln!(
            out,
            "| {} | {} | {caught} | {detectors} | {first} | {reproducer} | {:.0}s |",
            r.name,
            r.description.replace('|', "/"),
            r.seconds
        );
    }
    out
}

fn show(v: &Verdict) -> String {
    match v {
        Verdict::Caught(how) => format!("caught ({how})"),
        Verdict::Missed => "missed".into(),
        Verdict::Unavailable(why) => format!("unavailable ({why})"),
        Verdict::NotRun => "not run".into(),
    }
}

/// A patch's description: its text before the diff (a leading `Mutant:` dropped), or its name.
fn describe(patch: &Path) -> String {
    let text = fs::read_to_string(patch).unwrap_or_default();
    let head: Vec<&str> = text
        .lines()
        .take_while(|l| !l.starts_with("diff --git") && !l.starts_with("--- "))
        .map(|l| l.trim().trim_start_matches('#').trim())
        .filter(|l| !l.is_empty())
        .collect();
    match head.join(" ") {
        s if s.is_empty() => file_stem(patch).to_owned(),
        s => s.trim_start_matches("Mutant:").trim().to_owned(),
    }
}

/// The first failing test's name or the first divergent case in a detector's output.
fn first_failure(text: &str) -> Option<String> {
    let lines = || text.lines();
    let line = lines()
        .find(|l| l.starts_with("test ") && l.ends_with(" ... FAILED"))
        .or_else(|| lines().find(|l| l.trim_start().starts_with("---- ") || l.contains("panicked at")))?;
    let line = line.trim_start_matches("test ").trim_end_matches(" ... FAILED");
    let line = line.trim().trim_start_matches("---- ").trim_end_matches(" stdout ----");
    Some(line.chars().take(120).collect())
}

fn last_error(text: &str) -> String {
    text.lines().find(|l| l.starts_with("error")).unwrap_or("see the log").chars().take(160).collect()
}

fn git_output(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git").args(args).current_dir(dir).output().map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(format!("git {} failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()))
    }
}

fn absolute(root: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        root.join(p)
    }
}

fn file_stem(p: &Path) -> &str {
    p.file_stem().and_then(|s| s.to_str()).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reset leaves the tree at the base commit without what fuzzing left there (ignored by git):
    /// each mutant's fuzzing starts from the committed seeds alone.
    #[test]
    fn a_reset_tree_has_no_fuzzing_state_left() {
        let tree = std::env::temp_dir().join(format!("ovm-xtask-reset-{}", std::process::id()));
        let _ = fs::remove_dir_all(&tree);
        fs::create_dir_all(&tree).unwrap();
        let git = |args: &[&str]| git_output(&tree, args).unwrap();
        git(&["init", "--quiet"]);
        fs::write(tree.join(".gitignore"), "target/\nfuzz/artifacts/\n").unwrap();
        fs::write(tree.join("kept"), "committed").unwrap();
        git(&["add", "."]);
        git(&["-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "base"]);
        let grown = [
            tree.join(FUZZ_STATE[0]).join("differential/input"),
            tree.join(FUZZ_STATE[1]).join("differential/crash-1"),
        ];
        for file in &grown {
            fs::create_dir_all(file.parent().unwrap()).unwrap();
            fs::write(file, "x").unwrap();
        }
        fs::write(tree.join("kept"), "patched").unwrap();
        reset_tree(&tree, "HEAD").unwrap();
        assert_eq!(fs::read_to_string(tree.join("kept")).unwrap(), "committed");
        for file in &grown {
            assert!(!file.exists(), "{} survived the reset", file.display());
        }
        fs::remove_dir_all(&tree).unwrap();
    }
}
