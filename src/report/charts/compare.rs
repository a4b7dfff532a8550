//! Two flow-mode runs side by side: each strategy's total spend by financial year, and each
//! strategy's cumulative net position, run A solid and run B paler and dashed.

use super::*;

/// One strategy of one run: total cash spend per year, and the cumulative net position per
/// year (the comparator has none).
pub struct CompareSeries {
    pub name: String,
    pub index: usize,
    pub spend: Vec<f64>,
    pub net: Option<Vec<f64>>,
}

/// One run's budget, by strategy.
pub struct CompareRun {
    pub label: String,
    pub strategies: Vec<CompareSeries>,
}

/// Spend and cumulative net position of two runs over the same financial years.
pub struct CompareChart {
    pub years: Vec<String>,
    pub runs: [CompareRun; 2],
}

impl Chart for CompareChart {
    fn name(&self) -> &'static str {
        "compare"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let (top, bottom) = root.split_vertically(HEIGHT / 2);
        let ny = self.years.len().max(1) as f64;
        let bars: Vec<(usize, usize, &CompareSeries)> = self
            .runs
            .iter()
            .enumerate()
            .flat_map(|(r, run)| run.strategies.iter().enumerate().map(move |(s, st)| (r, s, st)))
            .collect();
        let per_year = bars.len().max(1) as f64;
        let width = 0.8 / per_year;
        let ymax = bars.iter().flat_map(|b| b.2.spend.iter().copied()).fold(1.0, f64::max) * 1.15;
        let mut chart = frame(&top, "Total spend by financial year (cash)", 20, 40, 90)
            .build_finite(-0.5f64..ny - 0.5, 0f64..ymax)
            .map_err(e)?;
        year_money_mesh(&mut chart, &self.years, "", ymax, 14)?;
        y_title(&top, "£, undiscounted")?;
        for (k, (r, _, st)) in bars.iter().enumerate() {
            let c = strategy_colour(st.index);
            let fill = if *r == 0 { c.filled() } else { c.mix(0.4).filled() };
            let series = st.spend.iter().enumerate().map(move |(y, v)| {
                let x = y as f64 - 0.4 + width * (k as f64 + 0.5);
                Rectangle::new([(x - 0.45 * width, 0.0), (x + 0.45 * width, *v)], fill)
            });
            let drawn = chart.draw_series(series).map_err(e)?;
            drawn.label(format!("{}: {}", self.runs[*r].label, st.name)).legend(move |(x, y)| {
                Rectangle::new([(x, y - 6), (x + 14, y + 6)], if *r == 0 { c.filled() } else { c.mix(0.4).filled() })
            });
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight, 12)?;

        let nets: Vec<(usize, &CompareSeries)> = self
            .runs
            .iter()
            .enumerate()
            .flat_map(|(r, run)| run.strategies.iter().filter(|s| s.net.is_some()).map(move |s| (r, s)))
            .collect();
        let (lo, hi) = nets
            .iter()
            .flat_map(|n| n.1.net.iter().flatten().copied())
            .fold((0.0f64, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
        let (lo, hi) = pad(lo, hi, 0.1);
        let span = hi - lo;
        let mut chart =
            frame(&bottom, "Cumulative net position against the comparator (cash; above zero: ahead)", 20, 40, 90)
                .build_finite(-0.5f64..ny - 0.5, lo..hi)
                .map_err(e)?;
        year_money_mesh(&mut chart, &self.years, "end of ", span, 14)?;
        y_title(&bottom, "£")?;
        chart.draw_series(LineSeries::new(vec![(-0.5, 0.0), (ny - 0.5, 0.0)], BLACK.stroke_width(1))).map_err(e)?;
        for (r, st) in nets {
            let c = strategy_colour(st.index);
            let pts: Vec<(f64, f64)> = st.net.iter().flatten().enumerate().map(|(y, v)| (y as f64, *v)).collect();
            let label = format!("{}: {}", self.runs[r].label, st.name);
            if r == 0 {
                chart
                    .draw_series(LineSeries::new(pts, c.stroke_width(3)))
                    .map_err(e)?
                    .label(label)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3)));
            } else {
                chart
                    .draw_series(DashedLineSeries::new(pts, 10, 6, c.stroke_width(3)))
                    .map_err(e)?
                    .label(label)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 10, y)], c.stroke_width(3)));
            }
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight, 12)?;
        Ok(())
    }
}
