//! The nodes as processes: each member's address and process, and how the
//! launcher starts one, waits until it is ready, signals it, and stops it.

use std::net::SocketAddr;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::process::{Child, Command};
use tokio::time::{Instant, sleep, timeout};

use crate::child::die_with_parent;

/// How long a node may take to become ready, and to stop when asked.
const READY_WITHIN: Duration = Duration::from_secs(10);
const STOP_WITHIN: Duration = Duration::from_secs(5);
/// How long a status probe waits for `/ready`.
pub const PROBE_WITHIN: Duration = Duration::from_secs(1);

pub struct Member {
    pub id: u32,
    pub addr: SocketAddr,
    pub child: Option<Child>,
    pub paused: bool,
    /// How the last process of this member ended, if it did.
    pub ended: Option<ExitStatus>,
}

pub struct Cluster {
    pub members: Vec<Member>,
    pub node_bin: PathBuf,
    pub logs: Option<PathBuf>,
    pub http: reqwest::Client,
}

impl Cluster {
    // ANCHOR: spawn
    /// Starts member `i` and waits until it answers `/ready`.
    pub async fn start(&mut self, i: usize) -> anyhow::Result<()> {
        let m = &self.members[i];
        if m.child.is_some() {
            bail!("node {} is running", m.id);
        }
        let mut cmd = Command::new(&self.node_bin);
        cmd.arg("--id").arg(m.id.to_string());
        cmd.arg("--listen").arg(m.addr.to_string());
        for peer in self.members.iter().filter(|p| p.id != m.id) {
            cmd.arg("--peer").arg(format!("{}={}", peer.id, peer.addr));
        }
        match &self.logs {
            Some(dir) => {
                let log = std::fs::File::create(dir.join(format!("node-{}.log", m.id)))?;
                cmd.stdout(log.try_clone()?).stderr(log);
            }
            None => {
                cmd.stdout(Stdio::null());
            }
        }
        // Its own process group: a Ctrl-C typed in the terminal reaches the
        // launcher alone, which then stops the nodes in order.
        cmd.process_group(0);
        die_with_parent(cmd.as_std_mut());
        cmd.kill_on_drop(true);
        let child = cmd
            .spawn()
            .with_context(|| format!("cannot start {}", self.node_bin.display()))?;
        let pid = child.id().unwrap_or_default();
        let m = &mut self.members[i];
        m.child = Some(child);
        m.paused = false;
        m.ended = None;
        self.wait_ready(i).await?;
        let m = &self.members[i];
        println!("node {}: http://{} (pid {pid}) ready", m.id, m.addr);
        Ok(())
    }
    // ANCHOR_END: spawn

    /// Polls `/ready` until it says 200, the node exits, or time is up.
    async fn wait_ready(&mut self, i: usize) -> anyhow::Result<()> {
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            if self.probe(i).await == "ready" {
                return Ok(());
            }
            let m = &mut self.members[i];
            if let Some(child) = &mut m.child
                && let Some(status) = child.try_wait()?
            {
                m.child = None;
                m.ended = Some(status);
                bail!("node {} {} before it was ready", m.id, describe(status));
            }
            if Instant::now() > deadline {
                bail!("node {} was not ready within {READY_WITHIN:?}", m.id);
            }
            sleep(Duration::from_millis(50)).await;
        }
    }

    /// What `/ready` says, in a word or two.
    async fn probe(&self, i: usize) -> String {
        let url = format!("http://{}/ready", self.members[i].addr);
        match self.http.get(url).send().await {
            Ok(r) if r.status().is_success() => "ready".into(),
            Ok(r) => format!("not ready ({})", r.status()),
            Err(e) if e.is_timeout() => format!("no answer within {PROBE_WITHIN:?}"),
            Err(_) => "refused".into(),
        }
    }

    pub async fn status(&mut self) {
        for i in 0..self.members.len() {
            self.reap(i);
            let probe = self.probe(i).await;
            let m = &self.members[i];
            let process = match (&m.child, m.ended) {
                (Some(c), _) if m.paused => format!("pid {} paused", c.id().unwrap_or_default()),
                (Some(c), _) => format!("pid {} running", c.id().unwrap_or_default()),
                (None, Some(status)) => describe(status),
                (None, None) => "not started".into(),
            };
            println!(
                "node {}  http://{}  {process}  /ready: {probe}",
                m.id, m.addr
            );
        }
    }

    /// Notices a node that has exited, and remembers how.
    pub fn reap(&mut self, i: usize) {
        let m = &mut self.members[i];
        if let Some(child) = &mut m.child
            && let Ok(Some(status)) = child.try_wait()
        {
            m.child = None;
            m.ended = Some(status);
        }
    }

    // ANCHOR: signal
    pub async fn signal(
        &mut self,
        i: usize,
        signal: libc::c_int,
        name: &str,
    ) -> anyhow::Result<()> {
        self.reap(i);
        let m = &mut self.members[i];
        let pid = m
            .child
            .as_ref()
            .and_then(Child::id)
            .with_context(|| format!("node {} is not running", m.id))?;
        // SAFETY: kill(2) only sends a signal; `pid` is our own child,
        // which has not been reaped, so the number cannot name another
        // process.
        if unsafe { libc::kill(pid as libc::pid_t, signal) } != 0 {
            bail!("kill({pid}, {name}): {}", std::io::Error::last_os_error());
        }
        println!("node {}: sent {name} to pid {pid}", m.id);
        match signal {
            libc::SIGSTOP => m.paused = true,
            libc::SIGCONT => m.paused = false,
            // The kernel ends the process at once; wait until it has.
            libc::SIGKILL => {
                if let Some(mut child) = m.child.take() {
                    let status = child.wait().await?;
                    m.ended = Some(status);
                    m.paused = false;
                    println!("node {}: {}", m.id, describe(status));
                }
            }
            _ => {}
        }
        Ok(())
    }
    // ANCHOR_END: signal

    // ANCHOR: stop
    /// SIGTERM, a deadline for the node's graceful drain, then SIGKILL.
    pub async fn stop(&mut self, i: usize) -> anyhow::Result<()> {
        self.reap(i);
        let m = &mut self.members[i];
        let Some(mut child) = m.child.take() else {
            println!("node {}: not running", m.id);
            return Ok(());
        };
        if let Some(pid) = child.id() {
            // SAFETY: as in `signal`: our own child, not yet reaped.
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGTERM);
                // A stopped process keeps SIGTERM pending until it runs again.
                libc::kill(pid as libc::pid_t, libc::SIGCONT);
            }
        }
        let status = match timeout(STOP_WITHIN, child.wait()).await {
            Ok(status) => status?,
            Err(_) => {
                println!(
                    "node {}: still running after {STOP_WITHIN:?}, killing it",
                    m.id
                );
                child.kill().await?;
                child.wait().await?
            }
        };
        m.ended = Some(status);
        m.paused = false;
        println!("node {}: {}", m.id, describe(status));
        Ok(())
    }
    // ANCHOR_END: stop

    pub async fn stop_all(&mut self) {
        let running = self.members.iter().filter(|m| m.child.is_some()).count();
        if running > 0 {
            println!("stopping {running} nodes");
        }
        for i in 0..self.members.len() {
            if self.members[i].child.is_some()
                && let Err(e) = self.stop(i).await
            {
                println!("error: {e:#}");
            }
        }
    }
}

fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(libc::SIGKILL)) => "killed by SIGKILL".into(),
        (None, Some(sig)) => format!("ended by signal {sig}"),
        (None, None) => "ended".into(),
    }
}
