//! The retry budget: the brake on how many retries a client makes in all,
//! whatever each request's own policy allows. It has a file of its own
//! because it is the one brake that outlives a request: every call to one
//! service shares it, and the retry loop in `retry` only asks it.

use std::sync::Mutex;

// ANCHOR: budget
/// A retry budget: retries may add at most `percent` % to the requests a
/// client sends to one service, plus a small `floor` of retries so that a
/// client with little traffic can still retry at all.
///
/// It is a bucket of tokens, counted in hundredths of a retry so that the
/// arithmetic is exact: every first attempt deposits `percent`, every
/// retry withdraws 100, and a retry the bucket cannot pay for is not
/// made. The bucket starts with the floor, `floor * 100`. It holds at most
/// the floor plus the deposits of `window` first attempts: what counts is
/// recent traffic, and a long calm spell does not save up a storm of
/// retries for the next outage.
///
/// The rule the tests rely on: a client that sent `n` first attempts has
/// made at most `floor + n * percent / 100` retries, whatever happened.
///
/// Finagle's `RetryBudget` and tower's `TpsBudget` (a port of it) are the
/// same idea measured in time instead of requests: deposits count for a
/// `ttl` (10 s by default) and then expire, and the floor is a rate,
/// `min_per_sec` retries per second (10 by default, on top of 20 %),
/// which comes back as time passes. Counting requests instead makes this
/// one deterministic, with no clock to drive in tests; the price is that
/// a quiet client that has spent its floor must send ten requests to earn
/// one retry. gRPC's retry throttling is a third variant: failures
/// withdraw, successes deposit, and retries stop below half the bucket.
#[derive(Debug)]
pub struct RetryBudget {
    percent: u32,
    floor: u32,
    /// In hundredths of a retry.
    balance: Mutex<u64>,
    max_balance: u64,
}

impl RetryBudget {
    pub fn new(percent: u32, floor: u32, window: u32) -> RetryBudget {
        let floor_tokens = u64::from(floor) * 100;
        RetryBudget {
            percent,
            floor,
            balance: Mutex::new(floor_tokens),
            max_balance: floor_tokens + u64::from(percent) * u64::from(window),
        }
    }

    pub fn percent(&self) -> u32 {
        self.percent
    }

    pub fn floor(&self) -> u32 {
        self.floor
    }

    /// Called once per logical request, before its first attempt.
    pub fn deposit(&self) {
        let mut balance = self.lock();
        *balance = (*balance + u64::from(self.percent)).min(self.max_balance);
    }

    /// Called before every retry: true if the budget pays for it.
    pub fn withdraw(&self) -> bool {
        let mut balance = self.lock();
        if *balance >= 100 {
            *balance -= 100;
            true
        } else {
            false
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, u64> {
        // Poisoned only if a thread panicked while holding the lock, and
        // nothing between lock and unlock above can panic.
        self.balance.lock().expect("budget lock")
    }
}
// ANCHOR_END: budget
