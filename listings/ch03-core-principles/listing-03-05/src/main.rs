//! A read-write lock guarding shared data: many readers may hold it at once,
//! a writer holds it alone. Ten writers each append an entry to a shared
//! list while ten readers look at it; at the end every write is there.
//! This is what the article's RWMutex program sets out to show, with the
//! lock actually guarding data and every thread waited for.

use std::sync::RwLock;
use std::thread;

const WRITERS: usize = 10;
const READERS: usize = 10;

fn main() {
    // The lock owns the data: there is no way to reach the Vec without
    // taking the lock first.
    let log: RwLock<Vec<String>> = RwLock::new(Vec::new());

    let lengths_seen: Vec<usize> = thread::scope(|s| {
        for id in 0..WRITERS {
            let log = &log;
            s.spawn(move || {
                // write() waits until no reader and no writer holds the lock.
                // unwrap: the lock is poisoned only if a holder panicked, and
                // no code here panics while holding it.
                log.write().unwrap().push(format!("entry from writer {id}"));
            });
        }
        let readers: Vec<_> = (0..READERS)
            .map(|_| {
                let log = &log;
                // read() is shared with other readers; the guard is dropped,
                // and the lock released, at the end of the closure.
                s.spawn(move || log.read().unwrap().len())
            })
            .collect();
        // join() returns what each reader saw; unwrap re-raises a panic.
        readers.into_iter().map(|r| r.join().unwrap()).collect()
    });

    // How many entries a reader saw depends on scheduling, but never more
    // than were written and never a half-written list.
    let all_valid = lengths_seen.iter().all(|&n| n <= WRITERS);
    println!(
        "readers finished: {} (each saw between 0 and {WRITERS} entries: {all_valid})",
        lengths_seen.len()
    );
    let log = log.into_inner().unwrap();
    println!("entries after all writers finished: {}", log.len());
}
