//! Histories as timelines: the events a history records (Chapter 10,
//! "Histories") paired into operations, one row per client process, each
//! bar filled by its outcome; drawn as plain SVG.

use anyhow::{Result, ensure};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::svg::{decimals, svg_start};
use super::{Cell, Page, escape, num};

/// A history drawn as a timeline: one row per client process, one bar per
/// operation from its invocation to its completion, filled by its outcome.
/// The book's histories (Chapter 10, "Histories") pair into these with
/// [`timeline_ops`].
pub struct Timeline {
    /// The file's stem: `NAME.LANG.svg`.
    pub name: String,
    pub title: Cell,
    /// One label per row, in the order of [`TimelineOp::row`].
    pub rows: Vec<Cell>,
    pub ops: Vec<TimelineOp>,
    /// The outcomes' names for the legend: ok, fail, unknown.
    pub legend: [Cell; 3],
    /// The axis's label.
    pub axis: Cell,
    /// The unit of the times in the description (milliseconds).
    pub unit: Cell,
    /// Place the events evenly in the order they happened rather than at
    /// their times: a history whose operations take microseconds between
    /// pauses of a hundred milliseconds is unreadable to scale.
    pub by_order: bool,
}

/// An operation's outcome, as a history records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Fail,
    /// `info`, or no completion at all: it may or may not have happened.
    Unknown,
}

pub struct TimelineOp {
    pub row: usize,
    /// Milliseconds since the history began.
    pub start: f64,
    pub end: f64,
    /// The positions of its invocation and completion among all events.
    pub first: usize,
    pub last: usize,
    pub outcome: Outcome,
    /// Drawn inside the bar when it fits (`+1`, `5`, ...).
    pub text: String,
}

/// One line of a history, field for field as the book's histories write
/// it (Listing 10-3's `history::Event`, whose copy Listing 11-3 carries):
/// a field added, renamed or dropped on either side is an error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// The client that acted; it does one operation at a time.
    pub process: u32,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub f: Operation,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The argument on `invoke`, the result on `ok`.
    #[serde(default)]
    pub value: Value,
    /// The node that served it, when the client knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<u32>,
    /// Nanoseconds since the history began, from a monotonic clock.
    pub time: u64,
}

/// An event's `type`: the history's `Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventType {
    Invoke,
    Ok,
    Fail,
    Info,
}

/// An event's `f`: the history's `F`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    Read,
    Write,
    Cas,
    Add,
    Transfer,
}

/// Pairs each `invoke` event of a history with the next event of the same
/// process; `text` names an operation from its invocation and completion.
/// Returns the processes in order of first appearance, and the operations
/// with `row` indexing into them. An operation never completed ends at the
/// history's last event.
pub fn timeline_ops(
    events: &[Event],
    text: impl Fn(&Event, Option<&Event>) -> String,
) -> (Vec<u64>, Vec<TimelineOp>) {
    let ms = |e: &Event| e.time as f64 / 1e6;
    let last = events.iter().map(ms).fold(0.0, f64::max);
    let mut processes: Vec<u64> = Vec::new();
    let mut open: Vec<(u64, usize)> = Vec::new();
    let mut ops = Vec::new();
    for (rank, e) in events.iter().enumerate() {
        let process = u64::from(e.process);
        let time = ms(e);
        let row = match processes.iter().position(|p| *p == process) {
            Some(i) => i,
            None => {
                processes.push(process);
                processes.len() - 1
            }
        };
        if e.kind == EventType::Invoke {
            open.retain(|(p, _)| *p != process);
            open.push((process, ops.len()));
            ops.push((
                TimelineOp {
                    row,
                    start: time,
                    end: last,
                    first: rank,
                    last: events.len() - 1,
                    outcome: Outcome::Unknown,
                    text: String::new(),
                },
                e,
                None,
            ));
        } else if let Some(i) = open.iter().position(|(p, _)| *p == process) {
            let (_, at) = open.remove(i);
            let (op, _, end) = &mut ops[at];
            op.end = time;
            op.last = rank;
            op.outcome = match e.kind {
                EventType::Ok => Outcome::Ok,
                EventType::Fail => Outcome::Fail,
                EventType::Invoke | EventType::Info => Outcome::Unknown,
            };
            *end = Some(e);
        }
    }
    let ops = ops
        .into_iter()
        .map(|(mut op, invoke, end)| {
            op.text = text(invoke, end);
            op
        })
        .collect();
    (processes, ops)
}

