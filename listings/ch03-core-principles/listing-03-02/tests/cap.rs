//! Listing 3-2 against a server that never stops sending: the client must
//! stop reading at its cap and fail, not fill its memory.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn the_client_gives_up_on_a_body_over_its_cap() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = [0u8; 1024];
        let _ = stream.read(&mut buf);
        // Chunked: no length announced, so only counting can find the cap.
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
        let chunk = format!("10000\r\n{}\r\n", "x".repeat(0x10000));
        while stream.write_all(chunk.as_bytes()).is_ok() {}
    });
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_listing-03-02"))
        .arg(format!("http://{addr}/"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert_eq!(stdout, "200 OK\n");
    assert!(
        stderr.contains("the body is larger than 1048576 bytes"),
        "{stderr}"
    );
    assert!(start.elapsed() < Duration::from_secs(5));
}
