//! Differential fuzzing: the bytes become a generated scenario (contracts and a sequence of blocks
//! of transactions, or one in eight a state test, `ovm_scenario`), run natively and through the
//! ExecutionManager, compared after every transaction. A divergence or a backend error is a crash;
//! a difference a documented rule explains is discarded and counted (`ovm-fuzz:` lines on stderr,
//! which `cargo xtask fuzz` reads, with how many scenarios were state tests).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ovm_scenario::{Bounds, Finding, Form, Scenario};
use std::sync::{
    atomic::{AtomicU64, Ordering::Relaxed},
    OnceLock,
};

static SCENARIOS: AtomicU64 = AtomicU64::new(0);
static STATE_TESTS: AtomicU64 = AtomicU64::new(0);
static DISCARDED: AtomicU64 = AtomicU64::new(0);

/// `OVM_SCENARIO_BOUNDS` (`full`, the default, or `small`: `cargo xtask fuzz --scenarios`); a crash
/// input replays as the same scenario only under the same bounds.
fn bounds() -> Bounds {
    static BOUNDS: OnceLock<Bounds> = OnceLock::new();
    *BOUNDS.get_or_init(|| {
        let name = std::env::var("OVM_SCENARIO_BOUNDS").unwrap_or_else(|_| "full".into());
        Bounds::named(&name).unwrap_or_else(|e| {
            eprintln!("OVM_SCENARIO_BOUNDS: {e}");
            std::process::exit(2)
        })
    })
}

fuzz_target!(|data: &[u8]| {
    let scenario = Scenario::from_bytes_within(data, bounds());
    if scenario.form == Form::StateTest {
        STATE_TESTS.fetch_add(1, Relaxed);
    }
    match scenario.differential() {
        Finding::Equal => {}
        Finding::Explained(_) => {
            DISCARDED.fetch_add(1, Relaxed);
        }
        Finding::Divergent { signature, lines } => {
            panic!("divergent ({signature}):\n{}", lines.join("\n"))
        }
        Finding::Error(e) => panic!("backend error: {e}"),
    }
    let n = SCENARIOS.fetch_add(1, Relaxed) + 1;
    if n.is_power_of_two() || n.is_multiple_of(10_000) {
        let (state_tests, discarded) = (STATE_TESTS.load(Relaxed), DISCARDED.load(Relaxed));
        eprintln!("ovm-fuzz: scenarios {n}, state-tests {state_tests}, discarded-by-rule {discarded}");
    }
});
