//! A case page's anatomy of a run, from the case's EIP-3155 traces (native, and the OVM's in
//! original instructions) rerun in process from the run's vectors:
//!
//! - the two traces aligned step by step, cut to a window around the first step where they differ
//!   (pc, op, depth, gas or the top of the stack);
//! - the call tree of each run, rebuilt from the traces' depths, the frame of the first difference
//!   marked;
//! - the original and transpiled code of the contracts those frames ran (from the pre-state),
//!   disassembled side by side (the transpiler's PC map), the first differing pc marked;
//! - for an `explained` case, the rule and the native fact it rests on: how the native run's
//!   transaction ended (its last step, and its error).
//!
//! Each trace is kept up to `MAX_TRACE_BYTES`; a case whose traces are equal up to that limit says
//! where it stopped looking.

use super::{
    model::Case,
    pages::{CodeListing, CodeRow, FrameRow, RuleView, TraceRow, TraceView},
};
use alloy_primitives::{Address, Bytes, TxKind};
use ovm_l2::L2Backend;
use ovm_native::NativeBackend;
use std::{
    collections::BTreeMap,
    io::Write,
    path::PathBuf,
    sync::{Arc, Mutex},
};

/// The most of each trace kept (bytes of JSON lines); the rest is dropped.
pub const MAX_TRACE_BYTES: usize = 64 << 20;
/// Steps shown before and after the first difference.
pub const WINDOW: usize = 12;
/// Frames shown per call tree.
pub const MAX_FRAMES: usize = 200;
/// Contracts listed per case, and original instructions shown per contract.
pub const MAX_CONTRACTS: usize = 4;
pub const MAX_LISTED: usize = 600;

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

/// Everything a case page shows about the runs themselves.
pub struct Anatomy {
    /// The original instruction of the first differing step (the native one; the OVM's where the
    /// native trace has no step there), which groups the index's cases.
    pub first_op: Option<String>,
    pub trace: TraceView,
    /// Native, then OVM.
    pub trees: Vec<(String, Vec<FrameRow>)>,
    pub code: Vec<CodeListing>,
    pub rule: Option<RuleView>,
}

impl Anatomy {
    fn note(note: String) -> Anatomy {
        Anatomy {
            first_op: None,
            trace: TraceView { note, rows: Vec::new() },
            trees: Vec::new(),
            code: Vec::new(),
            rule: None,
        }
    }
}

/// The vector files of the run's vectors folder (`ovm_runner::vector_files`), walked once for all
/// the cases a report reruns.
pub struct Vectors {
    root: PathBuf,
    files: Vec<(PathBuf, String)>,
}

impl Vectors {
    pub fn walk(root: &str) -> Vectors {
        let root = PathBuf::from(root);
        Vectors { files: ovm_runner::vector_files(&root), root }
    }
}

/// The anatomy of one case, or a note saying why there is none.
pub fn anatomy(vectors: &Vectors, case: &Case) -> Anatomy {
    let rerun = match rerun(vectors, case) {
        Ok(rerun) => rerun,
        Err(note) => return Anatomy::note(note),
    };
    let native: Vec<Line> = rerun.native.iter().map(|l| Line::parse(l)).collect();
    let ovm: Vec<Line> = rerun.ovm.iter().map(|l| Line::parse(l)).collect();
    let first = first_difference(&native, &ovm);
    let op_at = |lines: &[Line], i: usize| match lines.get(i) {
        Some(Line::Step(s)) => Some(s.name.clone()),
        _ => None,
    };
    let first_op = first.and_then(|i| op_at(&native, i).or_else(|| op_at(&ovm, i)));
    let trace = align(&native, &ovm, first, rerun.truncated);
    let has_code = |a: &Address| rerun.pre.get(a).is_some_and(|c| !c.is_empty());
    let native_tree = call_tree(&native, &rerun.targets, has_code, first);
    let ovm_tree = call_tree(&ovm, &rerun.targets, has_code, first);
    let code = listings(&native_tree, &native, first, &rerun.pre);
    let rule = case.verdict.as_deref().and_then(|v| rule_view(v, &native));
    Anatomy {
        first_op,
        trace,
        trees: vec![("native".into(), rows(&native_tree)), ("OVM".into(), rows(&ovm_tree))],
        code,
        rule,
    }
}

