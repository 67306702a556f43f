//! Every vector in `vectors/ovm/` gives the same outcome natively and through the ExecutionManager,
//! with no documented rule to explain a difference away (fee payment removed, gas used not
//! compared), and the OVM outcome meets the vector's hand-written `expect` as the native one does.
//!
//! A vector whose native run reads GAS or runs a frame out of gas must say so in `_info`:
//! `"gas": true` where the OVM may differ (GAS reads the meter, a lower bound), so the vector is
//! `explained(gas)` at most; `"gas": "exact"` where the meter is exact for what the vector does, so
//! it must be `equal` all the same. Every other vector must be `equal`: the gas rule can never hide
//! a bug behind it.

use ovm_backend::{check_expectation, Backend};
use ovm_conformance::differential_job;
use ovm_fixture::load_file;
use ovm_l2::L2Backend;
use ovm_native::NativeBackend;
use ovm_runner::CaseStatus;

#[test]
fn every_ovm_vector_is_equal_natively_and_through_the_execution_manager() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vectors/ovm");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let (mut cases, mut failures) = (0, Vec::new());
    for path in files.iter().filter(|p| p.extension().is_some_and(|x| x == "json")) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let loaded = load_file(path, &name);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        for case in &loaded.cases {
            cases += 1;
            let test = &json[&*case.test_name];
            let declared = &test["_info"]["gas"];
            let gas_vector = declared.as_bool() == Some(true);
            let about_gas = gas_vector || declared.as_str() == Some("exact");
            let entry = test["post"][&*case.fork][case.post_index].as_object().unwrap();
            let setup = case.setup.as_ref().unwrap();
            // The suite's own job, with the native run's gas facts recorded.
            let job = differential_job(&NativeBackend, &L2Backend, case, setup, true);
            if job.status == CaseStatus::Error {
                failures.push(format!("{}: {}", case.id, job.message));
                continue;
            }
            let observed = job.observed.clone().unwrap_or_default();
            for (fact, what) in [("read_gas", "reads GAS"), ("out_of_gas", "runs a frame out of gas")] {
                if observed.iter().any(|seen| seen == fact) && !about_gas {
                    failures.push(format!("{}: {what} but does not declare itself a gas vector", case.id));
                }
            }
            let verdict = job.verdict.clone().unwrap_or_default();
            let allowed = verdict == "equal" || (gas_vector && verdict.starts_with("explained"));
            if !allowed {
                failures.push(format!("{}: {verdict}: {}", case.id, job.message));
            }
            match L2Backend.run(case, setup) {
                Ok(ovm) => {
                    if let Err(e) = check_expectation(entry, &ovm) {
                        failures.push(format!("{}: the OVM outcome breaks the vector's expect: {e}", case.id));
                    }
                }
                Err(e) => failures.push(format!("{}: OVM error: {e}", case.id)),
            }
        }
    }
    assert!(cases >= 100, "only {cases} cases");
    assert!(failures.is_empty(), "{} of {cases} cases fail:\n{}", failures.len(), failures.join("\n"));
}
