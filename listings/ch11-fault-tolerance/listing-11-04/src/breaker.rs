//! A circuit breaker, written here to show how one works.
//!
//! A client that keeps calling a backend that has stopped answering pays a
//! full timeout on every call: its callers wait, its connections and tasks
//! pile up, and the backend, if it is trying to come back, gets every call
//! at once. A breaker watches the outcomes of the calls it passes on. After
//! too many failures it *opens* and refuses every call at once, without
//! calling the backend. After a cool-down it lets one *probe* call through
//! (*half-open*): if the probe succeeds it *closes* again, if it fails it
//! opens for another cool-down.
//!
//! This one is a tower `Layer`, so it wraps any `Service`: an HTTP client,
//! a database pool, another layer. It is written to be read; in production,
//! use a maintained one (the `failsafe` crate), or let the proxy in front of
//! the backends do it: Envoy's and Linkerd's outlier detection take a failing
//! endpoint out of the balancer for a while, the same idea per endpoint.
//!
//! Time comes from `tokio::time::Instant`, so that tests run with a paused
//! clock and a cool-down passes without anyone waiting for it.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;
use tower::{Layer, Service};

// ANCHOR: config
/// When a breaker opens, and for how long.
#[derive(Clone, Copy, Debug)]
pub struct BreakerConfig {
    /// Open after this many failures in a row (0: never for this reason).
    pub consecutive_failures: u32,
    /// Or open when, among the last `window` calls, the share of failures
    /// reaches `failure_rate` (a window of 0 turns this rule off). This
    /// catches a backend that fails every other call, which never makes a
    /// long run of failures.
    pub window: usize,
    pub failure_rate: f64,
    /// How long to refuse calls before letting a probe through.
    pub cool_down: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            consecutive_failures: 5,
            window: 20,
            failure_rate: 0.5,
            cool_down: Duration::from_secs(5),
        }
    }
}
// ANCHOR_END: config

// ANCHOR: state
/// What a breaker is doing, as its users see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through; their outcomes are counted.
    Closed,
    /// Calls are refused at once, until the cool-down ends.
    Open,
    /// One probe call is in flight; every other call is refused.
    HalfOpen,
}

/// The same, with what each state needs to remember.
#[derive(Debug)]
enum State {
    Closed {
        /// Failures since the last success.
        consecutive: u32,
        /// The outcomes of the last `window` calls (`true`: failed).
        recent: VecDeque<bool>,
    },
    Open {
        until: Instant,
    },
    HalfOpen,
}
// ANCHOR_END: state

/// The error of a call through a breaker: refused by it, or the inner
/// service's own error. The two mean different things to a caller that
/// retries (Listing 11-2): `Open` is a call that was never made, certainly
/// not done, like a refused connection; `Inner` is whatever the call
/// ended in, a timeout (an unknown outcome) included.
#[derive(Debug, thiserror::Error)]
pub enum BreakerError<E> {
    #[error("circuit open: call refused without trying")]
    Open,
    #[error(transparent)]
    Inner(E),
}

/// What a call was let through as; the answer to it is news only for the
/// state that let it through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Admit {
    Call,
    Probe,
    Refuse,
}

/// The state that every clone of a breaker shares.
#[derive(Debug)]
struct Shared {
    config: BreakerConfig,
    state: State,
}

// ANCHOR: transitions
impl Shared {
    fn closed() -> State {
        State::Closed {
            consecutive: 0,
            recent: VecDeque::new(),
        }
    }

    /// Whether a call made now would be refused, without changing anything.
    fn refusing(&self, now: Instant) -> bool {
        match self.state {
            State::Closed { .. } => false,
            State::Open { until } => now < until,
            State::HalfOpen => true,
        }
    }

    /// Decides the fate of a call about to be made.
    fn admit(&mut self, now: Instant) -> Admit {
        match self.state {
            State::Closed { .. } => Admit::Call,
            State::Open { until } if now >= until => {
                // The cool-down is over: this call is the probe, and the
                // ones after it are refused until it is answered.
                self.state = State::HalfOpen;
                Admit::Probe
            }
            State::Open { .. } | State::HalfOpen => Admit::Refuse,
        }
    }

    /// Counts the outcome of a call that was let through as `admit`.
    fn record(&mut self, admit: Admit, failed: bool, now: Instant) {
        let config = self.config;
        match (&mut self.state, admit) {
            (State::HalfOpen, Admit::Probe) => {
                self.state = if failed {
                    State::Open {
                        until: now + config.cool_down,
                    }
                } else {
                    Self::closed()
                };
            }
            (
                State::Closed {
                    consecutive,
                    recent,
                },
                Admit::Call,
            ) => {
                *consecutive = if failed { *consecutive + 1 } else { 0 };
                let mut rate_exceeded = false;
                if config.window > 0 {
                    recent.push_back(failed);
                    if recent.len() > config.window {
                        recent.pop_front();
                    }
                    let failures = recent.iter().filter(|f| **f).count();
                    rate_exceeded = recent.len() == config.window
                        && failures as f64 >= config.failure_rate * config.window as f64;
                }
                let run_exceeded =
                    config.consecutive_failures > 0 && *consecutive >= config.consecutive_failures;
                if run_exceeded || rate_exceeded {
                    self.state = State::Open {
                        until: now + config.cool_down,
                    };
                }
            }
            // A call let through before the last change of state (it was
            // in flight when the breaker opened, say): its news is stale.
            _ => {}
        }
    }
}
// ANCHOR_END: transitions

