//! The arithmetic of rounds: the median and range of the values of a
//! measurement's rounds, per-round comparisons, targets and how numbers
//! are written.

use anyhow::{Result, ensure};

use super::{Cell, label};

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

#[cfg(test)]
mod tests {
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
}
