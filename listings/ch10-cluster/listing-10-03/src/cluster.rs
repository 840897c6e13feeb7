//! The third harness: real node processes on 127.0.0.1, each link between
//! two nodes through a proxy of its own (Listing 10-2, run in this
//! process), and clients that record a history. The scenario program and
//! the tests drive the cluster through this one type, and a cluster that
//! is dropped, also by a failing test, kills its nodes.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tokio::process::{Child, Command};
use tokio::time::{Instant, sleep, timeout};

use crate::child::die_with_parent;
use crate::counter::NodeId;
use crate::faultproxy::{Proxies, ProxySpec};
use crate::history::{Event, F, Recorder, Type};

struct NodeProcess {
    addr: SocketAddr,
    args: Vec<String>,
    child: Option<Child>,
}

pub struct Cluster {
    node_bin: PathBuf,
    nodes: BTreeMap<NodeId, NodeProcess>,
    proxies: Proxies,
    http: reqwest::Client,
    pub history: Arc<Recorder>,
}

impl Cluster {
    pub fn ids(&self) -> Vec<NodeId> {
        self.nodes.keys().copied().collect()
    }
}

/// How long a client waits for a node; past that, the outcome is unknown.
const REQUEST_WITHIN: Duration = Duration::from_secs(2);

// ANCHOR: start
impl Cluster {
    /// Starts `n` nodes running `core`, keeping their disks in `data` and
    /// the clients' history in `data/history.jsonl`. Node i reaches node j
    /// through the proxy named `i-j`.
    pub async fn start(
        node_bin: &Path,
        n: u32,
        core: &str,
        data: &Path,
    ) -> anyhow::Result<Cluster> {
        std::fs::create_dir_all(data)?;
        let addrs = free_addresses(n)?;
        let proxies = Proxies::new();
        let mut nodes = BTreeMap::new();
        for i in 1..=n {
            let mut args = vec![
                format!("--id={i}"),
                format!("--listen={}", addrs[i as usize - 1]),
                format!("--core={core}"),
                format!("--data={}", data.display()),
                "--gossip-ms=50".to_string(),
            ];
            for j in (1..=n).filter(|&j| j != i) {
                let link = proxies
                    .create(ProxySpec {
                        name: format!("{i}-{j}"),
                        listen: "127.0.0.1:0".into(),
                        upstream: addrs[j as usize - 1].to_string(),
                    })
                    .await?;
                args.push(format!("--peer={j}={}", link.listen));
            }
            nodes.insert(
                i,
                NodeProcess {
                    addr: addrs[i as usize - 1],
                    args,
                    child: None,
                },
            );
        }
        let history = Arc::new(Recorder::create(&data.join("history.jsonl"))?);
        let mut cluster = Cluster {
            node_bin: node_bin.to_path_buf(),
            nodes,
            proxies,
            http: reqwest::Client::builder().timeout(REQUEST_WITHIN).build()?,
            history,
        };
        for i in 1..=n {
            cluster.restart(i).await?;
        }
        Ok(cluster)
    }
    // ANCHOR_END: start

