//! Spike trains: one-to-one matching within an absolute time window, and the van Rossum and
//! Victor–Purpura distances.
//!
//! Times are in ms. OMV compares spike times with a *relative* tolerance, which is lenient late
//! in a simulation and strict near `t = 0`; here a reference spike is matched to an observed
//! spike when the two are at most `window` ms apart, the same everywhere in the run, which is
//! what "the simulators agree to within 0.5 ms" means to a modeller.
//!
//! The matching and the distances want trains sorted ascending without NaN; [`sorted`] makes
//! one from anything. Unsorted input or NaN never panics: the distances sort a copy when they
//! have to, and [`match_spikes`] treats NaN as unmatched (it cannot sort, since its indices
//! refer to the caller's slices).

use std::borrow::Cow;
use std::fmt::Write as _;

use super::{fmt_short, fmt_signed};

/// How many missing/extra spikes a message lists before summarising the rest.
const LIST_LIMIT: usize = 5;

/// A copy of `v` sorted ascending with NaN dropped, ready for [`match_spikes`] and the
/// distances. Sorting uses `total_cmp`, so `-0.0` sorts before `0.0` and infinities are kept.
pub fn sorted(v: &[f64]) -> Vec<f64> {
    let mut out: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
    out.sort_unstable_by(f64::total_cmp);
    out
}

/// `v` itself when it is already sorted without NaN (the common case, checked in O(n)),
/// otherwise [`sorted`]`(v)`.
pub(crate) fn as_sorted(v: &[f64]) -> Cow<'_, [f64]> {
    let clean = v.first().is_none_or(|x| !x.is_nan())
        && v.windows(2).all(|w| !w[1].is_nan() && w[0] <= w[1]);
    if clean {
        Cow::Borrowed(v)
    } else {
        Cow::Owned(sorted(v))
    }
}

/// The outcome of [`match_spikes`].
#[derive(Debug, Clone, PartialEq)]
pub struct SpikeMatch {
    /// Matched pairs `(observed index, reference index, observed − reference in ms)`, in time
    /// order. Indices refer to the slices given to [`match_spikes`].
    pub matched: Vec<(usize, usize, f64)>,
    /// Reference spikes with no observed spike within the window (reference indices).
    pub missing: Vec<usize>,
    /// Observed spikes matched to no reference spike (observed indices).
    pub extra: Vec<usize>,
    /// Largest |shift| over the matched pairs; 0 when nothing matched.
    pub max_abs_shift: f64,
    /// Mean |shift| over the matched pairs; 0 when nothing matched.
    pub mean_abs_shift: f64,
}

