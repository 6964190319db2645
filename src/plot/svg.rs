//! SVG plots with plotters: traces with a difference panel, spike rasters, histograms.
//!
//! Every plot returns a standalone `<svg>` string. plotters escapes text and attribute values,
//! and the SVG names a generic font family (no font files: the `ttf` feature is off), so the
//! plots render anywhere without network access.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::decimate::{min_max, pixel_columns, simplify_pixels};

/// Plot width in pixels (the page's content column).
pub const WIDTH: u32 = 860;

/// A plot plotters could not draw, with plotters' error.
#[derive(Debug, thiserror::Error)]
#[error("could not draw the plot: {0}")]
pub struct PlotError(String);

fn err<E: std::fmt::Debug>(e: E) -> PlotError {
    PlotError(format!("{e:?}"))
}

/// A line of a trace plot.
#[derive(Debug, Clone)]
pub struct Line {
    /// Legend text: an engine, the reference, or a difference with its largest value.
    pub label: String,
    /// Stroke colour (see [`engine_color`]).
    pub color: RGBColor,
    /// Stroke width in pixels; the reference is drawn wide and pale beneath the engines.
    pub width: u32,
    /// Stroke opacity, 0 to 1.
    pub opacity: f64,
    /// `(time_ms, value)`, at any resolution: drawing keeps what the plot's pixels can show.
    pub points: Vec<(f64, f64)>,
}

/// Colour of an engine (stable across pages), black for the reference.
pub fn engine_color(name: &str) -> RGBColor {
    match name {
        "reference" | "expected" | "exact" => RGBColor(0, 0, 0),
        "NEURON" | "jNeuroML_NEURON" => RGBColor(31, 119, 180),
        "NEST" => RGBColor(214, 39, 40),
        "Brian2" | "jNeuroML_Brian2" => RGBColor(44, 160, 44),
        "jNeuroML" => RGBColor(148, 103, 189),
        "observed" => RGBColor(31, 119, 180),
        other => {
            const PALETTE: [RGBColor; 5] = [
                RGBColor(255, 127, 14),
                RGBColor(140, 86, 75),
                RGBColor(227, 119, 194),
                RGBColor(127, 127, 127),
                RGBColor(23, 190, 207),
            ];
            let hash = other
                .bytes()
                .fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize));
            PALETTE[hash % PALETTE.len()]
        }
    }
}

/// The (min, max) of every finite value, widened when flat so the axis has a range.
fn range(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !(lo.is_finite() && hi.is_finite()) {
        return None;
    }
    let pad = if hi > lo {
        (hi - lo) * 0.05
    } else {
        lo.abs().max(1.0) * 0.1
    };
    Some((lo - pad, hi + pad))
}

/// A y-axis tick label readable at any scale: plotters' own labels round a difference panel
/// spanning 1e-6 to "0.0, 0.0, -0.0". Small spans (and large values) get two-digit exponent
/// form, the rest three decimals without trailing zeros.
fn tick_label(value: f64, span: f64) -> String {
    if value == 0.0 {
        return "0".into();
    }
    if (span > 0.0 && span < 1e-2) || value.abs() >= 1e5 {
        return format!("{value:.2e}");
    }
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    match text {
        "-0" => "0".into(),
        other => other.to_string(),
    }
}

