//! Geometry that keeps every series inside its plot area: polylines clipped to a
//! rectangle (Liang-Barsky per segment), long series reduced to a mean and a min-max
//! per bin of x, and thick lines drawn so that no pixel lies further than half the
//! line width from the path. (plotters turns a thick polyline into one polygon with
//! mitred joins; at a sharp spike the inner mitre point lands far outside the plot,
//! which is how a spike used to cross the axis labels.)

use super::de;
use super::layout::{Layout, Target};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// A rectangle in chart coordinates: x0 <= x1, y0 <= y1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x0: f64,
    pub x1: f64,
    pub y0: f64,
    pub y1: f64,
}

impl Rect {
    /// Whether `p` lies inside (edges included).
    pub fn contains(&self, (x, y): (f64, f64)) -> bool {
        x >= self.x0 && x <= self.x1 && y >= self.y0 && y <= self.y1
    }

    /// `p` moved to the nearest point inside.
    pub fn clamp(&self, (x, y): (f64, f64)) -> (f64, f64) {
        (x.clamp(self.x0, self.x1), y.clamp(self.y0, self.y1))
    }
}

/// The part of segment a-b inside `r` (Liang-Barsky), or None.
pub fn clip_segment(a: (f64, f64), b: (f64, f64), r: &Rect) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - r.x0),
        (dx, r.x1 - a.0),
        (-dy, a.1 - r.y0),
        (dy, r.y1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    (t0 <= t1).then_some((
        (a.0 + t0 * dx, a.1 + t0 * dy),
        (a.0 + t1 * dx, a.1 + t1 * dy),
    ))
}

/// The parts of the polyline inside `r`, as separate polylines.
pub fn clip_polyline(points: &[(f64, f64)], r: &Rect) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    if points.len() == 1 && r.contains(points[0]) {
        return vec![points.to_vec()];
    }
    for w in points.windows(2) {
        match clip_segment(w[0], w[1], r) {
            Some((a, b)) => {
                if cur.last() != Some(&a) {
                    if !cur.is_empty() {
                        runs.push(std::mem::take(&mut cur));
                    }
                    cur.push(a);
                }
                cur.push(b);
            }
            None => {
                if !cur.is_empty() {
                    runs.push(std::mem::take(&mut cur));
                }
            }
        }
    }
    if !cur.is_empty() {
        runs.push(cur);
    }
    runs
}

/// A series reduced to bins of x: per non-empty bin, its centre and the mean, least
/// and greatest y of its points.
#[derive(Debug, Clone, PartialEq)]
pub struct Binned {
    pub width: f64,
    /// (x centre, mean, min, max) per non-empty bin, in x order.
    pub bins: Vec<(f64, f64, f64, f64)>,
}

/// A point of a line with its band: (x, y, low, high).
pub type BandPoint = (f64, f64, f64, f64);

/// Bins `points` (finite, any order) into `n` equal bins over [x0, x1]; points
/// outside are left out.
pub fn bin(points: &[(f64, f64)], span: (f64, f64), n: usize) -> Binned {
    let lines: Vec<BandPoint> = points.iter().map(|&(x, y)| (x, y, y, y)).collect();
    bin_spread(&lines, span, n)
}

/// Bins a line with its band, points (x, y, low, high) in any order, into `n` equal
/// bins over [x0, x1]: per bin the mean of y, the lowest low and the highest high.
pub fn bin_spread(points: &[BandPoint], (x0, x1): (f64, f64), n: usize) -> Binned {
    let n = n.max(1);
    let width = (x1 - x0) / n as f64;
    let mut acc = vec![(0.0f64, 0usize, f64::INFINITY, f64::NEG_INFINITY); n];
    for &(x, y, lo, hi) in points {
        if !(x >= x0 && x <= x1 && y.is_finite() && lo.is_finite() && hi.is_finite()) {
            continue;
        }
        let k = if width > 0.0 {
            (((x - x0) / width) as usize).min(n - 1)
        } else {
            0
        };
        let a = &mut acc[k];
        a.0 += y;
        a.1 += 1;
        a.2 = a.2.min(lo);
        a.3 = a.3.max(hi);
    }
    let bins = acc
        .iter()
        .enumerate()
        .filter(|(_, a)| a.1 > 0)
        .map(|(k, a)| (x0 + (k as f64 + 0.5) * width, a.0 / a.1 as f64, a.2, a.3))
        .collect();
    Binned { width, bins }
}

/// A line with its band drawn as it is (points (x, y, low, high), any order): a bin
/// per point, as wide as the median step between points, so the band is a step
/// around each point (and a gap of more than 1.5 steps breaks the line).
pub fn spread_steps(points: &[BandPoint]) -> Binned {
    let mut bins = points.to_vec();
    bins.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut steps: Vec<f64> = bins
        .windows(2)
        .map(|w| w[1].0 - w[0].0)
        .filter(|d| *d > 0.0)
        .collect();
    steps.sort_by(|a, b| a.total_cmp(b));
    Binned {
        width: steps.get(steps.len() / 2).copied().unwrap_or(1.0),
        bins,
    }
}

/// The polylines through the bins' means, broken where a bin is empty.
pub fn mean_runs(b: &Binned) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut last_x = f64::NEG_INFINITY;
    for &(x, mean, _, _) in &b.bins {
        if runs.is_empty() || x - last_x > b.width * 1.5 {
            runs.push(Vec::new());
        }
        runs.last_mut().expect("a run").push((x, mean));
        last_x = x;
    }
    runs
}

