//! The Cancun instruction table: name, immediate size and native stack effect of every opcode.
//!
//! The stack effect is what the native EVM checks (an instruction needs `inputs` items and leaves
//! `outputs` in their place); STACKGUARD values are computed from it, so it must be exact.

/// What the transpiler needs to know about one opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpInfo {
    /// Mnemonic; `UNDEFINED` for opcodes Cancun does not assign.
    pub name: &'static str,
    /// Bytes of immediate data following the opcode (PUSH1..PUSH32 only).
    pub immediate: u8,
    /// Stack items the instruction consumes.
    pub inputs: u8,
    /// Stack items the instruction produces.
    pub outputs: u8,
    /// Whether Cancun assigns the opcode (`INVALID` counts as defined).
    pub defined: bool,
}

const fn op(name: &'static str, inputs: u8, outputs: u8) -> OpInfo {
    OpInfo { name, immediate: 0, inputs, outputs, defined: true }
}

const UNDEFINED: OpInfo = OpInfo { name: "UNDEFINED", immediate: 0, inputs: 0, outputs: 0, defined: false };

pub const STOP: u8 = 0x00;
pub const ADD: u8 = 0x01;
pub const SUB: u8 = 0x03;
pub const MUL: u8 = 0x02;
pub const DIV: u8 = 0x04;
pub const EXP: u8 = 0x0a;
pub const LT: u8 = 0x10;
pub const GT: u8 = 0x11;
pub const EQ: u8 = 0x14;
pub const ISZERO: u8 = 0x15;
pub const OR: u8 = 0x17;
pub const XOR: u8 = 0x18;
pub const NOT: u8 = 0x19;
pub const BYTE: u8 = 0x1a;
pub const SHL: u8 = 0x1b;
pub const SHR: u8 = 0x1c;
pub const SAR: u8 = 0x1d;
pub const KECCAK256: u8 = 0x20;
pub const ADDRESS: u8 = 0x30;
pub const BALANCE: u8 = 0x31;
pub const ORIGIN: u8 = 0x32;
pub const CALLER: u8 = 0x33;
pub const CALLVALUE: u8 = 0x34;
pub const CALLDATACOPY: u8 = 0x37;
pub const CODESIZE: u8 = 0x38;
pub const CODECOPY: u8 = 0x39;
pub const GASPRICE: u8 = 0x3a;
pub const EXTCODESIZE: u8 = 0x3b;
pub const EXTCODECOPY: u8 = 0x3c;
pub const RETURNDATASIZE: u8 = 0x3d;
pub const RETURNDATACOPY: u8 = 0x3e;
pub const EXTCODEHASH: u8 = 0x3f;
pub const BLOCKHASH: u8 = 0x40;
pub const COINBASE: u8 = 0x41;
pub const TIMESTAMP: u8 = 0x42;
pub const NUMBER: u8 = 0x43;
pub const PREVRANDAO: u8 = 0x44;
pub const GASLIMIT: u8 = 0x45;
pub const CHAINID: u8 = 0x46;
pub const SELFBALANCE: u8 = 0x47;
pub const BASEFEE: u8 = 0x48;
pub const BLOBHASH: u8 = 0x49;
pub const BLOBBASEFEE: u8 = 0x4a;
pub const POP: u8 = 0x50;
pub const MLOAD: u8 = 0x51;
pub const MSTORE: u8 = 0x52;
pub const MSTORE8: u8 = 0x53;
pub const SLOAD: u8 = 0x54;
pub const SSTORE: u8 = 0x55;
pub const JUMP: u8 = 0x56;
pub const JUMPI: u8 = 0x57;
pub const PC: u8 = 0x58;
pub const MSIZE: u8 = 0x59;
pub const GAS: u8 = 0x5a;
pub const JUMPDEST: u8 = 0x5b;
pub const TLOAD: u8 = 0x5c;
pub const TSTORE: u8 = 0x5d;
pub const MCOPY: u8 = 0x5e;
pub const PUSH0: u8 = 0x5f;
pub const PUSH1: u8 = 0x60;
pub const PUSH2: u8 = 0x61;
pub const PUSH4: u8 = 0x63;
pub const PUSH20: u8 = 0x73;
pub const PUSH32: u8 = 0x7f;
pub const DUP1: u8 = 0x80;
pub const SWAP1: u8 = 0x90;
pub const LOG0: u8 = 0xa0;
pub const LOG4: u8 = 0xa4;
pub const CREATE: u8 = 0xf0;
pub const CALL: u8 = 0xf1;
pub const CALLCODE: u8 = 0xf2;
pub const RETURN: u8 = 0xf3;
pub const DELEGATECALL: u8 = 0xf4;
pub const CREATE2: u8 = 0xf5;
pub const STATICCALL: u8 = 0xfa;
pub const REVERT: u8 = 0xfd;
pub const INVALID: u8 = 0xfe;
pub const SELFDESTRUCT: u8 = 0xff;

