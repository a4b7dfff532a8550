//! The cost-effectiveness plane: breakdowns averted against extra cost, one dot per simulation.

use super::*;

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
            .build_finite(-xm..xm, -ym..ym)
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
