//! Horizontal bar charts: one bar per item, at the median of its rounds
//! with their range across it; drawn as plain SVG.

use anyhow::{Result, ensure};

use super::svg::{decimals, svg_start};
use super::{Cell, Page, Spread, num};

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

/// The bar chart as plain SVG: a label column, bars from zero, the range
/// as a dark line with end ticks across each bar, and the value after it.
pub(super) fn draw(page: &Page, lang: usize, chart: &BarChart) -> Result<String> {
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
