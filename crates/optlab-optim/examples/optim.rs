//! Step time and state bytes of AdamW, Adam-mini and MoFO on the tiny preset, as JSON:
//! `cargo run --release -p optlab-optim --example optim` (the `optlab optim bench` command
//! prints the same report).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let report = optlab_optim::bench::bench(&["tiny".to_string()], 3)?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
