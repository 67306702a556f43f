//! Per-case records, the run report (`results.json`, `junit.xml`) and the summary table.
//! The schema of `results.json` is documented in `docs/results-schema.md`; keep the two in step.

use ovm_fixture::{BlockchainCase, Case, FileError, Indexes};
use serde::Serialize;
use std::{
    collections::BTreeMap,
    fmt::Write as _,
    io,
    path::{Path, PathBuf},
    time::Duration,
};

/// Bumped whenever a field of `results.json` changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseStatus {
    Pass,
    Fail,
    Error,
    Skipped,
}

/// What a job says about one case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobOutcome {
    pub status: CaseStatus,
    /// The job's own judgement, when it gives one (`equal`, `explained(halt-order)`, `divergent`, ...).
    pub verdict: Option<String>,
    /// Why it failed, errored or was skipped, or what explains it; empty when there is nothing to say.
    pub message: String,
    pub gas_used: Option<u64>,
    /// Gas used as the backend under test reports it (a comparing job's detail).
    pub gas_used_under_test: Option<u64>,
    /// What the run cost the backend under test in its own machine's gas (the OVM: physical gas).
    pub physical_gas: Option<u64>,
    /// What differs, one line per field (a comparing job's detail), at most `MAX_DIFF_LINES`.
    pub diff: Vec<String>,
    /// Microseconds per named phase of the job (e.g. `native`, `ovm`), in the order they ran.
    pub timings: BTreeMap<String, u64>,
    /// What the job observed about the case that its verdict rules look at (e.g. `read_gas`),
    /// when it looked.
    pub observed: Option<Vec<String>>,
}

/// Per case in results.json: enough to see what differs, bounded for cases that differ everywhere.
pub const MAX_DIFF_LINES: usize = 32;

impl JobOutcome {
    pub fn new(status: CaseStatus, message: impl Into<String>) -> Self {
        Self {
            status,
            verdict: None,
            message: message.into(),
            gas_used: None,
            gas_used_under_test: None,
            physical_gas: None,
            diff: Vec::new(),
            timings: BTreeMap::new(),
            observed: None,
        }
    }

    /// Records what the job observed about the case (an empty list: it looked and saw nothing).
    pub fn with_observed(mut self, observed: Vec<String>) -> Self {
        self.observed = Some(observed);
        self
    }

    /// Records how long a phase of the job took (phases keep their names across cases).
    pub fn with_timing(mut self, phase: &str, elapsed: Duration) -> Self {
        self.timings.insert(phase.to_owned(), micros(elapsed));
        self
    }

    pub fn with_diff(mut self, lines: impl IntoIterator<Item = String>) -> Self {
        self.diff = lines.into_iter().take(MAX_DIFF_LINES).collect();
        self
    }

    pub fn with_gas(mut self, gas_used: Option<u64>) -> Self {
        self.gas_used = gas_used;
        self
    }

    pub fn with_gas_under_test(mut self, gas_used: Option<u64>, physical_gas: Option<u64>) -> Self {
        self.gas_used_under_test = gas_used;
        self.physical_gas = physical_gas;
        self
    }

    pub fn with_verdict(mut self, verdict: impl Into<String>) -> Self {
        self.verdict = Some(verdict.into());
        self
    }
}

/// What a case is: one transaction of a state test, or a whole blockchain test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseKind {
    State,
    Blockchain,
}

impl CaseKind {
    pub fn name(self) -> &'static str {
        match self {
            CaseKind::State => "state tests",
            CaseKind::Blockchain => "blockchain tests",
        }
    }
}

/// One case's result.
#[derive(Clone, Debug, Serialize)]
pub struct CaseRecord {
    pub id: String,
    pub kind: CaseKind,
    pub file: String,
    pub test: String,
    /// The fork (a blockchain test's network).
    pub fork: String,
    /// A state-test case's indexes into the transaction's data, gas and value lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indexes: Option<Indexes>,
    /// A blockchain test's blocks and transactions, when it could be decoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocks: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transactions: Option<usize>,
    pub status: CaseStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    /// Why it failed, errored or was skipped, or what explains it; absent when there is nothing to say.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gas_used: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gas_used_under_test: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub physical_gas: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diff: Vec<String>,
    /// The whole job, in microseconds.
    pub micros: u64,
    /// Microseconds per phase of the job, when it reports them.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub timings: BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed: Option<Vec<String>>,
}

impl CaseRecord {
    pub fn new(case: &Case, outcome: JobOutcome, elapsed: Duration) -> Self {
        Self::with(
            CaseKind::State,
            &case.id.0,
            &case.file,
            &case.test_name,
            &case.fork,
            Some(case.indexes),
            outcome,
            elapsed,
        )
    }

