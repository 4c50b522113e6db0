//! Online portfolio selection baselines of the paper's table, long only and fully invested:
//! CRP (constant rebalanced to equal weights), EG (exponentiated gradient, Helmbold et al.
//! 1998), ONS (online Newton step, Agarwal et al. 2006) and OLMAR (on-line moving average
//! reversion, Li and Hoi 2012). Each starts from equal weights at its first decision and then
//! updates on every day it has not seen yet, using price relatives `x = 1 + r` of past days
//! only. Meant to run with daily rebalancing, as in the OLPS literature.

use crate::backtest::Strategy;
use crate::bl::equal_weights;
use crate::linalg::Mat;
use crate::qp::{mean_variance, Constraints};

/// Names accepted by [`by_name`].
pub const OLPS_NAMES: [&str; 4] = ["crp", "eg", "ons", "olmar"];

/// Which update rule.
#[derive(Debug, Clone)]
enum Rule {
    Crp,
    Eg {
        eta: f64,
    },
    Ons {
        a: Mat,
        b: Vec<f64>,
        beta: f64,
        delta: f64,
    },
    Olmar {
        window: usize,
        eps: f64,
    },
}

/// An OLPS strategy with its running portfolio.
#[derive(Debug, Clone)]
pub struct Olps {
    rule: Rule,
    w: Vec<f64>,
    seen: Option<usize>,
}

/// Euclidean projection onto the probability simplex (sort-based).
pub fn project_simplex(v: &[f64]) -> Vec<f64> {
    let mut u = v.to_vec();
    u.sort_by(|a, b| b.total_cmp(a));
    let (mut css, mut theta) = (0.0, 0.0);
    for (k, x) in u.iter().enumerate() {
        css += x;
        let t = (css - 1.0) / (k + 1) as f64;
        if x - t > 0.0 {
            theta = t;
        }
    }
    v.iter().map(|x| (x - theta).max(0.0)).collect()
}

impl Olps {
    fn update(&mut self, history: &[Vec<f64>], day: usize) {
        let n = self.w.len();
        let x: Vec<f64> = history[day].iter().map(|r| 1.0 + r).collect();
        let wx: f64 = self
            .w
            .iter()
            .zip(&x)
            .map(|(a, b)| a * b)
            .sum::<f64>()
            .max(1e-12);
        match &mut self.rule {
            Rule::Crp => {}
            Rule::Eg { eta } => {
                let v: Vec<f64> = (0..n)
                    .map(|i| self.w[i] * (*eta * x[i] / wx).exp())
                    .collect();
                let s: f64 = v.iter().sum();
                self.w = v.iter().map(|a| a / s).collect();
            }
            Rule::Ons { a, b, beta, delta } => {
                let g: Vec<f64> = x.iter().map(|xi| xi / wx).collect();
                for i in 0..n {
                    b[i] += (1.0 + 1.0 / *beta) * g[i];
                    for j in 0..n {
                        a.data[i * n + j] += g[i] * g[j];
                    }
                }
                // w = argmin over the simplex of (w - p)' A (w - p), p = delta A^-1 b.
                if let Ok(p) = a.solve_spd(b) {
                    let p: Vec<f64> = p.iter().map(|v| *delta * v).collect();
                    if let Ok(ap) = a.matvec(&p) {
                        if let Ok(w) = mean_variance(&ap, a, 1.0, &Constraints::long_only(n, 1.0)) {
                            self.w = project_simplex(&w);
                        }
                    }
                }
            }
            Rule::Olmar { window, eps } => {
                // Predicted relative: mean over the window of p_{t-k} / p_t.
                let start = (day + 1).saturating_sub(*window);
                let mut pred = vec![0.0; n];
                let mut ratio = vec![1.0; n];
                for k in (start..=day).rev() {
                    for i in 0..n {
                        pred[i] += ratio[i];
                        ratio[i] /= 1.0 + history[k][i];
                    }
                }
                let cnt = (day + 1 - start) as f64;
                pred.iter_mut().for_each(|p| *p /= cnt);
                let mean = pred.iter().sum::<f64>() / n as f64;
                let dev: f64 = pred.iter().map(|p| (p - mean).powi(2)).sum();
                let wp: f64 = self.w.iter().zip(&pred).map(|(a, b)| a * b).sum();
                let lam = if dev > 0.0 {
                    ((*eps - wp) / dev).max(0.0)
                } else {
                    0.0
                };
                let v: Vec<f64> = (0..n).map(|i| self.w[i] + lam * (pred[i] - mean)).collect();
                self.w = project_simplex(&v);
            }
        }
    }
}

impl Strategy for Olps {
    fn name(&self) -> String {
        match self.rule {
            Rule::Crp => "crp",
            Rule::Eg { .. } => "eg",
            Rule::Ons { .. } => "ons",
            Rule::Olmar { .. } => "olmar",
        }
        .into()
    }
    fn decide(&mut self, history: &[Vec<f64>], _: &[f64]) -> Option<Vec<f64>> {
        let mut day = self.seen.unwrap_or(history.len());
        while day < history.len() {
            self.update(history, day);
            day += 1;
        }
        self.seen = Some(day);
        Some(self.w.clone())
    }
}

/// Builds an OLPS baseline with the usual parameters (EG eta 0.05; ONS beta 1, delta 1/8;
/// OLMAR window 5, epsilon 10).
pub fn by_name(name: &str, n: usize) -> Option<Olps> {
    let rule = match name {
        "crp" => Rule::Crp,
        "eg" => Rule::Eg { eta: 0.05 },
        "ons" => Rule::Ons {
            a: Mat::identity(n),
            b: vec![0.0; n],
            beta: 1.0,
            delta: 0.125,
        },
        "olmar" => Rule::Olmar {
            window: 5,
            eps: 10.0,
        },
        _ => return None,
    };
    Some(Olps {
        rule,
        w: equal_weights(n),
        seen: None,
    })
}

#[cfg(test)]
#[path = "olps_tests.rs"]
mod tests;
