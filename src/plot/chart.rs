//! The figure shapes every plot kind reduces to: line charts (linear or log x, numeric
//! or categorical), vertically stacked panels of line charts, stacked bars, and
//! annotated heatmaps; drawn on any plotters backend.

use super::de;
use super::legend::{emptiest_corner, legend, legend_share};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Font sizes in pixels at 300 dpi: ~8.6 pt labels, ~7.7 pt ticks and legends.
const LABEL: u32 = 36;
const TICK: u32 = 32;
pub(super) const LEGEND: u32 = 30;

/// Colour-blind-safe palette (Okabe and Ito, 2008).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
    RGBColor(240, 228, 66),
];

/// One named line, or a set of points (reference measurements drawn as crosses).
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// Crosses at the points and no line.
    pub points_only: bool,
}

impl Series {
    /// A line through `points`.
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
            points_only: false,
        }
    }

    /// Crosses at `points`, no line (measurements to compare a line against).
    pub fn points(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
            points_only: true,
        }
    }
}

/// A line chart.
#[derive(Debug, Clone)]
pub struct LineChart {
    /// A caption above the plot (paper figures leave it to the paper's caption).
    pub title: Option<String>,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    /// Logarithmic x axis (ticks at powers of ten); x values must be positive.
    pub x_log: bool,
    /// Tick label of an x value (a power of ten on a log axis).
    pub x_fmt: fn(f64) -> String,
    /// Categorical x: the points' x are indices into these labels.
    pub x_categories: Option<Vec<String>>,
    /// Fixed y range, else from the data (starting at 0 when all y >= 0).
    pub y_range: Option<(f64, f64)>,
    /// Draw a marker at every point (sparse data such as sweeps and MRCs).
    pub markers: bool,
}

impl Default for LineChart {
    /// An empty linear chart with plain tick labels.
    fn default() -> Self {
        LineChart {
            title: None,
            x_label: String::new(),
            y_label: String::new(),
            series: Vec::new(),
            x_log: false,
            x_fmt: plain,
            x_categories: None,
            y_range: None,
            markers: false,
        }
    }
}

/// Bars per category, each split into stacked parts.
#[derive(Debug, Clone)]
pub struct StackedBars {
    pub x_label: String,
    pub y_label: String,
    pub categories: Vec<String>,
    /// (part name, value per category), drawn bottom to top.
    pub parts: Vec<(String, Vec<f64>)>,
}

/// A grid of values with categorical axes.
#[derive(Debug, Clone)]
pub struct Heatmap {
    pub x_label: String,
    pub y_label: String,
    pub value_label: String,
    pub xs: Vec<String>,
    pub ys: Vec<String>,
    /// values[y][x]; None where no run has that pair.
    pub values: Vec<Vec<Option<f64>>>,
}

/// A figure to draw.
#[derive(Debug, Clone)]
pub enum Figure {
    Lines(LineChart),
    /// Panels stacked top to bottom, sharing the width.
    Panels(Vec<LineChart>),
    Bars(StackedBars),
    Heatmap(Heatmap),
}

/// The default tick label: up to 4 significant digits.
pub fn plain(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

impl Figure {
    /// Pixel size: 3.5 in wide at 300 dpi, height by shape.
    pub fn size(&self) -> (u32, u32) {
        match self {
            Figure::Panels(p) => (super::WIDTH, 620 * p.len().max(1) as u32),
            Figure::Heatmap(h) => (super::WIDTH, 300 + 90 * h.ys.len().clamp(3, 10) as u32),
            _ => (super::WIDTH, 790),
        }
    }

    /// Draws the figure on `root`.
    pub fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        root.fill(&WHITE).map_err(de)?;
        match self {
            Figure::Lines(c) => lines(root, c),
            Figure::Panels(ps) => {
                for (area, c) in root.split_evenly((ps.len(), 1)).iter().zip(ps) {
                    lines(area, c)?;
                }
                Ok(())
            }
            Figure::Bars(b) => bars(root, b),
            Figure::Heatmap(h) => heatmap(root, h),
        }
    }
}

fn finite_range(vals: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for v in vals.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    (lo <= hi).then_some((lo, hi))
}

