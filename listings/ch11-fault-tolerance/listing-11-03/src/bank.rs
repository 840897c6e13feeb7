//! The bank as a protocol core, with no I/O: accounts, transfers, and the
//! table of idempotency keys that makes a transfer safe to send again.
//!
//! A client that sends a transfer and hears nothing back cannot know
//! whether it happened (Chapter 10, "Histories"). If it sends it again, the
//! server must recognise the second copy: the client names each logical
//! operation with a key of its choosing, and the server remembers, for
//! each key, the request it came with and the response it got. A repeat
//! gets the recorded response and changes nothing. A copy that arrives
//! while the first is still being applied must not be applied as well: the
//! table claims a new key in the same step that finds it new.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

// ANCHOR: types
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Transfer {
    pub from: String,
    pub to: String,
    pub amount: u64,
}

/// What a transfer got, recorded with its key and replayed to repeats.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Reply {
    Applied { from_balance: u64, to_balance: u64 },
    InsufficientFunds { balance: u64 },
    NoSuchAccount { account: String },
}

/// A key's entry: the request it was first used with, and its reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    pub transfer: Transfer,
    pub reply: Reply,
    /// Seconds since the Unix epoch when it was recorded; keys expire.
    pub at: u64,
}

/// What the table says about a key that arrives with a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Seen {
    /// Never seen (or expired), and now claimed: apply the request.
    New,
    /// Claimed by a copy that is being applied: refuse this one for now.
    InProgress,
    /// The same request again: answer with the recorded reply.
    Repeat(Reply),
    /// The key was used for a different request: a client bug, refused.
    Mismatch(Transfer),
}
// ANCHOR_END: types

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bank {
    pub balances: BTreeMap<String, u64>,
    pub keys: HashMap<String, Recorded>,
    /// Keys claimed by a request that is being applied, not yet recorded.
    pub claimed: HashSet<String>,
}

// ANCHOR: bank
impl Bank {
    pub fn new(accounts: &[(&str, u64)]) -> Bank {
        Bank {
            balances: accounts.iter().map(|(a, b)| (a.to_string(), *b)).collect(),
            keys: HashMap::new(),
            claimed: HashSet::new(),
        }
    }

    /// Looks `key` up and, if it is new, claims it, in one step: two
    /// copies of a request that look it up in turn cannot both find it
    /// new. The claim ends when `apply` records the reply, or `release`.
    pub fn claim(&mut self, key: &str, transfer: &Transfer) -> Seen {
        if self.claimed.contains(key) {
            return Seen::InProgress;
        }
        match self.keys.get(key) {
            None => {
                self.claimed.insert(key.to_string());
                Seen::New
            }
            Some(r) if r.transfer == *transfer => Seen::Repeat(r.reply.clone()),
            Some(r) => Seen::Mismatch(r.transfer.clone()),
        }
    }

    /// Ends a claim: after `apply`, nothing changes; without it (the log
    /// write failed, the client left), a retry may apply the transfer.
    pub fn release(&mut self, key: &str) {
        self.claimed.remove(key);
    }

    /// Applies a transfer, and records its reply under `key` if there is
    /// one, which ends the key's claim. The node writes the same (key,
    /// transfer) to its log before it answers, and replays the log
    /// through here on restart.
    pub fn apply(&mut self, key: Option<&str>, transfer: &Transfer, at: u64) -> Reply {
        let reply = self.move_money(transfer);
        if let Some(key) = key {
            self.claimed.remove(key);
            let recorded = Recorded {
                transfer: transfer.clone(),
                reply: reply.clone(),
                at,
            };
            self.keys.insert(key.to_string(), recorded);
        }
        reply
    }

    fn move_money(&mut self, t: &Transfer) -> Reply {
        for account in [&t.from, &t.to] {
            if !self.balances.contains_key(account) {
                return Reply::NoSuchAccount {
                    account: account.clone(),
                };
            }
        }
        let from = self.balances[&t.from];
        if from < t.amount {
            return Reply::InsufficientFunds { balance: from };
        }
        *self.balances.get_mut(&t.from).expect("checked above") -= t.amount;
        *self.balances.get_mut(&t.to).expect("checked above") += t.amount;
        Reply::Applied {
            from_balance: self.balances[&t.from],
            to_balance: self.balances[&t.to],
        }
    }

    /// Forgets keys older than `ttl` seconds: a client that retries later
    /// than that has its repeat applied again. The node documents its TTL.
    pub fn expire(&mut self, now: u64, ttl: u64) {
        self.keys.retain(|_, r| now.saturating_sub(r.at) < ttl);
    }
}
// ANCHOR_END: bank

#[cfg(test)]
mod tests {
    use super::*;

    fn t(amount: u64) -> Transfer {
        Transfer {
            from: "alice".into(),
            to: "bob".into(),
            amount,
        }
    }

    #[test]
    fn a_repeat_is_answered_from_the_table_and_changes_nothing() {
        let mut bank = Bank::new(&[("alice", 100), ("bob", 0)]);
        assert_eq!(bank.claim("k1", &t(30)), Seen::New);
        let reply = bank.apply(Some("k1"), &t(30), 0);
        assert_eq!(bank.claim("k1", &t(30)), Seen::Repeat(reply));
        assert_eq!(bank.claim("k1", &t(31)), Seen::Mismatch(t(30)));
        assert_eq!(bank.balances["alice"], 70);
    }

    #[test]
    fn a_claimed_key_is_in_progress_until_applied_or_released() {
        let mut bank = Bank::new(&[("alice", 100), ("bob", 0)]);
        assert_eq!(bank.claim("k1", &t(30)), Seen::New);
        assert_eq!(bank.claim("k1", &t(30)), Seen::InProgress);
        bank.release("k1");
        assert_eq!(bank.claim("k1", &t(30)), Seen::New);
        let reply = bank.apply(Some("k1"), &t(30), 0);
        assert_eq!(bank.claim("k1", &t(30)), Seen::Repeat(reply));
    }

    #[test]
    fn keys_expire() {
        let mut bank = Bank::new(&[("alice", 100), ("bob", 0)]);
        bank.apply(Some("k1"), &t(1), 100);
        bank.expire(100 + 86_399, 86_400);
        assert!(bank.keys.contains_key("k1"));
        bank.expire(100 + 86_400, 86_400);
        assert_eq!(bank.claim("k1", &t(1)), Seen::New);
    }

    #[test]
    fn refusals_are_replies_too() {
        let mut bank = Bank::new(&[("alice", 10), ("bob", 0)]);
        assert_eq!(
            bank.apply(Some("k"), &t(11), 0),
            Reply::InsufficientFunds { balance: 10 }
        );
        let ghost = Transfer {
            from: "alice".into(),
            to: "eve".into(),
            amount: 1,
        };
        assert_eq!(
            bank.apply(None, &ghost, 0),
            Reply::NoSuchAccount {
                account: "eve".into()
            }
        );
    }
}
