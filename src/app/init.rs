//! `reunify init`: writes a fully commented scenario to start from.
//!
//! The template documents every key of the public scenario format, and a test checks that it
//! validates, so the documentation cannot drift from the parser.

use std::path::Path;

use super::AppError;

/// The commented scenario written by `reunify init`.
pub const TEMPLATE: &str = include_str!("template.toml");

pub fn write(file: Option<&Path>, force: bool) -> Result<(), AppError> {
    match file {
        None => super::stdout::write_all(TEMPLATE).map_err(AppError::failed),
        Some(path) => {
            super::staging::check_file(path, super::staging::Replace::WhenForced(force))?;
            super::write_atomically(path, TEMPLATE)?;
            eprintln!("wrote {}", path.display());
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    #[test]
    fn the_template_validates() {
        let sc = Scenario::from_toml_str(TEMPLATE, "template.toml").unwrap();
        assert_eq!(sc.model.strategies.len(), 3);
        assert!(sc.budget.is_some());
        // The targeted strategy's support is support-for-all's, by `same_as`.
        let [_, all, targeted] = &sc.model.strategies[..] else { unreachable!() };
        assert_eq!((targeted.hr_reentry, targeted.cost), (all.hr_reentry, all.cost));
        assert_ne!(targeted.eligibility, all.eligibility);
    }

    #[test]
    fn the_templates_override_example_validates_when_uncommented() {
        // The example is the block of `#   ` lines after "For example:".
        let mut in_example = false;
        let mut text = String::new();
        for l in TEMPLATE.lines() {
            in_example = (in_example || l.ends_with("For example:")) && !l.is_empty();
            let l = if in_example { l.strip_prefix("#   ").unwrap_or(l) } else { l };
            text.push_str(l);
            text.push('\n');
        }
        let sc = Scenario::from_toml_str(&text, "template.toml").unwrap();
        assert_eq!(sc.authorities.len(), 2);
        let own = sc.authorities[1].model.as_ref().expect("the example overrides");
        assert_eq!(sc.param(own.costs[0].amount).param.point, 73937.0);
        assert_eq!(sc.param(own.strategies[1].take_up).param.point, 0.7);
    }
}
