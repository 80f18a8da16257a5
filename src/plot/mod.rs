//! Paper-ready figures with plotters, PNG or SVG by the output file's extension,
//! rendered headless with an embedded font (DejaVu Sans, assets/fonts/, Bitstream Vera
//! licence). Sized for a paper ([`layout`]): one column (3.5 in) or two (7 in) at
//! 300 dpi by default, fonts of about 8-9 pt at that size; the PNG records its
//! resolution and the SVG its size in inches, so both go into a paper at their size.
//! Every series is clipped to its plot area ([`stroke`]). The kinds read only result
//! files: [`mrc`] (replay CSV), [`latency`] (latency_cdf.csv), [`timeseries`]
//! (timeseries.csv), [`stall`] (training_ranks.csv), [`runs`] (a sweep's runs.csv),
//! and of clusters and several jobs: [`job_stall`] (jobs.csv and each job's
//! training_epochs.csv), [`node_nic`] (nodes.csv and timeseries.csv), [`node_served`]
//! (nodes.csv); and of faults: [`fault_throughput`] (timeseries.csv and faults.csv).

mod bars;
pub mod chart;
pub mod fault_throughput;
pub mod job_stall;
pub mod latency;
pub mod layout;
mod legend;
mod lines;
pub mod mrc;
pub mod node_nic;
pub mod node_served;
mod png;
pub mod run_files;
pub mod runs;
pub mod stall;
pub mod stroke;
pub mod timeseries;

pub use chart::{Figure, Heatmap, LineChart, PlotFrame, Series, StackedBars};
pub use layout::{Layout, Target, Width};
pub use lines::percentile;

use crate::atomic::{write_atomic, AtomicFile};
use plotters::prelude::*;
use serde::de::DeserializeOwned;
use std::path::Path;

/// The embedded font, registered as "sans-serif".
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Registers the embedded font (once).
pub fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_err() {
            panic!("the embedded font does not parse");
        }
    });
}

/// Width of a one-column figure in pixels at 300 dpi: 3.5 in.
pub const WIDTH: u32 = 1050;

/// Turns a plotters error into an anyhow error.
pub(crate) fn de<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow::anyhow!("drawing failed: {e:?}")
}

/// Writes the figure to `out` with the default layout (one column, 300 dpi, titles).
pub fn save(fig: &Figure, out: &Path) -> anyhow::Result<()> {
    save_with(fig, out, &Layout::default())
}

/// Writes the figure to `out`: `.png` (RGB bitmap at the layout's dpi) or `.svg`
/// (sized in inches), atomically.
pub fn save_with(fig: &Figure, out: &Path, layout: &Layout) -> anyhow::Result<()> {
    let ext = out
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_default();
    let cannot = |e: std::io::Error| anyhow::anyhow!("cannot write {e}");
    match ext.as_str() {
        "svg" => write_atomic(out, svg(fig, layout, SvgSize::Inches)?.as_bytes()).map_err(cannot),
        "png" => {
            register_font();
            let layout = layout.on(Target::Bitmap);
            // The encoder writes by path and picks the format from the extension.
            let file = AtomicFile::create_keeping_extension(out).map_err(cannot)?;
            {
                let root =
                    BitMapBackend::new(file.temp_path(), fig.size(&layout)).into_drawing_area();
                fig.draw(&root, &layout)?;
                root.present().map_err(de)?;
            }
            let bytes = std::fs::read(file.temp_path()).map_err(cannot)?;
            std::fs::write(file.temp_path(), png::with_dpi(&bytes, layout.dpi)).map_err(cannot)?;
            file.commit().map_err(cannot)
        }
        _ => anyhow::bail!("{}: the output must end in .png or .svg", out.display()),
    }
}

/// How an SVG states its size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SvgSize {
    /// Width and height in inches (a file for a paper).
    Inches,
    /// No fixed size: it fills the width of its container (inline in a web page).
    Fluid,
}

