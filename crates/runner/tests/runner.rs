//! The runner contains failures, partitions work exactly, and reports every case, of both kinds.

use ovm_runner::{
    load, run_all, vector_files, CaseKind, CaseStatus, JobOutcome, Loaded, Progress, Report, RunInfo, Selection, Task,
};
use std::{
    path::{Path, PathBuf},
    time::Duration,
};

fn vectors_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../vectors"))
}

fn own_vectors() -> Vec<(PathBuf, String)> {
    vector_files(&vectors_dir())
}

fn all() -> Loaded {
    load(&own_vectors(), &Selection::default())
}

/// Every id of a loaded set, both kinds, sorted.
fn ids(loaded: &Loaded) -> Vec<String> {
    let mut ids: Vec<String> =
        loaded.cases.iter().map(|c| c.id.0.clone()).chain(loaded.chains.iter().map(|c| c.id.0.clone())).collect();
    ids.sort();
    ids
}

fn id_of(task: Task<'_>) -> &str {
    match task {
        Task::State(case, _) => &case.id.0,
        Task::Chain(case, _) => &case.id.0,
    }
}

fn quiet(n: usize) -> Progress {
    Progress::new("test", n, true)
}

/// The first `n` state cases alone.
fn first_cases(n: usize) -> Loaded {
    let mut loaded = all();
    loaded.cases.truncate(n);
    loaded.chains.clear();
    loaded
}

#[test]
fn the_own_vectors_hold_both_kinds() {
    let loaded = all();
    assert!(!loaded.cases.is_empty(), "state tests in vectors/");
    assert!(!loaded.chains.is_empty(), "blockchain tests in vectors/blocks/");
    assert!(loaded.file_errors.is_empty(), "{:?}", loaded.file_errors);
}

#[test]
fn a_panicking_case_is_an_error_and_the_others_still_run() {
    let loaded = all();
    // One of each kind panics.
    let panicky = [loaded.cases[1].id.0.clone(), loaded.chains[0].id.0.clone()];
    let records = run_all(&loaded, None, false, &quiet(loaded.len()), |task| {
        if panicky.iter().any(|id| id == id_of(task)) {
            panic!("backend exploded on purpose");
        }
        JobOutcome::new(CaseStatus::Pass, "")
    });
    assert_eq!(records.len(), loaded.len());
    let mut errors: Vec<_> = records.iter().filter(|r| r.status == CaseStatus::Error).collect();
    errors.sort_by(|a, b| a.id.cmp(&b.id));
    let mut expected = panicky.to_vec();
    expected.sort();
    assert_eq!(errors.iter().map(|r| r.id.clone()).collect::<Vec<_>>(), expected);
    assert!(errors.iter().all(|r| r.message.contains("backend exploded on purpose")));
}

#[test]
fn a_case_over_budget_is_an_error() {
    let one = first_cases(1);
    let records = run_all(&one, Some(Duration::from_millis(1)), false, &quiet(1), |_| {
        std::thread::sleep(Duration::from_millis(20));
        JobOutcome::new(CaseStatus::Pass, "")
    });
    assert_eq!(records[0].status, CaseStatus::Error);
    assert!(records[0].message.contains("time budget"));
}

#[test]
fn without_a_budget_a_slow_case_keeps_its_verdict() {
    let one = first_cases(1);
    let records = run_all(&one, None, false, &quiet(1), |_| {
        std::thread::sleep(Duration::from_millis(20));
        JobOutcome::new(CaseStatus::Pass, "")
    });
    assert_eq!(records[0].status, CaseStatus::Pass);
}

#[test]
fn fail_fast_stops_starting_cases_after_the_first_failure_and_says_so() {
    let loaded = all();
    let started = std::sync::atomic::AtomicUsize::new(0);
    let records = run_all(&loaded, None, true, &quiet(loaded.len()), |_| {
        started.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        JobOutcome::new(CaseStatus::Fail, "broken on purpose")
    });
    assert_eq!(records.len(), loaded.len(), "every case is still recorded");
    let started = started.into_inner();
    // At most one case per worker thread was already running when the first failure landed.
    assert!(started <= rayon::current_num_threads(), "{started} cases ran");
    let not_run = records.iter().filter(|r| r.message == ovm_runner::NOT_RUN_FAIL_FAST).count();
    assert!(
        not_run > 0
            && records.iter().all(|r| r.message != ovm_runner::NOT_RUN_FAIL_FAST || r.status == CaseStatus::Skipped)
    );
    let skipped_by_the_fixture = records
        .iter()
        .filter(|r| r.status == CaseStatus::Skipped && r.message != ovm_runner::NOT_RUN_FAIL_FAST)
        .count();
    assert_eq!(started + not_run + skipped_by_the_fixture, loaded.len(), "a case ran or says why not");

    // Without it, every case runs.
    let records = run_all(&loaded, None, false, &quiet(loaded.len()), |_| JobOutcome::new(CaseStatus::Fail, "x"));
    assert!(records.iter().all(|r| r.status == CaseStatus::Fail));
}

#[test]
fn shards_partition_the_cases_of_both_kinds_exactly() {
    let every = ids(&all());
    let mut union = Vec::new();
    let mut kinds = 0;
    for k in 1..=3 {
        let shard = load(&own_vectors(), &Selection { shard: Some((k, 3)), ..Selection::default() });
        kinds += usize::from(!shard.chains.is_empty());
        union.extend(ids(&shard));
    }
    union.sort();
    assert_eq!(union, every);
    assert!(kinds >= 2, "blockchain tests are spread over the shards");
}