/// A case run again by both backends with tracing, and what its pages need from the vectors.
struct Rerun {
    native: Vec<String>,
    ovm: Vec<String>,
    truncated: bool,
    /// Each transaction's recipient (`None`: a creation), in order.
    targets: Vec<Option<Address>>,
    /// The pre-state's code, by address.
    pre: BTreeMap<Address, Bytes>,
}

fn rerun(vectors: &Vectors, case: &Case) -> Result<Rerun, String> {
    let file = vectors
        .files
        .iter()
        .find(|(_, name)| *name == case.file)
        .ok_or_else(|| format!("no trace: {} is not in {} any more", case.file, vectors.root.display()))?;
    let selection = ovm_runner::Selection { filters: Vec::new(), case_id: Some(case.id.clone()), shard: None };
    let loaded = ovm_runner::load(std::slice::from_ref(file), &selection);
    let (native, ovm) = (Buffer::default(), Buffer::default());
    let to = |kind: &TxKind| match kind {
        TxKind::Call(address) => Some(*address),
        TxKind::Create => None,
    };
    let (targets, pre) = if let Some(c) = loaded.cases.first() {
        let setup = c.setup.as_ref().map_err(|_| "no trace: the case cannot run".to_owned())?;
        // A backend error still leaves the steps traced so far.
        let _ = NativeBackend.run_traced(c, setup, native.clone());
        let _ = L2Backend.run_traced(c, setup, ovm.clone());
        let targets = setup.tx.as_ref().map(|tx| vec![to(&tx.kind)]).unwrap_or_default();
        (targets, c.unit.test.pre.iter().map(|(a, info)| (*a, info.code.clone())).collect())
    } else if let Some(c) = loaded.chains.first() {
        let test = c.test.as_ref().map_err(|s| format!("no trace: the test is not run ({})", s.reason))?;
        let _ = NativeBackend.run_blocks_traced(test, native.clone());
        let _ = L2Backend.run_blocks_traced(test, ovm.clone());
        let targets = test.blocks.iter().flat_map(|b| &b.transactions).map(|t| to(&t.tx.kind)).collect();
        (targets, test.pre.iter().map(|(a, info)| (*a, info.code.clone())).collect())
    } else {
        return Err(format!("no trace: no case has this id in {} now", vectors.root.display()));
    };
    let (n, nt) = native.lines();
    let (o, ot) = ovm.lines();
    Ok(Rerun { native: n, ovm: o, truncated: nt || ot, targets, pre })
}

/// One line of an EIP-3155 trace: a step, or a transaction's closing summary.
#[derive(Clone, Debug, PartialEq)]
enum Line {
    Step(Step),
    Summary(String),
}

#[derive(Clone, Debug, PartialEq)]
struct Step {
    pc: u64,
    op: u8,
    name: String,
    depth: u64,
    gas: String,
    /// Bottom first, as the trace lists it.
    stack: Vec<String>,
    /// Why the step ended its frame, where the tracer says (native: revm's instruction result).
    error: Option<String>,
}

const CALL_OPS: [u8; 4] = [0xf1, 0xf2, 0xf4, 0xfa];
const CREATE_OPS: [u8; 2] = [0xf0, 0xf5];

