//! A copy of Listing 10-1's `child.rs`, so that this folder builds on
//! its own: the tests start their replicas through it, and no replica
//! outlives the test process, even one that is killed.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};

// ANCHOR: die_with_parent
/// Makes the kernel kill the child when its parent dies, however it dies.
/// Linux sends the signal when the *thread* that started the child ends,
/// not the process: start children from a thread that lives as long as
/// they do, such as the one that runs `main` (`#[tokio::main]` runs its
/// body there, on either of tokio's runtimes), not from a task given to
/// `tokio::spawn`, which may run on any of the runtime's threads.
#[cfg(target_os = "linux")]
pub fn die_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure runs in the child between fork and exec, where
    // only async-signal-safe calls are allowed; prctl, getppid and _exit
    // are. It allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before prctl took effect.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
}

/// Elsewhere there is no such call: a program still stops its children
/// when it exits or fails, but one killed with `kill -9` leaves them
/// running.
#[cfg(not(target_os = "linux"))]
pub fn die_with_parent(_cmd: &mut Command) {}
// ANCHOR_END: die_with_parent

/// The program `name` of this package, built beside the running one
/// (`target/debug/NAME`; a test runs one folder down, in `deps/`).
/// `cargo run` builds only the program it runs, so when a sibling is
/// missing, this builds every program of the package, with the cargo that
/// started this one.
pub fn sibling(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let mut dir = exe.parent().context("the program's folder")?;
    if dir.ends_with("deps") {
        dir = dir.parent().unwrap_or(dir);
    }
    let path = dir.join(name);
    if path.exists() {
        return Ok(path);
    }
    let package = env!("CARGO_PKG_NAME");
    let build = format!("cargo build -p {package} --bins");
    // `cargo run` tells the program which cargo ran it.
    let Some(cargo) = std::env::var_os("CARGO") else {
        bail!(
            "{name} is not built beside {}: run `{build}` first",
            exe.display()
        );
    };
    eprintln!("{name} is not built yet: {build}");
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "-p", package, "--bins"]);
    if let Some(profile) = dir.file_name().filter(|p| *p != "debug") {
        cmd.arg("--profile").arg(profile);
    }
    let built = cmd.status().context("running cargo")?.success();
    if !(built && path.exists()) {
        bail!(
            "{name} could not be built beside {}: run `{build}`",
            exe.display()
        );
    }
    Ok(path)
}