/// `DUPn` (1-based).
pub const fn dup(n: u8) -> u8 {
    DUP1 + n - 1
}

/// `SWAPn` (1-based).
pub const fn swap(n: u8) -> u8 {
    SWAP1 + n - 1
}

/// `PUSHn` for `n` in 0..=32.
pub const fn push(n: u8) -> u8 {
    PUSH0 + n
}

/// Whether `opcode` is PUSH0..PUSH32.
pub const fn is_push(opcode: u8) -> bool {
    opcode >= PUSH0 && opcode <= PUSH32
}

/// The table entry of `opcode`, as the Cancun EVM sees it.
pub const fn info(opcode: u8) -> OpInfo {
    TABLE[opcode as usize]
}

/// Mnemonic of `opcode` in *physical* (layer-2) code, where `0x0c` is STACKGUARD and `0x0e` SIZEHALT.
pub fn physical_name(opcode: u8) -> &'static str {
    match opcode {
        crate::layout::STACKGUARD => "STACKGUARD",
        crate::layout::SIZEHALT => "SIZEHALT",
        _ => info(opcode).name,
    }
}

const PUSH_NAMES: [&str; 33] = [
    "PUSH0", "PUSH1", "PUSH2", "PUSH3", "PUSH4", "PUSH5", "PUSH6", "PUSH7", "PUSH8", "PUSH9", "PUSH10", "PUSH11",
    "PUSH12", "PUSH13", "PUSH14", "PUSH15", "PUSH16", "PUSH17", "PUSH18", "PUSH19", "PUSH20", "PUSH21", "PUSH22",
    "PUSH23", "PUSH24", "PUSH25", "PUSH26", "PUSH27", "PUSH28", "PUSH29", "PUSH30", "PUSH31", "PUSH32",
];
const DUP_NAMES: [&str; 16] = [
    "DUP1", "DUP2", "DUP3", "DUP4", "DUP5", "DUP6", "DUP7", "DUP8", "DUP9", "DUP10", "DUP11", "DUP12", "DUP13",
    "DUP14", "DUP15", "DUP16",
];
const SWAP_NAMES: [&str; 16] = [
    "SWAP1", "SWAP2", "SWAP3", "SWAP4", "SWAP5", "SWAP6", "SWAP7", "SWAP8", "SWAP9", "SWAP10", "SWAP11", "SWAP12",
    "SWAP13", "SWAP14", "SWAP15", "SWAP16",
];
const LOG_NAMES: [&str; 5] = ["LOG0", "LOG1", "LOG2", "LOG3", "LOG4"];

static TABLE: [OpInfo; 256] = build_table();