/// A `Layer` that puts a breaker in front of a service. Each service it
/// wraps gets its own breaker, shared by that service's clones.
#[derive(Clone, Copy, Debug)]
pub struct CircuitBreakerLayer {
    config: BreakerConfig,
}

impl CircuitBreakerLayer {
    pub fn new(config: BreakerConfig) -> Self {
        CircuitBreakerLayer { config }
    }
}

impl<S> Layer<S> for CircuitBreakerLayer {
    type Service = CircuitBreaker<S>;

    fn layer(&self, inner: S) -> CircuitBreaker<S> {
        CircuitBreaker::new(inner, self.config)
    }
}

/// A service behind a circuit breaker. Clones share the breaker.
#[derive(Debug)]
pub struct CircuitBreaker<S> {
    inner: S,
    shared: Arc<Mutex<Shared>>,
    /// Whether `poll_ready` last found the inner service ready (it does not
    /// ask it while the breaker refuses calls).
    inner_ready: bool,
}

impl<S: Clone> Clone for CircuitBreaker<S> {
    fn clone(&self) -> Self {
        CircuitBreaker {
            inner: self.inner.clone(),
            shared: Arc::clone(&self.shared),
            // Readiness belongs to one handle, not to its clones (tower's rule).
            inner_ready: false,
        }
    }
}

impl<S> CircuitBreaker<S> {
    pub fn new(inner: S, config: BreakerConfig) -> Self {
        CircuitBreaker {
            inner,
            shared: Arc::new(Mutex::new(Shared {
                config,
                state: Shared::closed(),
            })),
            inner_ready: false,
        }
    }

    /// The state now. An open breaker whose cool-down is over still says
    /// `Open`: it turns half-open when the next call arrives.
    pub fn state(&self) -> BreakerState {
        match lock(&self.shared).state {
            State::Closed { .. } => BreakerState::Closed,
            State::Open { .. } => BreakerState::Open,
            State::HalfOpen => BreakerState::HalfOpen,
        }
    }
}

/// The lock is held only for a few lines that cannot panic, so a poisoned
/// lock still holds a consistent state: use it rather than panic.
fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

// ANCHOR: service
impl<S, Req> Service<Req> for CircuitBreaker<S>
where
    S: Service<Req>,
    S::Future: Send + 'static,
    S::Response: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = S::Response;
    type Error = BreakerError<S::Error>;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BreakerError<S::Error>>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        if lock(&self.shared).refusing(Instant::now()) {
            // The call will be refused without the inner service: do not
            // wait for it to be ready (it may never be).
            self.inner_ready = false;
            return Poll::Ready(Ok(()));
        }
        match self.inner.poll_ready(cx) {
            Poll::Ready(Ok(())) => {
                self.inner_ready = true;
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(BreakerError::Inner(e))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn call(&mut self, req: Req) -> Self::Future {
        let admit = if std::mem::take(&mut self.inner_ready) {
            lock(&self.shared).admit(Instant::now())
        } else {
            Admit::Refuse
        };
        if admit == Admit::Refuse {
            // Failing fast: no call, no timeout, no load on the backend.
            return Box::pin(std::future::ready(Err(BreakerError::Open)));
        }
        let mut outcome = Outcome {
            shared: Arc::clone(&self.shared),
            admit,
            recorded: false,
        };
        let response = self.inner.call(req);
        Box::pin(async move {
            let result = response.await;
            // A failure is an error of the inner service, which decides
            // what is one (the demonstration's client makes every status
            // but 2xx an error). The breaker judges the backend, not the
            // request: a timeout counts, although the request may have
            // been done, and so does a 503 from a backend shedding load.
            // Whether to send a request again is for a retry loop above
            // the breaker to decide; the breaker never does.
            outcome.record(result.is_err());
            result.map_err(BreakerError::Inner)
        })
    }
}
// ANCHOR_END: service

/// Reports a call's outcome to the breaker, also when the caller gives up
/// on the call (drops its future): a probe abandoned that way counts as a
/// failure, or the breaker would stay half-open, refusing everything, for
/// ever.
struct Outcome {
    shared: Arc<Mutex<Shared>>,
    admit: Admit,
    recorded: bool,
}

impl Outcome {
    fn record(&mut self, failed: bool) {
        self.recorded = true;
        lock(&self.shared).record(self.admit, failed, Instant::now());
    }
}

impl Drop for Outcome {
    fn drop(&mut self) {
        if !self.recorded && self.admit == Admit::Probe {
            self.record(true);
        }
    }
}

impl fmt::Display for BreakerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half-open",
        })
    }
}
