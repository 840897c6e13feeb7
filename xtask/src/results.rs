//! A chapter's benchmark results, rendered for both editions.
//!
//! A chapter describes what to show as a [`Page`]: tables of cells and line
//! charts, whose words are keys into a labels table with an English and a
//! Chinese text for every key. [`render`] turns the page into one include
//! file, `NAME.md` (an HTML block per edition, of which the book's CSS shows
//! the page's own; HTML, so that gettext leaves numbers that change with
//! every run alone), and one SVG per figure and edition, `FIGURE.LANG.svg`.
//! A key missing from the labels is an error, so no English text can reach
//! the Chinese page by accident. Later chapters add a labels table and a
//! function that builds their page; no drawing code.

use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;

/// The editions, in the order of the labels' texts.
pub const LANGS: [&str; 2] = ["en", "zh-CN"];

/// (key, English, Chinese); `{}` in a text is replaced by the arguments of
/// the cell, in order.
pub type Labels = &'static [(&'static str, &'static str, &'static str)];

/// Labels every chapter's results use: the machine table and the verdicts.
pub const COMMON: Labels = &[
    ("cpu", "CPU", "CPU"),
    ("cpus", "{}, {} CPUs", "{}，{} 个 CPU"),
    ("os", "OS", "操作系统"),
    ("rust", "Rust", "Rust"),
    ("build", "build", "构建"),
    ("load", "load", "负载"),
    ("machine", "machine", "测试环境"),
    ("value", "value", "数值"),
    ("release", "release", "release（优化构建）"),
    (
        "debug_smoke",
        "debug (smoke run: not a measurement)",
        "debug（冒烟运行，不是测量）",
    ),
    ("open", " (", "（"),
    ("close", ")", "）"),
    ("met", "met", "达到"),
    ("not_met", "not met", "未达到"),
    // Units, for the figures' descriptions.
    ("µs", "µs", "微秒"),
    ("ms", "ms", "毫秒"),
];

/// One table cell (or header cell, or chart label).
#[derive(Clone, Debug)]
pub enum Cell {
    /// A label, with the arguments for its `{}`s.
    Label(&'static str, Vec<String>),
    /// The same text in both editions (numbers, names); escaped.
    Value(String),
    /// A program name, set as code; escaped.
    Code(String),
    /// Several cells run together.
    Join(Vec<Cell>),
    Empty,
}

pub fn label(key: &'static str) -> Cell {
    Cell::Label(key, Vec::new())
}

pub fn labelf(key: &'static str, args: &[String]) -> Cell {
    Cell::Label(key, args.to_vec())
}

pub fn value(text: impl Into<String>) -> Cell {
    Cell::Value(text.into())
}

pub struct Table {
    pub header: Vec<Cell>,
    pub rows: Vec<Vec<Cell>>,
}

/// A line chart: one line per series across the same categories (x), on a
/// logarithmic y axis (values must be positive) or a linear one from zero.
/// With many categories (a time series: one per second, say) it labels
/// every few of them and draws no points; a mark (a fault injected, a node
/// killed) is a labelled vertical line at one category.
pub struct LineChart {
    /// The file's stem: `NAME.LANG.svg`.
    pub name: String,
    pub title: Cell,
    pub x: Vec<Cell>,
    pub y_axis: Cell,
    /// Written with each value in the description: the name of a label
    /// (of the page's or [`COMMON`]: `µs`, `ms`), so that each edition
    /// writes it in its language, or else the unit itself. See
    /// [`Page::with_unit`].
    pub unit: &'static str,
    pub log_y: bool,
    pub series: Vec<(Cell, Vec<f64>)>,
    /// (category index, label): events shown as vertical lines.
    pub marks: Vec<(usize, Cell)>,
}

/// Up to this many categories, every one is labelled and every point drawn
/// with its value.
const FEW_CATEGORIES: usize = 12;

/// A horizontal bar chart: one bar per item, with an optional error range
/// drawn across it (e.g. the smallest and largest value of the rounds,
/// while the bar shows their median).
pub struct BarChart {
    /// The file's stem: `NAME.LANG.svg`.
    pub name: String,
    pub title: Cell,
    /// Written with each value in the description (see
    /// [`Page::with_unit`]).
    pub unit: Cell,
    pub bars: Vec<Bar>,
}

pub struct Bar {
    pub label: Cell,
    pub value: f64,
    /// (smallest, largest).
    pub range: Option<(f64, f64)>,
}

impl Bar {
    /// A bar at the median of a spread, its range from min to max.
    pub fn spread(label: Cell, s: Option<Spread>) -> Bar {
        match s {
            Some(s) => Bar {
                label,
                value: s.median,
                range: (s.min != s.max).then_some((s.min, s.max)),
            },
            None => Bar {
                label,
                value: f64::NAN,
                range: None,
            },
        }
    }
}

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

/// Pairs each `invoke` event of a history with the next event of the same
/// process; `text` names an operation from its invocation and completion.
/// Returns the processes in order of first appearance, and the operations
/// with `row` indexing into them. An operation never completed ends at the
/// history's last event.
pub fn timeline_ops(
    events: &[Value],
    text: impl Fn(&Value, Option<&Value>) -> String,
) -> Result<(Vec<u64>, Vec<TimelineOp>)> {
    let ms = |e: &Value| e["time"].as_f64().map(|ns| ns / 1e6);
    let last = events.iter().filter_map(ms).fold(0.0, f64::max);
    let mut processes: Vec<u64> = Vec::new();
    let mut open: Vec<(u64, usize)> = Vec::new();
    let mut ops = Vec::new();
    for (rank, e) in events.iter().enumerate() {
        let process = e["process"]
            .as_u64()
            .context("an event without a process")?;
        let time = ms(e).context("an event without a time")?;
        let row = match processes.iter().position(|p| *p == process) {
            Some(i) => i,
            None => {
                processes.push(process);
                processes.len() - 1
            }
        };
        if e["type"] == "invoke" {
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
                e.clone(),
                None,
            ));
        } else if let Some(i) = open.iter().position(|(p, _)| *p == process) {
            let (_, at) = open.remove(i);
            let (op, _, end) = &mut ops[at];
            op.end = time;
            op.last = rank;
            op.outcome = match e["type"].as_str() {
                Some("ok") => Outcome::Ok,
                Some("fail") => Outcome::Fail,
                _ => Outcome::Unknown,
            };
            *end = Some(e.clone());
        }
    }
    let ops = ops
        .into_iter()
        .map(|(mut op, invoke, end)| {
            op.text = text(&invoke, end.as_ref());
            op
        })
        .collect();
    Ok((processes, ops))
}

