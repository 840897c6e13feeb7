//! Deadlines that travel with a request.
//!
//! A client that gives up after 100 ms does not stop the servers behind
//! it: each keeps working on a request whose answer nobody will read,
//! unless it knows when the client gives up. So the client's remaining
//! time goes with the request, in a header; each hop reads it, subtracts
//! the time it has spent, and passes the rest on; a hop whose budget is
//! gone stops, and answers `504 Gateway Timeout` without calling further.
//! gRPC does exactly this with its `grpc-timeout` header. The budget is a
//! duration, not a time of day: two machines' clocks disagree, but each
//! can measure how long it has held a request.

use std::time::Duration;

use axum::http::HeaderMap;
use tokio::time::Instant;

/// The header that carries the remaining budget, in milliseconds.
pub const BUDGET_HEADER: &str = "x-budget-ms";

// ANCHOR: deadline
/// When this hop must give up: the moment the request arrived plus the
/// budget it came with (or the hop's own limit, whichever is sooner).
#[derive(Clone, Copy, Debug)]
pub struct Deadline(Instant);

impl Deadline {
    /// Reads the budget from the headers; `own` is this hop's own limit,
    /// for requests that come with none (or with more than it allows).
    pub fn from_headers(headers: &HeaderMap, own: Duration) -> Deadline {
        let budget = headers
            .get(BUDGET_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .map(Duration::from_millis)
            .map_or(own, |b| b.min(own));
        Deadline(Instant::now() + budget)
    }

    pub fn remaining(&self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }

    pub fn expired(&self) -> bool {
        self.remaining().is_zero()
    }

    /// The header value for the next hop: what is left, now.
    pub fn header_value(&self) -> String {
        self.remaining().as_millis().to_string()
    }

    pub fn instant(&self) -> Instant {
        self.0
    }
}
// ANCHOR_END: deadline

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_budget_shrinks_as_the_hop_works() {
        let mut headers = HeaderMap::new();
        headers.insert(BUDGET_HEADER, "100".parse().unwrap());
        let d = Deadline::from_headers(&headers, Duration::from_secs(1));
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert_eq!(d.header_value(), "70");
        tokio::time::sleep(Duration::from_millis(70)).await;
        assert!(d.expired());
        assert_eq!(d.header_value(), "0");
    }

    #[tokio::test(start_paused = true)]
    async fn a_hop_never_waits_longer_than_its_own_limit() {
        let mut headers = HeaderMap::new();
        headers.insert(BUDGET_HEADER, "60000".parse().unwrap());
        let d = Deadline::from_headers(&headers, Duration::from_millis(500));
        assert_eq!(d.remaining(), Duration::from_millis(500));
        let none = Deadline::from_headers(&HeaderMap::new(), Duration::from_millis(500));
        assert_eq!(none.remaining(), Duration::from_millis(500));
    }
}
