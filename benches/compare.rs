//! Throughput of the comparison kernels on recordings far larger than real ones (10⁷ spikes,
//! 10⁷ samples), so that a check never becomes the slow part of a run.
//!
//! `cargo bench --bench compare` (release build). Plain `main`, no framework: it prints the best
//! of three timings. The data are deterministic (xorshift), generated outside the timings.

use std::hint::black_box;
use std::time::Instant;

use crosscheck::compare::spikes::match_spikes;
use crosscheck::compare::traces::trace_errors;

const N: usize = 10_000_000;
const WINDOW: f64 = 0.5;

/// Marsaglia's xorshift64: a deterministic stream with no dependency.
struct XorShift(u64);

impl XorShift {
    /// Uniform in [0, 1).
    fn next(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A reference train of `N` spikes with intervals in [2, 20) ms, and an observed train: each
/// spike jittered by less than 0.4 ms (inside the window), about 0.1 % dropped and 0.1 % added
/// half-way to the next spike, so the observed train stays sorted without a sort.
fn spike_trains(rng: &mut XorShift) -> (Vec<f64>, Vec<f64>) {
    let mut reference = Vec::with_capacity(N);
    let mut t = 0.0;
    for _ in 0..N {
        t += 2.0 + 18.0 * rng.next();
        reference.push(t);
    }
    let mut observed = Vec::with_capacity(N + N / 500);
    for (k, &r) in reference.iter().enumerate() {
        if rng.next() >= 0.001 {
            observed.push(r + 0.8 * (rng.next() - 0.5));
        }
        if rng.next() < 0.001 {
            let next = reference.get(k + 1).copied().unwrap_or(r + 4.0);
            observed.push(0.5 * (r + next));
        }
    }
    (observed, reference)
}

/// Two traces of `N` samples at dt = 0.025 ms, the observed one on a grid shifted by 0.01 ms
/// (so every point is interpolated) and with a little noise.
fn traces(rng: &mut XorShift) -> [Vec<f64>; 4] {
    let dt = 0.025;
    let v = |t: f64| -65.0 + 20.0 * (t * 0.05).sin();
    let t_ref: Vec<f64> = (0..N).map(|k| k as f64 * dt).collect();
    let v_ref: Vec<f64> = t_ref.iter().map(|&t| v(t)).collect();
    let t_obs: Vec<f64> = (0..N).map(|k| 0.01 + k as f64 * dt).collect();
    let v_obs: Vec<f64> = t_obs
        .iter()
        .map(|&t| v(t) + 0.01 * (rng.next() - 0.5))
        .collect();
    [t_obs, v_obs, t_ref, v_ref]
}

/// Best of three wall-clock timings, in seconds, and the last result.
fn best_of_3<T>(mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut run = || {
        let start = Instant::now();
        let r = black_box(f());
        best = best.min(start.elapsed().as_secs_f64());
        r
    };
    run();
    run();
    let result = run();
    (best, result)
}

fn main() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);

    let (observed, reference) = spike_trains(&mut rng);
    let (secs, m) = best_of_3(|| match_spikes(black_box(&observed), black_box(&reference), WINDOW));
    println!(
        "spike matching: {} spikes in {secs:.3} s ({:.1} M spikes/s); {} matched, {} missing, {} extra, max shift {:.3} ms",
        reference.len(),
        reference.len() as f64 / secs / 1e6,
        m.matched.len(),
        m.missing.len(),
        m.extra.len(),
        m.max_abs_shift
    );
    drop((observed, reference, m));

    let [t_obs, v_obs, t_ref, v_ref] = traces(&mut rng);
    let (secs, e) = best_of_3(|| trace_errors(&t_obs, &v_obs, &t_ref, &v_ref, None));
    println!(
        "trace errors: {} samples in {secs:.3} s ({:.1} M samples/s); {}",
        t_ref.len(),
        t_ref.len() as f64 / secs / 1e6,
        e.describe()
    );
}
