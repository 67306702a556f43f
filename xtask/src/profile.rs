//! `cargo xtask em-profile`: where the OVM half's physical work goes, over the selected Cancun
//! cases — EM requests by op, the EM instructions each costs, transpiled-code instructions and
//! physical calls by kind. Instruction counts do not depend on the machine, so they show what an
//! EM or transpiler change saves before a bench run can.

use ovm_backend::BackendError;
use ovm_l2::{L2Backend, RequestProfile};
use ovm_runner::{CaseStatus, JobOutcome, Progress, Selection, Task};
use ovm_transpiler::layout::*;
use revm::primitives::hardfork::SpecId;
use std::sync::Mutex;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    vectors: crate::VectorsArg,
    /// Profile only cases whose file path or case id contains this text (repeatable: any matches).
    #[arg(long)]
    filter: Vec<String>,
}

pub fn run(args: Args) -> Result<(), String> {
    let vectors = args.vectors.resolve()?;
    let files = ovm_runner::vector_files(&vectors.root);
    let selection = Selection { filters: args.filter, ..Selection::default() };
    let loaded = ovm_runner::load(&files, &selection);
    let total = Mutex::new(RequestProfile::default());
    let progress = Progress::new("em-profile", loaded.len(), false);
    let records = ovm_runner::run_all(&loaded, None, false, &progress, |task| {
        let Task::State(case, setup) = task else {
            return JobOutcome::new(CaseStatus::Skipped, "em-profile profiles state tests");
        };
        if setup.spec != SpecId::CANCUN {
            return JobOutcome::new(CaseStatus::Skipped, "the layer-2 EVM implements Cancun");
        }
        match L2Backend.run_profiled(case, setup) {
            Ok((_, profile)) => {
                total.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).add(&profile);
                JobOutcome::new(CaseStatus::Pass, "")
            }
            Err(BackendError(e)) => JobOutcome::new(CaseStatus::Error, e),
        }
    });
    progress.finish();
    let profiled = records.iter().filter(|r| r.status == CaseStatus::Pass).count();
    let errors = records.iter().filter(|r| r.status == CaseStatus::Error).count();
    let total = total.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    println!("{profiled} Cancun state-test cases profiled ({errors} errors) in {}", vectors.root.display());
    print!("{}", table(&total));
    Ok(())
}

fn table(profile: &RequestProfile) -> String {
    let mut out = String::new();
    let calls = profile.calls;
    out += &format!(
        "physical instructions: EM {}, transpiled code {}\n",
        profile.em_instructions, profile.code_instructions
    );
    out += &format!(
        "physical calls: EM {}, built-ins {}, precompiles {}, code contracts {}\n",
        calls.em, calls.built_ins, calls.precompiles, calls.code
    );
    out += &format!("{:<24} {:>10} {:>15} {:>12}\n", "EM request", "requests", "EM instructions", "per request");
    let mut rows: Vec<_> = profile.requests.iter().collect();
    rows.sort_by(|a, b| b.1.em_instructions.cmp(&a.1.em_instructions).then(a.0.cmp(b.0)));
    for (&op, cost) in rows {
        out += &format!(
            "{:<24} {:>10} {:>15} {:>12}\n",
            op_name(op),
            cost.requests,
            cost.em_instructions,
            cost.em_instructions / cost.requests.max(1)
        );
    }
    out
}

/// The name of a request op (ARCHITECTURE.md, "Calling convention"; the EM's own ops by number).
fn op_name(op: u8) -> String {
    let unflagged = op & !OP_KEEP_RETURN_DATA;
    if op != unflagged && (OP_CALL..=OP_CREATE2).contains(&unflagged) {
        return format!("{} +keep", op_name(unflagged));
    }
    let name = match op {
        OP_SLOAD => "SLOAD",
        OP_SSTORE => "SSTORE",
        OP_TLOAD => "TLOAD",
        OP_TSTORE => "TSTORE",
        OP_BALANCE => "BALANCE",
        OP_SELFBALANCE => "SELFBALANCE",
        OP_EXTCODESIZE => "EXTCODESIZE",
        OP_EXTCODEHASH => "EXTCODEHASH",
        OP_EXTCODECOPY => "EXTCODECOPY",
        OP_BLOCKHASH => "BLOCKHASH",
        OP_BLOBHASH => "BLOBHASH",
        n @ OP_LOG0..=0x14 => return format!("LOG{}", n - OP_LOG0),
        OP_CALL => "CALL",
        OP_CALLCODE => "CALLCODE",
        OP_DELEGATECALL => "DELEGATECALL",
        OP_STATICCALL => "STATICCALL",
        OP_CREATE => "CREATE",
        OP_CREATE2 => "CREATE2",
        OP_SELFDESTRUCT => "SELFDESTRUCT",
        OP_RETURNDATACOPY => "RETURNDATACOPY",
        OP_REPORT_METER => "REPORT_METER",
        em::OP_INNER_CALL => "inner call frame",
        em::OP_INNER_CREATE => "inner create frame",
        em::OP_INNER_DEPLOY => "deploy frame",
        em::OP_TRANSACTION => "transaction",
        other => return format!("{other:#04x}"),
    };
    name.to_string()
}