impl Line {
    fn parse(line: &str) -> Line {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { return Line::Summary(line.to_owned()) };
        let Some(pc) = v.get("pc").and_then(serde_json::Value::as_u64) else { return Line::Summary(line.to_owned()) };
        let text = |k: &str| v.get(k).map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned));
        Line::Step(Step {
            pc,
            op: v.get("op").and_then(serde_json::Value::as_u64).unwrap_or(0) as u8,
            name: text("opName").unwrap_or_default(),
            depth: v.get("depth").and_then(serde_json::Value::as_u64).unwrap_or(0),
            gas: text("gas").unwrap_or_default(),
            stack: v
                .get("stack")
                .and_then(|s| s.as_array())
                .map(|s| s.iter().map(|x| x.as_str().unwrap_or("?").to_owned()).collect())
                .unwrap_or_default(),
            error: text("error"),
        })
    }

    /// What two aligned steps are compared on.
    fn key(&self) -> String {
        match self {
            Line::Step(s) => {
                let top: Vec<&str> = s.stack.iter().rev().take(4).map(String::as_str).collect();
                format!("{}|{}|{}|{}|{}", s.pc, s.op, s.depth, s.gas, top.join(","))
            }
            Line::Summary(text) => text.clone(),
        }
    }

    fn text(&self) -> String {
        match self {
            Line::Step(s) => {
                let top: Vec<&str> = s.stack.iter().rev().take(4).map(String::as_str).collect();
                format!(
                    "pc {:>5} {:<14} depth {} gas {} stack({}) top [{}]",
                    s.pc,
                    s.name,
                    s.depth,
                    s.gas,
                    s.stack.len(),
                    top.join(", ")
                )
            }
            Line::Summary(text) => match serde_json::from_str::<serde_json::Value>(text) {
                Ok(v) if v.get("pass").is_some() => format!(
                    "the transaction ends: pass {}, gas used {}, output {}",
                    v["pass"],
                    v["gasUsed"].as_str().unwrap_or("?"),
                    v["output"].as_str().unwrap_or("?")
                ),
                _ => text.clone(),
            },
        }
    }

    /// A summary line saying its transaction failed.
    fn failed(&self) -> bool {
        match self {
            Line::Summary(text) => serde_json::from_str::<serde_json::Value>(text)
                .is_ok_and(|v| v.get("pass").and_then(serde_json::Value::as_bool) == Some(false)),
            Line::Step(_) => false,
        }
    }
}

fn first_difference(native: &[Line], ovm: &[Line]) -> Option<usize> {
    let longest = native.len().max(ovm.len());
    (0..longest).find(|&i| native.get(i).map(Line::key) != ovm.get(i).map(Line::key))
}

