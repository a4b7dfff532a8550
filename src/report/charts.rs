//! Charts drawn with plotters, each written as PNG (embedded DejaVu Sans font) and SVG.
//!
//! Every chart is a plain data struct implementing [`Chart`]; it is drawn once per backend so
//! the PNG and the SVG always show the same thing. Style rules: 1200×700, axis titles with
//! units, money in £ with thousands separators (or £k/£m), never scientific notation, a legend
//! clear of the data, and one colour per strategy throughout ([`strategy_colour`]). The
//! bitmap backend cannot rotate text (plotters issue #655), so every y-axis title is written
//! horizontally above the axis instead of beside it.

use std::path::Path;
use std::sync::Once;

use anyhow::{Result, anyhow};
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 700;
const FONT: &str = "sans-serif";

static FONT_BYTES: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

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

/// Money axis ticks in one unit for the whole axis, with enough decimals that no two ticks
/// read the same (see [`crate::results::format::money_ticks`]).
fn money_tick(v: f64, span: f64) -> String {
    crate::results::format::money_ticks(0.0, span.abs(), nice_step(span))(&v)
}

/// A chart that can draw itself on any plotters backend.
pub trait Chart {
    /// File stem, e.g. `reentry_curve`.
    fn name(&self) -> &'static str;
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static;
}

fn e<E: std::fmt::Display>(err: E) -> anyhow::Error {
    anyhow!("drawing failed: {err}")
}

/// Draws `chart` into `dir/<name>.png` and `dir/<name>.svg`, and returns the SVG text.
pub fn render<C: Chart>(chart: &C, dir: &Path) -> Result<String> {
    register_font();
    let png = dir.join(format!("{}.png", chart.name()));
    {
        let root = BitMapBackend::new(&png, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(e)?;
        chart.draw(&root)?;
        root.present().map_err(e)?;
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(e)?;
        chart.draw(&root)?;
        root.present().map_err(e)?;
    }
    std::fs::write(dir.join(format!("{}.svg", chart.name())), &svg)?;
    Ok(svg)
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
        .margin_top(45)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area);
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

/// Writes a y-axis title horizontally above the plotting area's top-left corner.
fn y_title<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, text: &str) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.draw(&Text::new(text.to_string(), (20, 62), (FONT, 17).into_font().color(&BLACK.mix(0.8)))).map_err(e)
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

// ---------------------------------------------------------------------------------------

/// One strategy's cumulative re-entry curve: `(month, central, low, high)`.
pub struct CurveSeries {
    pub name: String,
    pub index: usize,
    pub points: Vec<(f64, f64, f64, f64)>,
}

/// Chart 1: cumulative share back in care by months since return.
pub struct ReentryChart {
    pub horizon_months: f64,
    pub series: Vec<CurveSeries>,
    /// Published points `(month, share)`, drawn as markers.
    pub targets: Vec<(f64, f64)>,
}

impl Chart for ReentryChart {
    fn name(&self) -> &'static str {
        "reentry_curve"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let ymax = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.3))
            .chain(self.targets.iter().map(|t| t.1))
            .fold(0.05, f64::max)
            * 1.15;
        let mut chart = frame(root, "Children back in care, by months since returning home", 26, 60, 80)
            .build_cartesian_2d(0f64..self.horizon_months.max(1.0), 0f64..ymax)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc("Months since return home")
            .x_labels(((self.horizon_months / 6.0).ceil() as usize + 1).min(25))
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| crate::results::format::percent_ticks(0.05)(v))
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 18))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        y_title(root, "Cumulative share with a first re-entry (%)")?;
        for s in &self.series {
            let c = strategy_colour(s.index);
            let mut band: Vec<(f64, f64)> = s.points.iter().map(|p| (p.0, p.3)).collect();
            band.extend(s.points.iter().rev().map(|p| (p.0, p.2)));
            chart.draw_series(std::iter::once(Polygon::new(band, c.mix(0.18)))).map_err(e)?;
        }
        for s in &self.series {
            let c = strategy_colour(s.index);
            chart
                .draw_series(LineSeries::new(s.points.iter().map(|p| (p.0, p.1)), c.stroke_width(3)))
                .map_err(e)?
                .label(s.name.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3)));
        }
        if !self.targets.is_empty() {
            chart
                .draw_series(self.targets.iter().map(|&(m, v)| Circle::new((m, v), 7, BLACK.stroke_width(2))))
                .map_err(e)?
                .label("Published figure (calibration target)")
                .legend(|(x, y)| Circle::new((x + 12, y), 6, BLACK.stroke_width(2)));
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight, 16)?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------

