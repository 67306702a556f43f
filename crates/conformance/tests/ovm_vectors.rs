//! Every vector in `vectors/ovm/`, and every state test in `vectors/regressions/` (minimized
//! differential fuzzing reproducers), gives the same outcome natively and through the
//! ExecutionManager, gas used and fees included: `equal`, never explained by a documented rule. And
//! the OVM outcome meets the vector's hand-written `expect` as the native one does.

use ovm_backend::{check_expectation, Backend};
use ovm_conformance::differential_job;
use ovm_fixture::load_str;
use ovm_l2::L2Backend;
use ovm_native::NativeBackend;
use ovm_runner::CaseStatus;

#[test]
fn every_ovm_vector_is_equal_natively_and_through_the_execution_manager() {
    let vectors = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vectors");
    let mut files: Vec<_> = ["ovm", "regressions"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(vectors.join(dir)).unwrap().map(|e| e.unwrap().path()))
        .collect();
    files.sort();
    let (mut cases, mut failures) = (0, Vec::new());
    for path in files.iter().filter(|p| p.extension().is_some_and(|x| x == "json")) {
        let name = path.strip_prefix(&vectors).unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).unwrap();
        if ovm_fixture::is_blockchain_text(&text) {
            assert!(name.starts_with("regressions"), "{name}: a blockchain test");
            continue;
        }
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let loaded = load_str(&text, &name);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        for case in &loaded.cases {
            cases += 1;
            let test = &json[&*case.test_name];
            let entry = test["post"][&*case.fork][case.post_index].as_object().unwrap();
            let setup = case.setup.as_ref().unwrap();
            let job = differential_job(&NativeBackend, &L2Backend, case, setup, false);
            if job.status == CaseStatus::Error {
                failures.push(format!("{}: {}", case.id, job.message));
                continue;
            }
            let verdict = job.verdict.clone().unwrap_or_default();
            if verdict != "equal" {
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
