//! BatchNorm's running (EMA) statistics, advanced batch after batch as the frameworks do
//! (`normkit/core/running.py`, `RunningState.advance`).
//!
//! For each column and each batch with at least two values:
//!
//! ```text
//! running <- (1 - w) * running + w * batch_statistic
//! ```
//!
//! computed as PyTorch's kernel computes it (two products, then their sum; no fused
//! multiply-add), one batch after the other. The result is the same whichever way the batches
//! are grouped into calls.

/// How the running statistics move.
#[derive(Clone, Copy, Debug)]
pub struct Ema {
    /// The weight `w` of a new batch; `None`: the cumulative average (`w = 1 / k`).
    pub weight: Option<f64>,
    /// The first batch that updates a column sets it (`w = 1`).
    pub init_first: bool,
    /// The batch variance over `n - 1` (PyTorch) rather than `n` (Keras).
    pub unbiased: bool,
    /// Average the batch standard deviation rather than the variance.
    pub of_std: bool,
}

/// The state of some columns: running mean and variance, and the batches that updated each.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub mean: Vec<f64>,
    pub var: Vec<f64>,
    pub n_updates: Vec<i64>,
}

/// The batches' statistics: `count`, `mean` and `m2` of batch `k`, column `j` at `k * n_columns + j`.
pub struct Steps<'a> {
    pub n_columns: usize,
    pub count: &'a [i64],
    pub mean: &'a [f64],
    pub m2: &'a [f64],
}

impl Steps<'_> {
    pub fn n_batches(&self) -> usize {
        self.count.len().checked_div(self.n_columns).unwrap_or(0)
    }
}

/// The running mean and variance after each batch, laid out as [`Steps`].
#[derive(Debug, PartialEq)]
pub struct Path {
    pub mean: Vec<f64>,
    pub var: Vec<f64>,
}

impl Ema {
    fn averaged(&self, var: f64) -> f64 {
        if self.of_std {
            var.sqrt()
        } else {
            var
        }
    }

    fn as_var(&self, averaged: f64) -> f64 {
        if self.of_std {
            averaged * averaged
        } else {
            averaged
        }
    }

    /// Advances `state` over `steps` and returns the path: the state after each batch.
    ///
    /// # Panics
    /// If the arrays of `steps` and `state` do not have the shapes they describe.
    pub fn advance(&self, state: &mut State, steps: &Steps<'_>) -> Path {
        let n = steps.n_columns;
        assert!(state.mean.len() == n && state.var.len() == n && state.n_updates.len() == n);
        assert!(steps.count.len().is_multiple_of(n.max(1)));
        assert!(steps.mean.len() == steps.count.len() && steps.m2.len() == steps.count.len());
        let mut spread: Vec<f64> = state.var.iter().map(|&v| self.averaged(v)).collect();
        let mut path = Path {
            mean: Vec::with_capacity(steps.count.len()),
            var: Vec::with_capacity(steps.count.len()),
        };
        let batches = steps
            .count
            .chunks_exact(n.max(1))
            .zip(steps.mean.chunks_exact(n.max(1)))
            .zip(steps.m2.chunks_exact(n.max(1)));
        for ((count, mean), m2) in batches {
            let columns = state
                .mean
                .iter_mut()
                .zip(spread.iter_mut())
                .zip(state.n_updates.iter_mut());
            for (j, ((running_mean, running_spread), updates)) in columns.enumerate() {
                if count[j] >= 2 {
                    *updates += 1;
                    let w = match self.weight {
                        None => 1.0 / *updates as f64,
                        Some(_) if self.init_first && *updates == 1 => 1.0,
                        Some(w) => w,
                    };
                    let divisor = if self.unbiased {
                        count[j] - 1
                    } else {
                        count[j]
                    };
                    let var = m2[j] / divisor as f64;
                    let keep = 1.0 - w;
                    *running_mean = keep * *running_mean + w * mean[j];
                    *running_spread = keep * *running_spread + w * self.averaged(var);
                }
                path.mean.push(*running_mean);
                path.var.push(self.as_var(*running_spread));
            }
        }
        if steps.n_batches() > 0 {
            for (var, &s) in state.var.iter_mut().zip(&spread) {
                *var = self.as_var(s);
            }
        }
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TORCH: Ema = Ema {
        weight: Some(0.1),
        init_first: false,
        unbiased: true,
        of_std: false,
    };

    fn initial(n: usize) -> State {
        State {
            mean: vec![0.0; n],
            var: vec![1.0; n],
            n_updates: vec![0; n],
        }
    }

    /// PyTorch's update, written out: `momentum * mean + (1 - momentum) * running`.
    #[test]
    fn one_batch_is_pytorch_update() {
        let mut state = initial(1);
        let steps = Steps {
            n_columns: 1,
            count: &[4],
            mean: &[2.5],
            m2: &[5.0],
        };
        let path = TORCH.advance(&mut state, &steps);
        assert_eq!(state.mean[0], 0.1 * 2.5 + (1.0 - 0.1) * 0.0);
        assert_eq!(state.var[0], 0.1 * (5.0 / 3.0) + (1.0 - 0.1) * 1.0);
        assert_eq!(path.mean, state.mean);
        assert_eq!(state.n_updates, vec![1]);
    }

    #[test]
    fn grouping_does_not_change_the_bits() {
        let n_batches = 37;
        let count: Vec<i64> = (0..n_batches * 2)
            .map(|i| if i % 7 == 3 { 1 } else { 256 })
            .collect();
        let mean: Vec<f64> = (0..n_batches * 2).map(|i| (i as f64).sin() * 1e3).collect();
        let m2: Vec<f64> = (0..n_batches * 2).map(|i| 1.0 + i as f64 * 0.37).collect();
        for ema in [
            TORCH,
            Ema {
                weight: None,
                init_first: false,
                unbiased: false,
                of_std: true,
            },
            Ema {
                weight: Some(0.01),
                init_first: true,
                unbiased: false,
                of_std: false,
            },
        ] {
            let mut whole = initial(2);
            let all = ema.advance(
                &mut whole,
                &Steps {
                    n_columns: 2,
                    count: &count,
                    mean: &mean,
                    m2: &m2,
                },
            );
            let mut parts = initial(2);
            let mut path = Path {
                mean: vec![],
                var: vec![],
            };
            for (a, b) in [(0, 10), (10, 11), (11, 37)] {
                let p = ema.advance(
                    &mut parts,
                    &Steps {
                        n_columns: 2,
                        count: &count[a * 2..b * 2],
                        mean: &mean[a * 2..b * 2],
                        m2: &m2[a * 2..b * 2],
                    },
                );
                path.mean.extend(p.mean);
                path.var.extend(p.var);
            }
            assert_eq!(whole, parts);
            assert_eq!(all, path);
        }
    }

    #[test]
    fn batches_of_one_value_are_skipped_and_cumulative_weighs_by_updates() {
        let ema = Ema {
            weight: None,
            init_first: false,
            unbiased: true,
            of_std: false,
        };
        let mut state = initial(1);
        let steps = Steps {
            n_columns: 1,
            count: &[3, 1, 3],
            mean: &[3.0, 100.0, 6.0],
            m2: &[2.0, 0.0, 8.0],
        };
        let path = ema.advance(&mut state, &steps);
        // The first used batch has weight 1, the second (third given) 1/2.
        assert_eq!(path.mean, vec![3.0, 3.0, 0.5 * 3.0 + 0.5 * 6.0]);
        assert_eq!(path.var, vec![1.0, 1.0, 0.5 * 1.0 + 0.5 * 4.0]);
        assert_eq!(state.n_updates, vec![2]);
    }
}
