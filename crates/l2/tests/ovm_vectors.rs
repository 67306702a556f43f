//! Every vector in `vectors/ovm/` gives the same outcome natively and through the ExecutionManager
//! (fee payment removed, gas not compared: the two documented differences).

use ovm_backend::Backend;
use ovm_compare::{compare, fees};
use ovm_fixture::load_file;
use ovm_l2::L2Backend;
use ovm_native::NativeBackend;

#[test]
fn every_ovm_vector_is_equal_natively_and_through_the_execution_manager() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vectors/ovm");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let (mut cases, mut failures) = (0, Vec::new());
    for path in files.iter().filter(|p| p.extension().is_some_and(|x| x == "json")) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let loaded = load_file(path, &name);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        for case in &loaded.cases {
            cases += 1;
            let setup = case.setup.as_ref().unwrap();
            let native = NativeBackend.run(case, setup).unwrap();
            let ovm = match L2Backend.run(case, setup) {
                Ok(ovm) => ovm,
                Err(e) => {
                    failures.push(format!("{}: OVM error: {e}", case.id));
                    continue;
                }
            };
            let differences = compare(&native, &ovm, fees(setup).as_ref());
            if let Some(first) = differences.first() {
                failures.push(format!("{}: {} difference(s), first {first}", case.id, differences.len()));
            }
        }
    }
    assert!(cases >= 100, "only {cases} cases");
    assert!(failures.is_empty(), "{} of {cases} cases differ:\n{}", failures.len(), failures.join("\n"));
}
