//! Two versions of one simulator: did anything in an output change?
//!
//! `crosscheck diff` runs the same tests on two versions of a simulator (say NEURON 8.2.7 as
//! run A, the baseline, and 9.0.2 as run B) and compares every output column each run wrote.
//! The question is not "do two different simulators agree", which [`super::traces`] and
//! [`super::spikes`] answer with tolerances a modeller picks, but "did the upgrade change the
//! numbers", so the default is strict, and the rules are chosen so that rounding noise is not
//! reported as a change while a real change (including NaN, a new infinity, a shorter run or a
//! lost spike) cannot hide behind them:
//!
//! - **The tolerance is scaled by the column, not by each sample.** numpy's `allclose` allows
//!   `atol + rtol·|expected|` per sample, which is zero wherever a value crosses zero (a
//!   membrane current, a voltage in a file relative to rest) and so flags rounding noise there,
//!   while the right `atol` depends on the unit, and output files mix units (volts in one file,
//!   mV in another). Here two samples differ when `|a − b| > atol + rtol · scale`, with `scale`
//!   the largest finite |value| of run A's column: one allowance per column, in the column's own
//!   unit, so `rtol = 1e-4` means "one part in 10⁴ of the column's magnitude" whether it is in V or
//!   mV. If A's column has no non-zero finite value, B's gives the scale (a column that stays 0
//!   in A but not in B is then judged relative to B, not to nothing). Infinities do not enter
//!   the scale: one `inf` would otherwise allow every difference.
//! - **Non-finite values are compared, not propagated.** NaN against NaN is equal (both
//!   versions produced the same broken sample, which is no change), NaN against a number
//!   differs, and ±∞ equals only the same infinity. So [`ColumnDiff::max_abs`] is taken over
//!   the pairs whose difference is a number (∞ against a finite value counts as ∞), and a NaN
//!   against a number shows up as the [`Parting`], never as a NaN maximum.
//! - **Time axes.** Two runs of the same test normally record at the same times; then samples
//!   are compared one by one (times equal to within `1e-9` relative, the noise of accumulating
//!   `t += dt`). When the axes differ (a new default `dt`, a variable-step solver), B is
//!   interpolated linearly onto A's times inside the span both cover, and a note says so. A
//!   different span (one run stopped early) is itself a change of shape and exceeds; a
//!   different sampling over the same span is not, only the values count. At a time recorded
//!   twice in B (a step, e.g. an event), A's sample is compared with the nearest of B's values
//!   at that time, since either side of the step is B's value there.
//! - **Spikes** are compared as sorted trains (NaN dropped), paired in order: a changed spike
//!   count always exceeds, and a paired spike differs when its shift exceeds the same rule with
//!   `scale` the largest finite |spike time| of both trains (so `rtol = 1e-4` of a 1000 ms run
//!   allows 0.1 ms, the same at every spike).
//!
//! Everything is a pure function on slices: no I/O, and nothing panics on NaN, infinities,
//! unsorted times or slices of mismatched lengths (a value column longer than its time column
//! is a caller bug, handled by using the common length).

use serde::Serialize;

use super::omv::fmt_num;
use super::spikes::sorted;

/// Two times are the same instant when they differ by at most this, relative to the larger of
/// 1 and |t| (accumulated `t += dt` differs from `k·dt` in the last bits).
const TIME_EPS: f64 = 1e-9;

/// The tolerance of a version comparison: samples `a` and `b` differ when
/// `|a − b| > atol + rtol · scale` (see the [module docs](self) for `scale`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Tolerance {
    /// Relative tolerance, as a fraction of the column's scale.
    pub rtol: f64,
    /// Absolute tolerance, in the column's unit.
    pub atol: f64,
}

impl Tolerance {
    /// One part in 10⁴ of the column's scale, no absolute part: far above the rounding noise of
    /// a double-precision simulation, far below any change a modeller would accept silently.
    pub const DEFAULT: Tolerance = Tolerance {
        rtol: 1e-4,
        atol: 0.0,
    };

    /// The largest |a − b| allowed for a column of the given scale, `atol + rtol · scale`.
    ///
    /// Never negative nor NaN: a nonsensical tolerance (negative, NaN, or `0 · ∞`) allows
    /// nothing, so it compares exactly rather than letting everything pass.
    pub fn allowed(&self, scale: f64) -> f64 {
        (self.atol + self.rtol * scale).max(0.0)
    }
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance::DEFAULT
    }
}

/// Where two traces part first: the first sample beyond the tolerance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Parting {
    /// 0-based index of the sample in run A's column.
    pub index: usize,
    /// Its time (run A's time axis).
    pub time: f64,
    /// Run A's value.
    pub a: f64,
    /// Run B's value at that time (linearly interpolated when the time axes differ).
    pub b: f64,
}

/// How one output column of run B differs from the same column of run A (the baseline).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnDiff {
    /// Number of samples compared: A's samples inside the span both runs cover.
    pub samples: usize,
    /// Number of compared samples beyond the tolerance.
    pub beyond: usize,
    /// Largest |a − b| over the compared samples whose difference is a number (∞ when a finite
    /// value meets an infinity; pairs with a NaN are judged by [`ColumnDiff::first_parting`]
    /// and do not enter). 0 when nothing was compared, so 0 means "identical" only together
    /// with `!exceeds`.
    pub max_abs: f64,
    /// Time of the first sample with the largest |a − b|; NaN when nothing entered
    /// [`ColumnDiff::max_abs`].
    pub max_abs_time: f64,
    /// `max_abs / scale`: the difference as a fraction of the column, comparable to `rtol`.
    /// 0 when `max_abs` is 0 (also for a zero scale), ∞ for a difference on a zero scale.
    pub max_rel: f64,
    /// The scale of the tolerance: the largest finite |value| of run A's column, or of B's when
    /// A's is 0 (all zero, empty, or non-finite).
    pub scale: f64,
    /// The first sample beyond the tolerance, `None` when all are within it.
    pub first_parting: Option<Parting>,
    /// The column changed: a sample is beyond the tolerance, the runs cover different time
    /// spans, or exactly one of them is empty.
    pub exceeds: bool,
    /// How the comparison was made when not sample by sample, or why the shapes differ, e.g.
    /// "run B has 4001 samples, run A 8001: compared on A's time axis by linear interpolation
    /// of B over the common span 0–100"; `None` for a plain sample-by-sample comparison.
    pub note: Option<String>,
}

