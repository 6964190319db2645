//! The numbers behind a verdict: spike detection, rates, resting values, and OMV's
//! tolerance rule, plus explanations of a verdict in numbers.
//!
//! Everything here is pure (slices in, numbers out) so that it can be tested exhaustively.
//! Verdicts follow OMV 0.4.0 exactly except for three OMV bugs that crosscheck fixes on
//! purpose:
//!
//! 1. **Falsy values.** OMV rejects any observed or expected list containing a falsy element
//!    ("could not determine values"), so a spike at `t = 0.0` always fails. Here `0.0` is an
//!    ordinary number: [`allclose`] never looks at truthiness.
//! 2. **Rates from voltage traces.** OMV's `spike rate` from a `file:` with `spike detection`
//!    always fails; crosscheck detects the spikes and computes the rate (see `check`).
//! 3. **Division by zero in the tolerance hint.** OMV's hint `max(|obs-exp|/exp)` divides by
//!    an expected 0; [`min_passing_tolerance`] never divides by zero and says `None` when no
//!    tolerance can help.

use std::fmt::Write as _;

use crate::results::Value;
use crate::suite::{RateMethod, SpikeDetection};

/// OMV's absolute tolerance: numpy `allclose`'s default, which OMV never overrides.
pub const ATOL: f64 = 1e-8;

/// How many missing/extra spikes a message lists before summarising the rest.
const LIST_LIMIT: usize = 5;

// ---------------------------------------------------------------------------------------------
// Spike detection
// ---------------------------------------------------------------------------------------------

/// Indices of upward threshold crossings: `i + 1` wherever `v[i] <= threshold < v[i + 1]`.
///
/// This is OMV's rule: the spike is the first sample above the threshold, without
/// interpolation, and a trace that starts above the threshold has no spike at index 0 (there
/// is no crossing to see). NaN samples never cross.
pub fn threshold_crossings(v: &[f64], threshold: f64) -> Vec<usize> {
    v.windows(2)
        .enumerate()
        .filter(|(_, w)| w[0] <= threshold && w[1] > threshold)
        .map(|(i, _)| i + 1)
        .collect()
}

/// Indices of local maxima, mirroring OMV's derivative method: with `dx[i] = v[i+1] - v[i]`,
/// index `i + 1` wherever `dx[i] >= 0 > dx[i + 1]`.
///
/// So the reported index is the peak sample itself; on a flat top it is the last sample of the
/// plateau, and a flat stretch followed by a fall also counts (OMV documents the method as
/// meant for noiseless traces only).
pub fn local_maxima(v: &[f64]) -> Vec<usize> {
    v.windows(3)
        .enumerate()
        .filter(|(_, w)| {
            let rise = w[1] - w[0];
            let fall = w[2] - w[1];
            rise >= 0.0 && fall < 0.0
        })
        .map(|(i, _)| i + 1)
        .collect()
}

/// Spike times of a `(t, v)` trace with the given detection method. Only the common length of
/// `t` and `v` is used.
pub fn detect_spikes(t: &[f64], v: &[f64], detection: SpikeDetection) -> Vec<f64> {
    let n = t.len().min(v.len());
    let v = &v[..n];
    let indices = match detection {
        SpikeDetection::Threshold(threshold) => threshold_crossings(v, threshold),
        SpikeDetection::Derivative => local_maxima(v),
    };
    indices
        .into_iter()
        .filter_map(|i| t.get(i).copied())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Rates and resting values
// ---------------------------------------------------------------------------------------------

/// OMV's `isi based` rate: the number of inter-spike intervals over their sum, counting only
/// intervals between consecutive spikes (in list order) that both lie in `[start, end]`.
///
/// As in OMV, fewer than two spikes in the window give a rate of 0 (a silent or single-spike
/// cell has no measurable interval; OMV reports 0 rather than failing). `None` when the
/// intervals sum to zero (duplicate spike times), where OMV would crash dividing by zero.
pub fn isi_rate(spikes: &[f64], start: f64, end: f64) -> Option<f64> {
    let inside = |s: f64| s >= start && s <= end;
    let mut count = 0usize;
    let mut total = 0.0;
    for w in spikes.windows(2) {
        if inside(w[0]) && inside(w[1]) {
            count += 1;
            total += w[1] - w[0];
        }
    }
    if count == 0 {
        Some(0.0)
    } else if total == 0.0 || total.is_nan() {
        None
    } else {
        Some(count as f64 / total)
    }
}

/// OMV's `duration based` rate: spikes in `[start, end]` over `end - start`.
///
/// `end` must be finite: OMV's default `end_time: inf` makes every rate 0, so the caller
/// (`check`) replaces an infinite end by the end of the data (last time sample of a trace, or
/// last spike time of a spike file) before calling this. `None` when the window has no
/// positive finite length.
pub fn duration_rate(spikes: &[f64], start: f64, end: f64) -> Option<f64> {
    let duration = end - start;
    if !(duration.is_finite() && duration > 0.0) {
        return None;
    }
    let count = spikes.iter().filter(|&&s| s >= start && s <= end).count();
    Some(count as f64 / duration)
}

/// The rate of one spike train by `method` (see [`isi_rate`] and [`duration_rate`]).
pub fn spike_rate(spikes: &[f64], method: RateMethod, start: f64, end: f64) -> Option<f64> {
    match method {
        RateMethod::IsiBased => isi_rate(spikes, start, end),
        RateMethod::DurationBased => duration_rate(spikes, start, end),
    }
}

/// Mean of per-cell rates, as OMV computes the rate of a population (`ids: '*'`). No cells
/// give 0, as in OMV; `None` when any cell's rate is undefined.
pub fn mean_rate<'a>(
    trains: impl IntoIterator<Item = &'a [f64]>,
    method: RateMethod,
    start: f64,
    end: f64,
) -> Option<f64> {
    let mut sum = 0.0;
    let mut cells = 0usize;
    for train in trains {
        sum += spike_rate(train, method, start, end)?;
        cells += 1;
    }
    Some(if cells == 0 { 0.0 } else { sum / cells as f64 })
}

