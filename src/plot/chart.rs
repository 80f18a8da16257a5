//! The figure shapes every plot kind reduces to: line charts (linear or log x, numeric
//! or categorical), vertically stacked panels of line charts, stacked bars, and
//! annotated heatmaps; drawn on any plotters backend by [`super::lines`] and
//! [`super::bars`]. Each drawing reports where its plot area landed ([`PlotFrame`]),
//! so tests can check that nothing is drawn outside it.

use super::layout::Layout;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Colour-blind-safe palette (Okabe and Ito, 2008). A series' colour is chosen by its
/// name's place in the run (tier order, histogram order, phase), not by its place in
/// one figure, so a tier keeps its colour in every figure of a run.
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

/// The palette colour `k` (wrapping round).
pub fn colour(k: usize) -> RGBColor {
    PALETTE[k % PALETTE.len()]
}

/// One named line, or a set of points (reference measurements drawn as crosses).
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// Crosses at the points and no line.
    pub points_only: bool,
    /// Palette index; the series' position in the chart when None.
    pub colour: Option<usize>,
    /// A band around the line: what the legend calls it and (low, high) at each point
    /// (the spread of the values the line summarises, such as min-max across nodes).
    pub spread: Option<(String, Vec<(f64, f64)>)>,
}

impl Series {
    /// A line through `points`.
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
            points_only: false,
            colour: None,
            spread: None,
        }
    }

    /// Crosses at `points`, no line (measurements to compare a line against).
    pub fn points(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            points_only: true,
            ..Series::line(name, points)
        }
    }

    /// The same line with a band from `bounds[i].0` to `bounds[i].1` at point i,
    /// named `label` in the legend. A long series is binned with its band: the mean of
    /// the line, the lowest low and highest high per bin.
    pub fn with_spread(self, label: impl Into<String>, bounds: Vec<(f64, f64)>) -> Self {
        Series {
            spread: Some((label.into(), bounds)),
            ..self
        }
    }

    /// The same series in palette colour `k`.
    pub fn coloured(self, k: usize) -> Self {
        Series {
            colour: Some(k),
            ..self
        }
    }
}

/// A line chart.
#[derive(Debug, Clone)]
pub struct LineChart {
    /// A caption above the plot (left out with `Layout::titles` off).
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
    /// The x range shown (a window); points outside are clipped. From the data when None.
    pub x_range: Option<(f64, f64)>,
    /// The y range shown; points outside are clipped, and where a series goes above
    /// it the top edge is marked as for a percentile cut. From the data when None
    /// (starting at 0 when all y >= 0). Either way padded by 4% each side.
    pub y_range: Option<(f64, f64)>,
    /// Cut the y axis at this percentile of the shown values (when y_range is None);
    /// where a series goes above, a mark is drawn at the top edge, and the legend
    /// says so with the maximum.
    pub y_percentile: Option<f64>,
    /// Draw a marker at every point (sparse data such as sweeps and MRCs).
    pub markers: bool,
    /// Draw a series with more points than the plot has bins (one per 4 pixels) as
    /// the mean per bin with a min-max band; the legend states the bin width.
    pub bin_dense: bool,
    /// The bin width of a dense series, in x units [default: 4 pixels' worth].
    pub bin_width: Option<f64>,
    /// Unit of x, for the bin width in the legend ("s").
    pub x_unit: String,
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
            x_range: None,
            y_range: None,
            y_percentile: None,
            markers: false,
            bin_dense: false,
            bin_width: None,
            x_unit: String::new(),
        }
    }
}

/// Bars per category, each split into stacked parts.
#[derive(Debug, Clone)]
pub struct StackedBars {
    pub title: Option<String>,
    pub x_label: String,
    pub y_label: String,
    pub categories: Vec<String>,
    /// (part name, palette index, value per category), drawn bottom to top.
    pub parts: Vec<(String, usize, Vec<f64>)>,
}

