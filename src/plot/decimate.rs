//! Decimation of long traces for plotting: fewer points, same picture.
//!
//! A plot is a few hundred pixels wide, a recording can be millions of samples long. Keeping
//! every n-th sample would drop spikes (a spike lasts about a millisecond, a handful of
//! samples), so instead each bucket of consecutive samples keeps its minimum and its maximum,
//! in time order: drawn as a line, that covers exactly the pixels the full trace covers, and
//! the trace's global extrema (spike peaks, troughs) always survive.

/// Min–max decimation: splits the samples into `buckets` runs of consecutive samples and keeps
/// the lowest and highest sample of each (in time order), plus the first and last sample.
///
/// Non-finite samples (NaN gaps, infinities) are dropped: they cannot be drawn. At most
/// `2 * buckets + 2` points come back; input that is already that short comes back whole
/// (minus non-finite samples). `t` and `y` are paired by index; extra elements of the longer
/// slice are ignored.
pub fn min_max(t: &[f64], y: &[f64], buckets: usize) -> Vec<(f64, f64)> {
    let n = t.len().min(y.len());
    let finite = |i: usize| t[i].is_finite() && y[i].is_finite();
    let buckets = buckets.max(1);
    if n <= 2 * buckets + 2 {
        return (0..n)
            .filter(|&i| finite(i))
            .map(|i| (t[i], y[i]))
            .collect();
    }
    let mut keep: Vec<usize> = Vec::with_capacity(2 * buckets + 2);
    if let Some(first) = (0..n).find(|&i| finite(i)) {
        keep.push(first);
    }
    for b in 0..buckets {
        // Bucket boundaries by index: every sample falls in exactly one bucket.
        let start = b * n / buckets;
        let end = (b + 1) * n / buckets;
        let mut lo: Option<usize> = None;
        let mut hi: Option<usize> = None;
        for i in start..end {
            if !finite(i) {
                continue;
            }
            if lo.is_none_or(|l| y[i] < y[l]) {
                lo = Some(i);
            }
            if hi.is_none_or(|h| y[i] > y[h]) {
                hi = Some(i);
            }
        }
        match (lo, hi) {
            (Some(l), Some(h)) if l == h => keep.push(l),
            (Some(l), Some(h)) => {
                keep.push(l.min(h));
                keep.push(l.max(h));
            }
            _ => {}
        }
    }
    if let Some(last) = (0..n).rev().find(|&i| finite(i)) {
        keep.push(last);
    }
    // Indices only grow bucket by bucket; the first/last sample may repeat a bucket's point.
    keep.dedup();
    keep.into_iter().map(|i| (t[i], y[i])).collect()
}

/// Drops points that add nothing at plot resolution: consecutive points on the same pixel, and
/// the middle points of horizontal or vertical runs of pixels. `to_pixel` maps a data point to
/// its (integer) pixel. Keeps the first and last point, so the line spans the same range.
pub fn simplify_pixels<F>(points: &[(f64, f64)], to_pixel: F) -> Vec<(f64, f64)>
where
    F: Fn((f64, f64)) -> (i32, i32),
{
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(points.len());
    let mut pixels: Vec<(i32, i32)> = Vec::with_capacity(points.len());
    for &p in points {
        let px = to_pixel(p);
        if pixels.last() == Some(&px) {
            continue;
        }
        let n = pixels.len();
        if n >= 2 {
            let (a, b) = (pixels[n - 2], pixels[n - 1]);
            let horizontal = a.1 == b.1 && b.1 == px.1;
            let vertical = a.0 == b.0 && b.0 == px.0;
            let monotone = |u: i32, v: i32, w: i32| (u <= v && v <= w) || (u >= v && v >= w);
            // b lies between a and px on one line: it can go.
            if (horizontal && monotone(a.0, b.0, px.0)) || (vertical && monotone(a.1, b.1, px.1)) {
                pixels.pop();
                out.pop();
            }
        }
        pixels.push(px);
        out.push(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn series(n: usize) -> (Vec<f64>, Vec<f64>) {
        let t: Vec<f64> = (0..n).map(|i| i as f64 * 0.025).collect();
        let y: Vec<f64> = t.iter().map(|t| -65.0 + 5.0 * (t / 3.0).sin()).collect();
        (t, y)
    }

    #[test]
    fn short_input_comes_back_whole() {
        let (t, y) = series(10);
        let out = min_max(&t, &y, 100);
        assert_eq!(out.len(), 10);
        assert_eq!(out[3], (t[3], y[3]));
    }

    #[test]
    fn a_one_sample_spike_survives_among_a_million_samples() {
        let (t, mut y) = series(1_000_000);
        y[654_321] = 40.0;
        let out = min_max(&t, &y, 500);
        assert!(out.len() <= 1002, "{}", out.len());
        assert!(out.contains(&(t[654_321], 40.0)));
        // Neighbours of the spike are not all kept: the output really is shorter.
        assert!(out.len() < 2000);
    }

    #[test]
    fn nan_samples_are_dropped_not_drawn() {
        let (t, mut y) = series(5000);
        y[10] = f64::NAN;
        y[4999] = f64::INFINITY;
        let out = min_max(&t, &y, 50);
        assert!(out.iter().all(|(a, b)| a.is_finite() && b.is_finite()));
        assert_eq!(out.last().map(|p| p.0), Some(t[4998]));
    }

    #[test]
    fn pixel_runs_collapse_to_their_ends() {
        let points: Vec<(f64, f64)> = (0..100).map(|i| (i as f64, 0.0)).collect();
        let out = simplify_pixels(&points, |(x, y)| (x as i32, y as i32));
        assert_eq!(out, vec![(0.0, 0.0), (99.0, 0.0)]);
        // A peak in the middle of a flat line stays.
        let mut peaked = points.clone();
        peaked[50].1 = 10.0;
        let out = simplify_pixels(&peaked, |(x, y)| (x as i32, y as i32));
        assert!(out.contains(&(50.0, 10.0)), "{out:?}");
        assert_eq!(out.len(), 5, "{out:?}");
    }

    proptest! {
        #[test]
        fn keeps_extrema_bounded_and_ordered(
            y in proptest::collection::vec(-1e3f64..1e3, 0..3000),
            buckets in 1usize..200,
        ) {
            let t: Vec<f64> = (0..y.len()).map(|i| i as f64 * 0.1).collect();
            let out = min_max(&t, &y, buckets);
            prop_assert!(out.len() <= 2 * buckets + 2 || out.len() == y.len());
            prop_assert!(out.len() <= y.len());
            prop_assert!(out.windows(2).all(|w| w[0].0 < w[1].0), "time-ordered, no repeats");
            if !y.is_empty() {
                let lo = y.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                prop_assert!(out.iter().any(|p| p.1 == lo), "global min kept");
                prop_assert!(out.iter().any(|p| p.1 == hi), "global max kept");
                prop_assert_eq!(out.first().map(|p| p.0), Some(t[0]));
                prop_assert_eq!(out.last().map(|p| p.0), t.last().copied());
            }
            // Every output point is an input sample.
            for (a, b) in &out {
                let i = (a / 0.1).round() as usize;
                prop_assert_eq!(y[i], *b);
            }
        }
    }
}
