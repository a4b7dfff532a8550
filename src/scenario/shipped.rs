//! The five shipped scenarios, built into the binary, so that `reunify run england-2012-13`,
//! `import-903` and `import-dfe` (whose default template is England 2012–13) and
//! `reproduce` work from any folder after `cargo install`, as the fonts and the page do.
//! A file on disk of the same path always wins over the built-in copy.

pub const DFE_2006_07: &str = include_str!("../../scenarios/dfe-2006-07-cohort.toml");
pub const HOLMES_2014: &str = include_str!("../../scenarios/holmes-2014.toml");
pub const HOLMES_2024: &str = include_str!("../../scenarios/holmes-2024.toml");
pub const ENGLAND_2012_13: &str = include_str!("../../scenarios/england-2012-13.toml");
pub const ENGLAND_2014_2020: &str = include_str!("../../scenarios/england-2014-2020.toml");

/// Every shipped scenario by its name, the default first.
pub const SHIPPED: [(&str, &str); 5] = [
    ("england-2012-13", ENGLAND_2012_13),
    ("england-2014-2020", ENGLAND_2014_2020),
    ("dfe-2006-07-cohort", DFE_2006_07),
    ("holmes-2014", HOLMES_2014),
    ("holmes-2024", HOLMES_2024),
];

/// The default scenario and template.
pub const DEFAULT: &str = "england-2012-13";

/// The shipped scenario a name or path means: `england-2012-13`, `england-2012-13.toml` or
/// `scenarios/england-2012-13.toml` (as the README and the guide write it).
pub fn find(name_or_path: &str) -> Option<(&'static str, &'static str)> {
    let n = name_or_path.strip_prefix("./").unwrap_or(name_or_path);
    let n = n.strip_prefix("scenarios/").unwrap_or(n);
    let n = n.strip_suffix(".toml").unwrap_or(n);
    SHIPPED.into_iter().find(|(name, _)| *name == n)
}
