//! `reunify init`: writes a fully commented scenario to start from.
//!
//! The template documents every key of the public scenario format, and a test checks that it
//! validates, so the documentation cannot drift from the parser.

use std::path::Path;

use anyhow::anyhow;

use super::{Failure, bad_input, run_failed};

/// The commented scenario written by `reunify init`.
pub const TEMPLATE: &str = include_str!("template.toml");

pub fn write(file: Option<&Path>, force: bool) -> Result<(), Failure> {
    match file {
        None => {
            print!("{TEMPLATE}");
            Ok(())
        }
        Some(path) => {
            if path.exists() && !force {
                return Err(bad_input(anyhow!("{} exists; use --force to overwrite it", path.display())));
            }
            std::fs::write(path, TEMPLATE).map_err(|e| run_failed(anyhow!("cannot write {}: {e}", path.display())))?;
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
        assert_eq!(sc.model.strategies.len(), 2);
    }
}
