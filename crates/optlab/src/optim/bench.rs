//! Printing the optimizer benchmark: JSON, or one line per model and per optimizer.

use optlab_optim::bench::{bench, ModelBench};

/// Bench AdamW, Adam-mini and MoFO on each preset and print the report.
pub fn run(models: &[String], steps: usize, json: bool) -> anyhow::Result<()> {
    let report = bench(models, steps)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_table(&report);
    }
    Ok(())
}

fn print_table(report: &[ModelBench]) {
    for b in report {
        println!(
            "{}: {} params, copy bandwidth {:.2} GB/s, adam-mini/adamw state {:.4}",
            b.model, b.params, b.copy_gbps, b.adam_mini_state_ratio
        );
        for o in &b.optimizers {
            println!(
                "  {:<10} state {:>12} B ({:.3} B/p)  step {:>9.3} ms  {:>6.2} GB/s ({:.0}% of copy)",
                o.name,
                o.state_bytes,
                o.state_bytes_per_param,
                o.step_ms,
                o.achieved_gbps,
                100.0 * o.fraction_of_copy
            );
        }
    }
}