fn lines<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &LineChart) -> anyhow::Result<()> {
    let tx = |x: f64| if c.x_log { x.log10() } else { x };
    let pts = |s: &Series| -> Vec<(f64, f64)> {
        s.points
            .iter()
            .filter(|(x, y)| y.is_finite() && (!c.x_log || *x > 0.0))
            .map(|&(x, y)| (tx(x), y))
            .collect()
    };
    let all: Vec<(f64, f64)> = c.series.iter().flat_map(pts).collect();
    if all.is_empty() {
        anyhow::bail!("nothing to plot: no data points");
    }
    let (mut x0, mut x1) = finite_range(all.iter().map(|p| p.0)).expect("points");
    if c.x_log {
        x0 = x0.floor();
        x1 = x1.ceil().max(x0 + 1.0);
    } else if let Some(cats) = &c.x_categories {
        x0 = -0.5;
        x1 = cats.len() as f64 - 0.5;
    } else if x0 == x1 {
        x0 -= 1.0;
        x1 += 1.0;
    }
    let (mut y0, mut y1) = c.y_range.unwrap_or_else(|| {
        let (lo, hi) = finite_range(all.iter().map(|p| p.1)).expect("points");
        let lo = if lo >= 0.0 { 0.0 } else { lo };
        (lo, hi + (hi - lo).abs() * 0.05)
    });
    if y0 == y1 {
        y0 -= 1.0;
        y1 += 1.0;
    }
    let with_legend = c.series.len() > 1 || !c.series.iter().all(|s| s.name.is_empty());
    let mut corner = SeriesLabelPosition::UpperRight;
    if with_legend {
        let share = legend_share(&c.series);
        let (pos, covered) = emptiest_corner(&all, (x0, x1), (y0, y1), share);
        corner = pos;
        if covered > 0 && c.y_range.is_none() {
            // No free corner: headroom above the data for the legend.
            y1 = y0 + (y1 - y0) / (1.0 - share.1);
            corner = SeriesLabelPosition::UpperRight;
        }
    }
    let mut builder = ChartBuilder::on(root);
    if let Some(t) = &c.title {
        builder.caption(t, ("sans-serif", LABEL));
    }
    let mut chart = builder
        .margin(18)
        .margin_right(36)
        .x_label_area_size(100)
        .y_label_area_size(140)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(de)?;
    let cats = c.x_categories.clone();
    let x_log = c.x_log;
    let fmt = c.x_fmt;
    let xf = move |v: &f64| -> String {
        if let Some(cs) = &cats {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < cs.len() {
                return cs[i as usize].clone();
            }
            return String::new();
        }
        if x_log {
            let i = v.round();
            if (v - i).abs() < 1e-6 {
                return fmt(10f64.powi(i as i32));
            }
            return String::new();
        }
        fmt(*v)
    };
    let n_x = match (&c.x_categories, c.x_log) {
        (Some(cs), _) => cs.len(),
        (None, true) => (x1 - x0) as usize + 1,
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
        .label_style(("sans-serif", TICK))
        .axis_desc_style(("sans-serif", LABEL))
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.12))
        .draw()
        .map_err(de)?;
    for (i, s) in c.series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let p = pts(s);
        if s.points_only {
            chart
                .draw_series(
                    p.iter()
                        .map(|&xy| Cross::new(xy, 12, colour.stroke_width(5))),
                )
                .map_err(de)?
                .label(s.name.clone())
                .legend(move |(x, y)| Cross::new((x + 20, y), 10, colour.stroke_width(5)));
            continue;
        }
        // Dense series (time series) get thinner lines.
        let width = if p.len() > 200 { 2 } else { 4 };
        chart
            .draw_series(LineSeries::new(p.clone(), colour.stroke_width(width)))
            .map_err(de)?
            .label(s.name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 40, y)], colour.stroke_width(4))
            });
        if c.markers {
            chart
                .draw_series(p.iter().map(|&xy| Circle::new(xy, 7, colour.filled())))
                .map_err(de)?;
        }
    }
    if with_legend {
        legend(&mut chart, corner)?;
    }
    Ok(())
}