/// The kinds of figure a page can show.
pub enum Figure {
    Lines(LineChart),
    Bars(BarChart),
    Timeline(Timeline),
}

impl Figure {
    fn name(&self) -> &str {
        match self {
            Figure::Lines(c) => &c.name,
            Figure::Bars(c) => &c.name,
            Figure::Timeline(c) => &c.name,
        }
    }

    fn title(&self) -> &Cell {
        match self {
            Figure::Lines(c) => &c.title,
            Figure::Bars(c) => &c.title,
            Figure::Timeline(c) => &c.title,
        }
    }
}

pub struct Page {
    /// The include file's stem: `NAME.md`.
    pub name: String,
    pub labels: Labels,
    pub tables: Vec<Table>,
    pub figures: Vec<Figure>,
}

/// Median, smallest and largest of a set of values (e.g. one per round).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

/// The spread of the finite values; `None` if there are none.
pub fn spread(values: &[f64]) -> Option<Spread> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = match n {
        0 => return None,
        _ if n % 2 == 1 => v[n / 2],
        _ => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    };
    Some(Spread {
        median,
        min: v[0],
        max: v[n - 1],
    })
}

/// The numbers of a JSON array (e.g. one per round).
pub fn numbers(v: &Value) -> Result<Vec<f64>> {
    v.as_array()
        .with_context(|| format!("not an array: {v}"))?
        .iter()
        .map(|x| x.as_f64().with_context(|| format!("not a number: {x}")))
        .collect()
}

/// `f(a[i], b[i])` for each pair: per-round comparisons, since the two
/// variants of one round ran under the same conditions.
pub fn paired(a: &[f64], b: &[f64], f: impl Fn(f64, f64) -> f64) -> Result<Vec<f64>> {
    ensure!(
        a.len() == b.len() && !a.is_empty(),
        "expected as many rounds of each variant, got {} and {}",
        a.len(),
        b.len()
    );
    Ok(a.iter().zip(b).map(|(x, y)| f(*x, *y)).collect())
}

/// A target "at most `limit`" is met when the value is known and within it.
pub fn met(value: f64, limit: f64) -> bool {
    value.is_finite() && value <= limit
}

/// The verdict's label.
pub fn verdict(met: bool) -> Cell {
    label(if met { "met" } else { "not_met" })
}

/// `123` or `12.3`: `decimals` digits after the point.
pub fn num(x: f64, decimals: usize) -> String {
    if x.is_finite() {
        let s = format!("{x:.decimals$}");
        match s.strip_prefix('-') {
            // No "-0".
            Some(digits) if digits.chars().all(|c| c == '0' || c == '.') => digits.to_string(),
            // A minus sign, not a hyphen: "−59 (−467–1940)".
            Some(digits) => format!("\u{2212}{digits}"),
            None => s,
        }
    } else {
        "–".into()
    }
}