/// One strategy's discounted costs by category.
pub struct CostBar {
    pub name: String,
    pub support: f64,
    pub breakdown: f64,
    pub other: f64,
}

/// Chart 2: where the money goes, stacked by category.
pub struct CostChart {
    pub bars: Vec<CostBar>,
    pub subtitle: String,
}

const CATEGORY: [(&str, RGBColor); 3] = [
    ("Support", RGBColor(0, 114, 178)),
    ("Breakdown and care", RGBColor(213, 94, 0)),
    ("Other (maltreatment)", RGBColor(150, 150, 150)),
];

impl Chart for CostChart {
    fn name(&self) -> &'static str {
        "costs"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let ymax = self.bars.iter().map(|b| b.support + b.breakdown + b.other).fold(1.0, f64::max) * 1.15;
        let n = self.bars.len() as f64;
        let mut chart = frame(root, format!("Where the money goes ({})", self.subtitle), 26, 50, 90)
            .build_cartesian_2d(-0.5f64..n - 0.5, 0f64..ymax)
            .map_err(e)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_label_formatter(&|v| money_tick(*v, ymax))
            .label_style((FONT, 16))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        y_title(root, "Cost over the horizon, discounted (£)")?;
        for (ci, (label, colour)) in CATEGORY.iter().enumerate() {
            let rects: Vec<Rectangle<(f64, f64)>> = self
                .bars
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    let parts = [b.support, b.breakdown, b.other];
                    let y0: f64 = parts[..ci].iter().sum();
                    let x = i as f64;
                    Rectangle::new([(x - 0.3, y0), (x + 0.3, y0 + parts[ci])], colour.filled())
                })
                .collect();
            let c = *colour;
            chart
                .draw_series(rects)
                .map_err(e)?
                .label(*label)
                .legend(move |(x, y)| Rectangle::new([(x, y - 7), (x + 16, y + 7)], c.filled()));
        }
        let label_style = TextStyle::from((FONT, 18).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom));
        chart
            .draw_series(self.bars.iter().enumerate().map(|(i, b)| {
                Text::new(
                    money(b.support + b.breakdown + b.other),
                    (i as f64, b.support + b.breakdown + b.other),
                    label_style.clone(),
                )
            }))
            .map_err(e)?;
        let positions: Vec<((i32, i32), String)> = self
            .bars
            .iter()
            .enumerate()
            .map(|(i, b)| (chart.backend_coord(&(i as f64, 0.0)), b.name.clone()))
            .collect();
        legend(&mut chart, SeriesLabelPosition::UpperRight, 16)?;
        x_categories(root, &positions)
    }
}

// ---------------------------------------------------------------------------------------

/// One strategy's PSA net savings.
pub struct SavingSeries {
    pub name: String,
    pub index: usize,
    pub values: Vec<f64>,
    pub mean: f64,
    pub low: f64,
    pub high: f64,
    pub p_saves: f64,
}

/// Chart 3: distribution of net saving against the comparator.
pub struct NetSavingChart {
    pub comparator: String,
    pub series: Vec<SavingSeries>,
}

