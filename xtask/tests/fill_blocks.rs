//! `cargo xtask fill` on blockchain tests: a wrong expectation is refused with a sentence naming
//! the file, test, block and account; stale computed fields fail `--check`; filling is idempotent.

use std::{path::PathBuf, process::Command};

const VECTOR: &str = "sender_nonces_across_transactions_and_blocks";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ovm-xtask-fill-blocks-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let own = format!("{}/../vectors/blocks/{VECTOR}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(own, dir.join("v.json")).unwrap();
    dir
}

fn fill(file: &PathBuf, check: bool) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.arg("fill");
    if check {
        cmd.arg("--check");
    }
    cmd.arg(file).output().unwrap()
}

#[test]
fn a_wrong_block_expectation_is_refused_naming_file_test_block_and_account() {
    let dir = scratch("wrong");
    let file = dir.join("v.json");
    let mut json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    // After block 1 the sender has nonce 3; claim 4.
    json[VECTOR]["blocks"][0]["expect"]["0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b"]["nonce"] = "0x04".into();
    let text = serde_json::to_string_pretty(&json).unwrap();
    std::fs::write(&file, &text).unwrap();
    let out = fill(&file, false);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("v.json")
            && stderr.contains(VECTOR)
            && stderr.contains("blocks[0] (block 1)")
            && stderr.to_lowercase().contains("0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b nonce 3, expected 4"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text, "a refused fill writes nothing");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_wrong_final_expectation_is_refused() {
    let dir = scratch("final");
    let file = dir.join("v.json");
    let mut json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    json[VECTOR]["expect"]["0x1000000000000000000000000000000000000aa1"] = "absent".into();
    std::fs::write(&file, serde_json::to_string_pretty(&json).unwrap()).unwrap();
    let out = fill(&file, false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("after the last block") && stderr.contains("expected absent"),
        "{stderr}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_stale_block_fails_the_check_and_filling_restores_it() {
    let dir = scratch("stale");
    let file = dir.join("v.json");
    let original = std::fs::read_to_string(&file).unwrap();
    assert!(fill(&file, true).status.success(), "the committed vector is filled");
    // One digit of the genesis' recorded state root changed: nothing else is wrong, the file is stale.
    let at = original.find("\"stateRoot\": \"0x").unwrap() + 16;
    let digit = if &original[at..at + 1] == "0" { "1" } else { "0" };
    let stale = format!("{}{digit}{}", &original[..at], &original[at + 1..]);
    std::fs::write(&file, &stale).unwrap();
    let out = fill(&file, true);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("stale"), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), stale, "--check writes nothing");
    // Filling restores the recorded root.
    assert!(fill(&file, false).status.success());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original);
    // A changed transaction value is caught by the vector's own expectations (recipient balance).
    std::fs::write(&file, original.replacen("\"value\": \"0x04\"", "\"value\": \"0x05\"", 1)).unwrap();
    let out = fill(&file, false);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("balance"));
    // Back to the original text: unchanged by a fill, and a second fill changes nothing.
    std::fs::write(&file, &original).unwrap();
    assert!(fill(&file, false).status.success());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original);
    std::fs::remove_dir_all(dir).unwrap();
}
