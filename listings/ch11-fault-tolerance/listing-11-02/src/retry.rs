//! Retries that do not make an outage worse.
//!
//! A retry helps when a failure is brief and rare: a dropped connection, a
//! server restarting. When the failure is an outage, every client that
//! retries multiplies the load on the server that is already failing, and
//! a service that retries its own calls multiplies it again at every layer.
//! So a retry here has four brakes:
//!
//! - **what** is retried: only an attempt that certainly did nothing (the
//!   connection was never made; the server answered 503 or 429), or one
//!   whose outcome is unknown (a timeout, a connection broken mid-way) when
//!   the caller says the request is idempotent;
//! - **how often**: a maximum number of attempts;
//! - **when**: exponential backoff with full jitter, capped, and never
//!   sooner than the server's `Retry-After`;
//! - **how many in all**: a retry budget, shared by every call to one
//!   service, that allows retries for only a fraction of recent requests.
//!
//! This is teaching code, written out so that each brake can be read and
//! tested. Production code uses tower's `retry::Policy` (the decision,
//! per request) with `retry::budget::TpsBudget` (the budget) and
//! `retry::backoff::ExponentialBackoff`. Two pitfalls wait there. A tower
//! retry must clone the request before sending it, and
//! `http::Request<Body>` is not `Clone`: its body is a stream that can be
//! read once, so the body must be buffered (collected into `Bytes`) to be
//! retried. And reqwest's `RequestBuilder::try_clone` returns `None` when
//! the body is a stream, so a retry loop built on it silently cannot retry
//! an upload. The loop below sidesteps both by asking the caller for a
//! closure that builds each attempt afresh.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};

/// A tiny, fast, seedable generator (SplitMix64), as in Listing 10-3: a
/// seed means the same jitter on every machine, so tests and the stored
/// run are reproducible. A program that only needs random numbers would
/// use the `rand` crate.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `[0, 1)`: the top 53 bits, as many as an `f64` holds.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

// ANCHOR: backoff
/// Exponential backoff with full jitter: before retry number `n` (0 for
/// the first retry), wait a random time between zero and
/// `min(cap, base * 2^n)`.
///
/// Without jitter, clients that failed together retry together, and the
/// server sees the same spike again at every step; "full" jitter spreads
/// them over the whole interval (see AWS's "Exponential Backoff And
/// Jitter", which measures the variants).
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Backoff {
    /// The longest wait before retry `n`: `min(cap, base * 2^n)`.
    pub fn ceiling(&self, n: u32) -> Duration {
        2u32.checked_pow(n)
            .and_then(|factor| self.base.checked_mul(factor))
            .map_or(self.cap, |d| d.min(self.cap))
    }

    /// The wait before retry `n`, given `unit`, a random number in
    /// `[0, 1)`.
    pub fn delay(&self, n: u32, unit: f64) -> Duration {
        self.ceiling(n).mul_f64(unit.clamp(0.0, 1.0))
    }
}
// ANCHOR_END: backoff

// ANCHOR: retry_after
/// The server's `Retry-After`, when it is a number of seconds. The header
/// may also hold an HTTP date; this listing ignores that form (a date
/// needs the two machines' clocks to agree) and falls back to backoff.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}
// ANCHOR_END: retry_after

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

/// How often, and how patiently, to retry.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// Attempts in all, the first one included.
    pub max_attempts: u32,
    pub backoff: Backoff,
    /// A `Retry-After` longer than this is not waited for: the request
    /// fails now, with the server's answer, rather than much later.
    pub max_retry_after: Duration,
}

/// Whether the caller allows a request to be executed more than once.
/// GET, PUT and DELETE are idempotent by HTTP's definition; a POST is when
/// it carries an idempotency key (Listing 11-3). Only the caller knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Idempotency {
    Idempotent,
    NotIdempotent,
}

/// What one attempt came to, as far as retrying is concerned.
#[derive(Debug)]
pub enum Attempt<T, E> {
    /// An answer to hand back as it is: a success, or a failure that
    /// asking again will not change (404, 500, 502, 504...).
    Answer(T),
    /// The server refused without doing anything (503, 429), perhaps
    /// saying how long to wait. Safe to retry.
    Refused(T, Option<Duration>),
    /// The request never reached the server (the connection was not
    /// made). Safe to retry.
    NotSent(E),
    /// The request may or may not have been executed (a timeout, a
    /// connection broken after the request was sent). Retried only when
    /// it is idempotent.
    Unknown(E),
}