impl Chart for NetSavingChart {
    fn name(&self) -> &'static str {
        "net_saving"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let all = self.series.iter().flat_map(|s| s.values.iter().copied());
        let (lo, hi) = all.fold((0.0f64, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
        let (lo, hi) = pad(lo, hi, 0.05);
        let bins = 40usize;
        let width = (hi - lo) / bins as f64;
        let counts: Vec<Vec<usize>> = self
            .series
            .iter()
            .map(|s| {
                let mut c = vec![0usize; bins];
                for v in &s.values {
                    c[(((v - lo) / width) as usize).min(bins - 1)] += 1;
                }
                c
            })
            .collect();
        let cmax = counts.iter().flatten().copied().max().unwrap_or(1).max(1) as f64 * 1.2;
        let title = self
            .series
            .iter()
            .map(|s| format!("{}: probability of saving money {}", s.name, crate::results::format::percent0(s.p_saves)))
            .collect::<Vec<_>>()
            .join("; ");
        let mut chart = frame(root, title, 24, 60, 70).build_cartesian_2d(lo..hi, 0f64..cmax).map_err(e)?;
        let span = hi - lo;
        chart
            .configure_mesh()
            .x_desc(format!("Net saving against {} (£, discounted; right of zero saves money)", self.comparator))
            .x_label_formatter(&|v| money_tick(*v, span))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 18))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        y_title(root, "Simulations (count)")?;
        for (s, c) in self.series.iter().zip(&counts) {
            let colour = strategy_colour(s.index);
            chart
                .draw_series(c.iter().enumerate().filter(|(_, n)| **n > 0).map(|(b, n)| {
                    let x0 = lo + b as f64 * width;
                    Rectangle::new([(x0, 0.0), (x0 + width, *n as f64)], colour.mix(0.45).filled())
                }))
                .map_err(e)?
                .label(format!("{}: mean {} (95% {} to {})", s.name, money(s.mean), money(s.low), money(s.high)))
                .legend(move |(x, y)| Rectangle::new([(x, y - 7), (x + 16, y + 7)], colour.mix(0.6).filled()));
            chart
                .draw_series(LineSeries::new(vec![(s.mean, 0.0), (s.mean, cmax)], colour.stroke_width(3)))
                .map_err(e)?;
            for x in [s.low, s.high] {
                chart
                    .draw_series(DashedLineSeries::new(vec![(x, 0.0), (x, cmax)], 8, 6, colour.stroke_width(2)))
                    .map_err(e)?;
            }
        }
        chart.draw_series(LineSeries::new(vec![(0.0, 0.0), (0.0, cmax)], BLACK.stroke_width(2))).map_err(e)?;
        legend(&mut chart, SeriesLabelPosition::UpperLeft, 15)?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------

/// One strategy's points on the cost-effectiveness plane.
pub struct PlaneSeries {
    pub name: String,
    pub index: usize,
    /// `(breakdowns averted, incremental cost)` per PSA iteration.
    pub points: Vec<(f64, f64)>,
}

/// Chart 4: the cost-effectiveness plane.
pub struct PlaneChart {
    pub comparator: String,
    pub series: Vec<PlaneSeries>,
}

impl Chart for PlaneChart {
    fn name(&self) -> &'static str {
        "ce_plane"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let pts = || self.series.iter().flat_map(|s| s.points.iter().copied());
        let xm = pts().fold(1.0f64, |a, p| a.max(p.0.abs())) * 1.15;
        let ym = pts().fold(1.0f64, |a, p| a.max(p.1.abs())) * 1.15;
        let mut chart = frame(root, format!("Cost-effectiveness plane against {}", self.comparator), 26, 60, 90)
            .build_cartesian_2d(-xm..xm, -ym..ym)
            .map_err(e)?;
        let quadrants = [
            ((0.0, -ym), (xm, 0.0), RGBColor(0, 158, 115), "Saves money and averts breakdowns", (0.97, -0.92)),
            ((0.0, 0.0), (xm, ym), RGBColor(230, 159, 0), "Averts breakdowns at extra cost", (0.97, 0.92)),
            ((-xm, 0.0), (0.0, ym), RGBColor(213, 94, 0), "Costs more and adds breakdowns", (-0.97, 0.92)),
            ((-xm, -ym), (0.0, 0.0), RGBColor(150, 150, 150), "Saves money but adds breakdowns", (-0.97, -0.92)),
        ];
        chart
            .draw_series(quadrants.iter().map(|(a, b, c, _, _)| Rectangle::new([*a, *b], c.mix(0.10).filled())))
            .map_err(e)?;
        let span = 2.0 * ym;
        chart
            .configure_mesh()
            .x_desc("Breakdowns averted (re-entries to care, over the horizon)")
            .x_label_formatter(&|v| thousands(*v))
            .y_label_formatter(&|v| money_tick(*v, span))
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 18))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        y_title(root, "Incremental cost (£, discounted; below zero saves money)")?;
        for (_, _, c, label, (fx, fy)) in quadrants {
            let h = if fx > 0.0 { HPos::Right } else { HPos::Left };
            let v = if fy > 0.0 { VPos::Top } else { VPos::Bottom };
            let colour = c.mix(0.95);
            let style = TextStyle::from((FONT, 17).into_font()).color(&colour).pos(Pos::new(h, v));
            chart.draw_series(std::iter::once(Text::new(label, (fx * xm, fy * ym), style))).map_err(e)?;
        }
        chart.draw_series(LineSeries::new(vec![(-xm, 0.0), (xm, 0.0)], BLACK.stroke_width(1))).map_err(e)?;
        chart.draw_series(LineSeries::new(vec![(0.0, -ym), (0.0, ym)], BLACK.stroke_width(1))).map_err(e)?;
        for s in &self.series {
            let c = strategy_colour(s.index);
            chart
                .draw_series(s.points.iter().map(|&p| Circle::new(p, 3, c.mix(0.55).filled())))
                .map_err(e)?
                .label(s.name.clone())
                .legend(move |(x, y)| Circle::new((x + 8, y), 5, c.filled()));
        }
        legend(&mut chart, SeriesLabelPosition::Coordinate(90, 110), 16)?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------

