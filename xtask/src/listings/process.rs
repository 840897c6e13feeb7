//! Starting a listing's program and always stopping it: a run to its end
//! within a time limit, or a server on a free loopback port, stopped with
//! Ctrl-C.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use super::Program;
use crate::cmd;

/// How long a listing may run before the suite calls it hung.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// Runs a program to its end (at most RUN_LIMIT) and returns what it
/// wrote to stdout and stderr, interleaved as a terminal shows them; a
/// failing exit adds the line `exit status N`, as `go run` prints it.
pub(super) fn run_to_completion(
    exe: &Path,
    args: &[String],
    dir: &Path,
    stdin: Option<&Path>,
) -> Result<String> {
    println!("$ {} {}", exe.display(), args.join(" "));
    let (mut reader, writer) = std::io::pipe()?;
    let stdin = match stdin {
        Some(file) => Stdio::from(
            std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?,
        ),
        None => Stdio::null(),
    };
    let mut child = Command::new(exe)
        .args(args)
        .current_dir(dir)
        .stdin(stdin)
        .stdout(writer.try_clone()?)
        .stderr(writer)
        .spawn()?;
    // The parent's copies of the write end are gone once the Command is;
    // the reader sees end-of-file when the child exits.
    let collector = std::thread::spawn(move || {
        let mut s = String::new();
        reader.read_to_string(&mut s).map(|_| s)
    });
    let status = wait_bounded(&mut child, RUN_LIMIT)?;
    let mut out = collector.join().expect("reader thread does not panic")?;
    if !status.success() {
        out.push_str(&format!("exit status {}\n", status.code().unwrap_or(-1)));
    }
    Ok(out)
}

/// Waits for a child at most `limit`; kills it and fails after that.
fn wait_bounded(child: &mut Child, limit: Duration) -> Result<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("still running after {limit:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A serving program started on 127.0.0.1:0 (its first argument).
pub struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    first: String,
    pub addr: String,
}

impl Server {
    pub fn start(program: &Program, args: &[String]) -> Result<Server> {
        Server::start_with(program, args, &[])
    }

    /// Like `start`, behind a command prefix such as `taskset -c 0`.
    pub fn start_with(program: &Program, args: &[String], prefix: &[&str]) -> Result<Server> {
        let mut all_args = vec!["127.0.0.1:0".to_string()];
        all_args.extend(args.iter().cloned());
        let mut command = match prefix.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(&program.exe);
                c
            }
            None => Command::new(&program.exe),
        };
        command.args(&all_args);
        cmd::show(&command);
        let mut child = command
            .current_dir(&program.dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let (tx, lines) = mpsc::channel::<String>();
        let stdout = child.stdout.take().expect("stdout is piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let first = match lines.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                bail!("{}: printed no first line within 30 s", program.label);
            }
        };
        let addr = first
            .split("http://")
            .nth(1)
            .map(|rest| {
                rest.split(|c: char| c == '/' || c.is_whitespace())
                    .next()
                    .unwrap_or("")
            })
            .filter(|a| a.starts_with("127.0.0.1:"))
            .map(str::to_string);
        let Some(addr) = addr else {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the first line must say `listening on http://127.0.0.1:PORT`, got {first:?}");
        };
        Ok(Server {
            child,
            lines,
            first,
            addr,
        })
    }

    /// Ctrl-C (SIGINT), then the rest of what it printed; it must exit 0.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stop(mut self) -> Result<String> {
        let pid = self.child.id().to_string();
        let mut kill = Command::new("kill");
        kill.args(["-INT", &pid]);
        cmd::show(&kill);
        let sent = kill.status()?.success();
        let status = wait_bounded(&mut self.child, Duration::from_secs(15));
        ensure!(sent, "could not send SIGINT to {pid}");
        let status = status?;
        ensure!(
            status.success(),
            "the server exited with {status} after SIGINT"
        );
        let mut stdout = self.first + "\n";
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            stdout.push_str(&line);
            stdout.push('\n');
        }
        Ok(stdout)
    }
}