/// Match each reference spike to at most one observed spike with `|observed − reference| <=
/// window` (ms), each observed spike used at most once.
///
/// Both trains must be sorted ascending (use [`sorted`]); NaN entries are left unmatched, and
/// unsorted input gives a valid but possibly non-optimal matching.
///
/// The sweep is linear (O(n + m)) and yields a matching of **maximum size**: an optimal 1-D
/// matching with a common window can always be uncrossed, so it suffices to decide, in time
/// order, for the earliest reference spike `r` and the earliest unused observed spike `o`
/// within its window, and matching them never costs a match (exchange argument). Among the
/// observed spikes in `r`'s window it **prefers the nearest** whenever that cannot cost a
/// match, i.e. when the skipped earlier ones are out of reach of the next reference spike
/// anyway; so a train shifted by less than half the spike spacing matches pairwise, while a
/// crowded stretch still gets as many matches as possible. Ties go to the earlier spike.
///
/// A window that is negative or NaN matches nothing.
pub fn match_spikes(observed: &[f64], reference: &[f64], window: f64) -> SpikeMatch {
    let (n, m) = (reference.len(), observed.len());
    let mut matched = Vec::with_capacity(n.min(m));
    let mut missing = Vec::new();
    let mut extra = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        let r = reference[i];
        let o = observed[j];
        if r.is_nan() {
            missing.push(i);
            i += 1;
        } else if o.is_nan() {
            extra.push(j);
            j += 1;
        } else if (o - r).abs() <= window {
            // Observed spikes before `reach` cannot match any later reference spike, so
            // skipping them for a nearer one loses nothing.
            let reach = reference
                .get(i + 1)
                .map_or(f64::INFINITY, |&next| next - window);
            let mut best = j;
            let mut best_d = (o - r).abs();
            let mut l = j + 1;
            while l < m {
                let x = observed[l];
                let d = (x - r).abs();
                // `!(d <= window)` also stops on NaN.
                if !(x < reach && d <= window) {
                    break;
                }
                if d < best_d {
                    best = l;
                    best_d = d;
                }
                l += 1;
            }
            extra.extend(j..best);
            matched.push((best, i, observed[best] - r));
            j = best + 1;
            i += 1;
        } else if o < r {
            // Too early for this reference spike, hence for every later one.
            extra.push(j);
            j += 1;
        } else {
            // Too late (or infinite / window NaN): no later observed spike can be nearer.
            missing.push(i);
            i += 1;
        }
    }
    missing.extend(i..n);
    extra.extend(j..m);
    let (mut max_abs_shift, mut sum) = (0.0_f64, 0.0);
    for &(_, _, s) in &matched {
        max_abs_shift = max_abs_shift.max(s.abs());
        sum += s.abs();
    }
    let mean_abs_shift = if matched.is_empty() {
        0.0
    } else {
        sum / matched.len() as f64
    };
    SpikeMatch {
        matched,
        missing,
        extra,
        max_abs_shift,
        mean_abs_shift,
    }
}

/// The element of sorted `v` nearest to `x` (NaN-free `v` assumed; never panics).
fn nearest(v: &[f64], x: f64) -> Option<f64> {
    let k = v.partition_point(|&y| y < x);
    let before = k.checked_sub(1).and_then(|k| v.get(k)).copied();
    let after = v.get(k).copied();
    match (before, after) {
        (Some(b), Some(a)) => Some(if (x - b).abs() <= (a - x).abs() { b } else { a }),
        (b, a) => b.or(a),
    }
}

fn list_text(items: &[usize], show: impl Fn(usize) -> String) -> String {
    if items.is_empty() {
        return "none".to_string();
    }
    let mut text = items
        .iter()
        .take(LIST_LIMIT)
        .map(|&k| show(k))
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > LIST_LIMIT {
        let _ = write!(text, " and {} more", items.len() - LIST_LIMIT);
    }
    text
}

impl SpikeMatch {
    /// Every reference spike matched and no observed spike left over.
    pub fn passed(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty()
    }

    /// One line in numbers, e.g. "12 of 13 reference spikes matched within 0.5 ms; missing:
    /// #7 at 352.1 ms (nearest observed 353 ms, +0.9 ms); extra: none; largest shift +0.31 ms
    /// at #3". Indices are 0-based reference (missing, shift) or observed (extra) positions;
    /// pass the same slices as to [`match_spikes`].
    pub fn describe(&self, observed: &[f64], reference: &[f64], window: f64) -> String {
        let obs_sorted = as_sorted(observed);
        let ref_sorted = as_sorted(reference);
        let at = |v: &[f64], k: usize| v.get(k).copied().unwrap_or(f64::NAN);
        let missing = list_text(&self.missing, |k| {
            let r = at(reference, k);
            match nearest(&obs_sorted, r) {
                Some(o) => format!(
                    "#{k} at {} ms (nearest observed {} ms, {} ms)",
                    fmt_short(r),
                    fmt_short(o),
                    fmt_signed(o - r)
                ),
                None => format!("#{k} at {} ms (no observed spikes)", fmt_short(r)),
            }
        });
        let extra = list_text(&self.extra, |k| {
            let o = at(observed, k);
            match nearest(&ref_sorted, o) {
                Some(r) => format!(
                    "#{k} at {} ms (nearest reference {} ms, {} ms)",
                    fmt_short(o),
                    fmt_short(r),
                    fmt_signed(o - r)
                ),
                None => format!("#{k} at {} ms", fmt_short(o)),
            }
        });
        let mut text = format!(
            "{} of {} reference spikes matched within {} ms; missing: {missing}; extra: {extra}",
            self.matched.len(),
            reference.len(),
            fmt_short(window)
        );
        let largest = self
            .matched
            .iter()
            .max_by(|a, b| a.2.abs().total_cmp(&b.2.abs()));
        if let Some(&(_, r, s)) = largest {
            let _ = write!(text, "; largest shift {} ms at #{r}", fmt_signed(s));
        }
        text
    }
}

