//! `cargo xtask report [RUN]`: a run's `results.json` as a self-contained HTML report
//! (`reports/<run>/index.html`, and `cases/<page>.html` for every case that is not equal). No
//! network, no external file: styles, scripts and charts (SVG) are inline, so the report opens from
//! `file://`. `docs/report.md` describes what is on it.

mod charts;
pub mod model;
mod pages;
mod trace;

use askama::Template;
use charts::{category, Histogram, StackedBars, CATEGORIES};
use model::{Case, Results};
use pages::*;
use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::ExitCode,
};

#[derive(clap::Args)]
pub struct Args {
    /// The run folder (or its results.json). Default: reports/latest.
    #[arg(value_name = "RUN", conflicts_with = "merge")]
    run: Option<PathBuf>,
    /// An earlier run folder to compare with: newly divergent and newly equal cases, changed ratios.
    #[arg(long, value_name = "RUN")]
    baseline: Option<PathBuf>,
    /// Merge the results of `--shard K/N` runs of the same vectors (and commit, when recorded) into
    /// one new run folder under --reports, and render its report.
    #[arg(long, value_name = "DIR", num_args = 1..)]
    merge: Vec<PathBuf>,
    /// Where --merge writes its run folder.
    #[arg(long, default_value = "reports")]
    reports: PathBuf,
    /// Rerun at most this many non-equal cases with tracing (both backends, from the vectors the run
    /// recorded), so that their pages show the traces side by side around the first difference,
    /// the call trees, the code involved and, for an explained case, its rule's native facts.
    /// 0: none. Each trace is kept up to 64 MiB.
    #[arg(long, value_name = "N", default_value_t = TRACED_PAGES)]
    traces: usize,
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let root = crate::project_root();
    let (results, dir) = if args.merge.is_empty() {
        let dir = args.run.clone().unwrap_or_else(|| root.join("reports/latest"));
        (model::read(&dir)?, if dir.is_dir() { dir } else { dir.parent().map(Path::to_path_buf).unwrap_or_default() })
    } else {
        let shards = args.merge.iter().map(|d| model::read(d)).collect::<Result<Vec<_>, _>>()?;
        let job = shards.first().map_or("merged", |s| s.run.job.as_str()).to_owned();
        let reports = if args.reports.is_absolute() { args.reports.clone() } else { root.join(&args.reports) };
        let run_id = ovm_runner::new_run_id(&reports, &format!("{job}-merged"));
        let merged = model::merge(shards, run_id)?;
        let dir = reports.join(&merged.run.run_id);
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let json = serde_json::to_vec_pretty(&merged).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("results.json"), json).map_err(|e| format!("cannot write results.json: {e}"))?;
        println!(
            "merged {} run(s): {} cases into {}",
            args.merge.len(),
            merged.totals.cases,
            dir.join("results.json").display()
        );
        (merged, dir)
    };
    let baseline = args.baseline.as_deref().map(model::read).transpose()?;
    let index = render(&results, &dir, baseline.as_ref(), args.traces)?;
    println!("report: {}", index.display());
    Ok(ExitCode::SUCCESS)
}

/// How many case pages get their reruns' anatomy by default (`--traces`).
pub const TRACED_PAGES: usize = 50;

