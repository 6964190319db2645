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

/// Min–max per pixel column, in pixel space: each column of the plot keeps its lowest and
/// highest point (in time order), or one point when they are on the same or adjacent pixel
/// rows. `to_pixel` maps a data point to its (integer) pixel; points must be in time order.
/// A line through the result covers the same pixels as one through every point, give or take
/// one pixel, with at most two points per column.
pub fn pixel_columns<F>(points: &[(f64, f64)], to_pixel: F) -> Vec<(f64, f64)>
where
    F: Fn((f64, f64)) -> (i32, i32),
{
    let mut out = Vec::new();
    let mut column: Option<(i32, usize, usize)> = None; // (x, index of min, index of max)
    let mut pixels: Vec<(i32, i32)> = Vec::with_capacity(points.len());
    let flush =
        |col: Option<(i32, usize, usize)>, pixels: &[(i32, i32)], out: &mut Vec<(f64, f64)>| {
            if let Some((_, lo, hi)) = col {
                if (pixels[lo].1 - pixels[hi].1).abs() <= 1 {
                    out.push(points[lo.min(hi)]);
                } else {
                    out.push(points[lo.min(hi)]);
                    out.push(points[lo.max(hi)]);
                }
            }
        };
    for (i, &p) in points.iter().enumerate() {
        if !(p.0.is_finite() && p.1.is_finite()) {
            pixels.push((i32::MIN, 0));
            continue;
        }
        let px = to_pixel(p);
        pixels.push(px);
        match column {
            Some((x, lo, hi)) if x == px.0 => {
                // Pixel rows grow downwards: the data minimum is the largest row.
                let lo = if px.1 > pixels[lo].1 { i } else { lo };
                let hi = if px.1 < pixels[hi].1 { i } else { hi };
                column = Some((x, lo, hi));
            }
            _ => {
                flush(column, &pixels, &mut out);
                column = Some((px.0, i, i));
            }
        }
    }
    flush(column, &pixels, &mut out);
    out
}

/// Ramer–Douglas–Peucker in pixel space: drops every point whose removal moves the line by at
/// most `epsilon` pixels, so the drawn line is the same to the eye with far fewer points (a
/// ramp or a flat stretch becomes one segment). `to_pixel` maps a data point to its pixel.
/// Keeps the first and last point; iterative, so long inputs cannot overflow the stack.
pub fn simplify_pixels<F>(points: &[(f64, f64)], to_pixel: F, epsilon: f64) -> Vec<(f64, f64)>
where
    F: Fn((f64, f64)) -> (i32, i32),
{
    if points.len() <= 2 {
        return points.to_vec();
    }
    let px: Vec<(f64, f64)> = points
        .iter()
        .map(|p| {
            let (x, y) = to_pixel(*p);
            (x as f64, y as f64)
        })
        .collect();
    let keep = rdp_mask(&px, epsilon);
    points
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(p, _)| *p)
        .collect()
}

/// For storing a trace in results: min–max decimation to `buckets`, then Ramer–Douglas–Peucker
/// at a quarter pixel of a plot `buckets` pixels wide and half as high (in coordinates scaled
/// to the trace's own time and value ranges), always keeping the global minimum and maximum.
/// A smooth stretch needs few points; spikes and extrema stay exact.
pub fn for_storage(t: &[f64], y: &[f64], buckets: usize) -> Vec<(f64, f64)> {
    let points = min_max(t, y, buckets);
    if points.len() <= 2 {
        return points;
    }
    let (t0, t1) = (points[0].0, points[points.len() - 1].0);
    let (lo, hi) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.1), hi.max(p.1))
        });
    let width = buckets as f64 * 4.0;
    let height = buckets as f64 * 2.0;
    let scale = |v: f64, a: f64, b: f64, n: f64| if b > a { (v - a) / (b - a) * n } else { 0.0 };
    let scaled: Vec<(f64, f64)> = points
        .iter()
        .map(|p| (scale(p.0, t0, t1, width), scale(p.1, lo, hi, height)))
        .collect();
    let mut keep = rdp_mask(&scaled, 1.0);
    for extreme in [lo, hi] {
        if let Some(i) = points.iter().position(|p| p.1 == extreme) {
            keep[i] = true;
        }
    }
    points
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(p, _)| *p)
        .collect()
}

/// Which points Ramer–Douglas–Peucker keeps at `epsilon` (same units as the points).
fn rdp_mask(px: &[(f64, f64)], epsilon: f64) -> Vec<bool> {
    let mut keep = vec![false; px.len()];
    if px.is_empty() {
        return keep;
    }
    keep[0] = true;
    keep[px.len() - 1] = true;
    let mut stack = vec![(0usize, px.len() - 1)];
    while let Some((a, b)) = stack.pop() {
        if b <= a + 1 {
            continue;
        }
        let (ax, ay) = px[a];
        let (bx, by) = px[b];
        let (dx, dy) = (bx - ax, by - ay);
        let length = (dx * dx + dy * dy).sqrt();
        let mut worst = (0.0f64, a);
        for (i, &(x, y)) in px.iter().enumerate().take(b).skip(a + 1) {
            let distance = if length == 0.0 {
                ((x - ax).powi(2) + (y - ay).powi(2)).sqrt()
            } else {
                (dy * (x - ax) - dx * (y - ay)).abs() / length
            };
            if distance > worst.0 {
                worst = (distance, i);
            }
        }
        if worst.0 > epsilon {
            keep[worst.1] = true;
            stack.push((a, worst.1));
            stack.push((worst.1, b));
        }
    }
    keep
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
        let px = |(x, y): (f64, f64)| (x as i32, y as i32);
        assert_eq!(
            simplify_pixels(&points, px, 0.5),
            vec![(0.0, 0.0), (99.0, 0.0)]
        );
        // A ramp is one segment too.
        let ramp: Vec<(f64, f64)> = (0..100).map(|i| (i as f64, i as f64 * 0.5)).collect();
        assert_eq!(simplify_pixels(&ramp, px, 0.75).len(), 2);
        // A peak in the middle of a flat line stays, with the corners around it.
        let mut peaked = points.clone();
        peaked[50].1 = 10.0;
        let out = simplify_pixels(&peaked, px, 0.5);
        assert!(out.contains(&(50.0, 10.0)), "{out:?}");
        assert_eq!(out.len(), 5, "{out:?}");
    }

    #[test]
    fn pixel_columns_keep_a_spike_and_flatten_slow_stretches() {
        // 10 points per pixel column; a spike in column 5.
        let mut points: Vec<(f64, f64)> = (0..100).map(|i| (i as f64, (i as f64) * 0.01)).collect();
        points[55].1 = 50.0;
        let out = pixel_columns(&points, |(x, y)| ((x / 10.0) as i32, -(y as i32)));
        assert!(out.contains(&(55.0, 50.0)), "{out:?}");
        // Slow stretches: one point per column; the spike's column two.
        assert_eq!(out.len(), 11, "{out:?}");
        assert!(out.windows(2).all(|w| w[0].0 < w[1].0));
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
            let stored = for_storage(&t, &y, buckets);
            prop_assert!(stored.len() <= out.len());
            prop_assert!(stored.windows(2).all(|w| w[0].0 < w[1].0));
            if !y.is_empty() {
                let lo = y.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                prop_assert!(stored.iter().any(|p| p.1 == lo) && stored.iter().any(|p| p.1 == hi));
            }
            // Every output point is an input sample.
            for (a, b) in &out {
                let i = (a / 0.1).round() as usize;
                prop_assert_eq!(y[i], *b);
            }
        }
    }
}
