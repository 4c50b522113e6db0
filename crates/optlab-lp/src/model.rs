//! The LP model: `min cᵀx + c₀` subject to `row_lower ≤ A x ≤ row_upper`, `col_lower ≤ x ≤ col_upper`.

use crate::sparse::CsrMatrix;

/// A linear program in the general bounded form used by PDLP-class solvers.
///
/// The objective is always stored as a minimisation; a maximisation problem read from MPS has
/// its costs negated and `maximize` set, so reported objectives can be shown in the original sense.
#[derive(Debug, Clone, PartialEq)]
pub struct LpProblem {
    /// Problem name (from the MPS `NAME` line).
    pub name: String,
    /// Objective coefficients of the minimisation form.
    pub obj: Vec<f64>,
    /// Constant objective offset of the minimisation form.
    pub obj_offset: f64,
    /// True when the original problem maximises (costs were negated on input).
    pub maximize: bool,
    /// Constraint matrix, one row per constraint.
    pub a: CsrMatrix,
    /// Row lower bounds (`-inf` allowed).
    pub row_lower: Vec<f64>,
    /// Row upper bounds (`+inf` allowed).
    pub row_upper: Vec<f64>,
    /// Variable lower bounds (`-inf` allowed).
    pub col_lower: Vec<f64>,
    /// Variable upper bounds (`+inf` allowed).
    pub col_upper: Vec<f64>,
    /// Row names, one per row.
    pub row_names: Vec<String>,
    /// Column names, one per column.
    pub col_names: Vec<String>,
    /// Name of the objective row.
    pub obj_name: String,
}

/// Errors found by [`LpProblem::validate`].
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ModelError {
    /// Vector lengths disagree with the matrix shape.
    #[error("dimension mismatch: {0}")]
    Dimension(String),
    /// A bound or coefficient is NaN, or a lower bound exceeds an upper bound.
    #[error("invalid data: {0}")]
    Invalid(String),
}

impl LpProblem {
    /// Builds a problem with generated names (`R0..`, `C0..`), validating dimensions and data.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        obj: Vec<f64>,
        a: CsrMatrix,
        row_lower: Vec<f64>,
        row_upper: Vec<f64>,
        col_lower: Vec<f64>,
        col_upper: Vec<f64>,
    ) -> Result<Self, ModelError> {
        let p = Self {
            name: "LP".into(),
            row_names: (0..a.nrows).map(|i| format!("R{i}")).collect(),
            col_names: (0..a.ncols).map(|j| format!("C{j}")).collect(),
            obj,
            obj_offset: 0.0,
            maximize: false,
            a,
            row_lower,
            row_upper,
            col_lower,
            col_upper,
            obj_name: "OBJ".into(),
        };
        p.validate()?;
        Ok(p)
    }

    /// Number of constraints.
    pub fn num_rows(&self) -> usize {
        self.a.nrows
    }

    /// Number of variables.
    pub fn num_cols(&self) -> usize {
        self.a.ncols
    }

    /// Checks dimensions, NaNs and bound consistency.
    pub fn validate(&self) -> Result<(), ModelError> {
        let (m, n) = (self.num_rows(), self.num_cols());
        let dims = [
            ("obj", self.obj.len(), n),
            ("col_lower", self.col_lower.len(), n),
            ("col_upper", self.col_upper.len(), n),
            ("col_names", self.col_names.len(), n),
            ("row_lower", self.row_lower.len(), m),
            ("row_upper", self.row_upper.len(), m),
            ("row_names", self.row_names.len(), m),
        ];
        for (what, got, want) in dims {
            if got != want {
                return Err(ModelError::Dimension(format!(
                    "{what} has {got} entries, expected {want}"
                )));
            }
        }
        if self
            .obj
            .iter()
            .chain(&self.a.values)
            .any(|v| !v.is_finite())
            || !self.obj_offset.is_finite()
        {
            return Err(ModelError::Invalid(
                "objective or matrix holds a non-finite value".into(),
            ));
        }
        let check = |lo: &[f64], hi: &[f64], kind: &str, names: &[String]| {
            for k in 0..lo.len() {
                if lo[k].is_nan()
                    || hi[k].is_nan()
                    || lo[k] > hi[k]
                    || lo[k] == f64::INFINITY
                    || hi[k] == f64::NEG_INFINITY
                {
                    return Err(ModelError::Invalid(format!(
                        "{kind} {} has inconsistent bounds [{}, {}]",
                        names[k], lo[k], hi[k]
                    )));
                }
            }
            Ok(())
        };
        check(&self.row_lower, &self.row_upper, "row", &self.row_names)?;
        check(&self.col_lower, &self.col_upper, "column", &self.col_names)
    }

    /// Objective value of `x` in the original sense (negated back for maximisation problems).
    pub fn objective(&self, x: &[f64]) -> f64 {
        let v = crate::sparse::dot(&self.obj, x) + self.obj_offset;
        self.user_objective(v)
    }

    /// Converts a minimisation-form objective value to the original sense.
    pub fn user_objective(&self, min_form_value: f64) -> f64 {
        if self.maximize {
            -min_form_value
        } else {
            min_form_value
        }
    }

    /// Largest violation of row and column bounds by `x` (absolute, ℓ∞).
    pub fn max_violation(&self, x: &[f64]) -> f64 {
        let ax = self.a.mul_vec(x);
        let mut v: f64 = 0.0;
        for i in 0..ax.len() {
            v = v
                .max(self.row_lower[i] - ax[i])
                .max(ax[i] - self.row_upper[i]);
        }
        for j in 0..x.len() {
            v = v
                .max(self.col_lower[j] - x[j])
                .max(x[j] - self.col_upper[j]);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_catches_bad_input() {
        let a = CsrMatrix::from_triplets(1, 2, &[(0, 0, 1.0), (0, 1, 1.0)]);
        let inf = f64::INFINITY;
        let ok = LpProblem::new(
            vec![1.0, 1.0],
            a.clone(),
            vec![1.0],
            vec![inf],
            vec![0.0; 2],
            vec![inf; 2],
        );
        let p = ok.expect("valid problem");
        assert_eq!(p.objective(&[1.0, 2.0]), 3.0);
        assert_eq!(p.max_violation(&[0.25, 0.25]), 0.5);
        let bad = LpProblem::new(
            vec![1.0],
            a.clone(),
            vec![1.0],
            vec![inf],
            vec![0.0; 2],
            vec![inf; 2],
        );
        assert!(matches!(bad, Err(ModelError::Dimension(_))));
        let bad = LpProblem::new(
            vec![1.0, 1.0],
            a,
            vec![2.0],
            vec![1.0],
            vec![0.0; 2],
            vec![inf; 2],
        );
        assert!(matches!(bad, Err(ModelError::Invalid(_))));
    }
}