/// Renders `dir/index.html` and `dir/cases/*.html` from `results`; returns the index's path.
pub fn render(results: &Results, dir: &Path, baseline: Option<&Results>, traces: usize) -> Result<PathBuf, String> {
    let cases_dir = dir.join("cases");
    if cases_dir.is_dir() {
        std::fs::remove_dir_all(&cases_dir).map_err(|e| format!("cannot clear {}: {e}", cases_dir.display()))?;
    }
    std::fs::create_dir_all(&cases_dir).map_err(|e| format!("cannot create {}: {e}", cases_dir.display()))?;
    let mut traced = 0;
    let mut first_ops = BTreeMap::new();
    let vectors = std::cell::OnceCell::new();
    let no_anatomy = if traces == 0 {
        "Not rerun with tracing (--traces 0).".to_owned()
    } else {
        format!("Not rerun with tracing: only the first {traces} case pages are (--traces N).")
    };
    for case in results.cases.iter().filter(|c| c.has_page()) {
        let anatomy = if traced < traces {
            traced += 1;
            Some(trace::anatomy(vectors.get_or_init(|| trace::Vectors::walk(&results.run.vectors)), case))
        } else {
            None
        };
        if let Some(op) = anatomy.as_ref().and_then(|a| a.first_op.clone()) {
            first_ops.insert(case.id.clone(), op);
        }
        let first_op = first_ops.get(&case.id).map(String::as_str);
        let page = case_page(&results.run, case, first_op, anatomy, &no_anatomy).render().map_err(|e| e.to_string())?;
        let path = cases_dir.join(page_name(&case.id));
        std::fs::write(&path, page).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let index = index_page(results, baseline, &first_ops).render().map_err(|e| e.to_string())?;
    let path = dir.join("index.html");
    std::fs::write(&path, index).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// The file name of a case's page: the id with anything but `[A-Za-z0-9._-]` replaced by `_`,
/// shortened, and a hash of the whole id so that two ids never share a page.
pub fn page_name(id: &str) -> String {
    let clean: String =
        id.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-') { c } else { '_' }).collect();
    let short: String = clean.chars().take(100).collect();
    let hash = alloy_primitives::keccak256(id.as_bytes());
    format!("{short}-{}.html", &alloy_primitives::hex::encode(hash)[..10])
}

/// A word for a POSIX shell: as it is when it is plainly safe, else single-quoted.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | ':' | '=' | ',' | '+'));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// What groups a case with others on the index: the kind of its first differing field (`storage`,
/// `balance`, … as the fuzzer's `ovm_scenario::signature`; with both halt reasons when it is the
/// status) and the original instruction where its traces first differ when it was rerun with
/// tracing (`first_op`), else what its message begins with.
pub fn signature(case: &Case, first_op: Option<&str>) -> String {
    let at = first_op.map_or_else(String::new, |op| format!(" at {op}"));
    if let Some(first) = case.diff.first() {
        let sig = ovm_scenario::signature(first);
        if sig == "status" {
            if let Some((_, values)) = first.rsplit_once("status: ") {
                return format!("status {}{at}", values.replace(" vs ", " → "));
            }
        }
        if !sig.is_empty() {
            return format!("{sig}{at}");
        }
    }
    let message: String = case.message.split(": ").take(2).collect::<Vec<_>>().join(": ");
    let short: String = message.chars().take(80).collect();
    if short.is_empty() {
        "(no message)".into()
    } else {
        short
    }
}

fn percent(n: usize, of: usize) -> String {
    if of == 0 {
        "–".into()
    } else {
        format!("{:.1}%", 100.0 * n as f64 / of as f64)
    }
}

fn count_rows(counts: impl IntoIterator<Item = (String, usize)>, of: usize) -> Vec<CountRow> {
    counts.into_iter().map(|(name, count)| CountRow { percent: percent(count, of), name, count }).collect()
}

/// Counts of cases in `BREAKDOWN_COLUMNS` order.
fn breakdown<'a>(name: String, cases: impl Iterator<Item = &'a Case>) -> BreakdownRow {
    let mut counts = vec![0; BREAKDOWN_COLUMNS.len()];
    for case in cases {
        counts[0] += 1;
        counts[match case.status.as_str() {
            "pass" => 1,
            "fail" => 2,
            "error" => 3,
            _ => 4,
        }] += 1;
        match case.verdict.as_deref() {
            Some("equal") => counts[5] += 1,
            Some(v) if v.starts_with("explained") => counts[6] += 1,
            Some("divergent") => counts[7] += 1,
            Some(_) => counts[8] += 1,
            None => {}
        }
    }
    BreakdownRow { name, counts }
}

fn kind_name(kind: &str) -> String {
    match kind {
        "state" => "state tests".into(),
        "blockchain" => "blockchain tests".into(),
        other => other.into(),
    }
}

fn index_page(results: &Results, baseline: Option<&Results>, first_ops: &BTreeMap<String, String>) -> IndexPage {
    let cases = &results.cases;
    let total = results.totals.cases;
    let t = &results.totals;
    let statuses = count_rows(
        [("pass", t.pass), ("fail", t.fail), ("error", t.error), ("skipped", t.skipped)]
            .map(|(n, c)| (n.to_owned(), c)),
        total,
    );
    let compared: usize = results.verdicts.values().sum();
    let verdicts = count_rows(results.verdicts.iter().map(|(v, n)| (v.clone(), *n)), compared);

    let mut kinds: BTreeMap<&str, Vec<&Case>> = BTreeMap::new();
    let mut folders: BTreeMap<&str, Vec<&Case>> = BTreeMap::new();
    for case in cases {
        kinds.entry(case.kind.as_str()).or_default().push(case);
        folders.entry(case.folder()).or_default().push(case);
    }
    let mut kind_rows: Vec<BreakdownRow> =
        kinds.iter().map(|(k, cs)| breakdown(kind_name(k), cs.iter().copied())).collect();
    kind_rows.push(breakdown("all".into(), cases.iter()));
    let folder_rows = folders.iter().map(|(f, cs)| breakdown((*f).to_owned(), cs.iter().copied())).collect();
    let chart = StackedBars::new(
        folders
            .iter()
            .map(|(folder, cs)| {
                let mut counts = [0; 7];
                for case in cs {
                    let c = category(case.verdict.as_deref(), &case.status);
                    counts[CATEGORIES.iter().position(|x| *x == c).unwrap_or(6)] += 1;
                }
                ((*folder).to_owned(), counts)
            })
            .collect(),
    );
    let histograms = [
        Histogram::new(
            "Time: OVM over native",
            "timings.ovm / timings.native",
            cases.iter().filter_map(Case::time_ratio).collect(),
        ),
        Histogram::new(
            "Gas: physical gas over native gas used",
            "physical_gas / gas_used",
            cases.iter().filter_map(Case::gas_ratio).collect(),
        ),
    ]
    .into_iter()
    .flatten()
    .collect();

    let mut groups: BTreeMap<(String, String), Vec<CaseLink>> = BTreeMap::new();
    for case in cases.iter().filter(|c| c.has_page()) {
        let verdict = case.verdict.clone().unwrap_or_else(|| case.status.clone());
        let first_op = first_ops.get(&case.id).map(String::as_str);
        groups.entry((verdict, signature(case, first_op))).or_default().push(link(case));
    }
    let mut groups: Vec<Group> = groups
        .into_iter()
        .map(|((verdict, signature), cases)| Group { anchor: String::new(), verdict, signature, cases })
        .collect();
    groups.sort_by_key(|g| std::cmp::Reverse(g.cases.len()));
    for (i, g) in groups.iter_mut().enumerate() {
        g.anchor = format!("group-{}", i + 1);
    }

    let mut skipped: Vec<(String, usize)> = results.skipped.iter().map(|(r, n)| (r.clone(), *n)).collect();
    skipped.sort_by_key(|s| std::cmp::Reverse(s.1));
    let file_errors = results
        .file_errors
        .iter()
        .map(|e| FileErrorRow {
            file: e.file.clone(),
            unit: e.test_name.clone().unwrap_or_default(),
            field: e.field.clone().unwrap_or_default(),
            message: e.message.clone(),
        })
        .collect();
    IndexPage {
        title: format!("OVM conformance: {}", results.run.run_id),
        header: header(&results.run),
        statuses,
        verdicts,
        columns: &BREAKDOWN_COLUMNS,
        kinds: kind_rows,
        folders: folder_rows,
        chart,
        categories: &CATEGORIES,
        histograms,
        delta: baseline.map(|b| delta(results, b)),
        groups,
        skipped: count_rows(skipped, total),
        file_errors,
        others: cases.iter().filter(|c| !c.has_page()).map(|c| c.id.clone()).collect(),
    }
}

fn link(case: &Case) -> CaseLink {
    CaseLink {
        id: case.id.clone(),
        href: format!("cases/{}", page_name(&case.id)),
        summary: case.diff.first().cloned().unwrap_or_else(|| case.message.clone()),
    }
}

/// The header: what ran, on what, when, and how to run it again.
fn header(run: &model::Run) -> Vec<Fact> {
    let root = crate::project_root();
    let mut facts = vec![Fact { label: "run", value: run.run_id.clone() }];
    let commit = run.commit.clone().unwrap_or_else(|| match git_head(&root) {
        Some(head) => format!("not recorded by the run; {head} at rendering"),
        None => "not recorded".into(),
    });
    facts.push(Fact { label: "commit", value: commit });
    facts.push(Fact { label: "job", value: run.job.clone() });
    facts.push(Fact { label: "revm", value: revm_version(&root) });
    let em = run.em_artifact.clone().unwrap_or_else(|| match em_artifact_hash(&root) {
        Some(hash) => format!("{hash} (at rendering; not recorded by the run)"),
        None => "not recorded".into(),
    });
    facts.push(Fact { label: "EM artifact (keccak-256 of ExecutionManager.json)", value: em });
    facts.push(Fact { label: "transpiler", value: format!("ovm-transpiler {}", env!("CARGO_PKG_VERSION")) });
    facts.push(Fact { label: "vectors", value: format!("{} ({})", run.vectors, run.vectors_origin) });
    if !run.filters.is_empty() {
        facts.push(Fact { label: "filters", value: run.filters.join(", ") });
    }
    if let Some(shard) = &run.shard {
        facts.push(Fact { label: "shard", value: shard.clone() });
    }
    if let Some(from) = &run.merged_from {
        facts.push(Fact { label: "merged from", value: from.join(", ") });
    }
    facts.push(Fact { label: "date (UTC)", value: date_of(&run.run_id) });
    facts.push(Fact {
        label: "machine",
        value: run.cores.map_or_else(|| "cores not recorded".into(), |n| format!("{n} core(s)")),
    });
    facts.push(Fact { label: "wall time", value: format!("{:.1} s ({} files)", run.wall_seconds, run.files) });
    facts.push(Fact { label: "command", value: run.command.clone().unwrap_or_else(|| reconstructed_command(run)) });
    facts
}

fn reconstructed_command(run: &model::Run) -> String {
    let mut words = vec!["cargo".to_owned(), "xtask".into(), "conformance".into(), "--vectors".into()];
    words.push(shell_quote(&run.vectors));
    if run.job == "native" {
        words.push("--native-only".into());
    }
    for f in &run.filters {
        words.push("--filter".into());
        words.push(shell_quote(f));
    }
    if let Some(case) = &run.case {
        words.push("--case".into());
        words.push(shell_quote(case));
    }
    if let Some(shard) = run.shard.as_ref().filter(|s| s.contains('/')) {
        words.push("--shard".into());
        words.push(shell_quote(shard));
    }
    format!("{} (reconstructed: the run did not record its command)", words.join(" "))
}

/// `20261125T123847Z-native` → `2026-11-25 12:38:47`.
fn date_of(run_id: &str) -> String {
    let b = run_id.as_bytes();
    if b.len() >= 16 && b[8] == b'T' && b[15] == b'Z' {
        let s = &run_id[..15];
        format!("{}-{}-{} {}:{}:{}", &s[0..4], &s[4..6], &s[6..8], &s[9..11], &s[11..13], &s[13..15])
    } else {
        "unknown (the run id has no date)".into()
    }
}

pub fn git_head(root: &Path) -> Option<String> {
    let out = std::process::Command::new("git").arg("-C").arg(root).args(["rev-parse", "HEAD"]).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// revm's version as the workspace pins it (`revm = { version = "=X", … }`).
fn revm_version(root: &Path) -> String {
    let text = std::fs::read_to_string(root.join("Cargo.toml")).unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with("revm = "))
        .and_then(|l| l.split("version = \"").nth(1))
        .and_then(|v| v.split('"').next())
        .map_or_else(|| "unknown".into(), |v| v.trim_start_matches('=').to_owned())
}

/// keccak-256 of the committed EM artifact, `0x…`.
pub fn em_artifact_hash(root: &Path) -> Option<String> {
    let bytes = std::fs::read(root.join("contracts/artifacts/em/ExecutionManager.json")).ok()?;
    Some(alloy_primitives::keccak256(bytes).to_string())
}

fn case_page(
    run: &model::Run,
    case: &Case,
    first_op: Option<&str>,
    anatomy: Option<trace::Anatomy>,
    no_anatomy: &str,
) -> CasePage {
    let mut facts = vec![
        Fact { label: "kind", value: kind_name(&case.kind) },
        Fact { label: "file", value: case.file.clone() },
        Fact { label: "test", value: case.test.clone() },
        Fact { label: "fork", value: case.fork.clone() },
        Fact { label: "status", value: case.status.clone() },
        Fact { label: "verdict", value: case.verdict.clone().unwrap_or_else(|| "none (not compared)".into()) },
        Fact { label: "signature", value: signature(case, first_op) },
    ];
    if let Some(indexes) = &case.indexes {
        facts.push(Fact { label: "indexes", value: indexes.to_string() });
    }
    if let (Some(b), Some(t)) = (case.blocks, case.transactions) {
        facts.push(Fact { label: "blocks, transactions", value: format!("{b}, {t}") });
    }
    let gas = |g: Option<u64>| g.map_or_else(|| "–".into(), |g| g.to_string());
    facts.push(Fact { label: "gas used (native)", value: gas(case.gas_used) });
    facts.push(Fact { label: "gas used (OVM's meter)", value: gas(case.gas_used_under_test) });
    facts.push(Fact { label: "physical gas (OVM)", value: gas(case.physical_gas) });
    let timings: Vec<String> = case.timings.iter().map(|(k, v)| format!("{k} {v} µs")).collect();
    facts.push(Fact { label: "time", value: format!("{} µs ({})", case.micros, timings.join(", ")) });
    let command =
        format!("cargo xtask conformance --vectors {} --case {}", shell_quote(&run.vectors), shell_quote(&case.id));
    let mut rows = Vec::new();
    let mut raw = Vec::new();
    for line in &case.diff {
        match parse_diff_line(line) {
            Some(row) => rows.push(row),
            None => raw.push(line.clone()),
        }
    }
    CasePage {
        title: format!("{} — OVM conformance", case.id),
        id: case.id.clone(),
        facts,
        trace_command: format!("{command} --trace"),
        command,
        message: case.message.clone(),
        rows,
        raw,
        capped: case.diff.len() >= 32,
        anatomy,
        no_anatomy: no_anatomy.to_owned(),
    }
}

/// `[block B, transaction T: ]field path: a vs b` → where, the field, and both values split where
/// they start to differ.
pub fn parse_diff_line(line: &str) -> Option<DiffRow> {
    let (left, ovm) = line.rsplit_once(" vs ")?;
    let (path, native) = left.rsplit_once(": ")?;
    let (place, field) = match path.split_once(": ") {
        Some((place, field)) if place.starts_with("block ") => (place.to_owned(), field.to_owned()),
        _ => (String::new(), path.to_owned()),
    };
    let common = native.chars().zip(ovm.chars()).take_while(|(a, b)| a == b).count();
    let split = |s: &str| {
        let at = s.char_indices().nth(common).map_or(s.len(), |(i, _)| i);
        Split { same: s[..at].to_owned(), differ: s[at..].to_owned() }
    };
    Some(DiffRow { place, field, native: split(native), ovm: split(ovm) })
}

/// `--baseline`: verdict (or status) changes and ratio changes against an earlier run.
fn delta(now: &Results, before: &Results) -> Delta {
    let old: BTreeMap<&str, &Case> = before.cases.iter().map(|c| (c.id.as_str(), c)).collect();
    let new: BTreeMap<&str, &Case> = now.cases.iter().map(|c| (c.id.as_str(), c)).collect();
    let outcome = |c: &Case| c.verdict.clone().unwrap_or_else(|| c.status.clone());
    let (mut newly_divergent, mut newly_equal, mut other_changes) = (Vec::new(), Vec::new(), Vec::new());
    let mut gas_changes = Vec::new();
    for (id, case) in &new {
        let Some(was) = old.get(id) else { continue };
        let (b, a) = (outcome(was), outcome(case));
        if a != b {
            let change = VerdictChange {
                id: (*id).to_owned(),
                href: case.has_page().then(|| format!("cases/{}", page_name(id))),
                before: b,
                after: a.clone(),
            };
            match a.as_str() {
                "divergent" => newly_divergent.push(change),
                "equal" => newly_equal.push(change),
                _ => other_changes.push(change),
            }
        }
        if let (Some(x), Some(y)) = (was.gas_ratio(), case.gas_ratio()) {
            if (x - y).abs() > 1e-9 {
                gas_changes.push((((y - x) / x).abs(), (*id).to_owned(), x, y));
            }
        }
    }
    gas_changes.sort_by(|a, b| b.0.total_cmp(&a.0));
    let median = |r: &Results, f: fn(&Case) -> Option<f64>| {
        let mut v: Vec<f64> = r.cases.iter().filter_map(f).collect();
        v.sort_by(f64::total_cmp);
        if v.is_empty() {
            "–".into()
        } else {
            charts::times(charts::quantile(&v, 0.5))
        }
    };
    Delta {
        baseline: before.run.run_id.clone(),
        newly_divergent,
        newly_equal,
        other_changes,
        only_here: new.keys().filter(|id| !old.contains_key(*id)).count(),
        only_there: old.keys().filter(|id| !new.contains_key(*id)).count(),
        medians: vec![
            RatioMedian {
                what: "time, OVM over native",
                before: median(before, Case::time_ratio),
                after: median(now, Case::time_ratio),
            },
            RatioMedian {
                what: "physical gas over native gas",
                before: median(before, Case::gas_ratio),
                after: median(now, Case::gas_ratio),
            },
        ],
        gas_changes: gas_changes
            .into_iter()
            .take(20)
            .map(|(_, id, x, y)| RatioChange { id, before: format!("{x:.3}x"), after: format!("{y:.3}x") })
            .collect(),
    }
}
