//! `results.json` (docs/results-schema.md, schema 3) as the report reads it, and the merge of the
//! results of `--shard K/N` runs into one run.

use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, path::Path};

/// The schema version this renderer understands.
pub const SCHEMA_VERSION: u32 = 3;

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Results {
    pub schema_version: u32,
    pub run: Run,
    pub totals: Totals,
    #[serde(default)]
    pub skipped: BTreeMap<String, usize>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub verdicts: BTreeMap<String, usize>,
    #[serde(default)]
    pub kinds: BTreeMap<String, KindTotals>,
    #[serde(default)]
    pub file_errors: Vec<FileError>,
    pub cases: Vec<Case>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Run {
    pub run_id: String,
    pub job: String,
    pub vectors: String,
    pub vectors_origin: String,
    #[serde(default)]
    pub filters: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    pub files: usize,
    pub wall_seconds: f64,
    // Optional additions (docs/results-schema.md): absent in older runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cores: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub em_artifact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_from: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct Totals {
    #[serde(default)]
    pub cases: usize,
    #[serde(default)]
    pub pass: usize,
    #[serde(default)]
    pub fail: usize,
    #[serde(default)]
    pub error: usize,
    #[serde(default)]
    pub skipped: usize,
    #[serde(default)]
    pub file_errors: usize,
}

impl Totals {
    fn add(&mut self, status: &str) {
        self.cases += 1;
        match status {
            "pass" => self.pass += 1,
            "fail" => self.fail += 1,
            "error" => self.error += 1,
            _ => self.skipped += 1,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct KindTotals {
    pub totals: Totals,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub verdicts: BTreeMap<String, usize>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct FileError {
    pub file: String,
    #[serde(default)]
    pub test_name: Option<String>,
    #[serde(default)]
    pub field: Option<String>,
    pub message: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Case {
    pub id: String,
    pub kind: String,
    pub file: String,
    pub test: String,
    pub fork: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indexes: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocks: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transactions: Option<usize>,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gas_used: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gas_used_under_test: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical_gas: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diff: Vec<String>,
    #[serde(default)]
    pub micros: u64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub timings: BTreeMap<String, u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<Vec<String>>,
}

impl Case {
    /// The folder a case is summarized under: its file's directory (as the runner's summary).
    pub fn folder(&self) -> &str {
        self.file.rsplit_once('/').map_or(".", |(dir, _)| dir)
    }

    /// Whether the case gets a page of its own: anything but `equal`, a plain pass, or a skip.
    pub fn has_page(&self) -> bool {
        match &self.verdict {
            Some(v) => v != "equal" || self.status == "fail" || self.status == "error",
            None => self.status == "fail" || self.status == "error",
        }
    }

    /// OVM time over native time, when both halves ran.
    pub fn time_ratio(&self) -> Option<f64> {
        ratio(self.timings.get("ovm").copied(), self.timings.get("native").copied())
    }

    /// Physical gas over native gas used, when both are known.
    pub fn gas_ratio(&self) -> Option<f64> {
        ratio(self.physical_gas, self.gas_used)
    }
}

fn ratio(a: Option<u64>, b: Option<u64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0 => Some(a as f64 / b as f64),
        _ => None,
    }
}

/// Reads `results.json` from a run folder (or the file itself).
pub fn read(path: &Path) -> Result<Results, String> {
    let file = if path.is_dir() { path.join("results.json") } else { path.to_path_buf() };
    let bytes = std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let results: Results =
        serde_json::from_slice(&bytes).map_err(|e| format!("{} is not a results.json: {e}", file.display()))?;
    if results.schema_version != SCHEMA_VERSION {
        return Err(format!(
            "{} has schema version {}; this report reads version {SCHEMA_VERSION}",
            file.display(),
            results.schema_version
        ));
    }
    Ok(results)
}

/// The totals, skips, verdicts and kinds recomputed from the cases (as `ovm_runner::Report::new`).
pub fn recount(results: &mut Results) {
    results.cases.sort_by(|a, b| a.id.cmp(&b.id));
    let mut totals = Totals { file_errors: results.file_errors.len(), ..Totals::default() };
    let mut skipped = BTreeMap::new();
    let mut verdicts = BTreeMap::new();
    let mut kinds: BTreeMap<String, KindTotals> = BTreeMap::new();
    for case in &results.cases {
        totals.add(&case.status);
        let kind = kinds.entry(case.kind.clone()).or_default();
        kind.totals.add(&case.status);
        if let Some(verdict) = &case.verdict {
            *kind.verdicts.entry(verdict.clone()).or_default() += 1;
            *verdicts.entry(verdict.clone()).or_default() += 1;
        }
        if case.status == "skipped" {
            *skipped.entry(case.message.clone()).or_default() += 1;
        }
    }
    results.totals = totals;
    results.skipped = skipped;
    results.verdicts = verdicts;
    results.kinds = kinds;
}

/// One run out of the shards of one: same vectors, job, filters and (when recorded) commit; every
/// shard `K/N` of one `N` at most once; no case twice. `run_id` names the merged run.
pub fn merge(shards: Vec<Results>, run_id: String) -> Result<Results, String> {
    let Some(first) = shards.first() else { return Err("--merge needs at least one run folder".into()) };
    let mut shard_count = None;
    let mut seen: BTreeMap<usize, String> = BTreeMap::new();
    for shard in &shards {
        let (a, b) = (&first.run, &shard.run);
        let differ = |what: &str, x: &dyn std::fmt::Debug, y: &dyn std::fmt::Debug| {
            format!("cannot merge {} and {}: different {what} ({x:?} vs {y:?})", a.run_id, b.run_id)
        };
        if a.vectors != b.vectors {
            return Err(differ("vectors", &a.vectors, &b.vectors));
        }
        if a.job != b.job {
            return Err(differ("jobs", &a.job, &b.job));
        }
        if a.filters != b.filters {
            return Err(differ("filters", &a.filters, &b.filters));
        }
        if let (Some(x), Some(y)) = (&a.commit, &b.commit) {
            if x != y {
                return Err(differ("commits", x, y));
            }
        }
        let Some(spec) = &b.shard else {
            return Err(format!("{} is not a sharded run (no --shard K/N): nothing to merge it with", b.run_id));
        };
        let (k, n) = ovm_runner::parse_shard(spec)?;
        match shard_count {
            Some(m) if m != n => {
                return Err(format!("cannot merge {} (shard {spec}): the other runs are shards of {m}", b.run_id))
            }
            _ => shard_count = Some(n),
        }
        if let Some(other) = seen.insert(k, b.run_id.clone()) {
            return Err(format!("shard {spec} is given twice ({other} and {})", b.run_id));
        }
    }
    let n = shard_count.unwrap_or(0);
    let mut run = first.run.clone();
    run.run_id = run_id;
    run.shard = if seen.len() == n { None } else { Some(format!("{} of {n} shards", seen.len())) };
    run.files = shards.iter().map(|s| s.run.files).max().unwrap_or(0);
    run.wall_seconds = shards.iter().map(|s| s.run.wall_seconds).fold(0.0, f64::max);
    run.merged_from = Some(shards.iter().map(|s| s.run.run_id.clone()).collect());
    run.command = None;
    let mut cases = Vec::new();
    let mut file_errors: Vec<FileError> = Vec::new();
    for shard in shards {
        cases.extend(shard.cases);
        for error in shard.file_errors {
            let known = file_errors
                .iter()
                .any(|e| e.file == error.file && e.test_name == error.test_name && e.message == error.message);
            if !known {
                file_errors.push(error);
            }
        }
    }
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    if let Some(pair) = cases.windows(2).find(|w| w[0].id == w[1].id) {
        return Err(format!("case {} is in two of the runs: they are not shards of one run", pair[0].id));
    }
    let mut merged = Results {
        schema_version: SCHEMA_VERSION,
        run,
        totals: Totals::default(),
        skipped: BTreeMap::new(),
        verdicts: BTreeMap::new(),
        kinds: BTreeMap::new(),
        file_errors,
        cases,
    };
    recount(&mut merged);
    Ok(merged)
}
