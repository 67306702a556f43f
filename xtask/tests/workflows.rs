//! The CI configuration parses and keeps up with the fuzz targets: every workflow in
//! `.github/workflows/` is YAML with `on` and `jobs`; the fuzz workflow runs every target of
//! `fuzz/Cargo.toml` (on pull requests and nightly); the ClusterFuzzLite build builds each of them.

use serde_norway::Value;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the repository").to_path_buf()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn yaml(path: &Path) -> Value {
    serde_norway::from_str(&read(path)).unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()))
}

fn workflows() -> Vec<(PathBuf, Value)> {
    let dir = root().join(".github/workflows");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    files.into_iter().map(|p| (p.clone(), yaml(&p))).collect()
}

/// The `[[bin]]` names of `fuzz/Cargo.toml`: the fuzz targets.
fn fuzz_targets() -> Vec<String> {
    let manifest = read(&root().join("fuzz/Cargo.toml"));
    let mut targets = Vec::new();
    let mut in_bin = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if let (true, Some(rest)) = (in_bin, line.strip_prefix("name")) {
            let name = rest.trim_start().trim_start_matches('=').trim().trim_matches('"');
            targets.push(name.to_owned());
        }
    }
    assert!(!targets.is_empty(), "fuzz/Cargo.toml lists no [[bin]] targets");
    targets
}

/// Every string in a YAML value, recursively (commands, matrix entries, ...).
fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Sequence(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Mapping(map) => map.iter().for_each(|(k, v)| {
            strings(k, out);
            strings(v, out);
        }),
        Value::Tagged(tagged) => strings(&tagged.value, out),
        _ => {}
    }
}

#[test]
fn every_workflow_is_yaml_with_triggers_and_jobs() {
    let workflows = workflows();
    for name in ["ci.yml", "fuzz.yml", "cflite_pr.yml"] {
        assert!(workflows.iter().any(|(p, _)| p.ends_with(name)), "missing .github/workflows/{name}");
    }
    for (path, workflow) in &workflows {
        // YAML 1.1 would read a bare `on` as `true`; serde_norway reads it as the string "on".
        assert!(workflow.get("on").is_some(), "{}: no `on`", path.display());
        let jobs = workflow.get("jobs").and_then(Value::as_mapping);
        let jobs = jobs.unwrap_or_else(|| panic!("{}: no `jobs` mapping", path.display()));
        assert!(!jobs.is_empty(), "{}: no jobs", path.display());
        for (name, job) in jobs {
            let steps = job.get("steps").and_then(Value::as_sequence);
            assert!(steps.is_some_and(|s| !s.is_empty()), "{}: job {name:?} has no steps", path.display());
            assert!(job.get("runs-on").is_some(), "{}: job {name:?} has no runs-on", path.display());
        }
    }
}

#[test]
fn ci_runs_the_ci_script() {
    let ci = yaml(&root().join(".github/workflows/ci.yml"));
    let mut all = Vec::new();
    strings(&ci, &mut all);
    assert!(all.iter().any(|s| s.trim() == ".ci/run"), "ci.yml does not run .ci/run");
}

/// The runs of `cargo xtask fuzz` in a job, with the targets its matrix gives `matrix.target`.
fn fuzzed_targets(job: &Value) -> Vec<String> {
    let mut commands = Vec::new();
    strings(job.get("steps").expect("steps"), &mut commands);
    let runs: Vec<&String> = commands.iter().filter(|c| c.contains("cargo xtask fuzz")).collect();
    let matrix: Vec<String> = job
        .get("strategy")
        .and_then(|s| s.get("matrix"))
        .and_then(|m| m.get("target"))
        .and_then(Value::as_sequence)
        .map(|t| t.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    let mut targets = Vec::new();
    for run in runs {
        let after = run.split("cargo xtask fuzz").nth(1).unwrap_or_default();
        match after.split_whitespace().next() {
            Some("${{") => targets.extend(matrix.iter().cloned()),
            Some(target) => targets.push(target.to_owned()),
            None => {}
        }
    }
    targets
}

#[test]
fn the_fuzz_workflow_runs_every_target_on_pull_requests_and_nightly() {
    let fuzz = yaml(&root().join(".github/workflows/fuzz.yml"));
    let on = fuzz.get("on").expect("on");
    assert!(on.get("pull_request").is_some(), "fuzz.yml does not run on pull requests");
    assert!(on.get("schedule").is_some(), "fuzz.yml has no nightly schedule");
    let jobs = fuzz.get("jobs").expect("jobs");
    for (job, seconds) in [("pr", Some("60")), ("nightly", None)] {
        let job_value = jobs.get(job).unwrap_or_else(|| panic!("fuzz.yml has no `{job}` job"));
        let fuzzed = fuzzed_targets(job_value);
        for target in fuzz_targets() {
            assert!(fuzzed.contains(&target), "fuzz.yml's `{job}` job does not fuzz `{target}` (it fuzzes {fuzzed:?})");
        }
        let mut all = Vec::new();
        strings(job_value, &mut all);
        if let Some(seconds) = seconds {
            assert!(
                all.iter().any(|s| s.contains("cargo xtask fuzz") && s.contains(&format!("--time {seconds}"))),
                "the `{job}` job runs each target for {seconds} s"
            );
        }
        assert!(all.iter().any(|s| s.starts_with("actions/upload-artifact")), "`{job}` uploads no reproducers");
    }
    let mut nightly = Vec::new();
    strings(jobs.get("nightly").expect("nightly"), &mut nightly);
    assert!(nightly.iter().any(|s| s.starts_with("actions/cache")), "the nightly corpus is not cached");
    for path in ["fuzz/artifacts/", "vectors/regressions/"] {
        assert!(nightly.iter().any(|s| s.contains(path)), "the nightly job does not upload {path}");
    }
}

#[test]
fn clusterfuzzlite_builds_every_target() {
    let project = yaml(&root().join(".clusterfuzzlite/project.yaml"));
    assert_eq!(project.get("language").and_then(Value::as_str), Some("rust"));
    let build = read(&root().join(".clusterfuzzlite/build.sh"));
    assert!(build.contains("cargo fuzz build -O"), "build.sh does not build optimised fuzz targets");
    // The targets it builds and copies: its `TARGETS="…"` list.
    let listed: Vec<&str> = build
        .lines()
        .find_map(|line| line.trim().strip_prefix("TARGETS="))
        .map(|list| list.trim_matches('"').split_whitespace().collect())
        .expect(".clusterfuzzlite/build.sh has a TARGETS=\"…\" list");
    for target in fuzz_targets() {
        assert!(listed.contains(&target.as_str()), ".clusterfuzzlite/build.sh's TARGETS does not list `{target}`");
    }
    let dockerfile = read(&root().join(".clusterfuzzlite/Dockerfile"));
    assert!(dockerfile.contains("FROM gcr.io/oss-fuzz-base/base-builder-rust"));
    let cflite = yaml(&root().join(".github/workflows/cflite_pr.yml"));
    let mut all = Vec::new();
    strings(&cflite, &mut all);
    for action in ["google/clusterfuzzlite/actions/build_fuzzers", "google/clusterfuzzlite/actions/run_fuzzers"] {
        assert!(all.iter().any(|s| s.starts_with(action)), "cflite_pr.yml does not use {action}");
    }
}
