//! Instance generators: random sparse covering/packing LPs with a planted optimum, and
//! PageRank LPs on Barabási–Albert graphs (the PDHG-Net family). Deterministic given a seed.

use crate::model::LpProblem;
use crate::sparse::CsrMatrix;
use optlab_core::rng::Rng;

/// Generated instance families (what `optlab lp generate` and PDHG-Net training build).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `min cᵀx, Ax ≥ b, x ≥ 0` with a planted optimum.
    Covering,
    /// `max cᵀx, Ax ≤ b, x ≥ 0` with a planted optimum.
    Packing,
    /// PageRank LP on a Barabási–Albert graph (α = 0.85, 3 edges per node).
    Pagerank,
}

impl Family {
    /// Lower-case name (`covering`, `packing`, `pagerank`).
    pub fn name(self) -> &'static str {
        match self {
            Family::Covering => "covering",
            Family::Packing => "packing",
            Family::Pagerank => "pagerank",
        }
    }

    /// The planted kind of a covering or packing family; `None` for PageRank.
    pub fn planted_kind(self) -> Option<PlantedKind> {
        match self {
            Family::Covering => Some(PlantedKind::Covering),
            Family::Packing => Some(PlantedKind::Packing),
            Family::Pagerank => None,
        }
    }
}

/// A generated LP with its known optimal solution.
#[derive(Debug, Clone)]
pub struct PlantedLp {
    /// The problem.
    pub problem: LpProblem,
    /// Optimal objective in the problem's original sense.
    pub objective: f64,
    /// An optimal primal solution.
    pub x: Vec<f64>,
}

/// Which planted family to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlantedKind {
    /// `min cᵀx, Ax ≥ b, x ≥ 0` with `A ≥ 0`.
    Covering,
    /// `max cᵀx, Ax ≤ b, x ≥ 0` with `A ≥ 0`.
    Packing,
}

/// Nonnegative sparse matrix with about `density·m·n` entries and no empty row or column.
fn random_nonneg(m: usize, n: usize, density: f64, rng: &mut Rng) -> CsrMatrix {
    let target = ((density * m as f64 * n as f64) as usize).max(m.max(n));
    let mut t = Vec::with_capacity(target + m + n);
    for i in 0..m {
        t.push((i, rng.below(n), 0.1 + rng.uniform()));
    }
    for j in 0..n {
        t.push((rng.below(m), j, 0.1 + rng.uniform()));
    }
    for _ in 0..target.saturating_sub(m + n) {
        t.push((rng.below(m), rng.below(n), 0.1 + rng.uniform()));
    }
    CsrMatrix::from_triplets(m, n, &t)
}

/// Random covering or packing LP with `m` rows, `n` columns and a planted optimum built from
/// complementary slackness: about half the variables and half the rows are active.
///
/// # Panics
/// Panics if `m` or `n` is zero.
pub fn planted(kind: PlantedKind, m: usize, n: usize, density: f64, seed: u64) -> PlantedLp {
    assert!(
        m > 0 && n > 0,
        "planted LP needs at least one row and one column"
    );
    let mut rng = Rng::new(seed);
    let a = random_nonneg(m, n, density, &mut rng);
    let x: Vec<f64> = (0..n)
        .map(|_| {
            if rng.uniform() < 0.5 {
                0.5 + rng.uniform()
            } else {
                0.0
            }
        })
        .collect();
    let y: Vec<f64> = (0..m)
        .map(|_| {
            if rng.uniform() < 0.5 {
                0.5 + rng.uniform()
            } else {
                0.0
            }
        })
        .collect();
    let ax = a.mul_vec(&x);
    let aty = a.transpose().mul_vec(&y);
    let (sign, row_lower, row_upper, c): (f64, Vec<f64>, Vec<f64>, Vec<f64>) = match kind {
        PlantedKind::Covering => {
            // Inactive rows get slack; inactive columns a positive reduced cost.
            let b = (0..m)
                .map(|i| {
                    if y[i] > 0.0 {
                        ax[i]
                    } else {
                        ax[i] * (0.5 * rng.uniform())
                    }
                })
                .collect();
            let c = (0..n)
                .map(|j| aty[j] + if x[j] > 0.0 { 0.0 } else { 0.1 + rng.uniform() })
                .collect();
            (1.0, b, vec![f64::INFINITY; m], c)
        }
        PlantedKind::Packing => {
            let b = (0..m)
                .map(|i| {
                    if y[i] > 0.0 {
                        ax[i]
                    } else {
                        ax[i] + 0.1 + rng.uniform()
                    }
                })
                .collect();
            let c = (0..n)
                .map(|j| aty[j] * if x[j] > 0.0 { 1.0 } else { 0.5 * rng.uniform() })
                .collect();
            (-1.0, vec![f64::NEG_INFINITY; m], b, c)
        }
    };
    let objective: f64 = c.iter().zip(&x).map(|(p, q)| p * q).sum();
    let mut problem = LpProblem::new(
        c.iter().map(|v| sign * v).collect(),
        a,
        row_lower,
        row_upper,
        vec![0.0; n],
        vec![f64::INFINITY; n],
    )
    .expect("generated data is consistent");
    problem.maximize = kind == PlantedKind::Packing;
    problem.name = format!("{kind:?}-{m}x{n}-s{seed}").to_lowercase();
    PlantedLp {
        problem,
        objective,
        x,
    }
}

