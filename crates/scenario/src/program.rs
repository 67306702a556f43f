//! Contracts as structured programs: a weighted mix of the operations the OVM finds hardest (state,
//! calls of every kind, creations, return data, logs, memory at edges, loops, self-destruction,
//! context), compiled to EVM code that is stack-valid by construction. Every operation leaves the
//! stack as it found it; what it produces is stored (SSTORE to its own slot) so that a difference
//! shows in the post-state.

use alloy_primitives::{Address, U256};
use arbitrary::Arbitrary;

/// A contract's code: a structured program, or (a small share) raw bytes.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub enum Code {
    Program(Program),
    Raw(Vec<u8>),
}

/// Up to [`MAX_SEGMENTS`] segments; the first calldata byte picks one (segment 0 for any other).
/// The constructor runs when the program is deployed by a CREATE or a creation transaction.
#[derive(Arbitrary, Clone, Debug, Default, PartialEq, Eq)]
pub struct Program {
    pub segments: Vec<Segment>,
    pub constructor: Segment,
    pub constructor_end: ConstructorEnd,
}

#[derive(Arbitrary, Clone, Debug, Default, PartialEq, Eq)]
pub struct Segment {
    pub ops: Vec<Op>,
    pub end: End,
}

pub const MAX_SEGMENTS: usize = 3;
pub const MAX_OPS: usize = 10;
pub const MAX_LOOP_OPS: usize = 3;
pub const MAX_RAW: usize = 48;

#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Sload { key: u8 },
    Sstore { key: u8, value: Value },
    Tload { key: u8 },
    Tstore { key: u8, value: Value },
    Call { kind: CallKind, target: Target, value: u8, gas: Gas, args: Window, ret: Window, selector: u8 },
    Create { create2: bool, salt: u8, program: u8, value: u8 },
    ReturnDataSize,
    ReturnDataCopy { window: Window, offset: u8 },
    Log { topics: u8, window: Window },
    Mstore { offset: Offset, value: Value },
    Context(Context),
    Balance(Target),
    ExtCode { kind: ExtCodeKind, target: Target },
    Loop { count: u8, body: Vec<Op> },
    SelfDestruct(Target),
}

#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    Const(u8),
    /// The slot's value plus one (a counter).
    Increment,
    CallValue,
    Gas,
    Caller,
}

#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    Call,
    CallCode,
    DelegateCall,
    StaticCall,
}

/// Whom an operation names.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A generated contract (index modulo their number).
    Contract(u8),
    /// A precompile, 0x01..=0x0a.
    Precompile(u8),
    /// An account without code: the first funded, the second existing but empty.
    Eoa(u8),
    /// An address nothing lives at.
    Empty(u8),
    /// What this frame's last CREATE returned.
    Created,
    /// An address a creation makes, so that a later transaction or call reaches a contract created
    /// earlier: with an even `creator`, one of the scenario's creation transactions (`nonce` picks
    /// which), if it has any; otherwise a generated contract's (`creator` modulo their number)
    /// CREATE at nonce 1–3.
    CreatedBy {
        creator: u8,
        nonce: u8,
    },
    Caller,
    Itself,
}

#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gas {
    All,
    Stipend,
    Small,
    Large,
}

/// A memory window: offset and size from small sets that include the edges.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub offset: Offset,
    pub size: Size,
}

#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Offset {
    Low,
    Unaligned,
    High,
    Far,
}

#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    Zero,
    One,
    Word,
    Words,
}

#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    Address,
    Caller,
    CallValue,
    Origin,
    SelfBalance,
    CallDataSize,
    CodeSize,
    GasPrice,
    Number,
    /// BLOCKHASH of the block this many back from the current one (0: the current block, which
    /// has none; 256: the oldest it sees; 257: just out of its window).
    BlockHash(BlocksBack),
}

#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlocksBack {
    Current,
    One,
    Two,
    Window255,
    Window256,
    Window257,
}

impl BlocksBack {
    fn blocks(self) -> u64 {
        match self {
            BlocksBack::Current => 0,
            BlocksBack::One => 1,
            BlocksBack::Two => 2,
            BlocksBack::Window255 => 255,
            BlocksBack::Window256 => 256,
            BlocksBack::Window257 => 257,
        }
    }
}

#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExtCodeKind {
    Size,
    Hash,
    Copy,
}

#[derive(Arbitrary, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum End {
    #[default]
    Stop,
    Return(Window),
    Revert(Window),
    Invalid,
    BadJump,
}

#[derive(Arbitrary, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ConstructorEnd {
    /// Return the program's runtime code (built in memory by CODECOPY).
    #[default]
    Deploy,
    Revert,
    ReturnNothing,
    SelfDestruct,
}