/// Two times are the same instant (see [`TIME_EPS`]); NaN matches NaN, so that identical
/// broken axes still compare sample by sample.
fn same_time(ta: f64, tb: f64) -> bool {
    ta == tb || (ta - tb).abs() <= TIME_EPS * ta.abs().max(1.0) || (ta.is_nan() && tb.is_nan())
}

/// Largest finite |x|, 0 for none.
fn finite_scale(v: &[f64]) -> f64 {
    v.iter()
        .filter(|x| x.is_finite())
        .fold(0.0_f64, |m, x| m.max(x.abs()))
}

/// The sample rule: NaN equals NaN, infinities equal only themselves, finite values differ
/// beyond `allowed`.
fn differs(a: f64, b: f64, allowed: f64) -> bool {
    if a.is_finite() && b.is_finite() {
        (a - b).abs() > allowed
    } else {
        !(a == b || (a.is_nan() && b.is_nan()))
    }
}

/// |a − b| when it is a number and the samples are not equal by the sample rule, else `None`
/// (equal samples contribute 0; NaN against a number has no magnitude).
fn magnitude(a: f64, b: f64) -> Option<f64> {
    if a == b || (a.is_nan() && b.is_nan()) {
        Some(0.0)
    } else {
        Some((a - b).abs()).filter(|d| !d.is_nan())
    }
}

/// How far apart two samples are for choosing among candidates: 0 when equal by the sample
/// rule, ∞ for NaN against a number.
fn gap(a: f64, b: f64) -> f64 {
    magnitude(a, b).unwrap_or(f64::INFINITY)
}

/// The value of B at time `t` inside B's span, nearest to `a` among B's values when `t` is
/// recorded more than once in B (a step). `t_b` is assumed sorted; otherwise the answer is
/// arbitrary (possibly NaN) but nothing panics.
fn b_at(t_b: &[f64], v_b: &[f64], t: f64, a: f64) -> f64 {
    let n = t_b.len().min(v_b.len());
    let (t_b, v_b) = (&t_b[..n], &v_b[..n]);
    let lo = t_b.partition_point(|&x| x < t);
    let hi = t_b.partition_point(|&x| x <= t);
    if lo < hi {
        // Recorded at exactly `t`, perhaps several times: the nearest of those values.
        return v_b[lo..hi]
            .iter()
            .copied()
            .min_by(|&x, &y| gap(a, x).total_cmp(&gap(a, y)))
            .unwrap_or(f64::NAN);
    }
    // Strictly between two samples (when sorted): t_b[lo − 1] < t < t_b[lo].
    let k = lo.min(hi);
    if k == 0 || k >= n {
        return f64::NAN;
    }
    let (t0, t1, v0, v1) = (t_b[k - 1], t_b[k], v_b[k - 1], v_b[k]);
    let frac = (t - t0) / (t1 - t0);
    if v0 == v1 {
        // A flat stretch (also of infinities, where v1 − v0 would be NaN).
        v0
    } else {
        v0 + frac * (v1 - v0)
    }
}

/// Accumulates the per-sample verdicts into a [`ColumnDiff`].
struct Tally {
    allowed: f64,
    samples: usize,
    beyond: usize,
    max_abs: f64,
    max_abs_time: f64,
    first_parting: Option<Parting>,
}

impl Tally {
    fn new(allowed: f64) -> Self {
        Tally {
            allowed,
            samples: 0,
            beyond: 0,
            max_abs: -1.0,
            max_abs_time: f64::NAN,
            first_parting: None,
        }
    }

    fn add(&mut self, index: usize, time: f64, a: f64, b: f64) {
        self.samples += 1;
        if let Some(d) = magnitude(a, b) {
            if d > self.max_abs {
                self.max_abs = d;
                self.max_abs_time = time;
            }
        }
        if differs(a, b, self.allowed) {
            self.beyond += 1;
            self.first_parting
                .get_or_insert(Parting { index, time, a, b });
        }
    }

    fn finish(self, scale: f64, shape_differs: bool, note: Option<String>) -> ColumnDiff {
        let max_abs = self.max_abs.max(0.0);
        let max_rel = if max_abs == 0.0 { 0.0 } else { max_abs / scale };
        ColumnDiff {
            samples: self.samples,
            beyond: self.beyond,
            max_abs,
            max_abs_time: self.max_abs_time,
            max_rel,
            scale,
            exceeds: shape_differs || self.first_parting.is_some(),
            first_parting: self.first_parting,
            note,
        }
    }
}

/// "0–100", a time span for a note.
fn span_text(first: f64, last: f64) -> String {
    format!("{}–{}", fmt_time(first), fmt_time(last))
}

