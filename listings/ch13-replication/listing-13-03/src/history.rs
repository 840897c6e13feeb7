//! Histories in the book's format, a copy of Listing 10-3's `history.rs`
//! (registered in the suite's snapshot list, so that it stays the same):
//! one JSON object a line, an `invoke` event when an operation starts, then
//! `ok` (it happened, with its result), `fail` (it certainly did not) or
//! `info` (nobody knows). The simulation records its clients' register
//! operations, `read` and `write`, in it.

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

/// The operation, and what its `value` holds: the argument on `invoke`,
/// the result on `ok`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum F {
    /// Reads: `null` on `invoke`, the value read on `ok`.
    Read,
    /// Writes `value`.
    Write,
    /// Compare and set, `[expected, new]`: `ok` if the value was
    /// `expected` and is now `new`, `fail` if it was something else.
    Cas,
    /// Adds `value` to a counter (Chapter 10).
    Add,
    /// Moves money, `{"from", "to", "amount"}`, under the logical
    /// transfer's name as `key` (Chapter 11).
    Transfer,
}

/// One line of a history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The client that acted; it does one operation at a time.
    pub process: u32,
    #[serde(rename = "type")]
    pub kind: Type,
    pub f: F,
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

impl Event {
    /// An event with no key and no node; `Recorder::record` sets `time`.
    pub fn new(process: u32, kind: Type, f: F, value: Value) -> Event {
        Event {
            process,
            kind,
            f,
            key: None,
            value,
            node: None,
            time: 0,
        }
    }

    pub fn key(mut self, key: &str) -> Event {
        self.key = Some(key.to_string());
        self
    }

    pub fn node(mut self, node: u32) -> Event {
        self.node = Some(node);
        self
    }
}

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

    /// Writes `event`, stamped with the time since the recorder began.
    pub fn record(&self, mut event: Event) {
        event.time = self.start.elapsed().as_nanos() as u64;
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_event_is_one_line_of_json_and_reads_back() {
        let mut add = Event::new(1, Type::Invoke, F::Add, json!(1)).node(2);
        add.time = 5;
        let line = serde_json::to_string(&add).unwrap();
        let want = r#"{"process":1,"type":"invoke","f":"add","value":1,"node":2,"time":5}"#;
        assert_eq!(line, want);
        let cas = Event::new(3, Type::Fail, F::Cas, json!([1, 2])).key("x");
        let line = serde_json::to_string(&cas).unwrap();
        let want = r#"{"process":3,"type":"fail","f":"cas","key":"x","value":[1,2],"time":0}"#;
        assert_eq!(line, want);
        assert_eq!(serde_json::from_str::<Event>(&line).unwrap(), cas);
    }

    #[test]
    fn an_operation_no_checker_knows_is_refused_with_its_line_number() {
        let path = std::env::temp_dir().join(format!("history-{}.jsonl", std::process::id()));
        let lines = [
            r#"{"process":1,"type":"invoke","f":"add","value":1,"time":1}"#,
            "",
            r#"{"process":1,"type":"ok","f":"append","value":1,"time":2}"#,
        ];
        std::fs::write(&path, lines.join("\n")).unwrap();
        let error = read(&path).unwrap_err().to_string();
        std::fs::remove_file(&path).unwrap();
        assert!(
            error.starts_with("line 3: unknown variant `append`"),
            "{error}"
        );
    }
}
