//! `cargo xtask envelope`: the physical gas envelope, measured. Adversarial loops, one per kind of
//! instruction and EM request, run natively and through the OVM; for each, the physical gas the
//! layer-2 transaction used per native gas the transaction used, and the time of each half.
//!
//! The ratio is what ARCHITECTURE.md's argument ("Physical gas") needs: a transaction's physical work
//! is at most the worst ratio times its native gas budget. The loops are generated here (a loop of
//! `n` iterations around one instruction, in the transaction's target); the project's own envelope
//! vectors (`vectors/ovm/envelope_*.json`: the same loops under tight callee and transaction gas
//! limits) are measured too.

use ovm_backend::Backend;
use ovm_fixture::{load_file, load_str, Case};
use ovm_l2::L2Backend;
use ovm_native::NativeBackend;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct Args {
    /// Timed rounds per loop (the medians are reported).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Measure only the loops whose name contains this text.
    #[arg(long)]
    filter: Option<String>,
}

const TARGET: &str = "0x1000000000000000000000000000000000000001";
const CALLEE: &str = "0x1000000000000000000000000000000000000002";
const EMPTY: &str = "0x10000000000000000000000000000000000000ee";

/// One adversarial loop: `iterations` times `body` (bytecode that leaves the stack as it found it).
struct Loop {
    name: &'static str,
    body: String,
    iterations: u32,
}

fn loops() -> Vec<Loop> {
    let push20 = |address: &str| format!("73{}", &address[2..]);
    let call = |op: &str, gas: &str, value: bool| {
        // retLen retOffset argsLen argsOffset [value] address gas op
        let value = if value { "6001" } else { "5f" };
        format!("5f5f5f5f{value}{}{gas}{op}50", push20(CALLEE))
    };
    let l = |name, body: &str, iterations| Loop { name, body: body.to_owned(), iterations };
    vec![
        l("pure arithmetic (ADD)", "6001600201 50", 20_000),
        l("dynamic JUMP", "58600501565b", 20_000),
        l("MLOAD/MSTORE", "5f51 5f52", 20_000),
        l("KECCAK256 of a word", "60205f2050", 20_000),
        l("SLOAD (warm)", "5f5450", 5_000),
        l("SSTORE (warm, same value)", "60015f55", 5_000),
        l("SSTORE (new slots)", "808055", 500),
        l("TLOAD", "5f5c50", 5_000),
        l("TSTORE", "60015f5d", 5_000),
        l("BALANCE", "303150", 5_000),
        l("SELFBALANCE", "4750", 5_000),
        l("EXTCODESIZE", "303b50", 5_000),
        l("EXTCODEHASH", "303f50", 5_000),
        l("EXTCODECOPY (32 bytes)", "60205f5f303c", 5_000),
        l("BLOCKHASH", "5f4050", 5_000),
        l("BLOBHASH", "5f4950", 5_000),
        l("LOG0 (no data)", "5f5fa0", 5_000),
        l("LOG4 (no data)", "5f5f5f5f5f5fa4", 2_000),
        l("CALL with no gas to an empty account", &format!("5f5f5f5f5f{}5ff150", push20(EMPTY)), 5_000),
        l("CALL to code that stops", &call("f1", "6103e8", false), 2_000),
        l("CALL with value to code that stops", &call("f1", "6103e8", true), 1_000),
        l("CALLCODE to code that stops", &call("f2", "6103e8", true), 1_000),
        l("DELEGATECALL to code that stops", &format!("5f5f5f5f{}6103e8f450", push20(CALLEE)), 2_000),
        l("STATICCALL to code that stops", &format!("5f5f5f5f{}6103e8fa50", push20(CALLEE)), 2_000),
        l("STATICCALL to the identity precompile", "5f5f5f5f60046103e8fa50", 2_000),
        l("CREATE of empty code", "5f5f5ff050", 200),
        l("CREATE2 of empty code", "805f5f5ff550", 200),
    ]
}

/// The state test of one loop: `PUSH3 n; loop: JUMPDEST body; n - 1; JUMPI loop; POP; STOP`.
fn loop_test(l: &Loop) -> String {
    let body = l.body.replace(' ', "");
    let code = format!("62{:06x}5b{body}6001900380610004575000", l.iterations);
    let account = |address: &str, code: &str| {
        format!(
            r#""{address}": {{"balance": "0x0de0b6b3a7640000", "code": "0x{code}", "nonce": "0x01", "storage": {{"0x00": "0x01"}}}}"#
        )
    };
    format!(
        r#"{{"loop": {{
  "env": {{"currentCoinbase": "0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba", "currentDifficulty": "0x00",
    "currentGasLimit": "0x7fffffffffffffff", "currentNumber": "0x01", "currentTimestamp": "0x03e8",
    "currentBaseFee": "0x0a", "currentRandom": "0x0000000000000000000000000000000000000000000000000000000000020000",
    "currentExcessBlobGas": "0x00"}},
  "pre": {{
    "0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b": {{"balance": "0xffffffffffffffffffffffff", "code": "0x", "nonce": "0x00", "storage": {{}}}},
    {target}, {callee}
  }},
  "transaction": {{"data": ["0x"], "gasLimit": ["0x3b9aca00"], "gasPrice": "0x0a", "nonce": "0x00",
    "secretKey": "0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8",
    "to": "{TARGET}", "value": ["0x00"]}},
  "post": {{"Cancun": [{{"indexes": {{"data": 0, "gas": 0, "value": 0}},
    "hash": "0x0000000000000000000000000000000000000000000000000000000000000000",
    "logs": "0x0000000000000000000000000000000000000000000000000000000000000000"}}]}}
}}}}"#,
        target = account(TARGET, &code),
        callee = account(CALLEE, "00"),
    )
}

