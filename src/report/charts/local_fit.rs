//! An authority's own fit (`reunify import-903`): the observed Kaplan–Meier share back in care
//! with its 95% band and the fitted model's curve over it; and the hold-out comparison, the
//! held-out years' observed share against the model's prediction, each with its interval.

use super::*;

/// The observed curve with its band and the fitted curve: `(month, share, low, high)`.
pub struct LocalFitChart {
    pub observed: Vec<(f64, f64, f64, f64)>,
    pub fitted: Vec<(f64, f64)>,
    /// The fitted line in the legend.
    pub fitted_label: String,
}

impl Chart for LocalFitChart {
    fn name(&self) -> &'static str {
        "local_fit"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let xmax = self.observed.iter().map(|p| p.0).chain(self.fitted.iter().map(|p| p.0)).fold(1.0, f64::max);
        let ymax = self.observed.iter().map(|p| p.3).chain(self.fitted.iter().map(|p| p.1)).fold(0.05, f64::max) * 1.15;
        let mut chart = super::reentry_curve::months_chart(
            root,
            "Back in care, by months since returning home: observed and fitted",
            xmax,
            ymax.min(1.0),
            "Cumulative share back in care (%)",
        )?;
        let observed =
            CurveSeries { name: "Observed (Kaplan–Meier, 95% band)".into(), index: 0, points: self.observed.clone() };
        super::reentry_curve::draw_curves(&mut chart, &[observed], 0.2, |s| s.name.clone())?;
        let c = strategy_colour(1);
        chart
            .draw_series(LineSeries::new(self.fitted.iter().copied(), c.stroke_width(3)))
            .map_err(e)?
            .label(self.fitted_label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3)));
        legend(&mut chart, SeriesLabelPosition::LowerRight, 16)?;
        Ok(())
    }
}

/// The hold-out comparison: at each month, the observed share and the predicted one, each
/// with its 95% interval.
pub struct HoldoutChart {
    pub rows: Vec<crate::ssda903::HoldoutRow>,
    /// "1 April 2017": where the held-out years start.
    pub from: String,
}

impl Chart for HoldoutChart {
    fn name(&self) -> &'static str {
        "holdout"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let n = self.rows.len().max(1) as f64;
        let ymax = self.rows.iter().map(|r| r.observed_hi.max(r.predicted_hi)).fold(0.05, f64::max) * 1.2;
        let caption = format!("Held-out returns home (from {}): observed and predicted", self.from);
        let mut chart =
            frame(root, caption, 26, 60, 80).build_finite(-0.5f64..n - 0.5, 0f64..ymax.min(1.0)).map_err(e)?;
        let labels: Vec<String> = self.rows.iter().map(|r| format!("{} months", r.months)).collect();
        chart
            .configure_mesh()
            .x_desc("Time since return home")
            .x_labels(self.rows.len())
            .x_label_formatter(&|v| {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 {
                    labels.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|v| crate::results::format::percent_ticks(0.05)(v))
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 18))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        y_title(root, "Share back in care (%)")?;
        let pairs = [
            (0usize, -0.12, "Observed in the held-out years (Kaplan–Meier, 95% interval)"),
            (1, 0.12, "Predicted by the model fitted before them (95% interval)"),
        ];
        for (which, dx, label) in pairs {
            let c = strategy_colour(which);
            let pts: Vec<(f64, f64, f64, f64)> = self
                .rows
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let x = i as f64 + dx;
                    if which == 0 {
                        (x, r.observed, r.observed_lo, r.observed_hi)
                    } else {
                        (x, r.predicted, r.predicted_lo, r.predicted_hi)
                    }
                })
                .collect();
            chart
                .draw_series(
                    pts.iter().map(|&(x, _, lo, hi)| PathElement::new(vec![(x, lo), (x, hi)], c.stroke_width(3))),
                )
                .map_err(e)?;
            chart
                .draw_series(pts.iter().map(|&(x, v, _, _)| Circle::new((x, v), 7, c.filled())))
                .map_err(e)?
                .label(label)
                .legend(move |(x, y)| Circle::new((x + 12, y), 6, c.filled()));
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft, 16)?;
        Ok(())
    }
}
