//! The retry that charges twice, and the key that prevents it.
//!
//! Alice sends Bob six transfers through a fault proxy. Two replies are
//! dropped on the way back (the transfer happened; the client never hears),
//! and the node is killed after writing the fourth transfer it applies but
//! before answering. The client retries whatever got no answer. Run once
//! with a naive client that sends the same request again, and once with a
//! client that names each transfer with an idempotency key; each run is
//! judged by the exactly-once checker from the client's history.

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use listing_11_03::check::check_transfers;
use listing_11_03::child;
use listing_11_03::faultproxy::{Kind, Proxies, ProxySpec, Stream, Toxic};
use listing_11_03::history::{Event, F, Recorder, Type};
use serde_json::json;
use tokio::process::{Child, Command};
use tokio::time::sleep;

#[derive(Parser)]
struct Args {
    /// Where the node keeps its log and the client its history.
    #[arg(long, default_value = "target/bank-scenario")]
    data: PathBuf,
    /// The node program (default: `bank-node` beside this one).
    #[arg(long)]
    node_bin: Option<PathBuf>,
}

/// A bank node behind a proxy, and a client that records what it does.
struct Run {
    node_bin: PathBuf,
    data: PathBuf,
    addr: String,
    node: Option<Child>,
    proxies: Proxies,
    via: String,
    http: reqwest::Client,
    history: Recorder,
}

