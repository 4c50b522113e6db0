//! How `optlab semiopen` subcommands print their results.

use anyhow::Result;

/// Print `value` as JSON with `--json`, else `text`.
pub(super) fn print(json: bool, value: &impl serde::Serialize, text: &str) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        print!("{text}");
    }
    Ok(())
}