/// The timeline as plain SVG: a label column, a row per process, a bar per
/// operation (blue: ok; red: failed; grey with a dashed outline: unknown),
/// its text inside when it fits, and a time axis below.
pub(super) fn draw(page: &Page, lang: usize, chart: &Timeline) -> Result<String> {
    ensure!(
        !chart.ops.is_empty(),
        "timeline {} has no operations",
        chart.name
    );
    let title = page.plain(lang, &chart.title)?;
    let rows: Vec<String> = chart
        .rows
        .iter()
        .map(|c| page.plain(lang, c))
        .collect::<Result<_>>()?;
    let legend: Vec<String> = chart
        .legend
        .iter()
        .map(|c| page.plain(lang, c))
        .collect::<Result<_>>()?;
    let axis = page.plain(lang, &chart.axis)?;
    let outcome = |o: Outcome| match o {
        Outcome::Ok => (0, "#3b6ea5", "white", ""),
        Outcome::Fail => (1, "#c0504d", "white", ""),
        Outcome::Unknown => (
            2,
            "#d9d9d9",
            "#222",
            " stroke=\"#222\" stroke-dasharray=\"3 2\"",
        ),
    };
    let sep = if lang == 0 { "; " } else { "；" };
    let desc = chart
        .ops
        .iter()
        .map(|op| {
            let times = format!("{}–{}", num(op.start, 1), num(op.end, 1));
            Ok(format!(
                "{}: {} {} ({})",
                rows.get(op.row).map_or("", String::as_str),
                op.text,
                legend[outcome(op.outcome).0],
                page.with_unit(lang, &times, &chart.unit)?
            ))
        })
        .collect::<Result<Vec<_>>>()?
        .join(sep);
    let label_chars = rows
        .iter()
        .map(|l| {
            l.chars()
                .map(|c| if c.is_ascii() { 1 } else { 2 })
                .sum::<usize>()
        })
        .max()
        .unwrap_or(0);
    let label_w = (label_chars as f64 * 7.0 + 16.0).max(80.0);
    let (row_h, top) = (34.0, 48.0);
    let events = chart.ops.iter().map(|op| op.last + 1).max().unwrap_or(1);
    // In order: a slot of 16 px per event, each bar over its slots.
    let plot_w = if chart.by_order {
        (events as f64 * 16.0).max(640.0)
    } else {
        640.0
    };
    let width = label_w + plot_w + 20.0;
    let height = top + row_h * rows.len() as f64 + 36.0;
    let max = if chart.by_order {
        events as f64
    } else {
        chart
            .ops
            .iter()
            .map(|op| op.end)
            .fold(0.0, f64::max)
            .max(1e-9)
    };
    let x = |t: f64| label_w + t.max(0.0) / max * plot_w;
    let span = |op: &TimelineOp| {
        if chart.by_order {
            (op.first as f64 + 0.15, op.last as f64 + 0.85)
        } else {
            (op.start, op.end)
        }
    };
    let mut svg = svg_start(width, height, &title, &desc);
    svg.push_str(&format!(
        "<text x=\"{label_w}\" y=\"20\" font-size=\"14\">{title}</text>\n"
    ));
    let mut lx = label_w;
    for (i, name) in legend.iter().enumerate() {
        let (_, fill, _, stroke) = outcome([Outcome::Ok, Outcome::Fail, Outcome::Unknown][i]);
        svg.push_str(&format!(
            "<rect x=\"{lx:.1}\" y=\"28\" width=\"14\" height=\"10\" fill=\"{fill}\"{stroke}/>\
             <text x=\"{:.1}\" y=\"37\">{name}</text>\n",
            lx + 18.0
        ));
        lx += 18.0
            + name
                .chars()
                .map(|c| if c.is_ascii() { 7.0 } else { 13.0 })
                .sum::<f64>()
            + 16.0;
    }
    for (i, name) in rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{name}</text>\
             <line x1=\"{label_w}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#ddd\"/>\n",
            label_w - 6.0,
            y + 16.0,
            label_w + plot_w,
            y + row_h - 1.0,
            y + row_h - 1.0,
        ));
    }
    for op in &chart.ops {
        let (_, fill, ink, stroke) = outcome(op.outcome);
        let (a, b) = span(op);
        let (x0, x1) = (x(a), x(b).max(x(a) + 2.0));
        let y = top + row_h * op.row as f64 + 14.0;
        svg.push_str(&format!(
            "<rect x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"16\" fill=\"{fill}\"{stroke}/>",
            x1 - x0
        ));
        // Inside the bar when it fits, above it otherwise.
        let inside = (x1 - x0) >= op.text.chars().count() as f64 * 6.0 + 4.0;
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"{}\" fill=\"{}\">{}</text>",
            (x0 + x1) / 2.0,
            if inside { y + 12.0 } else { y - 3.0 },
            if inside { 10 } else { 9 },
            if inside { ink } else { "#222" },
            escape(&op.text)
        ));
        svg.push('\n');
    }
    let axis_y = top + row_h * rows.len() as f64 + 4.0;
    svg.push_str(&format!(
        "<line x1=\"{label_w}\" x2=\"{:.1}\" y1=\"{axis_y:.1}\" y2=\"{axis_y:.1}\" stroke=\"#222\"/>\n",
        label_w + plot_w
    ));
    // Times on the axis only when it is to scale.
    for k in (0..=4).filter(|_| !chart.by_order) {
        let t = max * k as f64 / 4.0;
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\">{}</text>",
            x(t),
            axis_y + 14.0,
            num(t, decimals(t))
        ));
    }
    svg.push_str(&format!(
        "\n<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{axis}</text>\n</svg>\n",
        label_w + plot_w / 2.0,
        axis_y + 30.0
    ));
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_history_pairs_into_timeline_operations() {
        let events: Vec<Event> = [
            r#"{"process":1,"type":"invoke","f":"add","value":1,"time":1000000}"#,
            r#"{"process":2,"type":"invoke","f":"read","time":2000000}"#,
            r#"{"process":1,"type":"info","f":"add","value":1,"time":3000000}"#,
            r#"{"process":2,"type":"ok","f":"read","value":7,"time":4000000}"#,
            r#"{"process":1,"type":"invoke","f":"add","value":1,"time":5000000}"#,
        ]
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
        let (processes, ops) = timeline_ops(&events, |i, e| {
            format!(
                "{:?}{}",
                i.f,
                e.map_or(String::new(), |e| e.value.to_string())
            )
        });
        assert_eq!(processes, [1, 2]);
        let summary: Vec<_> = ops
            .iter()
            .map(|o| (o.row, o.first, o.last, o.outcome, o.text.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                (0, 0, 2, Outcome::Unknown, "Add1"),
                (1, 1, 3, Outcome::Ok, "Read7"),
                // Never completed: unknown, to the end of the history.
                (0, 4, 4, Outcome::Unknown, "Add"),
            ]
        );
        assert_eq!((ops[1].start, ops[1].end), (2.0, 4.0));
    }
}
