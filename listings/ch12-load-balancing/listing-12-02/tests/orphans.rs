//! No process outlives the program that started it: the demonstration,
//! killed with `kill -9` while its replicas, the book's proxy and nginx
//! run, leaves none of them behind.

mod survivors;
use survivors::children_left_after_sigkill;

#[cfg(target_os = "linux")]
#[tokio::test]
async fn nothing_outlives_the_demonstration_killed_with_sigkill() {
    let demo = tokio::process::Command::new(env!("CARGO_BIN_EXE_lb-demo"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let left = children_left_after_sigkill(demo, 4).await;
    assert!(left.is_empty(), "still running: {left:?}");
}
