//! Loading and running cases in parallel, one case never able to take the run down.

use crate::{
    progress::Progress,
    results::{CaseRecord, CaseStatus, JobOutcome},
};
use ovm_fixture::{load_vector_file, BlockchainCase, BlockchainTest, Case, CaseProblem, FileError, Setup, VectorFile};
use rayon::prelude::*;
use std::{
    cell::RefCell,
    panic::{self, AssertUnwindSafe},
    path::PathBuf,
    sync::Once,
    time::{Duration, Instant},
};

/// Which cases of the loaded set to run.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Keep a case when any pattern is a substring of its file name or its id (all cases when empty).
    pub filters: Vec<String>,
    /// Keep only the case whose id is exactly this.
    pub case_id: Option<String>,
    /// `(k, n)`: keep every n-th case starting at the k-th (1-based), in id order.
    pub shard: Option<(usize, usize)>,
}

impl Selection {
    fn keeps_file(&self, name: &str) -> bool {
        match &self.case_id {
            Some(id) => id.starts_with(&format!("{name}::")),
            None => true,
        }
    }

    /// A file error is reported once across shards (in the first), and only when its file is selected.
    fn keeps_file_error(&self, error: &FileError) -> bool {
        self.shard.is_none_or(|(k, _)| k == 1)
            && self.keeps_file(&error.file)
            && (self.filters.is_empty() || self.filters.iter().any(|f| error.file.contains(f.as_str())))
    }

    fn keeps(&self, id: &str, file: &str) -> bool {
        if let Some(wanted) = &self.case_id {
            return id == wanted;
        }
        self.filters.is_empty() || self.filters.iter().any(|f| file.contains(f.as_str()) || id.contains(f.as_str()))
    }
}

/// Parses `K/N` with `1 <= K <= N`.
pub fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let err = || format!("--shard expects K/N with 1 <= K <= N, got `{text}`");
    let (k, n) = text.split_once('/').ok_or_else(err)?;
    let (k, n): (usize, usize) = (k.trim().parse().map_err(|_| err())?, n.trim().parse().map_err(|_| err())?);
    if k == 0 || n == 0 || k > n {
        return Err(err());
    }
    Ok((k, n))
}

/// The loaded, selected cases of a vectors folder: state-test cases and blockchain tests, each in id
/// order.
pub struct Loaded {
    pub cases: Vec<Case>,
    pub chains: Vec<BlockchainCase>,
    pub file_errors: Vec<FileError>,
    pub files: usize,
}

