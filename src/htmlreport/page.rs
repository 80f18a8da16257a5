//! The page skeleton: escaping, the inline stylesheet, sections, tables, collapsible
//! blocks and figures (inline SVG with a caption that gives the `tiersim plot`
//! command to make it for a paper).

use crate::plot::{self, Figure, Layout, SvgSize};
use std::fmt::Write as _;

/// `s` with the characters HTML gives meaning to escaped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out += "&amp;",
            '<' => out += "&lt;",
            '>' => out += "&gt;",
            '"' => out += "&quot;",
            '\'' => out += "&#39;",
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
  margin: 0 auto; padding: 1.2em 1.5em 3em; max-width: 1280px; color: #1a1a1a; background: #fff; }
h1 { font-size: 1.6em; margin: 0.2em 0; }
h2 { font-size: 1.25em; margin: 1.6em 0 0.5em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
p.meta { color: #555; margin: 0.2em 0 0.8em; }
nav a { margin-right: 1em; }
table { border-collapse: collapse; margin: 0.4em 0 1em; font-variant-numeric: tabular-nums; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #e4e4e4; text-align: right;
  vertical-align: top; white-space: nowrap; }
td.text { white-space: normal; }
.nw { white-space: nowrap; }
th { background: #f5f5f5; font-weight: 600; position: sticky; top: 0; }
td.text, th.text { text-align: left; }
.scroll { overflow-x: auto; max-width: 100%; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; border-radius: 2px;
  margin-right: 0.4em; vertical-align: -0.1em; }
.failed { color: #b00020; font-weight: 600; }
details { margin: 0.5em 0 1em; }
summary { cursor: pointer; font-weight: 600; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 13px; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 1.2em; }
figure { margin: 0; border: 1px solid #e4e4e4; padding: 0.5em; background: #fff; }
svg.figure { width: 100%; height: auto; display: block; }
figcaption { font-size: 13px; color: #444; margin-top: 0.3em; }
code { font-size: 0.92em; background: #f3f3f3; padding: 0 0.2em; }
th.sortable { cursor: pointer; }
"#;

/// Sorts a table by a clicked header (numbers as numbers); the page reads the same
/// without it.
const SORT_SCRIPT: &str = r#"
document.querySelectorAll("table.sortable").forEach(function (t) {
  t.querySelectorAll("th").forEach(function (th, i) {
    th.classList.add("sortable");
    th.title = "sort";
    th.addEventListener("click", function () {
      var body = t.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var up = th.dataset.dir !== "up"; th.dataset.dir = up ? "up" : "down";
      rows.sort(function (a, b) {
        var x = a.cells[i].dataset.v || a.cells[i].textContent;
        var y = b.cells[i].dataset.v || b.cells[i].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return up ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"#;

/// A page being built.
#[derive(Debug, Default)]
pub struct Page {
    body: String,
    script: bool,
}

/// A table cell: its text, and whether it is text (left-aligned) or a number.
pub enum Cell {
    Text(String),
    /// Shown text and the value to sort by.
    Num(String, f64),
    /// Raw HTML (already escaped), left-aligned.
    Html(String),
}

impl Page {
    /// Appends raw HTML.
    pub fn raw(&mut self, html: &str) {
        self.body += html;
    }

    /// A heading with an anchor.
    pub fn section(&mut self, id: &str, title: &str) {
        let _ = writeln!(
            self.body,
            "<h2 id=\"{}\">{}</h2>",
            escape(id),
            escape(title)
        );
    }

    /// A paragraph of text.
    pub fn para(&mut self, text: &str) {
        let _ = writeln!(self.body, "<p>{}</p>", escape(text));
    }

    /// A collapsible preformatted block.
    pub fn details(&mut self, summary: &str, text: &str) {
        let _ = writeln!(
            self.body,
            "<details><summary>{}</summary><pre>{}</pre></details>",
            escape(summary),
            escape(text)
        );
    }

    /// A table; `sortable` adds the sort script to the page.
    pub fn table(
        &mut self,
        header: &[&str],
        text_cols: &[bool],
        rows: &[Vec<Cell>],
        sortable: bool,
    ) {
        let class = if sortable { " class=\"sortable\"" } else { "" };
        self.script |= sortable;
        self.body += &format!("<div class=\"scroll\"><table{class}><thead><tr>");
        for (i, h) in header.iter().enumerate() {
            let c = if text_cols.get(i).copied().unwrap_or(false) {
                " class=\"text\""
            } else {
                ""
            };
            let _ = write!(self.body, "<th{c}>{}</th>", escape(h));
        }
        self.body += "</tr></thead><tbody>\n";
        for r in rows {
            self.body += "<tr>";
            for c in r {
                match c {
                    Cell::Text(t) => {
                        let _ = write!(self.body, "<td class=\"text\">{}</td>", escape(t));
                    }
                    Cell::Num(t, v) => {
                        let _ = write!(self.body, "<td data-v=\"{v}\">{}</td>", escape(t));
                    }
                    Cell::Html(h) => {
                        let _ = write!(self.body, "<td class=\"text\">{h}</td>");
                    }
                }
            }
            self.body += "</tr>\n";
        }
        self.body += "</tbody></table></div>\n";
    }

    /// Opens a grid of figures.
    pub fn figures_begin(&mut self) {
        self.body += "<div class=\"figures\">\n";
    }

    /// Closes a grid of figures.
    pub fn figures_end(&mut self) {
        self.body += "</div>\n";
    }

    /// A figure as inline SVG, with a caption (HTML, already escaped).
    pub fn figure(&mut self, fig: &Figure, label: &str, caption_html: &str) -> anyhow::Result<()> {
        let svg = plot::svg(fig, &Layout::default(), SvgSize::Fluid)?;
        let svg = svg.replacen(
            "<svg class=\"figure\" ",
            &format!(
                "<svg class=\"figure\" role=\"img\" aria-label=\"{}\" ",
                escape(label)
            ),
            1,
        );
        let _ = writeln!(
            self.body,
            "<figure>{svg}<figcaption>{caption_html}</figcaption></figure>"
        );
        Ok(())
    }

    /// The whole document.
    pub fn finish(self, title: &str) -> String {
        let script = if self.script {
            format!("<script>{SORT_SCRIPT}</script>\n")
        } else {
            String::new()
        };
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{}{script}</body>\n</html>\n",
            escape(title),
            self.body
        )
    }
}

/// A colour swatch of palette colour `k`.
pub fn swatch(k: usize) -> String {
    let c = plot::chart::colour(k);
    format!(
        "<span class=\"swatch\" style=\"background:#{:02x}{:02x}{:02x}\"></span>",
        c.0, c.1, c.2
    )
}

/// `name` after the swatch of palette colour `k`, kept on one line (HTML).
pub fn swatched(k: usize, name: &str) -> String {
    format!("<span class=\"nw\">{}{}</span>", swatch(k), escape(name))
}

/// `v` with up to 4 significant digits, as a table cell.
pub fn num(v: f64) -> Cell {
    Cell::Num(plot::chart::short(v), v)
}

/// A count with thousands separators, as a table cell.
pub fn count(v: u64) -> Cell {
    let s = v.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    Cell::Num(out, v as f64)
}

/// A fraction as a percentage, as a table cell.
pub fn percent(v: f64) -> Cell {
    Cell::Num(format!("{:.1}%", v * 100.0), v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_leaves_no_markup() {
        assert_eq!(
            escape(r#"<a href="x">&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn counts_get_thousands_separators() {
        let Cell::Num(s, _) = count(1234567) else {
            panic!()
        };
        assert_eq!(s, "1,234,567");
        let Cell::Num(s, _) = count(999) else {
            panic!()
        };
        assert_eq!(s, "999");
    }
}
