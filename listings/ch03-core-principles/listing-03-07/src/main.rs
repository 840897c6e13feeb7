//! The numbers behind the chapter's formulas, computed rather than quoted:
//! quorum intersection, the availability of replicas, Little's law checked
//! against a simulated server, exponential backoff with jitter, and the cost
//! of two-phase commit. Only std: the random numbers come from a small
//! seeded generator written here so that every run prints the same numbers
//! (use the `rand` crate in real code).

fn main() {
    quorums();
    availability();
    littles_law();
    headroom();
    backoff();
    two_phase_commit();
}

/// Every read quorum of size R meets every write quorum of size W among N
/// replicas exactly when R + W > N. Checked by brute force over all subsets.
fn quorums() {
    println!("== Quorum intersection");
    for n in [3u32, 5] {
        let mut agree = true;
        let mut pairs = Vec::new();
        for r in 1..=n {
            for w in 1..=n {
                let always_meet = subsets(n, r)
                    .iter()
                    .all(|read| subsets(n, w).iter().all(|write| read & write != 0));
                agree &= always_meet == (r + w > n);
                if always_meet && r <= w {
                    pairs.push(format!("R={r},W={w}"));
                }
            }
        }
        println!(
            "N={n}: quorums always overlap for {} (and the mirror pairs)",
            pairs.join(" ")
        );
        println!("N={n}: overlap <=> R + W > N for every R, W: {agree}");
    }
}

/// All subsets of {0..n} with k members, as bit masks.
fn subsets(n: u32, k: u32) -> Vec<u32> {
    (0u32..1 << n).filter(|m| m.count_ones() == k).collect()
}

/// With replicas up independently with probability p: the chance that at
/// least one is up, and that a majority is up.
fn availability() {
    println!("\n== Availability of N replicas, each up with p = 0.99");
    let p: f64 = 0.99;
    println!("{:>3}  {:>12}  {:>14}", "N", "any one up", "majority up");
    for n in [1u32, 3, 5] {
        let any = 1.0 - (1.0 - p).powi(n as i32);
        let majority: f64 = (n / 2 + 1..=n)
            .map(|k| binomial(n, k) * p.powi(k as i32) * (1.0 - p).powi((n - k) as i32))
            .sum();
        println!("{n:>3}  {any:>12.8}  {majority:>14.8}");
    }
}

fn binomial(n: u32, k: u32) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * f64::from(n - i) / f64::from(i + 1))
}

/// A server, simulated: requests arrive at random (rate lambda), wait for
/// a free worker, and take a random time to serve (mean S), first come
/// first served. Two observers measure it from different data. One keeps
/// each request's record, its arrival and its departure: from those come
/// lambda (arrivals per second) and W (the mean time from arrival to
/// departure). The other knows nothing of waits: once every millisecond it
/// counts the requests inside, and L is the mean of its counts. Little's
/// law says that L = lambda * W; if either observer were wrong, the two
/// would disagree, and the last line would say so.
fn littles_law() {
    println!("\n== Little's law on a simulated server (lambda = 80/s, S = 10 ms, one worker)");
    let run = simulate(80.0, 0.010, 1, 160_000);
    let (lambda, w) = (run.arrival_rate(), run.mean_time_in_system());
    let (samples, l) = run.sampled_number_in_system(0.001);
    println!(
        "from {} request records: lambda = {lambda:.1} per second, W = {:.1} ms, lambda * W = {:.2}",
        run.arrivals.len(),
        w * 1000.0,
        lambda * w
    );
    println!("from {samples} samples, one per ms: L = {l:.2}");
    println!(
        "L and lambda * W agree within 2%: {}",
        agree(l, lambda * w, 0.02)
    );
}

