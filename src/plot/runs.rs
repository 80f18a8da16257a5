//! Plots from a sweep's runs.csv: a line chart of column `y` against column `x`, one
//! line per value of the `series` columns (per combination when several), or a heatmap of a value column over `x` and `y`. Only
//! rows with status `ok` count; `where` filters keep rows whose column equals a value;
//! rows sharing a point (other swept parameters, repeats) are averaged. An axis whose
//! every cell is a number is numeric, otherwise categorical in order of first
//! appearance (the sweep's order).

use super::{chart::plain, column, read_csv, Figure, Heatmap, LineChart, Series};
use std::path::PathBuf;

/// What to draw.
#[derive(Debug, Clone, Default)]
pub struct RunsOptions {
    pub input: PathBuf,
    pub x: String,
    pub y: String,
    /// One line per combination of these columns' values.
    pub series: Vec<String>,
    /// Heatmap of this column over x and y (instead of a line chart).
    pub heatmap: Option<String>,
    pub filters: Vec<(String, String)>,
    pub x_label: Option<String>,
    pub y_label: Option<String>,
    pub x_log: bool,
    pub title: Option<String>,
}

/// The last part of a key path, for legends: `tiers[0].eviction` -> `eviction`.
pub fn short_key(key: &str) -> &str {
    key.rsplit('.').next().unwrap_or(key)
}

/// Mean of the values gathered per key, keys in first-appearance order.
struct Means<K: PartialEq + Clone> {
    keys: Vec<K>,
    sums: Vec<(f64, usize)>,
}

impl<K: PartialEq + Clone> Means<K> {
    fn new() -> Self {
        Means {
            keys: Vec::new(),
            sums: Vec::new(),
        }
    }
    fn add(&mut self, k: K, v: f64) {
        match self.keys.iter().position(|x| x == &k) {
            Some(i) => {
                self.sums[i].0 += v;
                self.sums[i].1 += 1;
            }
            None => {
                self.keys.push(k);
                self.sums.push((v, 1));
            }
        }
    }
    fn get(&self, k: &K) -> Option<f64> {
        self.keys
            .iter()
            .position(|x| x == k)
            .map(|i| self.sums[i].0 / self.sums[i].1 as f64)
    }
}

fn categories(cells: &[String]) -> (Vec<String>, bool) {
    let numeric = cells.iter().all(|c| c.parse::<f64>().is_ok());
    let mut out: Vec<String> = Vec::new();
    for c in cells {
        if !out.contains(c) {
            out.push(c.clone());
        }
    }
    if numeric {
        out.sort_by(|a, b| {
            a.parse::<f64>()
                .unwrap()
                .total_cmp(&b.parse::<f64>().unwrap())
        });
    }
    (out, numeric)
}

/// Builds the figure.
pub fn figure(o: &RunsOptions) -> anyhow::Result<Figure> {
    let path = &o.input;
    let (header, rows) = read_csv(path)?;
    let xi = column(path, &header, &o.x)?;
    let yi = column(path, &header, &o.y)?;
    let status = header.iter().position(|h| h == "status");
    let filters: Vec<(usize, &String)> = o
        .filters
        .iter()
        .map(|(c, v)| column(path, &header, c).map(|i| (i, v)))
        .collect::<anyhow::Result<_>>()?;
    let rows: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| status.is_none_or(|s| r[s] == "ok"))
        .filter(|r| filters.iter().all(|(c, v)| &r[*c] == *v))
        .collect();
    anyhow::ensure!(
        !rows.is_empty(),
        "{}: no successful run matches",
        path.display()
    );
    let value = |r: &Vec<String>, c: usize, line: usize| -> anyhow::Result<f64> {
        r[c].parse::<f64>().map_err(|_| {
            anyhow::anyhow!(
                "{}: run {line}: column '{}': '{}' is not a number",
                path.display(),
                header[c],
                r[c]
            )
        })
    };
    if let Some(vcol) = &o.heatmap {
        let vi = column(path, &header, vcol)?;
        let (xs, _) = categories(&rows.iter().map(|r| r[xi].clone()).collect::<Vec<_>>());
        let (ys, _) = categories(&rows.iter().map(|r| r[yi].clone()).collect::<Vec<_>>());
        let mut m = Means::new();
        for (n, r) in rows.iter().enumerate() {
            m.add((r[xi].clone(), r[yi].clone()), value(r, vi, n)?);
        }
        let values = ys
            .iter()
            .map(|y| xs.iter().map(|x| m.get(&(x.clone(), y.clone()))).collect())
            .collect();
        let x_label = o.x_label.clone().unwrap_or_else(|| o.x.clone());
        let y_label = o.y_label.clone().unwrap_or_else(|| o.y.clone());
        return Ok(Figure::Heatmap(Heatmap {
            title: Some(
                o.title
                    .clone()
                    .unwrap_or_else(|| format!("{vcol} by {x_label} and {y_label}")),
            ),
            x_label: o.x_label.clone().unwrap_or_else(|| o.x.clone()),
            y_label: o.y_label.clone().unwrap_or_else(|| o.y.clone()),
            value_label: vcol.clone(),
            xs,
            ys,
            values,
        }));
    }
    let (xcats, numeric) = categories(&rows.iter().map(|r| r[xi].clone()).collect::<Vec<_>>());
    let si: Vec<usize> = o
        .series
        .iter()
        .map(|s| column(path, &header, s))
        .collect::<anyhow::Result<_>>()?;
    let mut m = Means::new();
    for (n, r) in rows.iter().enumerate() {
        let s: Vec<String> = si
            .iter()
            .zip(&o.series)
            .map(|(&c, name)| format!("{}={}", short_key(name), r[c]))
            .collect();
        m.add((s.join(", "), r[xi].clone()), value(r, yi, n)?);
    }
    let mut names: Vec<String> = Vec::new();
    for (s, _) in &m.keys {
        if !names.contains(s) {
            names.push(s.clone());
        }
    }
    let series = names
        .iter()
        .map(|name| {
            let mut points: Vec<(f64, f64)> = m
                .keys
                .iter()
                .filter(|(s, _)| s == name)
                .map(|k| {
                    let x = if numeric {
                        k.1.parse::<f64>().unwrap()
                    } else {
                        xcats.iter().position(|c| c == &k.1).unwrap() as f64
                    };
                    (x, m.get(k).unwrap())
                })
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            Series::line(name.clone(), points)
        })
        .collect();
    let x_label = o.x_label.clone().unwrap_or_else(|| o.x.clone());
    let y_label = o.y_label.clone().unwrap_or_else(|| o.y.clone());
    Ok(Figure::Lines(LineChart {
        title: Some(
            o.title
                .clone()
                .unwrap_or_else(|| format!("{y_label} by {x_label}")),
        ),
        x_label,
        y_label,
        series,
        x_log: o.x_log && numeric,
        x_fmt: plain,
        x_categories: (!numeric).then_some(xcats),
        markers: true,
        ..Default::default()
    }))
}
