//! Rectangular linear assignment (minimum-cost matching).
//!
//! Shortest augmenting paths with dual potentials (the Hungarian method in its
//! O(n² m) Jonker–Volgenant-style formulation): rows are added one at a time and each
//! is connected by a Dijkstra-like search over reduced costs. Works for any
//! `rows x cols` shape by solving the transposed problem when `rows > cols`.

/// Solve a dense problem with finite costs. `cost` is row-major `rows x cols`.
/// Returns, for each row, the assigned column (or `None` when `rows > cols`
/// leaves the row without a column). Every row (or every column, when there are
/// fewer columns) is assigned.
pub fn solve_dense(cost: &[f64], rows: usize, cols: usize) -> Vec<Option<usize>> {
    debug_assert_eq!(cost.len(), rows * cols);
    if rows == 0 || cols == 0 {
        return vec![None; rows];
    }
    if rows <= cols {
        solve_wide(|i, j| cost[i * cols + j], rows, cols)
    } else {
        let col_to_row = solve_wide(|i, j| cost[j * cols + i], cols, rows);
        let mut out = vec![None; rows];
        for (c, r) in col_to_row.iter().enumerate() {
            if let Some(r) = r {
                out[*r] = Some(c);
            }
        }
        out
    }
}

/// Core solver for `n <= m`; `a(i, j)` gives the cost of row `i`, column `j`.
fn solve_wide<F: Fn(usize, usize) -> f64>(a: F, n: usize, m: usize) -> Vec<Option<usize>> {
    let inf = f64::INFINITY;
    // 1-based with index 0 as the virtual start.
    let mut u = vec![0.0f64; n + 1];
    let mut v = vec![0.0f64; m + 1];
    let mut p = vec![0usize; m + 1];
    let mut way = vec![0usize; m + 1];
    let mut minv = vec![inf; m + 1];
    let mut used = vec![false; m + 1];
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0usize;
        minv.iter_mut().for_each(|x| *x = inf);
        used.iter_mut().for_each(|x| *x = false);
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let mut delta = inf;
            let mut j1 = 0usize;
            for j in 1..=m {
                if !used[j] {
                    let cur = a(i0 - 1, j - 1) - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            if j1 == 0 {
                // Only possible with non-finite costs; callers guarantee finite input.
                break;
            }
            for j in 0..=m {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut out = vec![None; n];
    for j in 1..=m {
        if p[j] != 0 {
            out[p[j] - 1] = Some(j - 1);
        }
    }
    out
}

/// Assignment where non-finite costs (inf, NaN) mark forbidden pairs.
///
/// Maximises the number of allowed pairs first, then minimises their total cost.
/// Returns the matched `(row, col)` pairs sorted by row.
pub fn linear_sum_assignment(cost: &[f64], rows: usize, cols: usize) -> Vec<(usize, usize)> {
    if rows == 0 || cols == 0 {
        return Vec::new();
    }
    let mut maxabs = 0.0f64;
    let mut any = false;
    for &c in cost {
        if c.is_finite() {
            maxabs = maxabs.max(c.abs());
            any = true;
        }
    }
    if !any {
        return Vec::new();
    }
    let k = rows.min(cols) as f64;
    let big = (2.0 * maxabs + 1.0) * (k + 1.0);
    let dense: Vec<f64> = cost
        .iter()
        .map(|&c| if c.is_finite() { c } else { big })
        .collect();
    let sol = solve_dense(&dense, rows, cols);
    let mut out = Vec::with_capacity(rows.min(cols));
    for (r, c) in sol.iter().enumerate() {
        if let Some(c) = c {
            if cost[r * cols + c].is_finite() {
                out.push((r, *c));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Small deterministic generator (xorshift) so tests need no crates.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// Brute force: best (count, -cost) over all partial injections rows -> cols of allowed pairs.
    fn brute(cost: &[f64], rows: usize, cols: usize) -> (usize, f64) {
        #[allow(clippy::too_many_arguments)]
        fn rec(
            r: usize,
            cost: &[f64],
            rows: usize,
            cols: usize,
            used: &mut Vec<bool>,
            n: usize,
            c: f64,
            best: &mut (usize, f64),
        ) {
            if r == rows {
                if n > best.0 || (n == best.0 && c < best.1 - 1e-12) {
                    *best = (n, c);
                }
                return;
            }
            rec(r + 1, cost, rows, cols, used, n, c, best);
            for j in 0..cols {
                let v = cost[r * cols + j];
                if !used[j] && v.is_finite() {
                    used[j] = true;
                    rec(r + 1, cost, rows, cols, used, n + 1, c + v, best);
                    used[j] = false;
                }
            }
        }
        let mut best = (0usize, f64::INFINITY);
        rec(
            0,
            cost,
            rows,
            cols,
            &mut vec![false; cols],
            0,
            0.0,
            &mut best,
        );
        if best.0 == 0 {
            best.1 = 0.0;
        }
        best
    }

    #[test]
    fn matches_brute_force_on_random_matrices() {
        let mut rng = Rng(0x9E3779B97F4A7C15);
        for trial in 0..600 {
            let rows = 1 + (rng.next() % 6) as usize;
            let cols = 1 + (rng.next() % 6) as usize;
            let forbid = if trial % 2 == 0 { 0.0 } else { 0.4 };
            let cost: Vec<f64> = (0..rows * cols)
                .map(|_| {
                    if rng.unit() < forbid {
                        f64::INFINITY
                    } else {
                        (rng.unit() * 10.0).round() - 3.0
                    }
                })
                .collect();
            let pairs = linear_sum_assignment(&cost, rows, cols);
            let mut rs = vec![false; rows];
            let mut cs = vec![false; cols];
            let mut total = 0.0;
            for &(r, c) in &pairs {
                assert!(!rs[r] && !cs[c], "row or column used twice");
                rs[r] = true;
                cs[c] = true;
                total += cost[r * cols + c];
            }
            let (n, best) = brute(&cost, rows, cols);
            assert_eq!(pairs.len(), n, "cardinality, trial {trial}: {cost:?}");
            assert!(
                (total - best).abs() < 1e-9,
                "trial {trial}: got {total}, brute {best}, {cost:?}"
            );
        }
    }

    #[test]
    fn empty_and_degenerate() {
        assert!(linear_sum_assignment(&[], 0, 3).is_empty());
        assert!(linear_sum_assignment(&[], 3, 0).is_empty());
        assert!(linear_sum_assignment(&[f64::INFINITY; 4], 2, 2).is_empty());
        assert_eq!(linear_sum_assignment(&[5.0], 1, 1), vec![(0, 0)]);
        assert_eq!(
            solve_dense(&[1.0, 0.0, 0.0, 1.0], 2, 2),
            vec![Some(1), Some(0)]
        );
        // tall matrix: 3 rows, 1 column -> only the cheapest row gets it
        assert_eq!(linear_sum_assignment(&[3.0, 1.0, 2.0], 3, 1), vec![(1, 0)]);
    }
}
