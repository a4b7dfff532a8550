//! External validation: each scenario's predicted cumulative re-entry curve (its comparator,
//! PSA mean with the 95% band) and the independent published figures set against it, marked
//! and labelled by source.

use super::*;
use crate::analysis::CurvePoint;
use crate::validation::ValidationRow;

/// One published figure: `(month, share, label)`.
pub type Marked = (f64, f64, String);

/// The validation chart.
pub struct ValidationChart {
    pub horizon_months: f64,
    /// One series per scenario, coloured in order.
    pub series: Vec<CurveSeries>,
    pub points: Vec<Marked>,
}

/// "Mc Grath-Lone et al. 2017" from "Mc Grath-Lone, Dearden, … 2017, Child Abuse …": the first
/// author and the first year a source names.
pub fn short_source(source: &str) -> String {
    let first = source.split(',').next().unwrap_or(source).trim();
    let first = first.trim_end_matches(" et al.").trim_end_matches(" et al");
    // A surname of two words ("Mc Grath-Lone") keeps both; a longer first part is prose.
    let author = if first.split_whitespace().count() <= 2 && !first.contains(|c: char| c.is_ascii_digit()) {
        first
    } else {
        first.split_whitespace().next().unwrap_or(first)
    };
    let year = source
        .as_bytes()
        .windows(4)
        .enumerate()
        .find(|(i, w)| {
            w.iter().all(u8::is_ascii_digit)
                && (w[0] == b'1' || w[0] == b'2')
                && !source.as_bytes().get(i + 4).is_some_and(u8::is_ascii_digit)
                && !(*i > 0 && source.as_bytes()[i - 1].is_ascii_digit())
        })
        .map(|(i, _)| &source[i..i + 4]);
    let etal = if source.contains(',') || source.contains(" et al") { " et al." } else { "" };
    match year {
        Some(y) => format!("{author}{etal} {y}"),
        None => author.to_string(),
    }
}

impl ValidationChart {
    /// The chart of scenarios' comparator curves (`(name in the legend, curve)`: the
    /// comparator's label for one run, each scenario's title for several) and the rows'
    /// figures; a figure listed by several scenarios is marked once.
    pub fn new(curves: &[(String, Vec<CurvePoint>)], rows: &[ValidationRow]) -> ValidationChart {
        let series: Vec<CurveSeries> = curves
            .iter()
            .enumerate()
            .map(|(i, (name, curve))| {
                let comparator = curve.first().map(|p| p.strategy.clone()).unwrap_or_default();
                CurveSeries {
                    name: name.clone(),
                    index: i,
                    points: curve
                        .iter()
                        .filter(|p| p.strategy == comparator)
                        .map(|p| {
                            let mid = p.mean.unwrap_or(p.base);
                            (p.month as f64, mid, p.q025.unwrap_or(mid), p.q975.unwrap_or(mid))
                        })
                        .collect(),
                }
            })
            .collect();
        let mut points: Vec<Marked> = Vec::new();
        for r in rows {
            let pct = crate::results::format::number(100.0 * r.published_share, 1);
            let label = format!("{pct}%: {}", short_source(&r.source));
            let m = (r.years * 12.0).round();
            if !points.iter().any(|p| p.0 == m && p.1 == r.published_share && p.2 == label) {
                points.push((m, r.published_share, label));
            }
        }
        let horizon_months = series
            .iter()
            .flat_map(|s| s.points.last().map(|p| p.0))
            .chain(points.iter().map(|p| p.0))
            .fold(1.0, f64::max);
        ValidationChart { horizon_months, series, points }
    }
}

impl Chart for ValidationChart {
    fn name(&self) -> &'static str {
        "validation"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let ymax = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.3))
            .chain(self.points.iter().map(|t| t.1))
            .fold(0.05, f64::max)
            * 1.15;
        // Room on the right for the labels of figures at the last month.
        let xmax = self.horizon_months * 1.3;
        let mut chart = frame(root, "Predicted and published shares back in care", 26, 60, 80)
            .build_finite(0f64..xmax, 0f64..ymax)
            .map_err(e)?;
        let horizon = self.horizon_months;
        chart
            .configure_mesh()
            .x_desc("Months since leaving care")
            .x_labels(((horizon / 6.0).ceil() as usize + 1).min(25))
            .x_label_formatter(&|v| if *v <= horizon + 1e-9 { format!("{v:.0}") } else { String::new() })
            .y_label_formatter(&|v| crate::results::format::percent_ticks(0.05)(v))
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 18))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(e)?;
        y_title(root, "Cumulative share back in care (%)")?;
        super::reentry_curve::draw_curves(&mut chart, &self.series, 0.15, |s| {
            format!("{}, predicted (95% band)", s.name)
        })?;
        if !self.points.is_empty() {
            chart
                .draw_series(self.points.iter().map(|(m, v, _)| Circle::new((*m, *v), 7, BLACK.stroke_width(2))))
                .map_err(e)?
                .label("Published figure (external, not a target)")
                .legend(|(x, y)| Circle::new((x + 12, y), 6, BLACK.stroke_width(2)));
            let right = TextStyle::from((FONT, 15).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
            let left = TextStyle::from((FONT, 15).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
            let at: Vec<(i32, i32)> = self.points.iter().map(|(m, v, _)| chart.backend_coord(&(*m, *v))).collect();
            for (i, (_, _, label)) in self.points.iter().enumerate() {
                let (px, py) = at[i];
                // A label goes right of its marker unless a later marker sits in its way
                // (within a label's width and a line's height); then it goes left.
                let blocked = at.iter().any(|&(qx, qy)| qx > px && qx - px < 240 && (qy - py).abs() < 18);
                if blocked {
                    root.draw(&Text::new(label.clone(), (px - 11, py), left.clone())).map_err(e)?;
                } else {
                    root.draw(&Text::new(label.clone(), (px + 11, py), right.clone())).map_err(e)?;
                }
            }
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight, 16)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::short_source;

    #[test]
    fn sources_shorten_to_first_author_and_year() {
        assert_eq!(
            short_source("Mc Grath-Lone, Dearden, Harron, Nasim and Gilbert 2017, Child Abuse & Neglect 63:73-83"),
            "Mc Grath-Lone et al. 2017"
        );
        assert_eq!(short_source("Mc Grath-Lone et al., ISPCAN congress 2016, abstract"), "Mc Grath-Lone et al. 2016");
        assert_eq!(
            short_source("Goldacre, Hood, Jones, King and Wang 2022, British Journal of Social Work 52(8):4756-4777"),
            "Goldacre et al. 2022"
        );
    }
}
