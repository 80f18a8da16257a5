//! Figures of model against reference, drawn with plotters as SVG text and PNG files.
//! Text uses DejaVu Sans embedded in the binary (assets/fonts/DejaVuSans.ttf; Bitstream
//! Vera license in assets/fonts/DejaVuSans-LICENSE.txt), so the figures look the same
//! on every machine.

use super::Figure;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const SIZE: (u32, u32) = (900, 600);

fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // The embedded file is a valid TTF; if registration failed, text would be missing
        // from the figures but nothing else would break.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

fn err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow::anyhow!("drawing a figure: {e}")
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, f: &Figure) -> anyhow::Result<()> {
    register_font();
    root.fill(&WHITE).map_err(err)?;
    let pts = f.series.iter().flat_map(|s| s.points.iter());
    let xmax = pts.clone().map(|p| p.0).fold(0.0, f64::max).max(1e-9) * 1.05;
    let ymax = pts
        .map(|p| p.1)
        .filter(|y| y.is_finite())
        .fold(0.0, f64::max)
        .max(1e-9)
        * 1.15;
    let mut chart = ChartBuilder::on(root)
        .caption(&f.title, ("sans-serif", 24))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..xmax, 0f64..ymax)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(f.x_label.as_str())
        .y_desc(f.y_label.as_str())
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 17))
        .draw()
        .map_err(err)?;
    for (i, s) in f.series.iter().enumerate() {
        let color = match (i, s.line) {
            (0 | 1, true) => BLUE.to_rgba(),
            (0 | 1, false) => RED.to_rgba(),
            _ => Palette99::pick(i).to_rgba(),
        };
        if s.line {
            chart
                .draw_series(LineSeries::new(
                    s.points.iter().copied(),
                    color.stroke_width(2),
                ))
                .map_err(err)?
                .label(s.name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(2))
                });
            chart
                .draw_series(s.points.iter().map(|&p| Circle::new(p, 3, color.filled())))
                .map_err(err)?;
        } else {
            chart
                .draw_series(
                    s.points
                        .iter()
                        .map(|&p| Cross::new(p, 8, color.stroke_width(3))),
                )
                .map_err(err)?
                .label(s.name.as_str())
                .legend(move |(x, y)| Cross::new((x + 12, y), 6, color.stroke_width(3)));
        }
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 15))
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// The figure as SVG text.
pub fn svg(f: &Figure) -> anyhow::Result<String> {
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, SIZE).into_drawing_area();
        draw(&root, f)?;
    }
    Ok(s)
}

/// Draws the figure as PNG into `path`, through a temporary file renamed into place.
pub fn png(f: &Figure, path: &Path) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("figure.png");
    // The extension tells the encoder the format: keep ".png" last.
    let tmp = dir.join(format!(".{}.{name}", std::process::id()));
    {
        let root = BitMapBackend::new(&tmp, SIZE).into_drawing_area();
        draw(&root, f)?;
    }
    std::fs::rename(&tmp, path)
        .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", path.display()))
}
