//! Acceptability over willingness to pay per breakdown averted: for each strategy, the share
//! of simulations in which it has the largest net monetary benefit, with the points where the
//! strategy of largest expected net benefit changes marked.

use super::*;

/// One strategy's curve: `(willingness to pay, probability best)`.
pub struct WtpSeries {
    pub name: String,
    pub index: usize,
    pub points: Vec<(f64, f64)>,
}

/// A chart over willingness to pay (£ across) and a number up the side.
type Plane<'a, DB> =
    ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>>;

/// One line per strategy, in its colour, with its legend entry.
fn strategy_lines<DB: DrawingBackend>(chart: &mut Plane<'_, DB>, series: &[WtpSeries]) -> Result<()>
where
    DB::ErrorType: 'static,
{
    for s in series {
        let c = strategy_colour(s.index);
        chart
            .draw_series(LineSeries::new(s.points.iter().copied(), c.stroke_width(3)))
            .map_err(e)?
            .label(s.name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3)));
    }
    Ok(())
}

/// A dashed line from `y0` to `y1` at each willingness to pay where the choice turns. With
/// `label`, turn `i` is labelled "<strategy> from £X" at height `label.0(i)`, anchored at
/// `label.1`, on the side of its line with room: left of a line in the right half.
fn turn_lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &mut Plane<'_, DB>,
    turns: &[(f64, String)],
    (y0, y1): (f64, f64),
    xmax: f64,
    label: Option<(&dyn Fn(usize) -> f64, VPos)>,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    for (i, (w, name)) in turns.iter().enumerate() {
        chart
            .draw_series(DashedLineSeries::new(vec![(*w, y0), (*w, y1)], 8, 6, BLACK.mix(0.6).stroke_width(2)))
            .map_err(e)?;
        let Some((at, v)) = label else { continue };
        let (px, py) = chart.backend_coord(&(*w, at(i)));
        let text = format!("{name} from {}", money(*w));
        let (h, dx) = if *w > xmax / 2.0 { (HPos::Right, -6) } else { (HPos::Left, 6) };
        let style = TextStyle::from((FONT, 15).into_font()).pos(Pos::new(h, v));
        root.draw(&Text::new(text, (px + dx, py), style)).map_err(e)?;
    }
    Ok(())
}

/// The acceptability curves over willingness to pay, and where the choice turns.
pub struct WtpChart {
    pub series: Vec<WtpSeries>,
    /// `(willingness to pay, the strategy chosen from there)`.
    pub turns: Vec<(f64, String)>,
}

impl Chart for WtpChart {
    fn name(&self) -> &'static str {
        "wtp"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let xmax = self.series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).fold(1.0, f64::max);
        let mut chart = frame(root, "Which strategy is best, for what a breakdown averted is worth?", 26, 60, 80)
            .build_finite(0f64..xmax, 0f64..1.05)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc("Willingness to pay per breakdown averted (£)")
            .x_label_formatter(&|v| money_tick(*v, xmax))
            .y_label_formatter(&|v| crate::results::format::percent_ticks(0.05)(v))
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 18))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        y_title(root, "Probability of the largest net benefit (%)")?;
        strategy_lines(&mut chart, &self.series)?;
        // Labels sit near the foot of their dashed line, where the curves rarely are.
        let at = |i: usize| 0.03 + 0.05 * i as f64;
        turn_lines(root, &mut chart, &self.turns, (0.0, 1.05), xmax, Some((&at, VPos::Bottom)))?;
        legend(&mut chart, SeriesLabelPosition::UpperRight, 16)?;
        Ok(())
    }
}

/// The expected value of perfect information over willingness to pay per breakdown averted,
/// for the population of decisions: what resolving every uncertainty would be worth, at each
/// value of a breakdown averted, with the point where the choice is most uncertain marked.
pub struct EvpiCurveChart {
    /// `(willingness to pay, population EVPI)`.
    pub points: Vec<(f64, f64)>,
    pub decision_years: f64,
    /// `(willingness to pay, the strategy chosen from there)`.
    pub turns: Vec<(f64, String)>,
}

impl Chart for EvpiCurveChart {
    fn name(&self) -> &'static str {
        "evpi_curve"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let xmax = self.points.iter().map(|p| p.0).fold(1.0, f64::max);
        let top = self.points.iter().map(|p| p.1).fold(0.0, f64::max).max(1.0) * 1.15;
        let mut chart = frame(root, "What would resolving every uncertainty be worth?", 26, 60, 90)
            .build_finite(0f64..xmax, 0f64..top)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc("Willingness to pay per breakdown averted (£)")
            .x_label_formatter(&|v| money_tick(*v, xmax))
            .y_label_formatter(&|v| money_tick(*v, top))
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 18))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        y_title(
            root,
            &format!(
                "Expected value of perfect information (£, {} years of cohorts)",
                crate::results::format::number(self.decision_years, 2)
            ),
        )?;
        let c = RGBColor(0, 114, 178);
        chart
            .draw_series(AreaSeries::new(self.points.iter().copied(), 0.0, c.mix(0.15)).border_style(c.stroke_width(3)))
            .map_err(e)?;
        let at = |_: usize| top * 0.97;
        turn_lines(root, &mut chart, &self.turns, (0.0, top), xmax, Some((&at, VPos::Top)))?;
        Ok(())
    }
}

/// Each strategy's expected net monetary benefit against the comparator over willingness to
/// pay per breakdown averted: the strategy with the highest line is the one to choose at that
/// value, and where lines cross the choice turns.
pub struct EnbChart {
    /// Each strategy's `(willingness to pay, expected net benefit)`, the comparator's at 0.
    pub series: Vec<WtpSeries>,
    pub turns: Vec<(f64, String)>,
}

impl Chart for EnbChart {
    fn name(&self) -> &'static str {
        "enb"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let all = self.series.iter().flat_map(|s| s.points.iter());
        let xmax = all.clone().map(|p| p.0).fold(1.0, f64::max);
        let (lo, hi) = all.map(|p| p.1).fold((0f64, 0f64), |(l, h), v| (l.min(v), h.max(v)));
        let pad = 0.08 * (hi - lo).max(1.0);
        let (ylo, yhi) = (lo - pad, hi + pad);
        let mut chart =
            frame(root, "Expected net benefit of each strategy, for what a breakdown averted is worth", 24, 60, 90)
                .build_finite(0f64..xmax, ylo..yhi)
                .map_err(e)?;
        let span = (yhi - ylo).max(yhi.abs()).max(ylo.abs());
        chart
            .configure_mesh()
            .x_desc("Willingness to pay per breakdown averted (£)")
            .x_label_formatter(&|v| money_tick(*v, xmax))
            .y_label_formatter(&|v| money_tick(*v, span))
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 18))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        y_title(root, "Expected net monetary benefit against the comparator (£)")?;
        strategy_lines(&mut chart, &self.series)?;
        turn_lines(root, &mut chart, &self.turns, (ylo, yhi), xmax, None)?;
        legend(&mut chart, SeriesLabelPosition::UpperLeft, 16)?;
        Ok(())
    }
}
