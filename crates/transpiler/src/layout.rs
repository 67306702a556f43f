//! The numbers shared by the transpiler, the ExecutionManager and the layer-2 EVM.
//!
//! The Rust side takes every number of the calling convention from here. The EM (Yul) cannot import
//! them: it names each as a constant of its own (`function OP_SLOAD() -> o { o := 0x02 }`), and
//! `crates/l2/tests/tidy.rs` parses `contracts/em/ExecutionManager.sol` and fails when one of its
//! constants differs from its twin here (see ARCHITECTURE.md, "The OVM design").

/// The ExecutionManager's physical address, `0x4200…00`.
pub const EM_ADDRESS: [u8; 20] = address_with_last_byte(0x00);
/// The built-in that transpiles runtime code (`0x4200…01`).
pub const TRANSPILE_RUNTIME_ADDRESS: [u8; 20] = address_with_last_byte(0x01);
/// The built-in that transpiles init code (`0x4200…02`).
pub const TRANSPILE_INIT_ADDRESS: [u8; 20] = address_with_last_byte(0x02);
/// The built-in that returns the active OVM frame's context snapshot (`0x4200…03`), read from the
/// EM's transient storage (`em_transient`): a frame's prologue needs no request to the EM.
pub const CONTEXT_ADDRESS: [u8; 20] = address_with_last_byte(0x03);
/// The built-in that touches a physical account for the EM, or tells it whether one was touched in
/// the current physical transaction (`0x4200…04`): the layer-2 EVM's journal keeps a touch of
/// `0x03` across reverts, as the EVM does, so it is the EM's record of an OVM touch of `0x03`.
pub const TOUCH_ADDRESS: [u8; 20] = address_with_last_byte(0x04);

/// Where the EM keeps, in its transient storage, what the CONTEXT built-in reads. The EM's own
/// constants (`T_*`, `F_*` in ExecutionManager.sol) are these numbers; the context-opcode vectors
/// of `vectors/ovm` (ADDRESS, CALLER, ORIGIN, … through nested calls, run by `cargo test`) check
/// that the two agree.
pub mod em_transient {
    /// Number of frames on the context stack (frame 0 is the sender).
    pub const FRAMES: u64 = 0;
    /// ORIGIN, GASPRICE, COINBASE, TIMESTAMP, NUMBER, PREVRANDAO, GASLIMIT, CHAINID, BASEFEE,
    /// BLOBBASEFEE at 1..=10, in that order (the EM's `T_ORIGIN`..`T_BLOBBASEFEE`).
    pub const TX_CONTEXT: std::ops::RangeInclusive<u64> = 1..=10;
    /// The EM's names for the slots of `TX_CONTEXT`, in order.
    pub const TX_CONTEXT_NAMES: [&str; 10] = [
        "T_ORIGIN",
        "T_GASPRICE",
        "T_COINBASE",
        "T_TIMESTAMP",
        "T_NUMBER",
        "T_PREVRANDAO",
        "T_GASLIMIT",
        "T_CHAINID",
        "T_BASEFEE",
        "T_BLOBBASEFEE",
    ];
    /// Frame `f`'s fields are at `FRAME_BASE + FRAME_STRIDE * f + field`.
    pub const FRAME_BASE: u64 = 0x10000;
    pub const FRAME_STRIDE_BITS: u64 = 4;
    pub const FRAME_STRIDE: u64 = 1 << FRAME_STRIDE_BITS;
    pub const F_ADDRESS: u64 = 0;
    /// A constructor's meter when it returned successfully (its `OP_REPORT_METER` request).
    pub const F_METER_LEFT: u64 = 1;
    pub const F_CALLER: u64 = 2;
    pub const F_VALUE: u64 = 3;
    /// The frame's code contract: the only caller the built-in answers.
    pub const F_PHYS: u64 = 5;
    pub const F_BUDGET: u64 = 7;
}

/// The EM's ledger in its persistent storage, as its `dump()` reads it, so that Rust reads the
/// layer-2 state straight from the physical state after every transaction (`ovm_l2`'s dump) instead
/// of asking the EM. With `h(x) = keccak256(x)`, `h2(x, y) = keccak256(x || y)` (32-byte words) and
/// `TAG(n) = 2^255 | n`: `h(TAG(ACCOUNT_COUNT))` holds the number of accounts ever recorded;
/// `h2(TAG(ACCOUNT), i)` the i-th account `a`; `h(a) + A_*` its fields; `h2(a, TAG(KEYS)) + j` its
/// j-th recorded storage key `k`, whose value is at `h2(h2(a, incarnation), k)`.
pub mod ledger {
    pub const A_NONCE: u64 = 0;
    pub const A_BALANCE: u64 = 1;
    /// The physical address of the account's code contract.
    pub const A_CODE: u64 = 2;
    pub const A_EXISTS: u64 = 3;
    pub const A_INCARNATION: u64 = 6;
    pub const A_KEY_COUNT: u64 = 8;
    /// The numbers `n` of the table tags `TAG(n)`.
    pub const TAG_KEYS: u64 = 9;
    pub const TAG_ACCOUNT_COUNT: u64 = 11;
    pub const TAG_ACCOUNT: u64 = 12;
}