/// The van Rossum distance between two trains with an exponential kernel of time constant
/// `tau` (ms).
///
/// Each train becomes `f(t) = Σ_i H(t − t_i) e^{−(t − t_i)/τ}` and
/// `D² = (1/τ) ∫ (f − g)² dt`, van Rossum's (2001) normalisation, in which **one spike
/// against none gives `1/√2`**, `n` isolated unmatched spikes give `√(n/2)`, and a single
/// spike shifted by `Δ` gives `√(1 − e^{−|Δ|/τ})`, growing with the shift.
///
/// Computed exactly in O(n + m), not on a time grid: between consecutive events `f − g` decays
/// as `d·e^{−s/τ}`, contributing `d²(1 − e^{−2s/τ})/2` to `D²`, so the sum has non-negative
/// terms only (no cancellation between large sums; identical trains give exactly 0).
///
/// Unsorted input is sorted (a copy) and NaN dropped. `tau` must be positive (infinite is
/// allowed: then `D² = (n − m)²/2`); otherwise the result is NaN.
pub fn van_rossum(a: &[f64], b: &[f64], tau: f64) -> f64 {
    if tau.is_nan() || tau <= 0.0 {
        return f64::NAN;
    }
    let (a, b) = (as_sorted(a), as_sorted(b));
    let (a, b) = (&*a, &*b);
    let (mut i, mut j) = (0, 0);
    let mut d = 0.0_f64; // f − g just after the last event
    let mut last = f64::NEG_INFINITY;
    let mut sum = 0.0;
    while i < a.len() || j < b.len() {
        let take_a = j >= b.len() || (i < a.len() && a[i] <= b[j]);
        let t = if take_a { a[i] } else { b[j] };
        if d != 0.0 {
            let s = t - last;
            // s = 0 (coincident events) or inf − inf never contribute.
            if s > 0.0 {
                sum += d * d * (-(-2.0 * s / tau).exp_m1());
                d *= (-s / tau).exp();
            }
        }
        last = t;
        if take_a {
            d += 1.0;
            i += 1;
        } else {
            d -= 1.0;
            j += 1;
        }
    }
    sum += d * d; // the tail after the last event
    (sum / 2.0).sqrt()
}