fn align(native: &[Line], ovm: &[Line], first: Option<usize>, truncated: bool) -> TraceView {
    let longest = native.len().max(ovm.len());
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
            let (a, b) = (native.get(i), ovm.get(i));
            TraceRow {
                index: i,
                native: a.map_or_else(|| "(ended)".into(), Line::text),
                ovm: b.map_or_else(|| "(ended)".into(), Line::text),
                differs: a.map(Line::key) != b.map(Line::key),
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

/// A frame of a run, rebuilt from a trace.
#[derive(Clone, Debug, PartialEq)]
struct Frame {
    /// EIP-3155 depth (1: a transaction's top frame).
    depth: u64,
    /// `transaction 0`, `CALL`, `CREATE2`, …
    kind: String,
    /// The address whose code runs (a call's target; a transaction's recipient), when known.
    code: Option<Address>,
    /// The pc of the instruction that opened it, in its parent.
    at_pc: Option<u64>,
    /// Trace lines it covers (its own steps and its children's); empty for a call that ran no code.
    steps: Option<(usize, usize)>,
    /// How it ended: its last instruction, or the error the tracer gave.
    end: String,
    /// What its parent got back (a call's success flag, a creation's address), when it went on.
    result: Option<String>,
    marked: bool,
}

/// The call tree of a trace: frames in the order they open. `targets` are the transactions'
/// recipients; `first` the line of the first difference, whose innermost frame is marked (the
/// frame of the step before it, where this trace has no step there).
fn call_tree(
    lines: &[Line],
    targets: &[Option<Address>],
    has_code: impl Fn(&Address) -> bool,
    first: Option<usize>,
) -> Vec<Frame> {
    let mut frames: Vec<Frame> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut transaction = 0;
    let mut previous: Option<&Step> = None;
    // Only the innermost open frame's last line is kept current; a closing frame hands it on.
    let close = |frames: &mut Vec<Frame>, open: &mut Vec<usize>| {
        let closed = open.pop()?;
        let last = frames[closed].steps.map(|(_, b)| b);
        if let (Some(&parent), Some(last)) = (open.last(), last) {
            if let Some((_, b)) = &mut frames[parent].steps {
                *b = last;
            }
        }
        Some(closed)
    };
    for (i, line) in lines.iter().enumerate() {
        let step = match line {
            Line::Step(step) => step,
            Line::Summary(_) => {
                if let (true, Some(&root)) = (line.failed(), open.first()) {
                    frames[root].end.push_str("; the transaction failed");
                }
                while close(&mut frames, &mut open).is_some() {}
                previous = None;
                transaction += 1;
                continue;
            }
        };
        if starts_transaction(previous, step) {
            while close(&mut frames, &mut open).is_some() {}
            previous = None;
            transaction += 1;
        }
        // Frames the step's depth has left: they ended with the previous step.
        while open.last().is_some_and(|&top| frames[top].depth > step.depth) {
            if let Some(closed) = close(&mut frames, &mut open) {
                if frames[closed].depth == step.depth + 1 {
                    frames[closed].result = step.stack.last().cloned();
                }
            }
        }
        if let Some(before) = previous.filter(|p| p.depth == step.depth && opens_frame(p.op)) {
            // A call or creation that ran no code (a precompile, an account without code, a failure
            // before the frame): a leaf, its result on the stack now.
            frames.push(Frame { result: step.stack.last().cloned(), end: "ran no code".into(), ..child(before, None) });
        }
        match open.last() {
            Some(&top) if frames[top].depth == step.depth => {}
            parent => {
                let frame = match (parent, previous) {
                    (Some(_), Some(before)) if opens_frame(before.op) => child(before, Some(i)),
                    _ => Frame {
                        depth: step.depth,
                        kind: format!("transaction {transaction}"),
                        code: None,
                        at_pc: None,
                        steps: Some((i, i)),
                        end: String::new(),
                        result: None,
                        marked: false,
                    },
                };
                frames.push(frame);
                open.push(frames.len() - 1);
            }
        }
        let top = *open.last().expect("a frame is open");
        if let Some((_, last)) = &mut frames[top].steps {
            *last = i;
        }
        frames[top].end = ending(step);
        previous = Some(step);
    }
    while close(&mut frames, &mut open).is_some() {}
    // A transaction that runs no code (a transfer, a call to a precompile) leaves no step: the
    // recipients are the transactions' when every transaction ran code, else those of the
    // transactions whose recipient has code (or that create), when that many ran.
    let roots: Vec<usize> = (0..frames.len()).filter(|&i| frames[i].at_pc.is_none()).collect();
    let with_code: Vec<Option<Address>> = targets.iter().copied().filter(|t| t.is_none_or(|a| has_code(&a))).collect();
    let recipients = if roots.len() == targets.len() {
        Some(targets.to_vec())
    } else if roots.len() == with_code.len() {
        Some(with_code)
    } else {
        None
    };
    for (k, &root) in roots.iter().enumerate() {
        match &recipients {
            Some(r) => frames[root].code = r[k],
            None => frames[root].kind = format!("traced transaction {k}"),
        }
    }
    // The first difference's line, or when it is not a step of this trace (a transaction that
    // ended here and went on in the other), the last step before it.
    let first = first.and_then(|first| {
        (0..=first.min(lines.len().saturating_sub(1))).rev().find(|&i| matches!(lines[i], Line::Step(_)))
    });
    if let Some(first) = first {
        let innermost = frames
            .iter()
            .enumerate()
            .filter(|(_, f)| f.steps.is_some_and(|(a, b)| (a..=b).contains(&first)))
            .max_by_key(|(_, f)| f.depth)
            .map(|(i, _)| i);
        if let Some(i) = innermost {
            frames[i].marked = true;
        }
    }
    frames
}

/// A blockchain test's trace has no summary line between its transactions: a step at depth 1 and
/// pc 0 that no jump led to starts the next one.
fn starts_transaction(previous: Option<&Step>, step: &Step) -> bool {
    let jumped = previous.is_some_and(|p| p.depth == step.depth && matches!(p.op, 0x56 | 0x57));
    step.depth == 1 && step.pc == 0 && previous.is_some() && !jumped
}

/// How a step ended its frame: its instruction, and the error when it was not a normal halt.
fn ending(step: &Step) -> String {
    match step.error.as_deref() {
        None | Some("Stop" | "Return" | "SelfDestruct" | "Revert") => step.name.clone(),
        Some(error) => format!("{}: {error}", step.name),
    }
}

fn opens_frame(op: u8) -> bool {
    CALL_OPS.contains(&op) || CREATE_OPS.contains(&op)
}

/// The frame `opener` (a call or creation) opens, its first line `at` (`None`: it ran no code).
fn child(opener: &Step, at: Option<usize>) -> Frame {
    // Every call's target is the second word from the top: gas, address, …
    let code = if CALL_OPS.contains(&opener.op) {
        opener.stack.iter().rev().nth(1).and_then(|w| word_address(w))
    } else {
        None
    };
    Frame {
        depth: opener.depth + 1,
        kind: opener.name.clone(),
        code,
        at_pc: Some(opener.pc),
        steps: at.map(|i| (i, i)),
        end: String::new(),
        result: None,
        marked: false,
    }
}

/// The address in the low 20 bytes of a hex stack word.
fn word_address(word: &str) -> Option<Address> {
    let value: alloy_primitives::U256 = word.parse().ok()?;
    Some(Address::from_word(value.to_be_bytes::<32>().into()))
}

fn rows(frames: &[Frame]) -> Vec<FrameRow> {
    let mut rows: Vec<FrameRow> = frames
        .iter()
        .take(MAX_FRAMES)
        .map(|f| FrameRow {
            indent: "    ".repeat(f.depth.saturating_sub(1) as usize),
            call: match (f.at_pc, f.code) {
                (Some(pc), Some(a)) => format!("{} → {a} (at pc {pc})", f.kind),
                (Some(pc), None) => format!("{} (at pc {pc})", f.kind),
                (None, Some(a)) => format!("{} → {a}", f.kind),
                (None, None) => format!("{} (a creation)", f.kind),
            },
            steps: f.steps.map_or_else(|| "–".into(), |(a, b)| format!("lines {a}–{b}")),
            end: match &f.result {
                Some(r) => format!("{}; parent got {r}", f.end),
                None => f.end.clone(),
            },
            marked: f.marked,
        })
        .collect();
    if frames.len() > MAX_FRAMES {
        rows.push(FrameRow {
            indent: String::new(),
            call: format!("… {} more frames", frames.len() - MAX_FRAMES),
            steps: String::new(),
            end: String::new(),
            marked: false,
        });
    }
    rows
}

/// The code of the contracts the native run's frames ran (the marked frame's first), original and
/// transpiled side by side.
fn listings(
    frames: &[Frame],
    lines: &[Line],
    first: Option<usize>,
    pre: &BTreeMap<Address, Bytes>,
) -> Vec<CodeListing> {
    let marked = frames.iter().find(|f| f.marked);
    let first_pc = first.and_then(|i| match lines.get(i) {
        Some(Line::Step(s)) => Some(s.pc as usize),
        _ => None,
    });
    let mut order: Vec<Address> = marked.and_then(|f| f.code).into_iter().collect();
    for a in frames.iter().filter_map(|f| f.code) {
        if !order.contains(&a) {
            order.push(a);
        }
    }
    order
        .into_iter()
        .filter_map(|a| Some((a, pre.get(&a).filter(|c| !c.is_empty())?)))
        .take(MAX_CONTRACTS)
        .map(|(address, code)| {
            let here = marked.is_some_and(|f| f.code == Some(address));
            listing(address, code, if here { first_pc } else { None })
        })
        .collect()
}

fn listing(address: Address, code: &[u8], first_pc: Option<usize>) -> CodeListing {
    let transpiled = match ovm_transpiler::transpile(code, ovm_transpiler::Mode::Runtime) {
        Ok(t) => t,
        Err(e) => {
            return CodeListing {
                address: address.to_string(),
                note: format!("{} original bytes; the transpiler refuses it: {e}", code.len()),
                rows: Vec::new(),
            }
        }
    };
    let all = ovm_transpiler::listing(code, &transpiled);
    // Around the first difference when it is in this code; else from the start.
    let centre = first_pc.and_then(|pc| all.iter().position(|ins| ins.pc == pc)).unwrap_or(0);
    let from = centre.saturating_sub(MAX_LISTED / 2).min(all.len().saturating_sub(MAX_LISTED));
    let shown = &all[from..(from + MAX_LISTED).min(all.len())];
    let note = format!(
        "{} original bytes, {} instructions → {} physical bytes{}{}",
        code.len(),
        all.len(),
        transpiled.code.len(),
        match first_pc {
            Some(pc) => format!("; the first difference is at pc {pc} (marked)"),
            None => String::new(),
        },
        if shown.len() < all.len() {
            format!("; instructions {}–{} shown", from, from + shown.len() - 1)
        } else {
            String::new()
        }
    );
    let rows = shown
        .iter()
        .map(|ins| CodeRow {
            original: ins.original.clone(),
            physical: ins.physical.join("\n"),
            marked: Some(ins.pc) == first_pc,
        })
        .collect();
    CodeListing { address: address.to_string(), note, rows }
}

/// An `explained(rule)` verdict's rule, and the native fact under it: how each transaction's top
/// frame ended natively.
fn rule_view(verdict: &str, native: &[Line]) -> Option<RuleView> {
    let name = verdict.strip_prefix("explained(")?.strip_suffix(')')?;
    let rule = ovm_compare::Rule::from_name(name);
    let mut facts = Vec::new();
    let mut transaction = 0;
    let mut last: Option<&Step> = None;
    let mut say = |transaction: usize, step: Option<&Step>| {
        if let Some(s) = step {
            facts.push(format!(
                "transaction {transaction}: the native run's last step is pc {} ({}) at depth {} with gas {} left{}",
                s.pc,
                s.name,
                s.depth,
                s.gas,
                s.error.as_ref().map_or_else(String::new, |e| format!(", and it ended the frame: {e}"))
            ));
        }
    };
    for line in native {
        match line {
            Line::Step(s) => {
                if starts_transaction(last, s) {
                    say(transaction, last.take());
                    transaction += 1;
                }
                last = Some(s);
            }
            Line::Summary(_) => {
                say(transaction, last.take());
                transaction += 1;
            }
        }
    }
    say(transaction, last);
    Some(RuleView {
        name: name.to_owned(),
        summary: rule.map_or("a rule this build does not know", ovm_compare::Rule::summary).to_owned(),
        facts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(pc: u64, op: u8, name: &str, depth: u64, gas: u64, stack: &[&str]) -> String {
        let stack: Vec<String> = stack.iter().map(|s| format!("\"{s}\"")).collect();
        format!(
            r#"{{"pc":{pc},"op":{op},"gas":"0x{gas:x}","depth":{depth},"stack":[{}],"opName":"{name}"}}"#,
            stack.join(",")
        )
    }

    fn parse(lines: &[String]) -> Vec<Line> {
        lines.iter().map(|l| Line::parse(l)).collect()
    }

    #[test]
    fn the_window_is_around_the_first_differing_step() {
        let native: Vec<String> = (0..100).map(|i| step(i, 1, "ADD", 1, 1000 - i, &["0x1"])).collect();
        let mut ovm = native.clone();
        ovm[50] = step(50, 1, "ADD", 1, 7, &["0x1"]);
        ovm.truncate(60);
        let (native, ovm) = (parse(&native), parse(&ovm));
        let first = first_difference(&native, &ovm);
        assert_eq!(first, Some(50));
        let view = align(&native, &ovm, first, false);
        assert_eq!(view.rows.len(), 2 * WINDOW + 1);
        assert_eq!(view.rows[0].index, 50 - WINDOW);
        let marked: Vec<_> = view.rows.iter().filter(|r| r.first).collect();
        assert_eq!(marked.len(), 1);
        assert_eq!(marked[0].index, 50);
        assert!(marked[0].native.contains("gas 0x3b6") && marked[0].ovm.contains("gas 0x7"), "{}", marked[0].ovm);
        // Past the OVM trace's end, the native steps still differ from nothing.
        assert!(view.rows.iter().filter(|r| r.index >= 60).all(|r| r.differs && r.ovm == "(ended)"));
        assert!(view.note.contains("first differ at step 50"), "{}", view.note);
        assert!(align(&native, &native, None, true).rows.is_empty());
        assert!(align(&native, &native, None, true).note.contains("64 MiB"));
    }

    /// A transaction to 0xaa that calls 0xbb (which calls the identity precompile, running no code)
    /// and then creates a contract; a second transaction.
    fn two_transactions() -> Vec<String> {
        let bb = "0xbb";
        vec![
            step(0, 0x60, "PUSH1", 1, 100_000, &[]),
            step(10, 0xf1, "CALL", 1, 99_000, &["0x0", "0x0", "0x0", "0x0", "0x0", bb, "0xffff"]),
            step(0, 0x60, "PUSH1", 2, 60_000, &[]),
            step(5, 0xfa, "STATICCALL", 2, 59_000, &["0x0", "0x0", "0x0", "0x0", "0x4", "0xffff"]),
            step(6, 0xf3, "RETURN", 2, 58_000, &["0x1", "0x0", "0x0"]),
            step(11, 0xf0, "CREATE", 1, 90_000, &["0x0", "0x0", "0x0"]),
            step(0, 0x00, "STOP", 2, 50_000, &[]),
            step(12, 0x00, "STOP", 1, 80_000, &["0x1", "0xc0ffee"]),
            r#"{"stateRoot":"0x","output":"0x","gasUsed":"0x1","pass":true}"#.to_owned(),
            step(0, 0xfe, "INVALID", 1, 30_000, &[]).replace('}', r#","error":"InvalidFEOpcode"}"#),
            r#"{"stateRoot":"0x","output":"0x","gasUsed":"0x2","pass":false}"#.to_owned(),
        ]
    }

    #[test]
    fn the_call_tree_has_every_frame_in_order_and_marks_the_first_difference() {
        let aa = Address::with_last_byte(0xaa);
        let lines = parse(&two_transactions());
        let tree = call_tree(&lines, &[Some(aa), None], |_| true, Some(3));
        type Shape<'a> = (u64, &'a str, Option<Address>, Option<(usize, usize)>, &'a str);
        let shape: Vec<Shape> =
            tree.iter().map(|f| (f.depth, f.kind.as_str(), f.code, f.steps, f.end.as_str())).collect();
        assert_eq!(
            shape,
            vec![
                (1, "transaction 0", Some(aa), Some((0, 7)), "STOP"),
                (2, "CALL", Some(Address::with_last_byte(0xbb)), Some((2, 4)), "RETURN"),
                (3, "STATICCALL", Some(Address::with_last_byte(4)), None, "ran no code"),
                (2, "CREATE", None, Some((6, 6)), "STOP"),
                (1, "transaction 1", None, Some((9, 9)), "INVALID: InvalidFEOpcode; the transaction failed"),
            ]
        );
        assert_eq!(tree[1].result.as_deref(), Some("0x0"), "what the CALL left on the parent's stack");
        assert_eq!(tree[3].result.as_deref(), Some("0xc0ffee"), "the created address");
        assert_eq!(tree.iter().filter(|f| f.marked).map(|f| f.kind.as_str()).collect::<Vec<_>>(), ["CALL"]);
        // The innermost frame holding the line is marked, not its parents.
        let tree = call_tree(&lines, &[Some(aa), None], |_| true, Some(6));
        assert_eq!(tree.iter().filter(|f| f.marked).map(|f| f.kind.as_str()).collect::<Vec<_>>(), ["CREATE"]);
        assert!(call_tree(&lines, &[], |_| true, None).iter().all(|f| !f.marked));
        // A difference on a transaction's summary line (it ended here, went on in the other run):
        // the frame of the step before it.
        let tree = call_tree(&lines, &[Some(aa), None], |_| true, Some(8));
        assert_eq!(tree.iter().filter(|f| f.marked).map(|f| f.kind.as_str()).collect::<Vec<_>>(), ["transaction 0"]);
    }

    /// A blockchain test's trace: no summary lines. A transfer to an account without code leaves no
    /// step; a jump back to pc 0 stays in its transaction.
    #[test]
    fn without_summary_lines_transactions_start_at_depth_one_pc_zero() {
        let (eoa, aa, bb) =
            (Address::with_last_byte(0xee), Address::with_last_byte(0xaa), Address::with_last_byte(0xbb));
        let lines = parse(&[
            step(0, 0x5b, "JUMPDEST", 1, 1000, &[]),
            step(1, 0x56, "JUMP", 1, 999, &["0x0"]),
            step(0, 0x5b, "JUMPDEST", 1, 990, &[]),
            step(2, 0x00, "STOP", 1, 989, &[]),
            step(0, 0x60, "PUSH1", 1, 500, &[]),
            step(2, 0x01, "ADD", 1, 2, &["0x1"]).replace('}', r#","error":"OutOfGas"}"#),
        ]);
        let tree = call_tree(&lines, &[Some(eoa), Some(aa), Some(bb)], |a| *a != eoa, Some(5));
        type Root<'a> = (&'a str, Option<Address>, Option<(usize, usize)>, &'a str);
        let roots: Vec<Root> = tree.iter().map(|f| (f.kind.as_str(), f.code, f.steps, f.end.as_str())).collect();
        assert_eq!(
            roots,
            vec![
                ("transaction 0", Some(aa), Some((0, 3)), "STOP"),
                ("transaction 1", Some(bb), Some((4, 5)), "ADD: OutOfGas"),
            ],
            "the transfer to the account without code is not among the traced transactions"
        );
        assert!(tree[1].marked);
        let view = rule_view("explained(halt-order)", &lines).unwrap();
        assert_eq!(view.facts.len(), 2, "{:?}", view.facts);
        assert!(view.facts[1].starts_with("transaction 1: ") && view.facts[1].contains("OutOfGas"));
        // When the count does not add up, the recipients are not guessed.
        let tree = call_tree(&lines, &[Some(aa)], |_| true, None);
        assert!(tree.iter().all(|f| f.code.is_none() && f.kind.starts_with("traced transaction ")));
    }

    #[test]
    fn an_explained_case_shows_each_transactions_native_end() {
        let lines = parse(&two_transactions());
        let view = rule_view("explained(halt-order)", &lines).expect("a rule");
        assert_eq!(view.name, "halt-order");
        assert!(view.summary.contains("Halt order"), "{}", view.summary);
        assert_eq!(view.facts.len(), 2);
        assert!(view.facts[1].contains("pc 0 (INVALID) at depth 1") && view.facts[1].contains("InvalidFEOpcode"));
        assert!(rule_view("divergent", &lines).is_none());
    }

    #[test]
    fn the_listing_marks_the_first_differing_pc_in_the_contract_it_ran_in() {
        let aa = Address::with_last_byte(0xaa);
        // PUSH1 1, PUSH1 2, ADD, STOP
        let code = Bytes::from_static(&[0x60, 1, 0x60, 2, 0x01, 0x00]);
        let lines = parse(&two_transactions());
        let mut pre = BTreeMap::new();
        pre.insert(aa, code);
        let tree = call_tree(&lines, &[Some(aa), None], |_| true, Some(0));
        let listed = listings(&tree, &lines, Some(0), &pre);
        assert_eq!(listed.len(), 1, "0xbb has no code in the pre-state");
        let rows = &listed[0].rows;
        assert_eq!(rows.len(), 4);
        assert!(rows[0].marked && rows.iter().skip(1).all(|r| !r.marked));
        assert!(rows[2].original.ends_with("PUSH1 0x02") || rows[1].original.ends_with("PUSH1 0x02"), "{rows:?}");
        assert!(rows.iter().all(|r| !r.physical.is_empty()), "every instruction has a translation");
        assert!(listed[0].note.contains("first difference is at pc 0"), "{}", listed[0].note);
    }
}
