//! The launcher's loop: it waits for the nodes to be ready, then acts on
//! one command line at a time, until `quit`, Ctrl-C, SIGTERM or an
//! error in starting a node.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, bail};
use listing_10_01::stop_signal;
use tokio::sync::mpsc;

use crate::cluster::Cluster;

impl Cluster {
    pub async fn run(&mut self) -> anyhow::Result<()> {
        // Installed first, so that a signal that comes while the nodes
        // start is not lost: it is acted on once they are up.
        let mut stop = std::pin::pin!(stop_signal());
        for i in 0..self.members.len() {
            self.start(i).await?;
        }
        println!(
            "cluster of {} nodes ready; commands: status, stop N, kill N, pause N, resume N, restart N, quit",
            self.members.len()
        );
        let mut commands = read_commands();
        // Commands from a script are echoed, so that the output reads as
        // a session.
        let echo = !std::io::stdin().is_terminal();
        let mut input_open = true;
        loop {
            let line = tokio::select! {
                line = commands.recv(), if input_open => line,
                () = &mut stop => {
                    println!("stop signal received");
                    return Ok(());
                }
            };
            let Some(line) = line else {
                // Input ended: keep the cluster up until a signal.
                input_open = false;
                continue;
            };
            if echo {
                println!("> {line}");
            }
            match self.command(&line).await {
                Ok(true) => {}
                Ok(false) => return Ok(()),
                Err(e) => println!("error: {e:#}"),
            }
        }
    }

    // ANCHOR: command
    /// Acts on one command line; returns false on `quit`.
    async fn command(&mut self, line: &str) -> anyhow::Result<bool> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (verb, id) = match words[..] {
            [] => return Ok(true),
            ["quit"] => return Ok(false),
            ["status"] => {
                self.status().await;
                return Ok(true);
            }
            [verb, id] => (verb, id),
            _ => bail!(
                "cannot read {line:?}; commands: status, stop N, kill N, pause N, resume N, restart N, quit"
            ),
        };
        if !["stop", "kill", "pause", "resume", "restart"].contains(&verb) {
            bail!("unknown command {verb:?}");
        }
        let i = id
            .parse::<usize>()
            .ok()
            .filter(|i| (1..=self.members.len()).contains(i))
            .with_context(|| format!("no node {id:?}: nodes are 1 to {}", self.members.len()))?
            - 1;
        match verb {
            "stop" => self.stop(i).await?,
            "kill" => self.signal(i, libc::SIGKILL, "SIGKILL").await?,
            "pause" => self.signal(i, libc::SIGSTOP, "SIGSTOP").await?,
            "resume" => self.signal(i, libc::SIGCONT, "SIGCONT").await?,
            _restart => {
                self.reap(i);
                if self.members[i].child.is_some() {
                    self.stop(i).await?;
                }
                self.start(i).await?;
            }
        }
        Ok(true)
    }
    // ANCHOR_END: command
}

/// Commands come from a thread of their own: tokio's stdin would keep the
/// runtime from shutting down while a read is pending.
fn read_commands() -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel(16);
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.blocking_send(line).is_err() {
                break;
            }
        }
    });
    rx
}
