//! The report's pages: askama templates (xtask/templates/report/), escaped by default. Nothing from
//! a test file or a fuzzer is ever marked safe: ids, names, messages and diff lines are plain
//! strings here and rendered as text.

use super::charts::{Histogram, StackedBars};
use askama::Template;

/// A label and its value (header facts, case facts).
pub struct Fact {
    pub label: &'static str,
    pub value: String,
}

pub struct CountRow {
    pub name: String,
    pub count: usize,
    pub percent: String,
}

/// A row of a breakdown table: kind or folder, then its counts in `BREAKDOWN_COLUMNS` order.
pub struct BreakdownRow {
    pub name: String,
    pub counts: Vec<usize>,
}

pub const BREAKDOWN_COLUMNS: [&str; 9] =
    ["cases", "pass", "fail", "error", "skipped", "equal", "explained", "divergent", "verdict error"];

pub struct CaseLink {
    pub id: String,
    pub href: String,
    /// The first difference, or the message.
    pub summary: String,
}

pub struct Group {
    pub anchor: String,
    pub verdict: String,
    pub signature: String,
    pub cases: Vec<CaseLink>,
}

pub struct VerdictChange {
    pub id: String,
    pub href: Option<String>,
    pub before: String,
    pub after: String,
}

pub struct RatioChange {
    pub id: String,
    pub before: String,
    pub after: String,
}

/// `--baseline RUN`: this run against an earlier one.
pub struct Delta {
    pub baseline: String,
    pub newly_divergent: Vec<VerdictChange>,
    pub newly_equal: Vec<VerdictChange>,
    pub other_changes: Vec<VerdictChange>,
    pub only_here: usize,
    pub only_there: usize,
    pub medians: Vec<RatioMedian>,
    pub gas_changes: Vec<RatioChange>,
}

pub struct RatioMedian {
    pub what: &'static str,
    pub before: String,
    pub after: String,
}

pub struct FileErrorRow {
    pub file: String,
    pub unit: String,
    pub field: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "report/index.html")]
pub struct IndexPage {
    pub title: String,
    pub header: Vec<Fact>,
    pub statuses: Vec<CountRow>,
    pub verdicts: Vec<CountRow>,
    pub columns: &'static [&'static str],
    pub kinds: Vec<BreakdownRow>,
    pub folders: Vec<BreakdownRow>,
    pub chart: StackedBars,
    pub categories: &'static [&'static str],
    pub histograms: Vec<Histogram>,
    pub delta: Option<Delta>,
    pub groups: Vec<Group>,
    pub skipped: Vec<CountRow>,
    pub file_errors: Vec<FileErrorRow>,
    /// Ids of the cases without a page (equal, passing, skipped), for the filter box.
    pub others: Vec<String>,
}

/// A diff value split where it starts to differ from the other side.
pub struct Split {
    pub same: String,
    pub differ: String,
}

pub struct DiffRow {
    pub place: String,
    pub field: String,
    pub native: Split,
    pub ovm: Split,
}

pub struct TraceRow {
    pub index: usize,
    pub native: String,
    pub ovm: String,
    pub differs: bool,
    pub first: bool,
}

pub struct TraceView {
    pub note: String,
    pub rows: Vec<TraceRow>,
}

/// A frame of a call tree, indented by its depth.
pub struct FrameRow {
    pub indent: String,
    pub call: String,
    pub steps: String,
    pub end: String,
    /// The innermost frame of the first difference.
    pub marked: bool,
}

/// A contract's original instructions beside their translation.
pub struct CodeListing {
    pub address: String,
    pub note: String,
    pub rows: Vec<CodeRow>,
}

#[derive(Debug)]
pub struct CodeRow {
    pub original: String,
    /// Its physical instructions, one per line.
    pub physical: String,
    /// The pc of the first difference.
    pub marked: bool,
}

/// An explained case's rule and the native facts it rests on.
pub struct RuleView {
    pub name: String,
    pub summary: String,
    pub facts: Vec<String>,
}

#[derive(Template)]
#[template(path = "report/case.html")]
pub struct CasePage {
    pub title: String,
    pub id: String,
    pub facts: Vec<Fact>,
    pub command: String,
    pub trace_command: String,
    pub message: String,
    pub rows: Vec<DiffRow>,
    /// Diff lines that did not parse as `field: a vs b`, shown as they are.
    pub raw: Vec<String>,
    pub capped: bool,
    /// The reruns' anatomy (traces, call trees, code, rule), on the pages that get one.
    pub anatomy: Option<super::trace::Anatomy>,
    /// Why a page has no anatomy.
    pub no_anatomy: String,
}
