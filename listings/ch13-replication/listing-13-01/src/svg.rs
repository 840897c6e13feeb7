//! The history as a picture: one lane per process, each operation a bar
//! from its invocation to its return (to the right edge when it never
//! returned), labelled with what it did; the window's operations in
//! colour, named in a legend. The x axis is the order of events, not
//! their time, so that short operations stay readable. The text is plain
//! SVG with a generic font and no scripts, and the same history always
//! gives the same bytes, so that a drawing can be stored and compared.

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::window::Window;
use crate::{Op, Operation, Outcome};

/// The words of a figure, in one language.
pub struct Labels {
    pub process: &'static str,
    pub culprit: &'static str,
    pub concurrent: &'static str,
    pub unknown: &'static str,
    pub title: &'static str,
}

pub const EN: Labels = Labels {
    process: "process",
    culprit: "cannot be placed",
    concurrent: "concurrent with it",
    unknown: "outcome unknown",
    title: "A history, one lane per process",
};

pub const ZH: Labels = Labels {
    process: "进程",
    culprit: "无法排进顺序",
    concurrent: "与之并发",
    unknown: "结果未知",
    title: "一段历史，每个进程一条泳道",
};

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// What a bar says: `write 1`, `read 0`, `cas 1 2`.
pub fn label(op: &Operation) -> String {
    match op.op {
        _ if op.unknown_read => "read ?".to_string(),
        Op::Read(v) => format!("read {v}"),
        Op::Write(v) => format!("write {v}"),
        Op::Cas(a, b) => format!("cas {a} {b}"),
    }
}

/// (fill, outline): light fills, so that the black labels stay readable.
const CULPRIT: (&str, &str) = ("#f4a6a0", "#c0392b");
const CONCURRENT: (&str, &str) = ("#ffd58a", "#b07800");
const PLAIN: (&str, &str) = ("#c6d7ea", "#5b7fa6");

/// Draws `ops` (all of one history), marking `window` if there is one.
pub fn draw(ops: &[Operation], window: Option<&Window>, words: &Labels) -> String {
    let processes: BTreeSet<u32> = ops.iter().map(|o| o.process).collect();
    let events = ops
        .iter()
        .map(|o| o.ret.unwrap_or(o.invoke) + 1)
        .max()
        .unwrap_or(0);
    let (left, step, lane, top) = (90, 40, 44, 40);
    let width = left + step * (events + 1) + 20;
    let unknown = ops.iter().any(|o| o.outcome == Outcome::Unknown);
    let rows = usize::from(window.is_some()) * 2 + usize::from(unknown);
    let height = top + lane * processes.len() + 20 + 22 * rows;
    let mut s = String::new();
    // Writing to a String cannot fail.
    let mut w = |text: String| s.push_str(&text);
    w(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"13\">\n"
    ));
    w(format!("<title>{}</title>\n", escape(words.title)));
    w(format!(
        "<rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>\n"
    ));
    for (i, p) in processes.iter().enumerate() {
        let y = top + lane * i;
        w(format!(
            "<text x=\"10\" y=\"{}\">{} {p}</text>\n",
            y + 22,
            escape(words.process)
        ));
        w(format!(
            "<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#dddddd\"/>\n",
            y + 17,
            width - 10,
            y + 17
        ));
    }
    let is = |a: &Operation, b: &Operation| std::ptr::eq(a, b);
    for op in ops {
        let lane_of = processes.iter().position(|p| *p == op.process).unwrap_or(0);
        let y = top + lane * lane_of + 6;
        let x1 = left + step * op.invoke;
        let x2 = match op.ret {
            Some(r) => left + step * r + step / 2,
            None => width - 10,
        };
        let (fill, line) = match window {
            Some(win) if is(win.culprit, op) => CULPRIT,
            Some(win) if win.concurrent.iter().any(|c| is(c, op)) => CONCURRENT,
            _ => PLAIN,
        };
        let dash = if op.outcome == Outcome::Unknown {
            " stroke-dasharray=\"4 3\" fill-opacity=\"0.35\""
        } else {
            ""
        };
        w(format!(
            "<rect x=\"{x1}\" y=\"{y}\" width=\"{}\" height=\"22\" rx=\"3\" fill=\"{fill}\" \
             stroke=\"{line}\"{dash}/>\n",
            x2 - x1
        ));
        w(format!(
            "<text x=\"{}\" y=\"{}\" fill=\"#111111\">{}</text>\n",
            x1 + 4,
            y + 16,
            escape(&label(op))
        ));
    }
    let mut y = top + lane * processes.len() + 10;
    let mut legend = Vec::new();
    if window.is_some() {
        legend.push((CULPRIT, words.culprit, ""));
        legend.push((CONCURRENT, words.concurrent, ""));
    }
    if unknown {
        legend.push((
            PLAIN,
            words.unknown,
            " stroke-dasharray=\"4 3\" fill-opacity=\"0.35\"",
        ));
    }
    for ((fill, line), text, dash) in legend {
        w(format!(
            "<rect x=\"{left}\" y=\"{y}\" width=\"18\" height=\"14\" fill=\"{fill}\" \
             stroke=\"{line}\"{dash}/>\n"
        ));
        w(format!(
            "<text x=\"{}\" y=\"{}\">{}</text>\n",
            left + 24,
            y + 12,
            escape(text)
        ));
        y += 22;
    }
    let _ = writeln!(s, "</svg>");
    s
}
