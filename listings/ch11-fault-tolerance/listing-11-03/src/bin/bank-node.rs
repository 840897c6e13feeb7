//! A bank node: accounts and transfers over HTTP, with idempotency keys.
//!
//! `POST /transfer` moves money; a request that carries an
//! `Idempotency-Key` header is applied once, however many times it is
//! sent: a repeat gets the recorded reply (with `idempotent-replayed:
//! true`), a repeat that arrives while the first is still being applied
//! gets 409, and a key reused for a different transfer gets 422. Every
//! transfer and its key are appended to a log and flushed to disk before
//! the reply is sent, so a node killed at any moment restarts with every
//! transfer it acknowledged, and with the keys that make repeats harmless.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use clap::Parser;
use listing_11_03::bank::{Bank, Reply, Seen, Transfer};
use listing_11_03::serve::{Limits, serve, stop_signal};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::net::TcpListener;
use tracing::{info, warn};

/// A bank node.
#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Where the node keeps its log (`bank.log`).
    #[arg(long, default_value = ".")]
    data: PathBuf,
    /// How long a key is remembered, in seconds (default: one day). A
    /// client must not retry an operation later than that.
    #[arg(long, default_value_t = 86_400)]
    key_ttl: u64,
    /// Fault injection for the book's tests: after the Nth transfer is on
    /// disk, abort the process before replying (0: never).
    #[arg(long, default_value_t = 0)]
    crash_before_reply: u64,
    /// Fault injection for the book's tests: a slow disk, this many
    /// milliseconds added to every log write.
    #[arg(long, default_value_t = 0)]
    slow_disk_ms: u64,
    /// Fault injection for the book's tests: every transfer set aside this
    /// many milliseconds after its key is looked up, before it is applied
    /// (a task descheduled at the worst moment, made certain).
    #[arg(long, default_value_t = 0)]
    pause_after_lookup_ms: u64,
}

/// The accounts every new bank opens with.
const ACCOUNTS: &[(&str, u64)] = &[("alice", 1000), ("bob", 1000)];

/// One line of the log: enough to apply the transfer again on restart.
#[derive(Serialize, Deserialize)]
struct Entry {
    key: Option<String>,
    transfer: Transfer,
    at: u64,
}

struct Node {
    /// Held only between awaits, never across one.
    bank: Mutex<Bank>,
    /// The log; its lock also orders the transfers and keeps readers from
    /// seeing a transfer before it is on disk.
    log: tokio::sync::Mutex<std::fs::File>,
    ttl: u64,
    applied: AtomicU64,
    crash_before_reply: u64,
    slow_disk: std::time::Duration,
    pause_after_lookup: std::time::Duration,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn error(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn reply(reply: &Reply, replayed: bool) -> Response {
    let status = match reply {
        Reply::Applied { .. } => StatusCode::OK,
        Reply::InsufficientFunds { .. } => StatusCode::CONFLICT,
        Reply::NoSuchAccount { .. } => StatusCode::NOT_FOUND,
    };
    let mut response = (status, Json(reply)).into_response();
    if replayed {
        response.headers_mut().insert(
            "idempotent-replayed",
            "true".parse().expect("a valid header value"),
        );
    }
    response
}

// ANCHOR: transfer
/// A key claimed by this request, given up when the request ends however
/// it ends: answered, failed, or dropped because its client left or its
/// timeout fired. Once `apply` has recorded the reply, this changes nothing.
struct Claim<'a> {
    node: &'a Node,
    key: &'a str,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        // A poisoned lock (a panic under it) keeps the claim: refusing the
        // key is better than applying it twice.
        if let Ok(mut bank) = self.node.bank.lock() {
            bank.release(self.key);
        }
    }
}