/// `median (min–max)`.
pub fn spread_text(s: Option<Spread>, decimals: usize) -> String {
    match s {
        Some(s) if s.min == s.max => num(s.median, decimals),
        Some(s) => format!(
            "{} ({}–{})",
            num(s.median, decimals),
            num(s.min, decimals),
            num(s.max, decimals)
        ),
        None => "–".into(),
    }
}

/// The build profile of the suite's smoke runs.
pub const SMOKE_PROFILE: &str = "debug (smoke run: not a measurement)";

/// The machine table's rows from `results["machine"]` and
/// `results["profile"]`, plus a description of the load.
pub fn machine_rows(results: &Value, load: Cell) -> Vec<Vec<Cell>> {
    let m = &results["machine"];
    let s = |v: &Value| v.as_str().unwrap_or("unknown").to_string();
    vec![
        vec![
            label("cpu"),
            labelf("cpus", &[s(&m["cpu"]), m["cpus"].to_string()]),
        ],
        vec![label("os"), value(s(&m["os"]))],
        vec![label("rust"), value(s(&m["rustc"]))],
        vec![
            label("build"),
            match results["profile"].as_str() {
                Some("release") => label("release"),
                Some(SMOKE_PROFILE) => label("debug_smoke"),
                _ => value(s(&results["profile"])),
            },
        ],
        vec![label("load"), load],
    ]
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Page {
    /// The text of label `key` in edition `lang` (an index into
    /// [`LANGS`]), before its `{}`s are replaced.
    fn template(&self, lang: usize, key: &str) -> Option<&'static str> {
        let (_, en, zh) = self
            .labels
            .iter()
            .chain(COMMON)
            .find(|(k, _, _)| *k == key)?;
        Some(if lang == 0 { en } else { zh })
    }

    /// The text of a label in edition `lang` (an index into [`LANGS`]).
    fn label(&self, lang: usize, key: &str, args: &[String]) -> Result<String> {
        let template = self
            .template(lang, key)
            .with_context(|| format!("no label {key:?} in the labels of {}", self.name))?;
        let mut parts = template.split("{}");
        let mut out = escape(parts.next().unwrap_or(""));
        let mut args = args.iter();
        for part in parts {
            let arg = args
                .next()
                .with_context(|| format!("label {key:?} needs more arguments"))?;
            out.push_str(&escape(arg));
            out.push_str(&escape(part));
        }
        ensure!(
            args.next().is_none(),
            "label {key:?} has fewer {{}} than arguments"
        );
        Ok(out)
    }

    /// A cell as (escaped) HTML.
    fn html(&self, lang: usize, cell: &Cell) -> Result<String> {
        Ok(match cell {
            Cell::Label(key, args) => self.label(lang, key, args)?,
            Cell::Value(v) => escape(v),
            Cell::Code(c) => format!("<code>{}</code>", escape(c)),
            Cell::Join(cells) => cells
                .iter()
                .map(|c| self.html(lang, c))
                .collect::<Result<Vec<_>>>()?
                .concat(),
            Cell::Empty => String::new(),
        })
    }

    /// `number` with its unit, as plain text in edition `lang`: a unit
    /// whose label has a `{}` places the number ("每秒 {} 个"), any other
    /// follows it after a space ("12 毫秒").
    fn with_unit(&self, lang: usize, number: &str, unit: &Cell) -> Result<String> {
        if let Cell::Label(key, args) = unit
            && args.is_empty()
            && self.template(lang, key).is_some_and(|t| t.contains("{}"))
        {
            return self.label(lang, key, &[number.to_string()]);
        }
        let unit = self.plain(lang, unit)?;
        Ok(if unit.is_empty() {
            number.to_string()
        } else {
            format!("{number} {unit}")
        })
    }

    /// A line chart's unit as a cell: its label if one has that name.
    fn unit_cell(&self, unit: &'static str) -> Cell {
        if self.template(0, unit).is_some() {
            label(unit)
        } else {
            value(unit)
        }
    }

    /// A cell as plain text (for SVG and alt texts): no markup, escaped.
    fn plain(&self, lang: usize, cell: &Cell) -> Result<String> {
        Ok(match cell {
            Cell::Code(c) => escape(c),
            Cell::Join(cells) => cells
                .iter()
                .map(|c| self.plain(lang, c))
                .collect::<Result<Vec<_>>>()?
                .concat(),
            other => self.html(lang, other)?,
        })
    }
}

/// For the chapters' tests: no English word of `labels` (or of the common
/// labels) shows in `zh`, the Chinese block of a rendered page, unless its
/// Chinese label has it too (a name such as nginx).
#[cfg(test)]
pub fn assert_no_english(zh: &str, labels: Labels) {
    for (_, english, chinese) in labels.iter().chain(COMMON) {
        for word in english.split("{}").map(str::trim).filter(|w| w.len() > 3) {
            if !chinese.contains(word) {
                assert!(!zh.contains(word), "{word:?} in the Chinese block");
            }
        }
    }
}