/// The EM's requests that only Rust and the EM itself send: the sequencer's, the inner frames', the
/// transaction request's words and the rejection codes of its reply.
pub mod em {
    /// The sequencer: the only account the EM accepts genesis, transactions and dumps from.
    pub const SEQUENCER_ADDRESS: [u8; 20] = super::address_with_last_byte(0x10);
    pub const OP_INNER_CALL: u8 = 0xe0;
    pub const OP_INNER_CREATE: u8 = 0xe1;
    pub const OP_INNER_DEPLOY: u8 = 0xe2;
    pub const OP_GENESIS: u8 = 0xf0;
    pub const OP_TRANSACTION: u8 = 0xf1;
    pub const OP_DUMP: u8 = 0xf2;
    /// `count || (number, hash)*`: block hashes of the layer-2 chain, which BLOCKHASH answers from.
    pub const OP_BLOCK_HASHES: u8 = 0xf3;
    /// A system call (EIP-4788's beacon-roots update): the transaction request's words, no fees.
    pub const OP_SYSTEM_CALL: u8 = 0xf4;
    /// `count || (address, amount)*`: withdrawals credited to the ledger (EIP-4895).
    pub const OP_CREDIT: u8 = 0xf5;

    /// Words of the transaction request (`OP_TRANSACTION`), by index; the blob hashes, the access
    /// list's addresses, its (address, key) pairs, then the data, follow the `TX_WORDS` words.
    pub const TX_SENDER: usize = 0;
    pub const TX_TO: usize = 1;
    pub const TX_IS_CREATE: usize = 2;
    pub const TX_VALUE: usize = 3;
    pub const TX_GAS_LIMIT: usize = 4;
    pub const TX_GAS_PRICE: usize = 5;
    pub const TX_REQUIRED_BALANCE: usize = 6;
    pub const TX_UPFRONT_CHARGE: usize = 7;
    pub const TX_ACCESS_ADDRESSES: usize = 8;
    pub const TX_ACCESS_KEYS: usize = 9;
    pub const TX_NONCE: usize = 10;
    pub const TX_COINBASE: usize = 11;
    pub const TX_TIMESTAMP: usize = 12;
    pub const TX_NUMBER: usize = 13;
    pub const TX_PREVRANDAO: usize = 14;
    pub const TX_BLOCK_GAS_LIMIT: usize = 15;
    pub const TX_CHAIN_ID: usize = 16;
    pub const TX_BASE_FEE: usize = 17;
    pub const TX_BLOB_BASE_FEE: usize = 18;
    pub const TX_BLOB_COUNT: usize = 19;
    pub const TX_BALANCE_OVERFLOWS: usize = 20;
    pub const TX_WORDS: usize = 21;

    /// Why the EM rejects a transaction (its reply's second word).
    pub const REJECT_INTRINSIC_GAS: u64 = 1;
    pub const REJECT_SENDER_CODE: u64 = 3;
    pub const REJECT_NONCE_HIGH: u64 = 4;
    pub const REJECT_NONCE_LOW: u64 = 5;
    pub const REJECT_FUNDS: u64 = 7;
    pub const REJECT_BALANCE_OVERFLOW: u64 = 8;
    /// The transaction reply's first word.
    pub const TX_REJECTED: u64 = 0;
    pub const TX_SUCCEEDED: u64 = 1;
    pub const TX_FAILED: u64 = 2;
    /// The transaction reply's words before the output: status, rejection code or created
    /// address, whether the top frame self-destructed, the native gas used.
    pub const TX_REPLY_HEADER: usize = 128;

    /// Header lengths of the requests whose data follows their words.
    pub const CALL_HEADER: usize = super::request_header_len(super::CALL_REQUEST_WORDS);
    pub const CREATE_HEADER: usize = super::request_header_len(super::CREATE_REQUEST_WORDS);
    pub const INNER_CALL_HEADER: usize = super::request_header_len(4);
    pub const INNER_CREATE_HEADER: usize = super::request_header_len(4);
    pub const INNER_DEPLOY_HEADER: usize = super::request_header_len(1);
}