/// One outcome per 100 children: `(central, low, high)` per strategy.
pub struct OutcomeGroup {
    pub label: String,
    pub values: Vec<(f64, f64, f64)>,
}

/// Chart 5: outcomes per 100 children returned, side by side.
pub struct OutcomeChart {
    pub strategies: Vec<String>,
    pub groups: Vec<OutcomeGroup>,
}

impl Chart for OutcomeChart {
    fn name(&self) -> &'static str {
        "outcomes"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let ymax = self.groups.iter().flat_map(|g| g.values.iter().map(|v| v.2.max(v.0))).fold(1.0, f64::max) * 1.2;
        let n = self.groups.len() as f64;
        let k = self.strategies.len().max(1) as f64;
        let mut chart = frame(root, "Outcomes per 100 children returned home", 26, 50, 70)
            .build_cartesian_2d(-0.5f64..n - 0.5, 0f64..ymax)
            .map_err(e)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_label_formatter(&|v| format!("{v:.0}"))
            .label_style((FONT, 16))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        y_title(root, "Per 100 children returned (bars: central estimate; whiskers: 95% interval)")?;
        let w = 0.8 / k;
        for (si, name) in self.strategies.iter().enumerate() {
            let c = strategy_colour(si);
            let x = |g: usize| g as f64 - 0.4 + w * (si as f64 + 0.5);
            chart
                .draw_series(self.groups.iter().enumerate().map(|(g, grp)| {
                    Rectangle::new([(x(g) - 0.45 * w, 0.0), (x(g) + 0.45 * w, grp.values[si].0)], c.filled())
                }))
                .map_err(e)?
                .label(name.clone())
                .legend(move |(x, y)| Rectangle::new([(x, y - 7), (x + 16, y + 7)], c.filled()));
            for (g, grp) in self.groups.iter().enumerate() {
                let (_, lo, hi) = grp.values[si];
                if hi > lo {
                    let xs = x(g);
                    let bar = vec![(xs, lo), (xs, hi)];
                    chart.draw_series(LineSeries::new(bar, BLACK.stroke_width(2))).map_err(e)?;
                    for y in [lo, hi] {
                        let cap = vec![(xs - 0.12 * w, y), (xs + 0.12 * w, y)];
                        chart.draw_series(LineSeries::new(cap, BLACK.stroke_width(2))).map_err(e)?;
                    }
                }
            }
        }
        let positions: Vec<((i32, i32), String)> = self
            .groups
            .iter()
            .enumerate()
            .map(|(g, grp)| (chart.backend_coord(&(g as f64, 0.0)), grp.label.clone()))
            .collect();
        legend(&mut chart, SeriesLabelPosition::UpperRight, 16)?;
        x_categories(root, &positions)
    }
}

// ---------------------------------------------------------------------------------------

/// One tornado bar: net saving with the parameter at its low and high quantile.
pub struct TornadoBar {
    pub label: String,
    pub low: f64,
    pub high: f64,
}

/// Chart 6: one-way sensitivity of the net saving.
pub struct TornadoChart {
    pub strategy: String,
    pub comparator: String,
    pub base: f64,
    pub bars: Vec<TornadoBar>,
}

