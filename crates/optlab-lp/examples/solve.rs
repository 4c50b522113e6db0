//! Solves a generated covering LP through the facade with both PDHG variants and prints what
//! each reached.
//!
//! Example: `cargo run -p optlab-lp --example solve`

use optlab_lp::generate::{planted, PlantedKind};
use optlab_lp::{solve, Algorithm, SolveOptions};

fn main() -> Result<(), optlab_lp::LpError> {
    let g = planted(PlantedKind::Covering, 200, 400, 0.02, 7);
    for algorithm in [Algorithm::AveragedPdhg, Algorithm::ReflectedHalpern] {
        let opts = SolveOptions {
            tol: 1e-6,
            algorithm,
            presolve: true,
            ..Default::default()
        };
        let sol = solve(&g.problem, &opts)?;
        println!(
            "{algorithm:?}: {:?}, objective {:.8} (planted {:.8}), {} iterations",
            sol.status, sol.objective, g.objective, sol.iterations
        );
    }
    Ok(())
}