/// Where the generated accounts live; the scenario fills it in.
#[derive(Clone, Debug)]
pub struct World {
    pub contracts: Vec<Address>,
    /// What the scenario's creation transactions create, in order.
    pub creations: Vec<Address>,
    pub eoas: Vec<Address>,
    pub empties: Vec<Address>,
    /// The programs' initcode, by program index, for CREATE (compiled without creations of their own).
    pub initcodes: Vec<Vec<u8>>,
}

impl World {
    /// [`Target::CreatedBy`]'s address.
    pub fn created_by(&self, creator: u8, nonce: u8) -> Address {
        if creator.is_multiple_of(2) && !self.creations.is_empty() {
            return self.creations[usize::from(nonce) % self.creations.len()];
        }
        self.contracts[usize::from(creator / 2) % self.contracts.len()].create(u64::from(nonce % 3) + 1)
    }
}

// Memory: loop counters at 0x20 k (k < 4), the last created address at 0x80, windows above 0x100.
const CREATED_AT: u64 = 0x80;
const INITCODE_AT: u64 = 0x2000;

impl Offset {
    fn at(self) -> u64 {
        match self {
            Offset::Low => 0x100,
            Offset::Unaligned => 0x11f,
            Offset::High => 0x7e0,
            Offset::Far => 0x1_0000,
        }
    }
}

impl Size {
    fn len(self) -> u64 {
        match self {
            Size::Zero => 0,
            Size::One => 1,
            Size::Word => 32,
            Size::Words => 0x41,
        }
    }
}

/// An assembler with forward labels (2-byte jump targets).
#[derive(Default)]
struct Asm {
    code: Vec<u8>,
    labels: Vec<Option<usize>>,
    fixups: Vec<(usize, usize)>,
}

impl Asm {
    fn op(&mut self, op: u8) -> &mut Self {
        self.code.push(op);
        self
    }
    fn push(&mut self, value: U256) -> &mut Self {
        let bytes = value.to_be_bytes::<32>();
        let skip = bytes.iter().position(|&b| b != 0).unwrap_or(32);
        if skip == 32 {
            return self.op(0x5f);
        }
        self.code.push(0x5f + (32 - skip) as u8);
        self.code.extend_from_slice(&bytes[skip..]);
        self
    }
    fn num(&mut self, value: u64) -> &mut Self {
        self.push(U256::from(value))
    }
    fn address(&mut self, address: Address) -> &mut Self {
        self.code.push(0x73);
        self.code.extend_from_slice(address.as_slice());
        self
    }
    fn label(&mut self) -> usize {
        self.labels.push(None);
        self.labels.len() - 1
    }
    fn place(&mut self, label: usize) -> &mut Self {
        self.labels[label] = Some(self.code.len());
        self.op(0x5b)
    }
    fn push_label(&mut self, label: usize) -> &mut Self {
        self.code.push(0x61);
        self.fixups.push((self.code.len(), label));
        self.code.extend_from_slice(&[0, 0]);
        self
    }
    fn finish(mut self) -> Vec<u8> {
        for (at, label) in &self.fixups {
            let target = self.labels[*label].unwrap_or(0) as u16;
            self.code[*at..*at + 2].copy_from_slice(&target.to_be_bytes());
        }
        self.code
    }
}

/// Compiles programs against a world.
pub struct Compiler<'w> {
    world: &'w World,
    /// Creations are compiled only at the top level (initcode does not embed more initcode).
    creations: bool,
    slot: u64,
    loops: u64,
}

impl<'w> Compiler<'w> {
    pub fn new(world: &'w World, creations: bool) -> Self {
        Self { world, creations, slot: 0, loops: 0 }
    }

    /// The runtime code of a program.
    pub fn runtime(&mut self, program: &Program) -> Vec<u8> {
        let mut asm = Asm::default();
        let empty = Segment::default();
        let mut segments: Vec<&Segment> = program.segments.iter().take(MAX_SEGMENTS).collect();
        if segments.is_empty() {
            segments.push(&empty);
        }
        // The selector: calldata byte 0.
        asm.op(0x5f).op(0x35).num(0xf8).op(0x1c);
        let labels: Vec<usize> = segments.iter().skip(1).map(|_| asm.label()).collect();
        for (i, label) in labels.iter().enumerate() {
            asm.op(0x80).num(i as u64 + 1).op(0x14).push_label(*label).op(0x57);
        }
        asm.op(0x50);
        let mut tail = Vec::new();
        self.segment(&mut asm, segments[0], &mut tail);
        for (segment, label) in segments.iter().skip(1).zip(&labels) {
            asm.place(*label).op(0x50);
            self.segment(&mut asm, segment, &mut tail);
        }
        // The initcode of the creations follows the code.
        let mut code = asm.finish();
        code.extend_from_slice(&tail);
        code
    }