async fn transfer(
    State(node): State<Arc<Node>>,
    headers: HeaderMap,
    Json(t): Json<Transfer>,
) -> Response {
    let key = match headers.get("idempotency-key").map(|v| v.to_str()) {
        None => None,
        Some(Ok(k)) if !k.is_empty() && k.len() <= 128 => Some(k.to_string()),
        Some(_) => {
            let why = "Idempotency-Key must be 1 to 128 visible ASCII characters";
            return error(StatusCode::BAD_REQUEST, why.into());
        }
    };
    // Held to the end of the request, however it ends (see `Claim`).
    let _claim = match &key {
        None => None,
        Some(key) => {
            // Look up and claim in one step, under one lock: two copies
            // cannot both find the key new. Act after releasing the lock.
            let seen = node.bank.lock().expect("bank lock poisoned").claim(key, &t);
            match seen {
                Seen::New => Some(Claim { node: &node, key }),
                Seen::InProgress => {
                    let why = format!("a request with key {key:?} is in progress; retry later");
                    return error(StatusCode::CONFLICT, why);
                }
                Seen::Repeat(recorded) => return reply(&recorded, true),
                Seen::Mismatch(first) => {
                    let why = format!("key {key:?} was used for a different transfer: {first:?}");
                    return error(StatusCode::UNPROCESSABLE_ENTITY, why);
                }
            }
        }
    };
    if !node.pause_after_lookup.is_zero() {
        tokio::time::sleep(node.pause_after_lookup).await;
    }
    match apply(&node, key.as_deref(), &t).await {
        Ok(r) => reply(&r, false),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")),
    }
}
// ANCHOR_END: transfer

// ANCHOR: apply
/// Writes the transfer to the log and flushes it to disk, then applies it
/// in memory. A crash before the flush loses a transfer nobody was told
/// about; a crash after it loses nothing, because the restart replays it.
async fn apply(node: &Node, key: Option<&str>, t: &Transfer) -> anyhow::Result<Reply> {
    let mut log = node.log.lock().await;
    let at = now();
    let entry = Entry {
        key: key.map(str::to_string),
        transfer: t.clone(),
        at,
    };
    let line = serde_json::to_string(&entry)? + "\n";
    // A short blocking write and fsync, on this task's thread: simple, and
    // every transfer waits for the log anyway.
    tokio::time::sleep(node.slow_disk).await;
    log.write_all(line.as_bytes())?;
    log.sync_data()?;
    let reply = node
        .bank
        .lock()
        .expect("bank lock poisoned")
        .apply(key, t, at);
    let applied = node.applied.fetch_add(1, Ordering::Relaxed) + 1;
    if applied == node.crash_before_reply {
        warn!(applied, "crash injected: aborting before the reply");
        std::process::abort();
    }
    Ok(reply)
}
// ANCHOR_END: apply

async fn balances(State(node): State<Arc<Node>>) -> Json<serde_json::Value> {
    // Wait for any transfer being written: show only what is on disk.
    let _log = node.log.lock().await;
    let bank = node.bank.lock().expect("bank lock poisoned");
    Json(json!(bank.balances))
}

/// Rebuilds the bank from the log. A last line without its newline is a
/// write that a crash cut short, never acknowledged: it is dropped. Any
/// other bad line means the log is damaged, and the node refuses to start.
fn replay(path: &Path, ttl: u64) -> anyhow::Result<Bank> {
    let mut bank = Bank::new(ACCOUNTS);
    let text = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(bank),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let complete = text.ends_with(b"\n");
    let lines: Vec<&[u8]> = text
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    for (i, line) in lines.iter().enumerate() {
        match serde_json::from_slice::<Entry>(line) {
            Ok(e) => {
                bank.apply(e.key.as_deref(), &e.transfer, e.at);
            }
            Err(_) if i + 1 == lines.len() && !complete => {
                warn!("dropping a torn last line of the log");
            }
            Err(e) => bail!("{} line {}: {e}", path.display(), i + 1),
        }
    }
    bank.expire(now(), ttl);
    Ok(bank)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    std::fs::create_dir_all(&args.data)?;
    let path = args.data.join("bank.log");
    let bank = replay(&path, args.key_ttl)?;
    info!(balances = ?bank.balances, keys = bank.keys.len(), "log replayed");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)?;
    let node = Arc::new(Node {
        bank: Mutex::new(bank),
        log: tokio::sync::Mutex::new(log),
        ttl: args.key_ttl,
        applied: AtomicU64::new(0),
        crash_before_reply: args.crash_before_reply,
        slow_disk: std::time::Duration::from_millis(args.slow_disk_ms),
        pause_after_lookup: std::time::Duration::from_millis(args.pause_after_lookup_ms),
    });
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/ready", get(|| async { "ready" }))
        .route("/transfer", post(transfer))
        .route("/balances", get(balances))
        .with_state(node.clone());
    let stopping = stop_signal();
    println!("listening on http://{addr}");
    // Forget expired keys once an hour.
    tokio::spawn(async move {
        let mut hourly = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            hourly.tick().await;
            node.bank
                .lock()
                .expect("bank lock poisoned")
                .expire(now(), node.ttl);
        }
    });
    serve(listener, app, Limits::default(), stopping).await?;
    Ok(())
}