const fn build_table() -> [OpInfo; 256] {
    let mut t = [UNDEFINED; 256];
    t[0x00] = op("STOP", 0, 0);
    t[0x01] = op("ADD", 2, 1);
    t[0x02] = op("MUL", 2, 1);
    t[0x03] = op("SUB", 2, 1);
    t[0x04] = op("DIV", 2, 1);
    t[0x05] = op("SDIV", 2, 1);
    t[0x06] = op("MOD", 2, 1);
    t[0x07] = op("SMOD", 2, 1);
    t[0x08] = op("ADDMOD", 3, 1);
    t[0x09] = op("MULMOD", 3, 1);
    t[0x0a] = op("EXP", 2, 1);
    t[0x0b] = op("SIGNEXTEND", 2, 1);
    t[0x10] = op("LT", 2, 1);
    t[0x11] = op("GT", 2, 1);
    t[0x12] = op("SLT", 2, 1);
    t[0x13] = op("SGT", 2, 1);
    t[0x14] = op("EQ", 2, 1);
    t[0x15] = op("ISZERO", 1, 1);
    t[0x16] = op("AND", 2, 1);
    t[0x17] = op("OR", 2, 1);
    t[0x18] = op("XOR", 2, 1);
    t[0x19] = op("NOT", 1, 1);
    t[0x1a] = op("BYTE", 2, 1);
    t[0x1b] = op("SHL", 2, 1);
    t[0x1c] = op("SHR", 2, 1);
    t[0x1d] = op("SAR", 2, 1);
    t[0x20] = op("KECCAK256", 2, 1);
    t[0x30] = op("ADDRESS", 0, 1);
    t[0x31] = op("BALANCE", 1, 1);
    t[0x32] = op("ORIGIN", 0, 1);
    t[0x33] = op("CALLER", 0, 1);
    t[0x34] = op("CALLVALUE", 0, 1);
    t[0x35] = op("CALLDATALOAD", 1, 1);
    t[0x36] = op("CALLDATASIZE", 0, 1);
    t[0x37] = op("CALLDATACOPY", 3, 0);
    t[0x38] = op("CODESIZE", 0, 1);
    t[0x39] = op("CODECOPY", 3, 0);
    t[0x3a] = op("GASPRICE", 0, 1);
    t[0x3b] = op("EXTCODESIZE", 1, 1);
    t[0x3c] = op("EXTCODECOPY", 4, 0);
    t[0x3d] = op("RETURNDATASIZE", 0, 1);
    t[0x3e] = op("RETURNDATACOPY", 3, 0);
    t[0x3f] = op("EXTCODEHASH", 1, 1);
    t[0x40] = op("BLOCKHASH", 1, 1);
    t[0x41] = op("COINBASE", 0, 1);
    t[0x42] = op("TIMESTAMP", 0, 1);
    t[0x43] = op("NUMBER", 0, 1);
    t[0x44] = op("PREVRANDAO", 0, 1);
    t[0x45] = op("GASLIMIT", 0, 1);
    t[0x46] = op("CHAINID", 0, 1);
    t[0x47] = op("SELFBALANCE", 0, 1);
    t[0x48] = op("BASEFEE", 0, 1);
    t[0x49] = op("BLOBHASH", 1, 1);
    t[0x4a] = op("BLOBBASEFEE", 0, 1);
    t[0x50] = op("POP", 1, 0);
    t[0x51] = op("MLOAD", 1, 1);
    t[0x52] = op("MSTORE", 2, 0);
    t[0x53] = op("MSTORE8", 2, 0);
    t[0x54] = op("SLOAD", 1, 1);
    t[0x55] = op("SSTORE", 2, 0);
    t[0x56] = op("JUMP", 1, 0);
    t[0x57] = op("JUMPI", 2, 0);
    t[0x58] = op("PC", 0, 1);
    t[0x59] = op("MSIZE", 0, 1);
    t[0x5a] = op("GAS", 0, 1);
    t[0x5b] = op("JUMPDEST", 0, 0);
    t[0x5c] = op("TLOAD", 1, 1);
    t[0x5d] = op("TSTORE", 2, 0);
    t[0x5e] = op("MCOPY", 3, 0);
    let mut n = 0;
    while n <= 32 {
        t[PUSH0 as usize + n] =
            OpInfo { name: PUSH_NAMES[n], immediate: n as u8, inputs: 0, outputs: 1, defined: true };
        n += 1;
    }
    let mut n = 1;
    while n <= 16 {
        t[DUP1 as usize + n - 1] = op(DUP_NAMES[n - 1], n as u8, n as u8 + 1);
        t[SWAP1 as usize + n - 1] = op(SWAP_NAMES[n - 1], n as u8 + 1, n as u8 + 1);
        n += 1;
    }
    let mut n = 0;
    while n <= 4 {
        t[LOG0 as usize + n] = op(LOG_NAMES[n], 2 + n as u8, 0);
        n += 1;
    }
    t[0xf0] = op("CREATE", 3, 1);
    t[0xf1] = op("CALL", 7, 1);
    t[0xf2] = op("CALLCODE", 7, 1);
    t[0xf3] = op("RETURN", 2, 0);
    t[0xf4] = op("DELEGATECALL", 6, 1);
    t[0xf5] = op("CREATE2", 4, 1);
    t[0xfa] = op("STATICCALL", 6, 1);
    t[0xfd] = op("REVERT", 2, 0);
    t[0xfe] = op("INVALID", 0, 0);
    t[0xff] = op("SELFDESTRUCT", 1, 0);
    t
}

