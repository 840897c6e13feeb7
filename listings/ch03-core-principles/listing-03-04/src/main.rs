//! Atomic operations: ten threads add to one counter without a lock, and ten
//! threads race to claim one slot with compare-and-swap, which exactly one
//! of them wins. These are the operations of Go's sync/atomic (Add, Load,
//! Store, CompareAndSwap), on Rust's std::sync::atomic types.

use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

const THREADS: u64 = 10;

fn main() {
    let counter = AtomicU64::new(0);
    // A scope joins every thread it spawned before it returns: no
    // WaitGroup to keep count, and no way to forget a Done.
    thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                // Relaxed: the increments only need to be atomic; the end of
                // the scope makes them all visible to this thread.
                counter.fetch_add(1, Ordering::Relaxed);
            });
        }
    });
    println!(
        "counter after {THREADS} threads: {}",
        counter.load(Ordering::Relaxed)
    );

    // 0 means "free"; a thread claims the slot by swapping in its number.
    let owner = AtomicU64::new(0);
    let winners = AtomicU64::new(0);
    thread::scope(|s| {
        for id in 1..=THREADS {
            let (owner, winners) = (&owner, &winners);
            s.spawn(move || {
                if owner
                    .compare_exchange(0, id, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    winners.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    let owner = owner.load(Ordering::Acquire);
    println!(
        "threads that claimed the slot: {} (the owner is one of 1..={THREADS}: {})",
        winners.load(Ordering::Relaxed),
        (1..=THREADS).contains(&owner)
    );

    // store and load: the whole value is written and read at once.
    counter.store(0, Ordering::Relaxed);
    println!(
        "counter after store(0): {}",
        counter.load(Ordering::Relaxed)
    );
}