/// PageRank LP on a Barabási–Albert graph with `nodes` nodes and `m_edges` edges per new node:
/// `(αS − I)x ≤ −(1−α)/n`, `Σx = 1`, `x ≥ 0`, `c = 0`, with `S` column-stochastic.
/// Returns the problem and the PageRank vector (computed by power iteration) as a feasible point.
///
/// # Panics
/// Panics if `nodes <= m_edges` or `m_edges == 0`.
pub fn pagerank(nodes: usize, m_edges: usize, damping: f64, seed: u64) -> (LpProblem, Vec<f64>) {
    assert!(m_edges > 0 && nodes > m_edges, "need nodes > m_edges > 0");
    let mut rng = Rng::new(seed);
    let mut edges: Vec<(usize, usize)> = Vec::new();
    // Preferential attachment: sample targets from the list of edge endpoints.
    let mut ends: Vec<usize> = (0..m_edges).collect();
    for v in m_edges..nodes {
        let mut targets: Vec<usize> = Vec::with_capacity(m_edges);
        while targets.len() < m_edges {
            let t = ends[rng.below(ends.len())];
            if !targets.contains(&t) {
                targets.push(t);
            }
        }
        for &t in &targets {
            edges.push((v, t));
            ends.push(t);
            ends.push(v);
        }
    }
    let mut deg = vec![0usize; nodes];
    for &(u, v) in &edges {
        deg[u] += 1;
        deg[v] += 1;
    }
    let n = nodes;
    let mut t = Vec::with_capacity(4 * edges.len() + 2 * n);
    for &(u, v) in &edges {
        t.push((u, v, damping / deg[v] as f64));
        t.push((v, u, damping / deg[u] as f64));
    }
    for i in 0..n {
        t.push((i, i, -1.0));
        t.push((n, i, 1.0));
    }
    let a = CsrMatrix::from_triplets(n + 1, n, &t);
    let rhs = -(1.0 - damping) / n as f64;
    let mut row_lower = vec![f64::NEG_INFINITY; n + 1];
    let mut row_upper = vec![rhs; n + 1];
    row_lower[n] = 1.0;
    row_upper[n] = 1.0;
    // Power iteration for the PageRank vector x = αSx + (1−α)/n.
    let mut x = vec![1.0 / n as f64; n];
    for _ in 0..1000 {
        let mut nx = vec![(1.0 - damping) / n as f64; n];
        for &(u, v) in &edges {
            nx[u] += damping * x[v] / deg[v] as f64;
            nx[v] += damping * x[u] / deg[u] as f64;
        }
        let diff: f64 = nx.iter().zip(&x).map(|(p, q)| (p - q).abs()).sum();
        x = nx;
        if diff < 1e-14 {
            break;
        }
    }
    let mut p = LpProblem::new(
        vec![0.0; n],
        a,
        row_lower,
        row_upper,
        vec![0.0; n],
        vec![f64::INFINITY; n],
    )
    .expect("generated data is consistent");
    p.name = format!("pagerank-{nodes}-s{seed}");
    (p, x)
}
