//! Legend placement for line charts: a box sized by the longest series name, put in
//! the corner of the plot that covers the fewest data points.

use super::chart::{Series, LEGEND};
use super::de;
use plotters::coord::{cartesian::Cartesian2d, types::RangedCoordf64};
use plotters::prelude::*;

/// The legend box as shares of the plot area (width, height): wide enough for the
/// longest name at about 0.55 em a character, tall enough for every entry.
pub(super) fn legend_share(series: &[Series]) -> (f64, f64) {
    let chars = series
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0);
    let plot_px = f64::from(super::WIDTH - 140 - 54);
    let w = ((chars as f64 * 0.55 * f64::from(LEGEND) + 80.0) / plot_px).clamp(0.2, 1.0);
    let h = (0.1 + 0.08 * series.len() as f64).min(0.6);
    (w, h)
}

/// The corner whose legend box covers the fewest data points (upper right on ties),
/// and how many it covers.
pub(super) fn emptiest_corner(
    pts: &[(f64, f64)],
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
    (w, h): (f64, f64),
) -> (SeriesLabelPosition, usize) {
    let corners = [
        (SeriesLabelPosition::UpperRight, true, true),
        (SeriesLabelPosition::UpperLeft, false, true),
        (SeriesLabelPosition::LowerRight, true, false),
        (SeriesLabelPosition::LowerLeft, false, false),
    ];
    let mut best = (SeriesLabelPosition::UpperRight, usize::MAX);
    for (pos, right, upper) in corners {
        let n = pts
            .iter()
            .filter(|(x, y)| {
                let fx = (x - x0) / (x1 - x0);
                let fy = (y - y0) / (y1 - y0);
                let in_x = if right { fx >= 1.0 - w } else { fx <= w };
                let in_y = if upper { fy >= 1.0 - h } else { fy <= h };
                in_x && in_y
            })
            .count();
        if n < best.1 {
            best = (pos, n);
        }
    }
    best
}

/// Draws the legend box of a chart at `position`.
pub(super) fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    position: SeriesLabelPosition,
) -> anyhow::Result<()> {
    chart
        .configure_series_labels()
        .legend_area_size(56)
        .label_font(("sans-serif", LEGEND))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .position(position)
        .draw()
        .map_err(de)
}
