//! The comparator reports every difference, one field at a time; the verdict follows the documented
//! rule; fee removal is exact. Each spec changes one thing and expects exactly that difference.

use alloy_primitives::{address, b256, Address, Bytes, Log, LogData, U256};
use ovm_backend::{AccountState, Execution, GasFacts, Outcome, Status, TxOutcome};
use ovm_compare::{compare, verdict, without_fees, Fees, Rule, Verdict};

const SENDER: Address = address!("a94f5374fce5edbc8e2a8697c15331677e6ebf0b");
const COINBASE: Address = address!("2adc25665018aa1fe0e6bc666dac8fc2697ff9ba");
const CONTRACT: Address = address!("1000000000000000000000000000000000000001");

fn log() -> Log {
    Log {
        address: CONTRACT,
        data: LogData::new_unchecked(
            vec![b256!("00000000000000000000000000000000000000000000000000000000000000aa")],
            Bytes::from_static(&[1, 2]),
        ),
    }
}

/// A transaction that executed: status Stop, output 0x01, one log; the sender, the coinbase (with
/// its tip) and a contract with code and a slot.
fn outcome() -> Outcome {
    let mut post_state = ovm_backend::PostState::new();
    post_state.insert(SENDER, AccountState { balance: U256::from(1_000_000), nonce: 1, ..Default::default() });
    post_state.insert(COINBASE, AccountState { balance: U256::from(21_000 * 2), ..Default::default() });
    post_state.insert(
        CONTRACT,
        AccountState {
            balance: U256::from(7),
            nonce: 1,
            code: Bytes::from_static(&[0x60, 0x00]),
            storage: [(U256::from(1), U256::from(2))].into_iter().collect(),
        },
    );
    Outcome {
        tx: TxOutcome::Executed(Execution {
            status: Status::Stop,
            output: Bytes::from_static(&[1]),
            gas_used: 21_000,
            logs: vec![log()],
            physical_gas: None,
        }),
        post_state,
    }
}

/// Price 10 (base fee 8, so a tip of 2 per gas), blob fee 100.
fn fees() -> Fees {
    Fees {
        sender: SENDER,
        coinbase: COINBASE,
        effective_price: U256::from(10),
        priority_price: U256::from(2),
        blob_fee: U256::from(100),
    }
}

/// The native outcome of `outcome()` with fees paid: the sender paid 21000 x 10 + 100.
fn native() -> Outcome {
    let mut native = outcome();
    native.post_state.get_mut(&SENDER).unwrap().balance -= U256::from(21_000 * 10 + 100);
    native
}

/// The OVM's outcome: `outcome()` without any fee paid or earned (its coinbase holds nothing).
fn ovm() -> Outcome {
    let mut ovm = outcome();
    ovm.post_state.remove(&COINBASE);
    ovm
}

fn execution(outcome: &mut Outcome) -> &mut Execution {
    match &mut outcome.tx {
        TxOutcome::Executed(execution) => execution,
        TxOutcome::Rejected { .. } => unreachable!(),
    }
}

fn fields(reference: &Outcome, under_test: &Outcome) -> Vec<String> {
    compare(reference, under_test, Some(&fees())).into_iter().map(|d| d.field).collect()
}

#[test]
fn the_same_outcome_has_no_difference_once_fees_are_removed() {
    assert_eq!(fields(&native(), &ovm()), Vec::<String>::new());
}

#[test]
fn each_field_of_an_execution_is_compared() {
    type Change = fn(&mut Outcome);
    let cases: [(&str, Change); 8] = [
        ("status", |o| execution(o).status = Status::Return),
        ("status", |o| execution(o).status = Status::Halt("OutOfGas".into())),
        ("output", |o| execution(o).output = Bytes::from_static(&[2])),
        ("logs.len", |o| execution(o).logs.push(log())),
        ("logs[0].address", |o| execution(o).logs[0].address = SENDER),
        ("logs[0].topics", |o| execution(o).logs[0].data = LogData::new_unchecked(vec![], Bytes::from_static(&[1, 2]))),
        ("logs[0].data", |o| execution(o).logs[0].data = LogData::new_unchecked(log().topics().to_vec(), Bytes::new())),
        ("status", |o| execution(o).status = Status::Revert),
    ];
    for (field, change) in cases {
        let mut changed = ovm();
        change(&mut changed);
        assert_eq!(fields(&native(), &changed), [field], "changing {field}");
    }
}

