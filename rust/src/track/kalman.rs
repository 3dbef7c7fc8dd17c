//! Per-axis Kalman filters with a constant-velocity (CV) or constant-acceleration (CA)
//! motion model.
//!
//! The x and y axes of a box centre are filtered independently: with a diagonal
//! measurement noise and per-axis process noise the full 2-D filter factorises exactly,
//! so each axis carries a state of 2 (position, velocity) or 3 (…, acceleration) numbers.
//! Units are pixels and seconds. Process noise is continuous white noise on the highest
//! derivative (acceleration for CV, jerk for CA) with spectral density `q`.
//! A step with `dt == 0` changes nothing (no time passed).

// Small fixed-size matrix algebra reads best with explicit indices.
#![allow(clippy::needless_range_loop)]

/// One axis of a CV (`n == 2`) or CA (`n == 3`) Kalman filter.
#[derive(Clone, Debug)]
pub struct AxisFilter {
    pub n: usize,
    /// State: position, velocity, acceleration (unused for CV).
    pub x: [f64; 3],
    /// Covariance (upper-left `n x n` block used).
    pub p: [[f64; 3]; 3],
}

impl AxisFilter {
    /// New filter at position `pos` with variances for position, velocity and acceleration.
    /// `acc0` is the initial acceleration (CA) or ignored (CV).
    pub fn new(ca: bool, pos: f64, var_pos: f64, var_vel: f64, acc0: f64, var_acc: f64) -> Self {
        let n = if ca { 3 } else { 2 };
        let mut p = [[0.0; 3]; 3];
        p[0][0] = var_pos;
        p[1][1] = var_vel;
        if ca {
            p[2][2] = var_acc;
        }
        AxisFilter {
            n,
            x: [pos, 0.0, if ca { acc0 } else { 0.0 }],
            p,
        }
    }

    /// Transition matrix for a step of `dt` seconds.
    fn transition(&self, dt: f64) -> [[f64; 3]; 3] {
        let mut f = [[0.0; 3]; 3];
        for (i, row) in f.iter_mut().enumerate().take(self.n) {
            row[i] = 1.0;
        }
        f[0][1] = dt;
        if self.n == 3 {
            f[1][2] = dt;
            f[0][2] = 0.5 * dt * dt;
        }
        f
    }

    /// Discrete process noise for a step of `dt` with spectral density `q`.
    fn process_noise(&self, dt: f64, q: f64) -> [[f64; 3]; 3] {
        let mut m = [[0.0; 3]; 3];
        let d2 = dt * dt;
        let d3 = d2 * dt;
        if self.n == 2 {
            m[0][0] = d3 / 3.0 * q;
            m[0][1] = d2 / 2.0 * q;
            m[1][0] = m[0][1];
            m[1][1] = dt * q;
        } else {
            let d4 = d3 * dt;
            let d5 = d4 * dt;
            m[0][0] = d5 / 20.0 * q;
            m[0][1] = d4 / 8.0 * q;
            m[0][2] = d3 / 6.0 * q;
            m[1][1] = d3 / 3.0 * q;
            m[1][2] = d2 / 2.0 * q;
            m[2][2] = dt * q;
            m[1][0] = m[0][1];
            m[2][0] = m[0][2];
            m[2][1] = m[1][2];
        }
        m
    }

    /// Predict `dt` seconds ahead. `accel` is a known control acceleration (gravity prior)
    /// applied only to the CV model (the CA model carries acceleration in its state).
    pub fn predict(&mut self, dt: f64, q: f64, accel: f64) {
        if dt <= 0.0 || !dt.is_finite() {
            return;
        }
        let n = self.n;
        let f = self.transition(dt);
        let mut x = [0.0; 3];
        for i in 0..n {
            for j in 0..n {
                x[i] += f[i][j] * self.x[j];
            }
        }
        if n == 2 {
            x[0] += 0.5 * accel * dt * dt;
            x[1] += accel * dt;
        }
        // P = F P F^T + Q
        let mut fp = [[0.0; 3]; 3];
        for i in 0..n {
            for j in 0..n {
                for k in 0..n {
                    fp[i][j] += f[i][k] * self.p[k][j];
                }
            }
        }
        let qm = self.process_noise(dt, q);
        let mut p = [[0.0; 3]; 3];
        for i in 0..n {
            for j in 0..n {
                let mut s = qm[i][j];
                for k in 0..n {
                    s += fp[i][k] * f[j][k];
                }
                p[i][j] = s;
            }
        }
        self.x = x;
        self.p = p;
    }