/// One panel of lines on a shared time axis.
fn line_panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    caption: &str,
    y_desc: &str,
    x: (f64, f64),
    lines: &[Line],
    x_desc: Option<&str>,
) -> Result<(), PlotError> {
    let y = range(lines.iter().flat_map(|l| l.points.iter().map(|p| p.1))).unwrap_or((-1.0, 1.0));
    let mut chart = ChartBuilder::on(area)
        .margin(6)
        .caption(caption, ("sans-serif", 15))
        .x_label_area_size(if x_desc.is_some() { 34 } else { 20 })
        .y_label_area_size(62)
        .build_cartesian_2d(x.0..x.1, y.0..y.1)
        .map_err(err)?;
    let y_label = |v: &f64| tick_label(*v, y.1 - y.0);
    let mut mesh = chart.configure_mesh();
    // Few labels: each is an SVG element, and a plot is read for its shape.
    mesh.x_labels(10)
        .y_labels(if x_desc.is_some() && lines.len() < 3 {
            4
        } else {
            6
        })
        .y_desc(y_desc)
        .y_label_formatter(&y_label)
        // Light grid lines are hundreds of SVG elements per plot: bold ones are enough.
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(232, 232, 232))
        .label_style(("sans-serif", 11));
    if let Some(desc) = x_desc {
        mesh.x_desc(desc);
    }
    mesh.draw().map_err(err)?;
    let columns = (WIDTH as usize).saturating_sub(80);
    for line in lines {
        let (t, v): (Vec<f64>, Vec<f64>) = line.points.iter().copied().unzip();
        let to_pixel = |p: (f64, f64)| chart.backend_coord(&p);
        // Per pixel column, then whatever moves the line by less than a pixel: the SVG holds
        // what the eye can see, not what was recorded.
        let points = simplify_pixels(
            &pixel_columns(&min_max(&t, &v, columns), to_pixel),
            to_pixel,
            0.6,
        );
        let style = line.color.mix(line.opacity).stroke_width(line.width);
        let legend_color = line.color.mix(line.opacity.max(0.6)).stroke_width(2);
        chart
            .draw_series(LineSeries::new(points, style))
            .map_err(err)?
            .label(line.label.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], legend_color));
    }
    if !lines.is_empty() {
        draw_legend(&mut chart, 11)?;
    }
    Ok(())
}

/// The series' labels in a box at the upper right.
fn draw_legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    font_size: u32,
) -> Result<(), PlotError> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .label_font(("sans-serif", font_size))
        .draw()
        .map_err(err)
}

