//! Expected value of perfect information per input and group.

use super::*;

/// Chart 8: expected value of perfect parameter information.
pub struct EvppiChart {
    pub decision_years: f64,
    /// `None`: the cash-only chart (`evppi`); `Some(w)`: net benefit valued at `w` per
    /// breakdown averted (`evppi_wtp`).
    pub wtp: Option<f64>,
    pub bars: Vec<(String, f64)>,
}

impl EvppiChart {
    fn title(&self) -> String {
        match self.wtp {
            None => "Which uncertainty is worth researching?".into(),
            Some(w) => format!("Which uncertainty is worth researching, at {} per breakdown averted?", money(w)),
        }
    }
}

impl Chart for EvppiChart {
    fn name(&self) -> &'static str {
        if self.wtp.is_some() { "evppi_wtp" } else { "evppi" }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        // Only inputs that carry value get a bar; an empty chart says why in words.
        let top = self.bars.iter().map(|b| b.1).fold(0.0, f64::max);
        let bars: Vec<&(String, f64)> = self.bars.iter().filter(|b| b.1 > 0.005 * top && b.1 >= 1.0).collect();
        if bars.is_empty() {
            let mut chart = frame(root, self.title(), 26, 60, 60).build_finite(0f64..1.0, 0f64..1.0).map_err(e)?;
            chart.configure_mesh().disable_mesh().x_labels(0).y_labels(0).draw().map_err(e)?;
            let style = TextStyle::from((FONT, 22).into_font()).pos(Pos::new(HPos::Center, VPos::Center));
            for (i, line) in [
                "Every value of information is £0: no uncertainty in the inputs changes",
                "which strategy costs least, so no research would change the decision.",
            ]
            .iter()
            .enumerate()
            {
                chart
                    .draw_series(std::iter::once(Text::new(
                        line.to_string(),
                        (0.5, 0.55 - 0.08 * i as f64),
                        style.clone(),
                    )))
                    .map_err(e)?;
            }
            return Ok(());
        }
        let xmax = top * 1.15;
        // At least eight slots, so that two bars are not drawn as slabs.
        let n = bars.len().max(8) as f64;
        let mut chart = frame(root, self.title(), 26, 60, 430)
            .margin_right(60)
            .build_finite(0f64..xmax, -0.5f64..n - 0.5)
            .map_err(e)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_desc(format!("Expected value of perfect information (£, {} years of cohorts)", self.decision_years))
            .x_label_formatter(&|v| money_tick(*v, xmax))
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 16))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        let c = RGBColor(0, 114, 178);
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                let y = n - 1.0 - i as f64;
                Rectangle::new([(0.0, y - 0.35), (b.1, y + 0.35)], c.filled())
            }))
            .map_err(e)?;
        let style = TextStyle::from((FONT, 14).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
        for (i, b) in bars.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(0.0, n - 1.0 - i as f64));
            root.draw(&Text::new(b.0.clone(), (x - 10, y), style.clone())).map_err(e)?;
        }
        Ok(())
    }
}
