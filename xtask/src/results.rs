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
//!
//! Here: the labels, the cells and tables, the page and its rendering to
//! HTML; each kind of figure with its drawing in a module of its own
//! ([`line`], [`bar`], [`timeline`], sharing [`svg`]), and the arithmetic
//! of rounds in [`stats`].

mod bar;
mod line;
mod stats;
mod svg;
mod timeline;

use anyhow::{Context, Result, bail, ensure};
use serde::{Deserialize, Serialize};

pub use bar::{Bar, BarChart};
pub use line::LineChart;
pub use stats::{Spread, met, num, paired, spread, spread_text, verdict};
pub use timeline::{Event, Operation, Timeline, timeline_ops};

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

/// The build profile of the suite's smoke runs.
pub const SMOKE_PROFILE: &str = "debug (smoke run: not a measurement)";

/// The machine a results file was measured on, as every results file
/// stores it (`machine`): CPU, cores, OS, rustc, and the versions of the
/// tools that chapter 9 uses.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Machine {
    pub cpu: String,
    pub cpus: usize,
    pub os: String,
    pub rustc: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub go: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub go_current: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oha: Option<String>,
}

impl Machine {
    /// Without chapter 9's tools: what Part II's results files store.
    pub fn without_go_and_wrk(self) -> Machine {
        Machine {
            go: None,
            wrk: None,
            ..self
        }
    }
}

/// The machine table's rows from a results file's `machine` and
/// `profile`, plus a description of the load.
pub fn machine_rows(machine: &Machine, profile: &str, load: Cell) -> Vec<Vec<Cell>> {
    vec![
        vec![
            label("cpu"),
            labelf("cpus", &[machine.cpu.clone(), machine.cpus.to_string()]),
        ],
        vec![label("os"), value(machine.os.clone())],
        vec![label("rust"), value(machine.rustc.clone())],
        vec![
            label("build"),
            match profile {
                "release" => label("release"),
                SMOKE_PROFILE => label("debug_smoke"),
                _ => value(profile),
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
                Figure::Lines(chart) => line::draw(page, lang, chart)?,
                Figure::Bars(chart) => bar::draw(page, lang, chart)?,
                Figure::Timeline(chart) => timeline::draw(page, lang, chart)?,
            };
            files.push((format!("{}.{code}.svg", figure.name()), svg));
        }
        md.push_str("</div>\n");
    }
    files.insert(0, (format!("{}.md", page.name), md));
    Ok(files)
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
    use super::*;

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
