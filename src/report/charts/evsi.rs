//! What a local pilot is worth at each size: population EVSI, the pilot's cost and their
//! difference (ENBS) against families per arm, on a log scale, with the most any trial of it
//! could be worth (the EVPPI of what it measures) as a dashed line and the best size marked.

use super::*;
use crate::pilot::{EvsiRow, Valued};

/// `(families per arm, population EVSI, pilot cost, ENBS)`.
type SizePoint = (f64, f64, f64, f64);

pub struct EvsiChart {
    /// `(families per arm, population EVSI, pilot cost, ENBS)`.
    pub points: Vec<SizePoint>,
    /// Population EVPPI of the arms' shares: the cap.
    pub cap: f64,
    pub best: Option<f64>,
    pub decision_years: f64,
    pub wtp: f64,
}

impl EvsiChart {
    pub fn new(v: &Valued) -> EvsiChart {
        Self::of(&v.rows, &v.summary)
    }

    pub fn of(rows: &[EvsiRow], s: &crate::pilot::PilotSummary) -> EvsiChart {
        EvsiChart {
            points: rows.iter().map(|r| (r.families_per_arm as f64, r.population_evsi, r.pilot_cost, r.enbs)).collect(),
            cap: s.evppi_per_decision * s.decision_years,
            best: s.best_families_per_arm.map(f64::from),
            decision_years: s.decision_years,
            wtp: s.wtp,
        }
    }
}

impl Chart for EvsiChart {
    fn name(&self) -> &'static str {
        "evsi"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let xs = self.points.iter().map(|p| p.0);
        let (xlo, xhi) = xs.fold((f64::INFINITY, 0f64), |(l, h), x| (l.min(x), h.max(x)));
        let (xlo, xhi) = (xlo / 1.25, (xhi * 1.25).max(xlo * 2.0));
        let values = self.points.iter().flat_map(|p| [p.1, p.2, p.3]).chain([self.cap, 0.0]);
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(v), h.max(v)));
        let pad = 0.08 * (hi - lo).max(1.0);
        // Room above the data for the legend, so that it never covers the cap line.
        let (ylo, yhi) = (lo - if lo < 0.0 { pad } else { 0.0 }, hi + 0.35 * (hi - lo).max(1.0));
        let title = format!("Is a local pilot worth running, at {} per breakdown averted?", money(self.wtp));
        let mut chart =
            frame(root, title, 26, 60, 90).build_cartesian_2d((xlo..xhi).log_scale(), finite(ylo..yhi)).map_err(e)?;
        let span = (yhi - ylo).max(yhi.abs()).max(ylo.abs());
        chart
            .configure_mesh()
            .x_desc("Families in each arm of the pilot (log scale)")
            // Each size studied is labelled below (the scale's own ticks crowd at the top).
            .x_labels(0)
            .x_label_formatter(&|_| String::new())
            .disable_x_mesh()
            .y_label_formatter(&|v| money_tick(*v, span))
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 18))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        y_title(root, &format!("£ over {} years of cohorts", crate::results::format::number(self.decision_years, 2)))?;
        chart.draw_series(LineSeries::new(vec![(xlo, 0.0), (xhi, 0.0)], BLACK.mix(0.5))).map_err(e)?;
        let tick = TextStyle::from((FONT, 16).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
        for p in &self.points {
            chart.draw_series(LineSeries::new(vec![(p.0, ylo), (p.0, yhi)], BLACK.mix(0.12))).map_err(e)?;
            let (px, py) = chart.backend_coord(&(p.0, ylo));
            root.draw(&Text::new(thousands(p.0), (px, py + 8), tick.clone())).map_err(e)?;
        }
        let cap = RGBColor(0, 114, 178).mix(0.7);
        chart
            .draw_series(DashedLineSeries::new(vec![(xlo, self.cap), (xhi, self.cap)], 8, 6, cap.stroke_width(2)))
            .map_err(e)?
            .label(format!("Most any trial could be worth: {}", money(self.cap)))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], cap.stroke_width(2)));
        let series = [
            ("Value of the pilot's information (population EVSI)", RGBColor(0, 114, 178)),
            ("Cost of the pilot", RGBColor(100, 100, 100)),
            ("Expected net benefit of the pilot (ENBS)", RGBColor(0, 158, 115)),
        ];
        for (k, (label, c)) in series.into_iter().enumerate() {
            let pts: Vec<(f64, f64)> = self.points.iter().map(|p| (p.0, [p.1, p.2, p.3][k])).collect();
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(3)))
                .map_err(e)?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3)));
            chart.draw_series(pts.iter().map(|&p| Circle::new(p, 5, c.filled()))).map_err(e)?;
        }
        if let Some(b) = self.best
            && let Some(p) = self.points.iter().find(|p| p.0 == b)
        {
            let c = RGBColor(0, 158, 115);
            chart.draw_series(std::iter::once(Circle::new((p.0, p.3), 10, c.stroke_width(3)))).map_err(e)?;
            let (px, py) = chart.backend_coord(&(p.0, p.3));
            // Below the marker, clear of the line that rises to it from the left.
            let style = TextStyle::from((FONT, 16).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
            root.draw(&Text::new(format!("Best: {} per arm", thousands(b)), (px, py + 18), style)).map_err(e)?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft, 16)?;
        Ok(())
    }
}
