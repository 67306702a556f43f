//! `cargo xtask conformance` end to end: exit codes, reports, and sentences on bad input.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ovm-xtask-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("vectors")).unwrap();
    dir
}

fn own(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../vectors/state/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn conformance(dir: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["conformance", "--quiet", "--vectors"])
        .arg(dir.join("vectors"))
        .arg("--reports")
        .arg(dir.join("reports"))
        .args(extra)
        .env_remove("ETHEREUM_TESTS")
        .output()
        .unwrap()
}

fn results(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("reports/latest/results.json")).unwrap()).unwrap()
}

#[test]
fn a_clean_run_exits_zero_and_writes_results_and_junit() {
    let dir = scratch("clean");
    std::fs::write(dir.join("vectors/a.json"), own("call_and_log.json")).unwrap();
    let out = conformance(&dir, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json = results(&dir);
    assert_eq!(json["totals"]["pass"], 1);
    assert_eq!(json["cases"][0]["id"], "a.json::call_and_log::Cancun::d0g0v0");
    assert!(dir.join("reports/latest/junit.xml").exists());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_bad_file_fails_the_run_but_not_the_other_cases() {
    let dir = scratch("bad");
    std::fs::write(dir.join("vectors/good.json"), own("add_and_store.json")).unwrap();
    std::fs::write(dir.join("vectors/broken.json"), "{ this is not json").unwrap();
    let out = conformance(&dir, &[]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("file error: broken.json"), "{stdout}");
    let json = results(&dir);
    assert_eq!(json["totals"]["pass"], 2);
    assert_eq!(json["totals"]["file_errors"], 1);
    assert_eq!(json["file_errors"][0]["file"], "broken.json");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_failing_case_is_listed_and_rerunnable_by_id() {
    let dir = scratch("fail");
    // Change one digit of the first recorded state root.
    let tampered = own("add_and_store.json");
    let at = tampered.find("\"hash\": \"0x").unwrap() + 11;
    let digit = if &tampered[at..at + 1] == "0" { "1" } else { "0" };
    let tampered = format!("{}{digit}{}", &tampered[..at], &tampered[at + 1..]);
    std::fs::write(dir.join("vectors/t.json"), tampered).unwrap();
    let out = conformance(&dir, &[]);
    assert_eq!(out.status.code(), Some(1));
    let id = "t.json::add_and_store::Cancun::d0g0v0";
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("FAIL: {id}: native: state root")));

    let out = conformance(&dir, &["--case", id]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&format!("case {id}")) && stdout.contains("[0x0] = 0x5"), "{stdout}");
    assert_eq!(results(&dir)["totals"]["cases"], 1);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_missing_vectors_folder_is_one_sentence() {
    let dir = scratch("missing");
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["conformance", "--vectors", "/nonexistent/tests"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "error: --vectors names /nonexistent/tests, which does not exist"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_unknown_case_id_is_one_sentence() {
    let dir = scratch("unknown");
    std::fs::write(dir.join("vectors/a.json"), own("call_and_log.json")).unwrap();
    let out = conformance(&dir, &["--case", "a.json::nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: no case has the id `a.json::nope`"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_case_timeout_must_be_a_positive_finite_number_of_seconds() {
    for bad in ["inf", "1e30", "0", "-1", "NaN", "soon"] {
        let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(["conformance", "--case-timeout", bad, "--vectors", "/nonexistent/tests"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "--case-timeout {bad}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("--case-timeout") && stderr.contains(bad), "--case-timeout {bad}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn a_case_that_drifts_into_explained_fails_the_baseline_check() {
    // PUSH1 1 ADD with too little gas for ADD: natively out of gas, through the OVM a stack
    // underflow (the block's STACKGUARD comes first): explained by the halt-order rule.
    let dir = scratch("baseline");
    let vector = format!("{}/tests/data/out_of_gas_before_a_stack_failure.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(vector, dir.join("vectors/gas.json")).unwrap();
    let baseline = dir.join("explained.txt");

    std::fs::write(&baseline, "# nothing is explained\n").unwrap();
    let out = conformance(&dir, &["--no-fail", "--baseline", baseline.to_str().unwrap()]);
    // --no-fail keeps the exit code 0; the check still says what drifted.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("FAIL baseline: 1 case(s) are explained but not listed"), "{stdout}");
    let out = conformance(&dir, &["--baseline", baseline.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "a drift fails the run");

    let out = conformance(&dir, &["--write-baseline", baseline.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let listed = std::fs::read_to_string(&baseline).unwrap();
    assert_eq!(listed.lines().filter(|l| !l.starts_with('#')).count(), 1, "{listed}");
    let out = conformance(&dir, &["--baseline", baseline.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn tracing_a_case_writes_both_eip3155_traces_and_the_physical_one() {
    let dir = scratch("trace");
    std::fs::write(dir.join("vectors/a.json"), own("add_and_store.json")).unwrap();
    let out = conformance(&dir, &["--case", "a.json::add_and_store::Cancun::d0g0v0", "--trace", "--trace-physical"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let run = std::fs::read_link(dir.join("reports/latest")).unwrap();
    let run = dir.join("reports").join(run);
    for name in ["trace-native.jsonl", "trace-ovm.jsonl"] {
        let text = std::fs::read_to_string(run.join(name)).unwrap();
        let summary: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        let root = summary["stateRoot"].as_str().unwrap();
        assert!(root.len() == 66 && root != format!("0x{}", "0".repeat(64)), "{name}: {summary}");
        assert_eq!(summary["pass"], true, "{name}");
    }
    assert!(std::fs::metadata(run.join("trace-ovm-physical.jsonl")).unwrap().len() > 0);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn tracing_a_rejected_transaction_prints_both_rejections() {
    let dir = scratch("trace-rejected");
    let vector = format!("{}/../vectors/ovm/rejection_pairs_of_faults.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(vector, dir.join("vectors/r.json")).unwrap();
    let out = conformance(&dir, &["--case", "r.json::single_balance::Cancun::d0g0v0", "--trace"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout
        .contains("native: no trace, the transaction is rejected (TransactionException.INSUFFICIENT_ACCOUNT_FUNDS)"));
    assert!(
        stdout.contains("ovm: no trace, the transaction is rejected (TransactionException.INSUFFICIENT_ACCOUNT_FUNDS)")
    );
    assert!(results(&dir)["cases"][0]["verdict"] == "equal");
    std::fs::remove_dir_all(dir).unwrap();
}

fn own_block_vector(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../vectors/blocks/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn both_kinds_run_in_one_run_and_a_broken_blockchain_test_does_not_stop_it() {
    let dir = scratch("kinds");
    std::fs::write(dir.join("vectors/a.json"), own("add_and_store.json")).unwrap();
    let chain = own_block_vector("logs_bloom_per_block.json");
    std::fs::write(dir.join("vectors/b.json"), &chain).unwrap();
    // The same test with its first block's gas limit missing.
    let mut broken: serde_json::Value = serde_json::from_str(&chain).unwrap();
    let test = broken.as_object_mut().unwrap().values_mut().next().unwrap();
    test["blocks"][0]["blockHeader"].as_object_mut().unwrap().remove("gasLimit");
    std::fs::write(dir.join("vectors/c.json"), broken.to_string()).unwrap();

    let out = conformance(&dir, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("file error: c.json") && stdout.contains("blocks[0].blockHeader.gasLimit"), "{stdout}");
    assert!(stdout.contains("blockchain tests") && stdout.contains("state tests"), "{stdout}");
    let json = results(&dir);
    assert_eq!(json["schema_version"], 3);
    assert_eq!(json["kinds"]["blockchain"]["totals"]["pass"], 1);
    assert_eq!(json["kinds"]["blockchain"]["verdicts"]["equal"], 1);
    assert_eq!(json["kinds"]["state"]["totals"]["pass"], 2);
    let chain_record = json["cases"].as_array().unwrap().iter().find(|c| c["kind"] == "blockchain").unwrap();
    assert_eq!(chain_record["id"], "b.json::logs_bloom_per_block");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_blockchain_test_is_shown_and_traced_by_its_id() {
    let dir = scratch("trace-chain");
    std::fs::write(dir.join("vectors/b.json"), own_block_vector("logs_bloom_per_block.json")).unwrap();
    let out = conformance(&dir, &["--case", "b.json::logs_bloom_per_block", "--trace"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("block 3: gas used") && stdout.contains(" transaction 0:"), "{stdout}");
    let run = dir.join("reports").join(std::fs::read_link(dir.join("reports/latest")).unwrap());
    let count = |name: &str| std::fs::read_to_string(run.join(name)).unwrap().lines().count();
    assert!(count("trace-native.jsonl") > 10);
    assert_eq!(count("trace-native.jsonl"), count("trace-ovm.jsonl"));
    std::fs::remove_dir_all(dir).unwrap();
}
