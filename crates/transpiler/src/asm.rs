//! A tiny assembler: bytes, minimal PUSHes and forward labels patched at the end.

use crate::opcodes::{push, PUSH0};

/// A position in the output, bound once, referenced any number of times.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Label(usize);

/// Labels are referenced by `PUSHw` with one width `w` for the whole output (2 or 3 bytes), and
/// by raw `w`-byte jump-table entries; the header uses 4-byte references.
pub struct Asm {
    code: Vec<u8>,
    width: usize,
    bound: Vec<Option<usize>>,
    fixups: Vec<Fixup>,
}

struct Fixup {
    at: usize,
    bytes: usize,
    label: Label,
}

/// A label's position does not fit the chosen width: assemble again with a wider one.
#[derive(Debug)]
pub struct LabelTooWide;

impl Asm {
    pub fn new(width: usize) -> Self {
        Asm { code: Vec::new(), width, bound: Vec::new(), fixups: Vec::new() }
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn len(&self) -> usize {
        self.code.len()
    }

    pub fn op(&mut self, opcode: u8) {
        self.code.push(opcode);
    }

    pub fn ops(&mut self, opcodes: &[u8]) {
        self.code.extend_from_slice(opcodes);
    }

    pub fn raw(&mut self, bytes: &[u8]) {
        self.code.extend_from_slice(bytes);
    }

    /// The shortest PUSH of a big-endian value (PUSH0 for zero).
    pub fn push_bytes(&mut self, value: &[u8]) {
        let significant = value.iter().position(|&b| b != 0).map_or(&[][..], |i| &value[i..]);
        self.code.push(push(significant.len() as u8));
        self.code.extend_from_slice(significant);
    }

    pub fn push_u64(&mut self, value: u64) {
        if value == 0 {
            self.code.push(PUSH0);
        } else {
            self.push_bytes(&value.to_be_bytes());
        }
    }

    pub fn new_label(&mut self) -> Label {
        self.bound.push(None);
        Label(self.bound.len() - 1)
    }

    pub fn bind(&mut self, label: Label) {
        self.bound[label.0] = Some(self.code.len());
    }

    /// `PUSHw label`.
    pub fn push_label(&mut self, label: Label) {
        self.code.push(push(self.width as u8));
        self.label_bytes(label, self.width);
    }

    /// `PUSHn label` with an explicit width (the header's PUSH4).
    pub fn push_label_sized(&mut self, label: Label, bytes: usize) {
        self.code.push(push(bytes as u8));
        self.label_bytes(label, bytes);
    }

    /// A raw `bytes`-wide big-endian reference to `label` (jump-table entries).
    pub fn label_bytes(&mut self, label: Label, bytes: usize) {
        self.fixups.push(Fixup { at: self.code.len(), bytes, label });
        self.code.extend(std::iter::repeat_n(0, bytes));
    }

    /// Patches every reference. Panics only on a label that was never bound (a transpiler bug).
    pub fn finish(mut self) -> Result<Vec<u8>, LabelTooWide> {
        for fixup in &self.fixups {
            let position = self.bound[fixup.label.0].expect("every referenced label is bound");
            if fixup.bytes < 8 && position >> (8 * fixup.bytes) != 0 {
                return Err(LabelTooWide);
            }
            let be = (position as u64).to_be_bytes();
            self.code[fixup.at..fixup.at + fixup.bytes].copy_from_slice(&be[8 - fixup.bytes..]);
        }
        Ok(self.code)
    }
}
