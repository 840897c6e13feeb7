//! Every bound of Listing 4-1's server, proved with a real socket, with the
//! listing's own `serve` run with bounds of a second or two; and the
//! client's cap on the body it reads, against a server that never stops
//! sending.

#[allow(dead_code)]
#[path = "../src/main.rs"]
mod listing;

use std::time::{Duration, Instant};

use axum::{Router, routing::get};
use listing::{Limits, serve};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

const SMALL: Limits = Limits {
    head: Duration::from_secs(2),
    handler: Duration::from_secs(1),
    body_bytes: 64 * 1024,
    drain: Duration::from_secs(2),
};

/// The listing's router, plus a route that never answers (for the handler
/// bound and the drain deadline; the listing itself has no slow route).
fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "Hello, World!" }))
        .route("/stuck", get(std::future::pending::<()>))
}

/// Starts `serve` on a free port; send on the returned channel to stop it.
async fn start(
    limits: &'static Limits,
) -> (String, oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        serve(listener, app(), limits, async {
            stopped.await.ok();
        })
        .await
    });
    (addr, stop, server)
}

/// Reads until the server closes the connection (or resets it); returns
/// what it read and when the close came.
async fn read_until_closed(stream: &mut TcpStream, start: Instant) -> (String, Duration) {
    let mut all = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => all.extend_from_slice(&buf[..n]),
            Err(_) => panic!("the server kept the connection open for 20 s"),
        }
    }
    (String::from_utf8_lossy(&all).into_owned(), start.elapsed())
}

#[tokio::test]
async fn a_head_sent_one_byte_a_second_is_cut_off_at_the_bound() {
    let (addr, _stop, _server) = start(&SMALL).await;
    let stream = TcpStream::connect(&addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let start = Instant::now();
    // A head of 40 bytes at one byte a second would take 40 s.
    tokio::spawn(async move {
        for byte in b"GET / HTTP/1.1\r\nhost: localhost\r\nx-a: b\r\n\r\n" {
            if write.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    let mut buf = [0u8; 1024];
    let mut got = Vec::new();
    while let Ok(n @ 1..) = read.read(&mut buf).await {
        got.extend_from_slice(&buf[..n]);
    }
    let elapsed = start.elapsed();
    assert!(
        !String::from_utf8_lossy(&got).contains("Hello"),
        "the trickled request was served"
    );
    assert!(
        elapsed >= SMALL.head - Duration::from_millis(100)
            && elapsed < SMALL.head + Duration::from_secs(2),
        "closed after {elapsed:?}, the bound is {:?}",
        SMALL.head
    );
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_at_the_bound() {
    let (addr, _stop, _server) = start(&SMALL).await;
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .await
        .unwrap();
    let start = Instant::now();
    let (text, elapsed) = read_until_closed(&mut stream, start).await;
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    assert!(text.ends_with("Hello, World!"), "{text}");
    assert!(
        elapsed >= SMALL.head - Duration::from_millis(100)
            && elapsed < SMALL.head + Duration::from_secs(2),
        "the idle connection was closed after {elapsed:?}, the bound is {:?}",
        SMALL.head
    );
}

#[tokio::test]
async fn a_body_declared_too_large_gets_413() {
    let (addr, _stop, _server) = start(&SMALL).await;
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nhost: localhost\r\ncontent-length: {}\r\n\r\n",
        SMALL.body_bytes + 1
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut lines = BufReader::new(stream).lines();
    let status = lines.next_line().await.unwrap().unwrap();
    assert_eq!(status, "HTTP/1.1 413 Payload Too Large");
}

#[tokio::test]
async fn a_handler_that_overruns_gets_503_at_the_bound() {
    let (addr, _stop, _server) = start(&SMALL).await;
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    let start = Instant::now();
    stream
        .write_all(b"GET /stuck HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut lines = BufReader::new(stream).lines();
    let status = lines.next_line().await.unwrap().unwrap();
    let elapsed = start.elapsed();
    assert_eq!(status, "HTTP/1.1 503 Service Unavailable");
    assert!(
        elapsed >= SMALL.handler - Duration::from_millis(100)
            && elapsed < SMALL.handler + Duration::from_secs(1),
        "503 after {elapsed:?}, the bound is {:?}",
        SMALL.handler
    );
}

#[tokio::test]
async fn a_stuck_request_does_not_hold_the_stop_past_the_drain_deadline() {
    // A handler bound longer than the drain, so that only the drain ends it.
    const LIMITS: Limits = Limits {
        handler: Duration::from_secs(60),
        ..SMALL
    };
    let (addr, stop, server) = start(&LIMITS).await;
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    stream
        .write_all(b"GET /stuck HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .await
        .unwrap();
    // Let the request reach the handler, then stop.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let start = Instant::now();
    stop.send(()).unwrap();
    tokio::time::timeout(LIMITS.drain + Duration::from_secs(1), server)
        .await
        .expect("serve did not return within the drain deadline")
        .unwrap();
    assert!(start.elapsed() >= LIMITS.drain - Duration::from_millis(100));
}

/// A server that answers every connection with a body that never ends.
async fn endless_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                let _ = stream.read(&mut buf).await;
                let head = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n";
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("10000\r\n{}\r\n", "x".repeat(0x10000));
                while stream.write_all(chunk.as_bytes()).await.is_ok() {}
            });
        }
    });
    addr
}

#[tokio::test]
async fn the_client_gives_up_on_a_body_over_its_cap() {
    let addr = endless_server().await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let start = Instant::now();
    let err = listing::fetch(&client, &format!("http://{addr}/"))
        .await
        .expect_err("an endless body was read to its end");
    assert!(
        err.to_string().contains("larger than 1048576 bytes"),
        "{err:#}"
    );
    assert!(start.elapsed() < Duration::from_secs(5));
}