/// The same server at rising utilisation (lambda * S per worker), and the
/// chapter's example, 1,000 requests per second of 50 ms each, served by
/// more or fewer workers. W is measured over the first 20,000 requests and
/// over the first 200,000: where the queue is stable the two agree; at
/// utilisation 1 it is not, and the longer the run the longer the wait.
fn headroom() {
    println!("\n== Headroom: one worker, S = 10 ms");
    println!(
        "{:>11}  {:>14}  {:>15}  {:>15}",
        "utilisation", "W, first 20000", "W, first 200000", "M/M/1: S/(1-u)"
    );
    for u in [0.5, 0.8, 0.9, 0.95, 1.0] {
        let run = simulate(u / 0.010, 0.010, 1, 200_000);
        let predicted = if u < 1.0 {
            format!("{:.1} ms", 10.0 / (1.0 - u))
        } else {
            "no limit".to_string()
        };
        println!(
            "{u:>11.2}  {:>11.1} ms  {:>12.1} ms  {predicted:>15}",
            run.mean_time_in_system_of_first(20_000) * 1000.0,
            run.mean_time_in_system() * 1000.0
        );
    }
    println!("\n== Headroom: 1000 requests/s, S = 50 ms, so 50 workers busy on average");
    println!(
        "{:>7}  {:>11}  {:>14}  {:>15}",
        "workers", "utilisation", "W, first 20000", "W, first 200000"
    );
    for workers in [50, 56, 63, 72] {
        let run = simulate(1000.0, 0.050, workers, 200_000);
        println!(
            "{workers:>7}  {:>11.2}  {:>11.1} ms  {:>12.1} ms",
            1000.0 * 0.050 / workers as f64,
            run.mean_time_in_system_of_first(20_000) * 1000.0,
            run.mean_time_in_system() * 1000.0
        );
    }
}

fn agree(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * a.abs().max(b.abs())
}

/// What a run leaves behind: each request's arrival and departure time,
/// in seconds, in the order the requests arrived.
struct Run {
    arrivals: Vec<f64>,
    departures: Vec<f64>,
}

/// `requests` requests arriving at random at rate `lambda` to `workers`
/// workers, each request taking a random time with mean `service`.
fn simulate(lambda: f64, service: f64, workers: usize, requests: usize) -> Run {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    // When each worker is next free; the earliest is the next to take a
    // request from the queue.
    let mut free_at = std::collections::BinaryHeap::new();
    for _ in 0..workers {
        free_at.push(Earliest(0.0));
    }
    let (mut arrivals, mut departures) = (Vec::new(), Vec::new());
    let mut clock = 0.0f64;
    for _ in 0..requests {
        clock += rng.exponential(lambda);
        // unwrap: the heap always holds `workers` entries, at least one.
        let Earliest(free) = free_at.pop().unwrap();
        let departure = clock.max(free) + rng.exponential(1.0 / service);
        free_at.push(Earliest(departure));
        arrivals.push(clock);
        departures.push(departure);
    }
    Run {
        arrivals,
        departures,
    }
}

impl Run {
    /// lambda: the arrivals divided by the time over which they came.
    fn arrival_rate(&self) -> f64 {
        self.arrivals.len() as f64 / self.arrivals[self.arrivals.len() - 1]
    }

    /// W: the mean of departure minus arrival, from the records.
    fn mean_time_in_system(&self) -> f64 {
        self.mean_time_in_system_of_first(self.arrivals.len())
    }

    fn mean_time_in_system_of_first(&self, n: usize) -> f64 {
        let total: f64 = (0..n).map(|i| self.departures[i] - self.arrivals[i]).sum();
        total / n as f64
    }

    /// L: every `period` seconds until the last arrival, the number of
    /// requests that have arrived and not yet left, averaged. Returns the
    /// number of samples and L.
    fn sampled_number_in_system(&self, period: f64) -> (usize, f64) {
        let end = self.arrivals[self.arrivals.len() - 1];
        let mut departures = self.departures.clone();
        departures.sort_by(f64::total_cmp);
        let samples = (end / period) as usize;
        let (mut arrived, mut left, mut sum) = (0, 0, 0usize);
        for k in 0..samples {
            let t = k as f64 * period;
            while arrived < self.arrivals.len() && self.arrivals[arrived] <= t {
                arrived += 1;
            }
            while left < departures.len() && departures[left] <= t {
                left += 1;
            }
            sum += arrived - left;
        }
        (samples, sum as f64 / samples as f64)
    }
}

