//! Charts drawn with plotters, each written as PNG (embedded DejaVu Sans font) and SVG, one
//! file per chart; this module holds what they share: the [`Chart`] trait, sizes, colours, the
//! frame, legends, axis titles and money ticks.
//!
//! Every chart is a plain data struct implementing [`Chart`]; it is drawn once per backend so
//! the PNG and the SVG always show the same thing. Style rules: 1200×700, axis titles with
//! units, money in £ with thousands separators (or £k/£m), never scientific notation, a legend
//! clear of the data, and one colour per strategy throughout ([`strategy_colour`]). The
//! bitmap backend cannot rotate text (plotters issue #655), so every y-axis title is written
//! horizontally above the axis instead of beside it.

use std::path::Path;
use std::sync::{Arc, Once, OnceLock};

use anyhow::{Result, anyhow};
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

mod acceptability;
mod authorities;
mod budget;
mod ce_plane;
mod compare;
mod costs;
mod decision;
mod evppi;
mod evsi;
mod local_fit;
mod net_saving;
mod outcomes;
mod reentry_curve;
mod tornado;
mod two_way;
mod validation;
mod wtp;

pub use acceptability::*;
pub use authorities::*;
pub use budget::*;
pub use ce_plane::*;
pub use compare::*;
pub use costs::*;
pub use decision::*;
pub use evppi::*;
pub use evsi::*;
pub use local_fit::*;
pub use net_saving::*;
pub use outcomes::*;
pub use reentry_curve::*;
pub use tornado::*;
pub use two_way::*;
pub use validation::*;
pub use wtp::*;

pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 700;
const FONT: &str = "sans-serif";

static FONT_BYTES: &[u8] = include_bytes!("font/DejaVuSans.ttf");

/// Registers the embedded font once, so PNG text never needs system fonts.
pub fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is compiled in and known to parse; failure would be a build defect.
        plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).ok();
    });
}

/// The colour of strategy `i`, the same in every chart: grey for the comparator, then a
/// colour-blind-friendly sequence (Okabe–Ito).
pub fn strategy_colour(i: usize) -> RGBColor {
    const P: [RGBColor; 7] = [
        RGBColor(100, 100, 100),
        RGBColor(0, 114, 178),
        RGBColor(213, 94, 0),
        RGBColor(0, 158, 115),
        RGBColor(204, 121, 167),
        RGBColor(230, 159, 0),
        RGBColor(86, 180, 233),
    ];
    P[i % P.len()]
}

/// The hex form of a strategy's colour, for the HTML report.
pub fn strategy_hex(i: usize) -> String {
    let c = strategy_colour(i);
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

pub use crate::results::format::{count as thousands, money};

/// The tick step plotters is likely to choose on an axis spanning `span`: a 1, 2 or 5 times a
/// power of ten giving about ten ticks.
fn nice_step(span: f64) -> f64 {
    let raw = (span.abs() / 10.0).max(1e-9);
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * p).find(|s| *s >= raw).unwrap_or(10.0 * p)
}

/// A range plotters can lay ticks on: finite ends with a finite, positive width, else 0 to 1.
/// An infinite or NaN end (a damaged table, an overflowing sum) would make plotters look for
/// tick positions for ever.
fn finite(r: std::ops::Range<f64>) -> std::ops::Range<f64> {
    if r.start.is_finite() && r.end.is_finite() && (r.end - r.start).is_finite() && r.end > r.start {
        r
    } else {
        0.0..1.0
    }
}

/// A chart's plotting area with numeric axes across and up.
type Plane<'a, DB> =
    ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>>;

/// `build_cartesian_2d` on ranges made [`finite`] first: every chart builds its axes so.
trait BuildFinite<'a, DB: DrawingBackend> {
    fn build_finite(
        &mut self,
        x: std::ops::Range<f64>,
        y: std::ops::Range<f64>,
    ) -> Result<Plane<'a, DB>, plotters::drawing::DrawingAreaErrorKind<DB::ErrorType>>;
}

impl<'a, 'b, DB: DrawingBackend> BuildFinite<'a, DB> for ChartBuilder<'a, 'b, DB> {
    fn build_finite(
        &mut self,
        x: std::ops::Range<f64>,
        y: std::ops::Range<f64>,
    ) -> Result<Plane<'a, DB>, plotters::drawing::DrawingAreaErrorKind<DB::ErrorType>> {
        self.build_cartesian_2d(finite(x), finite(y))
    }
}

/// Money axis ticks in one unit for the whole axis, with enough decimals that no two ticks
/// read the same (see [`crate::results::format::money_ticks`]).
fn money_tick(v: f64, span: f64) -> String {
    crate::results::format::money_ticks(0.0, span.abs(), nice_step(span))(&v)
}

/// A chart that can draw itself on any plotters backend.
pub trait Chart {
    /// File stem, e.g. `reentry_curve`.
    fn name(&self) -> &'static str;
    /// Width and height in pixels.
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static;
    /// What the chart says, in words, for its text alternative ahead of its caption; empty
    /// when the caption says it.
    fn message(&self) -> String {
        String::new()
    }
}

fn e<E: std::fmt::Display>(err: E) -> anyhow::Error {
    anyhow!("drawing failed: {err}")
}

/// The charts of one page, drawn into a folder: each chart's SVG is written as it is drawn,
/// and the PNGs, which take most of the time, are rasterised together at the end, in parallel.
/// A PNG is its SVG drawn by resvg with the embedded font, so the two always show the same
/// thing, text is evenly spaced (plotters' own bitmap text places each glyph on whole pixels),
/// and rotated axis titles work in both.
pub struct Drawn {
    dir: std::path::PathBuf,
    pending: std::sync::Mutex<Vec<(&'static str, String)>>,
}

impl Drawn {
    pub fn new(dir: &Path) -> Drawn {
        Drawn { dir: dir.to_path_buf(), pending: Default::default() }
    }