/// Compare one output column of run B (`time_b`, `b`) with the same column of run A (`time_a`,
/// `a`), the baseline, under `tol` (see the [module docs](self) for the rules).
///
/// When both time axes are the same (same length, every pair of times within `1e-9` relative),
/// samples are compared one by one. Otherwise B is interpolated linearly onto A's times that lie
/// in the span both runs cover (times assumed non-decreasing; A's samples outside it are not
/// compared, and B's detail between A's samples is not seen), and [`ColumnDiff::note`] says so;
/// spans that differ also make the column exceed. An empty column compares nothing and exceeds
/// only when the other one is not empty. Only the common length of a time axis and its values
/// is used.
pub fn diff_column(
    time_a: &[f64],
    a: &[f64],
    time_b: &[f64],
    b: &[f64],
    tol: Tolerance,
) -> ColumnDiff {
    let n_a = time_a.len().min(a.len());
    let n_b = time_b.len().min(b.len());
    let (time_a, a) = (&time_a[..n_a], &a[..n_a]);
    let (time_b, b) = (&time_b[..n_b], &b[..n_b]);
    let scale = match finite_scale(a) {
        s if s > 0.0 => s,
        _ => finite_scale(b),
    };
    let mut tally = Tally::new(tol.allowed(scale));

    if n_a == n_b && time_a.iter().zip(time_b).all(|(&x, &y)| same_time(x, y)) {
        for (i, ((&t, &x), &y)) in time_a.iter().zip(a).zip(b).enumerate() {
            tally.add(i, t, x, y);
        }
        return tally.finish(scale, false, None);
    }

    let (Some(&a_first), Some(&a_last), Some(&b_first), Some(&b_last)) =
        (time_a.first(), time_a.last(), time_b.first(), time_b.last())
    else {
        let empty = if n_a == 0 { "A" } else { "B" };
        let note = format!("run {empty} wrote no samples");
        return tally.finish(scale, true, Some(note));
    };
    let spans_differ = !(same_time(a_first, b_first) && same_time(a_last, b_last));
    let lo = a_first.max(b_first);
    let hi = a_last.min(b_last);
    let counts = if n_a == n_b {
        format!("runs A and B both have {n_a} samples, on different time axes")
    } else {
        format!("run B has {n_b} samples, run A {n_a}")
    };
    // False also for a NaN end: nothing to compare, which is a change of shape in itself.
    let overlap = lo <= hi;
    let note = if overlap {
        let spans = if spans_differ {
            format!(
                "run A spans {}, run B {} ({counts})",
                span_text(a_first, a_last),
                span_text(b_first, b_last)
            )
        } else {
            counts
        };
        format!(
            "{spans}: compared on A's time axis by linear interpolation of B over the common \
             span {}",
            span_text(lo, hi)
        )
    } else {
        format!(
            "run A spans {}, run B {}: no common span to compare",
            span_text(a_first, a_last),
            span_text(b_first, b_last)
        )
    };
    if overlap {
        for (i, (&t, &x)) in time_a.iter().zip(a).enumerate() {
            if let Some(t_b) = snap_into(t, lo, hi) {
                tally.add(i, t, x, b_at(time_b, b, t_b, x));
            }
        }
    }
    tally.finish(scale, spans_differ || !overlap, Some(note))
}

/// `Some(t)` inside `[lo, hi]`, the nearer end when `t` is the same instant as it up to
/// rounding (so that a last time of A that is B's up to the last bits is still compared, with
/// B's last value), `None` otherwise (also for NaN).
fn snap_into(t: f64, lo: f64, hi: f64) -> Option<f64> {
    if t >= lo && t <= hi {
        Some(t)
    } else if t.is_nan() {
        None
    } else if same_time(t, lo) {
        Some(lo)
    } else if same_time(t, hi) {
        Some(hi)
    } else {
        None
    }
}

/// B − A on A's time axis, for plotting the difference [`diff_column`] measures: the finite
/// points only, and whether B had to be interpolated (the axes differ). B is taken at A's times
/// exactly as [`diff_column`] takes it (sample by sample on the same axis; else linearly
/// interpolated inside the common span, the value nearer A's at a time B recorded twice); A's
/// times outside B's span have no difference.
pub fn difference_series(
    time_a: &[f64],
    a: &[f64],
    time_b: &[f64],
    b: &[f64],
) -> (Vec<(f64, f64)>, bool) {
    let n_a = time_a.len().min(a.len());
    let n_b = time_b.len().min(b.len());
    let (time_a, a, time_b, b) = (&time_a[..n_a], &a[..n_a], &time_b[..n_b], &b[..n_b]);
    let finite = |p: &(f64, f64)| p.0.is_finite() && p.1.is_finite();
    if n_a == n_b && time_a.iter().zip(time_b).all(|(&x, &y)| same_time(x, y)) {
        let delta = time_a
            .iter()
            .zip(a.iter().zip(b))
            .map(|(&t, (&x, &y))| (t, y - x))
            .filter(finite)
            .collect();
        return (delta, false);
    }
    let (Some(&b_first), Some(&b_last)) = (time_b.first(), time_b.last()) else {
        return (Vec::new(), true);
    };
    let delta = time_a
        .iter()
        .zip(a)
        .filter_map(|(&t, &x)| {
            let t_b = snap_into(t, b_first, b_last)?;
            Some((t, b_at(time_b, b, t_b, x) - x))
        })
        .filter(finite)
        .collect();
    (delta, true)
}

/// Where two spike trains differ first.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SpikeParting {
    /// 0-based position in the sorted trains.
    pub index: usize,
    /// Run A's spike time there; `None` when A has fewer spikes.
    pub a: Option<f64>,
    /// Run B's spike time there; `None` when B has fewer spikes.
    pub b: Option<f64>,
}

/// How run B's spike train differs from run A's (the baseline).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpikeDiff {
    /// Spikes in run A (NaN dropped).
    pub count_a: usize,
    /// Spikes in run B (NaN dropped).
    pub count_b: usize,
    /// Largest |ta − tb| over the spikes paired in order (after sorting); ∞ when a finite time
    /// meets an infinite one, 0 when nothing was paired.
    pub max_shift: f64,
    /// The first paired spike beyond the tolerance, or else the first unpaired spike.
    pub first_difference: Option<SpikeParting>,
    /// The trains differ: the counts differ or a paired spike is beyond the tolerance.
    pub exceeds: bool,
}

