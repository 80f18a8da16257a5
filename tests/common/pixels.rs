//! Checks on rendered figures shared by the figure tests: the layouts every figure
//! is drawn under, that no series pixel lies outside the plot areas and legend
//! strips, and where a value lands in pixels (to find the data's peak drawn there).

use tiersim::plot::{self, chart::colour, Figure, Layout, Rendered, Width};

/// The layouts every figure is checked under.
pub fn layouts() -> Vec<Layout> {
    let base = Layout::default();
    vec![
        base,
        Layout {
            width: Width::TwoColumn,
            ..base
        },
        Layout {
            titles: false,
            dpi: 150,
            ..base
        },
    ]
}

/// Whether a pixel is coloured (series ink), not white, black or a grey of text,
/// axes and grid.
pub fn coloured(p: &[u8]) -> bool {
    let (hi, lo) = (p.iter().max().unwrap(), p.iter().min().unwrap());
    hi - lo > 12
}

pub fn within(r: &(std::ops::Range<i32>, std::ops::Range<i32>), x: i32, y: i32) -> bool {
    r.0.contains(&x) && r.1.contains(&y)
}

/// Renders `fig` under `layout` and fails if a coloured pixel lies outside every plot
/// area and legend strip.
pub fn render_checked(fig: &Figure, layout: &Layout, name: &str) -> Rendered {
    let r = plot::render(fig, layout).unwrap();
    assert!(!r.frames.is_empty(), "{name}: no plot area");
    let mut outside = Vec::new();
    for (i, p) in r.rgb.chunks(3).enumerate() {
        if !coloured(p) {
            continue;
        }
        let (x, y) = ((i as u32 % r.width) as i32, (i as u32 / r.width) as i32);
        let ok = r
            .frames
            .iter()
            .any(|f| within(&f.pixels, x, y) || f.legend.as_ref().is_some_and(|l| within(l, x, y)));
        if !ok {
            outside.push((x, y));
        }
    }
    assert!(
        outside.is_empty(),
        "{name} ({layout:?}): {} series pixels outside the plot areas, first at {:?}; areas {:?}",
        outside.len(),
        &outside[..outside.len().min(5)],
        r.frames
    );
    for f in &r.frames {
        if let Some(l) = &f.legend {
            assert!(
                l.1.end <= f.pixels.1.start,
                "{name}: the legend strip overlaps the plot"
            );
        }
    }
    r
}

/// The pixel row of value `y` in frame `k`.
pub fn row_of(r: &Rendered, k: usize, y: f64) -> i32 {
    let f = &r.frames[k];
    let (y0, y1) = f.y_range;
    let (top, bottom) = (f.pixels.1.start, f.pixels.1.end - 1);
    top + ((y1 - y) / (y1 - y0) * f64::from(bottom - top)).round() as i32
}

/// The pixel column of value `x` in frame `k`.
pub fn col_of(r: &Rendered, k: usize, x: f64) -> i32 {
    let f = &r.frames[k];
    let (x0, x1) = f.x_range;
    let (left, right) = (f.pixels.0.start, f.pixels.0.end - 1);
    left + ((x - x0) / (x1 - x0) * f64::from(right - left)).round() as i32
}

/// Whether a pixel of palette colour `k` (solid, or as a light band over white) lies
/// within `d` pixels of (x, y).
pub fn ink_near(r: &Rendered, k: usize, (x, y): (i32, i32), d: i32) -> bool {
    let c = colour(k);
    let solid = [c.0, c.1, c.2];
    for yy in (y - d).max(0)..(y + d + 1).min(r.height as i32) {
        for xx in (x - d).max(0)..(x + d + 1).min(r.width as i32) {
            let i = ((yy as u32 * r.width + xx as u32) * 3) as usize;
            let p = &r.rgb[i..i + 3];
            // A band is the colour at 22% over white: each channel moves toward it.
            let band = p.iter().zip(solid).all(|(&v, s)| {
                (f64::from(v) - (255.0 - 0.22 * (255.0 - f64::from(s)))).abs() <= 3.0
            });
            if p == solid || band {
                return true;
            }
        }
    }
    false
}

/// Asserts that frame `k`'s y range holds [lo, hi] and that colour `series` is drawn
/// at (x, hi).
pub fn assert_peak_drawn(
    r: &Rendered,
    k: usize,
    series: usize,
    (x, hi): (f64, f64),
    lo: f64,
    name: &str,
) {
    let (y0, y1) = r.frames[k].y_range;
    assert!(
        y0 <= lo && hi <= y1,
        "{name}: data {lo}..{hi} not inside the y range {y0}..{y1}"
    );
    let at = (col_of(r, k, x), row_of(r, k, hi));
    assert!(
        ink_near(r, series, at, 4),
        "{name}: the maximum {hi} at x = {x} is not drawn at pixel {at:?}"
    );
}
