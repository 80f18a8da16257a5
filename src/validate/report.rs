//! The validation report: the terminal table, report.csv (`check,quantity,model,
//! reference,unit,error_pct,tolerance_pct,pass`), report.md (the table, what each check
//! compares, the device models' known limits, the figures) and the figures themselves.
//! Every file is written atomically.

use super::{Bound, CheckResult, Row};
use crate::atomic::write_atomic;
use std::path::Path;

/// What the checks themselves assume (docs/validation.md has the long form).
pub const CHECK_LIMITS: &[&str] = &[
    "Optane thread curves: a thread is one closed-loop client with 768 B (12 line-fill buffers x 64 B) of random accesses in flight; the read knee (~17 threads) follows from that assumption.",
    "Optane write decline beyond 4 writers is a fitted slope matching \"falls slightly\"; the 24-thread value is not a reference figure.",
    "DRAM loaded latency: the curve's two constants are fitted on the same MLC table, so the check confirms the engine reproduces it end to end (measured utilisation, queueing), not a prediction for another platform.",
    "Optane SSD QD16 IOPS equals its preset's bandwidth limit (585K x 4 KB): the row checks the queueing, not a prediction.",
    "NoPFS skew counts reads from the training workload's sampler built from a training config, not from a timed run (115 M reads would take ~45 s of CPU): it checks which samples each rank reads, not their timing.",
    "Belady under per-epoch shuffle runs on the eviction registry: the training workload issues reads without the next-access times Belady needs.",
];

/// A number for tables: "-" when the experiment did not run.
pub fn fmt_num(x: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    let a = x.abs();
    if a >= 1000.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.2}")
    } else if a >= 0.1 || a == 0.0 {
        format!("{x:.4}")
    } else {
        format!("{x:.6}")
    }
}

fn bound_text(r: &Row) -> String {
    match r.bound {
        Bound::Within => format!("±{}", r.tolerance_pct),
        Bound::AtMost => format!("≤ +{}", r.tolerance_pct),
        Bound::Below => format!("-{}..0", r.tolerance_pct),
    }
}

/// A row's model, reference, error % and tolerance as the terminal table and
/// report.md show them.
fn shown(r: &Row) -> [String; 4] {
    let err = r.error_pct();
    [
        fmt_num(r.model),
        fmt_num(r.reference),
        if err.is_finite() {
            format!("{err:+.2}")
        } else {
            "-".into()
        },
        bound_text(r),
    ]
}

fn rows(results: &[CheckResult]) -> impl Iterator<Item = &Row> {
    results.iter().flat_map(|r| r.output.rows.iter())
}

