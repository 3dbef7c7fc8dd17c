//! Small per-track computations of the falling-object detector's fragment linking, which
//! run for every new track of a busy scene (rain: some fifty new tracks a frame, each
//! checked against a thousand live or recently ended ones).
//!
//! * [`plain_rms`]: the RMS of the plain least-squares fit of a fall's model (x linear,
//!   y quadratic in time) to a short sample set, after dropping repeated samples;
//! * [`link_candidates`]: which fragments a new track may continue, nearest first.

/// Indices of the samples to keep, in time order: a sample whose time equals the previous
/// one's is dropped (the first is kept), and so is one at the previous sample's position
/// within `eps` although time advanced (repeated content). The sort is stable.
pub fn dedupe(t: &[f64], x: &[f64], y: &[f64], eps: f64) -> Vec<usize> {
    let n = t.len().min(x.len()).min(y.len());
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| t[a].partial_cmp(&t[b]).unwrap_or(std::cmp::Ordering::Equal));
    // keep strictly increasing times
    let mut kept: Vec<usize> = Vec::with_capacity(n);
    for (i, &k) in order.iter().enumerate() {
        if i == 0 || t[k] - t[order[i - 1]] > 0.0 {
            kept.push(k);
        }
    }
    // then drop a sample at its predecessor's position (a run keeps its first member)
    let mut out = Vec::with_capacity(kept.len());
    for (i, &k) in kept.iter().enumerate() {
        if i > 0 {
            let p = kept[i - 1];
            if (x[k] - x[p]).abs() <= eps && (y[k] - y[p]).abs() <= eps {
                continue;
            }
        }
        out.push(k);
    }
    out
}

/// Least-squares polynomial of degree `deg` (1 or 2) in `tau`; returns the residuals'
/// sum of squares. The time axis is centred and scaled first (the fit is the same).
fn poly_sse(tau: &[f64], v: &[f64], deg: usize) -> f64 {
    let n = tau.len();
    let m = deg + 1;
    let mean = tau.iter().sum::<f64>() / n as f64;
    let half = tau.iter().map(|&a| (a - mean).abs()).fold(0.0, f64::max);
    let s = if half > 0.0 { half } else { 1.0 };
    // normal equations in the scaled variable u = (tau - mean) / s
    let mut a = [[0.0f64; 4]; 3];
    for i in 0..n {
        let u = (tau[i] - mean) / s;
        let pw = [1.0, u, u * u];
        for r in 0..m {
            for c in 0..m {
                a[r][c] += pw[r] * pw[c];
            }
            a[r][3] += pw[r] * v[i];
        }
    }
    // Gauss-Jordan with partial pivoting on the m x m system
    for col in 0..m {
        let mut piv = col;
        for r in col + 1..m {
            if a[r][col].abs() > a[piv][col].abs() {
                piv = r;
            }
        }
        a.swap(col, piv);
        let d = a[col][col];
        if d.abs() < 1e-300 {
            return f64::NAN;
        }
        for v in a[col][col..].iter_mut() {
            *v /= d;
        }
        let pivot = a[col];
        for (r, row) in a.iter_mut().enumerate().take(m) {
            let f = row[col];
            if r != col && f != 0.0 {
                for (v, p) in row[col..].iter_mut().zip(&pivot[col..]) {
                    *v -= f * p;
                }
            }
        }
    }
    let mut sse = 0.0;
    for i in 0..n {
        let u = (tau[i] - mean) / s;
        let mut p = a[0][3] + a[1][3] * u;
        if m == 3 {
            p += a[2][3] * u * u;
        }
        let r = v[i] - p;
        sse += r * r;
    }
    sse
}

