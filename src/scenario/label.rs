//! Plain-English labels for parameter keys, for the tornado, EVPPI and inputs tables and the
//! workbook: `strategy.targeted-support.hr_reentry` reads "Targeted support: effect on
//! re-entry (hazard ratio)", names made readable by [`super::label_from_name`]. A scenario's
//! own `label = "..."` on a value replaces these.

/// The label of a parameter key, in words. Keys it does not know are returned as they are.
pub fn default_label(key: &str) -> String {
    default_label_in(key, &|_, _| None)
}

/// [`default_label`], naming strategies, risk factors and cost lines by the labels the
/// scenario gives them: `label_of(section, name)` with `section` one of `strategy`,
/// `risk_factor` and `cost`.
pub fn default_label_in(key: &str, label_of: &dyn Fn(&str, &str) -> Option<String>) -> String {
    let named = |section: &str, name: &str| label_of(section, name).unwrap_or_else(|| super::label_from_name(name));
    if let Some(rest) = key.strip_prefix("authority.") {
        // `authority.<name>.<key>`: the authority's own value of a top-level parameter. Names
        // may contain dots, so the model key is found by trying each split.
        for (i, _) in rest.match_indices('.') {
            let (name, inner) = (&rest[..i], &rest[i + 1..]);
            let label = default_label_in(inner, label_of);
            if label != inner {
                return format!("{name}: {}", lower_first(&label));
            }
        }
        return key.to_string();
    }
    if let Some(rest) = key.strip_prefix("strategy.") {
        let field = |suffix: &str| rest.strip_suffix(suffix);
        let (name, what) = if let Some(n) = field(".take_up") {
            (n, "take-up")
        } else if let Some(n) = field(".hr_reentry") {
            (n, "effect on re-entry (hazard ratio)")
        } else if let Some(n) = field(".hr_maltreatment") {
            (n, "effect on maltreatment (hazard ratio)")
        } else if let Some(n) = field(".cost") {
            (n, "price of support")
        } else {
            return key.to_string();
        };
        return format!("{}: {what}", named("strategy", name));
    }
    if let Some(rest) = key.strip_prefix("cost.").and_then(|r| r.strip_suffix(".amount")) {
        return format!("Cost: {}", super::in_sentence(&named("cost", rest)));
    }
    if let Some(rest) = key.strip_prefix("risk_factor.") {
        for (suffix, what) in [
            (".prevalence", "prevalence"),
            (".hr_reentry", "re-entry hazard ratio"),
            (".hr_maltreatment", "maltreatment hazard ratio"),
        ] {
            if let Some(name) = rest.strip_suffix(suffix) {
                return format!("Risk factor {}: {what}", super::in_sentence(&named("risk_factor", name)));
            }
        }
    }
    for (section, what) in [("reentry", "re-entry"), ("maltreatment", "maltreatment")] {
        if let Some(rest) = key.strip_prefix(section).and_then(|r| r.strip_prefix(".rate[")) {
            let i: usize = rest.trim_end_matches(']').parse().unwrap_or(0);
            return format!("Baseline {what} rate per year, piece {}", i + 1);
        }
        if let Some(rest) = key.strip_prefix(section).and_then(|r| r.strip_prefix(".target[")) {
            let i: usize = rest.split(']').next().and_then(|n| n.parse().ok()).unwrap_or(0);
            return format!("Baseline {what}: calibration target {}", i + 1);
        }
    }
    match key {
        "discount_rate" => "Discount rate a year".into(),
        "failed_returns.hr_per_failed_return" => "Re-entry hazard ratio per earlier failed return".into(),
        "care_after_breakdown.median_years" => "Care after a breakdown: median years".into(),
        "care_after_breakdown.sigma" => "Care after a breakdown: spread (log-normal σ)".into(),
        "care_after_breakdown.return_home_probability" => "Care after a breakdown: chance of going home again".into(),
        _ => key.to_string(),
    }
}

fn lower_first(s: &str) -> String {
    // "Risk factor ...", "Cost: ..." stay capitalised after the authority's name; other labels
    // read on.
    if s.starts_with("Risk factor") || s.starts_with("Cost") {
        return s.to_string();
    }
    let mut c = s.chars();
    c.next().map(|f| f.to_lowercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::default_label;

    #[test]
    fn keys_read_as_words() {
        assert_eq!(
            default_label("strategy.targeted-support.hr_reentry"),
            "Targeted support: effect on re-entry (hazard ratio)"
        );
        assert_eq!(default_label("cost.breakdown.amount"), "Cost: breakdown");
        assert_eq!(default_label("reentry.target[0].share"), "Baseline re-entry: calibration target 1");
        assert_eq!(default_label("authority.Camden.cost.breakdown.amount"), "Camden: Cost: breakdown");
        assert_eq!(default_label("authority.St. Helens.discount_rate"), "St. Helens: discount rate a year");
        assert_eq!(default_label("something.new"), "something.new");
    }
}