/// The min-max bands as polygons (upper edge left to right, lower edge back), one per
/// stretch of adjacent bins, clamped into `r`.
pub fn band_polygons(b: &Binned, r: &Rect) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    for run in split_adjacent(b) {
        let half = b.width / 2.0;
        let mut poly: Vec<(f64, f64)> = Vec::with_capacity(run.len() * 4);
        for &(x, _, _, hi) in run {
            poly.push(r.clamp((x - half, hi)));
            poly.push(r.clamp((x + half, hi)));
        }
        for &(x, _, lo, _) in run.iter().rev() {
            poly.push(r.clamp((x + half, lo)));
            poly.push(r.clamp((x - half, lo)));
        }
        out.push(poly);
    }
    out
}

fn split_adjacent(b: &Binned) -> Vec<&[(f64, f64, f64, f64)]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=b.bins.len() {
        if i == b.bins.len() || b.bins[i].0 - b.bins[i - 1].0 > b.width * 1.5 {
            if i > start {
                out.push(&b.bins[start..i]);
            }
            start = i;
        }
    }
    out
}

/// The plot area in chart coordinates.
pub type PlotArea<DB> = DrawingArea<DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Draws a polyline `width` pixels thick with round joins: a vector file gets one
/// polyline (made round-joined when the SVG is written); a bitmap gets one quad per
/// segment and a disc at each inner vertex, so no pixel strays more than about half
/// the width from the path.
pub fn stroke<DB: DrawingBackend>(
    area: &PlotArea<DB>,
    run: &[(f64, f64)],
    colour: RGBColor,
    width: u32,
    layout: &Layout,
) -> anyhow::Result<()> {
    if run.len() < 2 {
        return Ok(());
    }
    let style = colour.stroke_width(width);
    if layout.target == Target::Vector || width <= 1 {
        return area
            .draw(&PathElement::new(run.to_vec(), style))
            .map_err(de);
    }
    for w in run.windows(2) {
        area.draw(&PathElement::new(vec![w[0], w[1]], style))
            .map_err(de)?;
    }
    let r = width / 2;
    if r >= 1 {
        for p in &run[1..run.len() - 1] {
            area.draw(&Circle::new(*p, r, colour.filled()))
                .map_err(de)?;
        }
    }
    Ok(())
}

/// Half the reach of a stroke or marker, in pixels, plus a pixel of rasterising slack:
/// how far inside the plot area's edge its centre line must stay.
pub fn inset_px(reach: u32) -> f64 {
    f64::from(reach) + 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: Rect = Rect {
        x0: 0.0,
        x1: 10.0,
        y0: 0.0,
        y1: 10.0,
    };

    #[test]
    fn a_segment_through_the_box_is_cut_at_its_edges() {
        // y = x from (-5,-5) to (15,15) crosses the box corner to corner.
        let (a, b) = clip_segment((-5.0, -5.0), (15.0, 15.0), &R).unwrap();
        assert_eq!((a, b), ((0.0, 0.0), (10.0, 10.0)));
        // A vertical spike from 5 to 20 at x = 3 stops at the top.
        let (a, b) = clip_segment((3.0, 5.0), (3.0, 20.0), &R).unwrap();
        assert_eq!((a, b), ((3.0, 5.0), (3.0, 10.0)));
        assert!(clip_segment((11.0, 0.0), (12.0, 5.0), &R).is_none());
    }

    #[test]
    fn a_polyline_leaving_and_re_entering_becomes_two_runs() {
        let p = [(1.0, 1.0), (2.0, 5.0), (3.0, 20.0), (4.0, 5.0), (5.0, 1.0)];
        let runs = clip_polyline(&p, &R);
        assert_eq!(runs.len(), 2);
        // The first run ends where y = 5 + 15 t reaches 10: t = 1/3, x = 2 + 1/3.
        let end = *runs[0].last().unwrap();
        assert!(
            (end.0 - 7.0 / 3.0).abs() < 1e-12 && end.1 == 10.0,
            "{end:?}"
        );
        assert!(runs.iter().flatten().all(|p| R.contains(*p)));
    }

    #[test]
    fn bins_hold_the_mean_min_and_max_of_their_points() {
        // y = x over x = 0..99 in 10 bins of 10: bin k holds 10k..10k+9, mean 10k+4.5.
        let pts: Vec<(f64, f64)> = (0..100).map(|i| (i as f64, i as f64)).collect();
        let b = bin(&pts, (0.0, 100.0), 10);
        assert_eq!(b.width, 10.0);
        assert_eq!(b.bins.len(), 10);
        for (k, &(x, mean, lo, hi)) in b.bins.iter().enumerate() {
            let k = k as f64;
            assert_eq!(
                (x, mean, lo, hi),
                (10.0 * k + 5.0, 10.0 * k + 4.5, 10.0 * k, 10.0 * k + 9.0)
            );
        }
    }

    #[test]
    fn an_empty_bin_breaks_the_line_and_the_band() {
        let pts = [(0.5, 1.0), (1.5, 2.0), (3.5, 4.0)];
        let b = bin(&pts, (0.0, 4.0), 4);
        assert_eq!(mean_runs(&b).len(), 2);
        assert_eq!(band_polygons(&b, &R).len(), 2);
    }
}
