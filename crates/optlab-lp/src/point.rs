//! A primal-dual iterate with its cached matrix products.

/// A primal-dual point with its cached products `A x` and `Aᵀ y` (scaled space).
#[derive(Clone)]
pub(crate) struct Point {
    pub(crate) x: Vec<f64>,
    pub(crate) y: Vec<f64>,
    pub(crate) ax: Vec<f64>,
    pub(crate) aty: Vec<f64>,
}

impl Point {
    /// The origin of a problem with `m` rows and `n` columns.
    pub(crate) fn zeros(m: usize, n: usize) -> Self {
        Self {
            x: vec![0.0; n],
            y: vec![0.0; m],
            ax: vec![0.0; m],
            aty: vec![0.0; n],
        }
    }

    /// `self += w · o`, products included.
    pub(crate) fn axpy(&mut self, w: f64, o: &Point) {
        let pairs = [
            (&mut self.x, &o.x),
            (&mut self.y, &o.y),
            (&mut self.ax, &o.ax),
            (&mut self.aty, &o.aty),
        ];
        for (a, b) in pairs {
            a.iter_mut().zip(b).for_each(|(s, t)| *s += w * t);
        }
    }

    /// `w · self`.
    pub(crate) fn scaled(&self, w: f64) -> Point {
        let f = |v: &Vec<f64>| v.iter().map(|e| e * w).collect();
        Point {
            x: f(&self.x),
            y: f(&self.y),
            ax: f(&self.ax),
            aty: f(&self.aty),
        }
    }

    /// `self − o`.
    pub(crate) fn minus(&self, o: &Point) -> Point {
        let mut d = self.clone();
        d.axpy(-1.0, o);
        d
    }
}