    pub fn of_chain(case: &BlockchainCase, outcome: JobOutcome, elapsed: Duration) -> Self {
        let mut record = Self::with(
            CaseKind::Blockchain,
            &case.id.0,
            &case.file,
            &case.test_name,
            &case.network,
            None,
            outcome,
            elapsed,
        );
        if let Ok(test) = &case.test {
            record.blocks = Some(test.blocks.len());
            record.transactions = Some(test.transaction_count());
        }
        record
    }

    #[allow(clippy::too_many_arguments)]
    fn with(
        kind: CaseKind,
        id: &str,
        file: &str,
        test: &str,
        fork: &str,
        indexes: Option<Indexes>,
        outcome: JobOutcome,
        elapsed: Duration,
    ) -> Self {
        Self {
            id: id.to_owned(),
            kind,
            file: file.to_owned(),
            test: test.to_owned(),
            fork: fork.to_owned(),
            indexes,
            blocks: None,
            transactions: None,
            status: outcome.status,
            verdict: outcome.verdict,
            message: outcome.message,
            gas_used: outcome.gas_used,
            gas_used_under_test: outcome.gas_used_under_test,
            physical_gas: outcome.physical_gas,
            diff: outcome.diff,
            micros: micros(elapsed),
            timings: outcome.timings,
            observed: outcome.observed,
        }
    }

    /// The folder a case is summarized under: its file's directory.
    pub fn folder(&self) -> &str {
        self.file.rsplit_once('/').map_or(".", |(dir, _)| dir)
    }
}

fn micros(elapsed: Duration) -> u64 {
    elapsed.as_micros().try_into().unwrap_or(u64::MAX)
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub cases: usize,
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub skipped: usize,
    /// Files or units that yielded no cases at all (unreadable, not a state test, a broken unit).
    pub file_errors: usize,
}

impl Totals {
    fn add(&mut self, status: CaseStatus) {
        self.cases += 1;
        match status {
            CaseStatus::Pass => self.pass += 1,
            CaseStatus::Fail => self.fail += 1,
            CaseStatus::Error => self.error += 1,
            CaseStatus::Skipped => self.skipped += 1,
        }
    }

    pub fn is_clean(&self) -> bool {
        self.fail == 0 && self.error == 0 && self.file_errors == 0
    }
}

/// What a run was asked to do.
#[derive(Clone, Debug, Serialize)]
pub struct RunInfo {
    pub run_id: String,
    pub job: String,
    pub vectors: String,
    pub vectors_origin: String,
    pub filters: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    pub files: usize,
    pub wall_seconds: f64,
    /// Optional additions (schema 3): how the run was invoked, the project's commit, the machine's
    /// cores, the keccak-256 of the EM artifact the run used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cores: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub em_artifact: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub run: RunInfo,
    pub totals: Totals,
    /// Skip reason -> number of cases skipped for it.
    pub skipped: BTreeMap<String, usize>,
    /// Verdict -> number of cases, when the job gives verdicts.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub verdicts: BTreeMap<String, usize>,
    /// The same counts for each kind of case that the run had.
    pub kinds: BTreeMap<CaseKind, KindTotals>,
    pub file_errors: Vec<FileError>,
    /// Sorted by id.
    pub cases: Vec<CaseRecord>,
}

/// Totals and verdict counts of one kind of case.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KindTotals {
    pub totals: Totals,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub verdicts: BTreeMap<String, usize>,
}

const VERDICTS_HEADER: &str = "verdicts by folder";

impl Report {
    pub fn new(run: RunInfo, mut cases: Vec<CaseRecord>, file_errors: Vec<FileError>) -> Self {
        cases.sort_by(|a, b| a.id.cmp(&b.id));
        let mut totals = Totals { file_errors: file_errors.len(), ..Totals::default() };
        let mut skipped = BTreeMap::new();
        let mut verdicts = BTreeMap::new();
        let mut kinds: BTreeMap<CaseKind, KindTotals> = BTreeMap::new();
        for case in &cases {
            totals.add(case.status);
            let kind = kinds.entry(case.kind).or_default();
            kind.totals.add(case.status);
            if let Some(verdict) = &case.verdict {
                *kind.verdicts.entry(verdict.clone()).or_default() += 1;
            }
            if case.status == CaseStatus::Skipped {
                *skipped.entry(case.message.clone()).or_default() += 1;
            }
            if let Some(verdict) = &case.verdict {
                *verdicts.entry(verdict.clone()).or_default() += 1;
            }
        }
        Self { schema_version: SCHEMA_VERSION, run, totals, skipped, verdicts, kinds, file_errors, cases }
    }