const fn address_with_last_byte(last: u8) -> [u8; 20] {
    let mut address = [0u8; 20];
    address[0] = 0x42;
    address[19] = last;
    address
}

/// The opcode the layer-2 EVM gives to STACKGUARD (unassigned in Cancun).
pub const STACKGUARD: u8 = 0x0c;
/// The opcode the layer-2 EVM gives to SIZEHALT (unassigned in Cancun): it halts the frame with
/// revm's `CreateContractSizeLimit`. A constructor whose original runtime code breaks EIP-170 ends
/// with it; physically that reason needs a return larger than the physical limit, which no
/// transpiled constructor could pay for.
pub const SIZEHALT: u8 = 0x0e;
/// What an original `0x0c` or `0x0e` byte becomes: another byte that is undefined in Cancun, so it
/// still halts with "opcode not found" instead of running as STACKGUARD or SIZEHALT.
pub const RESERVED_REPLACEMENT: u8 = 0x0d;
/// The native stack limit that STACKGUARD enforces.
pub const NATIVE_STACK_LIMIT: usize = 1024;
/// Extra physical stack items the layer-2 EVM allows transpiled temporaries.
pub const STACK_HEADROOM: usize = 64;

/// Length of the header `PUSH4 start POP PUSH4 len POP`.
pub const HEADER_LEN: usize = 12;
/// Offset of the 4-byte big-endian original-code start inside the header.
pub const HEADER_START_FIELD: usize = 1;
/// Offset of the 4-byte big-endian original-code length inside the header.
pub const HEADER_LEN_FIELD: usize = 7;

/// Largest input the transpiler accepts, and largest output it produces.
pub const MAX_CODE_LEN: usize = 1 << 24;

/// EIP-170: the largest runtime code a constructor may return (checked on the original code).
/// EIP-3860: the most initcode CREATE and CREATE2 accept (original bytes).
pub const MAX_INITCODE_LEN: usize = 0xc000;
pub const MAX_RUNTIME_CODE_LEN: usize = 0x6000;

/// Size of the scratch area: program memory lives at physical `logical + S`.
pub const S: usize = 0x600;

// ---- scratch table (ARCHITECTURE.md, "Memory: relocation by S") ----

/// Return address of the running routine.
pub const SCRATCH_RETURN_ADDRESS: usize = 0x000;
/// Op id of the running routine.
pub const SCRATCH_OP_ID: usize = 0x020;
/// Spilled operand `A0` (the native top of stack); `A_i` is at `SCRATCH_ARGS + 32 * i`.
pub const SCRATCH_ARGS: usize = 0x040;
/// Number of operand slots `A0..A6`.
pub const SCRATCH_ARG_COUNT: usize = 7;
/// `RDSIZE`: size of the last OVM call's return data.
pub const SCRATCH_RDSIZE: usize = 0x120;
/// `RDFRESH`: 1 while the physical return buffer still holds that call's reply.
pub const SCRATCH_RDFRESH: usize = 0x140;
/// Jump-table read buffer (one word; the entry lands right-aligned).
pub const SCRATCH_JUMP_BUFFER: usize = 0x160;
/// Request buffer: op byte here, 32-byte words from `SCRATCH_REQUEST + 1`.
pub const SCRATCH_REQUEST: usize = 0x180;
/// End (exclusive) of the request buffer.
pub const SCRATCH_REQUEST_END: usize = 0x2a0;
/// The caller's cap on a callee's native gas, `meter - meter/64` (the 63/64 rule applied to the
/// meter), sent as a call request's fourth word. It is the request buffer's last word, which no
/// request header reaches.
pub const SCRATCH_CALL_BUDGET: usize = 0x280;
/// Words of a call request: gas, address, value, the caller's meter.
pub const CALL_REQUEST_WORDS: usize = 4;
/// Words of a create request: value, salt, budget cap.
pub const CREATE_REQUEST_WORDS: usize = 3;
const _: () = assert!(SCRATCH_REQUEST + request_header_len(CALL_REQUEST_WORDS) <= SCRATCH_CALL_BUDGET);
const _: () = assert!(request_header_len(CALL_REQUEST_WORDS) <= SCRATCH_SAVED_END - SCRATCH_SAVED);
/// Saved bytes under a request header written in front of program memory.
pub const SCRATCH_SAVED: usize = 0x2a0;
/// End (exclusive) of the saved-bytes area.
pub const SCRATCH_SAVED_END: usize = 0x360;
/// Context snapshot, `CONTEXT_WORDS` words in `ContextWord` order (the CONTEXT built-in's reply).
pub const SCRATCH_CONTEXT: usize = 0x360;
/// Number of words in the context snapshot (and in the EM's CONTEXT reply).
pub const CONTEXT_WORDS: usize = 15;
/// Physical MSIZE when the gas meter last charged memory expansion.
pub const SCRATCH_METERED_MSIZE: usize = 0x540;
/// Pad in front of program memory, where headers written before low-offset data land.
pub const SCRATCH_PAD: usize = 0x560;