#[test]
fn a_case_id_selects_exactly_that_case_of_either_kind() {
    let loaded = all();
    for id in [loaded.cases[3].id.0.clone(), loaded.chains[1].id.0.clone()] {
        let one = load(&own_vectors(), &Selection { case_id: Some(id.clone()), ..Selection::default() });
        assert_eq!(ids(&one), vec![id]);
    }
}

#[test]
fn a_filter_matches_paths_and_ids() {
    let by_path = load(&own_vectors(), &Selection { filters: vec!["value_transfer".into()], ..Selection::default() });
    assert_eq!(by_path.cases.len(), 2);
    let by_id = load(&own_vectors(), &Selection { filters: vec!["::Cancun::d1g0v0".into()], ..Selection::default() });
    assert!(by_id.cases.iter().all(|c| c.id.0.ends_with("::Cancun::d1g0v0")));
    let blocks = load(&own_vectors(), &Selection { filters: vec!["blocks/".into()], ..Selection::default() });
    assert!(blocks.cases.is_empty() && !blocks.chains.is_empty());
}

/// An ethereum/tests checkout: state tests are named from `GeneralStateTests/`, blockchain tests from
/// the checkout; what a file holds, its content says, wherever it lies.
#[test]
fn a_checkout_is_walked_in_its_two_test_folders() {
    let dir = std::env::temp_dir().join(format!("ovm-runner-checkout-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let own = own_vectors();
    let state = own.iter().find(|(_, n)| n.starts_with("state/")).unwrap();
    let chain = own.iter().find(|(_, n)| n.starts_with("blocks/")).unwrap();
    let copy = |from: &Path, to: &str| {
        let to = dir.join(to);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    };
    copy(&state.0, "GeneralStateTests/stOwn/a.json");
    copy(&chain.0, "BlockchainTests/ValidBlocks/bcOwn/b.json");
    copy(&state.0, "EOFTests/ignored.json");
    let files = vector_files(&dir);
    let names: Vec<&str> = files.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["BlockchainTests/ValidBlocks/bcOwn/b.json", "stOwn/a.json"]);
    let loaded = load(&files, &Selection::default());
    assert!(loaded.file_errors.is_empty(), "{:?}", loaded.file_errors);
    assert!(loaded.cases.iter().all(|c| c.id.0.starts_with("stOwn/a.json::")));
    assert!(loaded.chains.iter().all(|c| c.id.0.starts_with("BlockchainTests/ValidBlocks/bcOwn/b.json::")));
    assert!(!loaded.cases.is_empty() && !loaded.chains.is_empty());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_report_counts_every_case_and_escapes_junit() {
    let loaded = all();
    let failing = [loaded.cases[2].id.0.clone(), loaded.chains[0].id.0.clone()];
    let records = run_all(&loaded, None, false, &quiet(loaded.len()), |task| {
        if failing.iter().any(|id| id == id_of(task)) {
            JobOutcome::new(CaseStatus::Fail, "got <b>&\"</b>").with_verdict("divergent")
        } else {
            JobOutcome::new(CaseStatus::Pass, "").with_verdict("equal")
        }
    });
    let run = RunInfo {
        run_id: "test-run".into(),
        job: "native".into(),
        vectors: "vectors".into(),
        vectors_origin: "embedded".into(),
        filters: vec![],
        case: None,
        shard: None,
        files: 5,
        wall_seconds: 0.0,
        command: None,
        commit: None,
        cores: None,
        em_artifact: None,
    };
    let report = Report::new(run, records, vec![]);
    assert_eq!(report.totals.cases, loaded.len());
    assert_eq!(report.totals.fail, 2);
    assert_eq!(report.verdicts["divergent"], 2);
    assert_eq!(report.verdicts["equal"], loaded.len() - 2);
    for kind in [CaseKind::State, CaseKind::Blockchain] {
        assert_eq!(report.kinds[&kind].totals.fail, 1, "{kind:?}");
        assert_eq!(report.kinds[&kind].verdicts["divergent"], 1, "{kind:?}");
    }
    assert_eq!(report.kinds[&CaseKind::Blockchain].totals.cases, loaded.chains.len());
    let summary = report.summary(10);
    assert!(summary.contains("verdicts by folder"));
    assert!(summary.contains("blockchain tests") && summary.contains("state tests"), "{summary}");
    assert!(!report.totals.is_clean());
    let junit = report.junit();
    assert!(junit.contains("got &lt;b&gt;&amp;&quot;&lt;/b&gt;"));
    assert!(!junit.contains("<b>"));

    let dir = std::env::temp_dir().join(format!("ovm-runner-test-{}", std::process::id()));
    let written = report.write(&dir).unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(written.join("results.json")).unwrap()).unwrap();
    assert_eq!(json["schema_version"], ovm_runner::SCHEMA_VERSION);
    assert_eq!(json["cases"].as_array().unwrap().len(), loaded.len());
    assert_eq!(json["kinds"]["blockchain"]["totals"]["cases"], loaded.chains.len());
    let chain_record = json["cases"].as_array().unwrap().iter().find(|c| c["kind"] == "blockchain").unwrap();
    assert!(chain_record["blocks"].as_u64().is_some() && chain_record.get("indexes").is_none());
    assert_eq!(std::fs::read_link(dir.join("latest")).unwrap(), PathBuf::from("test-run"));
    std::fs::remove_dir_all(dir).unwrap();
}
