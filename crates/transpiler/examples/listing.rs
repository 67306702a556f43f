//! Prints the side-by-side listing of hex code given as the first argument (`--init` for init mode).
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode =
        if args.iter().any(|a| a == "--init") { ovm_transpiler::Mode::Init } else { ovm_transpiler::Mode::Runtime };
    let hex =
        args.iter().find(|a| !a.starts_with("--")).map(|s| s.trim_start_matches("0x").to_string()).unwrap_or_default();
    let code: Vec<u8> =
        (0..hex.len() / 2).filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()).collect();
    match ovm_transpiler::transpile(&code, mode) {
        Ok(t) => print!("{}", ovm_transpiler::disassemble(&code, &t)),
        Err(e) => eprintln!("error: {e}"),
    }
}