/// Address of spilled operand `A_i`.
pub const fn scratch_arg(i: usize) -> usize {
    SCRATCH_ARGS + 32 * i
}

/// The words of the context snapshot, in order (index = word number).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContextWord {
    Address = 0,
    Caller,
    CallValue,
    Origin,
    GasPrice,
    Coinbase,
    Timestamp,
    Number,
    PrevRandao,
    GasLimit,
    ChainId,
    BaseFee,
    BlobBaseFee,
    /// The gas meter: native gas this frame has left, as an upper bound. The EM sends the frame's
    /// native gas budget; the transpiled code charges each block's least native cost and memory
    /// expansion, and halts out of gas when the meter would go below zero (ARCHITECTURE.md, "Gas").
    GasMeter,
    /// Native memory-expansion gas charged so far (the EM sends 0).
    MemoryCharged,
}

impl ContextWord {
    /// Scratch address of this word.
    pub const fn slot(self) -> usize {
        SCRATCH_CONTEXT + 32 * self as usize
    }
}

// ---- op ids of EM requests (ARCHITECTURE.md, "Calling convention") ----

pub const OP_SLOAD: u8 = 0x02;
pub const OP_SSTORE: u8 = 0x03;
pub const OP_TLOAD: u8 = 0x04;
pub const OP_TSTORE: u8 = 0x05;
pub const OP_BALANCE: u8 = 0x06;
pub const OP_SELFBALANCE: u8 = 0x07;
pub const OP_EXTCODESIZE: u8 = 0x08;
pub const OP_EXTCODEHASH: u8 = 0x09;
pub const OP_EXTCODECOPY: u8 = 0x0a;
pub const OP_BLOCKHASH: u8 = 0x0b;
pub const OP_BLOBHASH: u8 = 0x0c;
/// `LOGn` is `OP_LOG0 + n`.
pub const OP_LOG0: u8 = 0x10;
pub const OP_CALL: u8 = 0x20;
pub const OP_CALLCODE: u8 = 0x21;
pub const OP_DELEGATECALL: u8 = 0x22;
pub const OP_STATICCALL: u8 = 0x23;
pub const OP_CREATE: u8 = 0x24;
pub const OP_CREATE2: u8 = 0x25;
pub const OP_SELFDESTRUCT: u8 = 0x26;
pub const OP_RETURNDATACOPY: u8 = 0x27;
/// A constructor that returns successfully reports its meter first (`meter`), so that its creator
/// is charged what it used; a revert carries the meter in its trailer instead (`METER_TRAILER_LEN`).
pub const OP_REPORT_METER: u8 = 0x28;
/// Flag on a call or create op: the EM keeps the return data for a later `OP_RETURNDATACOPY`.
/// Only code with a RETURNDATACOPY sets it; other code never reads return data after another
/// request, so the EM need not keep it.
pub const OP_KEEP_RETURN_DATA: u8 = 0x40;

/// A call or create reply starts with two words: the success flag (a call) or the created address
/// (a create), then the native gas the callee used, which the caller's meter is charged. The
/// callee's return data follows.
pub const REPLY_HEADER_LEN: usize = 64;
/// Every frame of transpiled code ends a RETURN or REVERT (and a runtime STOP) with its meter as one
/// more word after the data: the EM strips it and charges the caller what the callee used. An
/// exceptional halt has no output, so the EM charges the callee's whole budget.
pub const METER_TRAILER_LEN: usize = 32;
/// The bit of the trailer that says the frame ended with STOP rather than RETURN (the meter itself
/// stays below 2^63): a transaction's status tells the two apart.
pub const METER_STOPPED_BIT: u32 = 255;
/// The meter's bits in a trailer (the meter never reaches 2^63).
pub const METER_MASK: u64 = u64::MAX;

/// Bytes of a request header with `words` words: the op byte and the words.
pub const fn request_header_len(words: usize) -> usize {
    1 + 32 * words
}
