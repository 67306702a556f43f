//! Runs the cases of a vectors folder through a job in parallel and reports on them.
//!
//! The runner owns discovery (which folder, which files), selection (`--filter`, `--case`,
//! `--shard`), parallel execution with panics and slow cases contained, progress, and the report
//! (`results.json`, `junit.xml`, the summary table). What a job does with a case — run one backend
//! against the fixture, or two backends against each other — is the caller's.
//!
//! Architecture invariant: the runner never looks inside an outcome and never names a backend; it
//! only sees the status and message a job returns.

mod progress;
mod results;
mod run;
mod vectors;

pub use progress::Progress;
pub use results::{
    new_run_id, status_word, CaseKind, CaseRecord, CaseStatus, JobOutcome, KindTotals, Report, RunInfo, Totals,
    MAX_DIFF_LINES, SCHEMA_VERSION,
};
pub use run::{load, parse_shard, run_all, Loaded, Selection, Task, NOT_RUN_FAIL_FAST};
pub use vectors::{resolve, vector_files, Origin, Vectors, PINNED_COMMIT, VECTORS_ENV};
