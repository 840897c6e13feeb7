// Listing 3-4's counter without atomics: ten threads add to a plain u64.
use std::thread;

fn main() {
    let mut counter = 0u64;
    thread::scope(|s| {
        for _ in 0..10 {
            s.spawn(|| {
                counter += 1;
            });
        }
    });
    println!("counter after 10 threads: {counter}");
}
