//! Flow mode: spend by financial year and the cumulative net position.

use super::*;

/// One strategy's spend by financial year (cash): `[support, breakdown and care, other]`.
pub struct BudgetSpend {
    pub name: String,
    pub index: usize,
    pub years: Vec<[f64; 3]>,
}

/// One strategy's cumulative net position against the comparator (cash) at the end of each
/// financial year: `(central, low, high)`.
pub struct BudgetNet {
    pub name: String,
    pub index: usize,
    pub years: Vec<(f64, f64, f64)>,
}

/// Chart 10 (flow mode): spend by financial year per strategy, and the cumulative net
/// position with its 95% band.
pub struct BudgetChart {
    pub years: Vec<String>,
    pub comparator: String,
    pub spend: Vec<BudgetSpend>,
    pub net: Vec<BudgetNet>,
}

impl Chart for BudgetChart {
    fn name(&self) -> &'static str {
        "budget"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let (top, bottom) = root.split_vertically(400);
        let ny = self.years.len().max(1) as f64;
        let ns = self.spend.len().max(1) as f64;
        let width = 0.8 / ns;
        let year_max = |y: usize| {
            self.spend.iter().filter_map(|s| s.years.get(y)).map(|p| p.iter().sum::<f64>()).fold(0.0, f64::max)
        };
        let ymax = (0..self.years.len()).map(year_max).fold(1.0, f64::max);
        // Headroom for the legend, which goes over the lower end of the bars: spend usually
        // grows as cohorts accumulate, so the upper left is clear; if it falls, the right is.
        let ymax = ymax * 1.4;
        let rising = year_max(0) <= year_max(self.years.len().saturating_sub(1));
        let top_legend = if rising { SeriesLabelPosition::UpperLeft } else { SeriesLabelPosition::UpperRight };
        // A little more room above the plot than the shared frame gives, so that a tick at the
        // top of the axis never meets the axis title written above it.
        let mut builder = frame(&top, "Spend by financial year (cash)", 24, 35, 90);
        let mut chart = builder.margin_top(20).build_finite(-0.5f64..ny - 0.5, 0f64..ymax).map_err(e)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_labels(6)
            .y_label_formatter(&|v| money_tick(*v, ymax))
            .label_style((FONT, 15))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        y_title(&top, "Spend in the year (£, undiscounted)")?;
        let x_of = |y: usize, s: usize| y as f64 - 0.4 + width * (s as f64 + 0.5);
        for (ci, (label, colour)) in CATEGORY.iter().enumerate() {
            let rects: Vec<Rectangle<(f64, f64)>> = self
                .spend
                .iter()
                .enumerate()
                .flat_map(|(si, st)| {
                    st.years.iter().enumerate().map(move |(y, parts)| {
                        let y0: f64 = parts[..ci].iter().sum();
                        let x = x_of(y, si);
                        Rectangle::new([(x - 0.45 * width, y0), (x + 0.45 * width, y0 + parts[ci])], colour.filled())
                    })
                })
                .collect();
            let c = *colour;
            chart
                .draw_series(rects)
                .map_err(e)?
                .label(*label)
                .legend(move |(x, y)| Rectangle::new([(x, y - 7), (x + 16, y + 7)], c.filled()));
        }
        for (si, st) in self.spend.iter().enumerate() {
            let c = strategy_colour(st.index);
            // Paths, not rectangles: plotters' SVG rectangles drop the stroke width, and a
            // hairline outline is not seen.
            let outlines: Vec<PathElement<(f64, f64)>> = st
                .years
                .iter()
                .enumerate()
                .map(|(y, parts)| {
                    let x = x_of(y, si);
                    let (x0, x1, top) = (x - 0.45 * width, x + 0.45 * width, parts.iter().sum::<f64>());
                    PathElement::new(vec![(x0, 0.0), (x0, top), (x1, top), (x1, 0.0), (x0, 0.0)], c.stroke_width(4))
                })
                .collect();
            chart.draw_series(outlines).map_err(e)?.label(format!("{} (outline)", st.name)).legend(move |(x, y)| {
                PathElement::new(
                    vec![(x, y - 7), (x, y + 7), (x + 16, y + 7), (x + 16, y - 7), (x, y - 7)],
                    c.stroke_width(3),
                )
            });
        }
        let positions: Vec<((i32, i32), String)> = self
            .years
            .iter()
            .enumerate()
            .map(|(y, label)| (chart.backend_coord(&(y as f64, 0.0)), label.clone()))
            .collect();
        legend(&mut chart, top_legend, 14)?;
        x_categories(&top, &positions)?;

        let (lo, hi) = self
            .net
            .iter()
            .flat_map(|n| n.years.iter())
            .fold((0.0f64, 0.0f64), |(a, b), p| (a.min(p.1.min(p.0)), b.max(p.2.max(p.0))));
        let (lo, hi) = pad(lo, hi, 0.08);
        let span = hi - lo;
        let mut chart = frame(
            &bottom,
            format!("Cumulative net position against {} (cash; above zero: ahead)", self.comparator),
            22,
            40,
            90,
        )
        .build_finite(-0.5f64..ny - 0.5, lo..hi)
        .map_err(e)?;
        year_money_mesh(&mut chart, &self.years, "end of ", span, 15)?;
        y_title(&bottom, "Net (£)")?;
        chart.draw_series(LineSeries::new(vec![(-0.5, 0.0), (ny - 0.5, 0.0)], BLACK.stroke_width(1))).map_err(e)?;
        for n in &self.net {
            let c = strategy_colour(n.index);
            let mut band: Vec<(f64, f64)> = n.years.iter().enumerate().map(|(y, p)| (y as f64, p.2)).collect();
            band.extend(n.years.iter().enumerate().rev().map(|(y, p)| (y as f64, p.1)));
            chart.draw_series(std::iter::once(Polygon::new(band, c.mix(0.25)))).map_err(e)?;
            chart
                .draw_series(LineSeries::new(
                    n.years.iter().enumerate().map(|(y, p)| (y as f64, p.0)),
                    c.stroke_width(3),
                ))
                .map_err(e)?
                .label(n.name.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3)));
            chart
                .draw_series(n.years.iter().enumerate().map(|(y, p)| Circle::new((y as f64, p.0), 5, c.filled())))
                .map_err(e)?;
        }
        if let Some(first) = self.net.first() {
            // A falling line leaves the lower left clear; a rising one, the lower right.
            let (start, end) = (first.years.first().map_or(0.0, |p| p.0), first.years.last().map_or(0.0, |p| p.0));
            let position = if end < start { SeriesLabelPosition::LowerLeft } else { SeriesLabelPosition::LowerRight };
            legend(&mut chart, position, 14)?;
        }
        Ok(())
    }
}