impl Chart for TornadoChart {
    fn name(&self) -> &'static str {
        "tornado"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let (lo, hi) = self
            .bars
            .iter()
            .fold((self.base, self.base), |(a, b), r| (a.min(r.low.min(r.high)), b.max(r.low.max(r.high))));
        let (lo, hi) = pad(lo.min(0.0), hi.max(0.0), 0.08);
        let n = self.bars.len().max(1) as f64;
        let caption =
            format!("What drives the net saving of {} (base case {}, black line)", self.strategy, money(self.base));
        let mut chart = frame(root, caption, 24, 60, 430).build_cartesian_2d(lo..hi, -0.5f64..n - 0.5).map_err(e)?;
        let span = hi - lo;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_desc(format!(
                "Net saving against {} (£, discounted); bars: input at its 2.5% (blue) and 97.5% (orange) quantile",
                self.comparator
            ))
            .x_label_formatter(&|v| money_tick(*v, span))
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 16))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        let low_c = RGBColor(0, 114, 178);
        let high_c = RGBColor(213, 94, 0);
        for (i, b) in self.bars.iter().enumerate() {
            // The largest swing goes on top.
            let y = n - 1.0 - i as f64;
            for (v, c) in [(b.low, low_c), (b.high, high_c)] {
                let (a, z) = if v < self.base { (v, self.base) } else { (self.base, v) };
                chart
                    .draw_series(std::iter::once(Rectangle::new([(a, y - 0.35), (z, y + 0.35)], c.mix(0.85).filled())))
                    .map_err(e)?;
            }
        }
        chart
            .draw_series(LineSeries::new(vec![(self.base, -0.5), (self.base, n - 0.5)], BLACK.stroke_width(2)))
            .map_err(e)?;
        chart
            .draw_series(DashedLineSeries::new(vec![(0.0, -0.5), (0.0, n - 0.5)], 6, 6, BLACK.mix(0.5).stroke_width(1)))
            .map_err(e)?;
        let style = TextStyle::from((FONT, 14).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
        for (i, b) in self.bars.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(lo, n - 1.0 - i as f64));
            root.draw(&Text::new(b.label.clone(), (x - 10, y), style.clone())).map_err(e)?;
        }
        Ok(())
    }
}

/// One strategy's acceptability curve.
pub struct AcceptSeries {
    pub name: String,
    pub index: usize,
    pub points: Vec<(f64, f64)>,
    pub price: f64,
}

/// Chart 7: probability of saving money against the price of support.
pub struct AcceptabilityChart {
    pub series: Vec<AcceptSeries>,
}

impl Chart for AcceptabilityChart {
    fn name(&self) -> &'static str {
        "acceptability"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let xmax = self.series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).fold(1.0, f64::max);
        let mut chart = frame(root, "How likely is support to save money, at each price?", 26, 60, 80)
            .build_cartesian_2d(0f64..xmax, 0f64..1.05)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc("Price of support per child (£)")
            .x_label_formatter(&|v| money(*v))
            .y_label_formatter(&|v| crate::results::format::percent_ticks(0.05)(v))
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 18))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        y_title(root, "Probability that the strategy saves money (%)")?;
        for s in &self.series {
            let c = strategy_colour(s.index);
            chart
                .draw_series(LineSeries::new(s.points.iter().copied(), c.stroke_width(3)))
                .map_err(e)?
                .label(format!("{} (scenario price {}: dashed)", s.name, money(s.price)))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3)));
            chart
                .draw_series(DashedLineSeries::new(vec![(s.price, 0.0), (s.price, 1.05)], 8, 6, c.stroke_width(2)))
                .map_err(e)?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight, 16)?;
        Ok(())
    }
}

/// Chart 8: expected value of perfect parameter information.
pub struct EvppiChart {
    pub decision_years: f64,
    pub bars: Vec<(String, f64)>,
}

impl Chart for EvppiChart {
    fn name(&self) -> &'static str {
        "evppi"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let xmax = self.bars.iter().map(|b| b.1).fold(1.0, f64::max) * 1.15;
        let n = self.bars.len().max(1) as f64;
        let mut chart = frame(root, "Which uncertainty is worth researching?", 26, 60, 430)
            .margin_right(60)
            .build_cartesian_2d(0f64..xmax, -0.5f64..n - 0.5)
            .map_err(e)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_desc(format!("Expected value of perfect information (£, {} years of cohorts)", self.decision_years))
            .x_label_formatter(&|v| money_tick(*v, xmax))
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 16))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        let c = RGBColor(0, 114, 178);
        chart
            .draw_series(self.bars.iter().enumerate().map(|(i, b)| {
                let y = n - 1.0 - i as f64;
                Rectangle::new([(0.0, y - 0.35), (b.1, y + 0.35)], c.filled())
            }))
            .map_err(e)?;
        let style = TextStyle::from((FONT, 14).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
        for (i, b) in self.bars.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(0.0, n - 1.0 - i as f64));
            root.draw(&Text::new(b.0.clone(), (x - 10, y), style.clone())).map_err(e)?;
        }
        Ok(())
    }
}

