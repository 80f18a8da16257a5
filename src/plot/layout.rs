//! The physical set-up of a figure: its width (one paper column, 3.5 in, or the
//! full page of a two-column paper, 7 in), its resolution, whether titles are drawn,
//! and every size that follows from those. Sizes are designed at 300 dpi and scaled
//! with the resolution, so a figure at 150 dpi is the same figure at half the pixels.

/// Paper widths a figure is made for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Width {
    /// One column of a two-column paper: 3.5 in.
    #[default]
    OneColumn,
    /// Both columns (a `figure*`): 7 in.
    TwoColumn,
}

impl Width {
    /// The width in inches.
    pub fn inches(self) -> f64 {
        match self {
            Width::OneColumn => 3.5,
            Width::TwoColumn => 7.0,
        }
    }
}

/// Where a figure is drawn; bitmaps and vector files draw thick lines differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Bitmap,
    Vector,
}

/// How a figure is laid out.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Layout {
    pub width: Width,
    /// Pixels per inch (PNG); an SVG is drawn on the same grid and sized in inches.
    pub dpi: u32,
    /// Draw the titles (papers that caption below the figure leave them out).
    pub titles: bool,
    pub target: Target,
}

impl Default for Layout {
    /// One column at 300 dpi with titles, as a bitmap.
    fn default() -> Self {
        Layout {
            width: Width::OneColumn,
            dpi: 300,
            titles: true,
            target: Target::Bitmap,
        }
    }
}

/// Font sizes in pixels at 300 dpi: ~8.6 pt axis labels and titles, ~7.7 pt ticks,
/// ~7.2 pt legends.
pub const LABEL: f64 = 36.0;
pub const TICK: f64 = 32.0;
pub const LEGEND: f64 = 30.0;
/// Height a title adds above a chart, at 300 dpi.
pub const TITLE_SPACE: f64 = 64.0;

impl Layout {
    /// The same layout drawing to `target`.
    pub fn on(self, target: Target) -> Layout {
        Layout { target, ..self }
    }

    /// Scale of this resolution against the 300 dpi design.
    pub fn scale(&self) -> f64 {
        f64::from(self.dpi) / 300.0
    }

    /// `n` design pixels at this resolution (at least 1).
    pub fn px(&self, n: f64) -> u32 {
        (n * self.scale()).round().max(1.0) as u32
    }

    /// `n` design pixels at this resolution, signed.
    pub fn pxi(&self, n: f64) -> i32 {
        self.px(n) as i32
    }

    /// The figure's width in pixels.
    pub fn width_px(&self) -> u32 {
        (self.width.inches() * f64::from(self.dpi)).round() as u32
    }

    /// The title's height in pixels (0 without titles).
    pub fn title_px(&self) -> u32 {
        if self.titles {
            self.px(TITLE_SPACE)
        } else {
            0
        }
    }

    /// A font of `size` design pixels.
    pub fn font(&self, size: f64) -> (&'static str, u32) {
        ("sans-serif", self.px(size))
    }
}

/// Checks a resolution given on the command line.
pub fn parse_dpi(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(d) if (72..=1200).contains(&d) => Ok(d),
        _ => Err(format!(
            "--dpi: expected a whole number from 72 to 1200, got '{s}'"
        )),
    }
}
