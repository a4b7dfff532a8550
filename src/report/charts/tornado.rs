//! One-way sensitivity: the net saving with each uncertain input at its 2.5% and 97.5% quantiles.

use super::*;

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

    fn message(&self) -> String {
        let m = crate::results::format::money;
        match self.bars.first() {
            Some(b) => format!(
                "What drives the net saving of {} (base case {}): most of all {}, which moves it from {} to {}.",
                self.strategy,
                m(self.base),
                b.label,
                m(b.low),
                m(b.high)
            ),
            None => String::new(),
        }
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
        let mut chart = frame(root, caption, 24, 60, 430).build_finite(lo..hi, -0.5f64..n - 0.5).map_err(e)?;
        let span = hi - lo;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_desc(format!(
                "Net saving against {} (£, discounted); blue: input at its 2.5% quantile, orange: at its 97.5%",
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
