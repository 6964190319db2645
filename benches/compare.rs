//! Throughput of the comparison kernels on recordings far larger than real ones (10⁷ spikes,
//! 10⁷ samples), so that a check never becomes the slow part of a run: first the network
//! statistics (10⁷ spikes of 80,000 neurons, the size of the full-scale Potjans–Diesmann
//! microcircuit, with the peak memory of the process at that point), then spike matching and
//! trace errors.
//!
//! `cargo bench --bench compare` (release build). Plain `main`, no framework: it prints the best
//! of three timings. The data are deterministic (xorshift), generated outside the timings.

use std::hint::black_box;
use std::time::Instant;

use crosscheck::compare::spikes::match_spikes;
use crosscheck::compare::stats;
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

/// Neurons of the network recording, and its length (ms): 10⁷ spikes are 12.5 Hz on average.
const NEURONS: usize = 80_000;
const NETWORK_MS: f64 = 10_000.0;

/// `N` network events `(neuron, time)` in recording order (by time), neurons uniform, the
/// intervals between events uniform in [0, 2 T / N) (so binned counts vary, as in a network).
fn network_events(rng: &mut XorShift) -> (Vec<u32>, Vec<f64>) {
    let ids = (0..N)
        .map(|_| (rng.next() * NEURONS as f64) as u32)
        .collect();
    let mean_interval = NETWORK_MS / N as f64;
    let mut t = 0.0;
    let times = (0..N)
        .map(|_| {
            t += 2.0 * mean_interval * rng.next();
            t
        })
        .collect();
    (ids, times)
}

/// The process's peak resident memory so far (Linux `VmHWM`), in MB.
fn peak_memory_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Every statistic a cortical-network suite computes for one population, on 10⁷ spikes.
fn network_statistics(rng: &mut XorShift) {
    let (ids, times) = network_events(rng);
    let (secs, rates) =
        best_of_3(|| stats::per_neuron_rates(&ids, &times, NEURONS, 0.0, NETWORK_MS));
    println!("per-neuron rates: {N} spikes in {secs:.3} s");
    let (secs, cv) =
        best_of_3(|| stats::cv_isi_distribution(&ids, &times, NEURONS, 0.0, NETWORK_MS));
    println!(
        "CV of ISIs: {N} spikes in {secs:.3} s ({} neurons with a CV, mean {:.3})",
        cv.values.len(),
        cv.mean.unwrap_or(f64::NAN)
    );
    let (secs, fano) =
        best_of_3(|| stats::fano_factor(&stats::population_counts(&times, 10.0, 0.0, NETWORK_MS)));
    println!("Fano factor (10 ms bins): {N} spikes in {secs:.3} s ({fano:?})");
    let sample: Vec<u32> = (0..200).collect();
    let (secs, pairs) =
        best_of_3(|| stats::pairwise_correlations(&ids, &times, &sample, 2.0, 0.0, NETWORK_MS));
    println!(
        "pairwise correlations (200 neurons, 2 ms bins): {N} spikes in {secs:.3} s ({} pairs)",
        pairs.len()
    );
    let (secs, peak) = best_of_3(|| {
        stats::power_spectrum_peak(
            &stats::population_counts(&times, 1.0, 0.0, NETWORK_MS),
            1.0,
            5.0,
        )
    });
    println!("spectrum peak (1 ms bins, 10 s): {N} spikes in {secs:.3} s ({peak:?})");
    let (half_a, half_b) = rates.split_at(NEURONS / 2);
    let (secs, d) = best_of_3(|| {
        (
            stats::ks_distance(half_a, half_b),
            stats::effect_size(half_a, half_b),
        )
    });
    println!("KS distance and effect size of two 40,000-neuron rate samples: {secs:.3} s ({d:?})");
    let (secs, _) = best_of_3(|| {
        let rates = stats::per_neuron_rates(&ids, &times, NEURONS, 0.0, NETWORK_MS);
        let cv = stats::cv_isi_distribution(&ids, &times, NEURONS, 0.0, NETWORK_MS);
        let counts = stats::population_counts(&times, 1.0, 0.0, NETWORK_MS);
        let corr = stats::pairwise_correlations(&ids, &times, &sample, 2.0, 0.0, NETWORK_MS);
        (
            stats::ks_distance(&rates, &rates),
            cv.mean,
            stats::fano_factor(&counts),
            stats::power_spectrum_peak(&counts, 1.0, 5.0),
            corr.len(),
        )
    });
    println!("all of them, one population of 10^7 spikes: {secs:.3} s");
    if let Some(mb) = peak_memory_mb() {
        println!(
            "peak memory so far: {mb:.0} MB (the events alone: {} MB)",
            N * 12 / 1_000_000
        );
    }
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

    network_statistics(&mut rng);

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