/// Mean of the last `average_last` values (OMV's `resting`: `mean(tv[-N:, 1])`).
///
/// Python slicing rules apply: `N` larger than the data averages everything, and `N = 0`
/// also averages everything (`-0 == 0`, so `tv[-0:]` is the whole column). `None` for no data.
pub fn resting(values: &[f64], average_last: usize) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let n = if average_last == 0 {
        values.len()
    } else {
        average_last.min(values.len())
    };
    let tail = &values[values.len() - n..];
    Some(tail.iter().sum::<f64>() / n as f64)
}

// ---------------------------------------------------------------------------------------------
// The tolerance rule
// ---------------------------------------------------------------------------------------------

/// numpy `isclose(observed, expected, rtol, atol=1e-8)`: `|obs - exp| <= atol + rtol*|exp|`.
/// The tolerance is relative to the *expected* value. Infinities are close only to the same
/// infinity, NaN to nothing (numpy's `equal_nan=False`).
pub fn is_close(observed: f64, expected: f64, rtol: f64) -> bool {
    if observed.is_finite() && expected.is_finite() {
        (observed - expected).abs() <= ATOL + rtol * expected.abs()
    } else {
        observed == expected
    }
}

/// numpy `allclose` on equal-length slices; different lengths never pass (OMV fails them with
/// a numpy error), and empty versus empty passes.
pub fn allclose(observed: &[f64], expected: &[f64], rtol: f64) -> bool {
    observed.len() == expected.len()
        && observed
            .iter()
            .zip(expected)
            .all(|(&o, &e)| is_close(o, e, rtol))
}

fn next_up(x: f64) -> f64 {
    if x.is_nan() || x == f64::INFINITY {
        x
    } else if x == 0.0 {
        f64::from_bits(1)
    } else if x > 0.0 {
        f64::from_bits(x.to_bits() + 1)
    } else {
        f64::from_bits(x.to_bits() - 1)
    }
}

/// The smallest rtol with which `observed` is close to `expected`, or `None` when none is:
/// an expected 0 (or infinity, or NaN) that is missed by more than the absolute tolerance
/// cannot be reached by any relative tolerance, and dividing by it is OMV's bug 3.
/// The value is rounded up until [`is_close`] actually accepts it.
pub fn required_rtol(observed: f64, expected: f64) -> Option<f64> {
    if is_close(observed, expected, 0.0) {
        return Some(0.0);
    }
    if !(observed.is_finite() && expected.is_finite()) || expected == 0.0 {
        return None;
    }
    let diff = (observed - expected).abs();
    let mut rtol = ((diff - ATOL) / expected.abs()).max(0.0);
    for _ in 0..64 {
        if !rtol.is_finite() {
            return None;
        }
        if is_close(observed, expected, rtol) {
            return Some(rtol);
        }
        rtol = next_up(rtol);
    }
    None
}

/// The smallest rtol with which [`allclose`] passes: the maximum of [`required_rtol`] over
/// the elements (0 for empty slices). `None` when the lengths differ or an element cannot
/// pass with any tolerance. Unlike OMV's hint, it never divides by zero.
pub fn min_passing_tolerance(observed: &[f64], expected: &[f64]) -> Option<f64> {
    if observed.len() != expected.len() {
        return None;
    }
    observed
        .iter()
        .zip(expected)
        .try_fold(0.0_f64, |acc, (&o, &e)| Some(acc.max(required_rtol(o, e)?)))
}

// ---------------------------------------------------------------------------------------------
// Comparing values and explaining the verdict
// ---------------------------------------------------------------------------------------------

