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
            .build_cartesian_2d(0f64..xmax, 0f64..1.05)
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
        for s in &self.series {
            let c = strategy_colour(s.index);
            chart
                .draw_series(LineSeries::new(s.points.iter().copied(), c.stroke_width(3)))
                .map_err(e)?
                .label(s.name.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3)));
        }
        // Labels sit near the foot of their dashed line, where the curves rarely are, and on
        // the side of it with room: left of a line in the right half.
        let right = TextStyle::from((FONT, 15).into_font()).pos(Pos::new(HPos::Left, VPos::Bottom));
        let left = TextStyle::from((FONT, 15).into_font()).pos(Pos::new(HPos::Right, VPos::Bottom));
        for (i, (w, name)) in self.turns.iter().enumerate() {
            chart
                .draw_series(DashedLineSeries::new(vec![(*w, 0.0), (*w, 1.05)], 8, 6, BLACK.mix(0.6).stroke_width(2)))
                .map_err(e)?;
            let (px, py) = chart.backend_coord(&(*w, 0.03 + 0.05 * i as f64));
            let text = format!("{name} from {}", money(*w));
            if *w > xmax / 2.0 {
                root.draw(&Text::new(text, (px - 6, py), left.clone())).map_err(e)?;
            } else {
                root.draw(&Text::new(text, (px + 6, py), right.clone())).map_err(e)?;
            }
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight, 16)?;
        Ok(())
    }
}
