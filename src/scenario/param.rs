//! Numbers and distributions: a scenario number is a plain value or a `{ dist = ... }`
//! table, parsed here into a [`Param`] through `Dist`'s validated constructors. The
//! parameterisations (beta by moments or counts, gamma, log-normal by median and 95% interval
//! or by mean and sd) are documented in [`crate::dist`].

use super::suggest::suggest;
use crate::dist::{Dist, DistError, Param, Z975};

/// A spread given as mean and sd that is too small to sample, before shape values derived
/// from it overflow.
fn degenerate(point: f64, relative: f64) -> Option<Result<Dist, DistError>> {
    (relative < crate::dist::MIN_RELATIVE_SPREAD).then_some(Err(DistError::Degenerate { point, relative }))
}

pub(super) fn as_f64(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// The plain-English `label = "..."` of a distribution table, if it has one: used for the
/// parameter in the tornado, EVPPI and inputs tables and the workbook.
pub fn param_label(v: &toml::Value) -> Result<Option<String>, String> {
    match v.as_table().and_then(|t| t.get("label")) {
        None => Ok(None),
        Some(toml::Value::String(s))
            if !s.trim().is_empty() && !s.chars().any(char::is_control) && s.chars().count() <= 80 =>
        {
            Ok(Some(s.trim().to_string()))
        }
        Some(_) => Err("label must be text of 1 to 80 characters without control characters".into()),
    }
}

/// Parses a number or a `{ dist = ... }` table into a [`Param`], with the reason on failure.
/// A distribution whose spread is too small to sample becomes a fixed value, and the second
/// item says so.
pub fn parse_param(v: &toml::Value) -> Result<(Param, Option<String>), String> {
    if let Some(x) = as_f64(v) {
        if !x.is_finite() {
            return Err(format!("{x} is not a finite number"));
        }
        return Ok((Param::fixed(x), None));
    }
    let toml::Value::Table(t) = v else {
        return Err(
            "must be a number or a distribution table such as { dist = \"beta\", mean = 0.3, sd = 0.05 }".into()
        );
    };
    let kind = t.get("dist").and_then(|d| d.as_str()).ok_or("a distribution table needs `dist = \"...\"`")?;
    let allowed: &[&str] = match kind {
        "fixed" => &["value"],
        "beta" => &["mean", "sd", "events", "n"],
        "gamma" => &["mean", "sd"],
        "lognormal" => &["median", "ci95", "mean", "sd"],
        "normal" => &["mean", "sd"],
        "uniform" => &["min", "max"],
        "triangular" => &["min", "mode", "max"],
        other => {
            let all = ["fixed", "beta", "gamma", "lognormal", "normal", "uniform", "triangular"];
            let hint = suggest(other, &all).map(|s| format!("; did you mean \"{s}\"?")).unwrap_or_default();
            return Err(format!("dist \"{other}\" is not one of {}{hint}", all.join(", ")));
        }
    };
    for k in t.keys().filter(|k| *k != "dist" && *k != "label") {
        if !allowed.contains(&k.as_str()) {
            let hint = suggest(k, allowed).map(|s| format!("; did you mean `{s}`?")).unwrap_or_default();
            return Err(format!("unknown key `{k}` for a {kind} distribution (expected {}){hint}", allowed.join(", ")));
        }
    }
    let num = |k: &str| -> Result<f64, String> {
        let x = t.get(k).and_then(as_f64).ok_or_else(|| format!("a {kind} distribution needs a number `{k}`"))?;
        if x.is_finite() { Ok(x) } else { Err(format!("`{k}` must be finite")) }
    };
    let has = |k: &str| t.contains_key(k);
    let positive = |k: &str, x: f64| {
        if x > 0.0 { Ok(x) } else { Err(format!("`{k}` must be positive, not {x}")) }
    };
    let (point, dist) = match kind {
        "fixed" => {
            let x = num("value")?;
            (x, Dist::fixed(x))
        }
        "beta" if has("events") || has("n") => {
            let (e, n) = (num("events")?, num("n")?);
            if !(e > 0.0 && n > e) {
                return Err(format!("beta needs 0 < events < n, not events = {e}, n = {n}"));
            }
            (e / n, Dist::beta(e, n - e))
        }
        "beta" => {
            let (m, s) = (num("mean")?, positive("sd", num("sd")?)?);
            if !(m > 0.0 && m < 1.0) {
                return Err(format!("beta mean {m} must lie strictly between 0 and 1"));
            }
            if s * s >= m * (1.0 - m) {
                return Err(format!(
                    "beta sd {s} is too large for mean {m}: sd² must be below mean·(1 − mean) = {}",
                    m * (1.0 - m)
                ));
            }
            let k = m * (1.0 - m) / (s * s) - 1.0;
            (m, degenerate(m, s / m).unwrap_or_else(|| Dist::beta(m * k, (1.0 - m) * k)))
        }
        "gamma" => {
            let (m, s) = (positive("mean", num("mean")?)?, positive("sd", num("sd")?)?);
            (m, degenerate(m, s / m).unwrap_or_else(|| Dist::gamma(m * m / (s * s), s * s / m)))
        }
        "lognormal" if has("median") || has("ci95") => {
            let med = positive("median", num("median")?)?;
            let ci =
                t.get("ci95").and_then(|c| c.as_array()).ok_or("lognormal with a median needs ci95 = [low, high]")?;
            let ci: Vec<f64> = ci.iter().filter_map(as_f64).collect();
            if ci.len() != 2 || !(ci[0] > 0.0 && ci[0] < med && med < ci[1] && ci[1].is_finite()) {
                return Err(format!("ci95 must be [low, high] with 0 < low < median ({med}) < high"));
            }
            (med, Dist::lognormal(med.ln(), (ci[1].ln() - ci[0].ln()) / (2.0 * Z975)))
        }
        "lognormal" => {
            let (m, s) = (positive("mean", num("mean")?)?, positive("sd", num("sd")?)?);
            let sigma2 = (1.0 + s * s / (m * m)).ln();
            (m, Dist::lognormal(m.ln() - 0.5 * sigma2, sigma2.sqrt()))
        }
        "normal" => {
            let (m, s) = (num("mean")?, positive("sd", num("sd")?)?);
            (m, Dist::normal(m, s))
        }
        "uniform" => {
            let (a, b) = (num("min")?, num("max")?);
            (0.5 * a + 0.5 * b, Dist::uniform(a, b))
        }
        "triangular" => {
            let (a, c, b) = (num("min")?, num("mode")?, num("max")?);
            (c, Dist::triangular(a, c, b))
        }
        _ => unreachable!("kinds are matched above"),
    };
    match dist {
        Ok(dist) => Ok((Param { point, dist }, None)),
        Err(DistError::Degenerate { .. }) => Ok((
            Param::fixed(point),
            Some(format!(
                "the {kind} distribution's spread is too small to sample (relative spread below {:e}); it is used as the fixed value {}",
                crate::dist::MIN_RELATIVE_SPREAD,
                crate::dist::fmt_num(point)
            )),
        )),
        Err(DistError::Invalid(reason)) => Err(format!("{kind} distribution: {reason}")),
    }
}