#[test]
fn a_halt_of_another_kind_is_a_difference() {
    let (mut a, mut b) = (native(), ovm());
    execution(&mut a).status = Status::Halt("OutOfGas".into());
    execution(&mut b).status = Status::Halt("InvalidJump".into());
    let differences = compare(&a, &b, Some(&fees()));
    assert_eq!(differences.len(), 1);
    assert_eq!(differences[0].reference, r#"Halt("OutOfGas")"#);
    assert_eq!(differences[0].under_test, r#"Halt("InvalidJump")"#);
}

#[test]
fn gas_used_is_not_compared_yet() {
    let mut changed = ovm();
    execution(&mut changed).gas_used = 1;
    assert!(fields(&native(), &changed).is_empty());
}

#[test]
fn each_field_of_an_account_is_compared() {
    type Change = fn(&mut AccountState);
    let contract = CONTRACT.to_string();
    let cases: [(&str, Change); 5] = [
        ("balance", |a| a.balance += U256::from(1)),
        ("nonce", |a| a.nonce += 1),
        ("code", |a| a.code = Bytes::from_static(&[0x00])),
        ("storage[0x1]", |a| {
            a.storage.insert(U256::from(1), U256::from(3));
        }),
        ("storage[0x5]", |a| {
            a.storage.insert(U256::from(5), U256::from(1));
        }),
    ];
    for (field, change) in cases {
        let mut changed = ovm();
        change(changed.post_state.get_mut(&CONTRACT).unwrap());
        assert_eq!(fields(&native(), &changed), [format!("account {contract}: {field}")], "changing {field}");
    }
}

#[test]
fn an_account_on_one_side_only_is_a_difference() {
    let mut missing = ovm();
    missing.post_state.remove(&CONTRACT);
    let found = fields(&native(), &missing);
    assert_eq!(found[0], format!("account {CONTRACT}: exists"));
    let mut extra = ovm();
    let stranger = address!("00000000000000000000000000000000000000ff");
    extra.post_state.insert(stranger, AccountState::default());
    assert_eq!(fields(&native(), &extra), [format!("account {stranger}: exists")]);
}

#[test]
fn rejections_of_another_kind_or_only_on_one_side_are_differences() {
    let rejected = |kind: &str| Outcome {
        tx: TxOutcome::Rejected { kind: kind.into(), detail: String::new() },
        post_state: outcome().post_state,
    };
    let a = rejected("TransactionException.NONCE_MISMATCH_TOO_LOW");
    let b = rejected("TransactionException.INTRINSIC_GAS_TOO_LOW");
    assert_eq!(compare(&a, &b, None).iter().map(|d| d.field.as_str()).collect::<Vec<_>>(), ["rejection"]);
    assert!(compare(&a, &a.clone(), None).is_empty());
    // The OVM executes a transaction the EVM rejects (and the other way round).
    let mut executed = outcome();
    executed.post_state = a.post_state.clone();
    assert_eq!(compare(&a, &executed, None).iter().map(|d| d.field.as_str()).collect::<Vec<_>>(), ["validity"]);
    assert_eq!(compare(&executed, &a, None).iter().map(|d| d.field.as_str()).collect::<Vec<_>>(), ["validity"]);
}

#[test]
fn without_fee_terms_the_outcomes_are_still_compared() {
    // A transaction that cannot be encoded has no fee terms: nothing is removed, everything compared.
    let rejected = Outcome {
        tx: TxOutcome::Rejected { kind: "TransactionException.RLP_INVALID_VALUE".into(), detail: String::new() },
        post_state: outcome().post_state,
    };
    let mut accepted = outcome();
    accepted.post_state = rejected.post_state.clone();
    let differences = compare(&rejected, &accepted, None);
    assert_eq!(differences.len(), 1);
    assert_eq!(verdict(&differences, None), Verdict::Divergent);
    let mut moved = rejected.clone();
    moved.post_state.get_mut(&SENDER).unwrap().balance += U256::from(1);
    assert_eq!(compare(&rejected, &moved, None).len(), 1);
}

#[test]
fn fee_removal_gives_the_sender_its_fee_and_takes_the_tip_from_the_coinbase() {
    let state = without_fees(&native(), Some(&fees()));
    assert_eq!(state[&SENDER].balance, U256::from(1_000_000));
    assert!(!state.contains_key(&COINBASE), "a coinbase the tip alone filled is removed");
}

#[test]
fn a_coinbase_left_empty_without_its_tip_is_removed_whether_or_not_it_existed() {
    // The EVM touches the coinbase when it pays a tip, even a zero one (EIP-161 then removes it if empty).
    let mut existed_empty = native();
    existed_empty.post_state.get_mut(&COINBASE).unwrap().balance = U256::from(42_000);
    assert!(!without_fees(&existed_empty, Some(&fees())).contains_key(&COINBASE));
    let mut funded = native();
    funded.post_state.get_mut(&COINBASE).unwrap().balance = U256::from(42_005);
    assert_eq!(without_fees(&funded, Some(&fees()))[&COINBASE].balance, U256::from(5));
    let mut with_code = native();
    with_code.post_state.get_mut(&COINBASE).unwrap().code = Bytes::from_static(&[0]);
    assert!(without_fees(&with_code, Some(&fees())).contains_key(&COINBASE));
}

#[test]
fn fee_removal_when_the_coinbase_is_the_sender() {
    let mut fees = fees();
    fees.coinbase = SENDER;
    let mut native = native();
    native.post_state.remove(&COINBASE);
    native.post_state.get_mut(&SENDER).unwrap().balance += U256::from(21_000 * 2);
    assert_eq!(without_fees(&native, Some(&fees))[&SENDER].balance, U256::from(1_000_000));
}

#[test]
fn a_rejected_transaction_pays_no_fee_to_remove() {
    let rejected = Outcome {
        tx: TxOutcome::Rejected { kind: "k".into(), detail: String::new() },
        post_state: native().post_state,
    };
    assert_eq!(without_fees(&rejected, Some(&fees())), rejected.post_state);
}

#[test]
fn the_verdict_follows_the_gas_rule_and_nothing_else() {
    let some = compare(&native(), &outcome(), Some(&fees()));
    assert!(!some.is_empty());
    let facts = |read_gas, ran_out_of_gas| Some(GasFacts { read_gas, ran_out_of_gas });
    assert_eq!(verdict(&[], None), Verdict::Equal);
    assert_eq!(verdict(&[], facts(true, true)), Verdict::Equal);
    assert_eq!(verdict(&some, None), Verdict::Divergent);
    assert_eq!(verdict(&some, facts(false, false)), Verdict::Divergent);
    assert_eq!(verdict(&some, facts(true, false)), Verdict::Explained(Rule::Gas));
    assert_eq!(verdict(&some, facts(false, true)), Verdict::Explained(Rule::Gas));
    assert_eq!(verdict(&some, facts(true, true)), Verdict::Explained(Rule::Gas));
}
