//! Two balancers in the middle, side by side: the book's `lb-proxy` and
//! nginx, in front of the same three replicas. Thirty requests through
//! each, then replica 3 is killed with `kill -9` and thirty more go
//! through each: who answered, and how many requests failed.

use std::collections::BTreeMap;
use std::time::Duration;

use listing_12_02::child::sibling;
use listing_12_02::cluster::Process;
use listing_12_02::nginx::{self, Nginx};
use listing_12_02::pick::Strategy;

/// `count` GETs to `url`, one after another: the answers by replica, and
/// the number that failed.
async fn send(http: &reqwest::Client, url: &str, count: u32) -> (BTreeMap<String, u32>, u32) {
    let mut by_replica = BTreeMap::new();
    let mut failed = 0;
    for _ in 0..count {
        let answer = match http.get(url).send().await {
            Ok(r) if r.status().is_success() => r.text().await.ok(),
            _ => None,
        };
        match answer {
            Some(body) => *by_replica.entry(body).or_insert(0) += 1,
            None => failed += 1,
        }
    }
    (by_replica, failed)
}

fn show(name: &str, (by_replica, failed): (BTreeMap<String, u32>, u32)) {
    let answers: Vec<String> = by_replica
        .iter()
        .map(|(r, n)| format!("{r}: {n}"))
        .collect();
    println!("  {name:<9} {} | failed: {failed}", answers.join(", "));
}

// Every process is started by `main`'s own future, which tokio runs on
// the program's main thread: the processes die with that thread (see
// `child`), not with a worker of the runtime.
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut replicas = Vec::new();
    for id in 1..=3 {
        replicas.push(Process::replica(id, "127.0.0.1:0").await?);
    }
    let addrs: Vec<String> = replicas.iter().map(|r| r.addr.clone()).collect();
    let mut args = vec![
        "--strategy".to_string(),
        Strategy::LeastOutstanding.name().into(),
    ];
    for a in &addrs {
        args.extend(["--replica".to_string(), a.clone()]);
    }
    let proxy = Process::start(&sibling("lb-proxy")?, &args).await?;
    let nginx = Nginx::start(&addrs, nginx::Method::LeastConn).await?;
    println!("three replicas; lb-proxy (least outstanding) and nginx (least_conn) in front");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()?;
    let through = |front: &str| format!("http://{front}/work?ms=1");
    println!("30 requests through each, one at a time:");
    show("lb-proxy", send(&http, &through(&proxy.addr), 30).await);
    show("nginx", send(&http, &through(&nginx.addr), 30).await);
    replicas[2].kill().await?;
    println!("replica 3 killed (kill -9); 30 more through each:");
    show("lb-proxy", send(&http, &through(&proxy.addr), 30).await);
    show("nginx", send(&http, &through(&nginx.addr), 30).await);
    let forwarded = |front: &str| format!("http://{front}/forwarded");
    for (name, front) in [("lb-proxy", &proxy.addr), ("nginx", &nginx.addr)] {
        let seen = http.get(forwarded(front)).send().await?.text().await?;
        println!("x-forwarded-for as a replica sees it through {name}: {seen}");
    }
    Ok(())
}