/// A grid of values with categorical axes.
#[derive(Debug, Clone)]
pub struct Heatmap {
    pub title: Option<String>,
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

/// Where a plot area landed, in the figure's pixels, and the ranges it shows.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotFrame {
    /// Columns x0..x1 and rows y0..y1 (end exclusive) of the plot area.
    pub pixels: (std::ops::Range<i32>, std::ops::Range<i32>),
    /// The x range of the axis (log10 of x on a log axis).
    pub x_range: (f64, f64),
    /// The y range of the axis.
    pub y_range: (f64, f64),
    /// Where the legend strip above the plot landed, when the legend is there.
    pub legend: Option<(std::ops::Range<i32>, std::ops::Range<i32>)>,
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

/// `v` with 3 significant digits (legend notes such as a bin width).
pub fn short(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return plain(v);
    }
    let digits = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').into()
    } else {
        s
    }
}

/// Design heights at 300 dpi (titles add [`super::layout::TITLE_SPACE`] each).
const LINES_H: f64 = 790.0;
const PANEL_H: f64 = 620.0;

impl Figure {
    /// Pixel size under `layout`: its width, height by shape (plus the titles).
    pub fn size(&self, layout: &Layout) -> (u32, u32) {
        let h = match self {
            Figure::Lines(c) => layout.px(LINES_H) + title_px(&c.title, layout),
            Figure::Bars(b) => layout.px(LINES_H) + title_px(&b.title, layout),
            Figure::Panels(p) => p.iter().map(|c| panel_px(c, layout)).sum::<u32>().max(1),
            Figure::Heatmap(h) => {
                // The title, when drawn, takes the place of the line naming the cells.
                let head = title_px(&h.title, layout).max(layout.px(70.0));
                layout.px(230.0 + 90.0 * h.ys.len().clamp(3, 10) as f64) + head
            }
        };
        (layout.width_px(), h)
    }

    /// The figure without its titles.
    pub fn untitled(mut self) -> Figure {
        match &mut self {
            Figure::Lines(c) => c.title = None,
            Figure::Panels(ps) => ps.iter_mut().for_each(|c| c.title = None),
            Figure::Bars(b) => b.title = None,
            Figure::Heatmap(h) => h.title = None,
        }
        self
    }

    /// The figure with `title` (on its first panel).
    pub fn titled(mut self, title: &str) -> Figure {
        let t = Some(title.to_string());
        match &mut self {
            Figure::Lines(c) => c.title = t,
            Figure::Panels(ps) => {
                if let Some(c) = ps.first_mut() {
                    c.title = t
                }
            }
            Figure::Bars(b) => b.title = t,
            Figure::Heatmap(h) => h.title = t,
        }
        self
    }

    /// Draws the figure on `root` (of [`Self::size`]) and returns its plot areas.
    pub fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        layout: &Layout,
    ) -> anyhow::Result<Vec<PlotFrame>> {
        root.fill(&WHITE).map_err(super::de)?;
        match self {
            Figure::Lines(c) => Ok(vec![super::lines::draw(root, c, layout)?]),
            Figure::Panels(ps) => {
                let mut frames = Vec::new();
                let mut rest = root.clone();
                for c in ps {
                    let (panel, below) = rest.split_vertically(panel_px(c, layout));
                    frames.push(super::lines::draw(&panel, c, layout)?);
                    rest = below;
                }
                Ok(frames)
            }
            Figure::Bars(b) => Ok(vec![super::bars::bars(root, b, layout)?]),
            Figure::Heatmap(h) => Ok(vec![super::bars::heatmap(root, h, layout)?]),
        }
    }
}

/// The height a title takes under `layout` (none when absent or titles are off).
fn title_px(title: &Option<String>, layout: &Layout) -> u32 {
    if title.is_some() {
        layout.title_px()
    } else {
        0
    }
}

/// The height of one panel of a [`Figure::Panels`].
fn panel_px(c: &LineChart, layout: &Layout) -> u32 {
    layout.px(PANEL_H) + title_px(&c.title, layout)
}

/// The smallest and largest finite values, or None.
pub(super) fn finite_range(vals: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for v in vals.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    (lo <= hi).then_some((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_keeps_three_significant_digits() {
        assert_eq!(short(32.768), "32.8");
        assert_eq!(short(4.096), "4.1");
        assert_eq!(short(0.0123456), "0.0123");
        assert_eq!(short(1234.0), "1234");
        assert_eq!(short(100.0), "100");
    }
}
