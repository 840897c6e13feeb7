//! Chapter 12's experiment: the same open-loop load through six
//! balancers while replica 2 turns slow (+20 ms through the fault proxy)
//! and replica 3 is killed with `kill -9`, then restarted. Prints a table
//! per balancer and phase; `--json FILE` writes every figure for the
//! book's results file (`cargo xtask bench balance`).

use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use listing_12_02::child::sibling;
use listing_12_02::client::Balancer;
use listing_12_02::cluster::Process;
use listing_12_02::faultproxy::{Proxies, ProxySpec, ToxicSpec};
use listing_12_02::load::{self, Record, quantile_ms};
use listing_12_02::nginx::{self, Nginx};
use listing_12_02::pick::{Settings, Strategy};
use reqwest::Method;
use serde_json::{Value, json};

#[derive(Parser)]
struct Args {
    /// Seconds per phase (healthy, slow, killed, restarted).
    #[arg(long, default_value_t = 5.0)]
    phase_seconds: f64,
    /// Requests started per second.
    #[arg(long, default_value_t = 200.0)]
    rate: f64,
    /// Processor time per request at each replica.
    #[arg(long, default_value_t = 2)]
    work_ms: u64,
    /// Latency the fault proxy adds to replica 2's answers.
    #[arg(long, default_value_t = 20)]
    slow_ms: u64,
    /// Rounds of all balancers; the figures are the medians of the rounds.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// A short run for the test suite: one round, 0.75 s phases at 60
    /// requests/s.
    #[arg(long)]
    smoke: bool,
    #[arg(long)]
    json: Option<std::path::PathBuf>,
    /// Run only these balancers (by name, as printed); all when absent.
    #[arg(long)]
    only: Vec<String>,
}

const PHASES: [&str; 4] = ["healthy", "slow", "killed", "restarted"];

/// Where the load goes.
#[derive(Clone, Copy)]
enum Target {
    Client(Strategy),
    BookProxy,
    Nginx,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Client(s) => s.name(),
            Target::BookProxy => "lb-proxy",
            Target::Nginx => "nginx",
        }
    }
}

