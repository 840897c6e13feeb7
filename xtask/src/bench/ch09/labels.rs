//! Chapter 9's labels: every word its page shows, in English and Chinese.

use crate::results::Labels;

pub(super) const LABELS: Labels = &[
    ("server", "server", "服务器"),
    (
        "rps_spread",
        "requests/s: median (min–max) of {} rounds",
        "每秒请求数：{} 轮的中位数（最小–最大）",
    ),
    ("p50", "p50 µs", "p50 微秒"),
    ("p99", "p99 µs", "p99 微秒"),
    ("p999", "p99.9 µs", "p99.9 微秒"),
    ("rss", "peak RSS KiB", "峰值常驻内存 KiB"),
    ("binary", "binary KiB", "二进制 KiB"),
    ("comma", ", ", "，"),
    (
        "ratio",
        "ratio, per round: median (min–max)",
        "比值（逐轮计算）：中位数（最小–最大）",
    ),
    (
        "axum / go-current, requests/s",
        "axum / go-current, requests/s",
        "axum / go-current，每秒请求数",
    ),
    (
        "axum / go, requests/s",
        "axum / go, requests/s",
        "axum / go，每秒请求数",
    ),
    (
        "axum / {}, p99 latency",
        "axum / {}, p99 latency (saturation)",
        "axum / {}，p99 延迟（饱和时）",
    ),
    (
        "axum / go, p99 latency",
        "axum / go, p99 latency",
        "axum / go，p99 延迟",
    ),
    (
        "axum / hyper, requests/s",
        "axum / hyper, requests/s",
        "axum / hyper，每秒请求数",
    ),
    (
        "axum-bare / hyper, requests/s",
        "axum-bare / hyper, requests/s",
        "axum-bare / hyper，每秒请求数",
    ),
    (
        "axum-mimalloc / hyper, requests/s",
        "axum-mimalloc / hyper, requests/s",
        "axum-mimalloc / hyper，每秒请求数",
    ),
    (
        "axum-mimalloc / axum, requests/s",
        "axum-mimalloc / axum, requests/s",
        "axum-mimalloc / axum，每秒请求数",
    ),
    ("target", "target", "目标"),
    ("verdict", "verdict", "结论"),
    (
        "target_rps",
        "axum / go-current, requests/s at saturation ≥ 1.3",
        "axum / go-current，饱和时每秒请求数 ≥ 1.3",
    ),
    (
        "target_p99",
        "axum / {}, p99 at 90 % load ≤ 0.5",
        "axum / {}，90% 负载下的 p99 ≤ 0.5",
    ),
    (
        "target_mimalloc",
        "axum-mimalloc / hyper, requests/s ≥ 0.9",
        "axum-mimalloc / hyper，每秒请求数 ≥ 0.9",
    ),
    (
        "load_pct",
        "load, % of {}'s requests/s",
        "负载（占 {} 每秒请求数的百分比）",
    ),
    ("offered", "offered requests/s", "发送速率（每秒请求数）"),
    ("achieved", "achieved requests/s", "实际速率（每秒请求数）"),
    ("callgrind", "callgrind, per request", "callgrind，每个请求"),
    ("instructions", "instructions", "指令数"),
    // Around a C function's name, set as code: "in `malloc`/`free`",
    // "`malloc`/`free` 占比".
    ("share_before", "in ", ""),
    ("share_after", "", " 占比"),
    ("allocator", "in the allocator", "分配器占比"),
    ("percent", "{} %", "{}%"),
    (
        "counter",
        "µs per 40,000 operations",
        "每 40,000 次操作耗时（微秒）",
    ),
    ("threads", "threads {}", "线程数 {}"),
    // A counter's row: the language, then the kind.
    ("atomic", "{} atomic", "{} 原子变量"),
    ("mutex", "{} mutex", "{} 互斥锁"),
    (
        "rwlock",
        "{} rwlock, 9 reads : 1 write",
        "{} 读写锁，9 读 1 写",
    ),
    ("sharded", "{} sharded", "{} 分片计数"),
    (
        "contention",
        "perf stat, {} iterations: median of {} runs",
        "perf stat，{} 次迭代：{} 次运行的中位数",
    ),
    (
        "futex",
        "futex calls per 1,000 operations",
        "每 1,000 次操作的 futex 调用",
    ),
    (
        "switches",
        "context switches per 1,000 operations",
        "每 1,000 次操作的上下文切换",
    ),
    (
        "us_per_iteration",
        "µs per iteration (40,000 operations)",
        "每次迭代（40,000 次操作）耗时，微秒",
    ),
    ("us", "µs", "微秒"),
    ("go", "Go", "Go"),
    ("rps_unit", "requests/s", "每秒 {} 次请求"),
    ("wrk", "wrk", "wrk"),
    ("oha", "oha", "oha"),
    (
        "load_text",
        " ({} s warm-up) × {} rounds; ",
        "（预热 {} 秒）× {} 轮；",
    ),
    ("fixed_load", "fixed load", "固定负载"),
    (
        "fixed_text",
        " (1 s warm-up) × {} rounds, at 50 % and 90 % of {}'s median requests/s",
        "（预热 1 秒）× {} 轮，速率为 {} 每秒请求数中位数的 50% 和 90%",
    ),
    (
        "pinned",
        "server on CPU {}, wrk on CPU {}",
        "服务器在 CPU {}，wrk 在 CPU {}",
    ),
    (
        "unpinned",
        "not pinned (one CPU)",
        "未绑定 CPU（只有一个 CPU）",
    ),
    (
        "rps_title",
        "requests per second (median; line: min–max of the rounds)",
        "每秒请求数（中位数；横线：各轮最小–最大）",
    ),
    (
        "p99_title",
        "p99 latency, µs (median; line: min–max of the rounds)",
        "p99 延迟，微秒（中位数；横线：各轮最小–最大）",
    ),
    (
        "counters_title",
        "µs per 40,000 operations (lower is better)",
        "每 40,000 次操作耗时，微秒（越低越好）",
    ),
];
