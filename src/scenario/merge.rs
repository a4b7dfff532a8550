//! Authority overrides: an `[[authority]]`'s own model sections merged into the top level's,
//! key by key, before they are validated like the top level's.

use super::raw::MODEL_KEYS;
use super::suggest::suggest;

/// Merges an authority's overrides into the top level's model sections. Tables are merged key
/// by key (a hazard that gives `rates_per_year` or `calibrate_to` replaces both); lists of
/// risk factors, costs and strategies are merged by `name`, key by key. An authority may add a
/// cost line but not a risk factor or a strategy, so every authority simulates the same arms.
/// Errors are `(path within the authority, reason)`.
pub(super) fn merge_model(top: &toml::Table, over: &toml::Table) -> Result<toml::Table, (String, String)> {
    let mut out = toml::Table::new();
    for k in MODEL_KEYS {
        if let Some(v) = top.get(k) {
            out.insert(k.to_string(), v.clone());
        }
    }
    for (k, v) in over.iter().filter(|(k, _)| MODEL_KEYS.contains(&k.as_str())) {
        if matches!(k.as_str(), "risk_factor" | "cost" | "strategy") {
            let items =
                v.as_array().ok_or_else(|| (k.clone(), format!("must be a list of [[authority.{k}]] tables")))?;
            let list = out.entry(k.clone()).or_insert_with(|| toml::Value::Array(Vec::new()));
            let list = list.as_array_mut().ok_or_else(|| (k.clone(), "the top level's is not a list".to_string()))?;
            for (j, item) in items.iter().enumerate() {
                let t = item.as_table().ok_or_else(|| (format!("{k}[{j}]"), "must be a table".to_string()))?;
                let name = t.get("name").and_then(|n| n.as_str()).ok_or_else(|| {
                    (format!("{k}[{j}].name"), "is required: it names the entry of the top level to change".to_string())
                })?;
                let target = list
                    .iter_mut()
                    .filter_map(|e| e.as_table_mut())
                    .find(|e| e.get("name").and_then(|n| n.as_str()) == Some(name));
                match target {
                    Some(e) => e.extend(t.iter().map(|(a, b)| (a.clone(), b.clone()))),
                    None if k == "cost" => list.push(item.clone()),
                    None => {
                        let names: Vec<&str> = list.iter().filter_map(|e| e.get("name")?.as_str()).collect();
                        let hint =
                            suggest(name, &names).map(|s| format!("; did you mean \"{s}\"?")).unwrap_or_default();
                        return Err((
                            format!("{k}[{j}].name"),
                            format!(
                                "\"{name}\" is not a [[{k}]] of the scenario (an authority can change its values but not add one){hint}"
                            ),
                        ));
                    }
                }
            }
        } else {
            let t = v.as_table().ok_or_else(|| (k.clone(), "must be a table".to_string()))?;
            let e = out.entry(k.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let e = e.as_table_mut().ok_or_else(|| (k.clone(), "the top level's is not a table".to_string()))?;
            // A hazard's baseline is one of its three keys together: an override that gives
            // any of them replaces the top level's whole baseline.
            const BASELINE: [&str; 3] = ["rates_per_year", "calibrate_to", "calibrate_scale_to"];
            if BASELINE.iter().any(|b| t.contains_key(*b)) {
                for b in BASELINE {
                    e.remove(b);
                }
            }
            e.extend(t.iter().map(|(a, b)| (a.clone(), b.clone())));
        }
    }
    Ok(out)
}