fn bars<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, b: &StackedBars) -> anyhow::Result<()> {
    let n = b.categories.len();
    anyhow::ensure!(n > 0 && !b.parts.is_empty(), "nothing to plot: no bars");
    let top = (0..n)
        .map(|i| b.parts.iter().map(|(_, v)| v[i].max(0.0)).sum::<f64>())
        .fold(0.0, f64::max);
    // Headroom for the legend above the bars.
    let top = if top > 0.0 {
        top * (1.15 + 0.1 * b.parts.len() as f64)
    } else {
        1.0
    };
    let mut chart = ChartBuilder::on(root)
        .margin(18)
        .margin_right(36)
        .x_label_area_size(100)
        .y_label_area_size(140)
        .build_cartesian_2d(-0.5..n as f64 - 0.5, 0.0..top)
        .map_err(de)?;
    let cats = b.categories.clone();
    chart
        .configure_mesh()
        .x_desc(&b.x_label)
        .y_desc(&b.y_label)
        .x_labels(n.min(16))
        .y_labels(6)
        .x_label_formatter(&move |v| {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < cats.len() {
                cats[i as usize].clone()
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|v| plain(*v))
        .label_style(("sans-serif", TICK))
        .axis_desc_style(("sans-serif", LABEL))
        .disable_x_mesh()
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.12))
        .draw()
        .map_err(de)?;
    let mut base = vec![0.0; n];
    for (k, (name, vals)) in b.parts.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        let rects: Vec<Rectangle<(f64, f64)>> = (0..n)
            .map(|i| {
                let v = vals[i].max(0.0);
                let r = Rectangle::new(
                    [(i as f64 - 0.35, base[i]), (i as f64 + 0.35, base[i] + v)],
                    colour.filled(),
                );
                base[i] += v;
                r
            })
            .collect();
        chart
            .draw_series(rects)
            .map_err(de)?
            .label(name.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 10), (x + 30, y + 10)], colour.filled()));
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// Viridis, interpolated between 5 of its anchor colours; t in [0, 1].
pub fn viridis(t: f64) -> RGBColor {
    const A: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    } * 4.0;
    let i = (t.floor() as usize).min(3);
    let f = t - i as f64;
    let mix = |a: f64, b: f64| (a + (b - a) * f).round() as u8;
    RGBColor(
        mix(A[i].0, A[i + 1].0),
        mix(A[i].1, A[i + 1].1),
        mix(A[i].2, A[i + 1].2),
    )
}

fn heatmap<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, h: &Heatmap) -> anyhow::Result<()> {
    let (nx, ny) = (h.xs.len(), h.ys.len());
    anyhow::ensure!(nx > 0 && ny > 0, "nothing to plot: an empty heatmap");
    let (lo, hi) = finite_range(h.values.iter().flatten().flatten().copied())
        .ok_or_else(|| anyhow::anyhow!("nothing to plot: no values"))?;
    let (title, body) = root.split_vertically(70);
    title
        .draw(&Text::new(
            h.value_label.clone(),
            (150, 15),
            ("sans-serif", LABEL).into_font(),
        ))
        .map_err(de)?;
    let mut chart = ChartBuilder::on(&body)
        .margin(18)
        .margin_right(36)
        .x_label_area_size(100)
        .y_label_area_size(150)
        .build_cartesian_2d(-0.5..nx as f64 - 0.5, -0.5..ny as f64 - 0.5)
        .map_err(de)?;
    let (xs, ys) = (h.xs.clone(), h.ys.clone());
    let cat = |c: &[String], v: f64| {
        let i = v.round();
        if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < c.len() {
            c[i as usize].clone()
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .x_desc(&h.x_label)
        .y_desc(&h.y_label)
        .x_labels(nx)
        .y_labels(ny)
        .x_label_formatter(&|v| cat(&xs, *v))
        .y_label_formatter(&|v| cat(&ys, *v))
        .label_style(("sans-serif", TICK))
        .axis_desc_style(("sans-serif", LABEL))
        .disable_mesh()
        .draw()
        .map_err(de)?;
    let span = if hi > lo { hi - lo } else { 1.0 };
    for (yi, row) in h.values.iter().enumerate() {
        for (xi, v) in row.iter().enumerate() {
            let Some(v) = v else { continue };
            let t = (v - lo) / span;
            let (x, y) = (xi as f64, yi as f64);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                    viridis(t).filled(),
                )))
                .map_err(de)?;
            let ink = if t > 0.6 { BLACK } else { WHITE };
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("{:.3}", v)
                        .trim_end_matches('0')
                        .trim_end_matches('.')
                        .to_string(),
                    (x - 0.25, y + 0.1),
                    ("sans-serif", LEGEND).into_font().color(&ink),
                )))
                .map_err(de)?;
        }
    }
    Ok(())
}