impl Run {
    async fn start_node(&mut self, crash_before_reply: u64) -> anyhow::Result<()> {
        let mut cmd = Command::new(&self.node_bin);
        cmd.arg(format!("--listen={}", self.addr))
            .arg(format!("--data={}", self.data.display()))
            .arg(format!("--crash-before-reply={crash_before_reply}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        child::die_with_parent(cmd.as_std_mut());
        self.node = Some(cmd.spawn().context("cannot start bank-node")?);
        for _ in 0..200 {
            let url = format!("http://{}/health", self.addr);
            if self.http.get(url).send().await.is_ok() {
                return Ok(());
            }
            sleep(Duration::from_millis(25)).await;
        }
        anyhow::bail!("bank-node did not answer within 5 s")
    }

    /// The supervisor's job, done by hand: a node that died is restarted
    /// from its log (without the injected crash this time).
    async fn ensure_running(&mut self) -> anyhow::Result<()> {
        if let Some(child) = &mut self.node
            && let Some(status) = child.try_wait()?
        {
            let how = status
                .signal()
                .map_or(format!("{status}"), |s| format!("signal {s}"));
            println!("  the node died ({how}); restarted from its log");
            self.start_node(0).await?;
        }
        Ok(())
    }

    /// The fault: the next reply from the node is cut off on the way back.
    async fn drop_replies(&self, on: bool) -> anyhow::Result<()> {
        if on {
            let toxic = Toxic {
                name: "drop_reply".into(),
                stream: Stream::Downstream,
                kind: Kind::LimitData { bytes: 0 },
            };
            self.proxies.add_toxic("bank", toxic).await?;
        } else {
            self.proxies.remove_toxic("bank", "drop_reply").await?;
        }
        Ok(())
    }

    // ANCHOR: client
    /// One logical transfer, attempted up to four times. With `keyed`, every
    /// attempt carries the same idempotency key; without, each attempt is
    /// just the same request again.
    async fn transfer(
        &mut self,
        op: &str,
        amount: u64,
        keyed: bool,
        drop_first: bool,
    ) -> anyhow::Result<()> {
        let body = json!({ "from": "alice", "to": "bob", "amount": amount });
        for attempt in 1..=4 {
            self.ensure_running().await?;
            let drop_this = drop_first && attempt == 1;
            if drop_this {
                self.drop_replies(true).await?;
            }
            let event = Event::new(1, Type::Invoke, F::Transfer, body.clone());
            self.history.record(event.key(op));
            let mut request = self
                .http
                .post(format!("http://{}/transfer", self.via))
                .json(&body);
            if keyed {
                request = request.header("idempotency-key", op);
            }
            let (outcome, said) = match request.send().await {
                Ok(r) if r.status().is_success() => {
                    let replayed = r.headers().contains_key("idempotent-replayed");
                    (
                        Type::Ok,
                        if replayed {
                            "ok, replayed from the key table"
                        } else {
                            "ok"
                        },
                    )
                }
                // Refused before it was applied: the node said no (4xx), or
                // shed it unstarted (503 with Retry-After, Chapter 10).
                Ok(r) if r.status().is_client_error() || shed(&r) => (Type::Fail, "refused"),
                // Any other answer (a 504: the handler overran) came after
                // the transfer may have been applied.
                Ok(_) => (Type::Info, "answered, outcome unknown"),
                Err(e) if e.is_connect() => (Type::Fail, "could not connect"),
                // Sent, and no answer: it may or may not have happened.
                Err(_) => (Type::Info, "no reply"),
            };
            if drop_this {
                self.drop_replies(false).await?;
            }
            let event = Event::new(1, outcome, F::Transfer, body.clone());
            self.history.record(event.key(op));
            println!("{op} ({amount}), attempt {attempt}: {said}");
            if outcome == Type::Ok {
                return Ok(());
            }
            sleep(Duration::from_millis(50 * attempt)).await;
        }
        println!("{op}: gave up");
        Ok(())
    }
    // ANCHOR_END: client
}

/// A 503 that says when to come back: shed before the handler ran.
fn shed(r: &reqwest::Response) -> bool {
    r.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE
        && r.headers().contains_key(reqwest::header::RETRY_AFTER)
}

async fn run(node_bin: &Path, data: &Path, keyed: bool) -> anyhow::Result<()> {
    println!(
        "== client: {} ==",
        if keyed {
            "with idempotency keys"
        } else {
            "naive retries"
        }
    );
    let _ = std::fs::remove_dir_all(data);
    std::fs::create_dir_all(data)?;
    let addr = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .to_string();
    let proxies = Proxies::new();
    let spec = ProxySpec {
        name: "bank".into(),
        listen: "127.0.0.1:0".into(),
        upstream: addr.clone(),
    };
    let via = proxies.create(spec).await?.listen.to_string();
    let mut run = Run {
        node_bin: node_bin.to_path_buf(),
        data: data.to_path_buf(),
        addr,
        node: None,
        proxies,
        via,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?,
        history: Recorder::create(&data.join("history.jsonl"))?,
    };
    run.start_node(4).await?;
    for i in 1..=6u64 {
        run.transfer(&format!("t{i}"), i * 10, keyed, i == 2 || i == 5)
            .await?;
    }
    let balances: BTreeMap<String, u64> = run
        .http
        .get(format!("http://{}/balances", run.addr))
        .send()
        .await?
        .json()
        .await?;
    println!(
        "balances: alice {}, bob {}",
        balances["alice"], balances["bob"]
    );
    let initial = BTreeMap::from([("alice".to_string(), 1000), ("bob".to_string(), 1000)]);
    match check_transfers(&run.history.events(), "alice", &initial, &balances) {
        Ok(r) => println!(
            "check: ok (alice paid {}, exactly the acknowledged transfers)",
            r.paid_really
        ),
        Err(v) => println!("check: FAILED: {v}"),
    }
    run.proxies.shutdown().await;
    if let Some(mut node) = run.node.take() {
        node.kill().await?;
    }
    Ok(())
}

// One thread, as in Listing 10-1's launcher: the node dies with the
// thread that started it (see `child`), and this one lives to the end.
// On an error the node, dropped, is killed (`kill_on_drop`).
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let node_bin = match args.node_bin {
        Some(p) => p,
        None => child::sibling("bank-node")?,
    };
    run(&node_bin, &args.data.join("naive"), false).await?;
    run(&node_bin, &args.data.join("keyed"), true).await?;
    Ok(())
}
