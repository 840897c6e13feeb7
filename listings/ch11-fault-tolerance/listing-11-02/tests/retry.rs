//! The retry loop and its brakes, on a paused clock: the backoff's waits
//! and the servers' `Retry-After` pass without anyone waiting for them,
//! and a test that checks how long the loop waited reads tokio's virtual
//! time, which moves only by the sleeps the loop makes. The attempts are
//! scripted: each test says what every attempt comes to (done, certainly
//! not done, or unknown) and checks what the loop does with it.

use std::collections::VecDeque;
use std::time::Duration;

use listing_11_02::budget::RetryBudget;
use listing_11_02::retry::{Attempt, Backoff, Idempotency, Policy, Retry, Rng, Stop, retry_after};
use reqwest::header::{HeaderMap, RETRY_AFTER};
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

/// An attempt function that plays a script of outcomes, one per attempt.
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
            script((0..4).map(|_| Attempt::NotDone(Ok(503), None)).collect()),
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
                Attempt::NotDone(Ok(503), Some(Duration::from_secs(3))),
                Attempt::Done(200),
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
            script(vec![Attempt::NotDone(
                Ok(429),
                Some(Duration::from_secs(3600)),
            )]),
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
    let refused = || script((0..3).map(|_| Attempt::NotDone(Ok(503), None)).collect());
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
    let timeouts = || script((0..3).map(|_| Attempt::Unknown(Err("timed out"))).collect());
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
                Attempt::NotDone(Err("connection refused"), None),
                Attempt::Done(201),
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
        .run(Idempotency::Idempotent, script(vec![Attempt::Done(500)]))
        .await;
    assert_eq!(
        (outcome.result, outcome.attempts, outcome.stop),
        (Ok(500), 1, Stop::Answered)
    );
}

#[tokio::test(start_paused = true)]
async fn an_unknown_answer_is_retried_only_when_the_request_is_idempotent() {
    // A 504: the handler overran its deadline, perhaps after doing its work.
    let retry = Retry::new(policy(3), None, 1);
    let overruns = || script((0..3).map(|_| Attempt::Unknown(Ok(504))).collect());
    let once = retry.run(Idempotency::NotIdempotent, overruns()).await;
    assert_eq!((once.attempts, once.stop), (1, Stop::NotIdempotent));
    assert_eq!(once.result, Ok(504), "the answer is handed back");
    let again = retry.run(Idempotency::Idempotent, overruns()).await;
    assert_eq!((again.attempts, again.stop), (3, Stop::OutOfAttempts));
}

#[tokio::test(start_paused = true)]
async fn a_refusal_before_any_work_is_retried_even_when_not_idempotent() {
    // A 503 with `Retry-After`: shed before the handler ran.
    let retry = Retry::new(policy(3), None, 1);
    let started = Instant::now();
    let outcome = retry
        .run(
            Idempotency::NotIdempotent,
            script(vec![
                Attempt::NotDone(Ok(503), Some(Duration::from_secs(2))),
                Attempt::Done(201),
            ]),
        )
        .await;
    assert_eq!(
        (outcome.result, outcome.attempts, outcome.stop),
        (Ok(201), 2, Stop::Answered)
    );
    // It came back when the server said, not sooner.
    assert_eq!(started.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn an_unknown_outcome_ends_the_retries_of_a_request_that_is_not_idempotent() {
    // Refused first (safe to retry), then timed out (perhaps done): the
    // loop stops there rather than risk doing it twice.
    let retry = Retry::new(policy(4), None, 1);
    let outcome = retry
        .run(
            Idempotency::NotIdempotent,
            script(vec![
                Attempt::NotDone(Err("connection refused"), None),
                Attempt::Unknown(Err("timed out")),
            ]),
        )
        .await;
    assert_eq!(
        (outcome.result, outcome.attempts, outcome.stop),
        (Err("timed out"), 2, Stop::NotIdempotent)
    );
}
