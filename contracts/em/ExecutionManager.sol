// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

/// @title The OVM ExecutionManager: a layer-2 EVM as a contract.
/// @notice Holds all layer-2 state and implements the semantics of every state and context opcode
/// for transpiled code. The protocol (ARCHITECTURE.md, "The OVM design") is requests of the form
/// `op: u8 || 32-byte words || data`; every op is below, by number.
///
/// Callers and what they may ask:
/// - the code contract of the active OVM frame: ops 0x02-0x27 (as itself, never as anyone else),
///   the call and create ops also with bit 0x40 (KEEP: keep the return data for a later
///   RETURNDATACOPY request), and 0x28 (a constructor reports its meter before it returns);
///   it reads its context (frame and transaction) through the layer-2 EVM's CONTEXT built-in,
///   which reads the transient slots below (T_*, F_*);
/// - the EM itself: the inner frames 0xe0-0xe2, so that an OVM frame's effects roll back atomically;
/// - the sequencer: genesis 0xf0, a transaction 0xf1, the state dump 0xf2.
/// Anything else reverts.
///
/// State (all keys are keccak256 of their parts; `a` is an OVM address, tags are >= 2^255 so that
/// no table can collide with another):
/// - account field f of a: keccak(a) + f; f = 0 nonce, 1 balance, 2 code contract, 3 exists,
///   4 original code hash, 5 original code size, 6 storage incarnation, 7 listed, 8 key count
/// - storage: key k of a at keccak(keccak(a, incarnation), k), its "listed" flag one slot above;
///   key list: keccak(a, TAG_KEYS) + i; account list: count at keccak(TAG_ACCOUNTS), entry i at
///   keccak(TAG_ACCOUNT, i)
/// - transient: tx context at 1..15, blob hashes at 0x100+i, frames at 0x10000 + 16*f,
///   return data of frame f at (f + 1) << 64 | i (kept only for callers that ask: their code can
///   RETURNDATACOPY after another request), the touched and destroyed lists, the flags
///   touched / created / to destroy of account a at keccak(a) + 20, 21, 22, OVM transient storage.
contract ExecutionManager {
    fallback() external payable {
        assembly {
            // ---------------------------------------------------------------- constants
            function SEQUENCER() -> a { a := 0x4200000000000000000000000000000000000010 }
            function TRANSPILE_INIT() -> a { a := 0x4200000000000000000000000000000000000002 }
            function TOUCH() -> a { a := 0x4200000000000000000000000000000000000004 }
            function RIPEMD160() -> a { a := 0x03 } // the precompile whose touch survives a revert
            function MAX_DEPTH_INDEX() -> d { d := 1025 } // frame 0 is the transaction's sender
            function TAG(n) -> t { t := or(shl(255, 1), n) }
            // transient slots
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
            // frame fields
            function F_ADDRESS() -> o { o := 0 }     // storage context (ADDRESS)
            function F_METER_LEFT() -> o { o := 1 }  // a constructor's meter as it returned (op 0x28)
            function F_CALLER() -> o { o := 2 }
            function F_VALUE() -> o { o := 3 }
            function F_STATIC() -> o { o := 4 }
            function F_PHYS() -> o { o := 5 }        // physical code contract: who may make requests
            function F_RDSIZE() -> o { o := 6 }      // size of this frame's last call's return data
            function F_BUDGET() -> o { o := 7 }      // native gas the frame can have had, at most
            function F_ABASE() -> o { o := 8 }       // accountBase(F_ADDRESS)
            function F_SBASE() -> o { o := 9 }       // storageBase(F_ADDRESS), 0 until first needed
            function KEEP() -> k { k := 0x40 }       // request flag of call and create ops
            function STIPEND() -> g { g := 2300 }    // native gas a value call adds to its callee's
            /// A transpiled frame's trailer is its meter (below 2^63), with bit 255 set by a STOP.
            function METER_MASK() -> m { m := 0xffffffffffffffff }
            /// Physical gas between the two GAS readings around a precompile call that is not the
            /// precompile's own (the CALL's warm access, GAS, stack moves): measured by the spec
            /// `precompile_calls_charge_their_native_gas` in crates/l2.
            function PRECOMPILE_CALL_OVERHEAD() -> g { g := 111 }

            // ---------------------------------------------------------------- helpers
            function fail() { revert(0, 0) }
            function word(i) -> w { w := calldataload(add(1, mul(i, 32))) }
            /// The low 160 bits, as the EVM reads an address operand.
            function toAddress(x) -> a { a := and(x, 0xffffffffffffffffffffffffffffffffffffffff) }
            function hash2(x, y) -> h { mstore(0, x) mstore(0x20, y) h := keccak256(0, 0x40) }
            function hash3(x, y, z) -> h { mstore(0, x) mstore(0x20, y) mstore(0x40, z) h := keccak256(0, 0x60) }

            function frame(f) -> b { b := add(0x10000, shl(4, f)) }
            function frames() -> n { n := tload(T_FRAMES()) }
            /// The storage context (ADDRESS) of the frame at `cur`.
            function self(cur) -> a { a := tload(add(cur, F_ADDRESS())) }
            function isStatic(cur) -> s { s := tload(add(cur, F_STATIC())) }

            // accounts
            /// keccak(a): account a's fields are the 9 slots from here. Memoized in memory
            /// [0x60, 0xa0), which nothing else in a request writes before it replies.
            function accountBase(a) -> b {
                let tag := add(a, 1)
                switch eq(mload(0x60), tag)
                case 1 { b := mload(0x80) }
                default {
                    mstore(0, a)
                    b := keccak256(0, 0x20)
                    mstore(0x60, tag)
                    mstore(0x80, b)
                }
            }
            function aslot(a, f) -> s { s := add(accountBase(a), f) }
            function nonceOf(a) -> v { v := sload(aslot(a, 0)) }
            function balanceOf(a) -> v { v := sload(aslot(a, 1)) }
            function physOf(a) -> v { v := sload(aslot(a, 2)) }
            function existsOf(a) -> v { v := sload(aslot(a, 3)) }
            function codeHashOf(a) -> v { v := sload(aslot(a, 4)) }
            function codeSizeOf(a) -> v { v := sload(aslot(a, 5)) }
            function incarnationOf(a) -> v { v := sload(aslot(a, 6)) }
            function isEmpty(a) -> e {
                e := and(iszero(nonceOf(a)), and(iszero(balanceOf(a)), iszero(codeSizeOf(a))))
            }
            function list(a) { listAt(a, accountBase(a)) }
            function listAt(a, b) {
                let s := add(b, 7)
                if iszero(sload(s)) {
                    sstore(s, 1)
                    let countSlot := keccak256Of1(TAG(11))
                    let n := sload(countSlot)
                    sstore(hash2(TAG(12), n), a)
                    sstore(countSlot, add(n, 1))
                }
            }
            function keccak256Of1(x) -> h { mstore(0, x) h := keccak256(0, 0x20) }
            function setExists(a) { setExistsAt(a, accountBase(a)) }
            function setExistsAt(a, b) { listAt(a, b) sstore(add(b, 3), 1) }
            function setNonce(a, n) { sstore(aslot(a, 0), n) setExists(a) }
            function setBalance(a, v) {
                sstore(aslot(a, 1), v)
                if v { setExists(a) }
            }
            function setCode(a, phys) {
                sstore(aslot(a, 2), phys)
                switch phys
                case 0 {
                    sstore(aslot(a, 4), 0)
                    sstore(aslot(a, 5), 0)
                }
                default {
                    // The header `PUSH4 start POP PUSH4 len POP` says where the original code is.
                    extcodecopy(phys, 0, 0, 12)
                    let start := shr(224, mload(1))
                    let len := shr(224, mload(7))
                    extcodecopy(phys, 0x100, start, len)
                    sstore(aslot(a, 4), keccak256(0x100, len))
                    sstore(aslot(a, 5), len)
                }
                setExists(a)
            }
            /// Deletes an account (EIP-161 clearing or EIP-6780 destruction): storage goes with a
            /// new incarnation.
            function destroy(a) {
                sstore(aslot(a, 0), 0)
                sstore(aslot(a, 1), 0)
                sstore(aslot(a, 2), 0)
                sstore(aslot(a, 3), 0)
                sstore(aslot(a, 4), 0)
                sstore(aslot(a, 5), 0)
                let s := aslot(a, 6)
                sstore(s, add(sload(s), 1))
            }

            // storage
            /// Account a's storage (this incarnation): key k is at keccak(storageBase(a), k).
            function storageBase(a) -> s { s := storageBaseAt(a, accountBase(a)) }
            /// `storageBase` given a's field base b.
            function storageBaseAt(a, b) -> s { s := hash2(a, sload(add(b, 6))) }
            /// The storage base of the frame at `cur`'s account, computed once per frame.
            function frameStorageBase(cur) -> s {
                s := tload(add(cur, F_SBASE()))
                if iszero(s) {
                    s := storageBaseAt(self(cur), tload(add(cur, F_ABASE())))
                    tstore(add(cur, F_SBASE()), s)
                }
            }
            /// Where the OVM transient storage key `key` of the frame at `cur`'s account lives.
            function transientSlot(cur, key) -> t { t := hash3(self(cur), TAG(40), key) }
            /// Stores key `key` of account `a` at its slot `s`; the first store of a key (in this
            /// incarnation) lists it, with the flag at s + 1.
            function storeAt(a, s, key, value) {
                sstore(s, value)
                if iszero(sload(add(s, 1))) {
                    sstore(add(s, 1), 1)
                    let countSlot := aslot(a, 8)
                    let n := sload(countSlot)
                    sstore(add(hash2(a, TAG(9)), n), key)
                    sstore(countSlot, add(n, 1))
                }
            }
            function storeSlot(a, key, value) { storeAt(a, hash2(storageBase(a), key), key, value) }

            // EIP-161 touches and EIP-6780 creations, both rolled back with the frame that made them
            function touch(a) { touchAt(a, accountBase(a)) }
            function touchAt(a, b) {
                let flag := add(b, 20)
                if iszero(tload(flag)) {
                    tstore(flag, 1)
                    if eq(a, RIPEMD160()) { touchPhysically(a) }
                    let n := tload(T_TOUCHED_LEN())
                    tstore(add(0x200000, n), a)
                    tstore(T_TOUCHED_LEN(), add(n, 1))
                }
            }
            /// The EVM keeps a touch of 0x03 even when the frame that made it reverts (the 2016
            /// RIPEMD-160 incident); the layer-2 EVM's journal keeps that rule for physical touches.
            /// The TOUCH built-in touches the physical account, and reads the touch back at the end
            /// of the transaction.
            function touchPhysically(a) {
                mstore8(0, 1)
                mstore(1, a)
                if iszero(call(gas(), TOUCH(), 0, 0, 33, 0, 0)) { fail() }
            }
            function touchedPhysically(a) -> t {
                mstore8(0, 0)
                mstore(1, a)
                if iszero(staticcall(gas(), TOUCH(), 0, 33, 0, 32)) { fail() }
                t := mload(0)
            }
            /// Per-transaction flags of account a live in transient storage at keccak(a) + 20..22.
            function touchedFlag(a) -> t { t := add(accountBase(a), 20) }
            function markCreated(a) { tstore(add(accountBase(a), 21), 1) }
            function createdInTx(a) -> c { c := tload(add(accountBase(a), 21)) }
            function scheduleDestruction(a) {
                let flag := add(accountBase(a), 22)
                if iszero(tload(flag)) {
                    tstore(flag, 1)
                    let n := tload(T_DESTROY_LEN())
                    tstore(add(0x300000, n), a)
                    tstore(T_DESTROY_LEN(), add(n, 1))
                }
            }
            /// Moves value and touches both sides, as the EVM's transfer does (even for zero).
            function transfer(from, to, v) {
                let fb := accountBase(from)
                transferAt(from, fb, to, accountBase(to), v)
            }
            /// `transfer` given both accounts' bases (fb, tb).
            function transferAt(from, fb, to, tb, v) {
                if v {
                    let left := sub(sload(add(fb, 1)), v)
                    sstore(add(fb, 1), left)
                    if left { setExistsAt(from, fb) }
                    let got := add(sload(add(tb, 1)), v)
                    sstore(add(tb, 1), got)
                    if got { setExistsAt(to, tb) }
                }
                touchAt(from, fb)
                touchAt(to, tb)
            }

            // return data kept per frame for RETURNDATACOPY after other requests
            /// Word i of frame f's kept return data is at transient (f + 1) << 64 | i: above every
            /// fixed transient slot, below the keccak-keyed ones in all but a negligible fraction.
            function returnDataBase(f) -> b { b := shl(64, add(f, 1)) }
            /// Copies the first `size` bytes of the return data to [0x100, 0x100 + size), where
            /// `keepReturnData` and `replyWithReturnData` take them from.
            function takeReturnData(size) { returndatacopy(0x100, 0, size) }
            /// Keeps the `size` bytes of return data at 0x100 for frame f (at `cur`) if its code asked
            /// (`keep`): its code has a RETURNDATACOPY that may run after another request has
            /// replaced the physical buffer.
            function keepReturnData(cur, f, keep, size) {
                if keep {
                    tstore(add(cur, F_RDSIZE()), size)
                    let base := returnDataBase(f)
                    for { let i := 0 } lt(shl(5, i), size) { i := add(i, 1) } {
                        tstore(add(base, i), mload(add(0x100, shl(5, i))))
                    }
                }
            }
            /// Replies `head || used || the dataLen bytes at 0x100` to a call or create request: the
            /// caller's meter is charged `used`.
            function replyWithReturnData(head, used, dataLen) {
                mstore(0xc0, head)
                mstore(0xe0, used)
                return(0xc0, add(64, dataLen))
            }
            /// Whether the return data ends with a whole word (a trailer), that word, and the length
            /// of what precedes it.
            function returnDataTrailer() -> has, dataLen, last {
                let size := returndatasize()
                has := iszero(lt(size, 32))
                if has {
                    dataLen := sub(size, 32)
                    returndatacopy(0, dataLen, 32)
                    last := mload(0)
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
                returndatacopy(0x100, 0, dataLen)
                mstore(add(0x100, dataLen), used)
                if iszero(ok) { revert(0x100, add(dataLen, 32)) }
                return(0x100, add(dataLen, 32))
            }

            function isPrecompile(a) -> p { p := and(gt(a, 0), lt(a, 0x0b)) }
            /// The native gas a callee asks for: the requested gas, plus the stipend with value.
            function calleeGas(requested, value) -> g {
                g := requested
                if gt(g, 0xffffffffffffffffffffffffffffffff) { g := 0xffffffffffffffffffffffffffffffff }
                if value { g := add(g, 2300) }
            }
            /// The native gas budget of a callee of the frame at `cur` that asks for `budget`: at
            /// most the caller's own budget (plus the stipend), which the meter needs.
            function calleeBudget(cur, budget) -> b { b := min(budget, add(tload(add(cur, F_BUDGET())), STIPEND())) }
            /// Runs precompile `target` on the arguments at [0x100, 0x100 + argsLen) with exactly
            /// its native gas `g`, and measures the gas it used (all of `g` if it failed). It is a
            /// pure function of its input, so DELEGATECALL runs it without a touch: a touch of the
            /// precompile is the caller's business (see `touchPhysically`).
            function callPrecompile(g, target, argsLen) -> ok, used {
                let before := gas()
                ok := delegatecall(g, target, 0x100, argsLen, 0, 0)
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
            /// may touch many accounts); one from code keeps the native 1/64.
            function reserveDivisor() -> d {
                d := 64
                if eq(frames(), 1) { d := 8 }
            }
            function min(a, b) -> m {
                m := a
                if lt(b, a) { m := b }
            }
            /// Physical gas for a nested frame, keeping 1/64 and a fixed reserve for the work after
            /// it. Physical gas only bounds work (ARCHITECTURE.md, "Physical gas"): native gas is
            /// the meter's, and a halting frame gives its unused physical gas back.
            function forwardGas(reserve) -> g { g := forwardGasKeeping(reserve, 64) }
            /// Gas for a nested frame, keeping 1/`divisor` and a fixed reserve.
            function forwardGasKeeping(reserve, divisor) -> g {
                g := gas()
                g := sub(g, div(g, divisor))
                switch gt(g, reserve)
                case 1 { g := sub(g, reserve) }
                default { g := 0 }
            }

            // ---------------------------------------------------------------- OVM calls
            /// op 0x20-0x23 from code: checks that do not enter a frame, then the callee. Words: gas,
            /// target, value, the caller's budget cap (63/64 of its meter); then the arguments.
            function ovmCall(cur, op, keep) {
                let target := toAddress(word(1))
                let value := 0
                if lt(op, 0x22) { value := word(2) }
                if value { if eq(op, 0x20) { if isStatic(cur) { fail() } } }
                let f := frames() // the callee's frame; the caller's is f - 1, at `cur`
                // A call that cannot start: too deep, or not enough balance. Return data cleared,
                // no gas used.
                let cannot := gt(f, MAX_DEPTH_INDEX())
                if value { if lt(sload(add(tload(add(cur, F_ABASE())), 1)), value) { cannot := 1 } }
                if cannot {
                    tstore(add(cur, F_RDSIZE()), 0)
                    replyWithReturnData(0, 0, 0)
                }
                // The callee's native gas is at most its request, and at most what the caller's meter
                // says the 63/64 rule leaves it (word 3); plus the stipend.
                let budget := calleeBudget(cur, calleeGas(min(word(0), word(3)), value))
                let argsLen := sub(calldatasize(), 129)
                // A precompile is a pure function of its input: call it from here, and move value and
                // touch accounts only if it succeeds, which is all a native frame around it would keep
                // (but a CALL or STATICCALL touches 0x03 for good: touchAt mirrors it first).
                if isPrecompile(target) {
                    if eq(target, RIPEMD160()) { if or(eq(op, 0x20), eq(op, 0x23)) { touchPhysically(target) } }
                    calldatacopy(0x100, 129, argsLen)
                    let okp, usedp := callPrecompile(min(budget, forwardGas(5000)), target, argsLen)
                    let outLen := returndatasize()
                    takeReturnData(outLen)
                    if okp { callTransfer(cur, op, target, value) }
                    keepReturnData(cur, sub(f, 1), keep, outLen)
                    replyWithReturnData(okp, usedp, outLen)
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
                        calldatacopy(0x100, 129, argsLen)
                        ok := runCallee(f, b, phys, argsLen, 25000)
                        dataLen, used := calleeUsed(budget)
                        takeReturnData(dataLen)
                    }
                    if iszero(ok) { untouchSince(touched) }
                    keepReturnData(cur, sub(f, 1), keep, dataLen)
                    replyWithReturnData(ok, used, dataLen)
                }
                // inner request: 0xe0 || op || target || value || budget || args
                mstore8(0x100, 0xe0)
                mstore(0x101, op)
                mstore(0x121, target)
                mstore(0x141, value)
                mstore(0x161, budget)
                calldatacopy(0x181, 129, argsLen)
                let ok := call(forwardGasKeeping(20000, 1024), address(), 0, 0x100, add(0x81, argsLen), 0, 0)
                let dataLen, used := innerUsed(budget)
                takeReturnData(dataLen)
                keepReturnData(cur, sub(f, 1), keep, dataLen)
                replyWithReturnData(ok, used, dataLen)
            }

            /// op 0xe0 (from the EM itself): one OVM frame, all of whose effects roll back together.
            /// Returns or reverts with the callee's return data and the gas it used (`endInner`).
            function innerCall() {
                let op := word(0)
                let target := word(1)
                let value := word(2)
                let budget := word(3)
                let f := frames()
                let cur := frame(sub(f, 1))
                let b := openCallFrame(cur, f, op, target, value, budget)
                callTransfer(cur, op, target, value)
                let argsLen := sub(calldatasize(), 129)
                calldatacopy(0x100, 129, argsLen)
                if isPrecompile(target) {
                    let okp, usedp := callPrecompile(min(budget, forwardGas(5000)), target, argsLen)
                    endInner(okp, returndatasize(), usedp)
                }
                let phys := physOf(target)
                if iszero(phys) { endInner(1, 0, 0) }
                let ok := runCallee(f, b, phys, argsLen, 5000)
                let dataLen, used := calleeUsed(budget)
                endInner(ok, dataLen, used)
            }

            /// Writes OVM frame f (at b, returned) for call `op` from the frame at `cur` to `target`:
            /// its context, code and budget.
            function openCallFrame(cur, f, op, target, value, budget) -> b {
                let me := self(cur)
                b := frame(f)
                switch op
                case 0x20 { // CALL
                    tstore(add(b, F_ADDRESS()), target)
                    tstore(add(b, F_ABASE()), accountBase(target))
                    tstore(add(b, F_SBASE()), 0)
                    tstore(add(b, F_CALLER()), me)
                    tstore(add(b, F_VALUE()), value)
                    tstore(add(b, F_STATIC()), tload(add(cur, F_STATIC())))
                }
                case 0x21 { // CALLCODE: the caller's storage, value sent to itself
                    tstore(add(b, F_ADDRESS()), me)
                    tstore(add(b, F_ABASE()), tload(add(cur, F_ABASE())))
                    tstore(add(b, F_SBASE()), tload(add(cur, F_SBASE())))
                    tstore(add(b, F_CALLER()), me)
                    tstore(add(b, F_VALUE()), value)
                    tstore(add(b, F_STATIC()), tload(add(cur, F_STATIC())))
                }
                case 0x22 { // DELEGATECALL: the caller's whole context
                    tstore(add(b, F_ADDRESS()), me)
                    tstore(add(b, F_ABASE()), tload(add(cur, F_ABASE())))
                    tstore(add(b, F_SBASE()), tload(add(cur, F_SBASE())))
                    tstore(add(b, F_CALLER()), tload(add(cur, F_CALLER())))
                    tstore(add(b, F_VALUE()), tload(add(cur, F_VALUE())))
                    tstore(add(b, F_STATIC()), tload(add(cur, F_STATIC())))
                }
                default { // 0x23 STATICCALL
                    tstore(add(b, F_ADDRESS()), target)
                    tstore(add(b, F_ABASE()), accountBase(target))
                    tstore(add(b, F_SBASE()), 0)
                    tstore(add(b, F_CALLER()), me)
                    tstore(add(b, F_VALUE()), 0)
                    tstore(add(b, F_STATIC()), 1)
                }
                tstore(add(b, F_BUDGET()), budget)
            }

            /// The value a call from the frame at `cur` moves, and the accounts it touches, natively
            /// (DELEGATECALL: none).
            function callTransfer(cur, op, target, value) {
                let me := self(cur)
                let mb := tload(add(cur, F_ABASE()))
                switch op
                case 0x20 { transferAt(me, mb, target, accountBase(target), value) }
                case 0x21 { transferAt(me, mb, me, mb, value) }
                case 0x23 { transferAt(me, mb, target, accountBase(target), 0) }
            }

            /// Runs code contract `phys` as the open frame f (at b), on the arguments at
            /// [0x100, 0x100 + argsLen), keeping 1/128 of this frame's physical gas and `reserve`
            /// for the work after it.
            function runCallee(f, b, phys, argsLen, reserve) -> ok {
                tstore(add(b, F_PHYS()), phys)
                tstore(add(b, F_RDSIZE()), 0)
                tstore(T_FRAMES(), add(f, 1))
                ok := call(forwardGasKeeping(reserve, 128), phys, 0, 0x100, argsLen, 0, 0)
                tstore(T_FRAMES(), f)
            }

            /// Forgets the touches recorded since the touched list had `n` entries.
            function untouchSince(n) {
                let end := tload(T_TOUCHED_LEN())
                for { let i := n } lt(i, end) { i := add(i, 1) } { tstore(touchedFlag(tload(add(0x200000, i))), 0) }
                tstore(T_TOUCHED_LEN(), n)
            }

            // ---------------------------------------------------------------- OVM creates
            /// keccak(RLP([creator, nonce]))[12:], for nonce < 2^64.
            function createAddress(creator, nonce) -> a {
                mstore8(1, 0x94)
                mstore(2, shl(96, creator))
                let len := 23
                switch lt(nonce, 0x80)
                case 1 {
                    switch nonce
                    case 0 { mstore8(22, 0x80) }
                    default { mstore8(22, nonce) }
                }
                default {
                    let n := 0
                    for { let x := nonce } x { x := shr(8, x) } { n := add(n, 1) }
                    mstore8(22, add(0x80, n))
                    for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                        mstore8(add(23, i), byte(add(sub(32, n), i), nonce))
                    }
                    len := add(23, n)
                }
                mstore8(0, add(0xc0, sub(len, 1)))
                a := toAddress(keccak256(0, len))
            }

            /// keccak(0xff || deployer || salt || codeHash)[12:] (EIP-1014).
            function create2Address(deployer, salt, codeHash) -> a {
                mstore(0, 0)
                mstore8(0x0b, 0xff)
                mstore(0x0c, shl(96, deployer))
                mstore(0x20, salt)
                mstore(0x40, codeHash)
                a := toAddress(keccak256(0x0b, 85))
            }

            /// op 0x24 CREATE / 0x25 CREATE2 from the frame at `cur`. Words: value, salt, the
            /// creator's budget cap (63/64 of its meter); then the initcode.
            function ovmCreate(cur, op, keep) {
                if isStatic(cur) { fail() }
                let value := word(0)
                let salt := word(1)
                let codeLen := sub(calldatasize(), 97)
                if gt(codeLen, 49152) { fail() } // EIP-3860: an exceptional halt of the creator
                let callerFrame := sub(frames(), 1)
                let me := self(cur)
                let nonce := nonceOf(me)
                let cannot := lt(balanceOf(me), value)
                if eq(nonce, 0xffffffffffffffff) { cannot := 1 }
                if gt(frames(), MAX_DEPTH_INDEX()) { cannot := 1 }
                if cannot {
                    tstore(add(cur, F_RDSIZE()), 0)
                    replyWithReturnData(0, 0, 0)
                }
                setNonce(me, add(nonce, 1)) // EIP-161: bumped whether or not the create succeeds
                let target := 0
                switch op
                case 0x24 { target := createAddress(me, nonce) }
                default {
                    calldatacopy(0x100, 97, codeLen)
                    let codeHash := keccak256(0x100, codeLen)
                    target := create2Address(me, salt, codeHash)
                }
                let budget := min(word(2), tload(add(cur, F_BUDGET())))
                let ok := innerCreateCall(me, target, value, budget, 97, codeLen)
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

            /// Calls the inner create frame (0xe1 || creator || target || value || budget || initcode).
            function innerCreateCall(creator, target, value, budget, codeOffset, codeLen) -> ok {
                mstore8(0x100, 0xe1)
                mstore(0x101, creator)
                mstore(0x121, target)
                mstore(0x141, value)
                mstore(0x161, budget)
                calldatacopy(0x181, codeOffset, codeLen)
                ok := call(forwardGasKeeping(40000, reserveDivisor()), address(), 0, 0x100, add(0x81, codeLen), 0, 0)
            }

            /// op 0xe1 (from the EM itself): a creation, all of whose effects roll back together.
            /// Returns the original runtime code, or reverts with the constructor's revert data, and
            /// either way the native gas the constructor used (`endInner`).
            function innerCreate() {
                let creator := word(0)
                let target := word(1)
                let value := word(2)
                let budget := word(3)
                let codeLen := sub(calldatasize(), 129)
                // Collision: the address has a nonce or code (a halt: the whole budget is used).
                if or(gt(nonceOf(target), 0), gt(codeSizeOf(target), 0)) { fail() }
                transfer(creator, target, value)
                setNonce(target, 1)
                markCreated(target)
                // Transpile the initcode (init mode) with the built-in.
                calldatacopy(0x100, 129, codeLen)
                if iszero(staticcall(gas(), TRANSPILE_INIT(), 0x100, codeLen, 0, 0)) { fail() }
                let initLen := returndatasize()
                returndatacopy(0x100, 0, initLen)
                let physSalt := hash2(target, incarnationOf(target))
                // The physical address of the constructor, which will make requests as this frame.
                let initHash := keccak256(0x100, initLen)
                let phys := create2Address(address(), physSalt, initHash)
                let f := frames()
                let b := frame(f)
                tstore(add(b, F_ADDRESS()), target)
                tstore(add(b, F_ABASE()), accountBase(target))
                tstore(add(b, F_SBASE()), 0)
                tstore(add(b, F_CALLER()), creator)
                tstore(add(b, F_VALUE()), value)
                tstore(add(b, F_STATIC()), 0)
                tstore(add(b, F_PHYS()), phys)
                tstore(add(b, F_RDSIZE()), 0)
                tstore(add(b, F_BUDGET()), budget)
                tstore(add(b, F_METER_LEFT()), 0)
                tstore(T_FRAMES(), add(f, 1))
                // The deploy frame spends whatever it is given on CREATE2; this frame keeps a reserve.
                mstore8(0xe0, 0xe2)
                mstore(0xe1, physSalt)
                // initcode is at 0x100; shift it right behind the 33-byte header at 0xe0
                // (copy through the return buffer, which still holds it)
                returndatacopy(0x101, 0, initLen)
                let ok := call(forwardGas(30000), address(), 0, 0xe0, add(33, initLen), 0, 0)
                tstore(T_FRAMES(), f)
                if iszero(ok) {
                    // The constructor's revert data and meter, or nothing (it halted).
                    let dataLen, used := calleeUsed(budget)
                    endInner(0, dataLen, used)
                }
                returndatacopy(0, 0, 32)
                let deployed := mload(0)
                if iszero(eq(deployed, phys)) { fail() }
                switch extcodesize(phys)
                case 0 { setCode(target, 0) }
                default { setCode(target, phys) }
                // Reply the original runtime code, and what the constructor used (it reported its
                // meter before it returned).
                let len := codeSizeOf(target)
                if len {
                    extcodecopy(phys, 0, 0, 12)
                    let start := shr(224, mload(1))
                    extcodecopy(phys, 0x100, start, len)
                }
                mstore(add(0x100, len), sub(budget, min(tload(add(b, F_METER_LEFT())), budget)))
                return(0x100, add(len, 32))
            }

            /// op 0xe2 (from the EM itself): CREATE2 of the transpiled initcode with all its gas.
            function innerDeploy() {
                let physSalt := word(0)
                let len := sub(calldatasize(), 33)
                calldatacopy(0x100, 33, len)
                let phys := create2(0, 0x100, len, physSalt)
                if iszero(phys) {
                    returndatacopy(0x100, 0, returndatasize())
                    revert(0x100, returndatasize())
                }
                mstore(0, phys)
                return(0, 32)
            }

            // ---------------------------------------------------------------- other requests
            function replyWord(v) { mstore(0, v) return(0, 32) }
            function extCodeHash(a) -> h {
                if and(existsOf(a), iszero(isEmpty(a))) {
                    h := codeHashOf(a)
                    if iszero(h) { h := 0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470 }
                }
            }
            function extCodeCopy() {
                let a := toAddress(word(0))
                let offset := word(1)
                let len := word(2)
                calldatacopy(0x100, calldatasize(), len) // zeros (and the memory it costs)
                let phys := physOf(a)
                let size := codeSizeOf(a)
                if and(gt(phys, 0), lt(offset, size)) {
                    extcodecopy(phys, 0, 0, 12)
                    let start := shr(224, mload(1))
                    let n := sub(size, offset)
                    if gt(n, len) { n := len }
                    extcodecopy(phys, 0x100, add(start, offset), n)
                }
                return(0x100, len)
            }
            function log(cur, n) {
                if isStatic(cur) { fail() }
                let dataStart := add(1, mul(n, 32))
                let dataLen := sub(calldatasize(), dataStart)
                mstore(0x100, self(cur))
                calldatacopy(0x120, dataStart, dataLen)
                let size := add(32, dataLen)
                switch n
                case 0 { log0(0x100, size) }
                case 1 { log1(0x100, size, word(0)) }
                case 2 { log2(0x100, size, word(0), word(1)) }
                case 3 { log3(0x100, size, word(0), word(1), word(2)) }
                default { log4(0x100, size, word(0), word(1), word(2), word(3)) }
                return(0, 0)
            }
            function selfDestruct(cur) {
                if isStatic(cur) { fail() }
                let me := self(cur)
                let heir := toAddress(word(0))
                let bal := balanceOf(me)
                switch eq(heir, me)
                case 0 { transfer(me, heir, bal) }
                default {
                    touch(me)
                    // EIP-6780: a contract created in this transaction burns its balance.
                    if createdInTx(me) { setBalance(me, 0) }
                }
                if createdInTx(me) { scheduleDestruction(me) }
                if eq(frames(), 2) { tstore(T_TOP_SELFDESTRUCTED(), 1) }
                return(0, 0)
            }
            function returnDataCopy(cur) {
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
                    mstore(add(0x100, shl(5, sub(i, first))), tload(add(base, i)))
                }
                return(add(0x100, and(offset, 31)), len)
            }

            // ---------------------------------------------------------------- sequencer
            /// op 0xf0: count || (address, balance, nonce, code contract, slots, (key, value)*)*
            function genesis() {
                let count := word(0)
                let p := 1
                for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                    let a := word(p)
                    setExists(a)
                    sstore(aslot(a, 1), word(add(p, 1)))
                    sstore(aslot(a, 0), word(add(p, 2)))
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
                // 16 per non-zero byte, 4 per zero byte. The data ends the calldata, so the last word
                // is padded with zeros, which count as no non-zero bytes.
                let ones := 0x0101010101010101010101010101010101010101010101010101010101010101
                let nonZero := 0
                for { let i := 0 } lt(i, dataLen) { i := add(i, 32) } {
                    let w := calldataload(add(dataStart, i))
                    // fold each byte's bits into its lowest bit, then add up the 32 lowest bits
                    w := or(w, shr(4, w))
                    w := or(w, shr(2, w))
                    w := or(w, shr(1, w))
                    nonZero := add(nonZero, shr(248, mul(and(w, ones), ones)))
                }
                g := add(21000, add(mul(16, nonZero), mul(4, sub(dataLen, nonZero))))
                if isCreate { g := add(g, add(32000, mul(2, div(add(dataLen, 31), 32)))) }
                g := add(g, add(mul(2400, accessAddresses), mul(1900, accessKeys)))
            }

            /// op 0xf1: a transaction the sequencer admitted (it checked everything that needs no
            /// state, in the EVM's order: chain id, fees, blobs, gas against the block, initcode
            /// size, the transaction's nonce). Words: 0 sender, 1 to, 2 is-create, 3 value,
            /// 4 gas limit, 5 effective gas price, 6 upfront balance required (gas limit x max fee +
            /// blob fees + value), 7 upfront charge (gas limit x effective price + blob fee),
            /// 8 access-list addresses, 9 access-list keys, 10 nonce, 11 coinbase, 12 timestamp,
            /// 13 number, 14 prevrandao, 15 block gas limit, 16 chain id, 17 base fee,
            /// 18 blob base fee, 19 blob count, 20 the required balance overflows, then the blob
            /// hashes, then the data.
            /// Reply: status (0 rejected, 1 success, 2 failure), rejection code or created address,
            /// top frame self-destructed, then the output.
            function runTx() {
                let sender := word(0)
                let to := word(1)
                let isCreate := word(2)
                let value := word(3)
                let gasLimit := word(4)
                let nblobs := word(19)
                let dataStart := add(1, mul(add(21, nblobs), 32))
                let dataLen := sub(calldatasize(), dataStart)
                // Validation of what needs state, in the EVM's order.
                let intrinsic := intrinsicGas(isCreate, dataStart, dataLen, word(8), word(9))
                if gt(intrinsic, gasLimit) { rejectTx(1) }
                if codeSizeOf(sender) { rejectTx(3) }
                let nonce := nonceOf(sender)
                if gt(word(10), nonce) { rejectTx(4) }
                if lt(word(10), nonce) { rejectTx(5) }
                if word(20) { rejectTx(8) }
                if lt(balanceOf(sender), word(6)) { rejectTx(7) }

                tstore(T_ORIGIN(), sender)
                tstore(T_GASPRICE(), word(5))
                tstore(T_COINBASE(), word(11))
                tstore(T_TIMESTAMP(), word(12))
                tstore(T_NUMBER(), word(13))
                tstore(T_PREVRANDAO(), word(14))
                tstore(T_GASLIMIT(), word(15))
                tstore(T_CHAINID(), word(16))
                tstore(T_BASEFEE(), word(17))
                tstore(T_BLOBBASEFEE(), word(18))
                tstore(T_NBLOBS(), nblobs)
                for { let i := 0 } lt(i, nblobs) { i := add(i, 1) } { tstore(add(0x100, i), word(add(21, i))) }

                // Frame 0 is the sender.
                let b := frame(0)
                tstore(add(b, F_ADDRESS()), sender)
                tstore(add(b, F_ABASE()), accountBase(sender))
                tstore(add(b, F_SBASE()), 0)
                tstore(add(b, F_CALLER()), 0)
                tstore(add(b, F_STATIC()), 0)
                tstore(add(b, F_PHYS()), 0)
                tstore(add(b, F_BUDGET()), sub(gasLimit, intrinsic))
                tstore(T_FRAMES(), 1)

                let upfront := word(7)
                setBalance(sender, sub(balanceOf(sender), upfront))
                setNonce(sender, add(nonce, 1))
                touch(sender)

                let ok := 0
                let created := 0
                let budget := sub(gasLimit, intrinsic)
                switch isCreate
                case 0 {
                    mstore8(0x100, 0xe0)
                    mstore(0x101, 0x20)
                    mstore(0x121, to)
                    mstore(0x141, value)
                    mstore(0x161, budget)
                    calldatacopy(0x181, dataStart, dataLen)
                    ok := call(forwardGasKeeping(1000000, 8), address(), 0, 0x100, add(0x81, dataLen), 0, 0)
                }
                default {
                    created := createAddress(sender, nonce)
                    ok := innerCreateCall(sender, created, value, budget, dataStart, dataLen)
                    if iszero(ok) { created := 0 }
                }
                let outLen, used := innerUsed(budget)
                returndatacopy(0x400, 0, outLen)
                // Post-execution (the calls above kept 1/8 of the gas for this). The EVM touches the
                // coinbase when it pays the tip, even a zero tip: the OVM pays no fees but touches it.
                touch(word(11))
                // EIP-6780 destructions, then EIP-161 clearing of touched empties, 0x03 included
                // when a reverted frame touched it.
                let n := tload(T_DESTROY_LEN())
                for { let i := 0 } lt(i, n) { i := add(i, 1) } { destroy(tload(add(0x300000, i))) }
                n := tload(T_TOUCHED_LEN())
                for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                    let a := tload(add(0x200000, i))
                    if and(existsOf(a), isEmpty(a)) { destroy(a) }
                }
                if touchedPhysically(RIPEMD160()) {
                    if and(existsOf(RIPEMD160()), isEmpty(RIPEMD160())) { destroy(RIPEMD160()) }
                }
                // Fees are the one thing the OVM does not charge: the upfront charge goes back.
                if upfront {
                    setBalance(sender, add(balanceOf(sender), upfront))
                }
                let top := tload(T_TOP_SELFDESTRUCTED())
                tstore(T_FRAMES(), 0)
                mstore(0x340, sub(2, ok))
                mstore(0x360, created)
                mstore(0x380, top)
                mcopy(0x3a0, 0x400, outLen)
                return(0x340, add(0x60, outLen))
            }
            function rejectTx(code) {
                mstore(0, 0)
                mstore(0x20, code)
                mstore(0x40, 0)
                return(0, 0x60)
            }

            /// op 0xf2: every account the EM has listed:
            /// count || (address, exists, balance, nonce, code contract, keys, (key, value)*)*
            function dump() {
                let count := sload(keccak256Of1(TAG(11)))
                let p := 0x20
                for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                    let a := sload(hash2(TAG(12), i))
                    let keys := sload(aslot(a, 8))
                    let storage := storageBase(a)
                    mstore(add(0x80, p), a)
                    mstore(add(0xa0, p), existsOf(a))
                    mstore(add(0xc0, p), balanceOf(a))
                    mstore(add(0xe0, p), nonceOf(a))
                    mstore(add(0x100, p), physOf(a))
                    mstore(add(0x120, p), keys)
                    p := add(p, 0xc0)
                    let keyList := hash2(a, TAG(9))
                    for { let j := 0 } lt(j, keys) { j := add(j, 1) } {
                        let key := sload(add(keyList, j))
                        let value := sload(hash2(storage, key))
                        mstore(add(0x80, p), key)
                        mstore(add(0xa0, p), value)
                        p := add(p, 0x40)
                    }
                }
                mstore(0x80, count)
                return(0x80, p)
            }

            // ---------------------------------------------------------------- dispatch
            /// A request from the code contract of the frame at `cur`, the most frequent first.
            function codeRequest(cur, op) {
                if eq(op, 0x03) { // SSTORE
                    if isStatic(cur) { fail() }
                    let key := word(0)
                    storeAt(self(cur), hash2(frameStorageBase(cur), key), key, word(1))
                    return(0, 0)
                }
                if eq(op, 0x05) { // TSTORE
                    if isStatic(cur) { fail() }
                    tstore(transientSlot(cur, word(0)), word(1))
                    return(0, 0)
                }
                // CALL, CALLCODE, DELEGATECALL, STATICCALL, with or without KEEP
                let callOp := and(op, not(KEEP()))
                if lt(sub(callOp, 0x20), 4) { ovmCall(cur, callOp, and(op, KEEP())) }
                if eq(op, 0x02) { replyWord(sload(hash2(frameStorageBase(cur), word(0)))) } // SLOAD
                if eq(op, 0x04) { replyWord(tload(transientSlot(cur, word(0)))) } // TLOAD
                switch op
                case 0x06 { replyWord(balanceOf(toAddress(word(0)))) }
                case 0x07 { replyWord(sload(add(tload(add(cur, F_ABASE())), 1))) }
                case 0x08 { replyWord(codeSizeOf(toAddress(word(0)))) }
                case 0x09 { replyWord(extCodeHash(toAddress(word(0)))) }
                case 0x0a { extCodeCopy() }
                case 0x0b { replyWord(blockhash(word(0))) }
                case 0x0c {
                    let i := word(0)
                    let h := 0
                    if lt(i, tload(T_NBLOBS())) { h := tload(add(0x100, i)) }
                    replyWord(h)
                }
                case 0x10 { log(cur, 0) }
                case 0x11 { log(cur, 1) }
                case 0x12 { log(cur, 2) }
                case 0x13 { log(cur, 3) }
                case 0x14 { log(cur, 4) }
                case 0x28 { // a constructor reports its meter as it returns
                    tstore(add(cur, F_METER_LEFT()), word(0))
                    return(0, 0)
                }
                case 0x24 { ovmCreate(cur, 0x24, 0) }
                case 0x25 { ovmCreate(cur, 0x25, 0) }
                case 0x64 { ovmCreate(cur, 0x24, KEEP()) }
                case 0x65 { ovmCreate(cur, 0x25, KEEP()) }
                case 0x26 { selfDestruct(cur) }
                case 0x27 { returnDataCopy(cur) }
                default { fail() }
            }

            let op := byte(0, calldataload(0))
            if lt(op, 0xe0) {
                // From transpiled code: only the active frame's code contract may ask, as itself.
                let n := frames()
                if iszero(n) { fail() }
                let cur := frame(sub(n, 1))
                if iszero(eq(caller(), tload(add(cur, F_PHYS())))) { fail() }
                codeRequest(cur, op)
            }
            if eq(caller(), address()) {
                switch op
                case 0xe0 { innerCall() }
                case 0xe1 { innerCreate() }
                case 0xe2 { innerDeploy() }
                default { fail() }
            }
            if eq(caller(), SEQUENCER()) {
                switch op
                case 0xf0 { genesis() }
                case 0xf1 { runTx() }
                case 0xf2 { dump() }
                default { fail() }
            }
            fail()
        }
    }
}