/// Chart 9: authorities ranked by net saving per child, with 95% intervals.
pub struct AuthorityChart {
    pub strategy: String,
    pub index: usize,
    /// `(central, low, high)` per child, best first.
    pub points: Vec<(f64, f64, f64)>,
}

impl Chart for AuthorityChart {
    fn name(&self) -> &'static str {
        "authorities"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let n = self.points.len().max(1) as f64;
        let (lo, hi) =
            self.points.iter().fold((0.0f64, 0.0f64), |(a, b), p| (a.min(p.1.min(p.0)), b.max(p.2.max(p.0))));
        let (lo, hi) = pad(lo, hi, 0.05);
        let mut chart =
            frame(root, format!("Authorities ranked by net saving per child: {}", self.strategy), 24, 60, 90)
                .build_cartesian_2d(0.5f64..n + 0.5, lo..hi)
                .map_err(e)?;
        let span = hi - lo;
        chart
            .configure_mesh()
            .x_desc("Authority rank (1 = largest saving per child; names and figures in authorities.csv)")
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| money_tick(*v, span))
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 16))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        y_title(root, "Net saving per child returned (£, discounted; whiskers: 95% interval)")?;
        let c = strategy_colour(self.index);
        for (i, p) in self.points.iter().enumerate() {
            let x = i as f64 + 1.0;
            if p.2 > p.1 {
                chart.draw_series(LineSeries::new(vec![(x, p.1), (x, p.2)], c.mix(0.5).stroke_width(1))).map_err(e)?;
            }
        }
        chart
            .draw_series(self.points.iter().enumerate().map(|(i, p)| Circle::new((i as f64 + 1.0, p.0), 3, c.filled())))
            .map_err(e)?;
        chart.draw_series(LineSeries::new(vec![(0.5, 0.0), (n + 0.5, 0.0)], BLACK.stroke_width(1))).map_err(e)?;
        Ok(())
    }
}

/// One strategy's spend by financial year (cash): `[support, breakdown and care, other]`.
pub struct BudgetSpend {
    pub name: String,
    pub index: usize,
    pub years: Vec<[f64; 3]>,
}

/// One strategy's cumulative net position against the comparator (cash) at the end of each
/// financial year: `(central, low, high)`.
pub struct BudgetNet {
    pub name: String,
    pub index: usize,
    pub years: Vec<(f64, f64, f64)>,
}

/// Chart 10 (flow mode): spend by financial year per strategy, and the cumulative net
/// position with its 95% band.
pub struct BudgetChart {
    pub years: Vec<String>,
    pub comparator: String,
    pub spend: Vec<BudgetSpend>,
    pub net: Vec<BudgetNet>,
}

