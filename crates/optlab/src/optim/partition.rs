//! `optlab optim partition`: Adam-mini's block table of a preset or a model folder.

use std::path::Path;

use optlab_optim::entries::{entries_from_dir, entries_from_preset};
use optlab_optim::partition::{partition_entries, PartitionRow};

/// Print the partition table of `model_dir` (headers only) or of the preset `model`.
pub fn run(model: &str, vocab: usize, model_dir: Option<&Path>, json: bool) -> anyhow::Result<()> {
    let (entries, attn) = match model_dir {
        Some(dir) => entries_from_dir(dir)?,
        None => entries_from_preset(model, vocab)?,
    };
    let (rows, unknown) = partition_entries(&entries, Some(attn))?;
    print_table(&rows, &unknown, json)
}

fn print_table(rows: &[PartitionRow], unknown: &[String], json: bool) -> anyhow::Result<()> {
    let params: usize = rows.iter().map(|r| r.shape.iter().product::<usize>()).sum();
    let blocks: usize = rows.iter().map(|r| r.spec.blocks).sum();
    let mini: usize = rows.iter().map(|r| r.state_bytes).sum();
    let adamw = 8 * params;
    let ratio = mini as f64 / adamw.max(1) as f64;
    if json {
        let out = serde_json::json!({
            "tensors": rows,
            "unknown": unknown,
            "parameters": params,
            "blocks": blocks,
            "adam_mini_state_bytes": mini,
            "adamw_state_bytes": adamw,
            "ratio": ratio,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let w = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
    println!(
        "{:<w$}  {:<12} {:<14} {:<9} {:>8} {:>12}",
        "name", "role", "shape", "kind", "blocks", "state_bytes"
    );
    for r in rows {
        let role = serde_json::to_value(r.role)?;
        let kind = serde_json::to_value(r.spec.kind)?;
        println!(
            "{:<w$}  {:<12} {:<14} {:<9} {:>8} {:>12}",
            r.name,
            role.as_str().unwrap_or("?"),
            format!("{:?}", r.shape),
            kind.as_str().unwrap_or("?"),
            r.spec.blocks,
            r.state_bytes
        );
    }
    println!(
        "parameters {params}, blocks {blocks}, adam-mini state {mini} B, adamw state {adamw} B, \
         ratio {ratio:.4}"
    );
    if !unknown.is_empty() {
        println!("unknown (one block per tensor): {}", unknown.join(", "));
    }
    Ok(())
}
