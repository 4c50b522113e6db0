//! Presolve-lite: fixed columns, empty columns, free column singletons (substituted out with
//! their row), empty and free rows, and singleton rows (turned into column bounds), applied
//! until nothing changes, with a postsolve (the `postsolve` module) that recovers primal and dual
//! solutions (and infeasibility rays) of the original problem.

use crate::model::LpProblem;
use crate::sparse::CsrMatrix;

/// Tolerance for deciding that an emptied row, or a pair of tightened bounds, is consistent.
const FEAS_TOL: f64 = 1e-9;

/// The outcome of presolve.
#[derive(Debug)]
pub enum Presolve {
    /// A smaller problem plus what is needed to map its solutions back.
    Reduced(Box<Reduction>),
    /// A row or a column's bounds cannot be satisfied: the problem is primal infeasible.
    Infeasible(String),
    /// An empty column improves the objective without limit: the dual is infeasible.
    DualInfeasible(String),
}

/// One presolve reduction, undone in reverse order by postsolve.
#[derive(Debug, Clone, PartialEq)]
pub enum Reduction1 {
    /// Column `j` removed at `value` (equal bounds, or an empty column at its best bound).
    FixCol {
        /// Original column index.
        j: usize,
        /// Its value.
        value: f64,
    },
    /// Row `i` removed because it holds no column any more or has no finite bound (dual 0).
    DropRow {
        /// Original row index.
        i: usize,
    },
    /// Singleton row `i` (`a·x_j`) replaced by bounds on column `j`.
    SingletonRow {
        /// Original row index.
        i: usize,
        /// Original column index.
        j: usize,
        /// The row's coefficient.
        a: f64,
        /// The row supplied the column's lower bound (it was tighter than the one before).
        lower: bool,
        /// The row supplied the column's upper bound.
        upper: bool,
    },
    /// Free column `j` appearing only in row `i` (coefficient `a`): row and column removed,
    /// `c_j·x_j` substituted into the objective when the row is held at a bound.
    FreeColumnSingleton {
        /// Original row index.
        i: usize,
        /// Original column index.
        j: usize,
        /// The coefficient `a_ij`.
        a: f64,
        /// The other columns of row `i` still present at that time, with their coefficients.
        others: Vec<(usize, f64)>,
        /// Row activity the row is held at (`None`: the column costs nothing, so any activity
        /// within the row bounds will do).
        target: Option<f64>,
        /// Row bounds at that time (shifted by the columns fixed before).
        lo: f64,
        /// See `lo`.
        hi: f64,
        /// The row's dual `c_j / a` (`c_j` being the column's cost at that time).
        dual: f64,
    },
}

/// A reduced problem and its postsolve data.
#[derive(Debug)]
pub struct Reduction {
    /// The reduced problem.
    pub problem: LpProblem,
    /// Original indices of the kept rows.
    pub kept_rows: Vec<usize>,
    /// Original indices of the kept columns.
    pub kept_cols: Vec<usize>,
    /// Reductions in the order they were applied.
    pub ops: Vec<Reduction1>,
}

impl Reduction {
    /// How many reductions of each kind were applied: `[fixed columns, dropped rows, singleton
    /// rows, free column singletons]`.
    pub fn counts(&self) -> [usize; 4] {
        let mut c = [0; 4];
        for op in &self.ops {
            c[match op {
                Reduction1::FixCol { .. } => 0,
                Reduction1::DropRow { .. } => 1,
                Reduction1::SingletonRow { .. } => 2,
                Reduction1::FreeColumnSingleton { .. } => 3,
            }] += 1;
        }
        c
    }
}

/// Mutable state of the reduction loop.
struct State<'a> {
    p: &'a LpProblem,
    at: CsrMatrix,
    obj: Vec<f64>,
    col_lo: Vec<f64>,
    col_hi: Vec<f64>,
    row_lo: Vec<f64>,
    row_hi: Vec<f64>,
    row_alive: Vec<bool>,
    col_alive: Vec<bool>,
    row_count: Vec<usize>,
    col_count: Vec<usize>,
    offset: f64,
    ops: Vec<Reduction1>,
    rows_todo: Vec<usize>,
    cols_todo: Vec<usize>,
}

