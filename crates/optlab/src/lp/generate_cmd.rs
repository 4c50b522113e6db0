//! `optlab lp generate`: build an instance of a generated family and write it as MPS.

use super::args::GenerateArgs;
use super::choices::FamilyArg;
use anyhow::{bail, Context};
use optlab_lp::generate::{pagerank, planted};
use optlab_lp::generate_size::{check_pagerank_size, check_planted_size};
use optlab_lp::{write_mps_file, Family, LpProblem};

/// Runs `optlab lp generate`.
pub fn run_generate(a: GenerateArgs) -> anyhow::Result<()> {
    let (p, planted_obj) = build(&a)?;
    let out = &a.out;
    write_mps_file(&p, out).with_context(|| format!("cannot write {}", out.display()))?;
    if a.json {
        let summary = serde_json::json!({
            "file": out.display().to_string(), "rows": p.num_rows(), "cols": p.num_cols(),
            "nnz": p.a.nnz(), "planted_objective": planted_obj,
        });
        println!("{summary}");
    } else {
        println!(
            "wrote {} ({} rows, {} cols, {} nnz, planted objective {:?})",
            out.display(),
            p.num_rows(),
            p.num_cols(),
            p.a.nnz(),
            planted_obj
        );
    }
    Ok(())
}

/// The instance and its planted objective, after checking the sizes.
fn build(a: &GenerateArgs) -> anyhow::Result<(LpProblem, Option<f64>)> {
    let family = Family::from(a.family);
    match family.planted_kind() {
        Some(kind) => {
            let (rows, cols, density) = (a.rows, a.cols, a.density);
            if rows == 0 || cols == 0 || density.is_nan() || density <= 0.0 || density > 1.0 {
                bail!("need --rows > 0, --cols > 0 and 0 < --density <= 1");
            }
            check_planted_size(rows, cols, density)?;
            let g = planted(kind, rows, cols, density, a.seed);
            Ok((g.problem, Some(g.objective)))
        }
        None => {
            debug_assert_eq!(a.family, FamilyArg::Pagerank);
            if a.nodes < 4 {
                bail!("--nodes must be at least 4");
            }
            check_pagerank_size(a.nodes, 3)?;
            Ok((pagerank(a.nodes, 3, 0.85, a.seed).0, Some(0.0)))
        }
    }
}
