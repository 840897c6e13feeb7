//! What Listing 3-1 prints when its port is taken: the page shows the file
//! `port-taken.txt`, and this test produces it. It holds a port, runs the
//! program on that port, and compares what the program printed, with the
//! port written as 8080, with the stored file; `BLESS=1` rewrites the file.

use std::net::TcpListener;
use std::process::Command;

#[test]
fn a_taken_port_is_reported_and_the_program_exits_with_status_1() {
    // unwrap: a test that cannot hold a loopback port cannot run at all.
    let holder = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = holder.local_addr().unwrap().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_listing-03-01"))
        .arg(&addr)
        // A backtrace, if the environment asks for one, is not part of
        // what the page shows.
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "the program must fail");
    let printed = format!(
        "$ cargo run -p listing-03-01\n{}{}exit status 1\n",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
    .replace(&addr, "127.0.0.1:8080");
    let stored = concat!(env!("CARGO_MANIFEST_DIR"), "/port-taken.txt");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(stored, &printed).unwrap();
    }
    assert_eq!(printed, std::fs::read_to_string(stored).unwrap());
}