/// RMS of the 2-D residuals of x linear and y quadratic in time, fitted by least squares
/// to the samples [`dedupe`] keeps; infinite with fewer than four. Non-finite input gives
/// a non-finite result.
pub fn plain_rms(t: &[f64], x: &[f64], y: &[f64], eps: f64) -> f64 {
    let idx = dedupe(t, x, y, eps);
    let n = idx.len();
    if n < 4 {
        return f64::INFINITY;
    }
    let t0 = t[idx[0]];
    let tau: Vec<f64> = idx.iter().map(|&k| t[k] - t0).collect();
    let xs: Vec<f64> = idx.iter().map(|&k| x[k]).collect();
    let ys: Vec<f64> = idx.iter().map(|&k| y[k]).collect();
    let sse = poly_sse(&tau, &xs, 1) + poly_sse(&tau, &ys, 2);
    (sse / n as f64).sqrt()
}

/// One fragment a new track may continue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkCandidate {
    /// Row of the fragment table.
    pub index: usize,
    /// Distance from the new track's first sample to the fragment's end moved on.
    pub distance: f64,
    /// The fragment's last sample is at the new track's first time (one blob split between
    /// the two tracks): its second-to-last sample is the fragment's end.
    pub shared: bool,
}

/// The fragments (rows of `last3`: per fragment its last three samples `(t, x, y)`, oldest
/// first, 9 values) that a new track starting at `(t0, x0, y0)` may continue, nearest first
/// (ties keep table order). A fragment qualifies when it has ended or has no sample after
/// `t0`; its end (its last sample, or the one before when the last is at `t0`) lies
/// `dt` in (0, `link_gap`] before `t0`, after a positive time span from the sample before;
/// and that end, moved on for `dt` at the velocity between those two samples plus
/// `g dt^2 / 2` downwards, lies within `tol + g dt^2 / 2` of `(x0, y0)`.
#[allow(clippy::too_many_arguments)]
pub fn link_candidates(
    last3: &[f64],
    ended: &[bool],
    t0: f64,
    x0: f64,
    y0: f64,
    g: f64,
    tol: f64,
    link_gap: f64,
) -> Vec<LinkCandidate> {
    let n = ended.len().min(last3.len() / 9);
    let mut out = Vec::new();
    for i in 0..n {
        let r = &last3[9 * i..9 * i + 9];
        let last_t = r[6];
        if !(ended[i] || last_t <= t0) {
            continue;
        }
        let shared = last_t == t0;
        let (a, b) = if shared { (&r[0..3], &r[3..6]) } else { (&r[3..6], &r[6..9]) };
        let dt = t0 - b[0];
        let span = b[0] - a[0];
        if !(dt > 0.0 && dt <= link_gap && span > 0.0) {
            continue;
        }
        let vx = (b[1] - a[1]) / span;
        let vy = (b[2] - a[2]) / span;
        let fall = 0.5 * g * dt * dt;
        let px = b[1] + vx * dt;
        let py = b[2] + vy * dt + fall;
        let d = (px - x0).hypot(py - y0);
        if d <= tol + fall {
            out.push(LinkCandidate { index: i, distance: d, shared });
        }
    }
    out.sort_by(|p, q| p.distance.partial_cmp(&q.distance).unwrap_or(std::cmp::Ordering::Equal));
    out
}

