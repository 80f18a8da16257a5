//! Drawing [`StackedBars`] (a bar per category, split into stacked parts, with room
//! above the tallest bar for the legend) and [`Heatmap`]s (viridis cells with their
//! values written in them).

use super::chart::{colour, finite_range, plain, Heatmap, PlotFrame, StackedBars};
use super::de;
use super::layout::{Layout, LABEL, LEGEND, TICK};
use super::legend::{below_title, legend};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The label of category `v` when it is a whole index into `cats`, else empty.
fn category(cats: &[String], v: f64, step: usize) -> String {
    let i = v.round();
    if (v - i).abs() < 1e-6
        && i >= 0.0
        && (i as usize) < cats.len()
        && (i as usize).is_multiple_of(step)
    {
        cats[i as usize].clone()
    } else {
        String::new()
    }
}

pub(super) fn bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    b: &StackedBars,
    l: &Layout,
) -> anyhow::Result<PlotFrame> {
    let n = b.categories.len();
    anyhow::ensure!(n > 0 && !b.parts.is_empty(), "nothing to plot: no bars");
    let top = (0..n)
        .map(|i| b.parts.iter().map(|p| p.2[i].max(0.0)).sum::<f64>())
        .fold(0.0, f64::max);
    // Headroom for the legend above the bars.
    let top = if top > 0.0 {
        top * (1.15 + 0.1 * b.parts.len() as f64)
    } else {
        1.0
    };
    let body = below_title(root, &b.title, l)?;
    let mut chart = ChartBuilder::on(&body)
        .margin(l.px(18.0))
        .margin_right(l.px(36.0))
        .x_label_area_size(l.px(100.0))
        .y_label_area_size(l.px(140.0))
        .build_cartesian_2d(-0.5..n as f64 - 0.5, 0.0..top)
        .map_err(de)?;
    let frame = PlotFrame {
        pixels: chart.plotting_area().get_pixel_range(),
        x_range: (-0.5, n as f64 - 0.5),
        y_range: (0.0, top),
        legend: None,
    };
    let pw = chart.plotting_area().dim_in_pixel().0;
    // A label every `step` bars, so the widest (~0.62 em a character) never touch.
    let widest = b.categories.iter().map(|c| c.chars().count()).max();
    let label_px = (widest.unwrap_or(0) as f64 * 0.62 * TICK + 30.0).max(90.0);
    let step = n.div_ceil((f64::from(pw) / f64::from(l.px(label_px))).max(1.0) as usize);
    let cats = b.categories.clone();
    chart
        .configure_mesh()
        .x_desc(&b.x_label)
        .y_desc(&b.y_label)
        .x_labels(n.min(64))
        .y_labels(6)
        .x_label_formatter(&move |v| category(&cats, *v, step.max(1)))
        .y_label_formatter(&|v| plain(*v))
        .label_style(l.font(TICK))
        .axis_desc_style(l.font(LABEL))
        .disable_x_mesh()
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.12))
        .draw()
        .map_err(de)?;
    let mut base = vec![0.0; n];
    let (sw, sh) = (l.pxi(30.0), l.pxi(10.0));
    for (name, k, vals) in &b.parts {
        let col = colour(*k);
        let rects: Vec<Rectangle<(f64, f64)>> = (0..n)
            .map(|i| {
                let v = vals[i].max(0.0);
                let r = Rectangle::new(
                    [(i as f64 - 0.35, base[i]), (i as f64 + 0.35, base[i] + v)],
                    col.filled(),
                );
                base[i] += v;
                r
            })
            .collect();
        chart
            .draw_series(rects)
            .map_err(de)?
            .label(name.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - sh), (x + sw, y + sh)], col.filled()));
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight, l)?;
    Ok(frame)
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

pub(super) fn heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    h: &Heatmap,
    l: &Layout,
) -> anyhow::Result<PlotFrame> {
    let (nx, ny) = (h.xs.len(), h.ys.len());
    anyhow::ensure!(nx > 0 && ny > 0, "nothing to plot: an empty heatmap");
    let (lo, hi) = finite_range(h.values.iter().flatten().flatten().copied())
        .ok_or_else(|| anyhow::anyhow!("nothing to plot: no values"))?;
    // The title when drawn, else a line saying what the cells hold.
    let body = if h.title.is_some() && l.titles {
        below_title(root, &h.title, l)?
    } else {
        let (top, body) = root.split_vertically(l.px(70.0));
        top.draw(&Text::new(
            format!("Cells: {}", h.value_label),
            (l.pxi(150.0), l.pxi(15.0)),
            l.font(LABEL).into_font(),
        ))
        .map_err(de)?;
        body
    };
    let mut chart = ChartBuilder::on(&body)
        .margin(l.px(18.0))
        .margin_right(l.px(36.0))
        .x_label_area_size(l.px(100.0))
        .y_label_area_size(l.px(150.0))
        .build_cartesian_2d(-0.5..nx as f64 - 0.5, -0.5..ny as f64 - 0.5)
        .map_err(de)?;
    let frame = PlotFrame {
        pixels: chart.plotting_area().get_pixel_range(),
        x_range: (-0.5, nx as f64 - 0.5),
        y_range: (-0.5, ny as f64 - 0.5),
        legend: None,
    };
    let (xs, ys) = (h.xs.clone(), h.ys.clone());
    chart
        .configure_mesh()
        .x_desc(&h.x_label)
        .y_desc(&h.y_label)
        .x_labels(nx)
        .y_labels(ny)
        .x_label_formatter(&|v| category(&xs, *v, 1))
        .y_label_formatter(&|v| category(&ys, *v, 1))
        .label_style(l.font(TICK))
        .axis_desc_style(l.font(LABEL))
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
            let style = TextStyle::from(l.font(LEGEND).into_font())
                .color(&ink)
                .pos(Pos::new(HPos::Center, VPos::Center));
            chart
                .draw_series(std::iter::once(Text::new(
                    super::chart::short(*v),
                    (x, y),
                    style,
                )))
                .map_err(de)?;
        }
    }
    Ok(frame)
}
