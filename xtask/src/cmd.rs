//! Running commands the way every task does: print the command line first,
//! then run it, and turn a non-zero exit into an error that names it.

use std::process::{Command, Output};
use std::time::Instant;

use anyhow::{Context, Result, bail};

/// `cargo` as the toolchain that runs the xtask knows it.
pub fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Prints the command as a shell line would show it.
pub fn show(cmd: &Command) {
    let envs: Vec<String> = cmd
        .get_envs()
        .filter(|(k, _)| *k != "PATH")
        .filter_map(|(k, v)| Some(format!("{}={}", k.to_str()?, v?.to_str()?)))
        .collect();
    let args: Vec<String> = cmd
        .get_args()
        .map(|a| {
            let a = a.to_string_lossy();
            if a.contains(' ') {
                format!("'{a}'")
            } else {
                a.into_owned()
            }
        })
        .collect();
    let mut line = envs.join(" ");
    if !line.is_empty() {
        line.push(' ');
    }
    line.push_str(&cmd.get_program().to_string_lossy());
    for a in args {
        line.push(' ');
        line.push_str(&a);
    }
    println!("$ {line}");
}

/// Runs a command with inherited stdio; fails if it fails.
pub fn run(cmd: &mut Command) -> Result<()> {
    show(cmd);
    let status = cmd
        .status()
        .with_context(|| format!("could not start {:?}", cmd.get_program()))?;
    if !status.success() {
        bail!("command failed ({status}): {:?}", cmd.get_program());
    }
    Ok(())
}

/// Runs a command and captures its output; fails if it fails, showing stderr.
pub fn output(cmd: &mut Command) -> Result<Output> {
    show(cmd);
    let out = cmd
        .output()
        .with_context(|| format!("could not start {:?}", cmd.get_program()))?;
    if !out.status.success() {
        bail!(
            "command failed ({}): {:?}\n{}",
            out.status,
            cmd.get_program(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(out)
}

/// Numbered step headers with their durations, so a failure says where.
#[derive(Default)]
pub struct Steps {
    current: Option<(usize, String, Instant)>,
    count: usize,
    started: Option<Instant>,
}

impl Steps {
    pub fn start(&mut self, name: &str) {
        self.end_current();
        self.count += 1;
        self.started.get_or_insert_with(Instant::now);
        println!("\n==> [{}] {name}", self.count);
        self.current = Some((self.count, name.to_string(), Instant::now()));
    }

    fn end_current(&mut self) {
        if let Some((n, name, t)) = self.current.take() {
            println!("<== [{n}] {name}: ok ({:.1}s)", t.elapsed().as_secs_f64());
        }
    }

    pub fn finish(&mut self) {
        self.end_current();
        let total = self
            .started
            .map(|t| t.elapsed().as_secs_f64())
            .unwrap_or(0.0);
        println!("\nall {} steps passed in {total:.0}s", self.count);
        // The plain closing line that CI reads.
        println!("steps: {} passed, 0 failed", self.count);
    }
}

/// Installs Debian packages when that is possible without asking: as root,
/// with apt-get. Returns false (and installs nothing) otherwise.
pub fn apt_install(packages: &[&str]) -> Result<bool> {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !is_root || !std::path::Path::new("/usr/bin/apt-get").exists() {
        return Ok(false);
    }
    run(Command::new("apt-get").arg("update"))?;
    run(Command::new("apt-get")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "--no-install-recommends"])
        .args(packages))?;
    Ok(true)
}

/// Makes sure `path` (a program a listing starts, such as nginx) exists,
/// installing the Debian `package` as root; otherwise fails with the
/// command to run. The suite never skips what needs the program.
pub fn ensure_program(path: &str, package: &str, why: &str, ci: bool) -> Result<()> {
    if std::path::Path::new(path).exists() {
        println!("{path} is there");
        return Ok(());
    }
    if apt_install(&[package])? && std::path::Path::new(path).exists() {
        return Ok(());
    }
    let hint = format!("sudo apt-get install {package}");
    bail!(
        "{path} is missing: {why}. Install it with: {hint}{}",
        if ci {
            ""
        } else {
            " (the suite never skips it)"
        }
    )
}