    /// Starts node `id` (again) from what it has on disk; waits until ready.
    pub async fn restart(&mut self, id: NodeId) -> anyhow::Result<()> {
        let node = self.nodes.get_mut(&id).context("no such node")?;
        let mut cmd = Command::new(&self.node_bin);
        cmd.args(&node.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        die_with_parent(cmd.as_std_mut());
        node.child = Some(
            cmd.spawn()
                .with_context(|| format!("cannot start {}", self.node_bin.display()))?,
        );
        let url = format!("http://{}/ready", node.addr);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(r) = self.http.get(&url).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("node {id} was not ready within 10 s");
            }
            sleep(Duration::from_millis(20)).await;
        }
    }

    /// `kill -9`: the node gets no chance to finish anything.
    pub async fn kill(&mut self, id: NodeId) -> anyhow::Result<()> {
        let node = self.nodes.get_mut(&id).context("no such node")?;
        if let Some(mut child) = node.child.take() {
            child.kill().await?;
        }
        Ok(())
    }

    // ANCHOR: partition
    /// Cuts every link between `side` and the other nodes, both ways: the
    /// proxies refuse connections until `heal`.
    pub async fn partition(&self, side: &[NodeId]) -> anyhow::Result<()> {
        for (&i, &j) in self.links() {
            if side.contains(&i) != side.contains(&j) {
                self.proxies.set_enabled(&format!("{i}-{j}"), false).await?;
            }
        }
        Ok(())
    }

    pub async fn heal(&self) -> anyhow::Result<()> {
        for (&i, &j) in self.links() {
            self.proxies.set_enabled(&format!("{i}-{j}"), true).await?;
        }
        Ok(())
    }
    // ANCHOR_END: partition

    fn links(&self) -> impl Iterator<Item = (&NodeId, &NodeId)> {
        self.nodes.keys().flat_map(move |i| {
            self.nodes
                .keys()
                .filter(move |j| *j != i)
                .map(move |j| (i, j))
        })
    }

    // ANCHOR: add
    /// One increment by client `process` at node `id`, recorded. A reply
    /// of 200 is `ok`; a timeout or a lost connection after sending is
    /// `info`, because the node may have counted it; a refused connection
    /// is `fail`: the request never reached a node.
    pub async fn add(&self, process: u32, id: NodeId) -> Type {
        let h = &self.history;
        h.record(Event::new(process, Type::Invoke, F::Add, json!(1)).node(id));
        let url = format!("http://{}/increment", self.nodes[&id].addr);
        let outcome = match self.http.post(url).send().await {
            Ok(r) if r.status().is_success() => Type::Ok,
            Err(e) if e.is_connect() => Type::Fail,
            _ => Type::Info,
        };
        h.record(Event::new(process, outcome, F::Add, json!(1)).node(id));
        outcome
    }
    // ANCHOR_END: add

    /// What node `id` reads, recorded; `None` if it did not answer.
    pub async fn read(&self, process: u32, id: NodeId) -> Option<u64> {
        let h = &self.history;
        h.record(Event::new(process, Type::Invoke, F::Read, Value::Null).node(id));
        let url = format!("http://{}/value", self.nodes[&id].addr);
        let body: Option<Value> = match self.http.get(url).send().await {
            Ok(r) if r.status().is_success() => r.json().await.ok(),
            _ => None,
        };
        match body.and_then(|b| b["value"].as_u64()) {
            Some(v) => {
                h.record(Event::new(process, Type::Ok, F::Read, json!(v)).node(id));
                Some(v)
            }
            None => {
                h.record(Event::new(process, Type::Fail, F::Read, Value::Null).node(id));
                None
            }
        }
    }

    /// Reads the nodes `ids` until all give the same value twice in a row,
    /// or `within` has passed; returns the last values read.
    pub async fn settle(&self, process: u32, ids: &[NodeId], within: Duration) -> Vec<Option<u64>> {
        let deadline = Instant::now() + within;
        let mut last = Vec::new();
        loop {
            let mut now = Vec::new();
            for &id in ids {
                now.push(self.read(process, id).await);
            }
            let agree = now.iter().all(|v| v.is_some() && *v == now[0]);
            if (agree && now == last) || Instant::now() > deadline {
                return now;
            }
            last = now;
            sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGTERM to every node, then SIGKILL for any still there after 5 s.
    pub async fn stop(mut self) {
        for node in self.nodes.values_mut() {
            if let Some(mut child) = node.child.take() {
                if let Some(pid) = child.id() {
                    // SAFETY: kill(2) only sends a signal to our own child.
                    unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
                }
                if timeout(Duration::from_secs(5), child.wait()).await.is_err() {
                    let _ = child.kill().await;
                }
            }
        }
        self.proxies.shutdown().await;
    }
}

/// Ports for the nodes: asked of the kernel, then released for the nodes
/// to bind (as the launcher of Listing 10-1 does).
fn free_addresses(n: u32) -> std::io::Result<Vec<SocketAddr>> {
    let listeners = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<Vec<_>>>()?;
    listeners.iter().map(|l| l.local_addr()).collect()
}
