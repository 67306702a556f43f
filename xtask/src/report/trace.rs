//! `--traces N`: a case's EIP-3155 traces, native and OVM (original instructions), rerun in process
//! from the run's vectors, aligned step by step and cut to a window around the first step where
//! they differ (pc, op, depth, gas or stack). Each trace is kept up to `MAX_TRACE_BYTES`; a case
//! whose traces are equal up to that limit shows where it stopped looking.

use super::{model::Case, pages::TraceRow, pages::TraceView};
use ovm_l2::L2Backend;
use ovm_native::NativeBackend;
use std::{
    io::Write,
    path::Path,
    sync::{Arc, Mutex},
};

/// The most of each trace kept (bytes of JSON lines); the rest is dropped.
pub const MAX_TRACE_BYTES: usize = 64 << 20;
/// Steps shown before and after the first difference.
pub const WINDOW: usize = 12;

/// A writer the tracer owns (`'static`) that the report reads back, capped at `MAX_TRACE_BYTES`.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<(Vec<u8>, bool)>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if inner.0.len() + bytes.len() <= MAX_TRACE_BYTES {
            inner.0.extend_from_slice(bytes);
        } else {
            inner.1 = true;
        }
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn lines(&self) -> (Vec<String>, bool) {
        let inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
        (String::from_utf8_lossy(&inner.0).lines().map(str::to_owned).collect(), inner.1)
    }
}

/// The traces of one case, or a note saying why there are none.
pub fn view(vectors: &str, case: &Case) -> TraceView {
    match traces(Path::new(vectors), case) {
        Ok((native, ovm, truncated)) => align(&native, &ovm, truncated),
        Err(note) => TraceView { note, rows: Vec::new() },
    }
}

fn traces(vectors: &Path, case: &Case) -> Result<(Vec<String>, Vec<String>, bool), String> {
    let files = ovm_runner::vector_files(vectors);
    let file = files
        .into_iter()
        .find(|(_, name)| *name == case.file)
        .ok_or_else(|| format!("no trace: {} is not in {} any more", case.file, vectors.display()))?;
    let selection = ovm_runner::Selection { filters: Vec::new(), case_id: Some(case.id.clone()), shard: None };
    let loaded = ovm_runner::load(&[file], &selection);
    let (native, ovm) = (Buffer::default(), Buffer::default());
    if let Some(c) = loaded.cases.first() {
        let setup = c.setup.as_ref().map_err(|_| "no trace: the case cannot run".to_owned())?;
        // A backend error still leaves the steps traced so far.
        let _ = NativeBackend.run_traced(c, setup, native.clone());
        let _ = L2Backend.run_traced(c, setup, ovm.clone());
    } else if let Some(c) = loaded.chains.first() {
        let test = c.test.as_ref().map_err(|s| format!("no trace: the test is not run ({})", s.reason))?;
        let _ = NativeBackend.run_blocks_traced(test, native.clone());
        let _ = L2Backend.run_blocks_traced(test, ovm.clone());
    } else {
        return Err(format!("no trace: no case has this id in {} now", vectors.display()));
    }
    let (n, nt) = native.lines();
    let (o, ot) = ovm.lines();
    Ok((n, o, nt || ot))
}

/// The fields two steps are compared on, and a short text of the step.
fn step(line: &str) -> (String, String) {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { return (line.to_owned(), line.to_owned()) };
    if v.get("pc").is_none() {
        return (line.to_owned(), line.to_owned()); // the summary line
    }
    let field = |k: &str| v.get(k).map(|x| x.to_string().trim_matches('"').to_owned()).unwrap_or_default();
    let stack: Vec<String> = v
        .get("stack")
        .and_then(|s| s.as_array())
        .map(|s| s.iter().rev().take(4).map(|x| x.as_str().unwrap_or("?").to_owned()).collect())
        .unwrap_or_default();
    let depth = v.get("stack").and_then(|s| s.as_array()).map_or(0, Vec::len);
    let key = format!("{}|{}|{}|{}|{}", field("pc"), field("op"), field("depth"), field("gas"), stack.join(","));
    let text = format!(
        "pc {:>5} {:<14} depth {} gas {} stack({depth}) top [{}]",
        field("pc"),
        field("opName"),
        field("depth"),
        field("gas"),
        stack.join(", ")
    );
    (key, text)
}

pub fn align(native: &[String], ovm: &[String], truncated: bool) -> TraceView {
    let n: Vec<(String, String)> = native.iter().map(|l| step(l)).collect();
    let o: Vec<(String, String)> = ovm.iter().map(|l| step(l)).collect();
    let longest = n.len().max(o.len());
    let first = (0..longest).find(|&i| n.get(i).map(|s| &s.0) != o.get(i).map(|s| &s.0));
    let limit =
        if truncated { format!(" (each trace kept up to {} MiB)", MAX_TRACE_BYTES >> 20) } else { String::new() };
    let Some(first) = first else {
        return TraceView {
            note: format!("The two traces are equal, step by step ({longest} lines){limit}."),
            rows: Vec::new(),
        };
    };
    let from = first.saturating_sub(WINDOW);
    let to = (first + WINDOW + 1).min(longest);
    let rows = (from..to)
        .map(|i| {
            let a = n.get(i);
            let b = o.get(i);
            TraceRow {
                index: i,
                native: a.map_or_else(|| "(ended)".into(), |s| s.1.clone()),
                ovm: b.map_or_else(|| "(ended)".into(), |s| s.1.clone()),
                differs: a.map(|s| &s.0) != b.map(|s| &s.0),
                first: i == first,
            }
        })
        .collect();
    TraceView {
        note: format!(
            "Native {} lines, OVM {} lines; they first differ at step {first} (pc, op, depth, gas or the top of the \
             stack); {WINDOW} steps either side{limit}.",
            native.len(),
            ovm.len()
        ),
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(pc: u64, op: &str, gas: u64) -> String {
        format!(r#"{{"pc":{pc},"op":1,"gas":"0x{gas:x}","depth":1,"stack":["0x1"],"opName":"{op}"}}"#)
    }

    #[test]
    fn the_window_is_around_the_first_differing_step() {
        let native: Vec<String> = (0..100).map(|i| line(i, "ADD", 1000 - i)).collect();
        let mut ovm = native.clone();
        ovm[50] = line(50, "ADD", 7);
        ovm.truncate(60);
        let view = align(&native, &ovm, false);
        assert_eq!(view.rows.len(), 2 * WINDOW + 1);
        assert_eq!(view.rows[0].index, 50 - WINDOW);
        let first: Vec<_> = view.rows.iter().filter(|r| r.first).collect();
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].index, 50);
        assert!(first[0].native.contains("gas 0x3b6") && first[0].ovm.contains("gas 0x7"), "{}", first[0].ovm);
        // Past the OVM trace's end, the native steps still differ from nothing.
        assert!(view.rows.iter().filter(|r| r.index >= 60).all(|r| r.differs && r.ovm == "(ended)"));
        assert!(view.note.contains("first differ at step 50"), "{}", view.note);
        assert!(align(&native, &native, true).rows.is_empty());
        assert!(align(&native, &native, true).note.contains("64 MiB"));
    }
}