/// The meter's static charge for one iteration of `code`'s loop (`JUMPDEST body n-1 JUMPI`): the sum
/// of the instructions' least native costs. Dynamic charges come on top, so physical gas over this is
/// an upper bound of the physical gas per meter charge.
fn static_charge_per_iteration(body: &str) -> u64 {
    let text = format!("5b{}6001900380610004 57", body).replace(' ', "");
    let bytes: Vec<u8> =
        (0..text.len() / 2).filter_map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()).collect();
    let (mut charge, mut pc) = (0, 0);
    while pc < bytes.len() {
        charge += ovm_transpiler::opcodes::min_gas(bytes[pc]);
        pc += 1 + ovm_transpiler::opcodes::info(bytes[pc]).immediate as usize;
    }
    charge
}

/// What one case measured.
struct Measured {
    name: String,
    /// Physical gas per static meter charge of one iteration, for the generated loops.
    per_charge: Option<f64>,
    native_gas: u64,
    physical_gas: u64,
    native_time: Duration,
    ovm_time: Duration,
    note: &'static str,
}

pub fn run(args: Args) -> Result<(), String> {
    let rounds = args.rounds.max(1);
    // (name, case, the meter's static charges over all iterations for a generated loop)
    let mut cases: Vec<(String, Case, Option<u64>)> = Vec::new();
    for l in loops() {
        let loaded = load_str(&loop_test(&l), "generated");
        let case =
            loaded.cases.into_iter().next().ok_or_else(|| format!("{}: the generated test has no case", l.name))?;
        let charges = static_charge_per_iteration(&l.body) * u64::from(l.iterations);
        cases.push((format!("{} x{}", l.name, l.iterations), case, Some(charges)));
    }
    let dir = crate::project_root().join("vectors/ovm");
    let mut own: Vec<_> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("envelope_")))
        .collect();
    own.sort();
    for path in own {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        for case in load_file(&path, &name).cases {
            let id = case.id.to_string();
            let short = id.split("::").last().unwrap_or_default().to_owned();
            cases.push((format!("{} {short}", name.trim_end_matches(".json")), case, None));
        }
    }
    if let Some(filter) = &args.filter {
        cases.retain(|(name, _, _)| name.contains(filter.as_str()));
        if cases.is_empty() {
            return Err(format!("no loop matches --filter `{filter}`"));
        }
    }

    let mut measured = Vec::new();
    for (name, case, charges) in &cases {
        let setup = case.setup.as_ref().map_err(|e| format!("{name}: {e:?}"))?;
        let native = NativeBackend.run(case, setup).map_err(|e| format!("{name}: native: {e}"))?;
        let ovm = L2Backend.run(case, setup).map_err(|e| format!("{name}: OVM: {e}"))?;
        let (Some(n), Some(o)) = (native.execution(), ovm.execution()) else {
            return Err(format!("{name}: the transaction was rejected"));
        };
        let differs = !ovm_compare::compare(&native, &ovm).is_empty();
        let (mut native_times, mut ovm_times) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            native_times.push(timed(|| NativeBackend.run(case, setup)));
            ovm_times.push(timed(|| L2Backend.run(case, setup)));
        }
        measured.push(Measured {
            name: name.clone(),
            per_charge: charges.map(|c| o.physical_gas.unwrap_or(o.gas_used) as f64 / c.max(1) as f64),
            native_gas: n.gas_used,
            physical_gas: o.physical_gas.unwrap_or(o.gas_used),
            native_time: median(&mut native_times),
            ovm_time: median(&mut ovm_times),
            note: match (differs, matches!(n.status, ovm_backend::Status::Halt(_))) {
                (true, _) => "DIFFERS",
                (false, true) => "out of gas in both",
                (false, false) => "",
            },
        });
    }
    measured.sort_by(|a, b| ratio(b).total_cmp(&ratio(a)));
    println!("physical gas per native gas, worst first (medians of {rounds} rounds):");
    println!(
        "{:<64} {:>12} {:>14} {:>9} {:>11} {:>10} {:>10}",
        "loop", "native gas", "physical gas", "ratio", "per charge", "native", "OVM"
    );
    for m in &measured {
        let per_charge = m.per_charge.map_or(String::from("-"), |r| format!("{r:.1}x"));
        println!(
            "{:<64} {:>12} {:>14} {:>8.1}x {:>11} {:>8.1}ms {:>8.1}ms  {}",
            m.name,
            m.native_gas,
            m.physical_gas,
            ratio(m),
            per_charge,
            m.native_time.as_secs_f64() * 1e3,
            m.ovm_time.as_secs_f64() * 1e3,
            m.note
        );
    }
    if let Some(worst) = measured.first() {
        println!("worst physical gas per native gas: {:.1}x ({})", ratio(worst), worst.name);
    }
    let charged = measured.iter().filter_map(|m| m.per_charge.map(|r| (r, &m.name)));
    if let Some((r, name)) = charged.max_by(|a, b| a.0.total_cmp(&b.0)) {
        println!("worst physical gas per static meter charge (generated loops): {r:.1}x ({name})");
    }
    let differing: Vec<_> = measured.iter().filter(|m| m.note == "DIFFERS").map(|m| m.name.as_str()).collect();
    if !differing.is_empty() {
        return Err(format!("the OVM outcome differs from the native one in: {}", differing.join(", ")));
    }
    Ok(())
}

fn timed<T>(f: impl FnOnce() -> T) -> Duration {
    let start = Instant::now();
    std::hint::black_box(f());
    start.elapsed()
}

fn ratio(m: &Measured) -> f64 {
    m.physical_gas as f64 / m.native_gas.max(1) as f64
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}