    /// Per-folder counts, then totals, skip reasons, file errors and the failing cases (at most
    /// `max_listed` of them).
    pub fn summary(&self, max_listed: usize) -> String {
        self.summary_with(max_listed, true)
    }

    /// The summary with totals only (and their headers), no row per folder.
    pub fn totals_summary(&self, max_listed: usize) -> String {
        self.summary_with(max_listed, false)
    }

    fn summary_with(&self, max_listed: usize, by_folder: bool) -> String {
        let mut folders: BTreeMap<&str, Totals> = BTreeMap::new();
        if by_folder {
            for case in &self.cases {
                folders.entry(case.folder()).or_default().add(case.status);
            }
        }
        // One first-column width for both tables, so that their columns line up.
        let width = folders.keys().map(|f| f.len()).max().unwrap_or(0).max(VERDICTS_HEADER.len());
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<width$} {:>7} {:>7} {:>5} {:>5} {:>7}",
            "folder", "cases", "pass", "fail", "error", "skipped"
        );
        let mut row = |name: &str, t: &Totals| {
            let _ = writeln!(
                out,
                "{name:<width$} {:>7} {:>7} {:>5} {:>5} {:>7}",
                t.cases, t.pass, t.fail, t.error, t.skipped
            );
        };
        for (folder, totals) in &folders {
            row(folder, totals);
        }
        row("TOTAL", &self.totals);
        // Both kinds ran: their totals too.
        if self.kinds.len() > 1 {
            for (kind, totals) in &self.kinds {
                row(kind.name(), &totals.totals);
            }
        }
        out.push_str(&self.verdict_table(width, by_folder));
        // The most frequent reasons first; many distinct ones (a block number in each) are cut short.
        const MAX_REASONS: usize = 10;
        let mut reasons: Vec<(&String, &usize)> = self.skipped.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (reason, count) in reasons.iter().take(MAX_REASONS) {
            let _ = writeln!(out, "skipped {count} case(s): {reason}");
        }
        if reasons.len() > MAX_REASONS {
            let rest: usize = reasons[MAX_REASONS..].iter().map(|(_, n)| **n).sum();
            let _ = writeln!(
                out,
                "skipped {rest} more case(s) for {} other reasons, all in results.json",
                reasons.len() - MAX_REASONS
            );
        }
        for error in &self.file_errors {
            let _ = writeln!(out, "file error: {error}");
        }
        let failing: Vec<_> =
            self.cases.iter().filter(|c| matches!(c.status, CaseStatus::Fail | CaseStatus::Error)).collect();
        for case in failing.iter().take(max_listed) {
            let _ = writeln!(out, "{}: {}: {}", status_word(case.status), case.id, case.message);
        }
        if failing.len() > max_listed {
            let _ = writeln!(out, "... and {} more failing case(s), all in results.json", failing.len() - max_listed);
        }
        out
    }

    /// Verdict counts by folder (when `by_folder`) and overall, when the job gives verdicts.
    fn verdict_table(&self, width: usize, by_folder: bool) -> String {
        if self.verdicts.is_empty() {
            return String::new();
        }
        let labels: Vec<&String> = self.verdicts.keys().collect();
        let mut folders: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
        for case in self.cases.iter().filter(|_| by_folder) {
            if let Some(verdict) = &case.verdict {
                *folders.entry(case.folder()).or_default().entry(verdict).or_default() += 1;
            }
        }
        let mut out = format!("\n{:<width$}", VERDICTS_HEADER);
        for label in &labels {
            let _ = write!(out, " {:>w$}", label, w = label.len().max(7));
        }
        out.push('\n');
        let mut row = |name: &str, counts: &dyn Fn(&str) -> usize| {
            let _ = write!(out, "{name:<width$}");
            for label in &labels {
                let _ = write!(out, " {:>w$}", counts(label), w = label.len().max(7));
            }
            out.push('\n');
        };
        for (folder, counts) in &folders {
            row(folder, &|label| counts.get(label).copied().unwrap_or(0));
        }
        row("TOTAL", &|label| self.verdicts.get(label).copied().unwrap_or(0));
        if self.kinds.len() > 1 {
            for (kind, totals) in &self.kinds {
                row(kind.name(), &|label| totals.verdicts.get(label).copied().unwrap_or(0));
            }
        }
        out
    }

    /// Writes `results.json` and `junit.xml` into `reports/<run_id>/` and points `reports/latest` at it.
    pub fn write(&self, reports: &Path) -> io::Result<PathBuf> {
        let dir = reports.join(&self.run.run_id);
        std::fs::create_dir_all(&dir)?;
        let json = serde_json::to_vec_pretty(self).map_err(io::Error::other)?;
        std::fs::write(dir.join("results.json"), json)?;
        std::fs::write(dir.join("junit.xml"), self.junit())?;
        point_latest(reports, &self.run.run_id)?;
        Ok(dir)
    }

    /// JUnit XML: one `<testsuite>` per folder, one `<testcase>` per case.
    pub fn junit(&self) -> String {
        use quick_junit::{NonSuccessKind, Report as Junit, TestCase, TestCaseStatus, TestSuite};
        let mut suites: BTreeMap<&str, Vec<&CaseRecord>> = BTreeMap::new();
        for case in &self.cases {
            suites.entry(case.folder()).or_default().push(case);
        }
        let mut junit = Junit::new(self.run.job.as_str());
        for (folder, cases) in suites {
            let mut suite = TestSuite::new(folder);
            let micros: u64 = cases.iter().map(|c| c.micros).sum();
            suite.set_time(std::time::Duration::from_micros(micros));
            for case in cases {
                let mut status = match case.status {
                    CaseStatus::Pass => TestCaseStatus::success(),
                    CaseStatus::Fail => TestCaseStatus::non_success(NonSuccessKind::Failure),
                    CaseStatus::Error => TestCaseStatus::non_success(NonSuccessKind::Error),
                    CaseStatus::Skipped => TestCaseStatus::skipped(),
                };
                if case.status != CaseStatus::Pass {
                    status.set_message(xml_text(&case.message));
                }
                let mut test = TestCase::new(xml_text(&case.id), status);
                test.set_classname(folder).set_time(std::time::Duration::from_micros(case.micros));
                suite.add_test_case(test);
            }
            junit.add_test_suite(suite);
        }
        if !self.file_errors.is_empty() {
            let mut suite = TestSuite::new("file errors");
            for error in &self.file_errors {
                let name = format!(
                    "{}{}",
                    error.file,
                    error.test_name.as_deref().map(|n| format!("::{n}")).unwrap_or_default()
                );
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
                status.set_message(xml_text(&error.to_string()));
                let mut test = TestCase::new(xml_text(&name), status);
                test.set_classname("file errors");
                suite.add_test_case(test);
            }
            junit.add_test_suite(suite);
        }
        junit.to_string().unwrap_or_else(|e| format!("<!-- junit.xml could not be written: {e} -->\n"))
    }
}