/// Where an element sits in a value, 0-based like the `.omt`'s `columns`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// The value is a single number.
    Scalar,
    /// Position in a list (or in a table with a single row or column), shown as `#3`.
    Index(usize),
    /// Row and column in a table with more than one row and column.
    Cell {
        /// 0-based row.
        row: usize,
        /// 0-based column, as in the `.omt`'s `columns`.
        column: usize,
    },
}

/// The element that needs the largest tolerance.
#[derive(Debug, Clone, PartialEq)]
pub struct Worst {
    /// Where the element sits in the observed value.
    pub position: Position,
    /// The element of the observed value.
    pub observed: f64,
    /// The element of the expected value (`.mep` or blessed reference).
    pub expected: f64,
    /// `|obs - exp|`, in the value's own units.
    pub abs_diff: f64,
    /// `|obs - exp| / |exp|`; `None` for an expected 0.
    pub rel_diff: Option<f64>,
}

/// An expected spike with no observed spike within tolerance.
#[derive(Debug, Clone, PartialEq)]
pub struct Missing {
    /// 0-based position in the expected list.
    pub index: usize,
    /// The expected value (a spike time, for spike lists).
    pub expected: f64,
    /// The closest observed value (matched or not), to show how far off it is.
    pub nearest_observed: Option<f64>,
}

/// Why the numbers passed or failed.
#[derive(Debug, Clone, PartialEq)]
pub enum Detail {
    /// Same shape: compared element by element.
    Elements {
        /// Both sides are one number (after numpy's squeezing, so `[x]` counts), which
        /// [`Comparison::describe`] explains without a position.
        scalar: bool,
        /// Number of elements compared.
        count: usize,
        /// Elements outside tolerance.
        failing: usize,
        /// The element that needs the largest tolerance; `None` when there are no elements.
        worst: Option<Worst>,
    },
    /// Two lists of different lengths: each expected value is matched to the nearest
    /// unmatched observed one within tolerance (in expected-time order).
    LengthMismatch {
        /// Number of observed values.
        observed_len: usize,
        /// Number of expected values.
        expected_len: usize,
        /// Expected values paired with an observed one within tolerance.
        matched: usize,
        /// Expected values left unpaired, in expected-list order.
        missing: Vec<Missing>,
        /// Unmatched observed values with their index.
        extra: Vec<(usize, f64)>,
    },
    /// Shapes that cannot be compared (e.g. tables of different sizes).
    ShapeMismatch {
        /// The observed shape in words, e.g. `3 rows × 2 columns`.
        observed: String,
        /// The expected shape in words.
        expected: String,
    },
}

/// The verdict of one comparison, with the numbers that explain it.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Every element is within tolerance and the shapes agree.
    pub passed: bool,
    /// The relative tolerance judged with (OMV's `tolerance`).
    pub rtol: f64,
    /// The smallest rtol that would pass (see [`min_passing_tolerance`]); `None` when the
    /// shapes or lengths differ, or when no tolerance can help.
    pub min_passing_tolerance: Option<f64>,
    /// The numbers that explain the verdict.
    pub detail: Detail,
}

/// A value as numpy sees it: its elements in order, and its shape with size-1 dimensions
/// dropped (numpy broadcasting makes `[x]` compare like `x`, and `[[a, b]]` like `[a, b]`).
struct Flat {
    elements: Vec<f64>,
    /// Squeezed dimensions, or the row lengths of a ragged table.
    shape: Result<Vec<usize>, Vec<usize>>,
    /// Row width, to turn flat indices back into (row, column).
    width: Option<usize>,
    description: String,
}

fn flatten(value: &Value) -> Flat {
    match value {
        Value::Scalar(x) => Flat {
            elements: vec![*x],
            shape: Ok(vec![]),
            width: None,
            description: "a single value".to_string(),
        },
        Value::List(xs) => Flat {
            elements: xs.clone(),
            shape: Ok(if xs.len() == 1 {
                vec![]
            } else {
                vec![xs.len()]
            }),
            width: None,
            description: format!("a list of {}", xs.len()),
        },
        Value::Table(rows) => {
            let width = rows.first().map_or(0, Vec::len);
            let rectangular = rows.iter().all(|r| r.len() == width);
            let shape = if rectangular {
                Ok([rows.len(), width]
                    .into_iter()
                    .filter(|&d| d != 1)
                    .collect())
            } else {
                Err(rows.iter().map(Vec::len).collect())
            };
            let description = if rectangular {
                format!("{} rows × {} columns", rows.len(), width)
            } else {
                format!("{} rows of unequal lengths", rows.len())
            };
            Flat {
                elements: rows.iter().flatten().copied().collect(),
                shape,
                width: rectangular
                    .then_some(width)
                    .filter(|&w| w > 1 && rows.len() > 1),
                description,
            }
        }
    }
}

fn is_one_dimensional(value: &Value) -> bool {
    matches!(value, Value::Scalar(_) | Value::List(_))
}

