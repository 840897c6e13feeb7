//! Criterion benchmarks of the counters with 1, 2, 4 and 8 threads. Each
//! iteration performs bench_counters::TOTAL_OPS operations in all.

use bench_counters::COUNTERS;
use criterion::{Criterion, criterion_group, criterion_main};

fn counters(c: &mut Criterion) {
    for (name, run) in COUNTERS {
        let mut group = c.benchmark_group(name);
        for threads in [1u64, 2, 4, 8] {
            group.bench_function(threads.to_string(), |b| b.iter(|| run(threads)));
        }
        group.finish();
    }
}

criterion_group!(benches, counters);
criterion_main!(benches);