/// The Victor–Purpura distance: the cheapest way to turn one train into the other by deleting
/// or inserting spikes (cost 1 each) and shifting them (cost `cost · |Δt|`, `cost` per ms).
///
/// So identical trains give 0, `n` spikes against none give `n`, and a spike shifted by `Δ`
/// costs `min(cost·|Δ|, 2)`. `cost = 0` counts `|n − m|`; `cost = ∞` counts the spikes that
/// do not coincide exactly. Dynamic programming in O(n·m) time and O(m) memory.
///
/// Unsorted input is sorted (a copy) and NaN dropped; a negative or NaN `cost` gives NaN.
pub fn victor_purpura(a: &[f64], b: &[f64], cost: f64) -> f64 {
    if cost.is_nan() || cost < 0.0 {
        return f64::NAN;
    }
    let (a, b) = (as_sorted(a), as_sorted(b));
    let (a, b) = (&*a, &*b);
    // row[j]: distance between the first i spikes of `a` and the first j of `b`.
    let mut row: Vec<f64> = (0..=b.len()).map(|j| j as f64).collect();
    for (i, &x) in a.iter().enumerate() {
        let mut diag = row[0];
        row[0] = (i + 1) as f64;
        for (j, &y) in b.iter().enumerate() {
            // Equal times cost nothing even with an infinite cost (∞·0 would be NaN).
            let shift = if x == y { 0.0 } else { cost * (x - y).abs() };
            let best = (row[j + 1] + 1.0).min(row[j] + 1.0).min(diag + shift);
            diag = row[j + 1];
            row[j + 1] = best;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
    }

    #[test]
    fn sorted_drops_nan_and_sorts() {
        assert_eq!(sorted(&[3.0, f64::NAN, 1.0, 2.0]), vec![1.0, 2.0, 3.0]);
        assert!(sorted(&[]).is_empty());
        assert!(matches!(as_sorted(&[1.0, 2.0]), Cow::Borrowed(_)));
        assert!(matches!(as_sorted(&[f64::NAN]), Cow::Owned(_)));
    }

    #[test]
    fn match_exact_and_shifted() {
        let r = [10.0, 20.0, 30.0];
        let m = match_spikes(&r, &r, 0.0);
        assert!(m.passed());
        assert_eq!(m.matched, vec![(0, 0, 0.0), (1, 1, 0.0), (2, 2, 0.0)]);
        assert_eq!(m.max_abs_shift, 0.0);

        let o = [10.25, 19.5, 30.0];
        let m = match_spikes(&o, &r, 0.5);
        assert!(m.passed());
        assert_eq!(m.max_abs_shift, 0.5);
        assert!(close(m.mean_abs_shift, 0.75 / 3.0));
        let m = match_spikes(&o, &r, 0.3);
        assert_eq!(m.missing, vec![1]);
        assert_eq!(m.extra, vec![1]);
    }

    #[test]
    fn match_prefers_nearest_when_safe() {
        // 9.6 and 10.0 are both within 0.5 ms of 10; the nearest wins, 9.6 is extra.
        let m = match_spikes(&[9.6, 10.0], &[10.0], 0.5);
        assert_eq!(m.matched, vec![(1, 0, 0.0)]);
        assert_eq!(m.extra, vec![0]);
        // But not when the next reference spike needs 10.0: both get matched.
        let m = match_spikes(&[9.6, 10.0], &[10.0, 10.4], 0.5);
        assert!(m.passed());
        assert_eq!(m.matched.len(), 2);
    }

    #[test]
    fn match_corner_cases() {
        let m = match_spikes(&[], &[], 1.0);
        assert!(m.passed());
        assert_eq!(m.mean_abs_shift, 0.0);
        let m = match_spikes(&[], &[1.0, 2.0], 1.0);
        assert_eq!(m.missing, vec![0, 1]);
        assert!(m.matched.is_empty());
        let m = match_spikes(&[1.0, 2.0], &[], 1.0);
        assert_eq!(m.extra, vec![0, 1]);
        // Equal times, window 0.
        let m = match_spikes(&[5.0, 5.0], &[5.0, 5.0], 0.0);
        assert!(m.passed());
        // NaN and a NaN window.
        let m = match_spikes(&[f64::NAN, 1.0], &[1.0, f64::NAN], 0.1);
        assert_eq!(m.matched, vec![(1, 0, 0.0)]);
        assert_eq!((m.missing, m.extra), (vec![1], vec![0]));
        let m = match_spikes(&[1.0], &[1.0], f64::NAN);
        assert_eq!((m.missing, m.extra), (vec![0], vec![0]));
        let m = match_spikes(&[1.0], &[1.0], -1.0);
        assert!(!m.passed());
        let m = match_spikes(&[f64::INFINITY], &[f64::INFINITY], 1.0);
        assert!(!m.passed());
        // Unsorted input never panics.
        let _ = match_spikes(&[3.0, 1.0, 2.0], &[2.0, 3.0, 1.0], 0.5);
    }

    #[test]
    fn describe_in_numbers() {
        let r = [100.0, 200.0, 352.1];
        let o = [100.31, 200.0, 353.0, 500.0];
        let m = match_spikes(&o, &r, 0.5);
        assert_eq!(
            m.describe(&o, &r, 0.5),
            "2 of 3 reference spikes matched within 0.5 ms; missing: #2 at 352.1 ms (nearest \
             observed 353 ms, +0.9 ms); extra: #2 at 353 ms (nearest reference 352.1 ms, +0.9 \
             ms), #3 at 500 ms (nearest reference 352.1 ms, +147.9 ms); largest shift +0.31 ms \
             at #0"
        );
        let r: Vec<f64> = (0..8).map(|k| k as f64 * 10.0).collect();
        let m = match_spikes(&[], &r, 0.5);
        let text = m.describe(&[], &r, 0.5);
        assert!(text.starts_with("0 of 8 reference spikes matched within 0.5 ms; missing: #0 at 0 ms (no observed spikes)"), "{text}");
        assert!(text.ends_with("and 3 more; extra: none"), "{text}");
    }

    #[test]
    fn van_rossum_known_values() {
        assert_eq!(van_rossum(&[], &[], 10.0), 0.0);
        assert_eq!(van_rossum(&[1.0, 5.0], &[1.0, 5.0], 10.0), 0.0);
        assert!(close(van_rossum(&[3.0], &[], 10.0), 0.5_f64.sqrt()));
        assert!(close(van_rossum(&[], &[3.0], 10.0), 0.5_f64.sqrt()));
        // Two far-apart spikes vs none: sqrt(2/2) = 1.
        assert!(close(van_rossum(&[0.0, 1e6], &[], 1.0), 1.0));
        // Shift by Δ: sqrt(1 - e^{-Δ/τ}).
        for delta in [0.1, 1.0, 5.0, 50.0] {
            let d = van_rossum(&[10.0], &[10.0 + delta], 5.0);
            assert!(
                close(d, (1.0 - (-delta / 5.0_f64).exp()).sqrt()),
                "{delta}: {d}"
            );
        }
        assert!(van_rossum(&[10.0], &[11.0], 5.0) < van_rossum(&[10.0], &[12.0], 5.0));
        // Unsorted and NaN input.
        assert_eq!(van_rossum(&[5.0, f64::NAN, 1.0], &[1.0, 5.0], 2.0), 0.0);
        assert!(van_rossum(&[1.0], &[1.0], 0.0).is_nan());
        assert!(van_rossum(&[1.0], &[1.0], f64::NAN).is_nan());
        assert!(close(
            van_rossum(&[1.0, 2.0, 3.0], &[7.0], f64::INFINITY),
            2.0_f64.sqrt()
        ));
    }

    #[test]
    fn victor_purpura_by_hand() {
        assert_eq!(victor_purpura(&[], &[], 1.0), 0.0);
        assert_eq!(victor_purpura(&[1.0, 2.0, 3.0], &[], 1.0), 3.0);
        assert_eq!(victor_purpura(&[], &[1.0, 2.0], 1.0), 2.0);
        assert_eq!(victor_purpura(&[1.0, 2.0], &[1.0, 2.0], 1.0), 0.0);
        // Shift 0.5 at cost 1/ms = 0.5; shift 3 ms costs 3 > 2, so delete + insert.
        assert_eq!(victor_purpura(&[1.0], &[1.5], 1.0), 0.5);
        assert_eq!(victor_purpura(&[1.0], &[4.0], 1.0), 2.0);
        // {1, 5} vs {1.2, 9}: shift 0.2, then 5→9 costs 4·0.1 = 0.4 at cost 0.1/ms.
        assert!(close(
            victor_purpura(&[1.0, 5.0], &[1.2, 9.0], 0.1),
            0.02 + 0.4
        ));
        assert_eq!(victor_purpura(&[1.0, 2.0], &[7.0], 0.0), 1.0);
        assert_eq!(victor_purpura(&[1.0, 2.0], &[2.0, 3.0], f64::INFINITY), 2.0);
        assert_eq!(victor_purpura(&[2.0, f64::NAN, 1.0], &[1.0, 2.0], 1.0), 0.0);
        assert!(victor_purpura(&[1.0], &[1.0], -1.0).is_nan());
    }

    /// Maximum matching size by brute force (augmenting paths), to check the sweep's optimality.
    fn max_matching(o: &[f64], r: &[f64], w: f64) -> usize {
        fn augment(
            k: usize,
            o: &[f64],
            r: &[f64],
            w: f64,
            seen: &mut [bool],
            owner: &mut [Option<usize>],
        ) -> bool {
            for (j, &x) in o.iter().enumerate() {
                if (x - r[k]).abs() <= w && !seen[j] {
                    seen[j] = true;
                    if owner[j].is_none_or(|k2| augment(k2, o, r, w, seen, owner)) {
                        owner[j] = Some(k);
                        return true;
                    }
                }
            }
            false
        }
        let mut owner = vec![None; o.len()];
        (0..r.len())
            .filter(|&k| augment(k, o, r, w, &mut vec![false; o.len()], &mut owner))
            .count()
    }

    fn train() -> impl Strategy<Value = Vec<f64>> {
        prop::collection::vec((0u32..400).prop_map(|k| k as f64 * 0.25), 0..25)
    }

    proptest! {
        #[test]
        fn matching_is_maximum_and_symmetric(o in train(), r in train(), w in 0.0f64..3.0) {
            let (o, r) = (sorted(&o), sorted(&r));
            let m = match_spikes(&o, &r, w);
            prop_assert_eq!(m.matched.len(), max_matching(&o, &r, w));
            prop_assert_eq!(m.matched.len() + m.missing.len(), r.len());
            prop_assert_eq!(m.matched.len() + m.extra.len(), o.len());
            for &(oi, ri, s) in &m.matched {
                prop_assert!(s.abs() <= w && s == o[oi] - r[ri]);
            }
            let swapped = match_spikes(&r, &o, w);
            prop_assert_eq!(swapped.missing.len(), m.extra.len());
            prop_assert_eq!(swapped.extra.len(), m.missing.len());
        }

        #[test]
        fn matching_identical_is_exact(r in train(), w in 0.0f64..3.0) {
            let r = sorted(&r);
            let m = match_spikes(&r, &r, w);
            prop_assert!(m.passed());
            prop_assert_eq!(m.max_abs_shift, 0.0);
        }

        #[test]
        fn matching_ignores_input_order(o in train(), r in train(), w in 0.0f64..3.0) {
            let (mut o2, mut r2) = (o.clone(), r.clone());
            o2.reverse();
            let half = r2.len() / 2;
            r2.rotate_left(half);
            let a = match_spikes(&sorted(&o), &sorted(&r), w);
            let b = match_spikes(&sorted(&o2), &sorted(&r2), w);
            prop_assert_eq!(a, b);
        }

        #[test]
        fn matching_is_monotone_in_window(o in train(), r in train(), w in 0.0f64..3.0, dw in 0.0f64..3.0) {
            let (o, r) = (sorted(&o), sorted(&r));
            prop_assert!(match_spikes(&o, &r, w + dw).matched.len() >= match_spikes(&o, &r, w).matched.len());
        }

        #[test]
        fn distances_are_metrics_ish(a in train(), b in train(), tau in 0.1f64..50.0, q in 0.0f64..5.0) {
            let vr = van_rossum(&a, &b, tau);
            prop_assert!(vr >= 0.0);
            prop_assert!(close(vr, van_rossum(&b, &a, tau)));
            prop_assert_eq!(van_rossum(&a, &a, tau), 0.0);
            let vp = victor_purpura(&a, &b, q);
            prop_assert!(vp >= 0.0);
            prop_assert!(close(vp, victor_purpura(&b, &a, q)));
            prop_assert_eq!(victor_purpura(&a, &a, q), 0.0);
            prop_assert!(vp <= (a.len() + b.len()) as f64);
        }
    }
}
