//! Prints the side-by-side listing (original and transpiled code, with the PC map) of the hex code
//! given as the first argument; `--init` transpiles it in init mode.
//!
//!     cargo run -p ovm-transpiler --example listing -- 0x6001600201 [--init]

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode =
        if args.iter().any(|a| a == "--init") { ovm_transpiler::Mode::Init } else { ovm_transpiler::Mode::Runtime };
    let Some(hex) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: listing HEX_CODE [--init]");
        return ExitCode::from(2);
    };
    let digits = hex.strip_prefix("0x").unwrap_or(hex);
    let code = match (0..digits.len())
        .step_by(2)
        .map(|i| digits.get(i..i + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
        .collect::<Option<Vec<u8>>>()
    {
        Some(code) if digits.len() % 2 == 0 => code,
        _ => {
            eprintln!("error: `{hex}` is not hex code (an even number of hex digits, optionally after 0x)");
            return ExitCode::from(2);
        }
    };
    match ovm_transpiler::transpile(&code, mode) {
        Ok(t) => {
            print!("{}", ovm_transpiler::disassemble(&code, &t));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
