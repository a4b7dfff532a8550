//! The two-way chart: net saving over the price of support × its effect on re-entry, with
//! the break-even line. It answers "what must support achieve, at what price?" in one picture.

use super::*;

/// Net saving at each `(price, hazard ratio)`, and the scenario's own point.
pub struct TwoWayChart {
    pub strategy: String,
    pub comparator: String,
    /// `(price, hazard ratio, net saving)` on a full grid.
    pub points: Vec<(f64, f64, f64)>,
    pub scenario: (f64, f64),
}

fn sorted_unique(xs: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = xs.collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    v
}

impl TwoWayChart {
    /// The break-even line: for each hazard ratio, the price at which the net saving is zero
    /// (net saving is linear in price, so it is found between the two grid prices around it).
    pub fn break_even(&self) -> Vec<(f64, f64)> {
        let hrs = sorted_unique(self.points.iter().map(|p| p.1));
        let mut line = Vec::new();
        for hr in hrs {
            let mut row: Vec<(f64, f64)> = self.points.iter().filter(|p| p.1 == hr).map(|p| (p.0, p.2)).collect();
            row.sort_by(|a, b| a.0.total_cmp(&b.0));
            if let Some(w) = row.windows(2).find(|w| (w[0].1 >= 0.0) != (w[1].1 >= 0.0)) {
                let t = w[0].1 / (w[0].1 - w[1].1);
                line.push((w[0].0 + t * (w[1].0 - w[0].0), hr));
            }
        }
        line
    }
}

/// Green for a saving, red for a cost, paler towards zero.
fn shade(v: f64, top: f64) -> RGBColor {
    let t = (v.abs() / top.max(1e-9)).clamp(0.0, 1.0).powf(0.6);
    let (r, g, b) = if v >= 0.0 { (0.0, 158.0, 115.0) } else { (213.0, 94.0, 0.0) };
    let mix = |c: f64| (255.0 + (c - 255.0) * (0.12 + 0.88 * t)) as u8;
    RGBColor(mix(r), mix(g), mix(b))
}

impl Chart for TwoWayChart {
    fn name(&self) -> &'static str {
        "two_way"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let prices = sorted_unique(self.points.iter().map(|p| p.0));
        let hrs = sorted_unique(self.points.iter().map(|p| p.1));
        let step = |v: &[f64]| if v.len() > 1 { (v[v.len() - 1] - v[0]) / (v.len() - 1) as f64 } else { 1.0 };
        let (dp, dh) = (step(&prices), step(&hrs));
        let (p0, p1) = (prices[0] - dp / 2.0, prices[prices.len() - 1] + dp / 2.0);
        let (h0, h1) = (hrs[0] - dh / 2.0, hrs[hrs.len() - 1] + dh / 2.0);
        let caption =
            format!("What {} must achieve, at what price (net saving against {})", self.strategy, self.comparator);
        let mut chart = frame(root, caption, 22, 60, 70).build_finite(p0..p1, h0..h1).map_err(e)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("Price of support per child (£)")
            .x_label_formatter(&|v| money(*v))
            .y_label_formatter(&|v| format!("{v:.2}"))
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 16))
            .draw()
            .map_err(e)?;
        y_title(root, "Re-entry hazard ratio of supported families (1 = no effect)")?;
        let top = self.points.iter().map(|p| p.2.abs()).fold(0.0, f64::max);
        chart
            .draw_series(self.points.iter().map(|&(p, h, v)| {
                Rectangle::new([(p - dp / 2.0, h - dh / 2.0), (p + dp / 2.0, h + dh / 2.0)], shade(v, top).filled())
            }))
            .map_err(e)?;
        let line = self.break_even();
        if line.len() > 1 {
            chart
                .draw_series(LineSeries::new(line, BLACK.stroke_width(3)))
                .map_err(e)?
                .label("break-even: net saving £0")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], BLACK.stroke_width(3)));
        }
        let (sp, sh) = self.scenario;
        if sp.is_finite() && sh.is_finite() {
            chart
                .draw_series(std::iter::once(Cross::new((sp, sh), 10, BLACK.stroke_width(3))))
                .map_err(e)?
                .label(format!("the scenario: {} and a hazard ratio of {sh:.2}", money(sp)))
                .legend(|(x, y)| Cross::new((x + 12, y), 6, BLACK.stroke_width(2)));
        }
        let green = shade(top, top);
        chart
            .draw_series(std::iter::once(Rectangle::new([(p0, h0), (p0, h0)], green.filled())))
            .map_err(e)?
            .label("saves money")
            .legend(move |(x, y)| Rectangle::new([(x, y - 7), (x + 16, y + 7)], green.filled()));
        let red = shade(-top, top);
        chart
            .draw_series(std::iter::once(Rectangle::new([(p0, h0), (p0, h0)], red.filled())))
            .map_err(e)?
            .label("costs money")
            .legend(move |(x, y)| Rectangle::new([(x, y - 7), (x + 16, y + 7)], red.filled()));
        legend(&mut chart, SeriesLabelPosition::UpperRight, 15)?;
        Ok(())
    }
}
