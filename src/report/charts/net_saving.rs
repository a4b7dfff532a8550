//! The distribution of net saving across PSA simulations, per strategy.

use super::*;

/// One strategy's PSA net savings.
pub struct SavingSeries {
    pub name: String,
    pub index: usize,
    pub values: Vec<f64>,
    pub mean: f64,
    pub low: f64,
    pub high: f64,
    pub p_saves: f64,
}

/// Chart 3: distribution of net saving against the comparator.
pub struct NetSavingChart {
    pub comparator: String,
    pub series: Vec<SavingSeries>,
}

impl Chart for NetSavingChart {
    fn name(&self) -> &'static str {
        "net_saving"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let all = self.series.iter().flat_map(|s| s.values.iter().copied());
        let (lo, hi) = all.fold((0.0f64, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
        let (lo, hi) = pad(lo, hi, 0.05);
        let bins = 40usize;
        let width = (hi - lo) / bins as f64;
        let counts: Vec<Vec<usize>> = self
            .series
            .iter()
            .map(|s| {
                let mut c = vec![0usize; bins];
                for v in &s.values {
                    c[(((v - lo) / width) as usize).min(bins - 1)] += 1;
                }
                c
            })
            .collect();
        let cmax = counts.iter().flatten().copied().max().unwrap_or(1).max(1) as f64 * 1.2;
        let title = self
            .series
            .iter()
            .map(|s| format!("{}: probability of saving money {}", s.name, crate::results::format::percent0(s.p_saves)))
            .collect::<Vec<_>>()
            .join("; ");
        let mut chart = frame(root, title, 24, 60, 70).build_finite(lo..hi, 0f64..cmax).map_err(e)?;
        let span = hi - lo;
        chart
            .configure_mesh()
            .x_desc(format!("Net saving against {} (£, discounted; right of zero saves money)", self.comparator))
            .x_label_formatter(&|v| money_tick(*v, span))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 18))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        y_title(root, "Simulations (count)")?;
        for (s, c) in self.series.iter().zip(&counts) {
            let colour = strategy_colour(s.index);
            chart
                .draw_series(c.iter().enumerate().filter(|(_, n)| **n > 0).map(|(b, n)| {
                    let x0 = lo + b as f64 * width;
                    Rectangle::new([(x0, 0.0), (x0 + width, *n as f64)], colour.mix(0.45).filled())
                }))
                .map_err(e)?
                .label(format!(
                    "{}: mean {} (95% {})",
                    s.name,
                    money(s.mean),
                    crate::results::format::money_range(s.low, s.high)
                ))
                .legend(move |(x, y)| Rectangle::new([(x, y - 7), (x + 16, y + 7)], colour.mix(0.6).filled()));
            chart
                .draw_series(LineSeries::new(vec![(s.mean, 0.0), (s.mean, cmax)], colour.stroke_width(3)))
                .map_err(e)?;
            for x in [s.low, s.high] {
                chart
                    .draw_series(DashedLineSeries::new(vec![(x, 0.0), (x, cmax)], 8, 6, colour.stroke_width(2)))
                    .map_err(e)?;
            }
        }
        chart.draw_series(LineSeries::new(vec![(0.0, 0.0), (0.0, cmax)], BLACK.stroke_width(2))).map_err(e)?;
        legend(&mut chart, SeriesLabelPosition::UpperLeft, 15)?;
        Ok(())
    }
}
