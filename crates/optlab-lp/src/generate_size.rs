//! Size checks for generated instances: the matrix entries (and so the memory) that the
//! requested sizes imply, checked before anything is allocated.

/// Most matrix entries a generated instance may have (about 1.2 GB of triplets while it is
/// built, and as much again for the matrix and its transpose).
pub const MAX_GENERATED_NNZ: u64 = 50_000_000;

/// Requested sizes that would build an instance too large for [`MAX_GENERATED_NNZ`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{flag} = {value} implies about {nnz} matrix entries, more than the limit of {limit}")]
pub struct TooLarge {
    /// The setting (command-line flag) that is too large.
    pub flag: &'static str,
    /// The value given, as text.
    pub value: String,
    /// Matrix entries the sizes imply (saturating).
    pub nnz: u64,
    /// The limit, [`MAX_GENERATED_NNZ`].
    pub limit: u64,
}

/// Entries of a planted `m × n` instance of `density` (what `planted` builds).
pub fn planted_nnz(m: usize, n: usize, density: f64) -> u64 {
    let (m, n) = (m as u64, n as u64);
    let target = (density.clamp(0.0, 1.0) * m as f64 * n as f64).min(u64::MAX as f64) as u64;
    target.max(m.max(n)).saturating_add(m).saturating_add(n)
}

/// Checks the sizes of a planted covering/packing instance (`--rows`, `--cols`, `--density`).
pub fn check_planted_size(m: usize, n: usize, density: f64) -> Result<(), TooLarge> {
    let nnz = planted_nnz(m, n, density);
    if nnz <= MAX_GENERATED_NNZ {
        return Ok(());
    }
    let (flag, value) = if m as u64 > MAX_GENERATED_NNZ {
        ("--rows", m.to_string())
    } else if n as u64 > MAX_GENERATED_NNZ {
        ("--cols", n.to_string())
    } else {
        (
            "--rows x --cols x --density",
            format!("{m} x {n} x {density}"),
        )
    };
    Err(TooLarge {
        flag,
        value,
        nnz,
        limit: MAX_GENERATED_NNZ,
    })
}

/// Entries of a PageRank instance on `nodes` nodes with `m_edges` edges per node.
pub fn pagerank_nnz(nodes: usize, m_edges: usize) -> u64 {
    let per_node = (m_edges as u64).saturating_mul(2).saturating_add(2);
    (nodes as u64).saturating_mul(per_node)
}

/// Checks the size of a PageRank instance (`--nodes`).
pub fn check_pagerank_size(nodes: usize, m_edges: usize) -> Result<(), TooLarge> {
    let nnz = pagerank_nnz(nodes, m_edges);
    if nnz <= MAX_GENERATED_NNZ {
        return Ok(());
    }
    Err(TooLarge {
        flag: "--nodes",
        value: nodes.to_string(),
        nnz,
        limit: MAX_GENERATED_NNZ,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_beyond_the_limit_name_the_flag() {
        assert!(check_planted_size(1000, 2000, 0.01).is_ok());
        assert!(check_pagerank_size(100_000, 3).is_ok());
        let e = check_planted_size(usize::MAX, 10, 0.5).unwrap_err();
        assert_eq!(e.flag, "--rows");
        let e = check_planted_size(10, usize::MAX, 0.5).unwrap_err();
        assert_eq!(e.flag, "--cols");
        let e = check_planted_size(100_000, 100_000, 1.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "--rows x --cols x --density = 100000 x 100000 x 1 implies about 10000200000 \
             matrix entries, more than the limit of 50000000"
        );
        let e = check_pagerank_size(usize::MAX, 3).unwrap_err();
        assert_eq!(e.nnz, u64::MAX);
        assert!(
            e.to_string().starts_with("--nodes = 18446744073709551615"),
            "{e}"
        );
    }
}
