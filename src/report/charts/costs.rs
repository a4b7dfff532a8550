//! Total discounted cost of each strategy, stacked by support, breakdown and care, and other costs.

use super::*;

/// One strategy's discounted costs by category.
pub struct CostBar {
    pub name: String,
    pub support: f64,
    pub breakdown: f64,
    pub other: f64,
}

/// Chart 2: where the money goes, stacked by category.
pub struct CostChart {
    pub bars: Vec<CostBar>,
    pub subtitle: String,
}

pub(super) const CATEGORY: [(&str, RGBColor); 3] = [
    ("Support", RGBColor(0, 114, 178)),
    ("Breakdown and care", RGBColor(213, 94, 0)),
    ("Other (maltreatment)", RGBColor(150, 150, 150)),
];

impl Chart for CostChart {
    fn name(&self) -> &'static str {
        "costs"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let ymax = self.bars.iter().map(|b| b.support + b.breakdown + b.other).fold(1.0, f64::max) * 1.15;
        let n = self.bars.len() as f64;
        let mut chart = frame(root, format!("Where the money goes ({})", self.subtitle), 26, 50, 90)
            .build_finite(-0.5f64..n - 0.5, 0f64..ymax)
            .map_err(e)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_label_formatter(&|v| money_tick(*v, ymax))
            .label_style((FONT, 16))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        y_title(root, "Cost over the horizon, discounted (£)")?;
        for (ci, (label, colour)) in CATEGORY.iter().enumerate() {
            let rects: Vec<Rectangle<(f64, f64)>> = self
                .bars
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    let parts = [b.support, b.breakdown, b.other];
                    let y0: f64 = parts[..ci].iter().sum();
                    let x = i as f64;
                    Rectangle::new([(x - 0.3, y0), (x + 0.3, y0 + parts[ci])], colour.filled())
                })
                .collect();
            let c = *colour;
            chart
                .draw_series(rects)
                .map_err(e)?
                .label(*label)
                .legend(move |(x, y)| Rectangle::new([(x, y - 7), (x + 16, y + 7)], c.filled()));
        }
        let label_style = TextStyle::from((FONT, 18).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom));
        chart
            .draw_series(self.bars.iter().enumerate().map(|(i, b)| {
                Text::new(
                    money(b.support + b.breakdown + b.other),
                    (i as f64, b.support + b.breakdown + b.other),
                    label_style.clone(),
                )
            }))
            .map_err(e)?;
        let positions: Vec<((i32, i32), String)> = self
            .bars
            .iter()
            .enumerate()
            .map(|(i, b)| (chart.backend_coord(&(i as f64, 0.0)), b.name.clone()))
            .collect();
        legend(&mut chart, SeriesLabelPosition::UpperRight, 16)?;
        x_categories(root, &positions)
    }
}
