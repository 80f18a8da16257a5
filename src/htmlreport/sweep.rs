//! The report page of a sweep folder: what was swept (each key and its values, how
//! many runs succeeded), a figure per headline metric that varies, and the runs table
//! (sortable in a browser with JavaScript, readable without). The figures put the key
//! with the most values on x; the other swept keys give one line per combination when
//! there are at most [`MAX_LINES`], else a heatmap over the two keys with the most
//! values, averaged over the rest (the caption says so).

use super::escape;
use super::page::{Cell, Page};
use crate::plot::{self, runs::RunsOptions};
use serde_json::Value;
use std::path::Path;

/// The most lines a sweep figure draws before it becomes a heatmap.
pub const MAX_LINES: usize = 8;

/// The page of the sweep folder `dir`.
pub fn page(dir: &Path) -> anyhow::Result<String> {
    let csv = dir.join("runs.csv");
    let (header, rows) = plot::read_csv(&csv)?;
    let plan_path = dir.join("plan.json");
    let plan: Value = serde_json::from_slice(
        &std::fs::read(&plan_path).map_err(|e| anyhow::anyhow!("{}: {e}", plan_path.display()))?,
    )
    .map_err(|e| anyhow::anyhow!("{}: {e}", plan_path.display()))?;
    let params: Vec<String> = plan["params"]
        .as_array()
        .ok_or_else(|| anyhow::anyhow!("{}: no `params` list", plan_path.display()))?
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    let col = |name: &str| plot::column(&csv, &header, name);
    let status = col("status")?;
    let param_cols: Vec<usize> = params
        .iter()
        .map(|p| col(p))
        .collect::<anyhow::Result<_>>()?;
    let first_metric = param_cols.iter().max().map_or(status + 2, |c| c + 1);
    let ok: Vec<&Vec<String>> = rows.iter().filter(|r| r[status] == "ok").collect();
    let failed = rows.len() - ok.len();

    let name = dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| dir.display().to_string());
    let mut p = Page::default();
    p.raw(&format!("<h1>tiersim sweep: {}</h1>\n", escape(&name)));
    let repeats = plan["repeats"].as_u64().unwrap_or(1);
    p.raw(&format!(
        "<p class=\"meta\">{} runs: {} ok, {}{} · {} swept key(s){}</p>\n",
        rows.len(),
        ok.len(),
        if failed > 0 {
            format!("<span class=\"failed\">{failed} failed</span>")
        } else {
            "0 failed".into()
        },
        if repeats > 1 {
            format!(" · {repeats} repeats of each point")
        } else {
            String::new()
        },
        params.len(),
        if failed > 0 {
            " · failed runs are left out of the figures"
        } else {
            ""
        }
    ));
    p.raw("<nav><a href=\"#swept\">Swept keys</a><a href=\"#figures\">Figures</a><a href=\"#runs\">Runs</a></nav>\n");

    p.section("swept", "Swept keys");
    let values: Vec<Vec<String>> = param_cols
        .iter()
        .map(|&c| distinct(ok.iter().map(|r| r[c].clone())))
        .collect();
    let key_rows: Vec<Vec<Cell>> = params
        .iter()
        .zip(&values)
        .map(|(k, v)| vec![Cell::Text(k.clone()), Cell::Text(v.join(", "))])
        .collect();
    p.table(
        &["key", "values (in successful runs)"],
        &[true, true],
        &key_rows,
        false,
    );

    p.section("figures", "Figures");
    figures(
        &mut p,
        dir,
        &csv,
        &header,
        &ok,
        &params,
        &values,
        first_metric,
    )?;

    p.section("runs", "Runs");
    p.para(
        "Click a column header to sort (with JavaScript on); run folders are under runs/<run id>/.",
    );
    let text: Vec<bool> = (0..header.len())
        .map(|i| i < first_metric && !["index"].contains(&header[i].as_str()))
        .collect();
    let table: Vec<Vec<Cell>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .map(|(i, v)| match v.parse::<f64>() {
                    Ok(x) if !text[i] => Cell::Num(plot::chart::short(x), x),
                    _ if i == status && v != "ok" => {
                        Cell::Html(format!("<span class=\"failed\">{}</span>", escape(v)))
                    }
                    _ => Cell::Text(v.clone()),
                })
                .collect()
        })
        .collect();
    let head: Vec<&str> = header.iter().map(String::as_str).collect();
    p.table(&head, &text, &table, true);
    Ok(p.finish(&format!("tiersim sweep: {name}")))
}