impl<'a> State<'a> {
    fn new(p: &'a LpProblem) -> Self {
        let at = p.a.transpose();
        let nz = |it: &mut dyn Iterator<Item = (usize, f64)>| it.filter(|e| e.1 != 0.0).count();
        let row_count = (0..p.num_rows()).map(|i| nz(&mut p.a.row(i))).collect();
        let col_count = (0..p.num_cols()).map(|j| nz(&mut at.row(j))).collect();
        Self {
            p,
            at,
            obj: p.obj.clone(),
            col_lo: p.col_lower.clone(),
            col_hi: p.col_upper.clone(),
            row_lo: p.row_lower.clone(),
            row_hi: p.row_upper.clone(),
            row_alive: vec![true; p.num_rows()],
            col_alive: vec![true; p.num_cols()],
            row_count,
            col_count,
            offset: p.obj_offset,
            ops: Vec::new(),
            rows_todo: (0..p.num_rows()).collect(),
            cols_todo: (0..p.num_cols()).collect(),
        }
    }

    fn fix_col(&mut self, j: usize, value: f64) {
        self.col_alive[j] = false;
        self.offset += self.obj[j] * value;
        for (i, a) in self.at.row(j) {
            if a != 0.0 && self.row_alive[i] {
                self.row_lo[i] -= a * value;
                self.row_hi[i] -= a * value;
                self.row_count[i] -= 1;
                self.rows_todo.push(i);
            }
        }
        self.ops.push(Reduction1::FixCol { j, value });
    }

    fn drop_row(&mut self, i: usize) {
        self.row_alive[i] = false;
        for (j, a) in self.p.a.row(i) {
            if a != 0.0 && self.col_alive[j] {
                self.col_count[j] -= 1;
                self.cols_todo.push(j);
            }
        }
    }

    fn column(&mut self, j: usize) -> Result<(), Presolve> {
        let (lo, hi, c) = (self.col_lo[j], self.col_hi[j], self.obj[j]);
        if lo == hi {
            self.fix_col(j, lo);
        } else if self.col_count[j] == 0 {
            let v = if c > 0.0 {
                lo
            } else if c < 0.0 {
                hi
            } else {
                0.0f64.clamp(lo, hi)
            };
            if !v.is_finite() {
                return Err(Presolve::DualInfeasible(format!(
                    "empty column {} is unbounded in its improving direction",
                    self.p.col_names[j]
                )));
            }
            self.fix_col(j, v);
        } else if self.col_count[j] == 1 && lo == f64::NEG_INFINITY && hi == f64::INFINITY {
            self.free_singleton(j)?;
        }
        Ok(())
    }

    /// Substitutes out free column `j`, which appears only in one row.
    fn free_singleton(&mut self, j: usize) -> Result<(), Presolve> {
        let Some((i, a)) = self.at.row(j).find(|&(i, a)| a != 0.0 && self.row_alive[i]) else {
            return Ok(());
        };
        let (lo, hi) = (self.row_lo[i], self.row_hi[i]);
        let dual = self.obj[j] / a;
        // The reduced cost of a free column must vanish, so y_i = c_j / a; its sign picks the
        // row side that is active (y_i > 0: lower side in the minimisation form).
        let target = if lo == hi || dual > 0.0 {
            Some(lo)
        } else if dual < 0.0 {
            Some(hi)
        } else {
            None
        };
        if target.is_some_and(|t| !t.is_finite()) {
            return Err(Presolve::DualInfeasible(format!(
                "free column {} appears only in row {}, whose needed side is infinite",
                self.p.col_names[j], self.p.row_names[i]
            )));
        }
        let others: Vec<(usize, f64)> = self
            .p
            .a
            .row(i)
            .filter(|&(k, v)| v != 0.0 && k != j && self.col_alive[k])
            .collect();
        if let Some(b) = target {
            self.offset += dual * b;
            for &(k, v) in &others {
                self.obj[k] -= dual * v;
            }
        }
        self.col_alive[j] = false;
        self.drop_row(i);
        self.ops.push(Reduction1::FreeColumnSingleton {
            i,
            j,
            a,
            others,
            target,
            lo,
            hi,
            dual,
        });
        Ok(())
    }

