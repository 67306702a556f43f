//! Any input transpiles in both modes without panicking, deterministically, with the layout
//! invariants intact.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ovm_transpiler::{read_header, transpile, Mode};

fuzz_target!(|code: &[u8]| {
    for mode in [Mode::Runtime, Mode::Init] {
        let Ok(t) = transpile(code, mode) else {
            // Only sizes beyond the limit may fail, and fuzz inputs never get there.
            panic!("{} bytes failed to transpile", code.len());
        };
        assert_eq!(&t.code[t.original_start..], code, "original code is the verbatim tail");
        assert_eq!(read_header(&t.code), Some((t.original_start, code.len())));
        assert!(t.pc_map.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1), "pc_map monotonic");
        let body = t.sections.body.clone();
        assert!(body.contains(&(t.fall_off_end as usize)), "the padding STOP's translation is in the body");
        assert!(t.pc_map.iter().all(|&(_, p)| body.contains(&(p as usize))), "every translation is in the body");
        assert!(
            t.sections.prologue.end <= body.start
                && body.end <= t.sections.routines.start
                && t.sections.routines.end <= t.sections.jump_table.start
                && t.sections.jump_table.end <= t.original_start,
            "sections in order before the original code"
        );
        assert_eq!(transpile(code, mode).as_ref(), Ok(&t), "deterministic");
    }
});