/// report.csv.
pub fn csv(results: &[CheckResult]) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "check",
        "quantity",
        "model",
        "reference",
        "unit",
        "error_pct",
        "tolerance_pct",
        "pass",
    ])?;
    for r in rows(results) {
        let model = if r.model.is_finite() {
            r.model.to_string()
        } else {
            String::new()
        };
        let err = r.error_pct();
        let err = if err.is_finite() {
            format!("{err:.4}")
        } else {
            String::new()
        };
        w.write_record([
            r.check.clone(),
            r.quantity.clone(),
            model,
            r.reference.to_string(),
            r.unit.clone(),
            err,
            r.tolerance_pct.to_string(),
            r.pass().to_string(),
        ])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// The table printed on the terminal.
pub fn table(results: &[CheckResult]) -> String {
    let mut s = format!(
        "{:<27} {:<58} {:>10} {:>10} {:<8} {:>8} {:>9} {}\n",
        "check", "quantity", "model", "reference", "unit", "error%", "tol%", "pass"
    );
    for r in rows(results) {
        let [model, reference, err, bound] = shown(r);
        s += &format!(
            "{:<27} {:<58} {:>10} {:>10} {:<8} {:>8} {:>9} {}{}\n",
            r.check,
            r.quantity,
            model,
            reference,
            r.unit,
            err,
            bound,
            if r.pass() { "PASS" } else { "FAIL" },
            if r.model.is_finite() {
                String::new()
            } else {
                format!("  ({})", r.note)
            }
        );
    }
    for r in results {
        if let Some(why) = &r.output.skipped {
            s += &format!("{:<27} skipped: {why}\n", r.check.name);
        }
    }
    s += &summary_line(results);
    s.push('\n');
    s
}

/// "N of M checks pass" (checks that ran), plus any skipped.
pub fn summary_line(results: &[CheckResult]) -> String {
    let (pass, fail, skip) = counts(results);
    let mut s = format!("{pass} of {} checks pass", pass + fail);
    if skip > 0 {
        s += &format!(", {skip} skipped");
    }
    s
}

/// (checks passing, failing, skipped).
pub fn counts(results: &[CheckResult]) -> (usize, usize, usize) {
    let pass = results.iter().filter(|r| r.pass()).count();
    let fail = results.iter().filter(|r| r.fail()).count();
    (pass, fail, results.len() - pass - fail)
}

/// report.md.
pub fn markdown(results: &[CheckResult], figures: &[String]) -> String {
    let mut s = String::from("# tiersim validation report\n\n");
    s += &format!(
        "{} ({} compared quantities). Each row compares the model \
         run through a user-style config with a published measurement or a closed form \
         (../shared/REFERENCES.md). Tolerances: ± is two-sided; ≤ +t means at most the \
         reference plus t%; -t..0 means not above the reference and at most t% below.\n\n",
        summary_line(results),
        rows(results).count()
    );
    s += "| check | quantity | model | reference | unit | error % | tolerance % | pass |\n";
    s += "|---|---|---:|---:|---|---:|---|---|\n";
    for r in rows(results) {
        let [model, reference, err, bound] = shown(r);
        s += &format!(
            "| {} | {} | {model} | {reference} | {} | {err} | {bound} | {} |\n",
            r.check,
            r.quantity,
            r.unit,
            if r.pass() { "pass" } else { "**FAIL**" }
        );
    }
    s += "\n## Checks and references\n\n";
    for r in results {
        s += &format!(
            "- **{}** ({}, {:.2} s): {}",
            r.check.name, r.check.group, r.seconds, r.check.about
        );
        if let Some(why) = &r.output.skipped {
            s += &format!(". Skipped: {why}");
        }
        let mut notes: Vec<&str> = r
            .output
            .rows
            .iter()
            .map(|x| x.note.as_str())
            .filter(|n| !n.is_empty())
            .collect();
        notes.dedup();
        if !notes.is_empty() {
            s += &format!(". Source: {}", notes.join("; "));
        }
        s += "\n";
    }
    s += "\n## Device models and their known limits\n\n";
    for (name, limits) in crate::device::MODEL_LIMITS {
        let presets: Vec<&str> = crate::device::presets::NAMES
            .iter()
            .copied()
            .filter(|p| crate::device::presets::preset(p).is_ok_and(|s| s.model == *name))
            .collect();
        s += &format!(
            "- `{name}` (presets: {}): {limits}\n",
            if presets.is_empty() {
                "none".into()
            } else {
                presets.join(", ")
            }
        );
    }
    s += "\n## Known limits of the checks\n\n";
    for l in CHECK_LIMITS {
        s += &format!("- {l}\n");
    }
    if !figures.is_empty() {
        s += "\n## Figures\n\n";
        for f in figures {
            s += &format!("![{f}]({f}.png)\n\n");
        }
    }
    s
}

/// Writes report.md, report.csv and every figure into `dir`.
pub fn write(dir: &Path, results: &[CheckResult]) -> anyhow::Result<()> {
    let put = |name: &str, bytes: &[u8]| -> anyhow::Result<()> {
        write_atomic(&dir.join(name), bytes).map_err(|e| anyhow::anyhow!("cannot write {e}"))
    };
    let mut names = Vec::new();
    for r in results {
        for f in &r.output.figures {
            for ext in ["svg", "png"] {
                crate::plot::save(&f.chart, &dir.join(format!("{}.{ext}", f.file)))?;
            }
            names.push(f.file.clone());
        }
    }
    put("report.csv", csv(results)?.as_bytes())?;
    put("report.md", markdown(results, &names).as_bytes())?;
    Ok(())
}
