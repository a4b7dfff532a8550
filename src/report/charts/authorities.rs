//! Authorities ranked by net saving per child, each named, with 95% intervals. Beyond
//! [`MAX_SHOWN`] authorities the chart shows the top and bottom halves of that many and says
//! how many are left out; the full ranking is in `authorities.csv` and the workbook.

use super::*;

/// The most authorities one chart names.
pub const MAX_SHOWN: usize = 30;

/// One authority on the chart: `(name, rank, central, low, high)`, per child.
pub type AuthorityPoint = (String, usize, f64, f64, f64);

/// Authorities ranked by net saving per child, with 95% intervals.
pub struct AuthorityChart {
    pub strategy: String,
    pub index: usize,
    /// Every authority, best first.
    pub points: Vec<AuthorityPoint>,
}

impl AuthorityChart {
    /// The authorities drawn, and how many are left out between the top and bottom groups.
    pub fn shown(&self) -> (Vec<&AuthorityPoint>, usize) {
        let n = self.points.len();
        if n <= MAX_SHOWN {
            return (self.points.iter().collect(), 0);
        }
        let half = MAX_SHOWN / 2;
        (self.points[..half].iter().chain(&self.points[n - half..]).collect(), n - MAX_SHOWN)
    }
}

impl Chart for AuthorityChart {
    fn name(&self) -> &'static str {
        "authorities"
    }

    fn size(&self) -> (u32, u32) {
        let (shown, left_out) = self.shown();
        (WIDTH, 170 + 24 * (shown.len() as u32 + u32::from(left_out > 0)))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let (shown, left_out) = self.shown();
        // One row per authority drawn, plus a gap row that says how many are left out.
        let rows = shown.len() + usize::from(left_out > 0);
        let n = rows.max(1) as f64;
        let (lo, hi) = shown.iter().fold((0.0f64, 0.0f64), |(a, b), p| (a.min(p.3.min(p.2)), b.max(p.4.max(p.2))));
        let (lo, hi) = pad(lo, hi, 0.05);
        let title = format!("Authorities ranked by net saving per child returned home: {}", self.strategy);
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 22))
            .margin(20)
            .margin_right(50)
            .x_label_area_size(60)
            .y_label_area_size(300)
            .build_finite(lo..hi, 0f64..n)
            .map_err(e)?;
        let span = hi - lo;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_desc("Net saving per child returned home (£, discounted); dot: central estimate, bar: 95% interval")
            .x_label_formatter(&|v| money_tick(*v, span))
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 15))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        chart.draw_series(LineSeries::new(vec![(0.0, 0.0), (0.0, n)], BLACK.stroke_width(1))).map_err(e)?;
        let c = strategy_colour(self.index);
        let label = TextStyle::from((FONT, 14).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
        let half = MAX_SHOWN / 2;
        for (i, p) in shown.iter().enumerate() {
            // After the top group comes the gap row.
            let row = if left_out > 0 && i >= half { i + 1 } else { i };
            let y = n - row as f64 - 0.5;
            if p.4 > p.3 {
                chart.draw_series(LineSeries::new(vec![(p.3, y), (p.4, y)], c.mix(0.6).stroke_width(3))).map_err(e)?;
            }
            chart.draw_series(std::iter::once(Circle::new((p.2, y), 4, c.filled()))).map_err(e)?;
            let (x, yy) = chart.backend_coord(&(lo, y));
            root.draw(&Text::new(format!("{}. {}", p.1, p.0), (x - 8, yy), label.clone())).map_err(e)?;
        }
        if left_out > 0 {
            let y = n - half as f64 - 0.5;
            let (x, yy) = chart.backend_coord(&(lo, y));
            let grey = BLACK.mix(0.6);
            let note = TextStyle::from((FONT, 14).into_font().style(FontStyle::Normal))
                .color(&grey)
                .pos(Pos::new(HPos::Right, VPos::Center));
            root.draw(&Text::new(format!("… {left_out} more in authorities.csv"), (x - 8, yy), note)).map_err(e)?;
        }
        Ok(())
    }
}
