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

/// A single-server queue: requests arrive at random (rate lambda) and take
/// a random time to serve (mean 1/mu). Little's law says that the average
/// number in the system L equals lambda times the average time W each one
/// spends there; the simulation measures all three.
fn littles_law() {
    println!("\n== Little's law on a simulated server (lambda = 80/s, mu = 100/s)");
    let (lambda, mu) = (80.0, 100.0);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let requests = 200_000;
    let (mut clock, mut server_free_at, mut total_time_in_system) = (0.0f64, 0.0f64, 0.0f64);
    let mut last_departure = 0.0f64;
    for _ in 0..requests {
        clock += rng.exponential(lambda);
        let start = clock.max(server_free_at);
        server_free_at = start + rng.exponential(mu);
        total_time_in_system += server_free_at - clock;
        last_departure = last_departure.max(server_free_at);
    }
    let measured_lambda = requests as f64 / clock;
    let w = total_time_in_system / requests as f64;
    // The time-average number in the system is the total time spent in it
    // by all requests, divided by the length of the run.
    let l = total_time_in_system / last_departure;
    println!("measured arrival rate lambda = {measured_lambda:.1} per second");
    println!("measured time in system W   = {:.1} ms", w * 1000.0);
    println!("measured number in system L = {l:.2}");
    println!("lambda * W                  = {:.2}", measured_lambda * w);
    println!(
        "queueing theory (M/M/1): W = 1/(mu - lambda) = {:.1} ms, L = {:.2}",
        1000.0 / (mu - lambda),
        lambda / (mu - lambda)
    );
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
