//! The book's reference pages, generated from the code so that they are never kept by hand
//! (`docs/reference/`): the command line from the clap definitions ([`super::cli`]), the
//! scenario format from the commented template `reunify init` writes, and every output file
//! and column from the table types ([`crate::results::dictionary`]). `tests/docs.rs` fails
//! when a committed page differs from what these functions make, and rewrites it when run
//! with `REUNIFY_BLESS=1`.

use std::fmt::Write as _;

use clap::CommandFactory;

use super::cli::Cli;

/// Every generated page: its path under `docs/` and its text.
pub fn pages() -> Vec<(&'static str, String)> {
    vec![
        ("reference/command-line.md", command_line()),
        ("reference/scenario-format.md", scenario_format()),
        ("reference/outputs.md", outputs()),
    ]
}

const GENERATED: &str =
    "<!-- Generated from the code by `REUNIFY_BLESS=1 cargo test --test docs`; do not edit. -->\n\n";

/// The command line: each command's help, as `reunify COMMAND --help` prints it.
pub fn command_line() -> String {
    let mut cli = Cli::command();
    let mut t = String::from(GENERATED);
    t.push_str("# Command line\n\n");
    let _ = writeln!(
        t,
        "{}\n\nEvery command checks its flags by the same rules before any work, and exits 0 when it \
         succeeds, 1 when the run failed, 2 for bad input (a missing file, a scenario that does not \
         validate, a bad flag, an output folder that is not reunify's) and 130 when interrupted.\n",
        cli.get_about().map(|a| a.to_string()).unwrap_or_default()
    );
    let names: Vec<String> = cli.get_subcommands().map(|c| c.get_name().to_string()).collect();
    for name in names {
        let Some(sub) = cli.find_subcommand_mut(&name) else { continue };
        let mut sub = sub.clone().bin_name(format!("reunify {name}"));
        let help = sub.render_long_help().to_string();
        let _ = writeln!(t, "## `reunify {name}`\n\n```text\n{}\n```\n", help.trim_end());
    }
    t
}

/// The scenario format: the commented template, every key with its default.
pub fn scenario_format() -> String {
    let mut t = String::from(GENERATED);
    t.push_str(
        "# Scenario format\n\nA scenario is a TOML file. This is the template `reunify init` writes: \
         every key, what it means, and the default of each optional key. `reunify validate FILE` \
         checks a file without running it; an error names the file, the key (with the item's name) \
         and the reason.\n\n```toml\n",
    );
    t.push_str(super::init::TEMPLATE.trim_end());
    t.push_str("\n```\n");
    t
}

/// Every output file and column, from the table types.
pub fn outputs() -> String {
    let all: Vec<&str> = crate::results::dictionary::entries().iter().map(|e| e.name).collect();
    let text = crate::results::dictionary::data_md("every file a run can write", &all);
    let body = text.split_once('\n').map_or(text.as_str(), |(_, rest)| rest);
    format!(
        "{GENERATED}# Outputs\n\nA run writes its tables, summary, workbook and report into \
         `output/<name>/`; each run's `DATA.md` lists the files it wrote. Tables that a run writes \
         only in some cases say when.\n{body}"
    )
}
