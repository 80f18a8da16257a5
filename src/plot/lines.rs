//! Drawing a [`LineChart`]: the axis ranges (the data's, a window, or a percentile cut
//! marked at the top edge), every series clipped to the plot area, long series as a
//! mean per bin with a min-max band, and a legend that states how the data were
//! reduced, inside the plot where a corner is free of data, else above it. A line
//! with a spread (min-max across nodes, say) is drawn with its band, binned with it.

use super::chart::{colour, finite_range, plain, short, LineChart, PlotFrame};
use super::de;
use super::layout::{Layout, LABEL, TICK};
use super::legend::{
    below_title, draw_strip, emptiest_corner, legend, legend_share, register, strip_px, strip_rows,
    Entry, Swatch,
};
use super::stroke::{
    band_polygons, bin, bin_spread, clip_polyline, inset_px, mean_runs, spread_steps, stroke,
    BandPoint, Binned, PlotArea, Rect,
};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::{Drawable, PointCollection};
use plotters::prelude::*;

/// Share of the range added on each side, so no data point sits on an edge.
const PAD: f64 = 0.04;
/// Width of a bin of a dense series, in design pixels.
const BIN_PX: f64 = 4.0;
/// Grey of legend entries that describe the drawing rather than a series.
const NOTE: RGBColor = RGBColor(110, 110, 110);
/// Design sizes of the axis areas and margins (as in [`super::bars`]).
const X_AREA: f64 = 100.0;
const Y_AREA: f64 = 140.0;
const MARGIN: f64 = 18.0;
const MARGIN_RIGHT: f64 = 36.0;

/// The nearest-rank `p`-th percentile of `v` (sorted in place); `v` not empty.
pub fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    let rank = ((p / 100.0) * n as f64).ceil() as usize;
    v[rank.clamp(1, n) - 1]
}

fn padded((lo, hi): (f64, f64)) -> (f64, f64) {
    if lo == hi {
        return (lo - 1.0, hi + 1.0);
    }
    let d = (hi - lo) * PAD;
    (lo - d, hi + d)
}