impl Loaded {
    /// How many cases of both kinds were selected.
    pub fn len(&self) -> usize {
        self.cases.len() + self.chains.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Loads every file in parallel, then keeps the selected cases, in id order. A shard takes every
/// n-th case of both kinds together, in id order.
pub fn load(files: &[(PathBuf, String)], selection: &Selection) -> Loaded {
    let files: Vec<_> = files.iter().filter(|(_, name)| selection.keeps_file(name)).collect();
    let loaded: Vec<_> = files.par_iter().map(|(path, name)| guarded_load(path, name)).collect();
    let mut cases = Vec::new();
    let mut chains = Vec::new();
    let mut file_errors = Vec::new();
    for file in loaded {
        cases.extend(file.cases.into_iter().filter(|c| selection.keeps(&c.id.0, &c.file)));
        chains.extend(file.chains.into_iter().filter(|c| selection.keeps(&c.id.0, &c.file)));
        file_errors.extend(file.errors);
    }
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    chains.sort_by(|a, b| a.id.cmp(&b.id));
    if let Some((k, n)) = selection.shard {
        let mut ids: Vec<&str> =
            cases.iter().map(|c| c.id.0.as_str()).chain(chains.iter().map(|c| c.id.0.as_str())).collect();
        ids.sort_unstable();
        let kept: std::collections::HashSet<String> =
            ids.iter().enumerate().filter(|(i, _)| i % n == k - 1).map(|(_, id)| (*id).to_owned()).collect();
        cases.retain(|c| kept.contains(&c.id.0));
        chains.retain(|c| kept.contains(&c.id.0));
    }
    file_errors.retain(|e| selection.keeps_file_error(e));
    Loaded { cases, chains, file_errors, files: files.len() }
}

fn guarded_load(path: &std::path::Path, name: &str) -> VectorFile {
    catch(|| load_vector_file(path, name)).unwrap_or_else(|panic| VectorFile {
        errors: vec![FileError {
            file: name.to_owned(),
            test_name: None,
            field: None,
            message: format!("loader panicked: {panic}"),
        }],
        ..VectorFile::default()
    })
}

/// The skip reason of a case a `fail_fast` run did not start.
pub const NOT_RUN_FAIL_FAST: &str = "not run: --fail-fast stopped the run at the first failure";

/// One runnable case, of either kind.
#[derive(Clone, Copy)]
pub enum Task<'a> {
    /// A state-test case and its environment.
    State(&'a Case, &'a Setup),
    /// A blockchain test.
    Chain(&'a BlockchainCase, &'a BlockchainTest),
}

/// Runs `job` on every case of both kinds, in one parallel run. Skipped and invalid cases are
/// recorded without running. A panic inside `job` becomes an `error` record. With a `budget` (an
/// opt-in hang detector), a case slower than it becomes an `error` record too; without one, a slow
/// case keeps its verdict and its time is recorded, so that the same inputs give the same verdicts
/// on any machine. With `fail_fast`, the cases not yet started when one fails or errs are recorded
/// as skipped ([`NOT_RUN_FAIL_FAST`]) instead of run: for "is anything broken", not for figures.
pub fn run_all<J>(
    loaded: &Loaded,
    budget: Option<Duration>,
    fail_fast: bool,
    progress: &Progress,
    job: J,
) -> Vec<CaseRecord>
where
    J: Fn(Task<'_>) -> JobOutcome + Sync,
{
    let stopped = std::sync::atomic::AtomicBool::new(false);
    let is_stopped = || stopped.load(std::sync::atomic::Ordering::Relaxed);
    let not_run = || JobOutcome::new(CaseStatus::Skipped, NOT_RUN_FAIL_FAST.to_owned());
    let record = |record: CaseRecord| {
        if fail_fast && matches!(record.status, CaseStatus::Fail | CaseStatus::Error) {
            stopped.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        progress.advance(&record);
        record
    };
    // Blockchain tests first: they are the longest, so the run does not end waiting on one of them.
    let chains = loaded.chains.par_iter().map(|case| {
        let new = |outcome, elapsed| CaseRecord::of_chain(case, outcome, elapsed);
        record(match &case.test {
            Ok(_) if is_stopped() => new(not_run(), Duration::ZERO),
            Ok(test) => run_one(budget, || job(Task::Chain(case, test)), new),
            Err(skip) => new(JobOutcome::new(CaseStatus::Skipped, skip.reason.clone()), Duration::ZERO),
        })
    });
    let cases = loaded.cases.par_iter().map(|case| {
        let new = |outcome, elapsed| CaseRecord::new(case, outcome, elapsed);
        record(match &case.setup {
            Ok(_) if is_stopped() => new(not_run(), Duration::ZERO),
            Ok(setup) => run_one(budget, || job(Task::State(case, setup)), new),
            Err(CaseProblem::Skipped(skip)) => {
                new(JobOutcome::new(CaseStatus::Skipped, skip.reason.clone()), Duration::ZERO)
            }
            Err(CaseProblem::Invalid(e)) => {
                new(JobOutcome::new(CaseStatus::Error, format!("bad fixture: {e}")), Duration::ZERO)
            }
        })
    });
    chains.chain(cases).collect()
}

fn run_one(
    budget: Option<Duration>,
    job: impl FnOnce() -> JobOutcome,
    record: impl Fn(JobOutcome, Duration) -> CaseRecord,
) -> CaseRecord {
    let start = Instant::now();
    let result = catch(job);
    let elapsed = start.elapsed();
    match result {
        Ok(_) if budget.is_some_and(|budget| elapsed > budget) => {
            let message = format!(
                "exceeded the per-case time budget of {:.1}s (took {:.1}s)",
                budget.unwrap_or_default().as_secs_f64(),
                elapsed.as_secs_f64()
            );
            record(JobOutcome::new(CaseStatus::Error, message), elapsed)
        }
        Ok(outcome) => record(outcome, elapsed),
        Err(panic) => record(JobOutcome::new(CaseStatus::Error, format!("panicked: {panic}")), elapsed),
    }
}

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f`, turning a panic into its message. The default hook would print every panic to stderr;
/// ours records it for the case instead (panics outside `catch` still print).
fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let recorded = LAST_PANIC.with(|p| {
                let mut slot = p.borrow_mut();
                if slot.is_some() {
                    *slot = Some(info.to_string());
                    true
                } else {
                    false
                }
            });
            if !recorded {
                default(info);
            }
        }));
    });
    LAST_PANIC.with(|p| *p.borrow_mut() = Some(String::new()));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    let message = LAST_PANIC.with(|p| p.borrow_mut().take()).unwrap_or_default();
    result.map_err(|_| if message.is_empty() { "panic with no message".to_owned() } else { message })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_caught_with_its_message() {
        let result: Result<(), String> = catch(|| panic!("boom at depth 3"));
        assert!(result.unwrap_err().contains("boom at depth 3"));
        assert_eq!(catch(|| 7), Ok(7));
    }

    #[test]
    fn shards_are_one_based_and_bounded() {
        assert_eq!(parse_shard("1/4"), Ok((1, 4)));
        assert_eq!(parse_shard("4/4"), Ok((4, 4)));
        assert!(parse_shard("0/4").is_err());
        assert!(parse_shard("5/4").is_err());
        assert!(parse_shard("x").is_err());
    }
}
