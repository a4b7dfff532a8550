//! Outcomes per 100 children returned home, per strategy, with 95% whiskers.

use super::*;

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
            .build_finite(-0.5f64..n - 0.5, 0f64..ymax)
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