/// Compare run B's spike train with run A's under `tol` (see the [module docs](self)).
///
/// Both trains are sorted with NaN dropped ([`sorted`]) and paired in order; a pair differs
/// when `|ta − tb| > atol + rtol · scale` with `scale` the largest finite |spike time| of both
/// trains, and any difference in count exceeds. A missing spike early in a train shifts every
/// later pair, so the reported first difference is where the trains part, not a matching.
pub fn diff_spikes(a: &[f64], b: &[f64], tol: Tolerance) -> SpikeDiff {
    let (a, b) = (sorted(a), sorted(b));
    let allowed = tol.allowed(finite_scale(&a).max(finite_scale(&b)));
    let mut max_shift = 0.0_f64;
    let mut first_difference = None;
    for (index, (&x, &y)) in a.iter().zip(&b).enumerate() {
        if let Some(d) = magnitude(x, y) {
            max_shift = max_shift.max(d);
        }
        if first_difference.is_none() && differs(x, y, allowed) {
            first_difference = Some(SpikeParting {
                index,
                a: Some(x),
                b: Some(y),
            });
        }
    }
    if first_difference.is_none() && a.len() != b.len() {
        let index = a.len().min(b.len());
        first_difference = Some(SpikeParting {
            index,
            a: a.get(index).copied(),
            b: b.get(index).copied(),
        });
    }
    SpikeDiff {
        count_a: a.len(),
        count_b: b.len(),
        max_shift,
        exceeds: first_difference.is_some(),
        first_difference,
    }
}

// ---------------------------------------------------------------------------------------------
// One-line summaries
// ---------------------------------------------------------------------------------------------

/// `x` rounded to `digits` significant digits (non-finite and zero unchanged).
fn round_sig(x: f64, digits: usize) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    format!("{:.*e}", digits.clamp(1, 17) - 1, x)
        .parse()
        .unwrap_or(x)
}

/// A magnitude in two significant digits: "3.2e-5", "0.00032", "1.8".
fn fmt_mag(x: f64) -> String {
    fmt_num(round_sig(x, 2))
}

/// A time in nine significant digits, enough for any grid time of a long run while hiding the
/// rounding of accumulated steps ("12.475", not "12.475000000000001").
fn fmt_time(t: f64) -> String {
    fmt_num(round_sig(t, 9))
}

/// Two different numbers, each with enough significant digits (at least `min_digits`) to show
/// their difference (to one or two digits), and never printed alike.
fn fmt_pair(a: f64, b: f64, min_digits: usize) -> (String, String) {
    let order = |x: f64| {
        if x.is_finite() && x != 0.0 {
            x.abs().log10().floor() as i64
        } else {
            0
        }
    };
    let big = order(a.abs().max(b.abs()));
    let diff = (a - b).abs();
    let wanted = if diff.is_finite() && diff > 0.0 {
        (big - order(diff) + 1).clamp(1, 17) as usize
    } else {
        0
    };
    let mut digits = wanted.max(min_digits).min(17);
    while digits < 17 && round_sig(a, digits).to_bits() == round_sig(b, digits).to_bits() {
        digits += 1;
    }
    (fmt_num(round_sig(a, digits)), fmt_num(round_sig(b, digits)))
}

/// One line for the terminal, e.g. `v: max |Δ| 3.2e-5 at t=12.5 (rel 0.00032), first parts at
/// t=12.475: -0.0641 vs -0.0648` or `v: identical within tolerance (max |Δ| 1.1e-12)`, followed
/// by the [`ColumnDiff::note`] when there is one.
pub fn describe_column(name: &str, d: &ColumnDiff) -> String {
    let mut text = format!("{name}: ");
    if d.samples == 0 {
        text.push_str(match (d.exceeds, &d.note) {
            (true, Some(note)) => note,
            (true, None) => "no samples compared",
            (false, _) => "no samples in either run",
        });
        return text;
    }
    let max = if d.max_abs_time.is_nan() {
        format!("max |Δ| {}", fmt_mag(d.max_abs))
    } else {
        format!(
            "max |Δ| {} at t={} (rel {})",
            fmt_mag(d.max_abs),
            fmt_time(d.max_abs_time),
            fmt_mag(d.max_rel)
        )
    };
    match &d.first_parting {
        Some(p) => {
            let (a, b) = fmt_pair(p.a, p.b, 3);
            text.push_str(&format!(
                "{max}, first parts at t={}: {a} vs {b}; {} of {} samples beyond tolerance",
                fmt_time(p.time),
                d.beyond,
                d.samples
            ));
        }
        None if d.exceeds => text.push_str(&max),
        None if d.max_abs == 0.0 => {
            text.push_str(&format!("identical ({} samples)", d.samples));
        }
        None => text.push_str(&format!(
            "identical within tolerance (max |Δ| {})",
            fmt_mag(d.max_abs)
        )),
    }
    if let Some(note) = &d.note {
        text.push_str("; ");
        text.push_str(note);
    }
    text
}

