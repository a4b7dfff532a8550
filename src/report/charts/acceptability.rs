//! The probability of saving money against the price of support.

use super::*;

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
        // The x-range covers the prices at which the probability moves: up to the last price
        // where any curve is still changing, with a margin, and always the scenario's price.
        let all_max = self.series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).fold(1.0, f64::max);
        let moving = self
            .series
            .iter()
            .flat_map(|s| {
                s.points.windows(2).filter(|w| (w[1].1 - w[0].1).abs() > 1e-9).map(|w| w[1].0).chain([s.price])
            })
            .fold(0.0, f64::max);
        let xmax = if moving > 0.0 { (moving * 1.25).min(all_max) } else { all_max };
        let mut chart = frame(root, "How likely is support to save money, at each price?", 26, 60, 80)
            .build_finite(0f64..xmax, 0f64..1.05)
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