impl Chart for BudgetChart {
    fn name(&self) -> &'static str {
        "budget"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let (top, bottom) = root.split_vertically(400);
        let ny = self.years.len().max(1) as f64;
        let ns = self.spend.len().max(1) as f64;
        let width = 0.8 / ns;
        let year_max = |y: usize| {
            self.spend.iter().filter_map(|s| s.years.get(y)).map(|p| p.iter().sum::<f64>()).fold(0.0, f64::max)
        };
        let ymax = (0..self.years.len()).map(year_max).fold(1.0, f64::max);
        // Headroom for the legend, which goes over the lower end of the bars: spend usually
        // grows as cohorts accumulate, so the upper left is clear; if it falls, the right is.
        let ymax = ymax * 1.4;
        let rising = year_max(0) <= year_max(self.years.len().saturating_sub(1));
        let top_legend = if rising { SeriesLabelPosition::UpperLeft } else { SeriesLabelPosition::UpperRight };
        // A little more room above the plot than the shared frame gives, so that a tick at the
        // top of the axis never meets the axis title written above it.
        let mut builder = frame(&top, "Spend by financial year (cash)", 24, 35, 90);
        let mut chart = builder.margin_top(60).build_cartesian_2d(-0.5f64..ny - 0.5, 0f64..ymax).map_err(e)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_labels(6)
            .y_label_formatter(&|v| money_tick(*v, ymax))
            .label_style((FONT, 15))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        y_title(&top, "Spend in the year (£, undiscounted)")?;
        let x_of = |y: usize, s: usize| y as f64 - 0.4 + width * (s as f64 + 0.5);
        for (ci, (label, colour)) in CATEGORY.iter().enumerate() {
            let rects: Vec<Rectangle<(f64, f64)>> = self
                .spend
                .iter()
                .enumerate()
                .flat_map(|(si, st)| {
                    st.years.iter().enumerate().map(move |(y, parts)| {
                        let y0: f64 = parts[..ci].iter().sum();
                        let x = x_of(y, si);
                        Rectangle::new([(x - 0.45 * width, y0), (x + 0.45 * width, y0 + parts[ci])], colour.filled())
                    })
                })
                .collect();
            let c = *colour;
            chart
                .draw_series(rects)
                .map_err(e)?
                .label(*label)
                .legend(move |(x, y)| Rectangle::new([(x, y - 7), (x + 16, y + 7)], c.filled()));
        }
        for (si, st) in self.spend.iter().enumerate() {
            let c = strategy_colour(st.index);
            let outlines: Vec<Rectangle<(f64, f64)>> = st
                .years
                .iter()
                .enumerate()
                .map(|(y, parts)| {
                    let x = x_of(y, si);
                    Rectangle::new([(x - 0.45 * width, 0.0), (x + 0.45 * width, parts.iter().sum())], c.stroke_width(3))
                })
                .collect();
            chart
                .draw_series(outlines)
                .map_err(e)?
                .label(format!("{} (outline)", st.name))
                .legend(move |(x, y)| Rectangle::new([(x, y - 7), (x + 16, y + 7)], c.stroke_width(3)));
        }
        let positions: Vec<((i32, i32), String)> = self
            .years
            .iter()
            .enumerate()
            .map(|(y, label)| (chart.backend_coord(&(y as f64, 0.0)), label.clone()))
            .collect();
        legend(&mut chart, top_legend, 14)?;
        x_categories(&top, &positions)?;

        let (lo, hi) = self
            .net
            .iter()
            .flat_map(|n| n.years.iter())
            .fold((0.0f64, 0.0f64), |(a, b), p| (a.min(p.1.min(p.0)), b.max(p.2.max(p.0))));
        let (lo, hi) = pad(lo, hi, 0.08);
        let span = hi - lo;
        let mut chart = frame(
            &bottom,
            format!("Cumulative net position against {} (cash; above zero: ahead)", self.comparator),
            22,
            40,
            90,
        )
        .build_cartesian_2d(-0.5f64..ny - 0.5, lo..hi)
        .map_err(e)?;
        let labels = self.years.clone();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(self.years.len())
            .x_label_formatter(&|v| {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 {
                    labels.get(i as usize).map(|l| format!("end of {l}")).unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_labels(5)
            .y_label_formatter(&|v| money_tick(*v, span))
            .label_style((FONT, 15))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        y_title(&bottom, "Net (£)")?;
        chart.draw_series(LineSeries::new(vec![(-0.5, 0.0), (ny - 0.5, 0.0)], BLACK.stroke_width(1))).map_err(e)?;
        for n in &self.net {
            let c = strategy_colour(n.index);
            let mut band: Vec<(f64, f64)> = n.years.iter().enumerate().map(|(y, p)| (y as f64, p.2)).collect();
            band.extend(n.years.iter().enumerate().rev().map(|(y, p)| (y as f64, p.1)));
            chart.draw_series(std::iter::once(Polygon::new(band, c.mix(0.18)))).map_err(e)?;
            chart
                .draw_series(LineSeries::new(
                    n.years.iter().enumerate().map(|(y, p)| (y as f64, p.0)),
                    c.stroke_width(3),
                ))
                .map_err(e)?
                .label(n.name.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3)));
            chart
                .draw_series(n.years.iter().enumerate().map(|(y, p)| Circle::new((y as f64, p.0), 5, c.filled())))
                .map_err(e)?;
        }
        if let Some(first) = self.net.first() {
            // A falling line leaves the lower left clear; a rising one, the lower right.
            let (start, end) = (first.years.first().map_or(0.0, |p| p.0), first.years.last().map_or(0.0, |p| p.0));
            let position = if end < start { SeriesLabelPosition::LowerLeft } else { SeriesLabelPosition::LowerRight };
            legend(&mut chart, position, 14)?;
        }
        Ok(())
    }
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
