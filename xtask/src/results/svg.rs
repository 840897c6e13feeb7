//! What every figure's SVG shares: its opening (size, fonts, title, the
//! white card), the decimals of a value, dash patterns and axis steps.

/// The opening of every figure: its size, the fonts (CJK ones named for the
/// Chinese edition), the title and description that screen readers read,
/// and a white card with dark text: an `<img>` does not inherit the page's
/// colours, so this is what stays readable on the dark themes.
pub(super) fn svg_start(width: f64, height: f64, title: &str, desc: &str) -> String {
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
pub(super) fn decimals(v: f64) -> usize {
    match v.abs() {
        a if a >= 100.0 => 0,
        a if a >= 10.0 => 1,
        _ => 2,
    }
}

pub(super) fn dash_attr(dash: &str) -> String {
    if dash.is_empty() {
        String::new()
    } else {
        format!(" stroke-dasharray=\"{dash}\"")
    }
}

/// 1, 2 or 5 times a power of ten, at least `rough`.
pub(super) fn nice_step(rough: f64) -> f64 {
    let decade = 10f64.powf(rough.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if decade * m >= rough {
            return decade * m;
        }
    }
    decade * 10.0
}