/// A time in a max-heap that pops the earliest first.
#[derive(PartialEq)]
struct Earliest(f64);

impl Eq for Earliest {}

impl Ord for Earliest {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.0.total_cmp(&self.0)
    }
}

impl PartialOrd for Earliest {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Retry delays: the ceiling doubles from `base` up to `cap`; "full jitter"
/// waits a random time between zero and the ceiling, so that clients that
/// failed together do not retry together.
fn backoff() {
    println!("\n== Exponential backoff, base 100 ms, cap 5000 ms, full jitter");
    let (base, cap) = (100u64, 5_000u64);
    let mut rng = Rng(42);
    let (mut ceiling_total, mut jitter_total) = (0, 0);
    println!(
        "{:>7}  {:>10}  {:>14}",
        "attempt", "ceiling ms", "this run's ms"
    );
    for attempt in 0..8u32 {
        let ceiling = cap.min(base * 2u64.pow(attempt));
        let delay = rng.below(ceiling + 1);
        ceiling_total += ceiling;
        jitter_total += delay;
        println!("{attempt:>7}  {ceiling:>10}  {delay:>14}");
    }
    println!(
        "worst case over 8 attempts: {ceiling_total} ms; expected: {} ms; this run: {jitter_total} ms",
        ceiling_total / 2
    );
}

/// Two-phase commit with one coordinator and n participants: prepare and
/// vote, then decision and acknowledgement.
fn two_phase_commit() {
    println!("\n== Two-phase commit, one coordinator");
    println!(
        "{:>12}  {:>8}  {:>11}  {:>21}",
        "participants", "messages", "round trips", "forced log writes"
    );
    for n in 2u32..=5 {
        // prepare + vote + decision + ack per participant; each participant
        // forces "prepared" and "committed", the coordinator its decision.
        println!("{n:>12}  {:>8}  {:>11}  {:>21}", 4 * n, 2, 2 * n + 1);
    }
}

/// xorshift64*: a tiny, seeded, reproducible generator. Not for anything
/// where the randomness matters; in real code use the `rand` crate.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Exponentially distributed with the given rate.
    fn exponential(&mut self, rate: f64) -> f64 {
        -(1.0 - self.unit()).ln() / rate
    }
}

/// The checks the suite runs (`cargo test -p listing-03-07`); each fails
/// when the code it checks is wrong.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_observers_agree() {
        let run = simulate(80.0, 0.010, 1, 160_000);
        let lambda_w = run.arrival_rate() * run.mean_time_in_system();
        let (_, l) = run.sampled_number_in_system(0.001);
        assert!(agree(l, lambda_w, 0.02), "L = {l}, lambda * W = {lambda_w}");
    }

    #[test]
    fn a_stable_queue_settles_and_a_full_one_does_not() {
        let stable = simulate(80.0, 0.010, 1, 200_000);
        assert!(agree(stable.mean_time_in_system(), 0.050, 0.05));
        let full = simulate(100.0, 0.010, 1, 200_000);
        assert!(full.mean_time_in_system() > 2.0 * full.mean_time_in_system_of_first(20_000));
    }

    #[test]
    fn quorums_overlap_exactly_when_r_plus_w_exceeds_n() {
        for (r, w) in [(2, 2), (1, 3), (3, 3)] {
            assert!(
                subsets(3, r)
                    .iter()
                    .all(|a| subsets(3, w).iter().all(|b| a & b != 0))
            );
        }
        assert!(
            subsets(3, 1)
                .iter()
                .any(|a| subsets(3, 2).iter().any(|b| a & b == 0))
        );
    }
}
