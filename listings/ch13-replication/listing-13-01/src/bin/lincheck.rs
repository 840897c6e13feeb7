//! `lincheck`: judges register histories from the command line. Exits 0
//! when every file is linearizable, 1 when one is not (printing its
//! window, and drawing it with `--svg`), 2 on input that is not a
//! history (naming the file and line), 3 when the budget ran out before
//! a verdict. A bad file outranks a failed one, which outranks an unknown.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use listing_13_01::search::{Budget, Verdict, check};
use listing_13_01::{Operation, by_key, svg, window};

#[derive(Parser)]
#[command(about = "Checks that register histories are linearizable")]
struct Args {
    /// History files, JSON Lines.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Seconds each file may take before the answer is "unknown".
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// Megabytes the search's memo may hold before the answer is "unknown".
    #[arg(long, default_value_t = 1024)]
    memory: usize,
    /// Draws the (last) history that is not linearizable here; `-` for
    /// standard output.
    #[arg(long)]
    svg: Option<PathBuf>,
    /// The figure's language: en or zh-CN.
    #[arg(long, default_value = "en")]
    lang: String,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let labels = if args.lang == "zh-CN" {
        &svg::ZH
    } else {
        &svg::EN
    };
    let (mut bad, mut failed, mut unknown) = (false, false, false);
    for file in &args.files {
        let ops = match listing_13_01::read(file) {
            Ok(ops) => ops,
            Err(e) => {
                eprintln!("{}: {e}", file.display());
                bad = true;
                continue;
            }
        };
        let budget = Budget::new(Duration::from_secs_f64(args.timeout), args.memory << 20);
        match judge(file, &ops, &budget) {
            (Verdict::Linearizable, _) => println!("{}: linearizable", file.display()),
            (Verdict::Unknown, _) => {
                println!("{}: unknown (out of time or memory)", file.display());
                unknown = true;
            }
            (Verdict::NotLinearizable, picture) => {
                failed = true;
                if let (Some(path), Some(picture)) = (&args.svg, picture) {
                    let drawn = svg::draw(&ops, picture.as_ref(), labels);
                    if path.as_os_str() == "-" {
                        print!("{drawn}");
                    } else if let Err(e) = std::fs::write(path, drawn) {
                        eprintln!("{}: {e}", path.display());
                        bad = true;
                    }
                }
            }
        }
    }
    ExitCode::from(match (bad, failed, unknown) {
        (true, ..) => 2,
        (_, true, _) => 1,
        (_, _, true) => 3,
        _ => 0,
    })
}

/// Judges one file key by key, printing the window of each key that fails;
/// returns the verdict and the first failing key's window for the figure.
fn judge<'a>(
    file: &std::path::Path,
    ops: &'a [Operation],
    budget: &Budget,
) -> (Verdict, Option<Option<window::Window<'a>>>) {
    let mut verdict = Verdict::Linearizable;
    let mut picture = None;
    for (key, key_ops) in by_key(ops) {
        match check(&key_ops, None, budget) {
            Verdict::Linearizable => {}
            Verdict::Unknown => {
                if verdict == Verdict::Linearizable {
                    verdict = Verdict::Unknown;
                }
            }
            Verdict::NotLinearizable => {
                verdict = Verdict::NotLinearizable;
                println!("{}: not linearizable (key {key:?})", file.display());
                let found = window::find(&key_ops, budget);
                match &found {
                    Some(w) => print_window(w),
                    None => println!("  (out of time or memory before the window was found)"),
                }
                picture.get_or_insert(found);
            }
        }
    }
    (verdict, picture)
}

fn describe(op: &Operation) -> String {
    let lines = match op.lines.1 {
        Some(end) => format!("lines {}-{end}", op.lines.0),
        None => format!("line {}, no answer", op.lines.0),
    };
    let how = match op.outcome {
        listing_13_01::Outcome::Ok => "",
        listing_13_01::Outcome::Unknown => " (unknown outcome)",
    };
    format!("process {}: {}{how}, {lines}", op.process, svg::label(op))
}

fn print_window(w: &window::Window) {
    println!(
        "  the first {} operations to return can be ordered; then this one cannot:",
        w.prefix
    );
    println!("    {}", describe(w.culprit));
    if w.concurrent.is_empty() {
        println!("  no operation is concurrent with it");
    } else {
        println!("  concurrent with it:");
        for op in &w.concurrent {
            println!("    {}", describe(op));
        }
    }
}
