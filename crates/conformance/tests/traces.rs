//! Both backends write EIP-3155 traces, and on the project's own vectors the OVM's trace, in
//! original instructions, is the native one line by line: the same `pc`, `op`, `opName`, `depth`,
//! `stack`, `memSize` and `gas` (the meter is exact), the same `gasCost` wherever both tracers know
//! it, and a summary with the same `pass`, `output` and `gasUsed`. So a trace-diffing tool pointed
//! at the two files shows a divergence at its first step.

use ovm_backend::state_root;
use ovm_fixture::{load_file, Case};
use ovm_l2::L2Backend;
use ovm_native::NativeBackend;
use serde_json::Value;

/// Cases whose native run takes more steps than this are not traced.
const MAX_STEPS_TRACED: u64 = 100_000;

/// Counts the steps of a native run.
struct StepCount(u64);

impl<CTX> revm::Inspector<CTX> for StepCount {
    fn step(&mut self, _: &mut revm::interpreter::Interpreter, _: &mut CTX) {
        self.0 += 1;
    }
}

/// The fields an EIP-3155 line must carry (`error` is optional, the summary has its own).
const REQUIRED: [&str; 9] = ["pc", "op", "gas", "gasCost", "stack", "depth", "returnData", "refund", "memSize"];
/// CREATE, CALL, CALLCODE, DELEGATECALL, CREATE2, STATICCALL.
const CALLS_AND_CREATES: [u64; 6] = [0xf0, 0xf1, 0xf2, 0xf4, 0xf5, 0xfa];
/// The fields on which the two traces must agree at every line.
const SAME: [&str; 7] = ["pc", "op", "opName", "depth", "stack", "memSize", "gas"];

fn lines(trace: Vec<u8>) -> Vec<Value> {
    String::from_utf8(trace).unwrap().lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

/// Every own vector's cases.
fn own_cases() -> Vec<Case> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vectors");
    let mut cases = Vec::new();
    for dir in ["state", "ovm"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir)).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        for path in files.iter().filter(|p| p.extension().is_some_and(|x| x == "json")) {
            cases.extend(load_file(path, &path.file_name().unwrap().to_string_lossy()).cases);
        }
    }
    cases
}

/// Whether the native frame ended with this line halted exceptionally (revm's `error` field).
fn halted(line: &Value) -> bool {
    line["error"].as_str().is_some_and(|e| !["Stop", "Return", "Revert", "SelfDestruct"].contains(&e))
}

/// Where the OVM has left frames that the native run is still in (the OVM's next line, if any, is
/// at `ovm_depth`): how many native lines to skip, if the native frame they end in halts
/// exceptionally. The OVM halts a frame at the start of the block where it natively halts (its
/// STACKGUARD and the meter's segment charge come first; ARCHITECTURE.md, modification 5), or on
/// charging a callee's use before the instruction that natively runs out of gas.
fn halts_later(native_rest: &[Value], ovm_depth: u64) -> Option<usize> {
    let count = native_rest.iter().take_while(|l| l["depth"].as_u64() > Some(ovm_depth)).count();
    (count > 0 && halted(&native_rest[count - 1])).then_some(count)
}

/// The first line where the two traces differ in a compared field, described.
fn first_difference(native: &[Value], ovm: &[Value]) -> Option<String> {
    let (native_steps, ovm_steps) = (&native[..native.len() - 1], &ovm[..ovm.len() - 1]);
    let (mut i, mut j) = (0, 0);
    while i < native_steps.len() {
        let n = &native_steps[i];
        let ovm_depth = ovm_steps.get(j).map_or(0, |o| o["depth"].as_u64().unwrap());
        let mismatch = match ovm_steps.get(j) {
            Some(o) => SAME.into_iter().find(|&f| n[f] != o[f]),
            None => Some("depth"),
        };
        // gasCost is compared where both traces know what the instruction cost: not on a call or
        // create (revm's includes the gas it forwards), nor on a frame's last line (the OVM's
        // tracer, which learns a cost from the next line of the frame, shows the static cost).
        let forwards = CALLS_AND_CREATES.contains(&n["op"].as_u64().unwrap_or_default());
        let goes_on = |steps: &[Value], at: usize| steps.get(at + 1).is_some_and(|next| next["depth"] == n["depth"]);
        let frame_goes_on = goes_on(native_steps, i) && goes_on(ovm_steps, j);
        let mismatch = mismatch.or_else(|| {
            let o = ovm_steps.get(j)?;
            (!forwards && frame_goes_on && n["gasCost"] != o["gasCost"]).then_some("gasCost")
        });
        if let Some(field) = mismatch {
            if let Some(skip) = halts_later(&native_steps[i..], ovm_depth) {
                i += skip;
                continue;
            }
            let o = ovm_steps.get(j).unwrap_or(&Value::Null);
            return Some(format!("native line {i}, ovm line {j}: {field} native {} ovm {}", n[field], o[field]));
        }
        (i, j) = (i + 1, j + 1);
    }
    if i == native_steps.len() && j != ovm_steps.len() {
        return Some(format!("the OVM has {} more steps after the native run's last", ovm_steps.len() - j));
    }
    let (n, o) = (native.last().unwrap(), ovm.last().unwrap());
    ["pass", "output", "gasUsed"]
        .into_iter()
        .find(|&f| n[f] != o[f])
        .map(|f| format!("summary: {f} native {} ovm {}", n[f], o[f]))
}

#[test]
fn the_ovm_trace_is_the_native_trace_in_original_instructions() {
    let (mut traced, mut skipped, mut failures) = (0, 0, Vec::new());
    for case in own_cases() {
        let setup = case.setup.as_ref().unwrap();
        // Loops of a million steps (the envelope vectors) would take minutes to trace in a debug
        // build; their outcomes are specified elsewhere.
        let (outcome, StepCount(steps)) = NativeBackend.run_inspected(&case, setup, StepCount(0)).unwrap();
        if outcome.execution().is_none() {
            continue;
        }
        if steps > MAX_STEPS_TRACED {
            skipped += 1;
            continue;
        }
        let (native_outcome, native) = NativeBackend.run_traced(&case, setup, Vec::new()).unwrap();
        let mut ovm = Vec::new();
        let ovm_outcome = L2Backend.run_traced(&case, setup, &mut ovm).unwrap();
        let (native, ovm) = (lines(native), lines(ovm));
        traced += 1;
        for (name, trace, outcome) in [("native", &native, &native_outcome), ("ovm", &ovm, &ovm_outcome)] {
            let summary = trace.last().unwrap();
            assert_eq!(
                summary["stateRoot"],
                state_root(&outcome.post_state).to_string(),
                "{}: {name} summary",
                case.id
            );
            for line in &trace[..trace.len() - 1] {
                let missing: Vec<_> = REQUIRED.iter().filter(|f| line.get(**f).is_none()).collect();
                assert!(missing.is_empty(), "{}: {name} line lacks {missing:?}: {line}", case.id);
            }
        }
        if let Some(difference) = first_difference(&native, &ovm) {
            failures.push(format!("{}: {difference}", case.id));
        }
    }
    assert!(traced > 100 && skipped < 10, "only {traced} cases traced, {skipped} skipped");
    assert!(failures.is_empty(), "{} case(s) trace differently:\n{}", failures.len(), failures.join("\n"));
}
