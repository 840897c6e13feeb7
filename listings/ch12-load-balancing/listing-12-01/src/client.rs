//! The `Picker` inside an HTTP client: every call picks a replica, and a
//! call that failed may go to another one.
//!
//! Which failures may be sent elsewhere is the lesson of chapter 11. A
//! refused connection is always safe to retry: the request never left. So
//! is a request that the replica shed, answering 503 with `Retry-After`
//! before doing any work (Listing 10-1's `serve`). A timeout, a connection
//! cut in the middle, or a 5xx that does not say it did nothing (a 504
//! from a handler that overran, say) is an unknown outcome: the replica
//! may have done the work, so only an idempotent request (a read, or a
//! write with an idempotency key as in Listing 11-3) goes elsewhere.
//! Each replica is tried at most once per call, so a call is bounded by
//! the number of replicas times the request timeout.

use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use reqwest::header::RETRY_AFTER;
use reqwest::{Method, StatusCode};

use crate::pick::{Picker, Settings, Strategy};

pub struct Balancer {
    urls: Vec<String>,
    /// A std mutex: it is never held across an `.await`.
    picker: Mutex<Picker>,
    http: reqwest::Client,
    /// The origin of the picker's time.
    start: Instant,
}

/// A call that succeeded: who answered, after how many attempts.
#[derive(Debug)]
pub struct Answer {
    /// 0-based index of the replica that answered.
    pub replica: usize,
    pub attempts: usize,
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("no replica is available")]
    NoReplica,
    #[error("replica {replica} answered {status}")]
    Status { replica: usize, status: u16 },
    #[error("replica {replica} gave no complete answer; the request may have been done")]
    Unknown { replica: usize },
}

/// How one attempt ended, as the client sees it.
enum Attempt {
    Answered(String),
    Status(u16),
    /// The connection was refused: nothing was sent.
    Refused,
    /// A 503 with `Retry-After`: refused before any work was done.
    Shed,
    Unknown,
}

impl Balancer {
    pub fn new(urls: Vec<String>, strategy: Strategy, settings: Settings, seed: u64) -> Balancer {
        Balancer {
            picker: Mutex::new(Picker::new(strategy, urls.len(), settings, seed)),
            urls,
            http: reqwest::Client::builder()
                .connect_timeout(Duration::from_millis(200))
                .timeout(Duration::from_secs(1))
                .build()
                .expect("a client with timeouts builds"),
            start: Instant::now(),
        }
    }

    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    fn picker(&self) -> std::sync::MutexGuard<'_, Picker> {
        // Poisoned only if a thread panicked while picking, a bug.
        self.picker
            .lock()
            .expect("the picker's lock is not poisoned")
    }

    // ANCHOR: call
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        idempotent: bool,
    ) -> Result<Answer, CallError> {
        let mut tried = Vec::new();
        let mut last = CallError::NoReplica;
        while tried.len() < self.urls.len() {
            let Some(replica) = self.picker().pick(self.now(), &tried) else {
                break;
            };
            tried.push(replica);
            let sent = Instant::now();
            let attempt = self.attempt(method.clone(), replica, path).await;
            // A 4xx is the request's fault, not the replica's.
            let replica_ok = match attempt {
                Attempt::Answered(_) => true,
                Attempt::Status(status) => status < 500,
                Attempt::Refused | Attempt::Shed | Attempt::Unknown => false,
            };
            self.picker()
                .finished(replica, sent.elapsed(), replica_ok, self.now());
            last = match attempt {
                Attempt::Answered(body) => {
                    return Ok(Answer {
                        replica,
                        attempts: tried.len(),
                        body,
                    });
                }
                Attempt::Status(status) if status < 500 => {
                    return Err(CallError::Status { replica, status });
                }
                // Nothing was done: another replica, whatever the request.
                Attempt::Refused => CallError::NoReplica,
                Attempt::Shed => CallError::Status {
                    replica,
                    status: 503,
                },
                // It may have happened: another replica only if harmless.
                Attempt::Status(status) if idempotent => CallError::Status { replica, status },
                Attempt::Unknown if idempotent => CallError::Unknown { replica },
                Attempt::Status(status) => return Err(CallError::Status { replica, status }),
                Attempt::Unknown => return Err(CallError::Unknown { replica }),
            };
        }
        Err(last)
    }
    // ANCHOR_END: call

    async fn attempt(&self, method: Method, replica: usize, path: &str) -> Attempt {
        let url = format!("{}{path}", self.urls[replica]);
        match self.http.request(method, url).send().await {
            Err(e) if e.is_connect() => Attempt::Refused,
            Err(_) => Attempt::Unknown,
            Ok(r)
                if r.status() == StatusCode::SERVICE_UNAVAILABLE
                    && r.headers().contains_key(RETRY_AFTER) =>
            {
                Attempt::Shed
            }
            Ok(r) if !r.status().is_success() => Attempt::Status(r.status().as_u16()),
            Ok(r) => match read_capped(r, 64 * 1024).await {
                Some(body) => Attempt::Answered(body),
                None => Attempt::Unknown,
            },
        }
    }

    /// Asks every replica's `/ready` every `every` until the balancer is
    /// dropped; a replica that does not say 200 leaves the set.
    pub fn watch_readiness(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let balancer: Weak<Balancer> = Arc::downgrade(self);
        tokio::spawn(async move {
            let probe = reqwest::Client::builder()
                .timeout(Duration::from_millis(200))
                .build()
                .expect("a client with a timeout builds");
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let Some(b) = balancer.upgrade() else { return };
                for (i, url) in b.urls.iter().enumerate() {
                    let ready = match probe.get(format!("{url}/ready")).send().await {
                        Ok(r) => r.status().is_success(),
                        Err(_) => false,
                    };
                    b.picker().set_ready(i, ready);
                }
            }
        })
    }

    /// Is replica `i` in the set, as far as the client knows?
    pub fn is_ready(&self, i: usize) -> bool {
        self.picker().replica(i).health.ready
    }

    pub fn is_ejected(&self, i: usize) -> bool {
        let now = self.now();
        self.picker().replica(i).health.is_ejected(now)
    }
}

/// The body, or `None` if it is longer than `cap` or breaks off.
async fn read_capped(mut r: reqwest::Response, cap: usize) -> Option<String> {
    let mut body = Vec::new();
    while let Some(chunk) = r.chunk().await.ok()? {
        if body.len() + chunk.len() > cap {
            return None;
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).ok()
}