/// One line for the terminal, e.g. `spikes: 12 vs 11, first differs #7: 45.325 vs 45.35 (max
/// shift 0.025)` or `spikes: 12 in both runs, identical`. Spike numbers are 0-based positions
/// in the sorted trains.
pub fn describe_spikes(name: &str, d: &SpikeDiff) -> String {
    let counts = if d.count_a == d.count_b {
        if d.count_a == 0 {
            return format!("{name}: no spikes in either run");
        }
        format!("{} in both runs", d.count_a)
    } else {
        format!("{} vs {}", d.count_a, d.count_b)
    };
    let shift = fmt_mag(d.max_shift);
    match &d.first_difference {
        Some(p) => {
            let (a, b) = match (p.a, p.b) {
                (Some(a), Some(b)) => fmt_pair(a, b, 9),
                (a, b) => {
                    let show = |x: Option<f64>| x.map_or("none".to_string(), fmt_time);
                    (show(a), show(b))
                }
            };
            format!(
                "{name}: {counts}, first differs #{}: {a} vs {b} (max shift {shift})",
                p.index
            )
        }
        None if d.max_shift == 0.0 => format!("{name}: {counts}, identical"),
        None => format!("{name}: {counts}, identical within tolerance (max shift {shift})"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_difference_series_interpolates_b_onto_a_s_times() {
        let t_a = [0.0, 1.0, 2.0, 3.0];
        let a = [0.0, 1.0, 2.0, 3.0];
        let t_b = [0.0, 2.0];
        let b = [1.0, 3.0];
        let (d, interpolated) = difference_series(&t_a, &a, &t_b, &b);
        assert!(interpolated);
        assert_eq!(d, [(0.0, 1.0), (1.0, 1.0), (2.0, 1.0)]);
        let (d, interpolated) = difference_series(&t_a, &a, &t_a, &[0.0, 1.0, 2.5, f64::NAN]);
        assert!(!interpolated);
        assert_eq!(d, [(0.0, 0.0), (1.0, 0.0), (2.0, 0.5)]);
        // At a step recorded twice, the side nearer A's value.
        assert_eq!(
            b_at(&[0.0, 1.0, 1.0, 2.0], &[0.0, 0.0, 5.0, 5.0], 1.0, 4.0),
            5.0
        );
    }

    use super::*;
    use proptest::prelude::*;

    fn axis(n: usize, dt: f64) -> Vec<f64> {
        (0..n).map(|k| k as f64 * dt).collect()
    }

    fn next_up(x: f64) -> f64 {
        f64::from_bits(x.to_bits() + 1) // positive x only
    }

    #[test]
    fn identical_columns() {
        let t = axis(101, 0.1);
        let v: Vec<f64> = t.iter().map(|x| (x * 0.7).sin() * 65.0).collect();
        let d = diff_column(&t, &v, &t, &v, Tolerance::DEFAULT);
        assert_eq!(d.samples, 101);
        assert_eq!((d.max_abs, d.max_rel, d.beyond), (0.0, 0.0, 0));
        assert!(d.first_parting.is_none() && !d.exceeds && d.note.is_none());
        assert_eq!(describe_column("v", &d), "v: identical (101 samples)");
    }

    #[test]
    fn one_perturbed_sample_is_found() {
        let t = axis(201, 0.025);
        let a: Vec<f64> = t.iter().map(|x| -0.065 + 0.001 * x).collect();
        let mut b = a.clone();
        b[77] -= 0.0007;
        let d = diff_column(&t, &a, &t, &b, Tolerance::DEFAULT);
        assert!(d.exceeds);
        assert_eq!(d.beyond, 1);
        let p = d.first_parting.unwrap();
        assert_eq!((p.index, p.time, p.a, p.b), (77, t[77], a[77], b[77]));
        assert!((d.max_abs - 0.0007).abs() < 1e-12);
        assert_eq!(d.max_abs_time, t[77]);
        assert_eq!(d.scale, 0.065);
        assert!((d.max_rel - 0.0007 / 0.065).abs() < 1e-12);
        assert_eq!(
            describe_column("v", &d),
            "v: max |Δ| 0.0007 at t=1.925 (rel 0.011), first parts at t=1.925: -0.0631 vs \
             -0.0638; 1 of 201 samples beyond tolerance"
        );
        // Within tolerance: reported as such, with the largest difference.
        b[77] = a[77] + 1e-12;
        let d = diff_column(&t, &a, &t, &b, Tolerance::DEFAULT);
        assert!(!d.exceeds);
        assert_eq!(
            describe_column("v", &d),
            "v: identical within tolerance (max |Δ| 1e-12)"
        );
    }

    #[test]
    fn tolerance_boundary() {
        // rtol · scale = 2⁻⁷ · 128 = 1 exactly, plus atol 0.25.
        let tol = Tolerance {
            rtol: 0.0078125,
            atol: 0.25,
        };
        assert_eq!(tol.allowed(128.0), 1.25);
        let t = [0.0, 1.0];
        let a = [128.0, 0.0];
        let at = diff_column(&t, &a, &t, &[128.0, 1.25], tol);
        assert!(!at.exceeds && at.first_parting.is_none());
        let above = diff_column(&t, &a, &t, &[128.0, next_up(1.25)], tol);
        assert!(above.exceeds);
        assert_eq!(above.first_parting.unwrap().index, 1);
        // Negative, NaN and 0·∞ tolerances allow nothing but never let everything pass.
        let bad = Tolerance {
            rtol: f64::NAN,
            atol: -1.0,
        };
        assert_eq!(bad.allowed(1.0), 0.0);
        assert!(!diff_column(&t, &a, &t, &a, bad).exceeds);
        assert!(diff_column(&t, &a, &t, &[128.0, 1e-300], bad).exceeds);
        assert_eq!(Tolerance::default(), Tolerance::DEFAULT);
    }

    #[test]
    fn scale_comes_from_run_a() {
        let t = [0.0, 1.0, 2.0];
        let tol = Tolerance {
            rtol: 0.01,
            atol: 0.0,
        };
        // A in mV: scale 70, allowed 0.7 even near zero.
        let a = [-70.0, 0.0, 30.0];
        let d = diff_column(&t, &a, &t, &[-70.0, 0.5, 30.0], tol);
        assert_eq!(d.scale, 70.0);
        assert!(!d.exceeds);
        // B's larger values do not widen the tolerance.
        let d = diff_column(&t, &a, &t, &[-700.0, 0.0, 30.0], tol);
        assert_eq!(d.scale, 70.0);
        assert!(d.exceeds);
        // A all zero: B's scale.
        let d = diff_column(&t, &[0.0; 3], &t, &[0.0, 2.0, 100.0], tol);
        assert_eq!(d.scale, 100.0);
        assert_eq!(d.first_parting.unwrap().index, 1);
        assert_eq!(d.max_rel, 1.0);
        // Infinities do not enter the scale.
        let d = diff_column(
            &t,
            &[f64::INFINITY, 1.0, 2.0],
            &t,
            &[f64::INFINITY, 1.0, 3.0],
            tol,
        );
        assert_eq!(d.scale, 2.0);
        assert_eq!(d.first_parting.unwrap().index, 2);
        // Both zero: scale 0, equal, rel 0.
        let d = diff_column(&t, &[0.0; 3], &t, &[0.0; 3], tol);
        assert_eq!((d.scale, d.max_rel, d.exceeds), (0.0, 0.0, false));
    }

    #[test]
    fn interpolation_of_a_linear_function_is_exact() {
        let f = |t: f64| 3.0 * t - 20.0;
        let t_a = axis(8001, 0.0125); // 0..100
        let a: Vec<f64> = t_a.iter().map(|&t| f(t)).collect();
        for n_b in [4001, 16001, 8000] {
            let t_b: Vec<f64> = (0..n_b)
                .map(|k| 100.0 * k as f64 / (n_b - 1) as f64)
                .collect();
            let b: Vec<f64> = t_b.iter().map(|&t| f(t)).collect();
            let d = diff_column(&t_a, &a, &t_b, &b, Tolerance::DEFAULT);
            assert_eq!(d.samples, 8001, "{n_b}");
            assert!(!d.exceeds, "{n_b}: {d:?}");
            assert!(d.max_abs < 1e-9, "{n_b}: {}", d.max_abs);
            let note = d.note.unwrap();
            assert!(note.contains("common span 0–100"), "{note}");
            if n_b == 4001 {
                assert_eq!(
                    note,
                    "run B has 4001 samples, run A 8001: compared on A's time axis by linear \
                     interpolation of B over the common span 0–100"
                );
            }
        }
        // Same length, other axis.
        let t_b: Vec<f64> = t_a.iter().map(|t| t * t / 100.0).collect();
        let b: Vec<f64> = t_b.iter().map(|&t| f(t)).collect();
        let d = diff_column(&t_a, &a, &t_b, &b, Tolerance::DEFAULT);
        assert!(!d.exceeds && d.max_abs < 1e-9, "{d:?}");
        assert!(d
            .note
            .unwrap()
            .starts_with("runs A and B both have 8001 samples"));
    }

    #[test]
    fn time_axes_equal_up_to_rounding_compare_sample_by_sample() {
        let t_a = axis(1001, 0.1);
        let mut t_b = Vec::new();
        let mut t = 0.0;
        for _ in 0..1001 {
            t_b.push(t);
            t += 0.1;
        }
        assert_ne!(t_a, t_b);
        let v = vec![1.0; 1001];
        let d = diff_column(&t_a, &v, &t_b, &v, Tolerance::DEFAULT);
        assert!(d.note.is_none() && !d.exceeds);
    }

    #[test]
    fn different_spans_exceed_with_a_note() {
        let t_a = axis(101, 1.0); // 0..100
        let t_b = axis(51, 1.0); // 0..50
        let a = vec![-65.0; 101];
        let b = vec![-65.0; 51];
        let d = diff_column(&t_a, &a, &t_b, &b, Tolerance::DEFAULT);
        assert!(d.exceeds);
        assert!(d.first_parting.is_none());
        assert_eq!(d.samples, 51);
        assert_eq!(
            d.note.as_deref(),
            Some(
                "run A spans 0–100, run B 0–50 (run B has 51 samples, run A 101): compared on \
                 A's time axis by linear interpolation of B over the common span 0–50"
            )
        );
        let text = describe_column("v", &d);
        assert!(
            text.starts_with("v: max |Δ| 0 at t=0 (rel 0); run A spans"),
            "{text}"
        );
        // No overlap at all.
        let t_c: Vec<f64> = t_a.iter().map(|t| t + 1000.0).collect();
        let d = diff_column(&t_a, &a, &t_c, &a, Tolerance::DEFAULT);
        assert!(d.exceeds && d.samples == 0);
        assert_eq!(
            describe_column("v", &d),
            "v: run A spans 0–100, run B 1000–1100: no common span to compare"
        );
    }

    #[test]
    fn empty_columns() {
        let t = [0.0, 1.0];
        let v = [1.0, 2.0];
        let d = diff_column(&[], &[], &[], &[], Tolerance::DEFAULT);
        assert!(!d.exceeds && d.samples == 0 && d.note.is_none());
        assert_eq!(describe_column("v", &d), "v: no samples in either run");
        let d = diff_column(&t, &v, &[], &[], Tolerance::DEFAULT);
        assert!(d.exceeds && d.samples == 0 && d.first_parting.is_none());
        assert_eq!(describe_column("v", &d), "v: run B wrote no samples");
        let d = diff_column(&[], &[], &t, &v, Tolerance::DEFAULT);
        assert!(d.exceeds);
        assert_eq!(d.note.as_deref(), Some("run A wrote no samples"));
    }

    #[test]
    fn mismatched_lengths_are_truncated() {
        let t = axis(4, 1.0);
        let d = diff_column(
            &t,
            &[1.0, 2.0],
            &t[..2],
            &[1.0, 2.0, 99.0],
            Tolerance::DEFAULT,
        );
        assert_eq!(d.samples, 2);
        assert!(!d.exceeds && d.note.is_none());
    }

    #[test]
    fn nan_and_infinities() {
        let t = axis(5, 1.0);
        let nan = f64::NAN;
        let inf = f64::INFINITY;
        let a = [nan, inf, -inf, 1.0, 2.0];
        let d = diff_column(&t, &a, &t, &a, Tolerance::DEFAULT);
        assert!(!d.exceeds);
        assert_eq!(d.max_abs, 0.0);
        // NaN against a number: a parting, but no NaN maximum.
        let d = diff_column(&t, &a, &t, &[1.0, inf, -inf, 1.0, 2.0], Tolerance::DEFAULT);
        let p = d.first_parting.unwrap();
        assert!(p.index == 0 && p.a.is_nan() && p.b == 1.0);
        assert_eq!(d.max_abs, 0.0);
        assert!(describe_column("v", &d).contains("first parts at t=0: NaN vs 1"));
        // Number against NaN, and infinities of the other sign or against numbers.
        let d = diff_column(&t, &a, &t, &[nan, inf, -inf, nan, 2.0], Tolerance::DEFAULT);
        assert_eq!(d.first_parting.unwrap().index, 3);
        let d = diff_column(&t, &a, &t, &[nan, -inf, -inf, 1.0, 2.0], Tolerance::DEFAULT);
        assert_eq!(d.first_parting.unwrap().index, 1);
        assert_eq!(d.max_abs, inf);
        let d = diff_column(&t, &a, &t, &[nan, inf, 5.0, 1.0, 2.0], Tolerance::DEFAULT);
        assert_eq!(d.first_parting.unwrap().index, 2);
        assert_eq!(d.beyond, 1);
        // Broken time axes that leave nothing to compare exceed.
        let d = diff_column(
            &[nan, 1.0],
            &[1.0, 2.0],
            &[nan, 2.0],
            &[1.0, 2.0],
            Tolerance::DEFAULT,
        );
        assert!(d.exceeds && d.samples == 0);
        assert!(describe_column("v", &d).contains("no common span"));
    }

    #[test]
    fn steps_at_repeated_times() {
        // B records a step at t = 1 twice; A, on another axis, is on either side of it.
        let t_b = [0.0, 1.0, 1.0, 2.0];
        let b = [0.0, 0.0, 5.0, 5.0];
        let t_a = [0.0, 0.5, 1.0, 1.0, 1.5, 2.0, 2.0];
        let a = [0.0, 0.0, 0.0, 5.0, 5.0, 5.0, 5.0];
        let d = diff_column(&t_a, &a, &t_b, &b, Tolerance::DEFAULT);
        assert!(!d.exceeds, "{d:?}");
        assert_eq!(d.samples, 7);
        // A value matching neither side of the step is found.
        let a = [0.0, 0.0, 0.0, 2.5, 5.0, 5.0, 5.0];
        let d = diff_column(&t_a, &a, &t_b, &b, Tolerance::DEFAULT);
        assert_eq!(d.first_parting.map(|p| p.index), Some(3));
        // Duplicates on a single-sample B and on unsorted axes never panic.
        let _ = diff_column(&t_a, &a, &[1.0], &[0.0], Tolerance::DEFAULT);
        let _ = diff_column(&t_a, &a, &[2.0, 0.0, 1.0, 1.0], &b, Tolerance::DEFAULT);
    }

    #[test]
    fn spikes_identical_and_empty() {
        let s = [10.0, 20.5, 31.25];
        let d = diff_spikes(&s, &s, Tolerance::DEFAULT);
        assert!(!d.exceeds && d.first_difference.is_none());
        assert_eq!((d.count_a, d.count_b, d.max_shift), (3, 3, 0.0));
        assert_eq!(
            describe_spikes("spikes", &d),
            "spikes: 3 in both runs, identical"
        );
        // Unsorted and NaN.
        let d = diff_spikes(&[31.25, f64::NAN, 10.0, 20.5], &s, Tolerance::DEFAULT);
        assert!(!d.exceeds && d.count_a == 3);
        let d = diff_spikes(&[], &[], Tolerance::DEFAULT);
        assert!(!d.exceeds && d.count_a == 0 && d.first_difference.is_none());
        assert_eq!(
            describe_spikes("spikes", &d),
            "spikes: no spikes in either run"
        );
        let d = diff_spikes(&[], &[5.0], Tolerance::DEFAULT);
        assert!(d.exceeds);
        assert_eq!(
            d.first_difference,
            Some(SpikeParting {
                index: 0,
                a: None,
                b: Some(5.0)
            })
        );
        assert_eq!(
            describe_spikes("spikes", &d),
            "spikes: 0 vs 1, first differs #0: none vs 5 (max shift 0)"
        );
    }

    #[test]
    fn spike_shifted_beyond_tolerance() {
        // Scale 1000 ms: rtol 1e-4 allows 0.1 ms.
        let a = [100.0, 200.0, 300.0, 1000.0];
        let within = [100.0, 200.1, 300.0, 1000.0];
        let d = diff_spikes(&a, &within, Tolerance::DEFAULT);
        assert!(!d.exceeds, "{d:?}");
        assert!((d.max_shift - 0.1).abs() < 1e-9);
        assert_eq!(
            describe_spikes("spikes", &d),
            "spikes: 4 in both runs, identical within tolerance (max shift 0.1)"
        );
        let beyond = [100.0, 200.0, 300.25, 1000.0];
        let d = diff_spikes(&a, &beyond, Tolerance::DEFAULT);
        assert!(d.exceeds);
        assert_eq!(
            d.first_difference,
            Some(SpikeParting {
                index: 2,
                a: Some(300.0),
                b: Some(300.25)
            })
        );
        assert_eq!(d.max_shift, 0.25);
        assert_eq!(
            describe_spikes("spikes", &d),
            "spikes: 4 in both runs, first differs #2: 300 vs 300.25 (max shift 0.25)"
        );
    }

    #[test]
    fn missing_spike() {
        let a = [10.0, 20.0, 30.0];
        let d = diff_spikes(&a, &a[..2], Tolerance::DEFAULT);
        assert!(d.exceeds);
        assert_eq!((d.count_a, d.count_b), (3, 2));
        assert_eq!(
            d.first_difference,
            Some(SpikeParting {
                index: 2,
                a: Some(30.0),
                b: None
            })
        );
        assert_eq!(
            describe_spikes("spikes", &d),
            "spikes: 3 vs 2, first differs #2: 30 vs none (max shift 0)"
        );
        // A missing spike in the middle parts the trains there.
        let d = diff_spikes(
            &[10.0, 20.0, 30.0, 45.325],
            &[10.0, 20.0, 45.35],
            Tolerance::DEFAULT,
        );
        let p = d.first_difference.unwrap();
        assert_eq!((p.index, p.a, p.b), (2, Some(30.0), Some(45.35)));
        // Paired spikes beyond tolerance come before the unpaired ones.
        let d = diff_spikes(&[10.0, 20.0, 30.0], &[10.0, 25.0], Tolerance::DEFAULT);
        assert_eq!(d.first_difference.unwrap().index, 1);
    }

    #[test]
    fn pair_formatting() {
        assert_eq!(
            fmt_pair(45.325, 45.35, 9),
            ("45.325".into(), "45.35".into())
        );
        assert_eq!(
            fmt_pair(-0.06412345, -0.06481234, 3),
            ("-0.0641".into(), "-0.0648".into())
        );
        assert_eq!(fmt_pair(1.0, 1.0 + 1e-15, 3).0, "1");
        assert_ne!(fmt_pair(1.0, 1.0 + 1e-15, 3).1, "1");
        assert_eq!(fmt_pair(f64::NAN, 2.0, 3), ("NaN".into(), "2".into()));
        assert_eq!(fmt_time(12.475000000000001), "12.475");
        assert_eq!(fmt_mag(3.2345e-5), "3.2e-5");
    }

    fn finite() -> impl Strategy<Value = f64> {
        prop_oneof![Just(0.0), -1e6f64..1e6, -1e-3f64..1e-3]
    }

    fn any_f64() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<f64>(),
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(0.0),
            -10.0f64..10.0,
        ]
    }

    fn tolerance() -> impl Strategy<Value = Tolerance> {
        (0.0f64..0.1, prop_oneof![Just(0.0), 0.0f64..1.0])
            .prop_map(|(rtol, atol)| Tolerance { rtol, atol })
    }

    proptest! {
        #[test]
        fn a_column_never_differs_from_itself(
            x in prop::collection::vec(finite(), 0..50),
            tol in tolerance(),
        ) {
            let t = axis(x.len(), 0.025);
            let d = diff_column(&t, &x, &t, &x, tol);
            prop_assert!(!d.exceeds);
            prop_assert_eq!(d.max_abs, 0.0);
            prop_assert_eq!(d.samples, x.len());
        }

        #[test]
        fn a_perturbation_beyond_tolerance_is_found(
            (x, i) in prop::collection::vec(finite(), 1..50)
                .prop_flat_map(|x| { let n = x.len(); (Just(x), 0..n) }),
            tol in tolerance(),
            negative in any::<bool>(),
            in_a in any::<bool>(),
            extra in 1e-3f64..10.0,
        ) {
            // |d| > atol + rtol·(S + |d|) ≥ the allowance on either column's scale.
            let s = finite_scale(&x);
            let m = 2.0 * (tol.atol + tol.rtol * s) / (1.0 - tol.rtol) + extra;
            let d = if negative { -m } else { m };
            let mut y = x.clone();
            y[i] += d;
            let (a, b) = if in_a { (&y, &x) } else { (&x, &y) };
            let t = axis(x.len(), 0.1);
            let r = diff_column(&t, a, &t, b, tol);
            prop_assert!((a[i] - b[i]).abs() > tol.allowed(r.scale));
            prop_assert!(r.exceeds);
            let p = r.first_parting.unwrap();
            prop_assert!(p.index <= i);
            prop_assert_eq!(p.time, t[p.index]);
            prop_assert!(r.max_abs >= (a[i] - b[i]).abs());
        }

        #[test]
        fn a_spike_train_never_differs_from_itself(
            s in prop::collection::vec(any_f64(), 0..30),
            tol in tolerance(),
        ) {
            let d = diff_spikes(&s, &s, tol);
            prop_assert!(!d.exceeds);
            prop_assert!(d.first_difference.is_none());
            prop_assert_eq!(d.count_a, d.count_b);
        }

        #[test]
        fn nothing_panics(
            ta in prop::collection::vec(any_f64(), 0..20),
            a in prop::collection::vec(any_f64(), 0..20),
            tb in prop::collection::vec(any_f64(), 0..20),
            b in prop::collection::vec(any_f64(), 0..20),
            rtol in any_f64(),
            atol in any_f64(),
        ) {
            let tol = Tolerance { rtol, atol };
            let d = diff_column(&ta, &a, &tb, &b, tol);
            prop_assert!(d.samples <= ta.len().min(a.len()));
            prop_assert!(d.first_parting.is_none() || d.exceeds);
            prop_assert!(!describe_column("v", &d).is_empty());
            let mut sorted_a = ta.clone();
            sorted_a.sort_by(f64::total_cmp);
            let d = diff_column(&sorted_a, &a, &tb, &b, tol);
            prop_assert!(!describe_column("v", &d).is_empty());
            let s = diff_spikes(&a, &b, tol);
            prop_assert_eq!(s.exceeds, s.first_difference.is_some());
            prop_assert!(!describe_spikes("spikes", &s).is_empty());
        }
    }
}
