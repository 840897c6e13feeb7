//! The breaker's state machine, driven through its `Service` interface on
//! a paused clock: the cool-downs pass with `advance`, nobody sleeps.
//!
//! The backend is a fake that counts its calls, fails while told to, and
//! takes a (virtual) 100 ms to answer, so that a probe is in flight long
//! enough for other calls to arrive. An `unwrap` here is an assertion:
//! the call it unwraps must have succeeded.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use listing_11_04::breaker::{BreakerConfig, BreakerError, BreakerState, CircuitBreaker};
use tower::{Service, ServiceExt};

const COOL_DOWN: Duration = Duration::from_secs(10);

#[derive(Clone, Default)]
struct Backend {
    calls: Arc<AtomicUsize>,
    failing: Arc<AtomicBool>,
}

impl Backend {
    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn fail(&self, on: bool) {
        self.failing.store(on, Ordering::SeqCst);
    }
}

impl Service<()> for Backend {
    type Response = ();
    type Error = &'static str;
    type Future = Pin<Box<dyn Future<Output = Result<(), &'static str>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, (): ()) -> Self::Future {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let failing = self.failing.load(Ordering::SeqCst);
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if failing {
                Err("backend error")
            } else {
                Ok(())
            }
        })
    }
}

type Breaker = CircuitBreaker<Backend>;

/// A breaker that opens after 3 failures in a row (and, with a `window`,
/// when half of the last `window` calls failed) in front of a fresh backend.
fn breaker(window: usize) -> (Breaker, Backend) {
    let backend = Backend::default();
    let config = BreakerConfig {
        consecutive_failures: 3,
        window,
        failure_rate: 0.5,
        cool_down: COOL_DOWN,
    };
    (CircuitBreaker::new(backend.clone(), config), backend)
}

async fn call(breaker: &mut Breaker) -> Result<(), BreakerError<&'static str>> {
    breaker.ready().await?.call(()).await
}

/// Fails `n` calls, each answered by the backend.
async fn fail_calls(breaker: &mut Breaker, backend: &Backend, n: usize) {
    backend.fail(true);
    for _ in 0..n {
        assert!(matches!(call(breaker).await, Err(BreakerError::Inner(_))));
    }
}

/// Opens the breaker with 3 failures in a row.
async fn open(breaker: &mut Breaker, backend: &Backend) {
    fail_calls(breaker, backend, 3).await;
    assert_eq!(breaker.state(), BreakerState::Open);
}

#[tokio::test(start_paused = true)]
async fn opens_after_k_consecutive_failures() {
    let (mut breaker, backend) = breaker(0);
    fail_calls(&mut breaker, &backend, 2).await;
    assert_eq!(breaker.state(), BreakerState::Closed);
    fail_calls(&mut breaker, &backend, 1).await;
    assert_eq!(breaker.state(), BreakerState::Open);
}

#[tokio::test(start_paused = true)]
async fn a_success_resets_the_run_of_failures() {
    let (mut breaker, backend) = breaker(0);
    for _ in 0..5 {
        fail_calls(&mut breaker, &backend, 2).await;
        backend.fail(false);
        call(&mut breaker).await.unwrap();
    }
    assert_eq!(breaker.state(), BreakerState::Closed);
}

#[tokio::test(start_paused = true)]
async fn a_failure_rate_over_the_window_opens_it() {
    // Failing every other call never makes a run of 3, but half of a
    // window of 10 calls is the rate that opens it.
    let (mut breaker, backend) = breaker(10);
    for i in 0..10 {
        assert_eq!(breaker.state(), BreakerState::Closed, "after {i} calls");
        backend.fail(i % 2 == 0);
        let _ = call(&mut breaker).await;
    }
    assert_eq!(breaker.state(), BreakerState::Open);
}

#[tokio::test(start_paused = true)]
async fn fails_fast_while_open_without_calling_the_inner_service() {
    let (mut breaker, backend) = breaker(0);
    open(&mut breaker, &backend).await;
    let calls = backend.calls();
    let start = tokio::time::Instant::now();
    for _ in 0..100 {
        assert!(matches!(call(&mut breaker).await, Err(BreakerError::Open)));
    }
    assert_eq!(backend.calls(), calls, "the backend was called while open");
    // The backend takes 100 ms; a refusal takes no (virtual) time at all.
    assert_eq!(start.elapsed(), Duration::ZERO);
    // Still open just before the cool-down ends.
    tokio::time::advance(COOL_DOWN - Duration::from_millis(1)).await;
    assert!(matches!(call(&mut breaker).await, Err(BreakerError::Open)));
    assert_eq!(backend.calls(), calls);
}

#[tokio::test(start_paused = true)]
async fn half_open_after_the_cool_down_lets_exactly_one_probe_through() {
    let (mut breaker, backend) = breaker(0);
    open(&mut breaker, &backend).await;
    let calls = backend.calls();
    tokio::time::advance(COOL_DOWN).await;
    backend.fail(false);
    // The probe: in flight for 100 ms in a task of its own.
    let mut prober = breaker.clone();
    let probe = tokio::spawn(async move { call(&mut prober).await });
    for _ in 0..100 {
        if breaker.state() == BreakerState::HalfOpen {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(breaker.state(), BreakerState::HalfOpen);
    // Meanwhile, every other call is refused.
    for _ in 0..10 {
        assert!(matches!(call(&mut breaker).await, Err(BreakerError::Open)));
    }
    assert_eq!(backend.calls(), calls + 1, "exactly one probe");
    probe.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn closes_when_the_probe_succeeds() {
    let (mut breaker, backend) = breaker(0);
    open(&mut breaker, &backend).await;
    tokio::time::advance(COOL_DOWN).await;
    backend.fail(false);
    call(&mut breaker).await.unwrap();
    assert_eq!(breaker.state(), BreakerState::Closed);
    let calls = backend.calls();
    for _ in 0..10 {
        call(&mut breaker).await.unwrap();
    }
    assert_eq!(backend.calls(), calls + 10);
    // And it counts from zero again: two failures do not reopen it.
    fail_calls(&mut breaker, &backend, 2).await;
    assert_eq!(breaker.state(), BreakerState::Closed);
}

#[tokio::test(start_paused = true)]
async fn reopens_when_the_probe_fails() {
    let (mut breaker, backend) = breaker(0);
    open(&mut breaker, &backend).await;
    tokio::time::advance(COOL_DOWN).await;
    fail_calls(&mut breaker, &backend, 1).await;
    assert_eq!(breaker.state(), BreakerState::Open);
    // For a whole new cool-down, counted from the probe's failure.
    let calls = backend.calls();
    tokio::time::advance(COOL_DOWN - Duration::from_millis(1)).await;
    assert!(matches!(call(&mut breaker).await, Err(BreakerError::Open)));
    assert_eq!(backend.calls(), calls);
    tokio::time::advance(Duration::from_millis(1)).await;
    backend.fail(false);
    call(&mut breaker).await.unwrap();
    assert_eq!(breaker.state(), BreakerState::Closed);
}

#[tokio::test(start_paused = true)]
async fn an_abandoned_probe_counts_as_a_failure() {
    let (mut breaker, backend) = breaker(0);
    open(&mut breaker, &backend).await;
    tokio::time::advance(COOL_DOWN).await;
    // The caller gives up on the probe after 10 ms (the backend takes 100).
    let probe = tokio::time::timeout(Duration::from_millis(10), call(&mut breaker)).await;
    assert!(probe.is_err());
    assert_eq!(breaker.state(), BreakerState::Open, "not stuck half-open");
}
