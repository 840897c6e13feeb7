//! The command line: its exit codes, its messages on bad input (the file
//! and the line, never a panic), and the figure it draws.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{file, history};

fn lincheck(args: &[&str]) -> Output {
    // Runs to its end: the checker reads files and exits.
    Command::new(env!("CARGO_BIN_EXE_lincheck"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("lincheck runs")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("lincheck exits, not killed")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn exits_0_when_linearizable_and_1_when_not() {
    let ok = lincheck(&["examples/timed-out-write.jsonl"]);
    assert_eq!(code(&ok), 0, "{}", stderr(&ok));
    let stale = lincheck(&["examples/stale-read.jsonl"]);
    assert_eq!(code(&stale), 1);
    let text = String::from_utf8_lossy(&stale.stdout);
    assert!(text.contains("process 2: read 0, lines 3-6"), "{text}");
    // A failure outranks a success.
    let both = lincheck(&[
        "examples/timed-out-write.jsonl",
        "examples/stale-read.jsonl",
    ]);
    assert_eq!(code(&both), 1);
}

fn refused(text: &str, want: &str) {
    let path = file(text);
    let out = lincheck(&[path.to_str().expect("a UTF-8 temporary path")]);
    std::fs::remove_file(&path).expect("remove the temporary history");
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let message = stderr(&out);
    assert!(
        message.starts_with(&format!("{}: {want}", path.display())),
        "{message}"
    );
    assert!(!message.contains("panicked"), "{message}");
}

#[test]
fn bad_input_exits_2_naming_the_file_and_line() {
    refused("{\"process\":1,\n", "line 1: ");
    let write = history(&[(1, "invoke", "write", "1")]);
    refused(&format!("{write}\n{{}}\n"), "line 3: missing field");
    refused(
        &history(&[(1, "invoke", "write", "\"one\"")]),
        "line 1: a write's value must be an integer",
    );
    refused(
        &history(&[(1, "ok", "write", "1")]),
        "line 1: process 1 has no operation in flight",
    );
    refused(
        &history(&[(1, "invoke", "write", "1"), (1, "invoke", "read", "null")]),
        "line 2: process 1 invokes again",
    );
    refused(
        &history(&[(1, "invoke", "cas", "[1]")]),
        "line 1: a cas's value must be [expected, new]",
    );
    refused(
        &history(&[(1, "invoke", "add", "1")]),
        "line 1: Add is not a register operation",
    );
    refused(
        &history(&[(1, "invoke", "write", "1"), (1, "ok", "read", "1")]),
        "line 2: this does not end line 1's operation",
    );
    let missing = lincheck(&["examples/no-such-file.jsonl"]);
    assert_eq!(code(&missing), 2);
    assert!(stderr(&missing).starts_with("examples/no-such-file.jsonl: cannot read"));
}

#[test]
fn out_of_budget_exits_3() {
    // Concurrent writes and an impossible read: too much for 1 MB.
    let mut events = Vec::new();
    let values: Vec<String> = (1..=20).map(|v| v.to_string()).collect();
    for (p, v) in values.iter().enumerate() {
        events.push((p as u32, "invoke", "write", v.as_str()));
    }
    for (p, v) in values.iter().enumerate() {
        events.push((p as u32, "ok", "write", v.as_str()));
    }
    events.push((99, "invoke", "read", "null"));
    events.push((99, "ok", "read", "0"));
    let path = file(&history(&events));
    let out = lincheck(&["--memory", "1", path.to_str().expect("a UTF-8 path")]);
    std::fs::remove_file(&path).expect("remove the temporary history");
    assert_eq!(code(&out), 3, "{}", stderr(&out));
}

#[test]
fn the_stored_figures_are_what_the_checker_draws() {
    for (lang, stored) in [
        ("en", "stale-read.en.svg"),
        ("zh-CN", "stale-read.zh-CN.svg"),
    ] {
        let out = lincheck(&["examples/stale-read.jsonl", "--lang", lang, "--svg", "-"]);
        let drawn = String::from_utf8_lossy(&out.stdout);
        let svg = &drawn[drawn.find("<svg").expect("an svg")..];
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(stored);
        if std::env::var_os("BLESS").is_some() {
            std::fs::write(&path, svg).expect("write the figure");
        }
        let want = std::fs::read_to_string(&path).expect("the stored figure");
        assert_eq!(svg, want, "{stored} is stale: run with BLESS=1");
        assert!(svg.contains("<title>") && !svg.contains("<script") && !svg.contains("@font-face"));
    }
}