/// Draws `c` on `root` and returns where its plot area is.
pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &LineChart,
    l: &Layout,
) -> anyhow::Result<PlotFrame> {
    let tx = |x: f64| if c.x_log { x.log10() } else { x };
    let data: Vec<Vec<(f64, f64)>> = c
        .series
        .iter()
        .map(|s| {
            s.points
                .iter()
                .filter(|(x, y)| x.is_finite() && y.is_finite() && (!c.x_log || *x > 0.0))
                .map(|&(x, y)| (tx(x), y))
                .collect()
        })
        .collect();
    // Lines with a band: (x, y, low, high) per point.
    let mut spreads: Vec<Option<Vec<BandPoint>>> = Vec::new();
    for s in &c.series {
        spreads.push(match &s.spread {
            None => None,
            Some((label, bounds)) => {
                anyhow::ensure!(
                    bounds.len() == s.points.len(),
                    "the band '{label}' has {} bounds for {} points",
                    bounds.len(),
                    s.points.len()
                );
                let all = s.points.iter().zip(bounds);
                Some(
                    all.filter(|((x, y), (lo, hi))| {
                        [*x, *y, *lo, *hi].iter().all(|v| v.is_finite()) && (!c.x_log || *x > 0.0)
                    })
                    .map(|(&(x, y), &(lo, hi))| (tx(x), y, lo, hi))
                    .collect(),
                )
            }
        });
    }
    // Every point drawn: the lines' and their bands' edges.
    let all: Vec<(f64, f64)> = data
        .iter()
        .flatten()
        .copied()
        .chain(
            spreads
                .iter()
                .flatten()
                .flatten()
                .flat_map(|&(x, _, lo, hi)| [(x, lo), (x, hi)]),
        )
        .collect();
    anyhow::ensure!(!all.is_empty(), "nothing to plot: no data points");

    // x: a window as given; categories at their slots; else the data, padded.
    let data_x = finite_range(all.iter().map(|p| p.0)).expect("points");
    let (x0, x1) = if let Some((a, b)) = c.x_range {
        anyhow::ensure!(a < b, "the x window is empty: from {a} to {b}");
        (tx(a), tx(b))
    } else if let Some(cats) = &c.x_categories {
        (-0.5, cats.len() as f64 - 0.5)
    } else if c.x_log {
        let (a, b) = padded(data_x);
        (a.min(data_x.0.floor()), b.max(data_x.1.ceil()))
    } else {
        padded(data_x)
    };
    let shown: Vec<(f64, f64)> = all
        .iter()
        .copied()
        .filter(|p| p.0 >= x0 && p.0 <= x1)
        .collect();
    anyhow::ensure!(!shown.is_empty(), "nothing to plot in the x window");

    // y: as given, or the data's (from 0 when all >= 0), or cut at a percentile.
    // Either way, data above the top are marked there and the legend says so.
    let (lo, hi) = finite_range(shown.iter().map(|p| p.1)).expect("points");
    let lo = if lo >= 0.0 { 0.0 } else { lo };
    let mut cut: Option<(String, f64)> = None;
    let range = match (c.y_range, c.y_percentile) {
        (Some(r), _) => {
            if hi > r.1 {
                cut = Some((format!("above {}", short(r.1)), hi));
            }
            r
        }
        (None, Some(p)) => {
            let mut ys: Vec<f64> = shown.iter().map(|p| p.1).collect();
            let top = percentile(&mut ys, p);
            if top < hi && top > lo {
                cut = Some((format!("above p{}", short(p)), hi));
                (lo, top)
            } else {
                (lo, hi)
            }
        }
        (None, None) => (lo, hi),
    };
    let (y0, y1) = padded(range);

    // Dense series become bins over the shown part of the data.
    let plot_w = l
        .width_px()
        .saturating_sub(l.px(Y_AREA + MARGIN + MARGIN_RIGHT));
    let span = (data_x.0.max(x0), data_x.1.min(x1));
    let (n_bins, bin_span) = match c.bin_width {
        Some(w) => {
            anyhow::ensure!(w > 0.0, "the bin width must be positive, not {w}");
            let n = (((span.1 - span.0) / w).ceil() as usize).max(1);
            (n, (span.0, span.0 + n as f64 * w))
        }
        None => {
            let px = f64::from(plot_w) * (span.1 - span.0) / (x1 - x0);
            (
                (px / f64::from(l.px(BIN_PX))).floor().max(1.0) as usize,
                span,
            )
        }
    };
    let dense: Vec<bool> = c
        .series
        .iter()
        .zip(&data)
        .map(|(s, d)| {
            let within = d.iter().filter(|p| p.0 >= bin_span.0 && p.0 <= bin_span.1);
            c.bin_dense && !s.points_only && within.count() > n_bins
        })
        .collect();
    // Dense series as bins; a band drawn as it is is a bin per point.
    let bins: Vec<Option<Binned>> = data
        .iter()
        .zip(&spreads)
        .zip(&dense)
        .map(|((d, sp), &dense)| match sp {
            Some(sp) if dense => Some(bin_spread(sp, bin_span, n_bins)),
            Some(sp) => Some(spread_steps(sp)),
            None => dense.then(|| bin(d, bin_span, n_bins)),
        })
        .collect();

    // Legend entries: the named series, then notes on how the data were drawn.
    let named = c.series.len() > 1 || c.series.iter().any(|s| !s.name.is_empty());
    let mut entries: Vec<Entry> = Vec::new();
    if named {
        for (i, s) in c.series.iter().enumerate() {
            let col = colour(s.colour.unwrap_or(i));
            let swatch = if s.points_only {
                Swatch::Cross(col)
            } else {
                Swatch::Line(col, l.px(4.0))
            };
            // An unnamed series (one of several shaded windows) has no entry.
            if !s.name.is_empty() {
                entries.push(Entry {
                    text: s.name.clone(),
                    swatch,
                });
            }
            if let Some((label, _)) = s.spread.as_ref().filter(|(l, _)| !l.is_empty()) {
                entries.push(Entry {
                    text: label.clone(),
                    swatch: Swatch::Band(col, l.px(3.0)),
                });
            }
        }
    }
    let binned = |band: bool| {
        bins.iter()
            .zip(&dense)
            .zip(&spreads)
            .find(|((b, &d), sp)| b.is_some() && d && sp.is_some() == band)
            .and_then(|((b, _), _)| b.as_ref())
    };
    let unit = if c.x_unit.is_empty() {
        String::new()
    } else {
        format!(" {}", c.x_unit)
    };
    // The bins of plain lines have a min-max band; those of a line with its own
    // band take the band's extremes, and the line is the mean.
    if let Some(b) = binned(false) {
        entries.push(Entry {
            text: format!("mean, min–max per {}{unit}", short(b.width)),
            swatch: Swatch::Band(NOTE, l.px(3.0)),
        });
    } else if let Some(b) = binned(true) {
        entries.push(Entry {
            text: format!("mean per {}{unit}", short(b.width)),
            swatch: Swatch::Line(NOTE, l.px(4.0)),
        });
    }
    if let Some((what, max)) = &cut {
        entries.push(Entry {
            text: format!("{what} (max {})", short(*max)),
            swatch: Swatch::Triangle(BLACK),
        });
    }

    // The legend goes in a corner free of data, else in a strip above the plot.
    let body = below_title(root, &c.title, l)?;
    let plot_h = body
        .dim_in_pixel()
        .1
        .saturating_sub(l.px(2.0 * MARGIN + X_AREA));
    let mut inside = None;
    let mut strip = None;
    if !entries.is_empty() {
        let share = legend_share(&entries, (plot_w, plot_h), l);
        let (pos, covered) = emptiest_corner(&shown, (x0, x1), (y0, y1), share);
        if covered == 0 {
            inside = Some(pos);
        } else {
            let left = l.pxi(Y_AREA + MARGIN);
            let rows = strip_rows(&body, &entries, plot_w, l);
            strip = Some((rows, left));
        }
    }
    let (legend_area, body) = match &strip {
        Some((rows, _)) => {
            let (a, b) = body.split_vertically(strip_px(rows.len(), l));
            (Some(a), b)
        }
        None => (None, body),
    };

    let mut chart = ChartBuilder::on(&body)
        .margin(l.px(MARGIN))
        .margin_right(l.px(MARGIN_RIGHT))
        .x_label_area_size(l.px(X_AREA))
        .y_label_area_size(l.px(Y_AREA))
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(de)?;
    let (pw, ph) = chart.plotting_area().dim_in_pixel();
    let frame = PlotFrame {
        pixels: chart.plotting_area().get_pixel_range(),
        x_range: (x0, x1),
        y_range: (y0, y1),
        legend: legend_area.as_ref().map(|a| a.get_pixel_range()),
    };
    mesh(&mut chart, c, (x0, x1), pw, l)?;

    // Everything stays this far inside the plot area's edges.
    let dx = (x1 - x0) / f64::from(pw.max(1));
    let dy = (y1 - y0) / f64::from(ph.max(1));
    let marks = c.markers || c.series.iter().any(|s| s.points_only);
    let inset = inset_px(l.px(if marks { 15.0 } else { 2.0 }));
    let clip = Rect {
        x0: x0 + inset * dx,
        x1: x1 - inset * dx,
        y0: y0 + inset * dy,
        y1: y1 - inset * dy,
    };
    let area = chart.plotting_area().clone();
    for (i, (s, b)) in c.series.iter().zip(&bins).enumerate() {
        if let Some(b) = b {
            let col = colour(s.colour.unwrap_or(i)).mix(0.22).filled();
            draw_all(
                &area,
                band_polygons(b, &clip)
                    .into_iter()
                    .map(|p| Polygon::new(p, col)),
            )?;
        }
    }
    for (i, ((s, d), b)) in c.series.iter().zip(&data).zip(&bins).enumerate() {
        let col = colour(s.colour.unwrap_or(i));
        let inside = |p: &&(f64, f64)| clip.contains(**p);
        if s.points_only {
            let (size, w) = (l.pxi(12.0), l.px(5.0));
            let crosses = d.iter().filter(inside);
            draw_all(
                &area,
                crosses.map(|&p| Cross::new(p, size, col.stroke_width(w))),
            )?;
            continue;
        }
        let (runs, width) = match b {
            Some(b) => (mean_runs(b), l.px(3.0)),
            None => (vec![d.clone()], l.px(if d.len() > 200 { 2.0 } else { 4.0 })),
        };
        for run in &runs {
            for part in clip_polyline(run, &clip) {
                stroke(&area, &part, col, width, l)?;
            }
        }
        if c.markers {
            let r = l.px(7.0);
            draw_all(
                &area,
                d.iter()
                    .filter(inside)
                    .map(|&p| Circle::new(p, r, col.filled())),
            )?;
        }
        if cut.is_some() {
            // A mark every ~16 pixels where the series (or its band) goes above the cut.
            let step = 16.0 * dx * l.scale();
            let mut last = f64::NEG_INFINITY;
            let mut marks = Vec::new();
            let tops: Vec<(f64, f64)> = match &spreads[i] {
                Some(sp) => sp.iter().map(|p| (p.0, p.1.max(p.3))).collect(),
                None => d.clone(),
            };
            for p in tops
                .iter()
                .filter(|p| p.1 > clip.y1 && p.0 >= clip.x0 && p.0 <= clip.x1)
            {
                if p.0 - last >= step {
                    marks.push((p.0, clip.y1 - 6.0 * dy * l.scale()));
                    last = p.0;
                }
            }
            let size = l.pxi(9.0);
            draw_all(
                &area,
                marks
                    .into_iter()
                    .map(|p| TriangleMarker::new(p, size, col.filled())),
            )?;
        }
    }
    if let Some(pos) = inside {
        register(&mut chart, &entries, l)?;
        legend(&mut chart, pos, l)?;
    }
    if let (Some(a), Some((rows, left))) = (legend_area, strip) {
        draw_strip(&a, &entries, &rows, left, l)?;
    }
    Ok(frame)
}

