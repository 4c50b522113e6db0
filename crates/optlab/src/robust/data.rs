//! The images of `optlab robust`: IDX files from `--idx-dir` or the generated shape set.

use std::path::{Path, PathBuf};

use anyhow::bail;
use optlab_robust::data::{generated_shapes, load_idx_pair, ImageSet};

use super::args::DataArgs;

fn find_idx(dir: &Path, stem: &str) -> anyhow::Result<PathBuf> {
    for name in [stem.to_string(), format!("{stem}.gz")] {
        let p = dir.join(name);
        if p.is_file() {
            return Ok(p);
        }
    }
    bail!("{}: no {stem} or {stem}.gz", dir.display())
}

/// Loads (train, test) sets as the data flags say.
pub(super) fn load_data(d: &DataArgs) -> anyhow::Result<(ImageSet, ImageSet)> {
    if d.n_train == 0 || d.n_test == 0 {
        bail!("--n-train and --n-test must be positive");
    }
    match &d.idx_dir {
        Some(dir) => {
            let part = |split: &str, n| -> anyhow::Result<ImageSet> {
                let im = find_idx(dir, &format!("{split}-images-idx3-ubyte"))?;
                let lb = find_idx(dir, &format!("{split}-labels-idx1-ubyte"))?;
                Ok(load_idx_pair(&im, &lb, Some(n))?)
            };
            Ok((part("train", d.n_train)?, part("t10k", d.n_test)?))
        }
        None => Ok((
            generated_shapes(d.n_train, d.side, d.noise, 1)?,
            generated_shapes(d.n_test, d.side, d.noise, 2)?,
        )),
    }
}