/// The figure as SVG text. Lines get round joins and caps, so a stroke stays within
/// half its width of its (clipped) path.
pub fn svg(fig: &Figure, layout: &Layout, size: SvgSize) -> anyhow::Result<String> {
    register_font();
    let layout = layout.on(Target::Vector);
    let (w, h) = fig.size(&layout);
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, (w, h)).into_drawing_area();
        fig.draw(&root, &layout)?;
        root.present().map_err(de)?;
    }
    let head = format!("<svg width=\"{w}\" height=\"{h}\" ");
    let sized = match size {
        SvgSize::Inches => {
            let inch = |p: u32| format!("{:.3}in", f64::from(p) / f64::from(layout.dpi));
            format!("<svg width=\"{}\" height=\"{}\" ", inch(w), inch(h))
        }
        SvgSize::Fluid => "<svg class=\"figure\" ".to_string(),
    };
    anyhow::ensure!(s.starts_with(&head), "unexpected SVG header");
    Ok(sized
        + &s[head.len()..].replace(
            "<polyline fill=\"none\"",
            "<polyline fill=\"none\" stroke-linejoin=\"round\" stroke-linecap=\"round\"",
        ))
}

/// A figure rendered to pixels.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub width: u32,
    pub height: u32,
    /// RGB, row by row.
    pub rgb: Vec<u8>,
    /// Where each plot area landed.
    pub frames: Vec<PlotFrame>,
}

/// Renders the figure into RGB pixels, as the PNG would be.
pub fn render(fig: &Figure, layout: &Layout) -> anyhow::Result<Rendered> {
    register_font();
    let layout = layout.on(Target::Bitmap);
    let (w, h) = fig.size(&layout);
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    let frames = {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        let frames = fig.draw(&root, &layout)?;
        root.present().map_err(de)?;
        frames
    };
    Ok(Rendered {
        width: w,
        height: h,
        rgb,
        frames,
    })
}

/// Renders the figure with the default layout into an RGB buffer (width, height,
/// pixels), as the PNG would be.
pub fn render_rgb(fig: &Figure) -> anyhow::Result<(u32, u32, Vec<u8>)> {
    let r = render(fig, &Layout::default())?;
    Ok((r.width, r.height, r.rgb))
}

/// Reads a CSV file of a fixed shape into rows of `T`, matched by column name (extra
/// columns are ignored); a missing column or a bad cell names the file and line.
pub fn read_rows<T: DeserializeOwned>(path: &Path) -> anyhow::Result<Vec<T>> {
    let mut r = csv::Reader::from_path(path)
        .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", path.display()))?;
    let header = r
        .headers()
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        .clone();
    let mut rows = Vec::new();
    for (i, row) in r.deserialize().enumerate() {
        rows.push(row.map_err(|e: csv::Error| {
            let msg = match e.kind() {
                csv::ErrorKind::Deserialize { err, .. } => err.to_string(),
                _ => e.to_string(),
            };
            let cols: Vec<&str> = header.iter().collect();
            anyhow::anyhow!(
                "{}: line {}: {msg} (columns: {})",
                path.display(),
                i + 2,
                cols.join(", ")
            )
        })?);
    }
    Ok(rows)
}

/// Reads a CSV file into its header and rows of strings (for tables whose columns
/// the user names, such as runs.csv).
pub fn read_csv(path: &Path) -> anyhow::Result<(Vec<String>, Vec<Vec<String>>)> {
    let mut r = csv::Reader::from_path(path)
        .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", path.display()))?;
    let header: Vec<String> = r
        .headers()
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| anyhow::anyhow!("{}: line {}: {e}", path.display(), i + 2))?;
        rows.push(rec.iter().map(str::to_string).collect());
    }
    Ok((header, rows))
}

/// The index of column `name`, or an error listing the columns there are.
pub fn column(path: &Path, header: &[String], name: &str) -> anyhow::Result<usize> {
    header.iter().position(|h| h == name).ok_or_else(|| {
        anyhow::anyhow!(
            "{}: no column '{name}'; columns: {}",
            path.display(),
            header.join(", ")
        )
    })
}

/// Parses cell `row[col]` as a number, naming the file, line and column on failure.
pub fn number(
    path: &Path,
    line: usize,
    header: &[String],
    row: &[String],
    col: usize,
) -> anyhow::Result<f64> {
    row[col].trim().parse::<f64>().map_err(|_| {
        anyhow::anyhow!(
            "{}: line {}: column '{}': '{}' is not a number",
            path.display(),
            line,
            header[col],
            row[col]
        )
    })
}

/// `dir/name` when `input` is a folder (a run folder), else `input` itself.
pub fn in_run_dir(input: &Path, name: &str) -> std::path::PathBuf {
    if input.is_dir() {
        input.join(name)
    } else {
        input.to_path_buf()
    }
}