/// The axes, grid and tick labels; log axes and categories thinned to what fits.
fn mesh<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    c: &LineChart,
    (x0, x1): (f64, f64),
    pw: u32,
    l: &Layout,
) -> anyhow::Result<()> {
    let max_labels = ((f64::from(pw) / f64::from(l.px(170.0))).floor() as usize).max(2);
    let cats = c.x_categories.clone();
    let (x_log, fmt) = (c.x_log, c.x_fmt);
    let every = |n: usize| n.div_ceil(max_labels).max(1);
    let cat_step = cats.as_ref().map_or(1, |cs| every(cs.len()));
    let log_step = every((x1 - x0).ceil() as usize + 1);
    let xf = move |v: &f64| -> String {
        let i = v.round();
        let whole = (v - i).abs() < 1e-6;
        if let Some(cs) = &cats {
            if whole && i >= 0.0 && (i as usize) < cs.len() && (i as usize).is_multiple_of(cat_step)
            {
                return cs[i as usize].clone();
            }
            return String::new();
        }
        if x_log {
            if whole && (i as i64).rem_euclid(log_step as i64) == 0 {
                return fmt(10f64.powi(i as i32));
            }
            return String::new();
        }
        fmt(*v)
    };
    let n_x = match (&c.x_categories, c.x_log) {
        (Some(cs), _) => cs.len(),
        (None, true) => (x1 - x0).ceil() as usize + 1,
        _ => 6,
    };
    chart
        .configure_mesh()
        .x_desc(&c.x_label)
        .y_desc(&c.y_label)
        .x_labels(n_x)
        .y_labels(6)
        .x_label_formatter(&xf)
        .y_label_formatter(&|v| plain(*v))
        .label_style(l.font(TICK))
        .axis_desc_style(l.font(LABEL))
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.12))
        .draw()
        .map_err(de)
}

/// Draws every element of `elements` on `area`.
fn draw_all<DB: DrawingBackend, E>(
    area: &PlotArea<DB>,
    elements: impl IntoIterator<Item = E>,
) -> anyhow::Result<()>
where
    for<'b> &'b E: PointCollection<'b, (f64, f64)>,
    E: Drawable<DB>,
{
    for e in elements {
        area.draw(&e).map_err(de)?;
    }
    Ok(())
}
