//! The comparator reports every difference, one field at a time, gas used and fee-paying balances
//! included; the verdict follows the documented rule. Each spec changes one thing and expects exactly
//! that difference.

use alloy_primitives::{address, b256, Address, Bytes, Log, LogData, U256};
use ovm_backend::{AccountState, Execution, Outcome, Status, TxOutcome};
use ovm_compare::{compare, verdict, Difference, Rule, Verdict};

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

/// The reference outcome of these specs.
fn native() -> Outcome {
    outcome()
}

/// The outcome under test: the same, until a spec changes it.
fn ovm() -> Outcome {
    outcome()
}

fn execution(outcome: &mut Outcome) -> &mut Execution {
    match &mut outcome.tx {
        TxOutcome::Executed(execution) => execution,
        TxOutcome::Rejected { .. } => unreachable!(),
    }
}

fn fields(reference: &Outcome, under_test: &Outcome) -> Vec<String> {
    compare(reference, under_test).into_iter().map(|d| d.field).collect()
}

#[test]
fn the_same_outcome_has_no_difference() {
    assert_eq!(fields(&native(), &ovm()), Vec::<String>::new());
}

#[test]
fn each_field_of_an_execution_is_compared() {
    type Change = fn(&mut Outcome);
    let cases: [(&str, Change); 9] = [
        ("status", |o| execution(o).status = Status::Return),
        ("status", |o| execution(o).status = Status::Halt("OutOfGas".into())),
        ("output", |o| execution(o).output = Bytes::from_static(&[2])),
        ("logs.len", |o| execution(o).logs.push(log())),
        ("logs[0].address", |o| execution(o).logs[0].address = SENDER),
        ("logs[0].topics", |o| execution(o).logs[0].data = LogData::new_unchecked(vec![], Bytes::from_static(&[1, 2]))),
        ("logs[0].data", |o| execution(o).logs[0].data = LogData::new_unchecked(log().topics().to_vec(), Bytes::new())),
        ("status", |o| execution(o).status = Status::Revert),
        ("gas_used", |o| execution(o).gas_used += 1),
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
    let differences = compare(&a, &b);
    assert_eq!(differences.len(), 1);
    assert_eq!(differences[0].reference, r#"Halt("OutOfGas")"#);
    assert_eq!(differences[0].under_test, r#"Halt("InvalidJump")"#);
}

#[test]
fn gas_used_and_the_fee_payers_balances_are_compared_as_they_are() {
    // The EM charges fees as the EVM does: nothing is normalized away.
    let mut changed = ovm();
    execution(&mut changed).gas_used = 1;
    assert_eq!(fields(&native(), &changed), ["gas_used"]);
    let mut unpaid = ovm();
    unpaid.post_state.get_mut(&SENDER).unwrap().balance += U256::from(21_000 * 10);
    assert_eq!(fields(&native(), &unpaid), [format!("account {SENDER}: balance")]);
    let mut untipped = ovm();
    untipped.post_state.remove(&COINBASE);
    let coinbase = |field: &str| format!("account {COINBASE}: {field}");
    assert_eq!(fields(&native(), &untipped), [coinbase("exists"), coinbase("balance")]);
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
    assert_eq!(compare(&a, &b).iter().map(|d| d.field.as_str()).collect::<Vec<_>>(), ["rejection"]);
    assert!(compare(&a, &a.clone()).is_empty());
    // The OVM executes a transaction the EVM rejects (and the other way round).
    let mut executed = outcome();
    executed.post_state = a.post_state.clone();
    assert_eq!(compare(&a, &executed).iter().map(|d| d.field.as_str()).collect::<Vec<_>>(), ["validity"]);
    assert_eq!(compare(&executed, &a).iter().map(|d| d.field.as_str()).collect::<Vec<_>>(), ["validity"]);
}

#[test]
fn a_transaction_accepted_that_the_reference_rejects_is_divergent() {
    let rejected = Outcome {
        tx: TxOutcome::Rejected { kind: "TransactionException.RLP_INVALID_VALUE".into(), detail: String::new() },
        post_state: outcome().post_state,
    };
    let mut accepted = outcome();
    accepted.post_state = rejected.post_state.clone();
    let differences = compare(&rejected, &accepted);
    assert_eq!(differences.len(), 1);
    assert_eq!(verdict(&differences), Verdict::Divergent);
}

#[test]
fn the_verdict_explains_only_a_lone_out_of_gas_against_a_stack_halt() {
    let status = |reference: &str, under_test: &str| Difference {
        field: "status".into(),
        reference: format!("Halt({reference:?})"),
        under_test: format!("Halt({under_test:?})"),
    };
    assert_eq!(verdict(&[]), Verdict::Equal);
    assert_eq!(verdict(&[status("OutOfGas", "StackUnderflow")]), Verdict::Explained(Rule::HaltOrder));
    assert_eq!(verdict(&[status("OutOfGas", "StackOverflow")]), Verdict::Explained(Rule::HaltOrder));
    // Any other halt, the other way round, or with another difference beside it: divergent.
    assert_eq!(verdict(&[status("OutOfGas", "InvalidJump")]), Verdict::Divergent);
    assert_eq!(verdict(&[status("StackUnderflow", "OutOfGas")]), Verdict::Divergent);
    let mut changed = ovm();
    execution(&mut changed).gas_used += 1;
    let mut both = compare(&native(), &changed);
    both.push(status("OutOfGas", "StackUnderflow"));
    assert_eq!(verdict(&both), Verdict::Divergent);
    let balance = compare(&native(), &{
        let mut o = ovm();
        o.post_state.get_mut(&SENDER).unwrap().balance += U256::from(1);
        o
    });
    assert_eq!(verdict(&balance), Verdict::Divergent);
}
