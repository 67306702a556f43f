// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

/// @title The OVM ExecutionManager: a layer-2 EVM as a contract.
/// @notice Holds all layer-2 state and implements the semantics of every state and context opcode
/// for transpiled code. The protocol (ARCHITECTURE.md, "The OVM design") is requests of the form
/// `op: u8 || 32-byte words || data`. Every op id, word index, field, tag, list base, header length,
/// rejection code and gas reserve is a named constant below, defined once; the ones Rust shares have
/// a twin in `ovm_transpiler::layout`, and `crates/l2/tests/tidy.rs` fails when a twin differs or a
/// bare protocol number appears outside the constants.
///
/// Callers and what they may ask:
/// - the code contract of the active OVM frame: the requests OP_SLOAD..OP_REPORT_METER (as itself,
///   never as anyone else), the call and create ops also with OP_KEEP (keep the return data for a
///   later RETURNDATACOPY request); it reads its context (frame and transaction) through the layer-2
///   EVM's CONTEXT built-in, which reads the transient slots below (T_*, F_*);
/// - the EM itself: the inner frames OP_INNER_*, so that an OVM frame's effects roll back atomically;
/// - the sequencer: OP_GENESIS, OP_TRANSACTION, OP_DUMP.
/// Anything else reverts.
///
/// State (all keys are keccak256 of their parts; `a` is an OVM address, tags are >= 2^255 so that
/// no table can collide with another):
/// - account field f of a: keccak(a) + f (A_*); per-transaction flags in transient storage at the
///   same keys (A_TOUCHED, A_CREATED, A_TO_DESTROY);
/// - storage: key k of a at keccak(keccak(a, incarnation), k), its "listed" flag one slot above;
///   key list: keccak(a, TAG_KEYS) + i; account list: count at keccak(TAG_ACCOUNT_COUNT), entry i at
///   keccak(TAG_ACCOUNT, i)
/// - transient: the transaction context at T_*, blob hashes at T_BLOB_HASHES + i, frame f at
///   FRAME_BASE + f * FRAME_STRIDE (fields F_*), return data kept for frame f at (f + 1) << 64 | i,
///   the touched and to-destroy lists at TOUCHED_LIST and DESTROY_LIST, OVM transient storage at
///   keccak(a, TAG_TRANSIENT, key).
contract ExecutionManager {
    fallback() external payable {
        assembly {
            // ================================================================ constants
            // addresses
            function SEQUENCER() -> a { a := 0x4200000000000000000000000000000000000010 }
            function TRANSPILE_INIT() -> a { a := 0x4200000000000000000000000000000000000002 }
            function TOUCH() -> a { a := 0x4200000000000000000000000000000000000004 }
            function RIPEMD160() -> a { a := 0x03 } // the precompile whose touch survives a revert
            function LAST_PRECOMPILE() -> a { a := 0x0a } // Cancun: 0x01..=0x0a

            // request ops from the active frame's code (twins: layout::OP_*)
            function OP_SLOAD() -> o { o := 0x02 }
            function OP_SSTORE() -> o { o := 0x03 }
            function OP_TLOAD() -> o { o := 0x04 }
            function OP_TSTORE() -> o { o := 0x05 }
            function OP_BALANCE() -> o { o := 0x06 }
            function OP_SELFBALANCE() -> o { o := 0x07 }
            function OP_EXTCODESIZE() -> o { o := 0x08 }
            function OP_EXTCODEHASH() -> o { o := 0x09 }
            function OP_EXTCODECOPY() -> o { o := 0x0a }
            function OP_BLOCKHASH() -> o { o := 0x0b }
            function OP_BLOBHASH() -> o { o := 0x0c }
            function OP_LOG0() -> o { o := 0x10 } // LOGn is OP_LOG0 + n
            function OP_CALL() -> o { o := 0x20 }
            function OP_CALLCODE() -> o { o := 0x21 }
            function OP_DELEGATECALL() -> o { o := 0x22 }
            function OP_STATICCALL() -> o { o := 0x23 }
            function OP_CREATE() -> o { o := 0x24 }
            function OP_CREATE2() -> o { o := 0x25 }
            function OP_SELFDESTRUCT() -> o { o := 0x26 }
            function OP_RETURNDATACOPY() -> o { o := 0x27 }
            function OP_REPORT_METER() -> o { o := 0x28 }
            function OP_KEEP() -> k { k := 0x40 } // flag on call and create ops
            // ops the EM sends itself, and the sequencer's
            function OP_INNER_CALL() -> o { o := 0xe0 }
            function OP_INNER_CREATE() -> o { o := 0xe1 }
            function OP_INNER_DEPLOY() -> o { o := 0xe2 }
            function OP_GENESIS() -> o { o := 0xf0 }
            function OP_TRANSACTION() -> o { o := 0xf1 }
            function OP_DUMP() -> o { o := 0xf2 }
            function OP_BLOCK_HASHES() -> o { o := 0xf3 }
            function OP_SYSTEM_CALL() -> o { o := 0xf4 }
            function OP_CREDIT() -> o { o := 0xf5 }

            // request layouts: the op byte, then words (header lengths are 1 + 32 * words)
            function CALL_HEADER() -> n { n := 129 }         // gas, target, value, budget cap
            function CREATE_HEADER() -> n { n := 97 }        // value, salt, budget cap
            function INNER_CALL_HEADER() -> n { n := 129 }   // op, target, value, budget
            function INNER_CREATE_HEADER() -> n { n := 129 } // creator, target, value, budget
            function INNER_DEPLOY_HEADER() -> n { n := 33 }  // physical salt
            // transaction request words (twins: layout::em::TX_*)
            function TX_SENDER() -> i { i := 0 }
            function TX_TO() -> i { i := 1 }
            function TX_IS_CREATE() -> i { i := 2 }
            function TX_VALUE() -> i { i := 3 }
            function TX_GAS_LIMIT() -> i { i := 4 }
            function TX_GAS_PRICE() -> i { i := 5 }
            function TX_REQUIRED_BALANCE() -> i { i := 6 }
            function TX_UPFRONT_CHARGE() -> i { i := 7 }
            function TX_ACCESS_ADDRESSES() -> i { i := 8 }
            function TX_ACCESS_KEYS() -> i { i := 9 }
            function TX_NONCE() -> i { i := 10 }
            function TX_COINBASE() -> i { i := 11 }
            function TX_TIMESTAMP() -> i { i := 12 }
            function TX_NUMBER() -> i { i := 13 }
            function TX_PREVRANDAO() -> i { i := 14 }
            function TX_BLOCK_GAS_LIMIT() -> i { i := 15 }
            function TX_CHAIN_ID() -> i { i := 16 }
            function TX_BASE_FEE() -> i { i := 17 }
            function TX_BLOB_BASE_FEE() -> i { i := 18 }
            function TX_BLOB_COUNT() -> i { i := 19 }
            function TX_BALANCE_OVERFLOWS() -> i { i := 20 }
            function TX_WORDS() -> n { n := 21 } // then the blob hashes, then the data
            // rejection codes (twins: layout::em::REJECT_*)
            function REJECT_INTRINSIC_GAS() -> c { c := 1 }
            function REJECT_SENDER_CODE() -> c { c := 3 }
            function REJECT_NONCE_HIGH() -> c { c := 4 }
            function REJECT_NONCE_LOW() -> c { c := 5 }
            function REJECT_FUNDS() -> c { c := 7 }
            function REJECT_BALANCE_OVERFLOW() -> c { c := 8 }
            // transaction status in the reply
            function TX_REJECTED() -> s { s := 0 }
            function TX_SUCCEEDED() -> s { s := 1 }
            function TX_FAILED() -> s { s := 2 }
            function TX_REPLY_HEADER() -> n { n := 128 } // status, code or created, top self-destructed, gas used

            // transient slots (twins: layout::em_transient)
            function T_FRAMES() -> s { s := 0 }        // number of frames on the context stack
            function T_ORIGIN() -> s { s := 1 }
            function T_GASPRICE() -> s { s := 2 }
            function T_COINBASE() -> s { s := 3 }
            function T_TIMESTAMP() -> s { s := 4 }
            function T_NUMBER() -> s { s := 5 }
            function T_PREVRANDAO() -> s { s := 6 }
            function T_GASLIMIT() -> s { s := 7 }
            function T_CHAINID() -> s { s := 8 }
            function T_BASEFEE() -> s { s := 9 }
            function T_BLOBBASEFEE() -> s { s := 10 }
            function T_NBLOBS() -> s { s := 11 }
            function T_TOP_SELFDESTRUCTED() -> s { s := 12 }
            function T_TOUCHED_LEN() -> s { s := 13 }
            function T_DESTROY_LEN() -> s { s := 14 }
            function T_REFUND() -> s { s := 15 }      // the EIP-3529 refund counter (two's complement)
            function T_BLOB_HASHES() -> s { s := 0x100 }      // + i
            function FRAME_BASE() -> s { s := 0x10000 }       // frame f at FRAME_BASE + 16 f
            function FRAME_STRIDE_BITS() -> b { b := 4 }      // a frame has 16 fields
            function TOUCHED_LIST() -> s { s := 0x200000 }    // + i
            function DESTROY_LIST() -> s { s := 0x300000 }    // + i
            function RETURN_DATA_BITS() -> b { b := 64 }      // frame f's kept return data: (f + 1) << 64
            // frame fields
            function F_ADDRESS() -> o { o := 0 }     // storage context (ADDRESS)
            function F_METER_LEFT() -> o { o := 1 }  // a constructor's meter as it returned (OP_REPORT_METER)
            function F_CALLER() -> o { o := 2 }
            function F_VALUE() -> o { o := 3 }
            function F_STATIC() -> o { o := 4 }
            function F_PHYS() -> o { o := 5 }        // physical code contract: who may make requests
            function F_RDSIZE() -> o { o := 6 }      // size of this frame's last call's return data
            function F_BUDGET() -> o { o := 7 }      // native gas the frame can have had, at most
            function F_ABASE() -> o { o := 8 }       // accountBase(F_ADDRESS)
            function F_SBASE() -> o { o := 9 }       // storageBase(F_ADDRESS), 0 until first needed

            // account fields: keccak(a) + field
            function A_NONCE() -> f { f := 0 }
            function A_BALANCE() -> f { f := 1 }
            function A_CODE() -> f { f := 2 }        // physical address of the code contract
            function A_EXISTS() -> f { f := 3 }
            function A_CODE_HASH() -> f { f := 4 }   // of the original code
            function A_CODE_SIZE() -> f { f := 5 }   // of the original code
            function A_INCARNATION() -> f { f := 6 }
            function A_LISTED() -> f { f := 7 }
            function A_KEY_COUNT() -> f { f := 8 }
            function A_TOUCHED() -> f { f := 20 }    // transient
            function A_CREATED() -> f { f := 21 }    // transient
            function A_TO_DESTROY() -> f { f := 22 } // transient
            function A_WARM() -> f { f := 23 }       // transient: in the EIP-2929 accessed set
            // a storage slot's transient word at its own slot s: flags, and its original value at s + 1
            function SLOT_WARM() -> b { b := 1 }          // in the EIP-2929 accessed set
            function SLOT_ORIGINAL_KEPT() -> b { b := 2 } // its value at the start of the transaction is at s + 1
            // table tags
            function TAG(n) -> t { t := or(shl(255, 1), n) }
            function TAG_KEYS() -> t { t := TAG(9) }
            function TAG_ACCOUNT_COUNT() -> t { t := TAG(11) }
            function TAG_ACCOUNT() -> t { t := TAG(12) }
            function TAG_TRANSIENT() -> t { t := TAG(40) }
            function TAG_BLOCK_HASH() -> t { t := TAG(50) }

            // the EVM's numbers
            function BLOCKHASH_WINDOW() -> n { n := 256 }      // BLOCKHASH sees the 256 most recent blocks
            function MAX_DEPTH_INDEX() -> d { d := 1025 }     // frame 0 is the sender: 1024 OVM frames
            function STIPEND() -> g { g := 2300 }             // native gas a value call adds to its callee's
            function MAX_INITCODE() -> n { n := 49152 }       // EIP-3860
            function MAX_NONCE() -> n { n := 0xffffffffffffffff } // EIP-2681
            function ADDRESS_MASK() -> m { m := 0xffffffffffffffffffffffffffffffffffffffff } // 160 bits
            function MAX_CALL_GAS() -> g { g := 0xffffffffffffffffffffffffffffffff } // above any budget
            function EMPTY_CODE_HASH() -> h { h := 0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470 }
            function TX_GAS() -> g { g := 21000 }
            function TX_CREATE_GAS() -> g { g := 32000 }
            function TX_DATA_ZERO_GAS() -> g { g := 4 }
            function TX_DATA_NONZERO_GAS() -> g { g := 16 }
            function INITCODE_WORD_GAS() -> g { g := 2 }
            function ACCESS_ADDRESS_GAS() -> g { g := 2400 }
            function ACCESS_KEY_GAS() -> g { g := 1900 }
            // EIP-2929 and EIP-2200/3529 storage and account access (revm's Cancun gas constants)
            function WARM_ACCESS_GAS() -> g { g := 100 }         // the least an access costs: the meter's static charge
            function COLD_SLOAD_GAS() -> g { g := 2100 }
            function COLD_ACCOUNT_ACCESS_GAS() -> g { g := 2600 }
            function SSTORE_SET_GAS() -> g { g := 20000 }
            function SSTORE_RESET_GAS() -> g { g := 2900 }       // 5000 less the cold slot surcharge
            function SSTORE_CLEARS_REFUND() -> g { g := 4800 }
            function MAX_REFUND_QUOTIENT() -> q { q := 5 }       // EIP-3529: at most gas used / 5
            function NEW_ACCOUNT_GAS() -> g { g := 25000 }       // value sent to an empty account
            // transpiled code (twins: layout::METER_*, layout::HEADER_*)
            /// A transpiled frame's trailer is its meter (below 2^63), with bit 255 set by a STOP.
            function METER_MASK() -> m { m := 0xffffffffffffffff }
            function TRAILER() -> n { n := 32 }
            function HEADER_LEN() -> n { n := 12 }            // PUSH4 start POP PUSH4 len POP
            function HEADER_START_AT() -> n { n := 1 }
            function HEADER_LEN_AT() -> n { n := 7 }
            /// Physical gas between the two GAS readings around a precompile call that is not the
            /// precompile's own (the DELEGATECALL's warm access, GAS, stack moves): measured by the
            /// precompile vectors (vectors/ovm/precompile_gas_is_charged_exactly.json).
            function PRECOMPILE_CALL_OVERHEAD() -> g { g := 111 }

            // physical gas kept back for the work after a nested frame (ARCHITECTURE.md, "Physical gas")
            function RESERVE_PRECOMPILE() -> g { g := 5000 }    // the reply after a precompile
            function RESERVE_REQUEST_CALLEE() -> g { g := 25000 } // untouching and replying after a callee
            function RESERVE_INNER_CALLEE() -> g { g := 5000 }  // returning the callee's data
            function RESERVE_INNER_CALL() -> g { g := 20000 }   // keeping and replying the return data
            function RESERVE_INNER_CREATE() -> g { g := 40000 } // keeping and replying the revert data
            function RESERVE_DEPLOY() -> g { g := 30000 }       // recording the new code
            function RESERVE_TX() -> g { g := 1000000 }         // the end of the transaction
            function KEEP_CALLEE() -> d { d := 128 }            // 1/128 of what a frame has
            function KEEP_INNER_CALL() -> d { d := 1024 }       // 1/1024 around a value call's inner frame
            function KEEP_NATIVE() -> d { d := 64 }             // the EVM's 1/64 (around a precompile)
            function KEEP_CREATE() -> d { d := 1024 }           // 1/1024 around each of a creation's two EM frames
            function KEEP_TX() -> d { d := 8 }                  // 1/8 for the end-of-transaction sweep

            // memory
            function M_HASH() -> m { m := 0x00 }     // keccak scratch, three words
            function M_MEMO() -> m { m := 0x60 }     // accountBase's memo: tag, base
            function M_REPLY() -> m { m := 0xc0 }    // a call reply's head and used, before M_BUF
            function M_BUF() -> m { m := 0x100 }     // data: arguments, return data, code
            function M_TX_REPLY() -> m { m := 0x340 } // the transaction's reply: TX_REPLY_HEADER, output
            function M_TX_OUT() -> m { m := 0x400 }   // the transaction's output, while it is swept

            // ================================================================ helpers
            function fail() { revert(0, 0) }
            function word(i) -> w { w := calldataload(add(1, mul(i, 32))) }
            /// The low 160 bits, as the EVM reads an address operand.
            function toAddress(x) -> a { a := and(x, ADDRESS_MASK()) }
            function hash2(x, y) -> h {
                mstore(M_HASH(), x)
                mstore(add(M_HASH(), 32), y)
                h := keccak256(M_HASH(), 64)
            }
            function hash3(x, y, z) -> h {
                mstore(M_HASH(), x)
                mstore(add(M_HASH(), 32), y)
                mstore(add(M_HASH(), 64), z)
                h := keccak256(M_HASH(), 96)
            }
            function keccak256Of1(x) -> h { mstore(M_HASH(), x) h := keccak256(M_HASH(), 32) }
            function min(a, b) -> m {
                m := a
                if lt(b, a) { m := b }
            }
            /// Where the original code sits in a code contract: its header `PUSH4 start POP PUSH4 len
            /// POP` (read through the hash scratch).
            function readHeader(phys) -> start, len {
                extcodecopy(phys, M_HASH(), 0, HEADER_LEN())
                start := shr(224, mload(add(M_HASH(), HEADER_START_AT())))
                len := shr(224, mload(add(M_HASH(), HEADER_LEN_AT())))
            }

            // frames
            function frame(f) -> b { b := add(FRAME_BASE(), shl(FRAME_STRIDE_BITS(), f)) }
            function frames() -> n { n := tload(T_FRAMES()) }
            /// The storage context (ADDRESS) of the frame at `cur`.
            function self(cur) -> a { a := tload(add(cur, F_ADDRESS())) }
            function isStatic(cur) -> s { s := tload(add(cur, F_STATIC())) }
            /// Writes the context of the frame at b: the storage context and its cached bases, caller,
            /// value, static flag and native gas budget.
            function writeFrame(b, addr, abase, sbase, callerAddr, value, isStaticFrame, budget) {
                tstore(add(b, F_ADDRESS()), addr)
                tstore(add(b, F_ABASE()), abase)
                tstore(add(b, F_SBASE()), sbase)
                tstore(add(b, F_CALLER()), callerAddr)
                tstore(add(b, F_VALUE()), value)
                tstore(add(b, F_STATIC()), isStaticFrame)
                tstore(add(b, F_BUDGET()), budget)
            }

            // accounts
            /// keccak(a): account a's fields are the slots from here. Memoized at M_MEMO, which
            /// nothing else in a request writes before it replies.
            function accountBase(a) -> b {
                let tag := add(a, 1)
                switch eq(mload(M_MEMO()), tag)
                case 1 { b := mload(add(M_MEMO(), 32)) }
                default {
                    b := keccak256Of1(a)
                    mstore(M_MEMO(), tag)
                    mstore(add(M_MEMO(), 32), b)
                }
            }
            function aslot(a, f) -> s { s := add(accountBase(a), f) }
            function nonceOf(a) -> v { v := sload(aslot(a, A_NONCE())) }
            function balanceOf(a) -> v { v := sload(aslot(a, A_BALANCE())) }
            function physOf(a) -> v { v := sload(aslot(a, A_CODE())) }
            function existsOf(a) -> v { v := sload(aslot(a, A_EXISTS())) }
            function codeHashOf(a) -> v { v := sload(aslot(a, A_CODE_HASH())) }
            function codeSizeOf(a) -> v { v := sload(aslot(a, A_CODE_SIZE())) }
            function incarnationOf(a) -> v { v := sload(aslot(a, A_INCARNATION())) }
            function isEmpty(a) -> e {
                e := and(iszero(nonceOf(a)), and(iszero(balanceOf(a)), iszero(codeSizeOf(a))))
            }
            function listAt(a, b) {
                let s := add(b, A_LISTED())
                if iszero(sload(s)) {
                    sstore(s, 1)
                    let countSlot := keccak256Of1(TAG_ACCOUNT_COUNT())
                    let n := sload(countSlot)
                    sstore(hash2(TAG_ACCOUNT(), n), a)
                    sstore(countSlot, add(n, 1))
                }
            }
            function setExists(a) { setExistsAt(a, accountBase(a)) }
            function setExistsAt(a, b) { listAt(a, b) sstore(add(b, A_EXISTS()), 1) }
            function setNonce(a, n) { sstore(aslot(a, A_NONCE()), n) setExists(a) }
            function setBalance(a, v) {
                sstore(aslot(a, A_BALANCE()), v)
                if v { setExists(a) }
            }
            function setCode(a, phys) {
                sstore(aslot(a, A_CODE()), phys)
                switch phys
                case 0 {
                    sstore(aslot(a, A_CODE_HASH()), 0)
                    sstore(aslot(a, A_CODE_SIZE()), 0)
                }
                default {
                    let start, len := readHeader(phys)
                    extcodecopy(phys, M_BUF(), start, len)
                    sstore(aslot(a, A_CODE_HASH()), keccak256(M_BUF(), len))
                    sstore(aslot(a, A_CODE_SIZE()), len)
                }
                setExists(a)
            }
            /// Deletes an account (EIP-161 clearing or EIP-6780 destruction): storage goes with a
            /// new incarnation.
            function destroy(a) {
                let b := accountBase(a)
                sstore(add(b, A_NONCE()), 0)
                sstore(add(b, A_BALANCE()), 0)
                sstore(add(b, A_CODE()), 0)
                sstore(add(b, A_EXISTS()), 0)
                sstore(add(b, A_CODE_HASH()), 0)
                sstore(add(b, A_CODE_SIZE()), 0)
                let s := add(b, A_INCARNATION())
                sstore(s, add(sload(s), 1))
            }

            // storage
            /// Account a's storage (this incarnation): key k is at keccak(storageBase(a), k).
            function storageBase(a) -> s { s := storageBaseAt(a, accountBase(a)) }
            /// `storageBase` given a's field base b.
            function storageBaseAt(a, b) -> s { s := hash2(a, sload(add(b, A_INCARNATION()))) }
            /// The storage base of the frame at `cur`'s account, computed once per frame.
            function frameStorageBase(cur) -> s {
                s := tload(add(cur, F_SBASE()))
                if iszero(s) {
                    s := storageBaseAt(self(cur), tload(add(cur, F_ABASE())))
                    tstore(add(cur, F_SBASE()), s)
                }
            }
            /// Where the OVM transient storage key `key` of the frame at `cur`'s account lives.
            function transientSlot(cur, key) -> t { t := hash3(self(cur), TAG_TRANSIENT(), key) }
            /// Stores key `key` of account `a` at its slot `s`; the first store of a key (in this
            /// incarnation) lists it, with the flag at s + 1.
            function storeAt(a, s, key, value) {
                sstore(s, value)
                if iszero(sload(add(s, 1))) {
                    sstore(add(s, 1), 1)
                    let countSlot := aslot(a, A_KEY_COUNT())
                    let n := sload(countSlot)
                    sstore(add(hash2(a, TAG_KEYS()), n), key)
                    sstore(countSlot, add(n, 1))
                }
            }
            function storeSlot(a, key, value) { storeAt(a, hash2(storageBase(a), key), key, value) }

            // EIP-2929 accessed sets and EIP-2200 original values, in transient storage, so that a
            // reverting OVM frame's physical revert forgets what it accessed, as the EVM's journal does.
            /// Adds account a (field base b) to the accessed set; whether it was cold. Precompiles are
            /// always warm.
            function accessAccountAt(a, b) -> cold {
                if isPrecompile(a) { leave }
                let flag := add(b, A_WARM())
                cold := iszero(tload(flag))
                if cold { tstore(flag, 1) }
            }
            /// Adds the storage slot at s to the accessed set; whether it was cold.
            function accessSlot(s) -> cold {
                let w := tload(s)
                cold := iszero(and(w, SLOT_WARM()))
                if cold { tstore(s, or(w, SLOT_WARM())) }
            }
            /// The value the slot at s had when the transaction began, `current` until it is written.
            function originalValue(s, current) -> v {
                let w := tload(s)
                if and(w, SLOT_ORIGINAL_KEPT()) {
                    v := tload(add(s, 1))
                    leave
                }
                v := current
                tstore(add(s, 1), current)
                tstore(s, or(w, SLOT_ORIGINAL_KEPT()))
            }
            /// EIP-2200 with EIP-3529's numbers: what storing `new` over `current` costs beyond the
            /// warm access the meter charged, and what it adds to (or takes from) the refund counter.
            function sstoreGas(original, current, new) -> extra {
                if eq(current, new) { leave }
                if eq(original, current) {
                    switch original
                    case 0 { extra := sub(SSTORE_SET_GAS(), WARM_ACCESS_GAS()) }
                    default { extra := sub(SSTORE_RESET_GAS(), WARM_ACCESS_GAS()) }
                    if iszero(new) { addRefund(SSTORE_CLEARS_REFUND()) }
                    leave
                }
                let r := 0
                if original {
                    if iszero(current) { r := sub(r, SSTORE_CLEARS_REFUND()) }
                    if iszero(new) { r := add(r, SSTORE_CLEARS_REFUND()) }
                }
                if eq(original, new) {
                    switch original
                    case 0 { r := add(r, sub(SSTORE_SET_GAS(), WARM_ACCESS_GAS())) }
                    default { r := add(r, sub(SSTORE_RESET_GAS(), WARM_ACCESS_GAS())) }
                }
                addRefund(r)
            }
            function addRefund(r) { tstore(T_REFUND(), add(tload(T_REFUND()), r)) }

            // EIP-161 touches and EIP-6780 creations, both rolled back with the frame that made them
            function touch(a) { touchAt(a, accountBase(a)) }
            function touchAt(a, b) {
                let flag := add(b, A_TOUCHED())
                if iszero(tload(flag)) {
                    tstore(flag, 1)
                    if eq(a, RIPEMD160()) { touchPhysically(a) }
                    let n := tload(T_TOUCHED_LEN())
                    tstore(add(TOUCHED_LIST(), n), a)
                    tstore(T_TOUCHED_LEN(), add(n, 1))
                }
            }
            /// The EVM keeps a touch of 0x03 even when the frame that made it reverts (the 2016
            /// RIPEMD-160 incident); the layer-2 EVM's journal keeps that rule for physical touches.
            /// The TOUCH built-in touches the physical account (`1 || address`), and says whether it
            /// was touched (`0 || address`) at the end of the transaction.
            function touchPhysically(a) {
                mstore8(M_HASH(), 1)
                mstore(add(M_HASH(), 1), a)
                if iszero(call(gas(), TOUCH(), 0, M_HASH(), 33, 0, 0)) { fail() }
            }
            function touchedPhysically(a) -> t {
                mstore8(M_HASH(), 0)
                mstore(add(M_HASH(), 1), a)
                if iszero(staticcall(gas(), TOUCH(), M_HASH(), 33, M_HASH(), 32)) { fail() }
                t := mload(M_HASH())
            }
            function touchedFlag(a) -> t { t := add(accountBase(a), A_TOUCHED()) }
            function markCreated(a) { tstore(add(accountBase(a), A_CREATED()), 1) }
            function createdInTx(a) -> c { c := tload(add(accountBase(a), A_CREATED())) }
            function scheduleDestruction(a) {
                let flag := add(accountBase(a), A_TO_DESTROY())
                if iszero(tload(flag)) {
                    tstore(flag, 1)
                    let n := tload(T_DESTROY_LEN())
                    tstore(add(DESTROY_LIST(), n), a)
                    tstore(T_DESTROY_LEN(), add(n, 1))
                }
            }
            /// Moves value and touches both sides, as the EVM's transfer does (even for zero). The
            /// payer is always the running frame's account (a caller, creator or self-destructing
            /// contract) or the transaction's sender: touched when its frame began (the sender in
            /// preExecution), and kept touched while the frame runs, since only a frame's own failure
            /// forgets its touches. So only the payee is touched here.
            function transfer(from, to, v) {
                let fb := accountBase(from)
                transferAt(from, fb, to, accountBase(to), v)
            }
            /// `transfer` given both accounts' bases (fb, tb).
            function transferAt(from, fb, to, tb, v) {
                if v {
                    let left := sub(sload(add(fb, A_BALANCE())), v)
                    sstore(add(fb, A_BALANCE()), left)
                    if left { setExistsAt(from, fb) }
                    let got := add(sload(add(tb, A_BALANCE())), v)
                    sstore(add(tb, A_BALANCE()), got)
                    if got { setExistsAt(to, tb) }
                }
                touchAt(to, tb)
            }
            /// Forgets the touches recorded since the touched list had `n` entries.
            function untouchSince(n) {
                let end := tload(T_TOUCHED_LEN())
                for { let i := n } lt(i, end) { i := add(i, 1) } {
                    tstore(touchedFlag(tload(add(TOUCHED_LIST(), i))), 0)
                }
                tstore(T_TOUCHED_LEN(), n)
            }

            // return data, replies and what callees used
            /// Word i of frame f's kept return data is at transient (f + 1) << 64 | i: above every
            /// fixed transient slot, below the keccak-keyed ones in all but a negligible fraction.
            function returnDataBase(f) -> b { b := shl(RETURN_DATA_BITS(), add(f, 1)) }
            /// Copies the first `size` bytes of the return data to M_BUF, where `keepReturnData` and
            /// `replyWithReturnData` take them from.
            function takeReturnData(size) { returndatacopy(M_BUF(), 0, size) }
            /// Keeps the `size` bytes of return data at M_BUF for frame f (at `cur`) if its code asked
            /// (`keep`): its code has a RETURNDATACOPY that may run after another request has
            /// replaced the physical buffer.
            function keepReturnData(cur, f, keep, size) {
                if keep {
                    tstore(add(cur, F_RDSIZE()), size)
                    let base := returnDataBase(f)
                    for { let i := 0 } lt(shl(5, i), size) { i := add(i, 1) } {
                        tstore(add(base, i), mload(add(M_BUF(), shl(5, i))))
                    }
                }
            }
            /// Replies `head || used || the dataLen bytes at M_BUF` to a call or create request: the
            /// caller's meter is charged `used`.
            function replyWithReturnData(head, used, dataLen) {
                mstore(M_REPLY(), head)
                mstore(add(M_REPLY(), 32), used)
                return(M_REPLY(), add(64, dataLen))
            }
            function replyWord(v) { mstore(M_HASH(), v) return(M_HASH(), 32) }
            function replyWords(v, w) {
                mstore(M_HASH(), v)
                mstore(add(M_HASH(), 32), w)
                return(M_HASH(), 64)
            }
            /// Whether the return data ends with a whole word (a trailer), that word, and the length
            /// of what precedes it.
            function returnDataTrailer() -> has, dataLen, last {
                let size := returndatasize()
                has := iszero(lt(size, TRAILER()))
                if has {
                    dataLen := sub(size, TRAILER())
                    returndatacopy(M_HASH(), dataLen, TRAILER())
                    last := mload(M_HASH())
                }
            }
            /// What a transpiled callee given `budget` used: its trailer is its meter; without one
            /// (an exceptional halt) it used everything. Also the length of its own return data.
            function calleeUsed(budget) -> dataLen, used {
                let has, n, left := returnDataTrailer()
                dataLen := n
                used := budget
                if has { used := sub(budget, min(and(left, METER_MASK()), budget)) }
            }
            /// What an inner frame's callee used (the inner frame's trailer); `budget` if the inner
            /// frame itself halted.
            function innerUsed(budget) -> dataLen, used {
                let has, n, last := returnDataTrailer()
                dataLen := n
                used := budget
                if has { used := last }
            }
            /// Returns (ok) or reverts with `the first dataLen bytes of the return data || used`:
            /// an inner frame's reply.
            function endInner(ok, dataLen, used) {
                returndatacopy(M_BUF(), 0, dataLen)
                mstore(add(M_BUF(), dataLen), used)
                if iszero(ok) { revert(M_BUF(), add(dataLen, TRAILER())) }
                return(M_BUF(), add(dataLen, TRAILER()))
            }

            // gas
            function isPrecompile(a) -> p { p := and(gt(a, 0), lt(a, add(LAST_PRECOMPILE(), 1))) }
            /// The native gas a callee asks for: the requested gas, plus the stipend with value.
            function calleeGas(requested, value) -> g {
                g := requested
                if gt(g, MAX_CALL_GAS()) { g := MAX_CALL_GAS() }
                if value { g := add(g, STIPEND()) }
            }
            /// The native gas budget of a callee of the frame at `cur` that asks for `budget`: at
            /// most the caller's own budget (plus the stipend), which the meter needs.
            function calleeBudget(cur, budget) -> b { b := min(budget, add(tload(add(cur, F_BUDGET())), STIPEND())) }
            /// Runs precompile `target` on the arguments at M_BUF with exactly its native gas `g`,
            /// and measures the gas it used (all of `g` if it failed). It is a pure function of its
            /// input, so DELEGATECALL runs it without a touch: a touch of the precompile is the
            /// caller's business (see `touchPhysically`).
            function callPrecompile(g, target, argsLen) -> ok, used {
                let before := gas()
                ok := delegatecall(g, target, M_BUF(), argsLen, 0, 0)
                used := sub(before, gas())
                switch ok
                case 0 { used := g }
                default {
                    switch lt(used, PRECOMPILE_CALL_OVERHEAD())
                    case 1 { used := 0 }
                    default { used := sub(used, PRECOMPILE_CALL_OVERHEAD()) }
                }
            }
            /// A creation from the transaction itself keeps 1/8 for the end-of-transaction sweep (it
            /// may touch many accounts); one from code keeps 1/1024.
            function reserveDivisor() -> d {
                d := KEEP_CREATE()
                if eq(frames(), 1) { d := KEEP_TX() }
            }
            /// Physical gas for a nested frame, keeping 1/64 and a fixed reserve for the work after
            /// it. Physical gas only bounds work (ARCHITECTURE.md, "Physical gas"): native gas is
            /// the meter's, and a halting frame gives its unused physical gas back.
            function forwardGas(reserve) -> g { g := forwardGasKeeping(reserve, KEEP_NATIVE()) }
            /// Gas for a nested frame, keeping 1/`divisor` and a fixed reserve.
            function forwardGasKeeping(reserve, divisor) -> g {
                g := gas()
                g := sub(g, div(g, divisor))
                switch gt(g, reserve)
                case 1 { g := sub(g, reserve) }
                default { g := 0 }
            }

            // ================================================================ OVM calls
            /// OP_CALL..OP_STATICCALL from code: checks that do not enter a frame, then the callee.
            /// Words: gas, target, value, the caller's budget cap (63/64 of its meter); then the
            /// arguments.
            function ovmCall(cur, op, keep) {
                let target := toAddress(word(1))
                let value := 0
                if lt(op, OP_DELEGATECALL()) { value := word(2) }
                if value { if eq(op, OP_CALL()) { if isStatic(cur) { fail() } } }
                // The call's state-dependent cost, charged before the 63/64 rule: a cold target, and
                // value to an empty account. The meter (word 3) must also cover the stipend's share of
                // the value cost, which the transpiled code did not charge: else out of gas (a `used`
                // above the meter).
                let surcharge := accessSurcharge(target)
                if value { if eq(op, OP_CALL()) { if isEmpty(target) { surcharge := add(surcharge, NEW_ACCOUNT_GAS()) } } }
                let need := add(surcharge, mul(iszero(iszero(value)), STIPEND()))
                let meter := word(3)
                if gt(need, meter) { replyWithReturnData(0, need, 0) }
                let f := frames() // the callee's frame; the caller's is f - 1, at `cur`
                // A call that cannot start: too deep, or not enough balance. Return data cleared,
                // the stipend back, only the surcharge used.
                let cannot := gt(f, MAX_DEPTH_INDEX())
                if value { if lt(sload(add(tload(add(cur, F_ABASE())), A_BALANCE())), value) { cannot := 1 } }
                if cannot {
                    tstore(add(cur, F_RDSIZE()), 0)
                    replyWithReturnData(0, surcharge, 0)
                }
                // The callee's native gas is at most its request, and at most what the 63/64 rule
                // leaves of the meter; plus the stipend.
                let left := sub(meter, need)
                let budget := calleeBudget(cur, calleeGas(min(word(0), sub(left, div(left, 64))), value))
                let argsLen := sub(calldatasize(), CALL_HEADER())
                // A precompile is a pure function of its input: call it from here, and move value and
                // touch accounts only if it succeeds, which is all a native frame around it would keep
                // (but a CALL or STATICCALL touches 0x03 for good: touchAt mirrors it first).
                if isPrecompile(target) {
                    if eq(target, RIPEMD160()) {
                        if or(eq(op, OP_CALL()), eq(op, OP_STATICCALL())) { touchPhysically(target) }
                    }
                    calldatacopy(M_BUF(), CALL_HEADER(), argsLen)
                    let okp, usedp := callPrecompile(min(budget, forwardGas(RESERVE_PRECOMPILE())), target, argsLen)
                    let outLen := returndatasize()
                    takeReturnData(outLen)
                    if okp { callTransfer(cur, op, target, value) }
                    keepReturnData(cur, sub(f, 1), keep, outLen)
                    replyWithReturnData(okp, add(usedp, surcharge), outLen)
                }
                // Without value a call's only effects of its own are touches: run the callee from here
                // and forget them if it fails, instead of nesting it in an inner frame.
                if iszero(value) {
                    let b := openCallFrame(cur, f, op, target, 0, budget)
                    let touched := tload(T_TOUCHED_LEN())
                    callTransfer(cur, op, target, 0)
                    let ok := 1
                    let used := 0
                    let dataLen := 0
                    let phys := physOf(target)
                    if phys {
                        calldatacopy(M_BUF(), CALL_HEADER(), argsLen)
                        ok := runCallee(f, b, phys, argsLen, RESERVE_REQUEST_CALLEE())
                        dataLen, used := calleeUsed(budget)
                        takeReturnData(dataLen)
                    }
                    if iszero(ok) { untouchSince(touched) }
                    keepReturnData(cur, sub(f, 1), keep, dataLen)
                    replyWithReturnData(ok, add(used, surcharge), dataLen)
                }
                // inner request: OP_INNER_CALL || op || target || value || budget || args
                mstore8(M_BUF(), OP_INNER_CALL())
                mstore(add(M_BUF(), 1), op)
                mstore(add(M_BUF(), 33), target)
                mstore(add(M_BUF(), 65), value)
                mstore(add(M_BUF(), 97), budget)
                calldatacopy(add(M_BUF(), INNER_CALL_HEADER()), CALL_HEADER(), argsLen)
                let gasLeft := forwardGasKeeping(RESERVE_INNER_CALL(), KEEP_INNER_CALL())
                let ok := call(gasLeft, address(), 0, M_BUF(), add(INNER_CALL_HEADER(), argsLen), 0, 0)
                let dataLen, used := innerUsed(budget)
                takeReturnData(dataLen)
                keepReturnData(cur, sub(f, 1), keep, dataLen)
                replyWithReturnData(ok, add(used, surcharge), dataLen)
            }

            /// OP_INNER_CALL (from the EM itself): one OVM frame, all of whose effects roll back
            /// together. Returns or reverts with the callee's return data and the gas it used
            /// (`endInner`).
            function innerCall() {
                let op := word(0)
                let target := word(1)
                let value := word(2)
                let budget := word(3)
                let f := frames()
                let cur := frame(sub(f, 1))
                let b := openCallFrame(cur, f, op, target, value, budget)
                callTransfer(cur, op, target, value)
                let argsLen := sub(calldatasize(), INNER_CALL_HEADER())
                calldatacopy(M_BUF(), INNER_CALL_HEADER(), argsLen)
                if isPrecompile(target) {
                    let okp, usedp := callPrecompile(min(budget, forwardGas(RESERVE_PRECOMPILE())), target, argsLen)
                    endInner(okp, returndatasize(), usedp)
                }
                let phys := physOf(target)
                if iszero(phys) { endInner(1, 0, 0) }
                let ok := runCallee(f, b, phys, argsLen, RESERVE_INNER_CALLEE())
                let dataLen, used := calleeUsed(budget)
                endInner(ok, dataLen, used)
            }

            /// Writes OVM frame f (at b, returned) for call `op` from the frame at `cur` to `target`:
            /// its context and budget.
            function openCallFrame(cur, f, op, target, value, budget) -> b {
                let me := self(cur)
                b := frame(f)
                switch op
                case 0x20 { // OP_CALL
                    writeFrame(b, target, accountBase(target), 0, me, value, isStatic(cur), budget)
                }
                case 0x21 { // OP_CALLCODE: the caller's storage, value sent to itself
                    let abase := tload(add(cur, F_ABASE()))
                    writeFrame(b, me, abase, tload(add(cur, F_SBASE())), me, value, isStatic(cur), budget)
                }
                case 0x22 { // OP_DELEGATECALL: the caller's whole context
                    let abase := tload(add(cur, F_ABASE()))
                    let sbase := tload(add(cur, F_SBASE()))
                    let delegated := tload(add(cur, F_VALUE()))
                    writeFrame(b, me, abase, sbase, tload(add(cur, F_CALLER())), delegated, isStatic(cur), budget)
                }
                default { // OP_STATICCALL
                    writeFrame(b, target, accountBase(target), 0, me, 0, 1, budget)
                }
            }

            /// The value a call from the frame at `cur` moves, and the accounts it touches, natively
            /// (DELEGATECALL: none).
            function callTransfer(cur, op, target, value) {
                let me := self(cur)
                let mb := tload(add(cur, F_ABASE()))
                switch op
                case 0x20 { transferAt(me, mb, target, accountBase(target), value) } // OP_CALL
                case 0x21 { transferAt(me, mb, me, mb, value) } // OP_CALLCODE
                case 0x23 { transferAt(me, mb, target, accountBase(target), 0) } // OP_STATICCALL
            }

            /// Runs code contract `phys` as the open frame f (at b), on the arguments at M_BUF,
            /// keeping 1/128 of this frame's physical gas and `reserve` for the work after it.
            function runCallee(f, b, phys, argsLen, reserve) -> ok {
                tstore(add(b, F_PHYS()), phys)
                tstore(add(b, F_RDSIZE()), 0)
                tstore(T_FRAMES(), add(f, 1))
                ok := call(forwardGasKeeping(reserve, KEEP_CALLEE()), phys, 0, M_BUF(), argsLen, 0, 0)
                tstore(T_FRAMES(), f)
            }

            // ================================================================ OVM creates
            /// keccak(RLP([creator, nonce]))[12:], for nonce < 2^64 (built at M_HASH).
            function createAddress(creator, nonce) -> a {
                let p := M_HASH()
                mstore8(add(p, 1), 0x94) // RLP: a 20-byte string
                mstore(add(p, 2), shl(96, creator))
                let len := 23
                switch lt(nonce, 0x80) // RLP: a single byte below 0x80 is itself
                case 1 {
                    switch nonce
                    case 0 { mstore8(add(p, 22), 0x80) } // RLP: the empty string
                    default { mstore8(add(p, 22), nonce) }
                }
                default {
                    let n := 0
                    for { let x := nonce } x { x := shr(8, x) } { n := add(n, 1) }
                    mstore8(add(p, 22), add(0x80, n)) // RLP: an n-byte string
                    for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                        mstore8(add(add(p, 23), i), byte(add(sub(32, n), i), nonce))
                    }
                    len := add(23, n)
                }
                mstore8(p, add(0xc0, sub(len, 1))) // RLP: a short list
                a := toAddress(keccak256(p, len))
            }

            /// keccak(0xff || deployer || salt || codeHash)[12:] (EIP-1014, built at M_HASH).
            function create2Address(deployer, salt, codeHash) -> a {
                let p := M_HASH()
                mstore(p, 0)
                mstore8(add(p, 11), 0xff) // EIP-1014's prefix byte
                mstore(add(p, 12), shl(96, deployer))
                mstore(add(p, 32), salt)
                mstore(add(p, 64), codeHash)
                a := toAddress(keccak256(add(p, 11), 85))
            }

            /// OP_CREATE / OP_CREATE2 from the frame at `cur`. Words: value, salt, the creator's
            /// budget cap (63/64 of its meter); then the initcode.
            function ovmCreate(cur, op, keep) {
                if isStatic(cur) { fail() }
                let value := word(0)
                let salt := word(1)
                let codeLen := sub(calldatasize(), CREATE_HEADER())
                if gt(codeLen, MAX_INITCODE()) { fail() } // EIP-3860: an exceptional halt of the creator
                let callerFrame := sub(frames(), 1)
                let me := self(cur)
                let nonce := nonceOf(me)
                let cannot := lt(balanceOf(me), value)
                if eq(nonce, MAX_NONCE()) { cannot := 1 }
                if gt(frames(), MAX_DEPTH_INDEX()) { cannot := 1 }
                if cannot {
                    tstore(add(cur, F_RDSIZE()), 0)
                    replyWithReturnData(0, 0, 0)
                }
                setNonce(me, add(nonce, 1)) // EIP-161: bumped whether or not the create succeeds
                let target := 0
                switch eq(op, OP_CREATE())
                case 1 { target := createAddress(me, nonce) }
                default {
                    calldatacopy(M_BUF(), CREATE_HEADER(), codeLen)
                    let codeHash := keccak256(M_BUF(), codeLen)
                    target := create2Address(me, salt, codeHash)
                }
                pop(accessAccountAt(target, accountBase(target))) // warm whether or not it is created
                let budget := min(word(2), tload(add(cur, F_BUDGET())))
                let ok := innerCreateCall(me, target, value, budget, CREATE_HEADER(), codeLen)
                let dataLen, used := innerUsed(budget)
                takeReturnData(dataLen)
                if ok {
                    // A successful create leaves no return data.
                    tstore(add(cur, F_RDSIZE()), 0)
                    replyWithReturnData(target, used, 0)
                }
                keepReturnData(cur, callerFrame, keep, dataLen)
                replyWithReturnData(0, used, dataLen)
            }

            /// Calls the inner create frame: OP_INNER_CREATE || creator || target || value || budget
            /// || initcode.
            function innerCreateCall(creator, target, value, budget, codeOffset, codeLen) -> ok {
                mstore8(M_BUF(), OP_INNER_CREATE())
                mstore(add(M_BUF(), 1), creator)
                mstore(add(M_BUF(), 33), target)
                mstore(add(M_BUF(), 65), value)
                mstore(add(M_BUF(), 97), budget)
                calldatacopy(add(M_BUF(), INNER_CREATE_HEADER()), codeOffset, codeLen)
                let gasLeft := forwardGasKeeping(RESERVE_INNER_CREATE(), reserveDivisor())
                ok := call(gasLeft, address(), 0, M_BUF(), add(INNER_CREATE_HEADER(), codeLen), 0, 0)
            }

            /// OP_INNER_CREATE (from the EM itself): a creation, all of whose effects roll back
            /// together. Returns the original runtime code, or reverts with the constructor's revert
            /// data, and either way the native gas the constructor used (`endInner`).
            function innerCreate() {
                let creator := word(0)
                let target := word(1)
                let value := word(2)
                let budget := word(3)
                let codeLen := sub(calldatasize(), INNER_CREATE_HEADER())
                // Collision: the address has a nonce or code (a halt: the whole budget is used).
                if or(gt(nonceOf(target), 0), gt(codeSizeOf(target), 0)) { fail() }
                transfer(creator, target, value)
                setNonce(target, 1)
                markCreated(target)
                // Transpile the initcode (init mode) with the built-in.
                calldatacopy(M_BUF(), INNER_CREATE_HEADER(), codeLen)
                if iszero(staticcall(gas(), TRANSPILE_INIT(), M_BUF(), codeLen, 0, 0)) { fail() }
                let initLen := returndatasize()
                returndatacopy(M_BUF(), 0, initLen)
                let physSalt := hash2(target, incarnationOf(target))
                // The physical address of the constructor, which will make requests as this frame.
                let initHash := keccak256(M_BUF(), initLen)
                let phys := create2Address(address(), physSalt, initHash)
                let f := frames()
                let b := frame(f)
                writeFrame(b, target, accountBase(target), 0, creator, value, 0, budget)
                tstore(add(b, F_PHYS()), phys)
                tstore(add(b, F_RDSIZE()), 0)
                tstore(add(b, F_METER_LEFT()), 0)
                tstore(T_FRAMES(), add(f, 1))
                // The deploy frame spends whatever it is given on CREATE2; this frame keeps a reserve.
                // Its request, OP_INNER_DEPLOY || physSalt || initcode, goes right in front of M_BUF;
                // the initcode comes again from the return buffer, which still holds it.
                let request := sub(M_BUF(), INNER_DEPLOY_HEADER())
                mstore8(request, OP_INNER_DEPLOY())
                mstore(add(request, 1), physSalt)
                returndatacopy(M_BUF(), 0, initLen)
                let ok := call(forwardGasKeeping(RESERVE_DEPLOY(), KEEP_CREATE()), address(), 0, request, add(INNER_DEPLOY_HEADER(), initLen), 0, 0)
                tstore(T_FRAMES(), f)
                if iszero(ok) {
                    // The constructor's revert data and meter, or nothing (it halted).
                    let dataLen, used := calleeUsed(budget)
                    endInner(0, dataLen, used)
                }
                returndatacopy(M_HASH(), 0, 32)
                if iszero(eq(mload(M_HASH()), phys)) { fail() }
                switch extcodesize(phys)
                case 0 { setCode(target, 0) }
                default { setCode(target, phys) }
                // Reply the original runtime code, and what the constructor used (it reported its
                // meter before it returned).
                let len := codeSizeOf(target)
                if len {
                    let start, ignored := readHeader(phys)
                    extcodecopy(phys, M_BUF(), start, len)
                }
                mstore(add(M_BUF(), len), sub(budget, min(tload(add(b, F_METER_LEFT())), budget)))
                return(M_BUF(), add(len, TRAILER()))
            }

            /// OP_INNER_DEPLOY (from the EM itself): CREATE2 of the transpiled initcode with all its
            /// gas.
            function innerDeploy() {
                let physSalt := word(0)
                let len := sub(calldatasize(), INNER_DEPLOY_HEADER())
                calldatacopy(M_BUF(), INNER_DEPLOY_HEADER(), len)
                let phys := create2(0, M_BUF(), len, physSalt)
                if iszero(phys) {
                    returndatacopy(M_BUF(), 0, returndatasize())
                    revert(M_BUF(), returndatasize())
                }
                replyWord(phys)
            }

            // ================================================================ other requests
            // One function per request kind, each answering the frame at `cur`.
            // A request whose cost depends on state replies with the gas the meter has yet to charge
            // (its surcharge) after the value, if any.
            function opSload(cur) {
                let s := hash2(frameStorageBase(cur), word(0))
                let cold := accessSlot(s)
                replyWords(sload(s), mul(cold, sub(COLD_SLOAD_GAS(), WARM_ACCESS_GAS())))
            }
            /// The 2300 sentry is the transpiled code's: it knows its meter.
            function opSstore(cur) {
                if isStatic(cur) { fail() }
                let key := word(0)
                let new := word(1)
                let s := hash2(frameStorageBase(cur), key)
                let cold := accessSlot(s)
                let current := sload(s)
                let extra := sstoreGas(originalValue(s, current), current, new)
                storeAt(self(cur), s, key, new)
                replyWord(add(extra, mul(cold, COLD_SLOAD_GAS())))
            }
            function opTload(cur) { replyWord(tload(transientSlot(cur, word(0)))) }
            function opTstore(cur) {
                if isStatic(cur) { fail() }
                tstore(transientSlot(cur, word(0)), word(1))
                return(0, 0)
            }
            /// The surcharge of an access to account a: the cold access's cost beyond the warm one.
            function accessSurcharge(a) -> g {
                g := mul(accessAccountAt(a, accountBase(a)), sub(COLD_ACCOUNT_ACCESS_GAS(), WARM_ACCESS_GAS()))
            }
            function opBalance() {
                let a := toAddress(word(0))
                let g := accessSurcharge(a)
                replyWords(balanceOf(a), g)
            }
            function opSelfBalance(cur) { replyWord(sload(add(tload(add(cur, F_ABASE())), A_BALANCE()))) }
            function opExtCodeSize() {
                let a := toAddress(word(0))
                let g := accessSurcharge(a)
                replyWords(codeSizeOf(a), g)
            }
            function opExtCodeHash() {
                let a := toAddress(word(0))
                let g := accessSurcharge(a)
                let h := 0
                if and(existsOf(a), iszero(isEmpty(a))) {
                    h := codeHashOf(a)
                    if iszero(h) { h := EMPTY_CODE_HASH() }
                }
                replyWords(h, g)
            }
            /// Replies the surcharge, then the code window.
            function opExtCodeCopy() {
                let a := toAddress(word(0))
                let offset := word(1)
                let len := word(2)
                mstore(sub(M_BUF(), 32), accessSurcharge(a))
                calldatacopy(M_BUF(), calldatasize(), len) // zeros (and the memory it costs)
                let phys := physOf(a)
                let size := codeSizeOf(a)
                if and(gt(phys, 0), lt(offset, size)) {
                    let start, ignored := readHeader(phys)
                    let n := sub(size, offset)
                    if gt(n, len) { n := len }
                    extcodecopy(phys, M_BUF(), add(start, offset), n)
                }
                return(sub(M_BUF(), 32), add(32, len))
            }
            /// The layer-2 chain's own block hashes, as the sequencer recorded them (OP_BLOCK_HASHES):
            /// those of the BLOCKHASH_WINDOW blocks before the current one, 0 for any other number.
            function opBlockHash() {
                let n := word(0)
                let current := tload(T_NUMBER())
                let h := 0
                if and(lt(n, current), iszero(gt(sub(current, n), BLOCKHASH_WINDOW()))) {
                    h := sload(hash2(TAG_BLOCK_HASH(), n))
                }
                replyWord(h)
            }
            function opBlobHash() {
                let i := word(0)
                let h := 0
                if lt(i, tload(T_NBLOBS())) { h := tload(add(T_BLOB_HASHES(), i)) }
                replyWord(h)
            }
            /// LOGn (n topics, then the data); the log is the EM's, its first data word the account.
            function opLog(cur, n) {
                if isStatic(cur) { fail() }
                let dataStart := add(1, mul(n, 32))
                let dataLen := sub(calldatasize(), dataStart)
                mstore(M_BUF(), self(cur))
                calldatacopy(add(M_BUF(), 32), dataStart, dataLen)
                let size := add(32, dataLen)
                switch n
                case 0 { log0(M_BUF(), size) }
                case 1 { log1(M_BUF(), size, word(0)) }
                case 2 { log2(M_BUF(), size, word(0), word(1)) }
                case 3 { log3(M_BUF(), size, word(0), word(1), word(2)) }
                default { log4(M_BUF(), size, word(0), word(1), word(2), word(3)) }
                return(0, 0)
            }
            function opSelfDestruct(cur) {
                if isStatic(cur) { fail() }
                let me := self(cur)
                let heir := toAddress(word(0))
                let bal := balanceOf(me)
                // A cold beneficiary costs the whole cold access (no warm access is charged), and value
                // to an empty one the new account: both before the transfer makes it non-empty.
                let g := mul(accessAccountAt(heir, accountBase(heir)), COLD_ACCOUNT_ACCESS_GAS())
                if bal { if isEmpty(heir) { g := add(g, NEW_ACCOUNT_GAS()) } }
                switch eq(heir, me)
                case 0 { transfer(me, heir, bal) }
                default {
                    touch(me)
                    // EIP-6780: a contract created in this transaction burns its balance.
                    if createdInTx(me) { setBalance(me, 0) }
                }
                if createdInTx(me) { scheduleDestruction(me) }
                if eq(frames(), 2) { tstore(T_TOP_SELFDESTRUCTED(), 1) }
                replyWord(g)
            }
            function opReturnDataCopy(cur) {
                let offset := word(0)
                let len := word(1)
                let size := tload(add(cur, F_RDSIZE()))
                if gt(add(offset, len), size) { fail() }
                if lt(add(offset, len), offset) { fail() }
                // Only the words the window reaches: the work follows the copy's size, which the
                // caller's meter charged, not the size of what was kept.
                let base := returnDataBase(sub(frames(), 1))
                let first := shr(5, offset)
                let end := shr(5, add(add(offset, len), 31))
                for { let i := first } lt(i, end) { i := add(i, 1) } {
                    mstore(add(M_BUF(), shl(5, sub(i, first))), tload(add(base, i)))
                }
                return(add(M_BUF(), and(offset, 31)), len)
            }
            /// A constructor reports its meter as it returns successfully.
            function opReportMeter(cur) {
                tstore(add(cur, F_METER_LEFT()), word(0))
                return(0, 0)
            }

            // ================================================================ sequencer
            /// OP_GENESIS: count || (address, balance, nonce, code contract, slots, (key, value)*)*
            function genesis() {
                let count := word(0)
                let p := 1
                for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                    let a := word(p)
                    setExists(a)
                    sstore(aslot(a, A_BALANCE()), word(add(p, 1)))
                    sstore(aslot(a, A_NONCE()), word(add(p, 2)))
                    let phys := word(add(p, 3))
                    if phys { setCode(a, phys) }
                    let slots := word(add(p, 4))
                    p := add(p, 5)
                    for { let j := 0 } lt(j, slots) { j := add(j, 1) } {
                        storeSlot(a, word(p), word(add(p, 1)))
                        p := add(p, 2)
                    }
                }
                return(0, 0)
            }

            function intrinsicGas(isCreate, dataStart, dataLen, accessAddresses, accessKeys) -> g {
                // TX_DATA_NONZERO_GAS per non-zero byte, TX_DATA_ZERO_GAS per zero byte. The data ends
                // the calldata, so the last word is padded with zeros, which count as no non-zero bytes.
                let ones := 0x0101010101010101010101010101010101010101010101010101010101010101 // 1 per byte
                let nonZero := 0
                for { let i := 0 } lt(i, dataLen) { i := add(i, 32) } {
                    let w := calldataload(add(dataStart, i))
                    // fold each byte's bits into its lowest bit, then add up the 32 lowest bits
                    w := or(w, shr(4, w))
                    w := or(w, shr(2, w))
                    w := or(w, shr(1, w))
                    nonZero := add(nonZero, shr(248, mul(and(w, ones), ones)))
                }
                g := add(TX_GAS(), add(mul(TX_DATA_NONZERO_GAS(), nonZero), mul(TX_DATA_ZERO_GAS(), sub(dataLen, nonZero))))
                if isCreate {
                    g := add(g, add(TX_CREATE_GAS(), mul(INITCODE_WORD_GAS(), div(add(dataLen, 31), 32))))
                }
                g := add(g, add(mul(ACCESS_ADDRESS_GAS(), accessAddresses), mul(ACCESS_KEY_GAS(), accessKeys)))
            }

            /// OP_TRANSACTION: a transaction the sequencer admitted (it checked everything that
            /// needs no state, in the EVM's order: chain id, fees, blobs, gas against the block,
            /// initcode size, the transaction's nonce). Words TX_*, then the blob hashes, then the
            /// data. Reply: status (TX_REJECTED, TX_SUCCEEDED, TX_FAILED), the rejection code or the
            /// created address, whether the top frame self-destructed, the native gas used (intrinsic
            /// gas plus what the top frame's meter used), then the output. The stages
            /// are revm's handler's: validate, pre-execution, execution, post-execution.
            function runTx() {
                let nblobs := word(TX_BLOB_COUNT())
                let listStart := add(TX_WORDS(), nblobs) // the access list's words
                let listWords := add(word(TX_ACCESS_ADDRESSES()), mul(2, word(TX_ACCESS_KEYS())))
                let dataStart := add(1, mul(add(listStart, listWords), 32))
                let dataLen := sub(calldatasize(), dataStart)
                let intrinsic := validateTx(dataStart, dataLen)
                let budget := sub(word(TX_GAS_LIMIT()), intrinsic)
                let nonce := nonceOf(word(TX_SENDER()))
                preExecution(nblobs, nonce, budget, listStart)
                let ok, created, outLen, used := executeTx(nonce, budget, dataStart, dataLen)
                let gasUsed := gasUsedAfterRefund(add(intrinsic, used))
                postExecution(gasUsed)
                replyTx(ok, created, outLen, gasUsed)
            }
            /// OP_SYSTEM_CALL: a call the layer-2 chain makes as itself at a block's start (EIP-4788's
            /// beacon-roots update), as revm's system call: the transaction request's words from the
            /// sender (the system address) to the recipient with TX_GAS_LIMIT for the top frame, and no
            /// validation, intrinsic gas, fees, nonce or warm accounts. Reply: as OP_TRANSACTION's.
            function runSystemCall() {
                let nblobs := word(TX_BLOB_COUNT())
                let listWords := add(word(TX_ACCESS_ADDRESSES()), mul(2, word(TX_ACCESS_KEYS())))
                let dataStart := add(1, mul(add(add(TX_WORDS(), nblobs), listWords), 32))
                let dataLen := sub(calldatasize(), dataStart)
                if word(TX_IS_CREATE()) { fail() }
                let budget := word(TX_GAS_LIMIT())
                openContext(nblobs, budget)
                let ok, created, outLen, used := executeTx(0, budget, dataStart, dataLen)
                sweep()
                replyTx(ok, created, outLen, used)
            }
            /// The reply to OP_TRANSACTION and OP_SYSTEM_CALL; the context stack is closed.
            function replyTx(ok, created, outLen, gasUsed) {
                let top := tload(T_TOP_SELFDESTRUCTED())
                tstore(T_FRAMES(), 0)
                let r := M_TX_REPLY()
                mstore(r, sub(TX_FAILED(), ok))
                mstore(add(r, 32), created)
                mstore(add(r, 64), top)
                mstore(add(r, 96), gasUsed)
                mcopy(add(r, TX_REPLY_HEADER()), M_TX_OUT(), outLen)
                return(r, add(TX_REPLY_HEADER(), outLen))
            }
            /// EIP-3529: the refund counter, at most a fifth of the gas used, comes off it. A failed top
            /// frame's counter is 0: its inner frame's revert undid every change to it.
            function gasUsedAfterRefund(spent) -> g {
                let refund := tload(T_REFUND())
                if slt(refund, 0) { refund := 0 }
                g := sub(spent, min(refund, div(spent, MAX_REFUND_QUOTIENT())))
            }
            /// Validation of what needs state, in the EVM's order; the intrinsic gas.
            function validateTx(dataStart, dataLen) -> intrinsic {
                let sender := word(TX_SENDER())
                intrinsic := intrinsicGas(word(TX_IS_CREATE()), dataStart, dataLen, word(TX_ACCESS_ADDRESSES()), word(TX_ACCESS_KEYS()))
                if gt(intrinsic, word(TX_GAS_LIMIT())) { rejectTx(REJECT_INTRINSIC_GAS()) }
                if codeSizeOf(sender) { rejectTx(REJECT_SENDER_CODE()) }
                let nonce := nonceOf(sender)
                if gt(word(TX_NONCE()), nonce) { rejectTx(REJECT_NONCE_HIGH()) }
                if lt(word(TX_NONCE()), nonce) { rejectTx(REJECT_NONCE_LOW()) }
                if word(TX_BALANCE_OVERFLOWS()) { rejectTx(REJECT_BALANCE_OVERFLOW()) }
                if lt(balanceOf(sender), word(TX_REQUIRED_BALANCE())) { rejectTx(REJECT_FUNDS()) }
            }
            function rejectTx(code) {
                let r := M_TX_REPLY()
                mstore(r, TX_REJECTED())
                mstore(add(r, 32), code)
                mstore(add(r, 64), 0)
                mstore(add(r, 96), 0)
                return(r, TX_REPLY_HEADER())
            }
            /// The transaction context, frame 0 (the sender), the upfront charge and the nonce.
            function preExecution(nblobs, nonce, budget, listStart) {
                let sender := word(TX_SENDER())
                openContext(nblobs, budget)
                setBalance(sender, sub(balanceOf(sender), word(TX_UPFRONT_CHARGE())))
                setNonce(sender, add(nonce, 1))
                touch(sender)
                // EIP-2929, EIP-2930, EIP-3651: the sender, the recipient, the coinbase and the access
                // list start warm (a created address is warmed as it is created, precompiles always are).
                pop(accessAccountAt(sender, accountBase(sender)))
                if iszero(word(TX_IS_CREATE())) { pop(accessAccountAt(word(TX_TO()), accountBase(word(TX_TO())))) }
                pop(accessAccountAt(word(TX_COINBASE()), accountBase(word(TX_COINBASE()))))
                let naddr := word(TX_ACCESS_ADDRESSES())
                for { let i := 0 } lt(i, naddr) { i := add(i, 1) } {
                    let a := word(add(listStart, i))
                    pop(accessAccountAt(a, accountBase(a)))
                }
                let pairs := add(listStart, naddr)
                for { let i := 0 } lt(i, word(TX_ACCESS_KEYS())) { i := add(i, 1) } {
                    let a := word(add(pairs, mul(2, i)))
                    pop(accessSlot(hash2(storageBase(a), word(add(pairs, add(mul(2, i), 1))))))
                }
            }
            /// The transaction and block context, and frame 0: the sender, with the top frame's budget.
            function openContext(nblobs, budget) {
                let sender := word(TX_SENDER())
                tstore(T_ORIGIN(), sender)
                tstore(T_GASPRICE(), word(TX_GAS_PRICE()))
                tstore(T_COINBASE(), word(TX_COINBASE()))
                tstore(T_TIMESTAMP(), word(TX_TIMESTAMP()))
                tstore(T_NUMBER(), word(TX_NUMBER()))
                tstore(T_PREVRANDAO(), word(TX_PREVRANDAO()))
                tstore(T_GASLIMIT(), word(TX_BLOCK_GAS_LIMIT()))
                tstore(T_CHAINID(), word(TX_CHAIN_ID()))
                tstore(T_BASEFEE(), word(TX_BASE_FEE()))
                tstore(T_BLOBBASEFEE(), word(TX_BLOB_BASE_FEE()))
                tstore(T_NBLOBS(), nblobs)
                for { let i := 0 } lt(i, nblobs) { i := add(i, 1) } {
                    tstore(add(T_BLOB_HASHES(), i), word(add(TX_WORDS(), i)))
                }
                writeFrame(frame(0), sender, accountBase(sender), 0, 0, 0, 0, budget)
                tstore(add(frame(0), F_PHYS()), 0)
                tstore(T_FRAMES(), 1)
            }
            /// The top frame: a call through an inner frame, or a creation. Its output lands at
            /// M_TX_OUT.
            function executeTx(nonce, budget, dataStart, dataLen) -> ok, created, outLen, used {
                switch word(TX_IS_CREATE())
                case 0 {
                    mstore8(M_BUF(), OP_INNER_CALL())
                    mstore(add(M_BUF(), 1), OP_CALL())
                    mstore(add(M_BUF(), 33), word(TX_TO()))
                    mstore(add(M_BUF(), 65), word(TX_VALUE()))
                    mstore(add(M_BUF(), 97), budget)
                    calldatacopy(add(M_BUF(), INNER_CALL_HEADER()), dataStart, dataLen)
                    let gasLeft := forwardGasKeeping(RESERVE_TX(), KEEP_TX())
                    ok := call(gasLeft, address(), 0, M_BUF(), add(INNER_CALL_HEADER(), dataLen), 0, 0)
                }
                default {
                    let sender := word(TX_SENDER())
                    created := createAddress(sender, nonce)
                    pop(accessAccountAt(created, accountBase(created)))
                    ok := innerCreateCall(sender, created, word(TX_VALUE()), budget, dataStart, dataLen)
                    if iszero(ok) { created := 0 }
                }
                outLen, used := innerUsed(budget)
                returndatacopy(M_TX_OUT(), 0, outLen)
            }
            /// As revm's post-execution: the sender gets back what it paid up front for the gas it did
            /// not use (the blob fee is spent), the coinbase earns the tip on the gas used and is
            /// touched even for a zero tip. Then the sweep.
            function postExecution(gasUsed) {
                let sender := word(TX_SENDER())
                let price := word(TX_GAS_PRICE())
                setBalance(sender, add(balanceOf(sender), mul(sub(word(TX_GAS_LIMIT()), gasUsed), price)))
                let beneficiary := word(TX_COINBASE())
                let tip := mul(gasUsed, sub(price, word(TX_BASE_FEE())))
                if tip { setBalance(beneficiary, add(balanceOf(beneficiary), tip)) }
                touch(beneficiary)
                sweep()
            }
            /// The end of every transaction: EIP-6780 destructions, then EIP-161 clearing of touched
            /// empties, 0x03 included when a reverted frame touched it.
            function sweep() {
                let n := tload(T_DESTROY_LEN())
                for { let i := 0 } lt(i, n) { i := add(i, 1) } { destroy(tload(add(DESTROY_LIST(), i))) }
                n := tload(T_TOUCHED_LEN())
                for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                    let a := tload(add(TOUCHED_LIST(), i))
                    if and(existsOf(a), isEmpty(a)) { destroy(a) }
                }
                if touchedPhysically(RIPEMD160()) {
                    if and(existsOf(RIPEMD160()), isEmpty(RIPEMD160())) { destroy(RIPEMD160()) }
                }
            }

            /// OP_BLOCK_HASHES: count || (number, hash)*: the layer-2 chain's block hashes, which
            /// BLOCKHASH answers from.
            function recordBlockHashes() {
                let count := word(0)
                for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                    let p := add(1, mul(2, i))
                    sstore(hash2(TAG_BLOCK_HASH(), word(p)), word(add(p, 1)))
                }
                return(0, 0)
            }
            /// OP_CREDIT: count || (address, amount)*: EIP-4895 withdrawals, credited to the ledger at
            /// a block's end. Each credit touches its account: one left empty is cleared (EIP-161), so a
            /// credit of 0 creates nothing.
            function credit() {
                let count := word(0)
                for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                    let a := toAddress(word(add(1, mul(2, i))))
                    setBalance(a, add(balanceOf(a), word(add(2, mul(2, i)))))
                    if and(existsOf(a), isEmpty(a)) { destroy(a) }
                }
                return(0, 0)
            }

            /// OP_DUMP: every account the EM has listed:
            /// count || (address, exists, balance, nonce, code contract, keys, (key, value)*)*
            function dump() {
                let count := sload(keccak256Of1(TAG_ACCOUNT_COUNT()))
                let out := M_BUF()
                let p := 32
                for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                    let a := sload(hash2(TAG_ACCOUNT(), i))
                    let keys := sload(aslot(a, A_KEY_COUNT()))
                    let storage := storageBase(a)
                    mstore(add(out, p), a)
                    mstore(add(out, add(p, 32)), existsOf(a))
                    mstore(add(out, add(p, 64)), balanceOf(a))
                    mstore(add(out, add(p, 96)), nonceOf(a))
                    mstore(add(out, add(p, 128)), physOf(a))
                    mstore(add(out, add(p, 160)), keys)
                    p := add(p, 192)
                    let keyList := hash2(a, TAG_KEYS())
                    for { let j := 0 } lt(j, keys) { j := add(j, 1) } {
                        let key := sload(add(keyList, j))
                        let value := sload(hash2(storage, key))
                        mstore(add(out, p), key)
                        mstore(add(out, add(p, 32)), value)
                        p := add(p, 64)
                    }
                }
                mstore(out, count)
                return(out, p)
            }

            // ================================================================ dispatch
            /// A request from the code contract of the frame at `cur`, the most frequent first.
            function codeRequest(cur, op) {
                if eq(op, OP_SSTORE()) { opSstore(cur) }
                if eq(op, OP_TSTORE()) { opTstore(cur) }
                // CALL, CALLCODE, DELEGATECALL, STATICCALL, with or without OP_KEEP
                let callOp := and(op, not(OP_KEEP()))
                if lt(sub(callOp, OP_CALL()), 4) { ovmCall(cur, callOp, and(op, OP_KEEP())) }
                if eq(op, OP_SLOAD()) { opSload(cur) }
                if eq(op, OP_TLOAD()) { opTload(cur) }
                if eq(op, OP_BALANCE()) { opBalance() }
                if eq(op, OP_SELFBALANCE()) { opSelfBalance(cur) }
                if eq(op, OP_EXTCODESIZE()) { opExtCodeSize() }
                if eq(op, OP_EXTCODEHASH()) { opExtCodeHash() }
                if eq(op, OP_EXTCODECOPY()) { opExtCodeCopy() }
                if eq(op, OP_BLOCKHASH()) { opBlockHash() }
                if eq(op, OP_BLOBHASH()) { opBlobHash() }
                if lt(sub(op, OP_LOG0()), 5) { opLog(cur, sub(op, OP_LOG0())) }
                if lt(sub(callOp, OP_CREATE()), 2) { ovmCreate(cur, callOp, and(op, OP_KEEP())) }
                if eq(op, OP_SELFDESTRUCT()) { opSelfDestruct(cur) }
                if eq(op, OP_RETURNDATACOPY()) { opReturnDataCopy(cur) }
                if eq(op, OP_REPORT_METER()) { opReportMeter(cur) }
                fail()
            }

            let op := byte(0, calldataload(0))
            if lt(op, OP_INNER_CALL()) {
                // From transpiled code: only the active frame's code contract may ask, as itself.
                let n := frames()
                if iszero(n) { fail() }
                let cur := frame(sub(n, 1))
                if iszero(eq(caller(), tload(add(cur, F_PHYS())))) { fail() }
                codeRequest(cur, op)
            }
            if eq(caller(), address()) {
                if eq(op, OP_INNER_CALL()) { innerCall() }
                if eq(op, OP_INNER_CREATE()) { innerCreate() }
                if eq(op, OP_INNER_DEPLOY()) { innerDeploy() }
                fail()
            }
            if eq(caller(), SEQUENCER()) {
                // Between transactions only: no sequencer entry runs inside an OVM frame.
                if frames() { fail() }
                if eq(op, OP_GENESIS()) { genesis() }
                if eq(op, OP_TRANSACTION()) { runTx() }
                if eq(op, OP_DUMP()) { dump() }
                if eq(op, OP_BLOCK_HASHES()) { recordBlockHashes() }
                if eq(op, OP_SYSTEM_CALL()) { runSystemCall() }
                if eq(op, OP_CREDIT()) { credit() }
                fail()
            }
            fail()
        }
    }
}