/// For the chapters' tests: `zh`, Chinese text (a page's Chinese block or a
/// Chinese figure), writes its units in Chinese (毫秒, 微秒, 每秒), not
/// `ms`, `µs`, `/s` or `/秒`. What is set as code is left out.
#[cfg(test)]
pub fn assert_chinese_units(zh: &str) {
    let mut text = String::new();
    let mut rest = zh;
    while let Some((before, after)) = rest.split_once("<code>") {
        text.push_str(before);
        rest = after.split_once("</code>").map_or("", |(_, a)| a);
    }
    text.push_str(rest);
    let letter = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    for unit in ["ms", "µs", "/s", "/秒"] {
        for (i, _) in text.match_indices(unit) {
            let before = text[..i].chars().next_back();
            let after = text[i + unit.len()..].chars().next();
            let word = (unit.len() == 2 && letter(before)) || (unit != "/秒" && letter(after));
            let (mut from, mut to) = (i.saturating_sub(40), (i + 40).min(text.len()));
            while !text.is_char_boundary(from) {
                from -= 1;
            }
            while !text.is_char_boundary(to) {
                to += 1;
            }
            assert!(word, "{unit:?} in Chinese text: {:?}", &text[from..to]);
        }
    }
}

/// The include file and the figures: (file name, contents).
pub fn render(page: &Page) -> Result<Vec<(String, String)>> {
    let mut md = String::new();
    let mut files = Vec::new();
    for (lang, code) in LANGS.iter().enumerate() {
        md.push_str(&format!("<div class=\"bench-results\" lang=\"{code}\">\n"));
        for table in &page.tables {
            md.push_str("<table>\n");
            if !table.header.is_empty() {
                md.push_str("<thead><tr>");
                for cell in &table.header {
                    md.push_str(&format!("<th>{}</th>", page.html(lang, cell)?));
                }
                md.push_str("</tr></thead>\n");
            }
            md.push_str("<tbody>\n");
            for row in &table.rows {
                md.push_str("<tr>");
                for cell in row {
                    md.push_str(&format!("<td>{}</td>", page.html(lang, cell)?));
                }
                md.push_str("</tr>\n");
            }
            md.push_str("</tbody>\n</table>\n");
        }
        for figure in &page.figures {
            let title = page.plain(lang, figure.title())?;
            md.push_str(&format!(
                "<p><img src=\"bench/{}.{code}.svg\" alt=\"{title}\"></p>\n",
                figure.name()
            ));
            let svg = match figure {
                Figure::Lines(chart) => line_chart(page, lang, chart)?,
                Figure::Bars(chart) => bar_chart(page, lang, chart)?,
                Figure::Timeline(chart) => timeline(page, lang, chart)?,
            };
            files.push((format!("{}.{code}.svg", figure.name()), svg));
        }
        md.push_str("</div>\n");
    }
    files.insert(0, (format!("{}.md", page.name), md));
    Ok(files)
}

/// Line colours and dash patterns, told apart without colour too.
const STYLES: [(&str, &str, &str); 4] = [
    ("#3b6ea5", "", "circle"),
    ("#c0504d", "6 4", "square"),
    ("#4f8a3c", "2 3", "circle"),
    ("#8064a2", "8 3 2 3", "square"),
];

