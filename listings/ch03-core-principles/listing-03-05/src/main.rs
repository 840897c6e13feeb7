//! A read-write lock guarding shared data: many readers may hold it at once,
//! a writer holds it alone. The data is a ledger, a list of amounts and
//! their total, which a writer updates in two steps; ten writers each add
//! an amount while ten readers keep checking that the total matches the
//! list. A reader that saw a half-done update would count it. This is what
//! the article's RWMutex program sets out to show, with the lock actually
//! guarding data and every thread waited for.

use std::sync::RwLock;
use std::thread;
use std::time::Duration;

const WRITERS: u64 = 10;
const READERS: usize = 10;

/// Two fields that must agree: `total` is the sum of `amounts`.
#[derive(Default)]
struct Ledger {
    amounts: Vec<u64>,
    total: u64,
}

fn main() {
    // The lock owns the data: there is no way to reach the ledger without
    // taking the lock first.
    let ledger = RwLock::new(Ledger::default());

    let half_done_seen: Vec<usize> = thread::scope(|s| {
        for id in 1..=WRITERS {
            let ledger = &ledger;
            s.spawn(move || {
                // write() waits until no reader and no writer holds the lock.
                // unwrap: the lock is poisoned only if a holder panicked, and
                // no code here panics while holding it.
                let mut ledger = ledger.write().unwrap();
                ledger.amounts.push(id);
                // The sleep stands for a longer update; while it lasts the
                // ledger is half done, and no reader can see it.
                thread::sleep(Duration::from_millis(1));
                ledger.total += id;
            });
        }
        let readers: Vec<_> = (0..READERS)
            .map(|_| {
                let ledger = &ledger;
                s.spawn(move || {
                    let mut half_done = 0;
                    loop {
                        // read() is shared with other readers; the guard is
                        // dropped, and the lock released, at the end of
                        // each pass.
                        let ledger = ledger.read().unwrap();
                        if ledger.amounts.iter().sum::<u64>() != ledger.total {
                            half_done += 1;
                        }
                        if ledger.amounts.len() as u64 == WRITERS {
                            return half_done;
                        }
                        drop(ledger);
                        thread::yield_now();
                    }
                })
            })
            .collect();
        // join() returns what each reader counted; unwrap re-raises a panic.
        readers.into_iter().map(|r| r.join().unwrap()).collect()
    });

    println!(
        "readers finished: {}, reads that saw a half-done update: {}",
        half_done_seen.len(),
        half_done_seen.iter().sum::<usize>()
    );
    let ledger = ledger.into_inner().unwrap();
    println!(
        "after all writers: {} amounts, total {} (the sum of 1..={WRITERS} is {})",
        ledger.amounts.len(),
        ledger.total,
        WRITERS * (WRITERS + 1) / 2
    );
}