/// Why the loop stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    Answered,
    OutOfAttempts,
    OutOfBudget,
    NotIdempotent,
    RetryAfterTooLong,
}

/// The last attempt's result, with how it got there.
#[derive(Debug)]
pub struct Retried<T, E> {
    pub result: Result<T, E>,
    pub attempts: u32,
    pub stop: Stop,
}

// ANCHOR: classify
/// How a reqwest call's result counts for retrying.
pub fn classify(
    result: Result<reqwest::Response, reqwest::Error>,
) -> Attempt<reqwest::Response, reqwest::Error> {
    use reqwest::StatusCode;
    match result {
        Ok(r)
            if r.status() == StatusCode::SERVICE_UNAVAILABLE
                || r.status() == StatusCode::TOO_MANY_REQUESTS =>
        {
            let wait = retry_after(r.headers());
            Attempt::Refused(r, wait)
        }
        // 502 and 504 come from a gateway that has already tried (and
        // perhaps retried) the request: retrying on top of it is exactly
        // the amplification this listing measures.
        Ok(r) => Attempt::Answer(r),
        // No connection, so no request: checked first, because a connect
        // timeout is both a connect error and a timeout.
        Err(e) if e.is_connect() => Attempt::NotSent(e),
        Err(e) => Attempt::Unknown(e),
    }
}
// ANCHOR_END: classify

/// A retrying caller of one service: its policy, its budget (shared by
/// every request to that service), and the jitter's random numbers.
#[derive(Debug)]
pub struct Retry {
    pub policy: Policy,
    budget: Option<RetryBudget>,
    rng: Mutex<Rng>,
}

impl Retry {
    pub fn new(policy: Policy, budget: Option<RetryBudget>, seed: u64) -> Retry {
        Retry {
            policy,
            budget,
            rng: Mutex::new(Rng::new(seed)),
        }
    }

    pub fn budget(&self) -> Option<&RetryBudget> {
        self.budget.as_ref()
    }

    fn random(&self) -> f64 {
        // Poisoned only if `next_f64` panicked, and it cannot.
        self.rng.lock().expect("rng lock").next_f64()
    }

    // ANCHOR: run
    /// Runs `attempt` (given the attempt's number, from 1) until it
    /// answers, or a brake stops it; returns the last attempt's result.
    /// `attempt` builds its request afresh each time: see the top of this
    /// file for why a request cannot simply be sent twice.
    pub async fn run<T, E, F, Fut>(&self, idempotency: Idempotency, mut attempt: F) -> Retried<T, E>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Attempt<T, E>>,
    {
        if let Some(budget) = &self.budget {
            budget.deposit();
        }
        let mut attempts = 0;
        loop {
            attempts += 1;
            let (result, wait_at_least) = match attempt(attempts).await {
                Attempt::Answer(answer) => {
                    return Retried {
                        result: Ok(answer),
                        attempts,
                        stop: Stop::Answered,
                    };
                }
                Attempt::Refused(answer, retry_after) => (Ok(answer), retry_after),
                Attempt::NotSent(error) => (Err(error), None),
                Attempt::Unknown(error) if idempotency == Idempotency::Idempotent => {
                    (Err(error), None)
                }
                Attempt::Unknown(error) => {
                    return Retried {
                        result: Err(error),
                        attempts,
                        stop: Stop::NotIdempotent,
                    };
                }
            };
            // The budget last, so that none is spent on a retry that
            // would not be made anyway.
            let stop = if attempts >= self.policy.max_attempts {
                Some(Stop::OutOfAttempts)
            } else if wait_at_least.is_some_and(|w| w > self.policy.max_retry_after) {
                Some(Stop::RetryAfterTooLong)
            } else if self.budget.as_ref().is_some_and(|b| !b.withdraw()) {
                Some(Stop::OutOfBudget)
            } else {
                None
            };
            if let Some(stop) = stop {
                return Retried {
                    result,
                    attempts,
                    stop,
                };
            }
            // An unread response holds on to its connection: let it go
            // before waiting.
            drop(result);
            let jittered = self.policy.backoff.delay(attempts - 1, self.random());
            tokio::time::sleep(jittered.max(wait_at_least.unwrap_or_default())).await;
        }
    }
    // ANCHOR_END: run
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use tokio::time::Instant;

