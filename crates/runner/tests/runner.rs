//! The runner contains failures, partitions work exactly, and reports every case.

use ovm_runner::{load, run_cases, state_test_files, CaseStatus, JobOutcome, Progress, Report, RunInfo, Selection};
use std::{path::PathBuf, time::Duration};

fn own_vectors() -> Vec<(PathBuf, String)> {
    state_test_files(&PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../vectors")))
}

fn all_cases() -> Vec<ovm_fixture::Case> {
    load(&own_vectors(), &Selection::default()).cases
}

fn quiet(n: usize) -> Progress {
    Progress::new("test", n, true)
}

#[test]
fn a_panicking_case_is_an_error_and_the_others_still_run() {
    let cases = all_cases();
    let panicky = cases[1].id.clone();
    let records = run_cases(&cases, None, &quiet(cases.len()), |case, _| {
        if case.id == panicky {
            panic!("backend exploded on purpose");
        }
        JobOutcome::new(CaseStatus::Pass, "")
    });
    assert_eq!(records.len(), cases.len());
    let errors: Vec<_> = records.iter().filter(|r| r.status == CaseStatus::Error).collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].id, panicky.0);
    assert!(errors[0].message.contains("backend exploded on purpose"), "{}", errors[0].message);
}

#[test]
fn a_case_over_budget_is_an_error() {
    let cases = all_cases();
    let records = run_cases(&cases[..1], Some(Duration::from_millis(1)), &quiet(1), |_, _| {
        std::thread::sleep(Duration::from_millis(20));
        JobOutcome::new(CaseStatus::Pass, "")
    });
    assert_eq!(records[0].status, CaseStatus::Error);
    assert!(records[0].message.contains("time budget"));
}

#[test]
fn without_a_budget_a_slow_case_keeps_its_verdict() {
    let cases = all_cases();
    let records = run_cases(&cases[..1], None, &quiet(1), |_, _| {
        std::thread::sleep(Duration::from_millis(20));
        JobOutcome::new(CaseStatus::Pass, "")
    });
    assert_eq!(records[0].status, CaseStatus::Pass);
}

#[test]
fn shards_partition_the_cases_exactly() {
    let all: Vec<_> = all_cases().into_iter().map(|c| c.id).collect();
    let mut union = Vec::new();
    for k in 1..=3 {
        let shard = load(&own_vectors(), &Selection { shard: Some((k, 3)), ..Selection::default() });
        union.extend(shard.cases.into_iter().map(|c| c.id));
    }
    union.sort();
    assert_eq!(union, all);
}

#[test]
fn a_case_id_selects_exactly_that_case() {
    let all = all_cases();
    let id = all[3].id.0.clone();
    let one = load(&own_vectors(), &Selection { case_id: Some(id.clone()), ..Selection::default() });
    assert_eq!(one.cases.len(), 1);
    assert_eq!(one.cases[0].id.0, id);
}

#[test]
fn a_filter_matches_paths_and_ids() {
    let by_path = load(&own_vectors(), &Selection { filters: vec!["value_transfer".into()], ..Selection::default() });
    assert_eq!(by_path.cases.len(), 2);
    let by_id = load(&own_vectors(), &Selection { filters: vec!["::Cancun::d1g0v0".into()], ..Selection::default() });
    assert!(by_id.cases.iter().all(|c| c.id.0.ends_with("::Cancun::d1g0v0")));
}

#[test]
fn the_report_counts_every_case_and_escapes_junit() {
    let cases = all_cases();
    let failing = cases[2].id.clone();
    let records = run_cases(&cases, None, &quiet(cases.len()), |case, _| {
        if case.id == failing {
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
    };
    let report = Report::new(run, records, vec![]);
    assert_eq!(report.totals.cases, cases.len());
    assert_eq!(report.totals.fail, 1);
    assert_eq!(report.verdicts["divergent"], 1);
    assert_eq!(report.verdicts["equal"], cases.len() - 1);
    assert!(report.summary(10).contains("verdicts by folder"));
    assert!(!report.totals.is_clean());
    let junit = report.junit();
    assert!(junit.contains("got &lt;b&gt;&amp;&quot;&lt;/b&gt;"));
    assert!(!junit.contains("<b>"));

    let dir = std::env::temp_dir().join(format!("ovm-runner-test-{}", std::process::id()));
    let written = report.write(&dir).unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(written.join("results.json")).unwrap()).unwrap();
    assert_eq!(json["schema_version"], ovm_runner::SCHEMA_VERSION);
    assert_eq!(json["cases"].as_array().unwrap().len(), cases.len());
    assert_eq!(std::fs::read_link(dir.join("latest")).unwrap(), PathBuf::from("test-run"));
    std::fs::remove_dir_all(dir).unwrap();
}
