//! A rolling restart: three replicas restarted one after another while a
//! client calls them. Each restart catches one slow request in flight on
//! the replica being restarted, and the next requests find it down. Run
//! three ways: replicas killed with `kill -9` and a client that does not
//! retry; replicas stopped with SIGTERM, which drains them, and the same
//! client; drained replicas and a client that sends a failed idempotent
//! request to the next replica.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use listing_11_05::child;
use listing_11_05::client::{Outcome, Replicas};
use tokio::process::{Child, Command};
use tokio::time::sleep;

#[derive(Parser)]
struct Args {
    /// The replica program (default: `replica` beside this one).
    #[arg(long)]
    replica_bin: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq)]
enum Stop {
    Kill,
    Drain,
}

struct Cluster {
    bin: PathBuf,
    addrs: Vec<String>,
    children: Vec<Option<Child>>,
}

impl Cluster {
    async fn start(&mut self, i: usize) -> anyhow::Result<()> {
        let mut cmd = Command::new(&self.bin);
        cmd.arg(format!("--id={}", i + 1))
            .arg(format!("--listen={}", self.addrs[i]))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Killed if dropped, on an error; and by the kernel if this
            // program is killed.
            .kill_on_drop(true);
        child::die_with_parent(cmd.as_std_mut());
        self.children[i] = Some(cmd.spawn().context("cannot start the replica")?);
        let url = format!("http://{}/ready", self.addrs[i]);
        for _ in 0..200 {
            if reqwest::get(&url)
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Ok(());
            }
            sleep(Duration::from_millis(25)).await;
        }
        anyhow::bail!("replica {} not ready within 5 s", i + 1)
    }

    // ANCHOR: stop
    async fn stop(&mut self, i: usize, how: Stop) -> anyhow::Result<()> {
        let Some(mut child) = self.children[i].take() else {
            return Ok(());
        };
        match how {
            Stop::Kill => child.kill().await?,
            Stop::Drain => {
                let pid = child.id().context("the replica has a pid")?;
                // SAFETY: kill(2) sends a signal to our own, unreaped child.
                unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
                tokio::time::timeout(Duration::from_secs(10), child.wait()).await??;
            }
        }
        Ok(())
    }
    // ANCHOR_END: stop
}

fn show(o: &Outcome) -> String {
    match o {
        Outcome::Ok { replica } => format!("ok (replica {replica})"),
        Outcome::Failed { replica, why } => format!("FAILED (replica {replica}: {why})"),
    }
}

// ANCHOR: run
async fn run(bin: &Path, how: Stop, retry_elsewhere: bool) -> anyhow::Result<()> {
    let addrs: Vec<String> = (0..3)
        .map(|_| {
            Ok(std::net::TcpListener::bind("127.0.0.1:0")?
                .local_addr()?
                .to_string())
        })
        .collect::<anyhow::Result<_>>()?;
    let urls = addrs.iter().map(|a| format!("http://{a}")).collect();
    let mut cluster = Cluster {
        bin: bin.to_path_buf(),
        addrs,
        children: vec![None, None, None],
    };
    for i in 0..3 {
        cluster.start(i).await?;
    }
    let client = std::sync::Arc::new(Replicas::new(urls, retry_elsewhere));
    let mut failed = 0;
    for i in 0..3 {
        // Round robin sends this one to replica i + 1: it is in flight
        // when that replica is stopped.
        let slow = tokio::spawn({
            let client = client.clone();
            async move { client.get("/work?ms=300").await }
        });
        sleep(Duration::from_millis(100)).await;
        cluster.stop(i, how).await?;
        let mut seen = vec![slow.await?];
        for _ in 0..3 {
            seen.push(client.get("/work?ms=1").await);
        }
        failed += seen
            .iter()
            .filter(|o| matches!(o, Outcome::Failed { .. }))
            .count();
        cluster.start(i).await?;
        let shown: Vec<String> = seen.iter().map(show).collect();
        println!(
            "restart replica {}: in flight {}; then {}",
            i + 1,
            shown[0],
            shown[1..].join(", ")
        );
    }
    println!("failed: {failed} of 12 requests");
    for i in 0..3 {
        cluster.stop(i, Stop::Drain).await?;
    }
    Ok(())
}
// ANCHOR_END: run

// One thread: the replicas die with the thread that started them (see
// `child`), and this one lives to the end.
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let bin = match args.replica_bin {
        Some(p) => p,
        None => child::sibling("replica")?,
    };
    println!("== kill -9, no retries ==");
    run(&bin, Stop::Kill, false).await?;
    println!("== SIGTERM with a drain, no retries ==");
    run(&bin, Stop::Drain, false).await?;
    println!("== SIGTERM with a drain, failed requests sent to the next replica ==");
    run(&bin, Stop::Drain, true).await?;
    Ok(())
}