/// Judges `observed` against `expected` with OMV's rule (numpy `allclose`, `rtol`, atol 1e-8)
/// and explains the verdict in numbers.
pub fn compare(observed: &Value, expected: &Value, rtol: f64) -> Comparison {
    let obs = flatten(observed);
    let exp = flatten(expected);
    if obs.shape != exp.shape || obs.elements.len() != exp.elements.len() {
        let detail = if is_one_dimensional(observed) && is_one_dimensional(expected) {
            omv_spike_detail(&obs.elements, &exp.elements, rtol)
        } else {
            Detail::ShapeMismatch {
                observed: obs.description,
                expected: exp.description,
            }
        };
        return Comparison {
            passed: false,
            rtol,
            min_passing_tolerance: None,
            detail,
        };
    }
    let mut failing = 0;
    let mut worst: Option<(f64, Worst)> = None;
    for (i, (&o, &e)) in obs.elements.iter().zip(&exp.elements).enumerate() {
        if !is_close(o, e, rtol) {
            failing += 1;
        }
        let abs_diff = (o - e).abs();
        let need = required_rtol(o, e).unwrap_or(f64::INFINITY);
        let replace = match &worst {
            None => true,
            Some((w_need, w)) => need > *w_need || (need == *w_need && abs_diff > w.abs_diff),
        };
        if replace {
            let position = match (observed, obs.width) {
                (Value::Scalar(_), _) => Position::Scalar,
                (_, Some(width)) => Position::Cell {
                    row: i / width,
                    column: i % width,
                },
                _ => Position::Index(i),
            };
            worst = Some((
                need,
                Worst {
                    position,
                    observed: o,
                    expected: e,
                    abs_diff,
                    rel_diff: (e != 0.0).then(|| abs_diff / e.abs()),
                },
            ));
        }
    }
    Comparison {
        passed: failing == 0,
        rtol,
        min_passing_tolerance: min_passing_tolerance(&obs.elements, &exp.elements),
        detail: Detail::Elements {
            scalar: exp.shape == Ok(vec![]) && obs.elements.len() == 1,
            count: exp.elements.len(),
            failing,
            worst: worst.map(|(_, w)| w),
        },
    }
}

/// Explains an OMV spike-time mismatch: greedy matching of expected to observed spikes,
/// expected spikes taken in time order, each to the nearest still-unmatched observed spike
/// within tolerance.
fn omv_spike_detail(observed: &[f64], expected: &[f64], rtol: f64) -> Detail {
    let mut order: Vec<usize> = (0..expected.len()).collect();
    order.sort_by(|&a, &b| expected[a].total_cmp(&expected[b]));
    let mut used = vec![false; observed.len()];
    let mut missing = Vec::new();
    let mut matched = 0;
    for ei in order {
        let e = expected[ei];
        let best = observed
            .iter()
            .enumerate()
            .filter(|&(oi, &o)| !used[oi] && is_close(o, e, rtol))
            .min_by(|a, b| (a.1 - e).abs().total_cmp(&(b.1 - e).abs()));
        match best {
            Some((oi, _)) => {
                used[oi] = true;
                matched += 1;
            }
            None => missing.push(Missing {
                index: ei,
                expected: e,
                nearest_observed: observed
                    .iter()
                    .copied()
                    .filter(|o| !o.is_nan())
                    .min_by(|a, b| (a - e).abs().total_cmp(&(b - e).abs())),
            }),
        }
    }
    missing.sort_by_key(|m| m.index);
    let extra = observed
        .iter()
        .enumerate()
        .filter(|&(oi, _)| !used[oi])
        .map(|(oi, &o)| (oi, o))
        .collect();
    Detail::LengthMismatch {
        observed_len: observed.len(),
        expected_len: expected.len(),
        matched,
        missing,
        extra,
    }
}

