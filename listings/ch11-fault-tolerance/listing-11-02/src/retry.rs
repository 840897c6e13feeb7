//! Retries that do not make an outage worse.
//!
//! A retry helps when a failure is brief and rare: a dropped connection, a
//! server restarting. When the failure is an outage, every client that
//! retries multiplies the load on the server that is already failing, and
//! a service that retries its own calls multiplies it again at every layer.
//! So a retry here has four brakes:
//!
//! - **what** is retried: an attempt that certainly did nothing (the
//!   connection was never made; the server refused before doing any work
//!   and said so, with 429, or 503 and `Retry-After`), whatever the
//!   request; an attempt whose outcome is unknown (a timeout, a connection
//!   broken mid-way, a 504, a 503 that does not say it did nothing) only
//!   when the caller says the request is idempotent;
//! - **how often**: a maximum number of attempts;
//! - **when**: exponential backoff with full jitter, capped, and never
//!   sooner than the server's `Retry-After`;
//! - **how many in all**: a retry budget (in `budget`), shared by every
//!   call to one service, that allows retries for only a fraction of
//!   recent requests.
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
//!
//! The tests are in `tests/retry.rs` (the loop, on a paused clock) and
//! `tests/outcomes.rs` (what real answers and errors count as).

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::budget::RetryBudget;

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

// ANCHOR: attempt
/// What one attempt came to, as far as retrying is concerned: done,
/// certainly not done, or unknown.
#[derive(Debug)]
pub enum Attempt<T, E> {
    /// Done: the server answered, and asking again will not change the
    /// answer (a success; 400, 404, 409; 500, 502). Handed back as it is.
    Done(T),
    /// Certainly not done: the request never reached the server (the
    /// connection was not made), or the server refused it before doing
    /// any work, perhaps saying how long to wait. Retried, whatever the
    /// request.
    NotDone(Result<T, E>, Option<Duration>),
    /// Unknown: the request may or may not have been carried out (a
    /// timeout, a connection broken after the request was sent, a server
    /// whose handler overran). Retried only when it is idempotent.
    Unknown(Result<T, E>),
}
// ANCHOR_END: attempt

/// Why the loop stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The attempt was done: its answer is the result.
    Answered,
    OutOfAttempts,
    OutOfBudget,
    /// The outcome was unknown and the request is not idempotent.
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
/// How a reqwest call's result counts for retrying. A status says "not
/// done" only when it says that no work was started: 429 (a rate limit
/// refuses before the work), or 503 with `Retry-After` (a server shedding
/// load, as Listing 10-1's `serve` does). A 504 is a handler or a gateway
/// that gave up waiting, perhaps after the work was done; so is a 503
/// without `Retry-After`, from a server that answers a timeout with 503.
pub fn classify(
    result: Result<reqwest::Response, reqwest::Error>,
) -> Attempt<reqwest::Response, reqwest::Error> {
    use reqwest::StatusCode;
    match result {
        Ok(r)
            if r.status() == StatusCode::TOO_MANY_REQUESTS
                || (r.status() == StatusCode::SERVICE_UNAVAILABLE
                    && r.headers().contains_key(RETRY_AFTER)) =>
        {
            let wait = retry_after(r.headers());
            Attempt::NotDone(Ok(r), wait)
        }
        Ok(r)
            if r.status() == StatusCode::SERVICE_UNAVAILABLE
                || r.status() == StatusCode::GATEWAY_TIMEOUT =>
        {
            Attempt::Unknown(Ok(r))
        }
        // A 502 comes from a gateway that has already tried (and perhaps
        // retried) the request: retrying on top of it is exactly the
        // amplification this listing measures.
        Ok(r) => Attempt::Done(r),
        // No connection, so no request: checked first, because a connect
        // timeout is both a connect error and a timeout.
        Err(e) if e.is_connect() => Attempt::NotDone(Err(e), None),
        Err(e) => Attempt::Unknown(Err(e)),
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
                Attempt::Done(answer) => {
                    return Retried {
                        result: Ok(answer),
                        attempts,
                        stop: Stop::Answered,
                    };
                }
                Attempt::NotDone(result, retry_after) => (result, retry_after),
                Attempt::Unknown(result) if idempotency == Idempotency::Idempotent => {
                    (result, None)
                }
                // Perhaps done: a second copy could do it twice.
                Attempt::Unknown(result) => {
                    return Retried {
                        result,
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