/// The chart as plain SVG, drawn by hand (it needs no more; a plotting crate
/// such as plotters is the tool for anything richer), on the white card of
/// [`svg_start`].
fn line_chart(page: &Page, lang: usize, chart: &LineChart) -> Result<String> {
    ensure!(
        !chart.x.is_empty(),
        "chart {} has no categories",
        chart.name
    );
    for (_, values) in &chart.series {
        ensure!(
            values.len() == chart.x.len(),
            "chart {}: a series has {} values for {} categories",
            chart.name,
            values.len(),
            chart.x.len()
        );
    }
    let title = page.plain(lang, &chart.title)?;
    let x_labels: Vec<String> = chart
        .x
        .iter()
        .map(|c| page.plain(lang, c))
        .collect::<Result<_>>()?;
    let names: Vec<String> = chart
        .series
        .iter()
        .map(|(c, _)| page.plain(lang, c))
        .collect::<Result<_>>()?;
    let y_axis = page.plain(lang, &chart.y_axis)?;
    let sep = if lang == 0 { ", " } else { "，" };
    let unit = page.unit_cell(chart.unit);
    let desc = chart
        .series
        .iter()
        .zip(&names)
        .map(|((_, values), name)| {
            let points = x_labels
                .iter()
                .zip(values)
                .map(|(x, v)| Ok(format!("{x} {}", page.with_unit(lang, &num(*v, 0), &unit)?)))
                .collect::<Result<Vec<_>>>()?
                .join(sep);
            Ok(format!("{name}: {points}"))
        })
        .collect::<Result<Vec<_>>>()?
        .join(if lang == 0 { "; " } else { "；" });
    let mut desc = desc;
    for (i, mark) in &chart.marks {
        let at = x_labels.get(*i).map(String::as_str).unwrap_or("");
        desc.push_str(if lang == 0 { "; " } else { "；" });
        desc.push_str(&format!("{}: {at}", page.plain(lang, mark)?));
    }

    let (width, height) = (560.0, 320.0);
    let (left, right, top, bottom) = (70.0, 40.0, 64.0, 44.0);
    let (plot_w, plot_h) = (width - left - right, height - top - bottom);
    let finite = chart
        .series
        .iter()
        .flat_map(|(_, v)| v)
        .copied()
        .filter(|v| v.is_finite() && (!chart.log_y || *v > 0.0));
    let (lo, hi) = finite.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let ticks: Vec<f64>;
    let (y_lo, y_hi);
    if chart.log_y {
        let lo = if lo.is_finite() { lo } else { 1.0 };
        let hi = if hi > 0.0 { hi } else { 10.0 };
        y_lo = 10f64.powf(lo.log10().floor());
        y_hi = 10f64.powf(hi.log10().ceil()).max(y_lo * 10.0);
        let mut t = Vec::new();
        let mut decade = y_lo;
        while decade <= y_hi * 1.0001 {
            for m in [1.0, 2.0, 5.0] {
                if decade * m <= y_hi * 1.0001 {
                    t.push(decade * m);
                }
            }
            decade *= 10.0;
        }
        ticks = t;
    } else {
        y_lo = 0.0;
        let step = nice_step(hi.max(1e-9) / 5.0);
        y_hi = (hi / step).ceil().max(1.0) * step;
        ticks = (0..=((y_hi / step).round() as usize))
            .map(|i| i as f64 * step)
            .collect();
    }
    let y = |v: f64| -> f64 {
        let f = if chart.log_y {
            (v.log10() - y_lo.log10()) / (y_hi.log10() - y_lo.log10())
        } else {
            (v - y_lo) / (y_hi - y_lo)
        };
        top + plot_h * (1.0 - f)
    };
    let step_x = plot_w / chart.x.len() as f64;
    let x = |i: usize| left + step_x * (i as f64 + 0.5);

    let mut svg = svg_start(width, height, &title, &desc);
    svg.push_str(&format!(
        "<text x=\"{left}\" y=\"20\" font-size=\"14\">{title}</text>\n"
    ));
    // Legend, under the title.
    let mut lx = left;
    for (i, name) in names.iter().enumerate() {
        let (colour, dash, _) = STYLES[i % STYLES.len()];
        svg.push_str(&format!(
            "<line x1=\"{lx}\" y1=\"38\" x2=\"{:.1}\" y2=\"38\" stroke=\"{colour}\" stroke-width=\"2.5\"{}/>\
             <text x=\"{:.1}\" y=\"42\">{name}</text>\n",
            lx + 28.0,
            dash_attr(dash),
            lx + 34.0,
        ));
        lx += 34.0 + 8.0 * name.chars().count() as f64 + 30.0;
    }
    // Grid and y axis.
    for t in &ticks {
        let ty = y(*t);
        svg.push_str(&format!(
            "<line x1=\"{left}\" y1=\"{ty:.1}\" x2=\"{:.1}\" y2=\"{ty:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#555\">{}</text>\n",
            left + plot_w,
            left - 6.0,
            ty + 4.0,
            num(*t, if *t < 1.0 { 1 } else { 0 }),
        ));
    }
    svg.push_str(&format!(
        "<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{:.1}\" stroke=\"#555\"/>\
         <line x1=\"{left}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#555\"/>\n\
         <text transform=\"translate(16 {:.1}) rotate(-90)\" text-anchor=\"middle\">{y_axis}</text>\n",
        top + plot_h,
        top + plot_h,
        left + plot_w,
        top + plot_h,
        top + plot_h / 2.0,
    ));
    let few = chart.x.len() <= FEW_CATEGORIES;
    let label_every = chart.x.len().div_ceil(FEW_CATEGORIES);
    for (i, name) in x_labels.iter().enumerate() {
        if i % label_every != 0 {
            continue;
        }
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{name}</text>\n",
            x(i),
            top + plot_h + 20.0
        ));
    }
    // The lines, their points and values: the first series' values below
    // right of the points, the others' above left of them (off the lines
    // of rising percentiles).
    for (s, (_, values)) in chart.series.iter().enumerate() {
        let (colour, dash, marker) = STYLES[s % STYLES.len()];
        let points: Vec<(f64, f64, f64)> = values
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite() && (!chart.log_y || **v > 0.0))
            .map(|(i, v)| (x(i), y(*v), *v))
            .collect();
        let path = points
            .iter()
            .map(|(px, py, _)| format!("{px:.1},{py:.1}"))
            .collect::<Vec<_>>()
            .join(" ");
        svg.push_str(&format!(
            "<polyline points=\"{path}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2.5\"{}/>\n",
            dash_attr(dash)
        ));
        for (px, py, v) in points.into_iter().filter(|_| few) {
            match marker {
                "circle" => svg.push_str(&format!(
                    "<circle cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"4\" fill=\"{colour}\"/>"
                )),
                _ => svg.push_str(&format!(
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"8\" height=\"8\" fill=\"{colour}\"/>",
                    px - 4.0,
                    py - 4.0
                )),
            }
            let (tx, ty, anchor) = if s == 0 {
                (px + 6.0, py + 16.0, "start")
            } else {
                (px - 6.0, py - 8.0, "end")
            };
            svg.push_str(&format!(
                "<text x=\"{tx:.1}\" y=\"{ty:.1}\" text-anchor=\"{anchor}\">{}</text>\n",
                num(v, 0)
            ));
        }
    }
    for (i, mark) in &chart.marks {
        ensure!(
            *i < chart.x.len(),
            "chart {}: a mark past the end",
            chart.name
        );
        let mx = x(*i);
        svg.push_str(&format!(
            "<line x1=\"{mx:.1}\" y1=\"{top}\" x2=\"{mx:.1}\" y2=\"{:.1}\" stroke=\"#a33\" \
             stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#a33\">{}</text>\n",
            top + plot_h,
            mx + 4.0,
            top + 12.0,
            page.plain(lang, mark)?,
        ));
    }
    svg.push_str("</svg>\n");
    Ok(svg)
}

