//! Waiting for tasks to finish, three ways. The article's RWMutex program
//! waits for ten Done calls that never come, so it deadlocks. The same
//! mistake in Rust: a channel's receiver waits until every sender is gone,
//! and one sender is kept alive by accident. A timeout makes the wait
//! visible instead of endless; dropping that sender fixes it; a JoinSet
//! avoids the question, because it owns the tasks it waits for.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{RwLock, mpsc};
use tokio::task::JoinSet;
use tokio::time::timeout;

const TASKS: usize = 10;

#[tokio::main]
async fn main() {
    let shared = Arc::new(RwLock::new(0u64));

    // 1. The bug: `done_tx` itself is never dropped, so `recv()` can never
    //    see the channel close. The timeout turns the deadlock into a report.
    let (done_tx, mut done_rx) = mpsc::channel::<()>(TASKS);
    for _ in 0..TASKS {
        spawn_writer(shared.clone(), done_tx.clone());
    }
    let waited = timeout(Duration::from_millis(200), async {
        while done_rx.recv().await.is_some() {}
    })
    .await;
    match waited {
        Ok(()) => println!("1. all tasks reported done"),
        Err(_) => println!("1. still waiting after 200 ms: one sender is still alive"),
    }

    // 2. The fix: drop the original sender; the channel closes when the
    //    last task drops its clone.
    drop(done_tx);
    while done_rx.recv().await.is_some() {}
    println!(
        "2. channel closed: every task has finished, value = {}",
        *shared.read().await
    );

    // 3. The idiom: JoinSet owns the tasks and yields each one's result.
    let mut tasks = JoinSet::new();
    for _ in 0..TASKS {
        let shared = shared.clone();
        tasks.spawn(async move {
            // Copy the value out; the guard is dropped at the end of this
            // statement, before the next .await. Held across it, it would
            // keep every writer waiting while this task sleeps.
            let value = *shared.read().await;
            tokio::time::sleep(Duration::from_millis(1)).await;
            value
        });
    }
    let mut seen = Vec::new();
    while let Some(result) = tasks.join_next().await {
        // join_next returns Err only if the task panicked or was aborted.
        seen.push(result.expect("reader task failed"));
    }
    let all_ten = seen.iter().all(|&v| v == TASKS as u64);
    println!(
        "3. JoinSet: {} readers finished, all read {TASKS}: {all_ten}",
        seen.len()
    );
}

/// A writer: adds one under the write lock, then drops its sender.
fn spawn_writer(shared: Arc<RwLock<u64>>, done: mpsc::Sender<()>) {
    tokio::spawn(async move {
        *shared.write().await += 1;
        // Dropping `done` at the end of the task is what "Done" means here;
        // the explicit send just makes the signal visible.
        let _ = done.send(()).await;
    });
}