/// For each point `(px[i], py[i])`: whether some circle `(cx[j], cy[j], r[j])` holds it,
/// `hypot(px - cx, py - cy) <= r`, exactly as the all-pairs test with the same `hypot` as
/// numpy's would answer: a point on a circle's edge alike, and the IEEE rules for NaN and
/// infinities alike (a circle with a NaN or negative radius holds nothing; one with an
/// infinite radius holds every point at an infinite or finite distance).
///
/// The circles with a finite radius go into a grid of cells as wide as the largest such
/// radius, so each point looks at the circles of its 3 x 3 cells only: O(points + circles)
/// when the circles are small against their spread (a busy scene's specks against the
/// places its tracks expect their objects). The others (an infinite radius) are checked
/// against every point, and so is every circle when a coordinate is over 10^15 cells from
/// the origin (where cell numbers would lose precision).
pub fn near_any(px: &[f64], py: &[f64], cx: &[f64], cy: &[f64], r: &[f64]) -> Vec<bool> {
    let n = px.len().min(py.len());
    let m = cx.len().min(cy.len()).min(r.len());
    let mut out = vec![false; n];
    // a finite radius with a NaN centre never holds: hypot is then NaN, or infinite when
    // the other axis' difference is
    let gridded = |j: usize| r[j] >= 0.0 && r[j].is_finite() && !cx[j].is_nan() && !cy[j].is_nan();
    let mut cell = 0.0f64;
    for j in (0..m).filter(|&j| gridded(j)) {
        cell = cell.max(r[j]);
    }
    let size = if cell > 0.0 { cell } else { 1.0 };
    let far = |v: f64| v.is_finite() && (v / size).abs() > 1.0e15;
    let brute = px[..n].iter().chain(&py[..n]).chain(&cx[..m]).chain(&cy[..m]).any(|&v| far(v));
    let wide: Vec<usize> = (0..m)
        .filter(|&j| r[j] == f64::INFINITY || (brute && gridded(j)))
        .collect();
    let key = |x: f64, y: f64| -> (i64, i64) {
        // (NaN and infinities clamp to some cell: such a point is never within a finite
        // radius of anything)
        const LIM: f64 = 4.0e18;
        ((x / size).floor().clamp(-LIM, LIM) as i64, (y / size).floor().clamp(-LIM, LIM) as i64)
    };
    let mut grid: Vec<(i64, i64, usize)> = if brute {
        Vec::new()
    } else {
        (0..m)
            .filter(|&j| gridded(j))
            .map(|j| {
                let (a, b) = key(cx[j], cy[j]);
                (a, b, j)
            })
            .collect()
    };
    grid.sort_unstable();
    let holds = |i: usize, j: usize| (px[i] - cx[j]).hypot(py[i] - cy[j]) <= r[j];
    for (i, o) in out.iter_mut().enumerate() {
        if wide.iter().any(|&j| holds(i, j)) {
            *o = true;
            continue;
        }
        if grid.is_empty() {
            continue;
        }
        let (a, b) = key(px[i], py[i]);
        'cells: for ga in a.saturating_sub(1)..=a.saturating_add(1) {
            for gb in b.saturating_sub(1)..=b.saturating_add(1) {
                let lo = grid.partition_point(|&(u, v, _)| (u, v) < (ga, gb));
                for &(u, v, j) in &grid[lo..] {
                    if (u, v) != (ga, gb) {
                        break;
                    }
                    if holds(i, j) {
                        *o = true;
                        break 'cells;
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_any_matches_the_all_pairs_answer() {
        // a deterministic scatter of points and circles of mixed sizes, some points exactly
        // on a circle's edge, and the degenerate circles
        let mut s: u64 = 7;
        let mut rnd = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut px, mut py) = (Vec::new(), Vec::new());
        for _ in 0..400 {
            px.push(200.0 * rnd() - 20.0);
            py.push(150.0 * rnd());
        }
        let (mut cx, mut cy, mut r) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..60 {
            cx.push(180.0 * rnd());
            cy.push(150.0 * rnd());
            r.push(12.0 * rnd());
        }
        px.push(cx[0] + 3.0);
        py.push(cy[0] + 4.0);
        r[0] = 5.0; // (3, 4, 5): on the edge, held
        cx.push(f64::NAN);
        cy.push(10.0);
        r.push(5.0);
        cx.push(50.0);
        cy.push(50.0);
        r.push(-1.0);
        px.push(f64::NAN);
        py.push(0.0);
        let got = near_any(&px, &py, &cx, &cy, &r);
        for i in 0..px.len() {
            let want = (0..cx.len()).any(|j| (px[i] - cx[j]).hypot(py[i] - cy[j]) <= r[j]);
            assert_eq!(got[i], want, "point {i}");
        }
        assert!(got[400] && !got[401]);
        // far-out coordinates: every circle is checked against every point
        let big = near_any(&[1.0e20, 0.0], &[0.0, 0.0], &[1.0e20 + 2.0e4], &[0.0], &[1.0]);
        assert_eq!(big, vec![false, false]);
        let big = near_any(&[1.0e20, 0.0], &[0.0, 0.0], &[1.0e20], &[0.0], &[1.0]);
        assert_eq!(big, vec![true, false]);
        // IEEE: hypot(inf, NaN) is inf, within an infinite radius
        assert!(near_any(&[f64::INFINITY], &[f64::NAN], &[0.0], &[0.0], &[f64::INFINITY])[0]);
        assert!(near_any(&px, &py, &[], &[], &[]).iter().all(|&v| !v));
        assert!(near_any(&[1.0], &[1.0], &[1e6], &[1e6], &[f64::INFINITY])[0]);
    }

    #[test]
    fn exact_parabola_has_zero_rms() {
        let t: Vec<f64> = (0..9).map(|i| i as f64 / 25.0).collect();
        let x: Vec<f64> = t.iter().map(|&a| 3.0 + 10.0 * a).collect();
        let y: Vec<f64> = t.iter().map(|&a| 5.0 + 40.0 * a + 200.0 * a * a).collect();
        assert!(plain_rms(&t, &x, &y, 1e-3) < 1e-9);
    }

    #[test]
    fn a_single_outlier_gives_its_share() {
        // five samples on a line, one off by 5 px in x: a line fit through five points
        let t = [0.0, 0.1, 0.2, 0.3, 0.4];
        let x = [0.0, 0.0, 5.0, 0.0, 0.0];
        let y = [0.0, 1.0, 4.0, 9.0, 16.0]; // exactly quadratic
        let r = plain_rms(&t, &x, &y, 1e-3);
        // the best line through them is x = 1: residuals -1, -1, 4, -1, -1
        let expect = ((1.0f64 + 1.0 + 16.0 + 1.0 + 1.0) / 5.0).sqrt();
        assert!((r - expect).abs() < 1e-9, "{r} vs {expect}");
    }

    #[test]
    fn too_few_samples_after_dedupe_is_infinite() {
        let t = [0.0, 0.1, 0.1, 0.2, 0.3];
        let x = [0.0, 1.0, 9.0, 1.0, 1.0];
        let y = [0.0, 1.0, 9.0, 1.0, 1.0];
        // kept: 0, 0.1 (first of the tied pair); 0.2 and 0.3 repeat 0.1's position
        assert_eq!(dedupe(&t, &x, &y, 1e-3), vec![0, 1]);
        assert!(plain_rms(&t, &x, &y, 1e-3).is_infinite());
        assert!(plain_rms(&[], &[], &[], 1e-3).is_infinite());
    }

    #[test]
    fn link_candidates_moves_the_end_on_under_gravity() {
        // fragment 0: at rest then moving down 10 px per 0.1 s; ended
        // fragment 1: live, its last sample after t0: not a candidate
        // fragment 2: its last sample at t0 (shared): its end is the one before
        let last3 = [
            0.0, 50.0, 10.0, 0.1, 50.0, 20.0, 0.2, 50.0, 30.0, //
            0.0, 0.0, 0.0, 0.2, 0.0, 0.0, 0.5, 0.0, 0.0, //
            0.1, 50.0, 20.0, 0.2, 50.0, 30.0, 0.3, 50.0, 40.0,
        ];
        let ended = [true, false, false];
        let c = link_candidates(&last3, &ended, 0.3, 50.0, 40.0, 0.0, 1.0, 0.5);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].index, 0);
        assert!(c[0].distance < 1e-9 && !c[0].shared);
        assert_eq!(c[1].index, 2);
        assert!(c[1].shared);
        // gravity moves the prediction down, and the tolerance grows with it
        let c = link_candidates(&last3, &ended, 0.3, 50.0, 40.0, 1000.0, 1.0, 0.5);
        assert_eq!(c.len(), 2);
        assert!((c[0].distance - 5.0).abs() < 1e-9, "{:?}", c[0]);
        // too long a gap for all three
        assert!(link_candidates(&last3, &ended, 1.1, 50.0, 40.0, 0.0, 1e9, 0.5).is_empty());
    }
}