/// The opening of every figure: its size, the fonts (CJK ones named for the
/// Chinese edition), the title and description that screen readers read,
/// and a white card with dark text: an `<img>` does not inherit the page's
/// colours, so this is what stays readable on the dark themes.
fn svg_start(width: f64, height: f64, title: &str, desc: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" role=\"img\" \
         font-family=\"sans-serif, 'Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei'\" \
         font-size=\"12\" fill=\"#222\">\n\
         <title>{title}</title>\n<desc>{desc}</desc>\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    )
}

/// Decimals for a value shown in a figure: none from 100 up.
fn decimals(v: f64) -> usize {
    match v.abs() {
        a if a >= 100.0 => 0,
        a if a >= 10.0 => 1,
        _ => 2,
    }
}

/// The bar chart as plain SVG: a label column, bars from zero, the range
/// as a dark line with end ticks across each bar, and the value after it.
fn bar_chart(page: &Page, lang: usize, chart: &BarChart) -> Result<String> {
    ensure!(!chart.bars.is_empty(), "chart {} has no bars", chart.name);
    let title = page.plain(lang, &chart.title)?;
    let labels: Vec<String> = chart
        .bars
        .iter()
        .map(|b| page.plain(lang, &b.label))
        .collect::<Result<_>>()?;
    let text = |v: f64| num(v, decimals(v));
    let desc = chart
        .bars
        .iter()
        .zip(&labels)
        .map(|(b, l)| {
            Ok(match b.range {
                Some((lo, hi)) => {
                    let d = decimals(b.value);
                    format!(
                        "{l}: {} ({}–{})",
                        page.with_unit(lang, &num(b.value, d), &chart.unit)?,
                        num(lo, d),
                        num(hi, d)
                    )
                }
                None => format!(
                    "{l}: {}",
                    page.with_unit(lang, &text(b.value), &chart.unit)?
                ),
            })
        })
        .collect::<Result<Vec<_>>>()?
        .join(if lang == 0 { "; " } else { "；" });
    // Wide enough for the longest label (CJK characters count twice).
    let label_chars = labels
        .iter()
        .map(|l| {
            l.chars()
                .map(|c| if c.is_ascii() { 1 } else { 2 })
                .sum::<usize>()
        })
        .max()
        .unwrap_or(0);
    let label_w = (label_chars as f64 * 7.0 + 16.0).max(80.0);
    let (bar_w, row_h, top) = (420.0, 22.0, 34.0);
    let width = label_w + bar_w + 90.0;
    let height = top + row_h * chart.bars.len() as f64 + 10.0;
    let max = chart
        .bars
        .iter()
        .flat_map(|b| [Some(b.value), b.range.map(|r| r.1)])
        .flatten()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max)
        .max(1e-9);
    let x = |v: f64| {
        label_w
            + if v.is_finite() {
                v.max(0.0) / max * bar_w
            } else {
                0.0
            }
    };
    let mut svg = svg_start(width, height, &title, &desc);
    svg.push_str(&format!(
        "<text x=\"{label_w}\" y=\"20\" font-size=\"14\">{title}</text>\n"
    ));
    for (i, (bar, label)) in chart.bars.iter().zip(&labels).enumerate() {
        let y = top + row_h * i as f64;
        let mid = y + (row_h - 6.0) / 2.0 + 3.0;
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{label}</text>\
             <rect x=\"{label_w}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#3b6ea5\"/>",
            label_w - 6.0,
            y + 14.0,
            y + 3.0,
            x(bar.value) - label_w,
            row_h - 6.0,
        ));
        let mut end = x(bar.value);
        if let Some((lo, hi)) = bar.range {
            let (x0, x1) = (x(lo), x(hi));
            svg.push_str(&format!(
                "<path d=\"M{x0:.1} {mid:.1}H{x1:.1}M{x0:.1} {:.1}V{:.1}M{x1:.1} {:.1}V{:.1}\" \
                 stroke=\"#222\" stroke-width=\"1.5\" fill=\"none\"/>",
                mid - 5.0,
                mid + 5.0,
                mid - 5.0,
                mid + 5.0,
            ));
            end = end.max(x1);
        }
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\">{}</text>\n",
            end + 4.0,
            y + 14.0,
            text(bar.value)
        ));
    }
    svg.push_str("</svg>\n");
    Ok(svg)
}