    /// Innovation variance for a position measurement with variance `r`.
    #[inline]
    pub fn innovation_var(&self, r: f64) -> f64 {
        self.p[0][0] + r
    }

    /// Update with a position measurement `z` of variance `r`.
    pub fn update(&mut self, z: f64, r: f64) {
        let n = self.n;
        let s = self.p[0][0] + r;
        if s <= 0.0 || !s.is_finite() {
            return;
        }
        let y = z - self.x[0];
        let mut k = [0.0; 3];
        for (i, ki) in k.iter_mut().enumerate().take(n) {
            *ki = self.p[i][0] / s;
        }
        for i in 0..n {
            self.x[i] += k[i] * y;
        }
        let row0 = self.p[0];
        for i in 0..n {
            for j in 0..n {
                self.p[i][j] -= k[i] * row0[j];
            }
        }
        // keep symmetric
        for i in 0..n {
            for j in (i + 1)..n {
                let m = 0.5 * (self.p[i][j] + self.p[j][i]);
                self.p[i][j] = m;
                self.p[j][i] = m;
            }
        }
    }

    #[inline]
    pub fn pos(&self) -> f64 {
        self.x[0]
    }
    #[inline]
    pub fn vel(&self) -> f64 {
        self.x[1]
    }
    #[inline]
    pub fn acc(&self) -> f64 {
        if self.n == 3 {
            self.x[2]
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cv_converges_to_constant_velocity() {
        let mut f = AxisFilter::new(false, 0.0, 1.0, 1e4, 0.0, 0.0);
        let dt = 0.04;
        for k in 1..100 {
            f.predict(dt, 10.0, 0.0);
            f.update(120.0 * dt * k as f64, 1.0);
        }
        assert!((f.vel() - 120.0).abs() < 1.0, "vel {}", f.vel());
        let before = f.pos();
        f.predict(dt, 10.0, 0.0);
        assert!((f.pos() - before - 120.0 * dt).abs() < 0.1);
    }

    #[test]
    fn ca_tracks_falling_object() {
        let g = 800.0;
        let mut f = AxisFilter::new(true, 0.0, 1.0, 1e4, 0.0, 1e6);
        let dt = 0.04;
        for k in 1..60 {
            f.predict(dt, 100.0, 0.0);
            let t = dt * k as f64;
            f.update(0.5 * g * t * t, 1.0);
        }
        assert!((f.acc() - g).abs() < 20.0, "acc {}", f.acc());
        f.predict(dt, 100.0, 0.0);
        let t = dt * 60.0;
        assert!((f.pos() - 0.5 * g * t * t).abs() < 1.0);
    }

    #[test]
    fn cv_with_gravity_prior_predicts_fall() {
        let g = 800.0;
        let mut f = AxisFilter::new(false, 0.0, 1.0, 1.0, 0.0, 0.0);
        let dt = 0.1;
        f.predict(dt, 0.0, g);
        assert!((f.pos() - 0.5 * g * dt * dt).abs() < 1e-9);
        assert!((f.vel() - g * dt).abs() < 1e-9);
    }

    #[test]
    fn zero_dt_is_identity() {
        let mut f = AxisFilter::new(true, 5.0, 2.0, 3.0, 1.0, 4.0);
        let before = f.clone();
        f.predict(0.0, 100.0, 9.0);
        assert_eq!(f.x, before.x);
        assert_eq!(f.p, before.p);
    }

    #[test]
    fn covariance_shrinks_on_update_and_grows_on_predict() {
        let mut f = AxisFilter::new(false, 0.0, 10.0, 10.0, 0.0, 0.0);
        let p0 = f.p[0][0];
        f.update(1.0, 1.0);
        assert!(f.p[0][0] < p0);
        let p1 = f.p[0][0];
        f.predict(1.0, 1.0, 0.0);
        assert!(f.p[0][0] > p1);
        // 1-D check against closed form: P' = P R / (P + R)
        let mut g = AxisFilter::new(false, 0.0, 4.0, 1.0, 0.0, 0.0);
        g.update(2.0, 4.0);
        assert!((g.p[0][0] - 2.0).abs() < 1e-12);
        assert!((g.pos() - 1.0).abs() < 1e-12);
    }
}
