//! Two nodes, each with an atomic counter, and one client. The client adds
//! to node A's counter and then reads both: node B has seen nothing. An
//! atomic makes one process's memory consistent between its threads; it
//! does nothing for another process, let alone another machine.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result, bail};
use axum::{Router, extract::State, routing::get};
use tokio::net::TcpListener;
use tokio::task::{JoinError, JoinHandle};

/// A node's whole state: one counter in its own memory.
#[derive(Default)]
struct Node {
    counter: AtomicU64,
}

async fn increment(State(node): State<Arc<Node>>) -> String {
    // fetch_add is atomic: concurrent requests to this node never lose an
    // increment. Relaxed is enough, because nothing else is ordered by it.
    let new = node.counter.fetch_add(1, Ordering::Relaxed) + 1;
    new.to_string()
}

async fn read(State(node): State<Arc<Node>>) -> String {
    node.counter.load(Ordering::Relaxed).to_string()
}

/// Starts a node on a free loopback port; returns its base URL and the
/// task that serves it, which ends only if the server fails.
async fn start_node() -> Result<(String, JoinHandle<std::io::Result<()>>)> {
    let app = Router::new()
        .route("/counter", get(read).post(increment))
        .with_state(Arc::new(Node::default()));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((url, server))
}

/// A node's server task ended before the client was done: say why.
fn stopped(node: &str, ended: Result<std::io::Result<()>, JoinError>) -> Result<()> {
    ended
        .with_context(|| format!("node {node} panicked"))?
        .with_context(|| format!("node {node} failed"))?;
    bail!("node {node} stopped serving")
}

async fn counter(client: &reqwest::Client, node: &str) -> Result<String> {
    let response = client
        .get(format!("{node}/counter"))
        .send()
        .await?
        .error_for_status()?;
    Ok(response.text().await?)
}

#[tokio::main]
async fn main() -> Result<()> {
    let (node_a, server_a) = start_node().await?;
    let (node_b, server_b) = start_node().await?;
    // The client's work races the two servers: a server that ends first
    // has failed, and its error, not a refused connection, is reported.
    tokio::select! {
        done = client(&node_a, &node_b) => done,
        ended = server_a => stopped("A", ended),
        ended = server_b => stopped("B", ended),
    }
}

async fn client(node_a: &str, node_b: &str) -> Result<()> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()?;

    for _ in 0..3 {
        client
            .post(format!("{node_a}/counter"))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .context("incrementing node A")?;
    }
    println!("after 3 increments sent to node A:");
    println!("  node A counter = {}", counter(&client, node_a).await?);
    println!("  node B counter = {}", counter(&client, node_b).await?);
    Ok(())
}
