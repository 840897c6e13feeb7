//! The stored outputs: a run is compared with them (`Mode::Check`) or
//! rewrites them (`Mode::Bless`), after normalising what varies from run
//! to run (loopback ports, durations, HTTP dates, process ids).

use std::path::Path;

use anyhow::{Result, bail};

/// The port a serving listing uses by default, shown in stored outputs.
const DEFAULT_PORT: &str = "8080";

pub enum Mode {
    Check,
    Bless,
}

pub(super) fn settle(
    mode: &Mode,
    file: &Path,
    expected: &str,
    actual: &str,
    server: Option<&str>,
) -> Result<()> {
    match mode {
        Mode::Check => compare(file, expected, actual),
        Mode::Bless => write_if_changed(file, expected, actual, server),
    }
}

pub(super) fn compare(file: &Path, expected: &str, actual: &str) -> Result<()> {
    if matches_stored(expected, actual) {
        return Ok(());
    }
    bail!(
        "{} differs from the real output (run `cargo xtask bless` if the change is right)\n\
         --- stored\n{expected}\n--- real\n{actual}",
        file.display()
    )
}

/// Equal after normalising, where a stored line `...` stands for any
/// number of lines (for output that names machine-specific things, such as
/// a Go stack trace).
fn matches_stored(expected: &str, actual: &str) -> bool {
    let expected = normalise(expected);
    let actual = normalise(actual);
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    fn glob(e: &[&str], a: &[&str]) -> bool {
        match e.split_first() {
            None => a.is_empty(),
            Some((&"...", rest)) => (0..=a.len()).any(|skip| glob(rest, &a[skip..])),
            Some((line, rest)) => a.first() == Some(line) && glob(rest, &a[1..]),
        }
    }
    glob(&e, &a)
}

/// Writes a new stored output; the server's own port becomes the default
/// one the stored commands use, other ports (a proxy's, say) stay real.
fn write_if_changed(file: &Path, old: &str, new: &str, server: Option<&str>) -> Result<()> {
    if matches_stored(old, new) {
        println!("unchanged: {}", file.display());
        return Ok(());
    }
    let new = match server {
        Some(addr) => replace_addr(new, addr, &format!("127.0.0.1:{DEFAULT_PORT}")),
        None => new.to_string(),
    };
    std::fs::write(file, new)?;
    println!("wrote {}", file.display());
    Ok(())
}

/// What varies from run to run and machine to machine: loopback ports,
/// durations and HTTP dates.
pub fn normalise(text: &str) -> String {
    let text = with_port(text, "PORT");
    let mut out = String::new();
    for line in text.lines() {
        if line.to_ascii_lowercase().starts_with("date: ") {
            out.push_str("date: DATE\n");
            continue;
        }
        let mut words: Vec<String> = line.split(' ').map(normalise_duration).collect();
        // `pid 12345` and `(pid 12345)`: process ids differ on every run.
        for i in 1..words.len() {
            if words[i - 1].trim_start_matches('(') == "pid" {
                let digits = words[i].trim_end_matches(|c: char| !c.is_ascii_digit());
                if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
                    words[i] = format!("PID{}", &words[i][digits.len()..]);
                }
            }
        }
        out.push_str(words.join(" ").trim_end());
        out.push('\n');
    }
    out.trim_end().to_string()
}

/// `127.0.0.1:<digits>` → `127.0.0.1:<port>`.
fn with_port(text: &str, port: &str) -> String {
    const HOST: &str = "127.0.0.1:";
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(HOST) {
        out.push_str(&rest[..i + HOST.len()]);
        rest = &rest[i + HOST.len()..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 {
            out.push_str(port);
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// `12.3ms`, `4s`, `250µs` (with trailing punctuation kept) → `<duration>`.
fn normalise_duration(word: &str) -> String {
    let core = word.trim_end_matches([',', ')', ';', '.']);
    let tail = &word[core.len()..];
    let core_start = core.trim_start_matches('(');
    let head = &core[..core.len() - core_start.len()];
    for unit in ["ns", "µs", "us", "ms", "s"] {
        if let Some(num) = core_start.strip_suffix(unit)
            && !num.is_empty()
            && num.chars().all(|c| c.is_ascii_digit() || c == '.')
            && num.chars().next().is_some_and(|c| c.is_ascii_digit())
        {
            return format!("{head}<duration>{tail}");
        }
    }
    word.to_string()
}

/// `addr` → `by` wherever it is not the start of a longer port number.
fn replace_addr(text: &str, addr: &str, by: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(addr) {
        let after = &rest[i + addr.len()..];
        out.push_str(&rest[..i]);
        if after.starts_with(|c: char| c.is_ascii_digit()) {
            out.push_str(addr);
        } else {
            out.push_str(by);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

pub(super) fn with_port_addr(word: &str, addr: &str) -> String {
    with_port(word, "\u{0}").replace("127.0.0.1:\u{0}", addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_durations_and_dates_are_normalised() {
        let a = "listening on http://127.0.0.1:41234\ntook 12.5ms, then (3s).\ndate: Thu, 26 Nov 2026 09:26:22 GMT";
        let b = "listening on http://127.0.0.1:8080\ntook 250µs, then (4s).\nDate: Fri, 27 Nov 2026 10:00:00 GMT";
        assert_eq!(normalise(a), normalise(b));
        // Plain numbers and words that end in "s" are left alone.
        assert_ne!(normalise("10 threads"), normalise("11 threads"));
        assert_ne!(normalise("counter = 3"), normalise("counter = 0"));
        assert_eq!(normalise("words"), "words");
        assert_eq!(
            normalise("node 2 (pid 4242) ready; pid 17 paused"),
            "node 2 (pid PID) ready; pid PID paused"
        );
        assert_ne!(normalise("node 2"), normalise("node 3"));
    }

    #[test]
    fn ellipsis_lines_match_any_number_of_lines() {
        let stored = "fatal error: deadlock!\n...\nexit status 2";
        assert!(matches_stored(
            stored,
            "fatal error: deadlock!\nexit status 2"
        ));
        assert!(matches_stored(
            stored,
            "fatal error: deadlock!\ngoroutine 1\n\tmain.go:17\nexit status 2"
        ));
        assert!(!matches_stored(
            stored,
            "fatal error: deadlock!\ngoroutine 1"
        ));
        assert!(!matches_stored("a\nb", "a\nc"));
    }

    #[test]
    fn only_the_server_port_becomes_the_default_one() {
        assert_eq!(
            replace_addr(
                "127.0.0.1:4123 127.0.0.1:41234",
                "127.0.0.1:4123",
                "127.0.0.1:8080"
            ),
            "127.0.0.1:8080 127.0.0.1:41234"
        );
    }

    #[test]
    fn the_port_of_a_stored_command_becomes_the_real_one() {
        assert_eq!(
            with_port_addr("http://127.0.0.1:8080/echo", "127.0.0.1:39000"),
            "http://127.0.0.1:39000/echo"
        );
    }
}