/// A number as short as possible while exact (round-trips), in exponent form when very small or
/// large, so tolerances like `4.016467506678352e-8` can be copied into a test file.
pub fn fmt_num(x: f64) -> String {
    let a = x.abs();
    if a != 0.0 && a.is_finite() && !(1e-4..1e16).contains(&a) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

fn position_text(position: Position) -> String {
    match position {
        Position::Scalar => String::new(),
        Position::Index(i) => format!("#{i}"),
        Position::Cell { row, column } => format!("row {row}, column {column}"),
    }
}

fn worst_text(w: &Worst) -> String {
    let rel = match w.rel_diff {
        Some(r) => format!("relative {r:.3e}"),
        None => "expected 0".to_string(),
    };
    format!(
        "observed {}, expected {}, |Δ| {:.3e}, {rel}",
        fmt_num(w.observed),
        fmt_num(w.expected),
        w.abs_diff
    )
}

fn hint_text(c: &Comparison) -> String {
    match c.min_passing_tolerance {
        Some(t) => format!("would pass with tolerance {}", fmt_num(t)),
        None => "no tolerance would pass (an expected 0 or non-finite value is missed by more \
                 than the absolute tolerance 1e-8)"
            .to_string(),
    }
}

fn list_text<T>(items: &[T], show: impl Fn(&T) -> String) -> String {
    let mut text = items
        .iter()
        .take(LIST_LIMIT)
        .map(show)
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > LIST_LIMIT {
        let _ = write!(text, " and {} more", items.len() - LIST_LIMIT);
    }
    text
}

impl Comparison {
    /// One line explaining the verdict in numbers; `noun` names the elements ("spikes",
    /// "values"). List positions (`#3`) are 0-based, as in the `.mep` list read by Python.
    pub fn describe(&self, noun: &str) -> String {
        let rtol = fmt_num(self.rtol);
        match &self.detail {
            Detail::Elements {
                scalar: true,
                worst: Some(w),
                ..
            } => {
                let base = worst_text(w);
                if self.passed {
                    format!("{base}: within rtol {rtol}")
                } else {
                    format!("{base}: outside rtol {rtol}; {}", hint_text(self))
                }
            }
            Detail::Elements {
                count,
                failing,
                worst,
                ..
            } => {
                let Some(w) = worst else {
                    return format!("no {noun} observed, none expected");
                };
                let at = position_text(w.position);
                if self.passed {
                    format!(
                        "{count} {noun} within rtol {rtol} (worst at {at}: {})",
                        worst_text(w)
                    )
                } else {
                    format!(
                        "{failing} of {count} {noun} outside rtol {rtol}; worst at {at}: {}; {}",
                        worst_text(w),
                        hint_text(self)
                    )
                }
            }
            Detail::LengthMismatch {
                observed_len,
                expected_len,
                matched,
                missing,
                extra,
            } => {
                let mut text = format!(
                    "observed {observed_len} {noun}, expected {expected_len}: \
                     {matched} match within rtol {rtol}"
                );
                if !missing.is_empty() {
                    let list = list_text(missing, |m| match m.nearest_observed {
                        Some(n) => format!(
                            "#{} {} (nearest observed {})",
                            m.index,
                            fmt_num(m.expected),
                            fmt_num(n)
                        ),
                        None => format!("#{} {}", m.index, fmt_num(m.expected)),
                    });
                    let _ = write!(text, "; {} missing: {list}", missing.len());
                }
                if !extra.is_empty() {
                    let list = list_text(extra, |(i, o)| format!("#{i} {}", fmt_num(*o)));
                    let _ = write!(text, "; {} extra: {list}", extra.len());
                }
                text
            }
            Detail::ShapeMismatch { observed, expected } => {
                format!("observed {observed}, expected {expected}: shapes differ")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn list(xs: &[f64]) -> Value {
        Value::List(xs.to_vec())
    }

    #[test]
    fn threshold_detection_edges() {
        // Equal to the threshold is "below": the spike is the first sample strictly above.
        let v = [-70.0, -55.0, -54.0, 20.0, -60.0, -55.0, -55.0, -50.0];
        assert_eq!(threshold_crossings(&v, -55.0), vec![2, 7]);
        // A first sample above the threshold is no crossing.
        assert_eq!(threshold_crossings(&[10.0, -1.0, 5.0], 0.0), vec![2]);
        // Starting exactly at the threshold then rising is a crossing at index 1.
        assert_eq!(threshold_crossings(&[0.0, 1.0], 0.0), vec![1]);
        assert!(threshold_crossings(&[], 0.0).is_empty());
        assert!(threshold_crossings(&[5.0], 0.0).is_empty());
        assert!(threshold_crossings(&[f64::NAN, 5.0, f64::NAN], 0.0).is_empty());
    }

    #[test]
    fn omv_self_test_patterns() {
        // OMV's own test: x = [-1, 0, 1, 0] * 10.
        let x: Vec<f64> = [-1.0, 0.0, 1.0, 0.0].repeat(10);
        let expected: Vec<usize> = (2..x.len()).step_by(4).collect();
        assert_eq!(local_maxima(&x), expected);
        assert_eq!(threshold_crossings(&x, 0.1), expected);
        let xx: Vec<f64> = x.iter().map(|v| -v).collect();
        let expected: Vec<usize> = (4..xx.len()).step_by(4).collect();
        assert_eq!(local_maxima(&xx), expected);
        assert_eq!(threshold_crossings(&xx, 0.1), expected);
    }

    #[test]
    fn derivative_detection_reports_the_peak_sample() {
        let t = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        // Peak at index 2; plateau 4-5 then fall: last plateau sample (5).
        let v = [0.0, 1.0, 2.0, 1.0, 3.0, 3.0, 0.0];
        assert_eq!(local_maxima(&v), vec![2, 5]);
        assert_eq!(
            detect_spikes(&t, &v, SpikeDetection::Derivative),
            vec![2.0, 5.0]
        );
        // A monotonic trace has no maximum, nor does one ending at its peak.
        assert!(local_maxima(&[0.0, 1.0, 2.0]).is_empty());
        assert!(local_maxima(&[0.0, 1.0]).is_empty());
    }

    #[test]
    fn synthetic_trace_with_known_crossings() {
        // An integrate-and-fire-like sawtooth sampled every 0.05 ms: rises from -70 to -50 in
        // 10 ms, resets. Threshold -55.05 is first exceeded at sample 150 of each cycle
        // (-55.0), i.e. at 7.5 ms, 17.5 ms, ...
        let dt = 0.05;
        let t: Vec<f64> = (0..2000).map(|i| i as f64 * dt).collect();
        let v: Vec<f64> = (0..2000)
            .map(|i| -70.0 + 2.0 * ((i % 200) as f64 * dt))
            .collect();
        let spikes = detect_spikes(&t, &v, SpikeDetection::Threshold(-55.05));
        let expected: Vec<f64> = (0..10).map(|k| 7.5 + 10.0 * k as f64).collect();
        let c = compare(&Value::List(spikes), &Value::List(expected), 1e-9);
        assert!(c.passed, "{}", c.describe("spikes"));
        // Derivative: the peak is the last sample before each reset.
        let peaks = detect_spikes(&t, &v, SpikeDetection::Derivative);
        assert_eq!(peaks.len(), 9);
        assert!((peaks[0] - 9.95).abs() < 1e-9);
    }

    #[test]
    fn isi_rate_rules() {
        assert_eq!(isi_rate(&[], 0.0, f64::INFINITY), Some(0.0));
        assert_eq!(isi_rate(&[1.0], 0.0, f64::INFINITY), Some(0.0));
        assert_eq!(
            isi_rate(&[0.1, 0.2], 0.0, f64::INFINITY).map(|r| (r * 1e6).round()),
            Some(10e6)
        );
        // OMV's own examples, window [0, 0.25]: only 0.1 -> 0.2 qualifies.
        let r = isi_rate(&[0.1, 0.2, 0.3, 0.4], 0.0, 0.25).unwrap();
        assert!((r - 10.0).abs() < 1e-9);
        assert_eq!(isi_rate(&[0.1, 0.3, 0.5], 0.0, 0.25), Some(0.0));
        // Duplicate spikes: no defined rate.
        assert_eq!(isi_rate(&[1.0, 1.0], 0.0, 2.0), None);
    }

    #[test]
    fn duration_rate_rules() {
        let r = duration_rate(&[0.1, 0.2, 0.3, 0.4], 0.0, 0.25).unwrap();
        assert!((r - 8.0).abs() < 1e-9);
        // Both ends inclusive.
        assert_eq!(duration_rate(&[0.0, 1.0, 2.0], 0.0, 1.0), Some(2.0));
        assert_eq!(duration_rate(&[], 0.0, 2.0), Some(0.0));
        assert_eq!(duration_rate(&[1.0], 0.0, f64::INFINITY), None);
        assert_eq!(duration_rate(&[1.0], 1.0, 1.0), None);
        assert_eq!(
            spike_rate(&[0.0, 1.0, 2.0], RateMethod::DurationBased, 0.0, 1.0),
            Some(2.0)
        );
        assert_eq!(
            spike_rate(&[0.0, 0.5, 1.0], RateMethod::IsiBased, 0.0, 10.0),
            Some(2.0)
        );
    }

    #[test]
    fn mean_rate_of_cells() {
        let a = [0.0, 0.5, 1.0];
        let b = [0.0, 1.0];
        let trains: Vec<&[f64]> = vec![&a, &b];
        assert_eq!(
            mean_rate(trains, RateMethod::IsiBased, 0.0, f64::INFINITY),
            Some(1.5)
        );
        assert_eq!(
            mean_rate(Vec::<&[f64]>::new(), RateMethod::IsiBased, 0.0, 1.0),
            Some(0.0)
        );
    }

    #[test]
    fn resting_rules() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(resting(&v, 1), Some(4.0));
        assert_eq!(resting(&v, 2), Some(3.5));
        assert_eq!(resting(&v, 10), Some(2.5));
        assert_eq!(resting(&v, 0), Some(2.5));
        assert_eq!(resting(&[], 3), None);
    }

    #[test]
    fn spike_at_time_zero_is_a_value() {
        // OMV bug 1: a spike at t = 0.0 is falsy in Python and always failed.
        let c = compare(&list(&[0.0, 10.0]), &list(&[0.0, 10.0]), 0.0);
        assert!(c.passed);
        assert_eq!(c.min_passing_tolerance, Some(0.0));
    }

    #[test]
    fn empty_versus_empty_passes() {
        let c = compare(&list(&[]), &list(&[]), 0.0);
        assert!(c.passed);
        assert_eq!(c.min_passing_tolerance, Some(0.0));
        assert_eq!(c.describe("spikes"), "no spikes observed, none expected");
        assert!(allclose(&[], &[], 0.0));
    }

    #[test]
    fn allclose_is_relative_to_expected_with_atol() {
        assert!(is_close(110.0, 100.0, 0.1));
        assert!(!is_close(100.0, 110.0, 0.05));
        assert!(is_close(1e-9, 0.0, 0.0));
        assert!(!is_close(2e-8, 0.0, 1e6));
        assert!(is_close(f64::INFINITY, f64::INFINITY, 0.0));
        assert!(!is_close(f64::NAN, f64::NAN, 1.0));
        assert!(!allclose(&[1.0], &[1.0, 2.0], 1.0));
    }

    #[test]
    fn expected_zero_needs_atol_and_hint_never_divides_by_zero() {
        let c = compare(&Value::Scalar(5e-9), &Value::Scalar(0.0), 0.0);
        assert!(c.passed);
        assert_eq!(c.min_passing_tolerance, Some(0.0));
        // OMV bug 3: the hint divided by zero.
        let c = compare(&list(&[1.0, 1e-3]), &list(&[1.0, 0.0]), 0.5);
        assert!(!c.passed);
        assert_eq!(c.min_passing_tolerance, None);
        let text = c.describe("values");
        assert!(text.contains("no tolerance would pass"), "{text}");
        assert!(text.contains("#1"), "{text}");
    }

    #[test]
    fn min_passing_tolerance_values() {
        assert_eq!(min_passing_tolerance(&[1.0], &[1.0]), Some(0.0));
        let t = min_passing_tolerance(&[110.0, 100.0], &[100.0, 100.0]).unwrap();
        assert!((t - (10.0 - ATOL) / 100.0).abs() < 1e-15);
        assert!(allclose(&[110.0, 100.0], &[100.0, 100.0], t));
        // Within atol needs no rtol.
        assert_eq!(min_passing_tolerance(&[1.0 + 5e-9], &[1.0]), Some(0.0));
        assert_eq!(min_passing_tolerance(&[1.0], &[1.0, 2.0]), None);
        assert_eq!(min_passing_tolerance(&[f64::NAN], &[1.0]), None);
        assert_eq!(min_passing_tolerance(&[], &[]), Some(0.0));
    }

    #[test]
    fn equal_length_lists_report_worst_element() {
        let c = compare(
            &list(&[41.0, 82.6, 124.19]),
            &list(&[41.0, 82.595, 124.19]),
            1e-4,
        );
        assert!(c.passed);
        let text = c.describe("spikes");
        assert!(text.starts_with("3 spikes within rtol 0.0001"), "{text}");
        assert!(text.contains("#1"), "{text}");
        let c = compare(
            &list(&[41.0, 82.7, 124.19]),
            &list(&[41.0, 82.595, 124.19]),
            1e-4,
        );
        assert!(!c.passed);
        let Detail::Elements { failing, worst, .. } = &c.detail else {
            panic!("{:?}", c.detail)
        };
        assert_eq!(*failing, 1);
        let w = worst.as_ref().unwrap();
        assert_eq!(w.position, Position::Index(1));
        assert_eq!(w.observed, 82.7);
        assert!((w.abs_diff - 0.105).abs() < 1e-9);
        let text = c.describe("spikes");
        assert!(
            text.starts_with("1 of 3 spikes outside rtol 0.0001"),
            "{text}"
        );
        assert!(text.contains("would pass with tolerance"), "{text}");
    }

    #[test]
    fn length_mismatch_reports_missing_and_extra() {
        // One extra spike observed.
        let c = compare(
            &list(&[10.0, 20.0, 25.0, 30.0]),
            &list(&[10.0, 20.0, 30.0]),
            0.01,
        );
        assert!(!c.passed);
        assert_eq!(c.min_passing_tolerance, None);
        let Detail::LengthMismatch {
            matched,
            missing,
            extra,
            ..
        } = &c.detail
        else {
            panic!("{:?}", c.detail)
        };
        assert_eq!(*matched, 3);
        assert!(missing.is_empty());
        assert_eq!(extra, &vec![(2, 25.0)]);
        let text = c.describe("spikes");
        assert!(text.contains("observed 4 spikes, expected 3"), "{text}");
        assert!(text.contains("1 extra: #2 25"), "{text}");

        // One spike missing, and one shifted beyond tolerance (missing + extra).
        let c = compare(&list(&[10.0, 31.0]), &list(&[10.0, 20.0, 30.0]), 0.01);
        let Detail::LengthMismatch {
            matched,
            missing,
            extra,
            ..
        } = &c.detail
        else {
            panic!("{:?}", c.detail)
        };
        assert_eq!(*matched, 1);
        assert_eq!(missing.len(), 2);
        assert_eq!(missing[0].index, 1);
        assert_eq!(missing[1].nearest_observed, Some(31.0));
        assert_eq!(extra, &vec![(1, 31.0)]);
        let text = c.describe("spikes");
        assert!(text.contains("2 missing: #1 20"), "{text}");
        assert!(text.contains("(nearest observed 31)"), "{text}");
    }

    #[test]
    fn long_lists_are_summarised() {
        let expected: Vec<f64> = (0..20).map(|i| i as f64).collect();
        let c = compare(&list(&[]), &Value::List(expected), 0.1);
        let text = c.describe("spikes");
        assert!(text.contains("20 missing"), "{text}");
        assert!(text.contains("and 15 more"), "{text}");
    }

    #[test]
    fn numbers_are_printed_exactly_and_compactly() {
        assert_eq!(fmt_num(0.0001191993471544449), "0.0001191993471544449");
        assert_eq!(fmt_num(4.016467506678352e-8), "4.016467506678352e-8");
        assert_eq!(fmt_num(0.0), "0");
        assert_eq!(fmt_num(-65.0), "-65");
        assert_eq!(fmt_num(f64::INFINITY), "inf");
        let c = compare(&Value::Scalar(1.0 + 1e-6), &Value::Scalar(1.0), 1e-9);
        assert!(c.describe("values").contains("rtol 1e-9"));
    }

    #[test]
    fn scalars() {
        let c = compare(&Value::Scalar(20.5), &Value::Scalar(20.0), 0.1);
        assert!(c.passed);
        let text = c.describe("values");
        assert!(text.contains("observed 20.5, expected 20"), "{text}");
        assert!(text.ends_with("within rtol 0.1"), "{text}");
        let c = compare(&Value::Scalar(25.0), &Value::Scalar(20.0), 0.1);
        assert!(!c.passed);
        assert!(c
            .describe("values")
            .contains("would pass with tolerance 0.2499"));
        // A one-element list compares like a scalar (numpy broadcasting).
        assert!(compare(&list(&[20.0]), &Value::Scalar(20.0), 0.0).passed);
    }

    #[test]
    fn tables() {
        let obs = Value::Table(vec![vec![0.0, -65.0], vec![0.1, -64.0]]);
        let exp = Value::Table(vec![vec![0.0, -65.0], vec![0.1, -64.5]]);
        let c = compare(&obs, &exp, 0.001);
        assert!(!c.passed);
        let Detail::Elements { worst, .. } = &c.detail else {
            panic!()
        };
        assert_eq!(
            worst.as_ref().unwrap().position,
            Position::Cell { row: 1, column: 1 }
        );
        assert!(c.describe("values").contains("row 1, column 1"));
        assert!(compare(&obs, &obs, 0.0).passed);
        // Different sizes: a shape message.
        let short = Value::Table(vec![vec![0.0, -65.0]]);
        let c = compare(&obs, &short, 0.1);
        assert!(!c.passed);
        assert_eq!(
            c.describe("values"),
            "observed 2 rows × 2 columns, expected 1 rows × 2 columns: shapes differ"
        );
        // One column compares like a list.
        let col = Value::Table(vec![vec![1.0], vec![2.0]]);
        assert!(compare(&col, &list(&[1.0, 2.0]), 0.0).passed);
    }

    fn values() -> impl Strategy<Value = Vec<f64>> {
        prop::collection::vec(
            prop_oneof![
                Just(0.0),
                (1e-3f64..1e6).prop_map(|x| x),
                (-1e6f64..-1e-3).prop_map(|x| x),
            ],
            0..20,
        )
    }

    fn pairs() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
        values().prop_flat_map(|exp| {
            let n = exp.len();
            (
                Just(exp),
                prop::collection::vec(-0.5f64..0.5, n).prop_map(|v| v),
            )
                .prop_map(|(exp, noise)| {
                    let obs = exp
                        .iter()
                        .zip(&noise)
                        .map(|(e, d)| if *e == 0.0 { d * 1e-8 } else { e * (1.0 + d) })
                        .collect();
                    (obs, exp)
                })
        })
    }

    proptest! {
        #[test]
        fn identical_inputs_pass_with_zero_tolerance(xs in values()) {
            let c = compare(&Value::List(xs.clone()), &Value::List(xs), 0.0);
            prop_assert!(c.passed);
            prop_assert_eq!(c.min_passing_tolerance, Some(0.0));
        }

        #[test]
        fn passing_is_monotone_in_tolerance(
            (obs, exp) in pairs(), a in 0.0f64..1.0, b in 0.0f64..1.0
        ) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            if allclose(&obs, &exp, lo) {
                prop_assert!(allclose(&obs, &exp, hi));
            }
        }

        #[test]
        fn min_passing_tolerance_is_tight((obs, exp) in pairs()) {
            if let Some(t) = min_passing_tolerance(&obs, &exp) {
                prop_assert!(allclose(&obs, &exp, t));
                let c = compare(&Value::List(obs.clone()), &Value::List(exp.clone()), t);
                prop_assert!(c.passed);
                if t > 1e-12 {
                    prop_assert!(!allclose(&obs, &exp, t * 0.9));
                }
            }
        }

        #[test]
        fn describe_never_panics(obs in values(), exp in values(), rtol in 0.0f64..1.0) {
            let c = compare(&Value::List(obs), &Value::List(exp), rtol);
            prop_assert!(!c.describe("spikes").is_empty());
        }
    }
}
