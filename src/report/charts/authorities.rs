//! Authorities ranked by net saving per child, with 95% intervals.

use super::*;

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
