//! How slow is a replica lately? A peak-sensitive moving average of its
//! response times, the estimate behind "power of two choices".
//!
//! A plain average forgets a slow replica too slowly and a plain maximum
//! never forgets it. Peak EWMA (the idea of Twitter's Finagle, used by
//! tower's `load::PeakEwma` and Linkerd) takes a sample above the estimate
//! at once, so a replica that turns slow is avoided after one slow answer,
//! and moves toward a lower sample only gradually. With no samples at all
//! the estimate fades toward zero, so a replica that was avoided is tried
//! again later: without that, a replica that was slow once would never
//! get another request and could never show that it recovered.
//!
//! Time is an argument (`now`, the time since the harness started), not a
//! clock read: the simulation runs this code on virtual time.

use std::time::Duration;

#[derive(Clone, Debug)]
pub struct PeakEwma {
    /// The estimate at `updated`, in nanoseconds.
    estimate_ns: f64,
    updated: Duration,
    /// The time constant: after `decay`, an old estimate weighs 1/e.
    decay_ns: f64,
}

// ANCHOR: ewma
impl PeakEwma {
    /// A replica not yet heard from is assumed to answer in `initial`.
    pub fn new(initial: Duration, decay: Duration, now: Duration) -> PeakEwma {
        PeakEwma {
            estimate_ns: initial.as_nanos() as f64,
            updated: now,
            decay_ns: decay.as_nanos().max(1) as f64,
        }
    }

    /// The estimate now: it fades toward zero while no answer arrives.
    pub fn estimate_ns(&self, now: Duration) -> f64 {
        self.estimate_ns * self.weight_of_the_past(now)
    }

    /// A response took `rtt`.
    pub fn observe(&mut self, rtt: Duration, now: Duration) {
        let rtt = rtt.as_nanos() as f64;
        self.estimate_ns = if rtt > self.estimate_ns {
            // A peak counts in full, at once.
            rtt
        } else {
            // Below the estimate: move toward the sample, the more so the
            // longer since the last one.
            let w = self.weight_of_the_past(now);
            self.estimate_ns * w + rtt * (1.0 - w)
        };
        self.updated = now;
    }

    fn weight_of_the_past(&self, now: Duration) -> f64 {
        let elapsed = now.saturating_sub(self.updated).as_nanos() as f64;
        (-elapsed / self.decay_ns).exp()
    }
}
// ANCHOR_END: ewma