    fn row(&mut self, i: usize) -> Result<(), Presolve> {
        let (lo, hi) = (self.row_lo[i], self.row_hi[i]);
        if self.row_count[i] == 0 {
            if lo > FEAS_TOL * (1.0 + lo.abs()) || hi < -FEAS_TOL * (1.0 + hi.abs()) {
                return Err(Presolve::Infeasible(format!(
                    "row {} cannot be satisfied after fixing its columns",
                    self.p.row_names[i]
                )));
            }
            self.drop_row(i);
            self.ops.push(Reduction1::DropRow { i });
        } else if !lo.is_finite() && !hi.is_finite() {
            self.drop_row(i);
            self.ops.push(Reduction1::DropRow { i });
        } else if self.row_count[i] == 1 {
            let Some((j, a)) = self
                .p
                .a
                .row(i)
                .find(|&(j, a)| a != 0.0 && self.col_alive[j])
            else {
                return Ok(());
            };
            let (imp_lo, imp_hi) = if a > 0.0 {
                (lo / a, hi / a)
            } else {
                (hi / a, lo / a)
            };
            let lower = imp_lo > self.col_lo[j];
            let upper = imp_hi < self.col_hi[j];
            if lower {
                self.col_lo[j] = imp_lo;
            }
            if upper {
                self.col_hi[j] = imp_hi;
            }
            let (l, u) = (self.col_lo[j], self.col_hi[j]);
            if l > u {
                if l - u > FEAS_TOL * (1.0 + l.abs().max(u.abs())) {
                    return Err(Presolve::Infeasible(format!(
                        "singleton row {} leaves column {} the empty range [{l}, {u}]",
                        self.p.row_names[i], self.p.col_names[j]
                    )));
                }
                let mid = 0.5 * (l + u);
                (self.col_lo[j], self.col_hi[j]) = (mid, mid);
            }
            self.drop_row(i);
            self.ops.push(Reduction1::SingletonRow {
                i,
                j,
                a,
                lower,
                upper,
            });
        }
        Ok(())
    }

    fn run(&mut self) -> Result<(), Presolve> {
        loop {
            if let Some(j) = self.cols_todo.pop() {
                if self.col_alive[j] {
                    self.column(j)?;
                }
            } else if let Some(i) = self.rows_todo.pop() {
                if self.row_alive[i] {
                    self.row(i)?;
                }
            } else {
                return Ok(());
            }
        }
    }

    fn into_reduction(self) -> Reduction {
        let p = self.p;
        let kept_rows: Vec<usize> = (0..p.num_rows()).filter(|&i| self.row_alive[i]).collect();
        let kept_cols: Vec<usize> = (0..p.num_cols()).filter(|&j| self.col_alive[j]).collect();
        let mut col_map = vec![usize::MAX; p.num_cols()];
        for (k, &j) in kept_cols.iter().enumerate() {
            col_map[j] = k;
        }
        let mut triplets = Vec::new();
        for (k, &i) in kept_rows.iter().enumerate() {
            for (j, a) in p.a.row(i) {
                if col_map[j] != usize::MAX && a != 0.0 {
                    triplets.push((k, col_map[j], a));
                }
            }
        }
        let pick = |v: &[f64], idx: &[usize]| idx.iter().map(|&k| v[k]).collect::<Vec<f64>>();
        let names = |v: &[String], idx: &[usize]| idx.iter().map(|&k| v[k].clone()).collect();
        let problem = LpProblem {
            name: p.name.clone(),
            obj: pick(&self.obj, &kept_cols),
            obj_offset: self.offset,
            maximize: p.maximize,
            a: CsrMatrix::from_triplets(kept_rows.len(), kept_cols.len(), &triplets),
            row_lower: pick(&self.row_lo, &kept_rows),
            row_upper: pick(&self.row_hi, &kept_rows),
            col_lower: pick(&self.col_lo, &kept_cols),
            col_upper: pick(&self.col_hi, &kept_cols),
            row_names: names(&p.row_names, &kept_rows),
            col_names: names(&p.col_names, &kept_cols),
            obj_name: p.obj_name.clone(),
        };
        Reduction {
            problem,
            kept_rows,
            kept_cols,
            ops: self.ops,
        }
    }
}

/// Runs presolve-lite on `p`, repeating the reductions until none applies.
pub fn presolve(p: &LpProblem) -> Presolve {
    let mut s = State::new(p);
    match s.run() {
        Ok(()) => Presolve::Reduced(Box::new(s.into_reduction())),
        Err(e) => e,
    }
}
