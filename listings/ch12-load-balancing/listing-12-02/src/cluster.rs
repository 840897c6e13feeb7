//! The processes of the experiment: replicas and the book's proxy, each
//! started from a binary built beside this one (`child::sibling`), each
//! killed when dropped, and by the kernel if this program dies first.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::child::{die_with_parent, sibling};

/// A running program that printed `listening on http://ADDR` first.
pub struct Process {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
}

impl Process {
    pub async fn start(exe: &Path, args: &[String]) -> anyhow::Result<Process> {
        let mut command = Command::new(exe);
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        die_with_parent(command.as_std_mut());
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {}", exe.display()))?;
        let stdout = child.stdout.take().context("stdout is piped")?;
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        tokio::time::timeout(Duration::from_secs(5), stdout.read_line(&mut line))
            .await
            .with_context(|| format!("{} did not start within 5 s", exe.display()))??;
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .with_context(|| format!("{} printed {line:?} first", exe.display()))?
            .to_string();
        Ok(Process { child, addr })
    }

    /// A replica with id `id`, on `listen` (`127.0.0.1:0` for any port).
    pub async fn replica(id: u32, listen: &str) -> anyhow::Result<Process> {
        let args = [
            "--id".to_string(),
            id.to_string(),
            "--listen".to_string(),
            listen.to_string(),
        ];
        Process::start(&sibling("proxy-replica")?, &args).await
    }

    /// `None` once it has exited and been reaped.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// `kill -9`, and wait until it is gone.
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        self.child.kill().await.context("kill -9")
    }
}
