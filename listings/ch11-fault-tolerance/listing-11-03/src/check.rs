//! The exactly-once checker, reading a history and the final balances.
//!
//! Each logical transfer carries a key in the history (the client's name
//! for it, sent or not), and may have been attempted several times. If any
//! attempt was acknowledged, the transfer must have taken effect exactly
//! once; if every attempt's outcome is unknown, at most once; if every
//! attempt certainly failed, never. The balances then must lie in the
//! range those rules allow: a transfer applied twice takes the payer's
//! balance below it.

use std::collections::BTreeMap;

use crate::history::{Event, F, Type};

#[derive(Debug, PartialEq)]
pub struct Report {
    pub transfers: usize,
    /// What the payer must have paid, at least and at most.
    pub paid: (u64, u64),
    pub paid_really: u64,
}

// ANCHOR: violation
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum Violation {
    #[error(
        "{payer} paid {really}; the acknowledged transfers add up to {least}, \
         the unknown ones to {}: {} too much, charged twice",
        most - least,
        really - most
    )]
    ChargedTwice {
        payer: String,
        really: u64,
        least: u64,
        most: u64,
    },
    #[error("{payer} paid {really}, less than the {least} acknowledged: a transfer was lost")]
    Lost {
        payer: String,
        really: u64,
        least: u64,
    },
    #[error("money appeared or vanished: {before} in all before, {after} after")]
    NotConserved { before: u64, after: u64 },
}
// ANCHOR_END: violation

/// `initial` and `last` are the balances before and after; every transfer
/// in the history goes from `payer` to another account.
pub fn check_transfers(
    history: &[Event],
    payer: &str,
    initial: &BTreeMap<String, u64>,
    last: &BTreeMap<String, u64>,
) -> Result<Report, Violation> {
    // Per logical transfer: its amount, and the best outcome of its attempts.
    let mut ops: BTreeMap<&str, (u64, Option<Type>)> = BTreeMap::new();
    for e in history.iter().filter(|e| e.f == F::Transfer) {
        let key = e.key.as_deref().unwrap_or_default();
        let entry = ops.entry(key).or_insert((0, None));
        match e.kind {
            Type::Invoke => entry.0 = e.value["amount"].as_u64().unwrap_or(0),
            Type::Ok => entry.1 = Some(Type::Ok),
            Type::Info if entry.1 != Some(Type::Ok) => entry.1 = Some(Type::Info),
            Type::Fail if entry.1.is_none() => entry.1 = Some(Type::Fail),
            _ => {}
        }
    }
    let sum = |kind: Type| -> u64 {
        ops.values()
            .filter(|(_, k)| *k == Some(kind))
            .map(|(a, _)| a)
            .sum()
    };
    let (least, unknown) = (sum(Type::Ok), sum(Type::Info));
    let most = least + unknown;
    let (before, after): (u64, u64) = (initial.values().sum(), last.values().sum());
    if before != after {
        return Err(Violation::NotConserved { before, after });
    }
    let really = initial[payer].saturating_sub(last[payer]);
    let payer = payer.to_string();
    if really > most {
        return Err(Violation::ChargedTwice {
            payer,
            really,
            least,
            most,
        });
    }
    if really < least {
        return Err(Violation::Lost {
            payer,
            really,
            least,
        });
    }
    Ok(Report {
        transfers: ops.len(),
        paid: (least, most),
        paid_really: really,
    })
}
