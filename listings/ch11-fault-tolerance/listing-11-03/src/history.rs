//! Histories: what clients did and what they were told, one JSON object a
//! line (JSON Lines), in the vocabulary of Jepsen and Porcupine. Every
//! operation is an `invoke` event when it starts, then one of:
//!
//! - `ok`: it happened (with its result);
//! - `fail`: it certainly did not happen;
//! - `info`: nobody knows (a timeout): it may have happened or not.
//!
//! A checker reads these files and nothing else, so it judges any system
//! whose clients write them: the book's nodes, etcd, or yours.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::Value;

// ANCHOR: event
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Type {
    Invoke,
    Ok,
    Fail,
    Info,
}

/// One line of a history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The client that acted; it does one operation at a time.
    pub process: u32,
    #[serde(rename = "type")]
    pub kind: Type,
    /// The operation: `add`, `read`, `write`, `cas`, ...
    pub f: String,
    /// What it acted on, if the system holds several things.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The argument on `invoke`, the result on `ok`.
    #[serde(default)]
    pub value: Value,
    /// The node that served it, when the client knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<u32>,
    /// Nanoseconds since the history began, from a monotonic clock.
    pub time: u64,
}
// ANCHOR_END: event

/// Writes a history as it happens, one line per event, flushed at once so
/// that a client that crashes leaves everything up to the crash.
pub struct Recorder {
    start: Instant,
    out: Mutex<BufWriter<File>>,
    events: Mutex<Vec<Event>>,
}

impl Recorder {
    pub fn create(path: &Path) -> std::io::Result<Recorder> {
        Ok(Recorder {
            start: Instant::now(),
            out: Mutex::new(BufWriter::new(File::create(path)?)),
            events: Mutex::new(Vec::new()),
        })
    }

    pub fn record(&self, process: u32, kind: Type, f: &str, key: Option<&str>, value: Value) {
        let event = Event {
            process,
            kind,
            f: f.to_string(),
            key: key.map(str::to_string),
            value,
            node: None,
            time: self.start.elapsed().as_nanos() as u64,
        };
        // A poisoned lock means another thread panicked while writing;
        // the history is then worthless and the run should stop.
        let mut out = self.out.lock().expect("history writer poisoned");
        // The events are plain data: serializing them cannot fail.
        let line = serde_json::to_string(&event).expect("an event serializes");
        if let Err(e) = writeln!(out, "{line}").and_then(|()| out.flush()) {
            tracing::error!(error = %e, "cannot write the history");
        }
        self.events.lock().expect("history poisoned").push(event);
    }

    /// Everything recorded so far.
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().expect("history poisoned").clone()
    }
}

/// A line that is not an event, named by its number.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read the history: {0}")]
    Io(#[from] std::io::Error),
    #[error("line {line}: {error}")]
    Line {
        line: usize,
        error: serde_json::Error,
    },
}

/// Reads a history written by `Recorder` (or by anyone else).
pub fn read(path: &Path) -> Result<Vec<Event>, ReadError> {
    let mut events = Vec::new();
    for (i, line) in BufReader::new(File::open(path)?).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let event =
            serde_json::from_str(&line).map_err(|error| ReadError::Line { line: i + 1, error })?;
        events.push(event);
    }
    Ok(events)
}
