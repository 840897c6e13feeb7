//! The bounds of Listing 3-3, proved with a real socket: its own `serve`
//! and `app` run in the test with bounds of a second or two, and the last
//! test runs the real program and stops it with SIGTERM.

#[allow(dead_code)]
#[path = "../src/main.rs"]
mod listing;

use std::time::{Duration, Instant};

use listing::{Limits, app, serve};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const SMALL: Limits = Limits {
    head: Duration::from_secs(2),
    handler: Duration::from_secs(2),
    body_bytes: 64,
    drain: Duration::from_secs(2),
};

/// Starts the listing's `app` with `SMALL` bounds on a free port.
async fn start() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { serve(listener, app(), &SMALL, std::future::pending::<()>()).await });
    addr
}

#[tokio::test]
async fn an_endless_body_gets_413() {
    let addr = start().await;
    let stream = TcpStream::connect(&addr).await.unwrap();
    let (read, mut write) = stream.into_split();
    // Chunked, with no length announced: the limit can only be found by
    // counting. The writer never stops on its own.
    tokio::spawn(async move {
        let head = "POST /echo HTTP/1.1\r\nhost: localhost\r\ncontent-type: text/plain\r\n\
                    transfer-encoding: chunked\r\n\r\n";
        if write.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        while write.write_all(b"10\r\n0123456789abcdef\r\n").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    let mut lines = BufReader::new(read).lines();
    let line = tokio::time::timeout(Duration::from_secs(5), lines.next_line())
        .await
        .expect("no answer in 5 s")
        .unwrap()
        .unwrap();
    assert_eq!(line, "HTTP/1.1 413 Payload Too Large");
}

#[tokio::test]
async fn a_body_trickled_within_its_64_bytes_gets_503_at_the_handler_bound() {
    let addr = start().await;
    let stream = TcpStream::connect(&addr).await.unwrap();
    let (read, mut write) = stream.into_split();
    let start = Instant::now();
    tokio::spawn(async move {
        let head = "POST /echo HTTP/1.1\r\nhost: localhost\r\ncontent-type: text/plain\r\n\
                    content-length: 60\r\n\r\n";
        write.write_all(head.as_bytes()).await.unwrap();
        // 60 bytes at one a second: within the size limit, never done in time.
        for _ in 0..60 {
            if write.write_all(b"x").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    let mut lines = BufReader::new(read).lines();
    let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("no answer in 20 s")
        .unwrap()
        .unwrap();
    let elapsed = start.elapsed();
    assert_eq!(line, "HTTP/1.1 503 Service Unavailable");
    assert!(
        elapsed >= SMALL.handler - Duration::from_millis(100)
            && elapsed < SMALL.handler + Duration::from_secs(1),
        "503 after {elapsed:?}, the bound is {:?}",
        SMALL.handler
    );
}

#[tokio::test]
async fn a_head_sent_one_byte_a_second_is_cut_off_at_the_bound() {
    let addr = start().await;
    let stream = TcpStream::connect(&addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let start = Instant::now();
    tokio::spawn(async move {
        for byte in b"GET / HTTP/1.1\r\nhost: localhost\r\nx-a: b\r\n\r\n" {
            if write.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    let mut buf = [0u8; 1024];
    while let Ok(1..) = read.read(&mut buf).await {}
    let elapsed = start.elapsed();
    assert!(
        elapsed >= SMALL.head - Duration::from_millis(100)
            && elapsed < SMALL.head + Duration::from_secs(2),
        "closed after {elapsed:?}, the bound is {:?}",
        SMALL.head
    );
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_at_the_bound() {
    let addr = start().await;
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .await
        .unwrap();
    let start = Instant::now();
    let mut all = Vec::new();
    let mut buf = [0u8; 1024];
    while let Ok(Ok(n @ 1..)) =
        tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buf)).await
    {
        all.extend_from_slice(&buf[..n]);
    }
    let elapsed = start.elapsed();
    assert!(String::from_utf8_lossy(&all).ends_with("Hello, World!"));
    assert!(
        elapsed >= SMALL.head - Duration::from_millis(100)
            && elapsed < SMALL.head + Duration::from_secs(2),
        "the idle connection was closed after {elapsed:?}, the bound is {:?}",
        SMALL.head
    );
}

#[tokio::test]
async fn the_program_stops_on_sigterm_with_a_body_still_coming() {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_listing-03-03"))
        .arg("127.0.0.1:0")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = out.next_line().await.unwrap().unwrap();
    let addr = first
        .strip_prefix("listening on http://")
        .unwrap()
        .to_string();
    // A request whose handler waits for a body that never comes.
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    stream
        .write_all(b"POST /echo HTTP/1.1\r\nhost: localhost\r\ncontent-length: 10\r\n\r\nab")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let start = Instant::now();
    let pid = child.id().unwrap().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let deadline = listing::LIMITS.drain + Duration::from_secs(1);
    let status = tokio::time::timeout(deadline, child.wait())
        .await
        .expect("the server was still running after its drain deadline")
        .unwrap();
    assert!(status.success(), "{status}");
    let mut rest = Vec::new();
    while let Some(line) = out.next_line().await.unwrap() {
        rest.push(line);
    }
    assert_eq!(
        rest,
        [
            "shutting down",
            "connections still open after 5s: leaving them",
            "stopped"
        ]
    );
    assert!(start.elapsed() < deadline);
    // The stuck client stayed connected the whole time.
    drop(stream);
}