/// Overlaid traces above, their differences below, on one time axis `x` (ms).
pub fn traces_with_difference(
    title: &str,
    unit: &str,
    x: (f64, f64),
    lines: &[Line],
    differences: &[Line],
) -> Result<String, PlotError> {
    let height = if differences.is_empty() { 300 } else { 460 };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        if differences.is_empty() {
            line_panel(&root, title, unit, x, lines, Some("time (ms)"))?;
        } else {
            let (top, bottom) = root.split_vertically(290);
            line_panel(&top, title, unit, x, lines, None)?;
            line_panel(
                &bottom,
                "difference",
                &format!("Δ ({unit})"),
                x,
                differences,
                Some("time (ms)"),
            )?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// One band of a raster: a run's spikes, one row per cell.
#[derive(Debug, Clone)]
pub struct RasterBand {
    /// The band's label on the y axis: the run it shows (an engine, the reference,
    /// `expected`) and what it is compared with.
    pub label: String,
    /// Colour of the band's spike marks.
    pub color: RGBColor,
    /// Rows in the band (recorded cells).
    pub rows: usize,
    /// `(row, time_ms)`.
    pub events: Vec<(usize, f64)>,
    /// Spikes of the band's reference with no counterpart here: `(row, time_ms)`.
    pub missing: Vec<(usize, f64)>,
    /// Spikes here with no counterpart in the band's reference: `(row, time_ms)`.
    pub extra: Vec<(usize, f64)>,
}

/// Events drawn per band at most; a larger band is thinned to one mark per pixel.
const MAX_DRAWN_EVENTS: usize = 6000;

/// Spike rasters stacked on one time axis (ms); missing spikes are red rings, extra ones red
/// crosses.
pub fn raster(title: &str, x: (f64, f64), bands: &[RasterBand]) -> Result<String, PlotError> {
    let many = bands.iter().any(|b| b.rows > 4);
    let band_height = |b: &RasterBand| if many { (b.rows as f64).max(1.0) } else { 1.0 };
    let gap = if many { 0.15 } else { 0.0 };
    let total: f64 = bands
        .iter()
        .map(|b| band_height(b) * (1.0 + gap))
        .sum::<f64>()
        .max(1.0);
    let height = (70 + bands.len() as u32 * if many { 90 } else { 32 }).max(140);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(6)
            .caption(title, ("sans-serif", 15))
            .x_label_area_size(34)
            .y_label_area_size(160)
            .build_cartesian_2d(x.0..x.1, 0f64..total)
            .map_err(err)?;
        // Band labels at band centres, top band first.
        let mut offsets = Vec::with_capacity(bands.len());
        let mut top = total;
        for band in bands {
            let h = band_height(band);
            offsets.push((top - h * (1.0 + gap / 2.0), h));
            top -= h * (1.0 + gap);
        }
        let labels: Vec<(f64, String)> = bands
            .iter()
            .zip(&offsets)
            .map(|(b, (base, h))| (base + h / 2.0, b.label.clone()))
            .collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc("time (ms)")
            // Light grid lines are hundreds of SVG elements per plot: bold ones are enough.
            .light_line_style(TRANSPARENT)
            .bold_line_style(RGBColor(232, 232, 232))
            .label_style(("sans-serif", 11))
            .y_labels(0)
            .draw()
            .map_err(err)?;
        for (y, label) in &labels {
            let at = chart.backend_coord(&(x.0, *y));
            root.draw(&Text::new(
                label.clone(),
                (6, at.1 - 6),
                ("sans-serif", 12).into_font(),
            ))
            .map_err(err)?;
        }
        for (band, (base, h)) in bands.iter().zip(&offsets) {
            let row_height = if many { 1.0 } else { *h };
            let y_of = |row: usize| base + (row as f64 + 0.5) * row_height.min(*h);
            let tick = if many { 0.45 } else { 0.35 };
            let mut seen = std::collections::HashSet::new();
            let thin = band.events.len() > MAX_DRAWN_EVENTS;
            let color = band.color;
            let marks: Vec<_> = band
                .events
                .iter()
                .filter_map(|(row, t)| {
                    let y = y_of(*row);
                    if thin && !seen.insert(chart.backend_coord(&(*t, y))) {
                        return None;
                    }
                    Some(PathElement::new(
                        vec![(*t, y - tick * row_height), (*t, y + tick * row_height)],
                        color.stroke_width(if many { 1 } else { 2 }),
                    ))
                })
                .collect();
            chart.draw_series(marks).map_err(err)?;
            let red = RGBColor(220, 0, 0);
            chart
                .draw_series(
                    band.missing
                        .iter()
                        .map(|(row, t)| Circle::new((*t, y_of(*row)), 5, red.stroke_width(2))),
                )
                .map_err(err)?;
            chart
                .draw_series(
                    band.extra
                        .iter()
                        .map(|(row, t)| Cross::new((*t, y_of(*row)), 5, red.stroke_width(2))),
                )
                .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Overlaid histograms (step outlines), one per run, with shared bins.
pub fn histogram(
    title: &str,
    x_desc: &str,
    series: &[(String, RGBColor, Vec<f64>)],
    bins: usize,
) -> Result<String, PlotError> {
    let (lo, hi) = range(series.iter().flat_map(|s| s.2.iter().copied())).unwrap_or((0.0, 1.0));
    let lo = if lo < 0.0 && series.iter().all(|s| s.2.iter().all(|v| *v >= 0.0)) {
        0.0
    } else {
        lo
    };
    let bins = bins.max(1);
    let width = (hi - lo) / bins as f64;
    let counts: Vec<Vec<usize>> = series
        .iter()
        .map(|(_, _, values)| {
            let mut c = vec![0usize; bins];
            for v in values.iter().filter(|v| v.is_finite()) {
                let k = (((v - lo) / width) as usize).min(bins - 1);
                c[k] += 1;
            }
            c
        })
        .collect();
    let top = counts.iter().flatten().copied().max().unwrap_or(1).max(1) as f64 * 1.1;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH / 2 - 10, 260)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(6)
            .caption(title, ("sans-serif", 14))
            .x_label_area_size(34)
            .y_label_area_size(46)
            .build_cartesian_2d(lo..hi, 0f64..top)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc("count")
            // Light grid lines are hundreds of SVG elements per plot: bold ones are enough.
            .light_line_style(TRANSPARENT)
            .bold_line_style(RGBColor(232, 232, 232))
            .label_style(("sans-serif", 10))
            .draw()
            .map_err(err)?;
        for ((label, color, _), c) in series.iter().zip(&counts) {
            let mut steps = vec![(lo, 0.0)];
            for (k, n) in c.iter().enumerate() {
                let x0 = lo + k as f64 * width;
                steps.push((x0, *n as f64));
                steps.push((x0 + width, *n as f64));
            }
            steps.push((hi, 0.0));
            let color = *color;
            chart
                .draw_series(LineSeries::new(steps, color.stroke_width(2)))
                .map_err(err)?
                .label(label.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
        }
        draw_legend(&mut chart, 10)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Bars, one per run, with an optional shaded band (`low`, `high`, label) across them: a
/// population's mean rate per simulator against the reference's seed-to-seed range.
pub fn bars(
    title: &str,
    y_desc: &str,
    bars: &[(String, RGBColor, f64)],
    band: Option<(f64, f64, &str)>,
    published: Option<f64>,
) -> Result<String, PlotError> {
    let top = bars
        .iter()
        .map(|b| b.2)
        .chain(band.map(|b| b.1))
        .chain(published)
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max)
        .max(1e-9)
        * 1.2;
    let n = bars.len().max(1) as f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH / 2 - 10, 260)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(6)
            .caption(title, ("sans-serif", 14))
            .x_label_area_size(34)
            .y_label_area_size(46)
            .build_cartesian_2d(0.0..n, 0f64..top)
            .map_err(err)?;
        let labels: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(bars.len().max(1) * 2 + 1)
            .x_label_formatter(&|x| {
                let k = x.floor();
                // Label each bar at its centre only.
                if (x - k - 0.5).abs() < 1e-6 {
                    labels.get(k as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_desc(y_desc)
            .light_line_style(TRANSPARENT)
            .bold_line_style(RGBColor(232, 232, 232))
            .label_style(("sans-serif", 10))
            .draw()
            .map_err(err)?;
        if let Some((low, high, label)) = band {
            let grey = RGBColor(120, 120, 120);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(0.0, low), (n, high.max(low))],
                    grey.mix(0.25).filled(),
                )))
                .map_err(err)?
                .label(label)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 4), (x + 18, y + 4)], grey.mix(0.25).filled())
                });
        }
        chart
            .draw_series(bars.iter().enumerate().map(|(k, (_, color, value))| {
                let value = if value.is_finite() { *value } else { 0.0 };
                Rectangle::new(
                    [(k as f64 + 0.2, 0.0), (k as f64 + 0.8, value)],
                    color.filled(),
                )
            }))
            .map_err(err)?;
        if let Some(value) = published.filter(|v| v.is_finite()) {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(0.0, value), (n, value)],
                    BLACK.stroke_width(2),
                )))
                .map_err(err)?
                .label("published")
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], BLACK.stroke_width(2))
                });
        }
        if band.is_some() || published.is_some() {
            draw_legend(&mut chart, 10)?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// One simulator's errors against an analytic answer at several time steps.
#[derive(Debug, Clone)]
pub struct ConvergenceLine {
    /// Legend text (the simulator).
    pub label: String,
    /// Stroke colour (see [`engine_color`]).
    pub color: RGBColor,
    /// `(dt, error)` pairs; pairs that a log axis cannot show (zero, negative, NaN) are left out.
    pub points: Vec<(f64, f64)>,
}

/// Error against the time step on log-log axes, one line (with its points) per simulator, and
/// the slope of the expected order of accuracy drawn through the finest point of the first
/// line: a simulator converging at that order runs parallel to it. `dt_unit` names the time
/// step's unit on the axis (`ms`).
pub fn convergence(
    title: &str,
    dt_unit: &str,
    lines: &[ConvergenceLine],
    expected_order: Option<f64>,
) -> Result<String, PlotError> {
    let shown = |p: &&(f64, f64)| p.0 > 0.0 && p.1 > 0.0 && p.0.is_finite() && p.1.is_finite();
    let points = || lines.iter().flat_map(|l| l.points.iter().filter(shown));
    let bounds = |values: Vec<f64>| -> (f64, f64) {
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if lo.is_finite() && hi.is_finite() {
            // Half a decade of room either side (log axes need a non-empty range).
            (lo / 3.0, hi * 3.0)
        } else {
            (1e-3, 1.0)
        }
    };
    let (dt_lo, dt_hi) = bounds(points().map(|p| p.0).collect());
    // The expected slope through the finest point of the first line, across the whole axis.
    let slope = expected_order.and_then(|order| {
        let anchor = lines
            .first()?
            .points
            .iter()
            .filter(shown)
            .min_by(|a, b| a.0.total_cmp(&b.0))?;
        let at = |dt: f64| anchor.1 * (dt / anchor.0).powf(order);
        Some((order, vec![(dt_lo, at(dt_lo)), (dt_hi, at(dt_hi))]))
    });
    let mut errors: Vec<f64> = points().map(|p| p.1).collect();
    if let Some((_, ends)) = &slope {
        errors.extend(
            ends.iter()
                .map(|p| p.1)
                .filter(|e| *e > 0.0 && e.is_finite()),
        );
    }
    let (err_lo, err_hi) = bounds(errors);
    // Headroom above the data, half its span in decades, for the legend in the upper left.
    let err_hi = err_hi * (err_hi / err_lo).sqrt();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH / 2 + 60, 320)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(8)
            .caption(title, ("sans-serif", 14))
            .x_label_area_size(36)
            .y_label_area_size(62)
            .build_cartesian_2d((dt_lo..dt_hi).log_scale(), (err_lo..err_hi).log_scale())
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc(format!("time step ({dt_unit})"))
            .y_desc("error")
            .x_labels(5)
            .y_labels(6)
            .x_label_formatter(&|v| log_tick(*v))
            .y_label_formatter(&|v| log_tick(*v))
            .light_line_style(TRANSPARENT)
            .bold_line_style(RGBColor(232, 232, 232))
            .label_style(("sans-serif", 10))
            .draw()
            .map_err(err)?;
        if let Some((order, ends)) = slope {
            let grey = RGBColor(120, 120, 120);
            chart
                .draw_series(DashedLineSeries::new(ends, 6, 4, grey.stroke_width(1)))
                .map_err(err)?
                .label(format!("expected order {order}"))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], grey.stroke_width(1))
                });
        }
        for line in lines {
            let mut points: Vec<(f64, f64)> = line.points.iter().filter(shown).copied().collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            let color = line.color;
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
                .map_err(err)?
                .label(line.label.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
            chart
                .draw_series(
                    points
                        .into_iter()
                        .map(|p| Circle::new(p, 3, color.filled())),
                )
                .map_err(err)?;
        }
        // Errors grow with the step, and an exact engine's line lies flat along the bottom:
        // the upper left, above the data (see the headroom above), is where no line goes.
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(200, 200, 200))
            .label_font(("sans-serif", 10))
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// A log axis' tick: plain decimals between 0.001 and 1000, one-digit exponent form outside.
fn log_tick(value: f64) -> String {
    if (1e-3..1e3).contains(&value.abs()) {
        let text = format!("{value:.4}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{value:.0e}")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_convergence_plot_draws_each_simulator_and_the_expected_slope_escaped() {
        use super::{convergence, engine_color, ConvergenceLine};
        let line = |label: &str, order: f64| ConvergenceLine {
            label: label.to_string(),
            color: engine_color(label),
            points: [0.1_f64, 0.05, 0.025, 0.0125]
                .iter()
                .map(|dt| (*dt, 2.0 * dt.powf(order)))
                .chain([(0.0, 1.0), (0.2, f64::NAN)])
                .collect(),
        };
        let svg = convergence(
            "lif_dc: v",
            "ms",
            &[line("NEST", 1.0), line("<NEURON & co>", 2.0)],
            Some(1.0),
        )
        .unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("NEST") && svg.contains("expected order 1"));
        assert!(svg.contains("&lt;NEURON &amp; co&gt;") && !svg.contains("<NEURON"));
        assert!(svg.contains("time step (ms)"));
        // Nothing drawable still gives a plot (axes only), never an error.
        let empty = ConvergenceLine {
            label: "Brian2".into(),
            color: engine_color("Brian2"),
            points: vec![(0.0, 0.0)],
        };
        assert!(convergence("empty", "ms", &[empty], Some(2.0))
            .unwrap()
            .starts_with("<svg"));
    }

    #[test]
    fn tick_labels_stay_readable_for_tiny_differences_and_plain_for_millivolts() {
        use super::tick_label;
        assert_eq!(tick_label(-60.0, 100.0), "-60");
        assert_eq!(tick_label(0.05, 0.2), "0.05");
        assert_eq!(tick_label(2e-6, 4e-6), "2.00e-6");
        assert_eq!(tick_label(-0.0, 4e-6), "0");
        assert_eq!(tick_label(1e-9, 100.0), "0");
        assert_eq!(tick_label(250000.0, 1e6), "2.50e5");
    }

    use super::*;

    #[test]
    fn bars_draw_each_run_and_the_band_with_escaped_labels() {
        let runs = vec![
            ("NEST".to_string(), engine_color("NEST"), 51.9),
            ("<b>NEURON</b>".to_string(), engine_color("NEURON"), 46.2),
            ("Brian2".to_string(), engine_color("Brian2"), f64::NAN),
        ];
        let svg = bars(
            "exc mean rate",
            "rate (Hz)",
            &runs,
            Some((43.6, 53.9, "NEST seeds")),
            Some(48.0),
        )
        .unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("&lt;b&gt;NEURON"));
        assert!(svg.contains("NEST seeds"));
        // Three bars and the band (and the legend's swatch) are rectangles.
        assert!(svg.matches("<rect").count() >= 5, "{svg}");
        assert!(svg.contains("published"));
        assert!(bars("empty", "rate (Hz)", &[], None, None)
            .unwrap()
            .starts_with("<svg"));
    }

    #[test]
    fn trace_plot_is_an_svg_with_escaped_labels_and_bounded_size() {
        let t: Vec<f64> = (0..100_000).map(|i| i as f64 * 0.01).collect();
        let points: Vec<(f64, f64)> = t
            .iter()
            .map(|t| {
                (
                    *t,
                    if (t % 100.0) < 1.0 {
                        30.0
                    } else {
                        -65.0 + t % 100.0 * 0.1
                    },
                )
            })
            .collect();
        let lines = vec![Line {
            label: "<script>alert(1)</script> & \"x\"".into(),
            color: engine_color("NEST"),
            width: 2,
            opacity: 1.0,
            points: points.clone(),
        }];
        let svg = traces_with_difference("v of <b>", "mV", (0.0, 1000.0), &lines, &lines).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        assert!(!svg.contains("<script"), "labels are escaped");
        assert!(svg.contains("&lt;script&gt;"));
        // 100,000 samples become at most a few points per pixel column.
        assert!(svg.len() < 120_000, "{} bytes", svg.len());
        // The spikes (30 mV) are drawn: some polyline point reaches the panel's top.
        assert!(svg.matches("<polyline").count() >= 2);
    }

    #[test]
    fn raster_marks_missing_and_extra_spikes() {
        let band = RasterBand {
            label: "NEST".into(),
            color: engine_color("NEST"),
            rows: 1,
            events: vec![(0, 10.0), (0, 20.0)],
            missing: vec![(0, 30.0)],
            extra: vec![(0, 20.0)],
        };
        let svg = raster("spikes", (0.0, 40.0), &[band]).unwrap();
        assert!(svg.contains("<circle"), "missing spike ring drawn");
        assert!(svg.matches("#DC0000").count() >= 2, "ring and cross in red");
    }

    #[test]
    fn histogram_draws_one_outline_per_series() {
        let svg = histogram(
            "rates",
            "Hz",
            &[
                (
                    "NEST".into(),
                    engine_color("NEST"),
                    vec![1.0, 2.0, 2.5, 8.0],
                ),
                ("Brian2".into(), engine_color("Brian2"), vec![1.5, 2.0, 3.0]),
            ],
            10,
        )
        .unwrap();
        assert!(svg.matches("<polyline").count() >= 2);
    }

    #[test]
    fn long_engine_names_get_a_colour_without_overflow() {
        let name = "x".repeat(10_000);
        let colour = engine_color(&name);
        assert_eq!(engine_color(&name), colour);
    }
}