    /// Initcode: the constructor, then its ending (by default, the runtime code returned).
    pub fn initcode(&mut self, program: &Program) -> Vec<u8> {
        let runtime = Compiler::new(self.world, false).runtime(program);
        let mut asm = Asm::default();
        let mut tail = Vec::new();
        for op in program.constructor.ops.iter().take(MAX_OPS) {
            self.op(&mut asm, op, &mut tail, 0);
        }
        match program.constructor_end {
            ConstructorEnd::Deploy => {
                // CODECOPY(0, start, len) RETURN(0, len); start is patched once the prefix is known.
                asm.num(runtime.len() as u64);
                asm.code.push(0x61);
                let start_at = asm.code.len();
                asm.code.extend_from_slice(&[0, 0]);
                asm.op(0x5f).op(0x39).num(runtime.len() as u64).op(0x5f).op(0xf3);
                let mut code = asm.finish();
                let start = code.len() as u16;
                code[start_at..start_at + 2].copy_from_slice(&start.to_be_bytes());
                code.extend_from_slice(&runtime);
                return code;
            }
            ConstructorEnd::Revert => {
                asm.num(32).op(0x5f).op(0xfd);
            }
            ConstructorEnd::ReturnNothing => {
                asm.op(0x5f).op(0x5f).op(0xf3);
            }
            ConstructorEnd::SelfDestruct => {
                asm.op(0x33).op(0xff);
            }
        }
        asm.finish()
    }

    fn segment(&mut self, asm: &mut Asm, segment: &Segment, tail: &mut Vec<u8>) {
        for op in segment.ops.iter().take(MAX_OPS) {
            self.op(asm, op, tail, 0);
        }
        match segment.end {
            End::Stop => {
                asm.op(0x00);
            }
            End::Return(w) => {
                asm.num(w.size.len()).num(w.offset.at()).op(0xf3);
            }
            End::Revert(w) => {
                asm.num(w.size.len()).num(w.offset.at()).op(0xfd);
            }
            End::Invalid => {
                asm.op(0xfe);
            }
            End::BadJump => {
                asm.num(0xffff).op(0x56);
            }
        }
    }

    /// Stores the value on top of the stack in this program's next result slot.
    fn record(&mut self, asm: &mut Asm) {
        self.slot += 1;
        asm.num(0x100 + self.slot).op(0x55);
    }

    fn value(&self, asm: &mut Asm, value: Value, key: u8, transient: bool) {
        match value {
            Value::Const(c) => {
                asm.num(u64::from(c));
            }
            Value::Increment => {
                asm.num(u64::from(key)).op(if transient { 0x5c } else { 0x54 }).num(1).op(0x01);
            }
            Value::CallValue => {
                asm.op(0x34);
            }
            Value::Gas => {
                asm.op(0x5a);
            }
            Value::Caller => {
                asm.op(0x33);
            }
        }
    }

    fn target(&self, asm: &mut Asm, target: Target) {
        let pick = |list: &[Address], i: u8| list[usize::from(i) % list.len()];
        match target {
            Target::Contract(i) => {
                asm.address(pick(&self.world.contracts, i));
            }
            Target::Precompile(i) => {
                asm.num(u64::from(i % 10) + 1);
            }
            Target::Eoa(i) => {
                asm.address(pick(&self.world.eoas, i));
            }
            Target::Empty(i) => {
                asm.address(pick(&self.world.empties, i));
            }
            Target::Created => {
                asm.num(CREATED_AT).op(0x51);
            }
            Target::CreatedBy { creator, nonce } => {
                asm.address(self.world.created_by(creator, nonce));
            }
            Target::Caller => {
                asm.op(0x33);
            }
            Target::Itself => {
                asm.op(0x30);
            }
        }
    }

