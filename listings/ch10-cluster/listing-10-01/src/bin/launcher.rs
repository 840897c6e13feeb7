//! Starts a cluster of N nodes on this machine and lets you break it.
//!
//! Each node is a real operating-system process running the `node` binary
//! that sits beside this one, so a node can crash, hang or be killed on
//! its own, as on separate machines. The launcher waits until every node
//! is ready, then reads commands (`status`, `stop N`, `kill N`, `pause N`,
//! `resume N`, `restart N`, `quit`) from its standard input. On `quit`,
//! Ctrl-C or SIGTERM it stops every node, and no node outlives it, not
//! even when the launcher itself is killed with `kill -9`.
//!
//! The runtime is single-threaded on purpose: see `spawn_node`.

use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;
use listing_10_01::stop_signal;
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep, timeout};

/// Start a cluster of nodes on 127.0.0.1 and act on them.
#[derive(Parser)]
struct Args {
    /// How many nodes to start.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=64))]
    nodes: u32,
    /// Node i listens on BASE_PORT + i; 0 picks free ports.
    #[arg(long, default_value_t = 0)]
    base_port: u16,
    /// The node program (default: `node` beside this launcher).
    #[arg(long)]
    node_bin: Option<PathBuf>,
    /// Write each node's output to DIR/node-N.log instead of this terminal.
    #[arg(long)]
    logs: Option<PathBuf>,
}

/// How long a node may take to become ready, and to stop when asked.
const READY_WITHIN: Duration = Duration::from_secs(10);
const STOP_WITHIN: Duration = Duration::from_secs(5);
/// How long a status probe waits for `/ready`.
const PROBE_WITHIN: Duration = Duration::from_secs(1);

struct Member {
    id: u32,
    addr: SocketAddr,
    child: Option<Child>,
    paused: bool,
    /// How the last process of this member ended, if it did.
    ended: Option<ExitStatus>,
}

struct Cluster {
    members: Vec<Member>,
    node_bin: PathBuf,
    logs: Option<PathBuf>,
    http: reqwest::Client,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let node_bin = match args.node_bin {
        Some(path) => path,
        None => std::env::current_exe()?.with_file_name("node"),
    };
    if !node_bin.exists() {
        bail!(
            "no node program at {}: build it first (`cargo build -p listing-10-01`) or pass --node-bin",
            node_bin.display()
        );
    }
    if let Some(dir) = &args.logs {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let addrs = addresses(args.nodes, args.base_port)?;
    let mut cluster = Cluster {
        members: Vec::new(),
        node_bin,
        logs: args.logs,
        http: reqwest::Client::builder().timeout(PROBE_WITHIN).build()?,
    };
    for (i, addr) in addrs.iter().enumerate() {
        cluster.members.push(Member {
            id: i as u32 + 1,
            addr: *addr,
            child: None,
            paused: false,
            ended: None,
        });
    }
    let result = cluster.run().await;
    // Whatever happened above, no node is left behind.
    cluster.stop_all().await;
    result
}

// ANCHOR: addresses
/// One address per node. With a base port the addresses are predictable;
/// with 0 the launcher asks the kernel for free ports, closes them, and
/// hands them to the nodes. Another program could take a port in between:
/// rare on a development machine, and the node would then say so and exit.
fn addresses(n: u32, base_port: u16) -> anyhow::Result<Vec<SocketAddr>> {
    if base_port != 0 {
        return (1..=n)
            .map(|i| {
                let port = base_port
                    .checked_add(i as u16)
                    .context("--base-port is too high for that many nodes")?;
                Ok(SocketAddr::from(([127, 0, 0, 1], port)))
            })
            .collect();
    }
    // Hold every listener until all ports are chosen, so none repeats.
    let listeners = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<Vec<_>>>()?;
    listeners.iter().map(|l| Ok(l.local_addr()?)).collect()
}
// ANCHOR_END: addresses

impl Cluster {
    async fn run(&mut self) -> anyhow::Result<()> {
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

    // ANCHOR: spawn
    /// Starts member `i` and waits until it answers `/ready`.
    async fn start(&mut self, i: usize) -> anyhow::Result<()> {
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
        die_with_parent(&mut cmd);
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

    async fn status(&mut self) {
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
    fn reap(&mut self, i: usize) {
        let m = &mut self.members[i];
        if let Some(child) = &mut m.child
            && let Ok(Some(status)) = child.try_wait()
        {
            m.child = None;
            m.ended = Some(status);
        }
    }

    // ANCHOR: signal
    async fn signal(&mut self, i: usize, signal: libc::c_int, name: &str) -> anyhow::Result<()> {
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
    async fn stop(&mut self, i: usize) -> anyhow::Result<()> {
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

    async fn stop_all(&mut self) {
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

// ANCHOR: die_with_parent
/// Makes the kernel kill the node when the launcher dies, however it dies.
/// Linux sends the signal when the *thread* that started the child ends,
/// which is why this launcher runs on one thread: tokio's multi-threaded
/// runtime may retire the worker that spawned a node, killing it early.
#[cfg(target_os = "linux")]
fn die_with_parent(cmd: &mut Command) {
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure runs in the child between fork and exec, where
    // only async-signal-safe calls are allowed; prctl, getppid and _exit
    // are. It allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The launcher may have died before prctl took effect.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
}

/// Elsewhere there is no such call: the launcher stops its nodes when it
/// exits normally, but `kill -9` of the launcher leaves them running.
#[cfg(not(target_os = "linux"))]
fn die_with_parent(_cmd: &mut Command) {}
// ANCHOR_END: die_with_parent

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

fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(libc::SIGKILL)) => "killed by SIGKILL".into(),
        (None, Some(sig)) => format!("ended by signal {sig}"),
        (None, None) => "ended".into(),
    }
}
