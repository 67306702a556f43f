//! `cargo xtask transpile-stats`: how much larger transpiled code is, over every distinct contract
//! in the vectors' pre-states (runtime mode).

use ovm_runner::Selection;
use ovm_transpiler::{transpile, Mode};
use std::collections::BTreeSet;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    vectors: crate::VectorsArg,
}

pub fn run(args: Args) -> Result<(), String> {
    let vectors = args.vectors.resolve()?;
    let files = ovm_runner::vector_files(&vectors.root);
    let loaded = ovm_runner::load(&files, &Selection::default());
    let codes: BTreeSet<Vec<u8>> = loaded
        .cases
        .iter()
        .flat_map(|case| case.unit.test.pre.values().map(|account| account.code.to_vec()))
        .filter(|code| !code.is_empty())
        .collect();
    let mut ratios = Vec::with_capacity(codes.len());
    let (mut original, mut transpiled) = (0usize, 0usize);
    for code in &codes {
        let out =
            transpile(code, Mode::Runtime).map_err(|e| format!("transpiling a {}-byte contract: {e}", code.len()))?;
        original += code.len();
        transpiled += out.code.len();
        ratios.push(out.code.len() as f64 / code.len() as f64);
    }
    if ratios.is_empty() {
        return Err(format!("no contract code in {}", vectors.root.display()));
    }
    ratios.sort_by(f64::total_cmp);
    let at = |q: f64| ratios[((ratios.len() - 1) as f64 * q).round() as usize];
    println!("{} distinct contracts in {}", ratios.len(), vectors.root.display());
    println!(
        "transpiled / original size: median {:.2}x, p95 {:.2}x, max {:.2}x; all bytes {:.2}x ({original} -> {transpiled})",
        at(0.5),
        at(0.95),
        at(1.0),
        transpiled as f64 / original as f64
    );
    Ok(())
}
