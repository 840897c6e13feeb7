//! `contend KIND THREADS ITERATIONS`: runs one counter benchmark's
//! iteration (bench_counters::TOTAL_OPS operations on THREADS threads)
//! ITERATIONS times, for a tool that counts what the process does (`perf
//! stat -e syscalls:sys_enter_futex,context-switches`, used by `cargo
//! xtask bench`).

use bench_counters::COUNTERS;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [kind, threads, iterations] = args.as_slice() else {
        eprintln!("usage: contend KIND THREADS ITERATIONS");
        std::process::exit(2);
    };
    let Some((_, run)) = COUNTERS.iter().find(|(name, _)| name == kind) else {
        eprintln!("no counter {kind:?}");
        std::process::exit(2);
    };
    let threads: u64 = threads.parse().expect("THREADS is a number");
    let iterations: u64 = iterations.parse().expect("ITERATIONS is a number");
    for _ in 0..iterations {
        std::hint::black_box(run(threads));
    }
}
