//! Legends and titles. A line chart's legend goes in the corner of the plot that
//! covers no data point; when every corner would cover some, it goes in a strip
//! above the plot, entries side by side, so it never hides data nor squeezes the
//! y range. Entries are the named series and notes on how the data were drawn
//! (bins, a cut axis).

use super::de;
use super::layout::{Layout, LABEL, LEGEND};
use plotters::coord::{cartesian::Cartesian2d, types::RangedCoordf64, Shift};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// What a legend entry's swatch shows.
#[derive(Clone, Copy, Debug)]
pub(super) enum Swatch {
    /// A line of this colour and width.
    Line(RGBColor, u32),
    /// A light band of this colour with a line of this width through it (a mean and
    /// its min-max).
    Band(RGBColor, u32),
    /// A cross (points-only series).
    Cross(RGBColor),
    /// An upward triangle (values above a cut axis).
    Triangle(RGBColor),
}

/// One legend entry.
#[derive(Clone, Debug)]
pub(super) struct Entry {
    pub text: String,
    pub swatch: Swatch,
}

/// Swatch length in design pixels, and the gap before its text.
const SWATCH: f64 = 40.0;
const GAP: f64 = 12.0;

/// The legend box as shares of the plot area (width, height): wide enough for the
/// longest entry at about 0.55 em a character, tall enough for every entry.
pub(super) fn legend_share(entries: &[Entry], plot_px: (u32, u32), layout: &Layout) -> (f64, f64) {
    let chars = entries
        .iter()
        .map(|e| e.text.chars().count())
        .max()
        .unwrap_or(0);
    let font = f64::from(layout.px(LEGEND));
    let (w_px, h_px) = (f64::from(plot_px.0.max(1)), f64::from(plot_px.1.max(1)));
    let w = ((chars as f64 * 0.55 * font + f64::from(layout.px(80.0))) / w_px).clamp(0.2, 1.0);
    let h = ((entries.len() as f64 * font * 1.45 + f64::from(layout.px(40.0))) / h_px).min(1.0);
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

/// Registers `entries` with the chart, for [`legend`] to draw inside the plot.
pub(super) fn register<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    entries: &[Entry],
    l: &Layout,
) -> anyhow::Result<()> {
    let (len, half, size) = (l.pxi(SWATCH), l.pxi(9.0), l.pxi(10.0));
    for e in entries {
        let anno = chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), u32>>())
            .map_err(de)?
            .label(e.text.clone());
        match e.swatch {
            Swatch::Line(c, w) => anno.legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + len, y)], c.stroke_width(w))
            }),
            Swatch::Band(c, w) => anno.legend(move |(x, y)| {
                EmptyElement::at((x, y))
                    + Rectangle::new([(0, -half), (len, half)], c.mix(0.3).filled())
                    + PathElement::new(vec![(0, 0), (len, 0)], c.stroke_width(w))
            }),
            Swatch::Cross(c) => {
                let w = l.px(5.0);
                anno.legend(move |(x, y)| Cross::new((x + len / 2, y), size, c.stroke_width(w)))
            }
            Swatch::Triangle(c) => {
                anno.legend(move |(x, y)| TriangleMarker::new((x + len / 2, y), half, c.filled()))
            }
        };
    }
    Ok(())
}

/// Draws the registered legend of a chart inside its plot, at `position`.
pub(super) fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    position: SeriesLabelPosition,
    layout: &Layout,
) -> anyhow::Result<()> {
    chart
        .configure_series_labels()
        .legend_area_size(layout.px(56.0))
        .margin(layout.px(10.0))
        .label_font(layout.font(LEGEND))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .position(position)
        .draw()
        .map_err(de)
}

/// Entries packed into rows of a strip `width` pixels wide: the indices per row.
pub(super) fn strip_rows<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    width: u32,
    l: &Layout,
) -> Vec<Vec<usize>> {
    let font = TextStyle::from(l.font(LEGEND).into_font());
    let mut rows: Vec<Vec<usize>> = vec![Vec::new()];
    let mut used = 0u32;
    for (i, e) in entries.iter().enumerate() {
        let text = area
            .estimate_text_size(&e.text, &font)
            .map(|s| s.0)
            .unwrap_or((e.text.chars().count() as f64 * 0.6 * f64::from(l.px(LEGEND))) as u32);
        let w = l.px(SWATCH + GAP + 36.0) + text;
        if used > 0 && used + w > width {
            rows.push(Vec::new());
            used = 0;
        }
        rows.last_mut().expect("a row").push(i);
        used += w;
    }
    rows
}

/// The height of a legend strip of `rows` rows.
pub(super) fn strip_px(rows: usize, l: &Layout) -> u32 {
    l.px(LEGEND * 1.5) * rows as u32 + l.px(12.0)
}

/// Draws the legend strip: `rows` of entries from `left`, centred in each row's height.
pub(super) fn draw_strip<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    rows: &[Vec<usize>],
    left: i32,
    l: &Layout,
) -> anyhow::Result<()> {
    let font = TextStyle::from(l.font(LEGEND).into_font());
    let row_h = l.pxi(LEGEND * 1.5);
    let (len, half) = (l.pxi(SWATCH), l.pxi(9.0));
    for (r, row) in rows.iter().enumerate() {
        let y = l.pxi(6.0) + row_h * r as i32 + row_h / 2;
        let mut x = left;
        for &i in row {
            let e = &entries[i];
            match e.swatch {
                Swatch::Line(c, w) => area.draw(&PathElement::new(
                    vec![(x, y), (x + len, y)],
                    c.stroke_width(w),
                )),
                Swatch::Band(c, w) => area
                    .draw(&Rectangle::new(
                        [(x, y - half), (x + len, y + half)],
                        c.mix(0.3).filled(),
                    ))
                    .and_then(|_| {
                        area.draw(&PathElement::new(
                            vec![(x, y), (x + len, y)],
                            c.stroke_width(w),
                        ))
                    }),
                Swatch::Cross(c) => area.draw(&Cross::new(
                    (x + len / 2, y),
                    l.pxi(10.0),
                    c.stroke_width(l.px(5.0)),
                )),
                Swatch::Triangle(c) => {
                    area.draw(&TriangleMarker::new((x + len / 2, y), half, c.filled()))
                }
            }
            .map_err(de)?;
            let tx = x + len + l.pxi(GAP);
            let style = font.pos(Pos::new(HPos::Left, VPos::Center));
            area.draw(&Text::new(e.text.clone(), (tx, y), style))
                .map_err(de)?;
            let w = area
                .estimate_text_size(&e.text, &font)
                .map(|s| s.0 as i32)
                .unwrap_or(0);
            x = tx + w + l.pxi(36.0);
        }
    }
    Ok(())
}

/// Draws `title` centred at the top of `root` (when there is one and titles are on)
/// and returns the area below it.
pub(super) fn below_title<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &Option<String>,
    l: &Layout,
) -> anyhow::Result<DrawingArea<DB, Shift>> {
    let Some(t) = title.as_ref().filter(|_| l.titles) else {
        return Ok(root.clone());
    };
    let (top, rest) = root.split_vertically(l.title_px());
    let (w, h) = top.dim_in_pixel();
    let style =
        TextStyle::from(l.font(LABEL).into_font()).pos(Pos::new(HPos::Center, VPos::Center));
    top.draw(&Text::new(
        t.clone(),
        (w as i32 / 2, h as i32 / 2 + l.pxi(4.0)),
        style,
    ))
    .map_err(de)?;
    Ok(rest)
}
