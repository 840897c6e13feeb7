//! The page says that Rust rejects Listing 3-4's counter without atomics,
//! and shows the compiler's message. This test compiles
//! `compile-fail/race.rs` with the toolchain that runs the tests, checks
//! that it fails with E0499, and compares the message with the stored
//! `compile-fail/race.txt`, which the page includes; `BLESS=1` rewrites it.

use std::process::Command;

#[test]
fn ten_threads_writing_a_plain_counter_do_not_compile() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/compile-fail");
    let out_dir = std::env::temp_dir().join(format!("listing-03-04-race-{}", std::process::id()));
    // unwrap: a test that cannot run the compiler cannot check anything.
    let output = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .args([
            "--edition",
            "2024",
            "--color",
            "never",
            "--emit",
            "metadata",
        ])
        .arg("--out-dir")
        .arg(&out_dir)
        .arg("race.rs")
        .current_dir(dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&out_dir);
    assert!(!output.status.success(), "the program must not compile");
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.starts_with("error[E0499]"), "{message}");
    let printed = format!("$ rustc --edition 2024 race.rs\n{message}");
    let stored = format!("{dir}/race.txt");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&stored, &printed).unwrap();
    }
    assert_eq!(printed, std::fs::read_to_string(&stored).unwrap());
}