    /// Draws a chart, writes `<name>.svg` and returns the SVG; its PNG follows in
    /// [`Drawn::finish`].
    pub fn draw<C: Chart>(&self, chart: &C) -> Result<String> {
        let svg = svg_of(chart)?;
        std::fs::write(self.dir.join(format!("{}.svg", chart.name())), &svg)?;
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).push((chart.name(), svg.clone()));
        Ok(svg)
    }

    /// Writes the PNG of every chart drawn.
    pub fn finish(&self) -> Result<()> {
        use rayon::prelude::*;
        let pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        pending.into_par_iter().try_for_each(|(name, svg)| {
            std::fs::write(self.dir.join(format!("{name}.png")), rasterise(&svg)?)?;
            Ok(())
        })
    }
}

/// A chart's SVG text, drawn in memory.
pub fn svg_of<C: Chart>(chart: &C) -> Result<String> {
    register_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, chart.size()).into_drawing_area();
        root.fill(&WHITE).map_err(e)?;
        chart.draw(&root)?;
        root.present().map_err(e)?;
    }
    Ok(svg)
}

/// An SVG drawn to PNG bytes with the embedded font and no other.
pub fn rasterise(svg: &str) -> Result<Vec<u8>> {
    use resvg::{tiny_skia, usvg};
    static FONTS: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    let fonts = FONTS.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_font_data(FONT_BYTES.to_vec());
        db.set_sans_serif_family("DejaVu Sans");
        Arc::new(db)
    });
    let options = usvg::Options { font_family: "DejaVu Sans".into(), fontdb: fonts.clone(), ..Default::default() };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|err| anyhow!("cannot read a chart's SVG: {err}"))?;
    let size = tree.size().to_int_size();
    let mut pixmap =
        tiny_skia::Pixmap::new(size.width(), size.height()).ok_or_else(|| anyhow!("a chart has no area"))?;
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|err| anyhow!("cannot encode a chart as PNG: {err}"))
}

/// The frame every chart shares: its caption, margins that leave room for the y-axis title
/// above the plot and for the last x tick label, and label areas of the given sizes.
fn frame<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    caption: impl AsRef<str>,
    caption_size: u32,
    x_area: u32,
    y_area: u32,
) -> ChartBuilder<'a, 'static, DB> {
    let mut b = ChartBuilder::on(root);
    b.caption(caption, (FONT, caption_size))
        .margin(20)
        .margin_right(50)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area + Y_TITLE);
    b
}

/// Draws the series legend in the shared style at `position`.
fn legend<'a, DB, CT>(chart: &mut ChartContext<'a, DB, CT>, position: SeriesLabelPosition, font: u32) -> Result<()>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    CT: CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.4))
        .label_font((FONT, font))
        .draw()
        .map_err(e)
}

/// Room at the left of a chart for its rotated y-axis title.
const Y_TITLE: u32 = 26;

/// Writes a y-axis title rotated, centred down the left edge of `root`.
fn y_title<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, text: &str) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let (_, h) = root.dim_in_pixel();
    let grey = BLACK.mix(0.8);
    let style = TextStyle::from((FONT, 17).into_font().transform(FontTransform::Rotate270))
        .color(&grey)
        .pos(Pos::new(HPos::Center, VPos::Top));
    root.draw(&Text::new(text.to_string(), (6, h as i32 / 2), style)).map_err(e)
}

/// Tick labels for one financial year at each whole x position (`prefix` before each, as in
/// "end of 2025-26"), and none between them.
fn year_ticks<'a>(labels: &'a [String], prefix: &'a str) -> impl Fn(&f64) -> String + 'a {
    move |v| {
        let i = v.round();
        if (v - i).abs() < 1e-6 && i >= 0.0 {
            labels.get(i as usize).map(|l| format!("{prefix}{l}")).unwrap_or_default()
        } else {
            String::new()
        }
    }
}

/// The mesh of a chart across financial years with money up the side: a tick for each year,
/// labelled `prefix` and the year, and five money ticks over `span`; no vertical grid lines.
fn year_money_mesh<'a, DB>(
    chart: &mut ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    years: &[String],
    prefix: &str,
    span: f64,
    font: u32,
) -> Result<()>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
{
    let ticks = year_ticks(years, prefix);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(years.len())
        .x_label_formatter(&ticks)
        .y_labels(5)
        .y_label_formatter(&|v| money_tick(*v, span))
        .label_style((FONT, font))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(e)
}

/// Writes category labels centred under x positions of a chart.
fn x_categories<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, positions: &[((i32, i32), String)]) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let style = TextStyle::from((FONT, 17).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
    for ((x, y), label) in positions {
        root.draw(&Text::new(label.clone(), (*x, *y + 8), style.clone())).map_err(e)?;
    }
    Ok(())
}

fn pad(lo: f64, hi: f64, frac: f64) -> (f64, f64) {
    let span = (hi - lo).abs().max(1e-9);
    (lo - frac * span, hi + frac * span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_never_in_scientific_notation() {
        assert_eq!(money(56_720_160.0), "£56.7m");
        assert_eq!(money(-920_600.0), "−£920,600");
        assert_eq!(money_tick(250_000_000.0, 3e8), "£250m");
        assert_eq!(money_tick(45_000.0, 1e5), "£45k");
        assert_eq!(thousands(1234567.0), "1,234,567");
    }
}