/// A value-moving call's extra cost (EIP-150 `G_callvalue`), of which the callee gets a stipend.
pub const CALL_VALUE_COST: u64 = 9000;
/// EIP-3860: per word of initcode, for CREATE and CREATE2.
pub const INITCODE_WORD_COST: u64 = 2;
/// Per word copied (CALLDATACOPY, CODECOPY, EXTCODECOPY, RETURNDATACOPY, MCOPY).
pub const COPY_WORD_COST: u64 = 3;
/// Per word hashed (KECCAK256, and CREATE2's initcode).
pub const KECCAK_WORD_COST: u64 = 6;
/// Per byte of EXP's exponent.
pub const EXP_BYTE_COST: u64 = 50;
/// The gas a value-moving call adds to its callee's (`G_callstipend`).
pub const CALL_STIPEND: u64 = 2300;
/// Gas per byte of code a constructor deploys (`G_codedeposit`).
pub const CODE_DEPOSIT_PER_BYTE: u64 = 200;

/// The least native gas `opcode` costs when it executes (Cancun): its static cost, with every
/// warm/cold, value, memory and size-dependent part at its minimum. The gas meter charges these
/// per block, so the meter's count never exceeds what the native EVM charges.
pub const fn min_gas(opcode: u8) -> u64 {
    match opcode {
        // STOP, RETURN, REVERT, INVALID and undefined opcodes charge nothing of their own.
        0x00 | 0xf3 | 0xfd | 0xfe => 0,
        JUMPDEST => 1,
        // base
        ADDRESS | ORIGIN | CALLER | CALLVALUE | 0x36 | CODESIZE | GASPRICE | RETURNDATASIZE | COINBASE | TIMESTAMP
        | NUMBER | PREVRANDAO | GASLIMIT | CHAINID | BASEFEE | BLOBBASEFEE | POP | PC | MSIZE | GAS | PUSH0 => 2,
        // very low
        0x01
        | 0x03
        | 0x10..=0x1d
        | 0x35
        | CALLDATACOPY
        | CODECOPY
        | RETURNDATACOPY
        | MLOAD
        | MSTORE
        | MSTORE8
        | MCOPY
        | BLOBHASH
        | 0x60..=0x9f => 3,
        // low
        0x02 | 0x04..=0x07 | 0x0b | SELFBALANCE => 5,
        0x08 | 0x09 | JUMP => 8,
        JUMPI | 0x0a => 10,
        BLOCKHASH => 20,
        KECCAK256 => 30,
        BALANCE | EXTCODESIZE | EXTCODECOPY | EXTCODEHASH | SLOAD | SSTORE | TLOAD | TSTORE | CALL | CALLCODE
        | DELEGATECALL | STATICCALL => 100,
        0xa0..=0xa4 => 375 * (opcode as u64 - 0xa0 + 1),
        CREATE | CREATE2 => 32_000,
        SELFDESTRUCT => 5_000,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancun_assigns_149_opcodes_counting_invalid() {
        let defined = (0..=255u8).filter(|&o| info(o).defined).count();
        // 148 Cancun instructions (PUSH0 included) plus the designated INVALID.
        assert_eq!(defined, 149);
        assert!(!info(0x0c).defined);
        assert_eq!(info(0x7f).immediate, 32);
        assert_eq!(info(0x8f).inputs, 16);
        assert_eq!(info(0x9f).outputs, 17);
    }
}