/// The distinct values in order of first appearance.
fn distinct(vals: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in vals {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// A figure per metric column that is numeric and varies across the successful runs.
#[allow(clippy::too_many_arguments)]
fn figures(
    p: &mut Page,
    dir: &Path,
    csv: &Path,
    header: &[String],
    ok: &[&Vec<String>],
    params: &[String],
    values: &[Vec<String>],
    first_metric: usize,
) -> anyhow::Result<()> {
    // Keys that vary, the one with the most values first (sweep order on ties).
    let mut varied: Vec<usize> = (0..params.len()).filter(|&k| values[k].len() > 1).collect();
    varied.sort_by_key(|&k| std::cmp::Reverse(values[k].len()));
    let Some(&x) = varied.first() else {
        p.para("No figure: no swept key takes more than one value among the successful runs.");
        return Ok(());
    };
    let others: Vec<usize> = varied[1..].to_vec();
    let combos: usize = others.iter().map(|&k| values[k].len()).product();
    let heat = combos > MAX_LINES;
    let metrics: Vec<usize> = (first_metric..header.len())
        .filter(|&c| {
            let vals: Vec<f64> = ok.iter().filter_map(|r| r[c].parse::<f64>().ok()).collect();
            vals.len() == ok.len() && vals.iter().any(|v| *v != vals[0])
        })
        .collect();
    if metrics.is_empty() {
        p.para("No figure: no headline metric varies across the successful runs.");
        return Ok(());
    }
    let d = super::command(dir).replacen("tiersim report ", "", 1);
    let q = |s: &str| format!("'{s}'");
    p.figures_begin();
    for &m in &metrics {
        let metric = &header[m];
        let (fig, how, cmd) = if heat {
            let y = others[0];
            let rest: Vec<&str> = others[1..].iter().map(|&k| params[k].as_str()).collect();
            let o = RunsOptions {
                input: csv.to_path_buf(),
                x: params[x].clone(),
                y: params[y].clone(),
                heatmap: Some(metric.clone()),
                ..Default::default()
            };
            let how = if rest.is_empty() {
                String::new()
            } else {
                format!(" Each cell is the mean over {}.", rest.join(", "))
            };
            let cmd = format!(
                "tiersim plot runs {d}/runs.csv --x {} --y {} --heatmap {} --out fig.svg",
                q(&params[x]),
                q(&params[y]),
                q(metric)
            );
            (plot::runs::figure(&o), how, cmd)
        } else {
            let series: Vec<String> = others.iter().map(|&k| params[k].clone()).collect();
            let o = RunsOptions {
                input: csv.to_path_buf(),
                x: params[x].clone(),
                y: metric.clone(),
                series: series.clone(),
                ..Default::default()
            };
            let cmd = format!(
                "tiersim plot runs {d}/runs.csv --x {} --y {}{} --out fig.svg",
                q(&params[x]),
                q(metric),
                series
                    .iter()
                    .map(|s| format!(" --series {}", q(s)))
                    .collect::<String>()
            );
            (plot::runs::figure(&o), String::new(), cmd)
        };
        let label = format!("{metric} against {}.", params[x]);
        match fig {
            Ok(f) => {
                let caption = format!(
                    "{}{} For a paper: <code>{}</code>",
                    escape(&label),
                    escape(&how),
                    escape(&cmd)
                );
                p.figure(&f, &label, &caption)?;
            }
            Err(e) => p.raw(&format!(
                "<figure><figcaption>{}: not drawn: {}</figcaption></figure>\n",
                escape(&label),
                escape(&format!("{e:#}"))
            )),
        }
    }
    p.figures_end();
    Ok(())
}
