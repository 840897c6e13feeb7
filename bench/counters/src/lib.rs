//! The work measured by the counter benchmarks: `threads` scoped threads
//! share one counter and operate on it `TOTAL_OPS` times in all. The Go
//! benchmarks in bench/counters-go do the same with goroutines.
//!
//! `atomic`, `mutex` and `sharded` only increment. `rwlock` reads nine
//! times for every write, the case a reader-writer lock is for: the same
//! number of operations per iteration, one in ten of them an increment.
//! `sharded` is what a Rust programmer does about a contended counter:
//! each thread increments its own atomic, on its own cache line, and a
//! reader adds the shards up.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::thread;

/// Operations per benchmark iteration, split evenly over the threads.
pub const TOTAL_OPS: u64 = 40_000;

/// In the `rwlock` benchmark, one operation in this many is a write.
pub const WRITE_EVERY: u64 = 10;

/// Runs `op(thread, i)` TOTAL_OPS times in all on `threads` threads, `i`
/// counting each thread's operations from 0.
fn spread(threads: u64, op: impl Fn(usize, u64) + Sync) {
    thread::scope(|s| {
        for t in 0..threads {
            let op = &op;
            s.spawn(move || {
                for i in 0..TOTAL_OPS / threads {
                    op(t as usize, i);
                }
            });
        }
    });
}

pub fn atomic(threads: u64) -> u64 {
    let counter = AtomicU64::new(0);
    spread(threads, |_, _| {
        counter.fetch_add(1, Ordering::Relaxed);
    });
    counter.into_inner()
}

pub fn mutex(threads: u64) -> u64 {
    let counter = Mutex::new(0u64);
    // unwrap: poisoned only if a holder panicked, and none does.
    spread(threads, |_, _| *counter.lock().unwrap() += 1);
    counter.into_inner().unwrap()
}

/// Nine reads to one write; returns the number of writes.
pub fn rwlock(threads: u64) -> u64 {
    let counter = RwLock::new(0u64);
    spread(threads, |_, i| {
        if i % WRITE_EVERY == WRITE_EVERY - 1 {
            *counter.write().unwrap() += 1;
        } else {
            black_box(*counter.read().unwrap());
        }
    });
    counter.into_inner().unwrap()
}

/// An atomic alone on its cache line (128 bytes: two lines, since x86
/// CPUs fetch lines in pairs), so that two threads' shards never share one.
#[repr(align(128))]
#[derive(Default)]
struct Shard(AtomicU64);

/// One shard per thread; the count is their sum, which a reader may take
/// at any time.
pub fn sharded(threads: u64) -> u64 {
    let shards: Vec<Shard> = (0..threads).map(|_| Shard::default()).collect();
    spread(threads, |t, _| {
        shards[t].0.fetch_add(1, Ordering::Relaxed);
    });
    shards.iter().map(|s| s.0.load(Ordering::Relaxed)).sum()
}

/// A counter benchmark's iteration: threads in, the count out.
pub type Counter = fn(u64) -> u64;

/// The counters by name, as the benchmarks and `contend` call them.
pub const COUNTERS: [(&str, Counter); 4] = [
    ("atomic", atomic),
    ("mutex", mutex),
    ("rwlock", rwlock),
    ("sharded", sharded),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_counts() {
        for threads in [1, 2, 4, 8] {
            assert_eq!(atomic(threads), TOTAL_OPS);
            assert_eq!(mutex(threads), TOTAL_OPS);
            assert_eq!(rwlock(threads), TOTAL_OPS / WRITE_EVERY);
            assert_eq!(sharded(threads), TOTAL_OPS);
        }
    }
}
