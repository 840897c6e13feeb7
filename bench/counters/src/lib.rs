//! The work measured by the counter benchmarks: `threads` scoped threads
//! share one counter and add to it `TOTAL_OPS` times in all. The Go
//! benchmarks in bench/counters-go do the same with goroutines.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::thread;

/// Increments per benchmark iteration, split evenly over the threads.
pub const TOTAL_OPS: u64 = 40_000;

/// Runs `add` TOTAL_OPS times in all on `threads` threads.
fn spread(threads: u64, add: impl Fn() + Sync) {
    thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..TOTAL_OPS / threads {
                    add();
                }
            });
        }
    });
}

pub fn atomic(threads: u64) -> u64 {
    let counter = AtomicU64::new(0);
    spread(threads, || {
        counter.fetch_add(1, Ordering::Relaxed);
    });
    counter.into_inner()
}

pub fn mutex(threads: u64) -> u64 {
    let counter = Mutex::new(0u64);
    // unwrap: poisoned only if a holder panicked, and none does.
    spread(threads, || *counter.lock().unwrap() += 1);
    counter.into_inner().unwrap()
}

pub fn rwlock(threads: u64) -> u64 {
    let counter = RwLock::new(0u64);
    spread(threads, || *counter.write().unwrap() += 1);
    counter.into_inner().unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_increment_counts() {
        for threads in [1, 2, 4, 8] {
            assert_eq!(atomic(threads), TOTAL_OPS);
            assert_eq!(mutex(threads), TOTAL_OPS);
            assert_eq!(rwlock(threads), TOTAL_OPS);
        }
    }
}
