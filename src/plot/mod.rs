//! Paper-ready figures with plotters, PNG or SVG by the output file's extension,
//! rendered headless with an embedded font (DejaVu Sans, assets/fonts/, Bitstream Vera
//! licence). Sized for one paper column: 3.5 in wide at 300 dpi (1050 px), with fonts
//! of about 8-9 pt at that size. The kinds read only result files:
//! [`mrc`] (replay CSV), [`latency`] (latency_cdf.csv), [`timeseries`]
//! (timeseries.csv), [`stall`] (training_ranks.csv), [`runs`] (a sweep's runs.csv).

pub mod chart;
pub mod latency;
mod legend;
pub mod mrc;
pub mod runs;
pub mod stall;
pub mod timeseries;

pub use chart::{Figure, Heatmap, LineChart, Series, StackedBars};

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

/// Width of a figure in pixels: 3.5 in at 300 dpi.
pub const WIDTH: u32 = 1050;

/// Turns a plotters error into an anyhow error.
pub(crate) fn de<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow::anyhow!("drawing failed: {e:?}")
}

/// Writes the figure to `out`: `.png` (RGB bitmap) or `.svg`, atomically.
pub fn save(fig: &Figure, out: &Path) -> anyhow::Result<()> {
    register_font();
    let size = fig.size();
    let ext = out
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_default();
    let cannot = |e: std::io::Error| anyhow::anyhow!("cannot write {e}");
    match ext.as_str() {
        "svg" => {
            let mut s = String::new();
            {
                let root = SVGBackend::with_string(&mut s, size).into_drawing_area();
                fig.draw(&root)?;
                root.present().map_err(de)?;
            }
            write_atomic(out, s.as_bytes()).map_err(cannot)
        }
        "png" => {
            // The encoder writes by path and picks the format from the extension.
            let file = AtomicFile::create_keeping_extension(out).map_err(cannot)?;
            {
                let root = BitMapBackend::new(file.temp_path(), size).into_drawing_area();
                fig.draw(&root)?;
                root.present().map_err(de)?;
            }
            file.commit().map_err(cannot)
        }
        _ => anyhow::bail!("{}: the output must end in .png or .svg", out.display()),
    }
}

/// Renders the figure into an RGB buffer (width, height, pixels), as the PNG would be.
pub fn render_rgb(fig: &Figure) -> anyhow::Result<(u32, u32, Vec<u8>)> {
    register_font();
    let (w, h) = fig.size();
    let mut buf = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        fig.draw(&root)?;
        root.present().map_err(de)?;
    }
    Ok((w, h, buf))
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