// Every process is started by `main`'s own future, which tokio runs on
// the program's main thread: the processes die with that thread (see
// `child`), not with a worker of the runtime.
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = Args::parse();
    if args.smoke {
        args.phase_seconds = 0.75;
        args.rate = 60.0;
        args.rounds = 1;
    }
    anyhow::ensure!(args.rounds >= 1, "--rounds must be at least 1");
    let phase = Duration::from_secs_f64(args.phase_seconds);
    let mut r1 = Process::replica(1, "127.0.0.1:0").await?;
    let r2 = Process::replica(2, "127.0.0.1:0").await?;
    let mut r3 = Process::replica(3, "127.0.0.1:0").await?;
    let r3_addr = r3.addr.clone();
    // Replica 2 is reached through the fault proxy, the others directly.
    let proxies = Proxies::new();
    let spec: ProxySpec = serde_json::from_value(json!({
        "name": "replica-2", "upstream": r2.addr,
    }))?;
    let via = proxies
        .create(spec)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let addrs = vec![r1.addr.clone(), via.listen.to_string(), r3_addr.clone()];
    let urls: Vec<String> = addrs.iter().map(|a| format!("http://{a}")).collect();
    let targets = [
        Target::Client(Strategy::RoundRobin),
        Target::Client(Strategy::Random),
        Target::Client(Strategy::LeastOutstanding),
        Target::Client(Strategy::P2c),
        Target::BookProxy,
        Target::Nginx,
    ];
    if let Some(unknown) = args
        .only
        .iter()
        .find(|n| !targets.iter().any(|t| t.name() == n.as_str()))
    {
        let known: Vec<&str> = targets.iter().map(|t| t.name()).collect();
        anyhow::bail!(
            "--only {unknown}: no such balancer (known: {})",
            known.join(", ")
        );
    }
    println!(
        "{} requests/s, {} ms of work each, phases of {} s: healthy; replica 2 +{} ms; \
         replica 3 killed; replica 3 restarted",
        args.rate, args.work_ms, args.phase_seconds, args.slow_ms
    );
    // Every round runs every balancer once, in turn, so that a machine
    // that drifts during the experiment affects all of them alike.
    let mut rounds: Vec<Vec<Value>> = vec![Vec::new(); targets.len()];
    for round in 0..args.rounds {
        println!("round {} of {}", round + 1, args.rounds);
        for (t, target) in targets.iter().copied().enumerate() {
            if !args.only.is_empty() && !args.only.iter().any(|n| n == target.name()) {
                continue;
            }
            // Each balancer starts from the same state: all healthy.
            let _ = proxies.remove_toxic("replica-2", "slow").await;
            let path = format!("/work?ms={}", args.work_ms);
            let plain = reqwest::Client::builder()
                .connect_timeout(Duration::from_millis(200))
                .timeout(Duration::from_secs(2))
                .build()?;
            // Kept alive for the run: the proxy process, nginx, the balancer.
            let mut _middle: (Option<Process>, Option<Nginx>) = (None, None);
            let call: Box<dyn Fn() -> load::Call> = match target {
                Target::Client(strategy) => {
                    let b = std::sync::Arc::new(Balancer::new(
                        urls.clone(),
                        strategy,
                        Settings::default(),
                        7,
                    ));
                    Box::new(move || {
                        let (b, path) = (b.clone(), path.clone());
                        Box::pin(async move {
                            b.call(Method::GET, &path, true).await.ok().map(|a| a.body)
                        })
                    })
                }
                Target::BookProxy | Target::Nginx => {
                    let front = if let Target::Nginx = target {
                        let n = Nginx::start(&addrs, nginx::Method::LeastConn).await?;
                        let addr = n.addr.clone();
                        _middle.1 = Some(n);
                        addr
                    } else {
                        let mut a =
                            vec!["--strategy".to_string(), Strategy::P2c.name().to_string()];
                        for r in &addrs {
                            a.push("--replica".into());
                            a.push(r.clone());
                        }
                        let p = Process::start(&sibling("lb-proxy")?, &a).await?;
                        let addr = p.addr.clone();
                        _middle.0 = Some(p);
                        addr
                    };
                    let url = format!("http://{front}{path}");
                    Box::new(move || {
                        let request = plain.get(&url);
                        Box::pin(async move {
                            let r = request.send().await.ok()?.error_for_status().ok()?;
                            r.text().await.ok()
                        })
                    })
                }
            };
            // The faults, on the schedule of the phases, beside the load.
            let faults = {
                let proxies = proxies.clone();
                let slow: ToxicSpec = serde_json::from_value(json!({
                    "name": "slow", "type": "latency", "attributes": {"latency_ms": args.slow_ms},
                }))?;
                let toxic = slow.into_toxic()?;
                let r3_addr = r3_addr.clone();
                async move {
                    tokio::time::sleep(phase).await;
                    proxies
                        .add_toxic("replica-2", toxic)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    tokio::time::sleep(phase).await;
                    r3.kill().await?;
                    tokio::time::sleep(phase).await;
                    r3 = Process::replica(3, &r3_addr).await?;
                    anyhow::Ok(r3)
                }
            };
            let limit = Duration::from_secs(3);
            let (records, restarted) =
                tokio::join!(load::run(args.rate, phase * 4, limit, call), faults);
            r3 = restarted.context("the faults of the experiment")?;
            drop(_middle);
            let run = summarise(target.name(), &records, phase);
            print_run(&run);
            rounds[t].push(run);
        }
    }
    let runs: Vec<Value> = rounds
        .iter()
        .filter(|r| !r.is_empty())
        .map(|r| combine(r))
        .collect();
    if args.rounds > 1 {
        println!("median of {} rounds", args.rounds);
        runs.iter().for_each(print_run);
    }
    let _ = r1.kill().await;
    if let Some(path) = args.json {
        let report = json!({
            "rate_per_s": args.rate, "work_ms": args.work_ms, "slow_ms": args.slow_ms,
            "phase_seconds": args.phase_seconds, "phases": PHASES, "rounds": args.rounds,
            "runs": runs,
        });
        std::fs::write(&path, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// One balancer's rounds as one: per phase, the median of each latency
/// figure and of each replica's share, and the sums of requests and errors.
fn combine(rounds: &[Value]) -> Value {
    let median = |mut v: Vec<f64>| -> Option<f64> {
        v.retain(|x| x.is_finite());
        v.sort_by(f64::total_cmp);
        (!v.is_empty()).then(|| v[v.len() / 2])
    };
    let phases: Vec<Value> = PHASES
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let each: Vec<&Value> = rounds.iter().map(|r| &r["phases"][i]).collect();
            let numbers = |k: &str| {
                each.iter()
                    .filter_map(|p| p[k].as_f64())
                    .collect::<Vec<_>>()
            };
            let sum = |k: &str| each.iter().filter_map(|p| p[k].as_u64()).sum::<u64>();
            let share = |r: usize| {
                median(each.iter().filter_map(|p| p["share"][r].as_f64()).collect()).unwrap_or(0.0)
            };
            json!({
                "phase": label,
                "requests": sum("requests"),
                "errors": sum("errors"),
                "p50_ms": median(numbers("p50_ms")),
                "p99_ms": median(numbers("p99_ms")),
                "p999_ms": median(numbers("p999_ms")),
                "p99_ms_rounds": numbers("p99_ms"),
                "share": [share(0), share(1), share(2)],
            })
        })
        .collect();
    json!({"balancer": rounds[0]["balancer"], "phases": phases})
}

/// Each phase's figures for one balancer.
fn summarise(name: &str, records: &[Record], phase: Duration) -> Value {
    let phases: Vec<Value> = PHASES
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let in_phase: Vec<&Record> = records
                .iter()
                .filter(|r| r.due >= phase * i as u32 && r.due < phase * (i as u32 + 1))
                .collect();
            let ok: Vec<&Record> = in_phase.iter().copied().filter(|r| r.ok).collect();
            let share = |id: u32| {
                ok.iter().filter(|r| r.replica == Some(id)).count() as f64 / ok.len().max(1) as f64
            };
            json!({
                "phase": label,
                "requests": in_phase.len(),
                "errors": in_phase.len() - ok.len(),
                "p50_ms": quantile_ms(&ok, 0.5),
                "p99_ms": quantile_ms(&ok, 0.99),
                "p999_ms": quantile_ms(&ok, 0.999),
                "share": [share(1), share(2), share(3)],
            })
        })
        .collect();
    json!({"balancer": name, "phases": phases})
}

fn print_run(run: &Value) {
    println!("{}", run["balancer"].as_str().unwrap_or("?"));
    for p in run["phases"].as_array().into_iter().flatten() {
        let ms = |k: &str| p[k].as_f64().map_or("-".to_string(), |v| format!("{v:.1}"));
        let share: Vec<String> = p["share"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| format!("{:>3.0}%", s.as_f64().unwrap_or(0.0) * 100.0))
            .collect();
        println!(
            "  {:<10} p50 {:>6} p99 {:>6} p99.9 {:>6} ms  errors {:>4}/{:<5} replicas {}",
            p["phase"].as_str().unwrap_or("?"),
            ms("p50_ms"),
            ms("p99_ms"),
            ms("p999_ms"),
            p["errors"],
            p["requests"],
            share.join(" ")
        );
    }
}