pub fn status_word(status: CaseStatus) -> &'static str {
    match status {
        CaseStatus::Pass => "pass",
        CaseStatus::Fail => "FAIL",
        CaseStatus::Error => "ERROR",
        CaseStatus::Skipped => "skipped",
    }
}

/// Text XML 1.0 can carry: the control characters it cannot are dropped, tabs and carriage returns
/// become spaces (quick-junit escapes the rest).
fn xml_text(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\t' | '\r' => Some(' '),
            '\n' => Some('\n'),
            c if (c as u32) < 0x20 => None,
            c => Some(c),
        })
        .collect()
}

#[cfg(unix)]
fn point_latest(reports: &Path, run_id: &str) -> io::Result<()> {
    let latest = reports.join("latest");
    let staging = reports.join(format!(".latest-{}", std::process::id()));
    let _ = std::fs::remove_file(&staging);
    std::os::unix::fs::symlink(run_id, &staging)?;
    std::fs::rename(&staging, &latest)
}

#[cfg(not(unix))]
fn point_latest(reports: &Path, run_id: &str) -> io::Result<()> {
    std::fs::write(reports.join("latest"), run_id)
}

/// A new run id, `<UTC date and time>-<job>`, suffixed `-2`, `-3`, ... if a run folder of that name
/// exists in `reports` (two runs in one second); `Report::write` writes the run into that folder.
pub fn new_run_id(reports: &Path, job: &str) -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    let base = format!("{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z-{job}", rem / 3600, rem / 60 % 60, rem % 60);
    (1..)
        .map(|n| if n == 1 { base.clone() } else { format!("{base}-{n}") })
        .find(|id| !reports.join(id).exists())
        .unwrap_or(base)
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::xml_text;

    #[test]
    fn text_xml_cannot_carry_is_dropped() {
        assert_eq!(xml_text("a<b\t\u{1}\n"), "a<b \n");
    }

    #[test]
    fn civil_dates() {
        assert_eq!(super::civil_from_days(0), (1970, 1, 1));
        assert_eq!(super::civil_from_days(20_417), (2025, 11, 25));
    }
}
