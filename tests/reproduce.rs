//! Published figures recovered within 3 Monte Carlo standard errors (plus half the unit the
//! published figure was rounded to), using each reproduction scenario's own replications.

use reunify::app::reproduce::reproduce;

#[test]
fn every_published_figure_is_recovered_within_3_mcse() {
    let rows = reproduce(None).unwrap();
    assert_eq!(rows.len(), 11);
    for r in &rows {
        let tol = 3.0 * r.mcse + r.rounding + 1e-9 * r.published_value.abs();
        assert!(
            (r.engine - r.published_value).abs() <= tol,
            "{}: engine {} vs published {} (tolerance {tol})",
            r.figure,
            r.engine,
            r.published_value
        );
        assert!(r.within_tolerance);
    }
    // Stochastic figures must carry a real Monte Carlo error, or the tolerance means nothing.
    assert!(rows[0].mcse > 0.0 && rows[4].mcse > 0.0);
}
