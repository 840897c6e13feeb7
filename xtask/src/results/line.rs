//! Line charts: one line per series across shared categories (the
//! percentiles of a latency, the seconds of a run), on a log or a linear
//! axis, with marks for events; drawn as plain SVG.

use anyhow::{Result, ensure};

use super::svg::{dash_attr, nice_step, svg_start};
use super::{Cell, Page, num};

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
    /// (of the page's or [`super::COMMON`]: `µs`, `ms`), so that each edition
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
pub(super) fn draw(page: &Page, lang: usize, chart: &LineChart) -> Result<String> {
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
