//! A client of several replicas: round robin, and, when allowed, a failed
//! idempotent request sent again to the next replica.
//!
//! Sending a request to another replica is always safe when the first one
//! refused the connection: nothing was sent. When the connection broke
//! after the request went out, the first replica may have done the work,
//! so only a request that is harmless twice (a read here; a write with an
//! idempotency key, as in Listing 11-3) may go elsewhere. Chapter 12 grows
//! this into real load balancing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub struct Replicas {
    urls: Vec<String>,
    next: AtomicUsize,
    http: reqwest::Client,
    /// Try the next replica when one fails?
    pub retry_elsewhere: bool,
}

/// How one call ended, and where.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok {
        replica: usize,
    },
    /// Every replica tried failed; the last one's error, in a word.
    Failed {
        replica: usize,
        why: &'static str,
    },
}

impl Replicas {
    pub fn new(urls: Vec<String>, retry_elsewhere: bool) -> Replicas {
        Replicas {
            urls,
            next: AtomicUsize::new(0),
            // Bounded: a replica that hangs must not hang the client.
            http: reqwest::Client::builder()
                .connect_timeout(Duration::from_millis(500))
                .timeout(Duration::from_secs(2))
                .build()
                .expect("a client with timeouts builds"),
            retry_elsewhere,
        }
    }

    // ANCHOR: call
    /// An idempotent GET of `path`, starting at the next replica in turn.
    pub async fn get(&self, path: &str) -> Outcome {
        let first = self.next.fetch_add(1, Ordering::Relaxed) % self.urls.len();
        let tries = if self.retry_elsewhere {
            self.urls.len()
        } else {
            1
        };
        let mut last = Outcome::Failed {
            replica: first + 1,
            why: "not tried",
        };
        for i in 0..tries {
            let replica = (first + i) % self.urls.len();
            let result = self
                .http
                .get(format!("{}{path}", self.urls[replica]))
                .send()
                .await;
            last = match result {
                Ok(r) if r.status().is_success() => {
                    return Outcome::Ok {
                        replica: replica + 1,
                    };
                }
                Ok(_) => Outcome::Failed {
                    replica: replica + 1,
                    why: "error status",
                },
                Err(e) if e.is_connect() => Outcome::Failed {
                    replica: replica + 1,
                    why: "refused",
                },
                Err(_) => Outcome::Failed {
                    replica: replica + 1,
                    why: "cut off",
                },
            };
        }
        last
    }
    // ANCHOR_END: call
}