/// The timeline as plain SVG: a label column, a row per process, a bar per
/// operation (blue: ok; red: failed; grey with a dashed outline: unknown),
/// its text inside when it fits, and a time axis below.
fn timeline(page: &Page, lang: usize, chart: &Timeline) -> Result<String> {
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

fn dash_attr(dash: &str) -> String {
    if dash.is_empty() {
        String::new()
    } else {
        format!(" stroke-dasharray=\"{dash}\"")
    }
}

/// 1, 2 or 5 times a power of ten, at least `rough`.
fn nice_step(rough: f64) -> f64 {
    let decade = 10f64.powf(rough.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if decade * m >= rough {
            return decade * m;
        }
    }
    decade * 10.0
}

/// Compares what `render` makes with the files in `dir`; the error names
/// the first file that differs and says how to make it again.
pub fn check(dir: &std::path::Path, files: &[(String, String)], regenerate: &str) -> Result<()> {
    for (name, expected) in files {
        let path = dir.join(name);
        let actual = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {} ({regenerate})", path.display()))?;
        if actual != *expected {
            bail!(
                "{} is not what the committed results render to: {regenerate}",
                path.display()
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_history_pairs_into_timeline_operations() {
        let events: Vec<Value> = [
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
                "{}{}",
                i["f"].as_str().unwrap(),
                e.map_or(String::new(), |e| e["value"].to_string())
            )
        })
        .unwrap();
        assert_eq!(processes, [1, 2]);
        let summary: Vec<_> = ops
            .iter()
            .map(|o| (o.row, o.first, o.last, o.outcome, o.text.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                (0, 0, 2, Outcome::Unknown, "add1"),
                (1, 1, 3, Outcome::Ok, "read7"),
                // Never completed: unknown, to the end of the history.
                (0, 4, 4, Outcome::Unknown, "add"),
            ]
        );
        assert_eq!((ops[1].start, ops[1].end), (2.0, 4.0));
    }

    use super::*;

    #[test]
    fn spreads() {
        let s = spread(&[3.0, 1.0, 10.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (3.0, 1.0, 10.0));
        assert_eq!(spread(&[1.0, 4.0]).unwrap().median, 2.5);
        assert_eq!(spread(&[f64::NAN, 2.0]).unwrap().median, 2.0);
        assert_eq!(spread(&[]), None);
        assert_eq!(spread_text(spread(&[80.4, 70.0, 95.6]), 0), "80 (70–96)");
        assert_eq!(spread_text(spread(&[5.0]), 1), "5.0");
        assert_eq!(spread_text(None, 0), "–");
        assert_eq!(num(-0.2, 0), "0");
        assert_eq!(spread_text(spread(&[-5.0, 3.0, -1.0]), 0), "−1 (−5–3)");
    }

    #[test]
    fn pairs_and_verdicts() {
        let added = paired(&[100.0, 110.0], &[150.0, 300.0], |d, p| p - d).unwrap();
        assert_eq!(added, [50.0, 190.0]);
        assert!(paired(&[1.0], &[1.0, 2.0], |d, p| p - d).is_err());
        assert!(met(100.0, 100.0));
        assert!(!met(100.5, 100.0));
        assert!(!met(f64::NAN, 100.0));
    }

    const LABELS: Labels = &[
        ("thing", "thing", "东西"),
        ("n", "{} of {}", "{} / {}"),
        ("rate", "{}/s", "每秒 {} 次"),
    ];

    fn page(label_key: &'static str) -> Page {
        Page {
            name: "test".into(),
            labels: LABELS,
            tables: vec![Table {
                header: vec![label(label_key), label("value")],
                rows: vec![vec![
                    Cell::Join(vec![value("a<b "), Cell::Code("x".into())]),
                    labelf("n", &["1".into(), "2".into()]),
                ]],
            }],
            figures: vec![
                Figure::Lines(LineChart {
                    name: "test-lines".into(),
                    title: label("thing"),
                    x: vec![value("p50"), value("p99")],
                    y_axis: label("value"),
                    unit: "µs",
                    log_y: true,
                    series: vec![(label("thing"), vec![50.0, 900.0])],
                    marks: Vec::new(),
                }),
                Figure::Bars(BarChart {
                    name: "test-bars".into(),
                    title: label("thing"),
                    unit: label("µs"),
                    bars: vec![
                        Bar::spread(label("thing"), spread(&[90.0, 100.0, 130.0])),
                        Bar::spread(value("b"), spread(&[5.0])),
                    ],
                }),
            ],
        }
    }

    #[test]
    fn renders_both_editions() {
        let files = render(&page("thing")).unwrap();
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "test.md",
                "test-lines.en.svg",
                "test-bars.en.svg",
                "test-lines.zh-CN.svg",
                "test-bars.zh-CN.svg"
            ]
        );
        let md = &files[0].1;
        let (en, zh) = md
            .split_once("<div class=\"bench-results\" lang=\"zh-CN\">")
            .unwrap();
        assert!(en.contains("<th>thing</th>") && en.contains("1 of 2"));
        assert!(zh.contains("<th>东西</th>") && zh.contains("1 / 2"));
        assert!(!zh.contains("thing") && !zh.contains(" of "));
        assert!(md.contains("a&lt;b <code>x</code>"));
        assert!(zh.contains("<img src=\"bench/test-lines.zh-CN.svg\" alt=\"东西\">"));
        let svg = &files[3].1;
        assert!(svg.contains("<title>东西</title>"));
        assert!(svg.contains("<desc>东西: p50 50 微秒，p99 900 微秒</desc>"));
        assert!(
            files[1]
                .1
                .contains("<desc>thing: p50 50 µs, p99 900 µs</desc>")
        );
        let bars = &files[4].1;
        assert!(bars.contains("<desc>东西: 100 微秒 (90–130)；b: 5.00 微秒</desc>"));
        assert_chinese_units(svg);
        assert_chinese_units(bars);
        assert_chinese_units(zh);
        // One range, drawn with its end ticks, to the largest value.
        assert_eq!(bars.matches("<path").count(), 1);
        assert!(bars.contains("H500.0"), "{bars}");
    }

    #[test]
    fn time_series_with_a_mark() {
        let seconds = 30;
        let mut p = page("thing");
        p.figures = vec![Figure::Lines(LineChart {
            name: "series".into(),
            title: label("thing"),
            x: (0..seconds).map(|s| value(s.to_string())).collect(),
            y_axis: label("value"),
            unit: "rate",
            log_y: false,
            series: vec![(label("thing"), (0..seconds).map(|s| s as f64).collect())],
            marks: vec![(10, labelf("n", &["1".into(), "2".into()]))],
        })];
        let files = render(&p).unwrap();
        let svg = &files[2].1;
        // Every third second labelled, no points, the mark drawn and described.
        assert_eq!(svg.matches("text-anchor=\"middle\">").count(), 10 + 1);
        assert!(!svg.contains("<circle"));
        assert!(svg.contains("stroke=\"#a33\""));
        assert!(svg.contains("；1 / 2: 10</desc>"), "{svg}");
        // A unit whose label has a `{}` places the number.
        assert!(
            svg.contains("<desc>东西: 0 每秒 0 次，1 每秒 1 次，"),
            "{svg}"
        );
        assert!(files[1].1.contains("<desc>thing: 0 0/s, 1 1/s, "));
        p.figures = vec![Figure::Lines(LineChart {
            name: "series".into(),
            title: label("thing"),
            x: vec![value("a")],
            y_axis: label("value"),
            unit: "",
            log_y: false,
            series: vec![(label("thing"), vec![1.0])],
            marks: vec![(1, label("thing"))],
        })];
        assert!(render(&p).is_err());
    }

    #[test]
    #[should_panic(expected = "\"ms\" in Chinese text")]
    fn english_units_in_chinese_text_are_found() {
        assert_chinese_units("<code>-d10s</code> 12 毫秒，每秒 3 个，sans-serif");
        assert_chinese_units("延迟 12 ms");
    }

    #[test]
    fn a_missing_label_is_an_error() {
        assert!(render(&page("no such label")).is_err());
    }
}