    const MS: Duration = Duration::from_millis(1);

    fn policy(max_attempts: u32) -> Policy {
        Policy {
            max_attempts,
            backoff: Backoff {
                base: 100 * MS,
                cap: 1000 * MS,
            },
            max_retry_after: Duration::from_secs(10),
        }
    }

    /// An attempt function that plays a script of outcomes, and counts
    /// how many it was asked for.
    fn script(
        outcomes: Vec<Attempt<u16, &'static str>>,
    ) -> impl FnMut(u32) -> std::future::Ready<Attempt<u16, &'static str>> {
        let mut outcomes = VecDeque::from(outcomes);
        move |_| {
            // The tests give each script enough outcomes for the attempts
            // the policy allows; running out is a bug in the test.
            std::future::ready(outcomes.pop_front().expect("script too short"))
        }
    }

    #[test]
    fn backoff_doubles_then_stops_at_the_cap() {
        let b = Backoff {
            base: 100 * MS,
            cap: 1000 * MS,
        };
        let ceilings: Vec<_> = (0..6).map(|n| b.ceiling(n).as_millis()).collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1000, 1000]);
        // No overflow, however many retries.
        assert_eq!(b.ceiling(200), 1000 * MS);
    }

    #[test]
    fn full_jitter_stays_between_zero_and_the_ceiling() {
        let b = Backoff {
            base: 100 * MS,
            cap: 1000 * MS,
        };
        let mut rng = Rng::new(7);
        for n in 0..6 {
            let delays: Vec<Duration> = (0..1000).map(|_| b.delay(n, rng.next_f64())).collect();
            let ceiling = b.ceiling(n);
            assert!(delays.iter().all(|&d| d <= ceiling));
            // Spread over the whole interval, not bunched at one end.
            assert!(delays.iter().any(|&d| d < ceiling / 10));
            assert!(delays.iter().any(|&d| d > ceiling * 9 / 10));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retries_wait_the_jittered_backoff_and_stop_after_max_attempts() {
        let retry = Retry::new(policy(4), None, 42);
        let started = Instant::now();
        let outcome = retry
            .run(
                Idempotency::Idempotent,
                script((0..4).map(|_| Attempt::Refused(503, None)).collect()),
            )
            .await;
        assert_eq!((outcome.attempts, outcome.stop), (4, Stop::OutOfAttempts));
        assert_eq!(outcome.result, Ok(503), "the last answer is handed back");
        // Time is paused: it moved by the three jittered waits, which the
        // same seed reproduces.
        let mut rng = Rng::new(42);
        let expected: Duration = (0..3)
            .map(|n| retry.policy.backoff.delay(n, rng.next_f64()))
            .sum();
        // (Tokio's timer counts whole milliseconds and rounds each wait
        // up: at most 1 ms more per wait.)
        let elapsed = started.elapsed();
        assert!(
            expected <= elapsed && elapsed <= expected + 3 * MS,
            "{elapsed:?} {expected:?}"
        );
        assert!(expected < (100 + 200 + 400) * MS);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_honoured() {
        let retry = Retry::new(policy(3), None, 1);
        let started = Instant::now();
        let outcome = retry
            .run(
                Idempotency::Idempotent,
                script(vec![
                    Attempt::Refused(503, Some(Duration::from_secs(3))),
                    Attempt::Answer(200),
                ]),
            )
            .await;
        assert_eq!((outcome.result, outcome.attempts), (Ok(200), 2));
        // The backoff alone would have waited under 100 ms.
        assert_eq!(started.elapsed(), Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_after_too_long_is_not_waited_for() {
        let retry = Retry::new(policy(3), None, 1);
        let started = Instant::now();
        let outcome = retry
            .run(
                Idempotency::Idempotent,
                script(vec![Attempt::Refused(429, Some(Duration::from_secs(3600)))]),
            )
            .await;
        assert_eq!(
            (outcome.attempts, outcome.stop),
            (1, Stop::RetryAfterTooLong)
        );
        assert_eq!(outcome.result, Ok(429));
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[test]
    fn retry_after_is_read_in_seconds_only() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        for (value, expected) in [
            (" 120 ", Some(Duration::from_secs(120))),
            ("0", Some(Duration::ZERO)),
            ("-5", None),
            ("Wed, 21 Oct 2015 07:28:00 GMT", None),
        ] {
            headers.insert(RETRY_AFTER, value.parse().expect("a valid header value"));
            assert_eq!(retry_after(&headers), expected, "{value:?}");
        }
    }

    #[test]
    fn the_budget_refuses_when_spent_and_refills_with_new_requests() {
        let budget = RetryBudget::new(10, 2, 100);
        // The floor: two retries before any traffic.
        assert!(budget.withdraw());
        assert!(budget.withdraw());
        assert!(!budget.withdraw());
        // 10 % of first attempts: nine requests do not earn a retry...
        for _ in 0..9 {
            budget.deposit();
        }
        assert!(!budget.withdraw());
        // ...the tenth does, and only one.
        budget.deposit();
        assert!(budget.withdraw());
        assert!(!budget.withdraw());
    }

    #[test]
    fn a_calm_spell_does_not_save_up_a_storm_of_retries() {
        let budget = RetryBudget::new(10, 2, 100);
        for _ in 0..100_000 {
            budget.deposit();
        }
        // At most the floor plus 10 % of the last 100 requests.
        let allowed = std::iter::from_fn(|| budget.withdraw().then_some(()))
            .take(1000)
            .count();
        assert_eq!(allowed, 2 + 10);
    }

    #[tokio::test(start_paused = true)]
    async fn the_budget_stops_the_retry_loop() {
        let retry = Retry::new(policy(3), Some(RetryBudget::new(10, 1, 100)), 1);
        let refused = || script((0..3).map(|_| Attempt::Refused(503, None)).collect());
        // The first request deposits 10 and spends the floor's one retry.
        let first = retry.run(Idempotency::Idempotent, refused()).await;
        assert_eq!((first.attempts, first.stop), (2, Stop::OutOfBudget));
        // Eight more requests make 90 hundredths: not yet a retry each.
        for _ in 0..8 {
            let next = retry.run(Idempotency::Idempotent, refused()).await;
            assert_eq!((next.attempts, next.stop), (1, Stop::OutOfBudget));
        }
        // The tenth request's deposit pays for one retry.
        let tenth = retry.run(Idempotency::Idempotent, refused()).await;
        assert_eq!((tenth.attempts, tenth.stop), (2, Stop::OutOfBudget));
    }

    #[tokio::test(start_paused = true)]
    async fn a_timeout_is_retried_only_when_the_request_is_idempotent() {
        let retry = Retry::new(policy(3), None, 1);
        let timeouts = || script((0..3).map(|_| Attempt::Unknown("timed out")).collect());
        let once = retry.run(Idempotency::NotIdempotent, timeouts()).await;
        assert_eq!((once.attempts, once.stop), (1, Stop::NotIdempotent));
        assert_eq!(once.result, Err("timed out"));
        let again = retry.run(Idempotency::Idempotent, timeouts()).await;
        assert_eq!((again.attempts, again.stop), (3, Stop::OutOfAttempts));
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_never_sent_is_retried_even_when_not_idempotent() {
        let retry = Retry::new(policy(3), None, 1);
        let outcome = retry
            .run(
                Idempotency::NotIdempotent,
                script(vec![
                    Attempt::NotSent("connection refused"),
                    Attempt::Answer(201),
                ]),
            )
            .await;
        assert_eq!(
            (outcome.result, outcome.attempts, outcome.stop),
            (Ok(201), 2, Stop::Answered)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_is_not_retried() {
        let retry = Retry::new(policy(3), None, 1);
        let outcome = retry
            .run(Idempotency::Idempotent, script(vec![Attempt::Answer(500)]))
            .await;
        assert_eq!(
            (outcome.result, outcome.attempts, outcome.stop),
            (Ok(500), 1, Stop::Answered)
        );
    }
}
