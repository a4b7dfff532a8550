//! The cumulative re-entry curve of each strategy, with 95% bands and the published calibration targets.

use super::*;

/// One strategy's cumulative re-entry curve: `(month, central, low, high)`.
pub struct CurveSeries {
    pub name: String,
    pub index: usize,
    pub points: Vec<(f64, f64, f64, f64)>,
}

/// Chart 1: cumulative share back in care by months since return.
pub struct ReentryChart {
    pub horizon_months: f64,
    pub series: Vec<CurveSeries>,
    /// Published points `(month, share)`, drawn as markers.
    pub targets: Vec<(f64, f64)>,
}

impl Chart for ReentryChart {
    fn name(&self) -> &'static str {
        "reentry_curve"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let ymax = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.3))
            .chain(self.targets.iter().map(|t| t.1))
            .fold(0.05, f64::max)
            * 1.15;
        let mut chart = months_chart(
            root,
            "Children back in care, by months since returning home",
            self.horizon_months,
            ymax,
            "Cumulative share with a first re-entry (%)",
        )?;
        draw_curves(&mut chart, &self.series, 0.18, |s| s.name.clone())?;
        if !self.targets.is_empty() {
            chart
                .draw_series(self.targets.iter().map(|&(m, v)| Circle::new((m, v), 7, BLACK.stroke_width(2))))
                .map_err(e)?
                .label("Published figure (calibration target)")
                .legend(|(x, y)| Circle::new((x + 12, y), 6, BLACK.stroke_width(2)));
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight, 16)?;
        Ok(())
    }
}

/// The frame, mesh and y-axis title of a chart of shares back in care by months since the
/// return: months across to `months` (at least 1), ticked every six, and shares up to `ymax`.
pub(super) fn months_chart<'a, DB>(
    root: &'a DrawingArea<DB, Shift>,
    caption: &str,
    months: f64,
    ymax: f64,
    y_desc: &str,
) -> Result<Plane<'a, DB>>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
{
    let mut chart = frame(root, caption, 26, 60, 80).build_finite(0f64..months.max(1.0), 0f64..ymax).map_err(e)?;
    chart
        .configure_mesh()
        .x_desc("Months since return home")
        .x_labels(((months / 6.0).ceil() as usize + 1).min(25))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| crate::results::format::percent_ticks(0.05)(v))
        .label_style((FONT, 16))
        .axis_desc_style((FONT, 18))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(e)?;
    y_title(root, y_desc)?;
    Ok(chart)
}

/// Draws curves with their 95% bands (bands first, so no band hides a line), each in its
/// series' colour and in the legend under `label`; `band` is the bands' opacity.
pub(super) fn draw_curves<'a, DB>(
    chart: &mut ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    series: &[CurveSeries],
    band: f64,
    label: impl Fn(&CurveSeries) -> String,
) -> Result<()>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
{
    for s in series {
        let c = strategy_colour(s.index);
        let mut area: Vec<(f64, f64)> = s.points.iter().map(|p| (p.0, p.3)).collect();
        area.extend(s.points.iter().rev().map(|p| (p.0, p.2)));
        chart.draw_series(std::iter::once(Polygon::new(area, c.mix(band)))).map_err(e)?;
    }
    for s in series {
        let c = strategy_colour(s.index);
        chart
            .draw_series(LineSeries::new(s.points.iter().map(|p| (p.0, p.1)), c.stroke_width(3)))
            .map_err(e)?
            .label(label(s))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3)));
    }
    Ok(())
}
