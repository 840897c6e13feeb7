//! Which replicas may get requests: the ones that say they are ready, and
//! are not failing request after request.
//!
//! Two sources of truth, as in Envoy and Kubernetes. Active: a replica
//! answers `/ready` (a poller in the client asks it every so often), and
//! one that stops or says 503 leaves the set, which is how a replica being
//! drained (Listing 11-5) is taken out before it stops. Passive (Envoy
//! calls it outlier detection): a replica whose requests fail several
//! times in a row is ejected for a while, longer each time it happens
//! again; when the time is up it is on probation, and its first answer
//! decides: a success restores it, a failure ejects it again at once.

use std::time::Duration;

/// The thresholds of passive ejection.
#[derive(Clone, Copy, Debug)]
pub struct EjectionPolicy {
    /// Failures in a row that eject a replica.
    pub consecutive_failures: u32,
    /// The first ejection's length; each further one doubles it...
    pub base: Duration,
    /// ...up to this.
    pub max: Duration,
}

impl Default for EjectionPolicy {
    fn default() -> Self {
        EjectionPolicy {
            consecutive_failures: 3,
            base: Duration::from_secs(1),
            max: Duration::from_secs(30),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Health {
    /// What the replica's `/ready` said last (true until asked).
    pub ready: bool,
    failures_in_a_row: u32,
    ejected_until: Option<Duration>,
    /// Ejections since the last success: the next one lasts base × 2^n.
    ejections: u32,
    on_probation: bool,
}

// ANCHOR: health
impl Health {
    pub fn new() -> Health {
        Health {
            ready: true,
            failures_in_a_row: 0,
            ejected_until: None,
            ejections: 0,
            on_probation: false,
        }
    }

    /// May the replica get a request now?
    pub fn available(&mut self, now: Duration) -> bool {
        if let Some(until) = self.ejected_until {
            if now < until {
                return false;
            }
            // The time is up: one request will tell.
            self.ejected_until = None;
            self.on_probation = true;
        }
        self.ready
    }

    pub fn is_ejected(&self, now: Duration) -> bool {
        self.ejected_until.is_some_and(|until| now < until)
    }

    pub fn success(&mut self) {
        self.failures_in_a_row = 0;
        self.ejections = 0;
        self.on_probation = false;
    }

    pub fn failure(&mut self, now: Duration, policy: &EjectionPolicy) {
        self.failures_in_a_row += 1;
        if self.on_probation || self.failures_in_a_row >= policy.consecutive_failures {
            let length = policy
                .base
                .saturating_mul(1 << self.ejections.min(16))
                .min(policy.max);
            self.ejected_until = Some(now + length);
            self.ejections += 1;
            self.failures_in_a_row = 0;
            self.on_probation = false;
        }
    }
}
// ANCHOR_END: health

impl Default for Health {
    fn default() -> Self {
        Health::new()
    }
}