    fn op(&mut self, asm: &mut Asm, op: &Op, tail: &mut Vec<u8>, depth: usize) {
        match *op {
            Op::Sload { key } => {
                asm.num(u64::from(key % 8)).op(0x54);
                self.record(asm);
            }
            Op::Sstore { key, value } => {
                self.value(asm, value, key % 8, false);
                asm.num(u64::from(key % 8)).op(0x55);
            }
            Op::Tload { key } => {
                asm.num(u64::from(key % 8)).op(0x5c);
                self.record(asm);
            }
            Op::Tstore { key, value } => {
                self.value(asm, value, key % 8, true);
                asm.num(u64::from(key % 8)).op(0x5d);
            }
            Op::Call { kind, target, value, gas, args, ret, selector } => {
                // The callee's selector at the start of the arguments.
                asm.num(u64::from(selector % 4)).num(args.offset.at()).op(0x53);
                asm.num(ret.size.len()).num(ret.offset.at()).num(args.size.len()).num(args.offset.at());
                if matches!(kind, CallKind::Call | CallKind::CallCode) {
                    asm.num(u64::from(value % 4) * 1000);
                }
                self.target(asm, target);
                match gas {
                    Gas::All => asm.op(0x5a),
                    Gas::Stipend => asm.num(2300),
                    Gas::Small => asm.num(30_000),
                    Gas::Large => asm.num(400_000),
                };
                asm.op(match kind {
                    CallKind::Call => 0xf1,
                    CallKind::CallCode => 0xf2,
                    CallKind::DelegateCall => 0xf4,
                    CallKind::StaticCall => 0xfa,
                });
                self.record(asm);
            }
            Op::Create { create2, salt, program, value } => {
                let Some(initcode) = self.world.initcodes.get(usize::from(program) % self.world.initcodes.len().max(1))
                else {
                    return;
                };
                if !self.creations {
                    return;
                }
                // The initcode goes into the tail after the code, in front of what is there, so
                // that its distance from the code's end is known now: CODECOPY(INITCODE_AT,
                // CODESIZE - from_end, len).
                let len = initcode.len() as u64;
                tail.splice(0..0, initcode.iter().copied());
                let from_end = tail.len() as u64;
                asm.num(len).num(from_end).op(0x38).op(0x03).num(INITCODE_AT).op(0x39);
                if create2 {
                    asm.num(u64::from(salt));
                }
                asm.num(len).num(INITCODE_AT).num(u64::from(value % 4) * 1000);
                asm.op(if create2 { 0xf5 } else { 0xf0 });
                asm.op(0x80).num(CREATED_AT).op(0x52);
                self.record(asm);
            }
            Op::ReturnDataSize => {
                asm.op(0x3d);
                self.record(asm);
            }
            Op::ReturnDataCopy { window, offset } => {
                asm.num(window.size.len()).num(u64::from(offset % 4)).num(window.offset.at()).op(0x3e);
                asm.num(window.offset.at()).op(0x51);
                self.record(asm);
            }
            Op::Log { topics, window } => {
                let n = topics % 5;
                for t in 0..n {
                    asm.num(0xa0 + u64::from(t));
                }
                asm.num(window.size.len()).num(window.offset.at()).op(0xa0 + n);
            }
            Op::Mstore { offset, value } => {
                self.value(asm, value, 0, false);
                asm.num(offset.at()).op(0x52);
            }
            Op::Context(Context::BlockHash(back)) => {
                // NUMBER - back (wrapping below block 0: a number BLOCKHASH answers 0 for).
                asm.num(back.blocks()).op(0x43).op(0x03).op(0x40);
                self.record(asm);
            }
            Op::Context(c) => {
                asm.op(match c {
                    Context::Address => 0x30,
                    Context::Caller => 0x33,
                    Context::CallValue => 0x34,
                    Context::Origin => 0x32,
                    Context::SelfBalance => 0x47,
                    Context::CallDataSize => 0x36,
                    Context::CodeSize => 0x38,
                    Context::GasPrice => 0x3a,
                    Context::Number => 0x43,
                    Context::BlockHash(_) => unreachable!("emitted above"),
                });
                self.record(asm);
            }
            Op::Balance(target) => {
                self.target(asm, target);
                asm.op(0x31);
                self.record(asm);
            }
            Op::ExtCode { kind, target } => match kind {
                ExtCodeKind::Size => {
                    self.target(asm, target);
                    asm.op(0x3b);
                    self.record(asm);
                }
                ExtCodeKind::Hash => {
                    self.target(asm, target);
                    asm.op(0x3f);
                    self.record(asm);
                }
                ExtCodeKind::Copy => {
                    asm.num(32).num(0).num(0x100);
                    self.target(asm, target);
                    asm.op(0x3c).num(0x100).op(0x51);
                    self.record(asm);
                }
            },
            Op::Loop { count, ref body } => {
                if depth > 0 || self.loops >= 4 {
                    return;
                }
                let counter = 0x20 * self.loops;
                self.loops += 1;
                let start = asm.label();
                asm.num(u64::from(count % 3) + 1).num(counter).op(0x52);
                asm.place(start);
                for op in body.iter().take(MAX_LOOP_OPS) {
                    self.op(asm, op, tail, depth + 1);
                }
                // counter - 1, kept; jump back while it is not zero.
                asm.num(1).num(counter).op(0x51).op(0x03).op(0x80).num(counter).op(0x52);
                asm.push_label(start).op(0x57);
            }
            Op::SelfDestruct(target) => {
                self.target(asm, target);
                asm.op(0xff);
            }
        }
    }
}
