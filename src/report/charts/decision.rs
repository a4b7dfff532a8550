//! The decision chart: net saving of each strategy with its 95% interval either side of zero.

use super::*;

/// One strategy on the decision chart.
pub struct DecisionRow {
    pub name: String,
    pub index: usize,
    pub mean: f64,
    pub low: f64,
    pub high: f64,
    pub p_saves: Option<f64>,
}

/// The chart that carries the decision: each strategy's net saving against the comparator,
/// a dot at the headline figure and a bar across its 95% interval, either side of zero.
pub struct DecisionChart {
    pub comparator: String,
    pub psa: bool,
    pub rows: Vec<DecisionRow>,
}

impl Chart for DecisionChart {
    fn name(&self) -> &'static str {
        "decision"
    }

    fn message(&self) -> String {
        let m = crate::results::format::money;
        let rows: Vec<String> = self
            .rows
            .iter()
            .map(|r| {
                let range = crate::results::format::money_range(r.low, r.high);
                format!("{}: net saving {} (95% interval {range})", r.name, m(r.mean))
            })
            .collect();
        format!("Net saving against {}. {}.", self.comparator, rows.join("; "))
    }

    fn size(&self) -> (u32, u32) {
        (WIDTH, 170 + 90 * self.rows.len().max(1) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let n = self.rows.len().max(1) as f64;
        let (lo, hi) = self
            .rows
            .iter()
            .flat_map(|r| [r.low, r.high, r.mean])
            .filter(|v| v.is_finite())
            .fold((0.0f64, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
        let (lo, hi) = pad(lo, hi, 0.08);
        let title = format!(
            "Net saving against {} ({})",
            self.comparator,
            if self.psa { "mean and 95% interval" } else { "base case" }
        );
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 24))
            .margin(20)
            .margin_right(50)
            .x_label_area_size(60)
            .y_label_area_size(10)
            .build_finite(lo..hi, 0f64..n)
            .map_err(e)?;
        let span = hi - lo;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .x_desc("£, discounted: right of the black line the strategy saves money, left of it it costs money")
            .x_label_formatter(&|v| money_tick(*v, span))
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 16))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        chart.draw_series(LineSeries::new(vec![(0.0, 0.0), (0.0, n)], BLACK.stroke_width(2))).map_err(e)?;
        for (i, r) in self.rows.iter().enumerate() {
            let y = n - i as f64 - 0.6;
            let c = strategy_colour(r.index);
            if r.high > r.low {
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(r.low, y - 0.09), (r.high, y + 0.09)],
                        c.mix(0.35).filled(),
                    )))
                    .map_err(e)?;
            }
            chart.draw_series(std::iter::once(Circle::new((r.mean, y), 9, c.filled()))).map_err(e)?;
            let mut label = format!("{}: {}", r.name, money(r.mean));
            if self.psa && r.high > r.low {
                let _ = std::fmt::Write::write_fmt(
                    &mut label,
                    format_args!(" (95% interval {})", crate::results::format::money_range(r.low, r.high)),
                );
            }
            if let Some(p) = r.p_saves.filter(|_| self.psa) {
                let _ = std::fmt::Write::write_fmt(
                    &mut label,
                    format_args!("; probability of saving money {}", crate::results::format::percent0(p)),
                );
            }
            let style = TextStyle::from((FONT, 18).into_font()).color(&BLACK).pos(Pos::new(HPos::Left, VPos::Bottom));
            chart.draw_series(std::iter::once(Text::new(label, (lo + 0.01 * span, y + 0.3), style))).map_err(e)?;
        }
        Ok(())
    }
}
