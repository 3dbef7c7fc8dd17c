//! Parabola sweep: track-before-detect over a window of recent blobs.
//!
//! A small object seen in only every other frame, among noise blobs, leaves a tracker
//! with short fragments. Its blobs still lie on one descending curve. The sweep looks for
//! such curves directly in the blob history: every blob of the newest frames (the end
//! anchor `c`) is paired with the blobs of a few earlier frames (the start anchor `b`,
//! about `lags` seconds back). Two points and an acceleration `a` fix a fall
//! `h(t) = L(t) + a q(t)`, where `L` is the chord through the anchors and
//! `q(t) = (t - t_b)(t_c - t) / 2`, with `h` the height (up positive) and `x` moving
//! linearly. Each other frame of the window votes, per bin of `a` in `[a_min, a_max]`,
//! when it holds a blob within tolerance of that curve; the best bin's frame count is the
//! pair's support. Per end anchor the best pair is kept, and the candidates come out best
//! first, without those sharing most of their blobs with a better one. A blob within
//! tolerance of an anchor does not vote: a cluster of detections of something at rest
//! where the curve starts would otherwise support any curve leaving it.
//!
//! The caller judges each candidate with the full physics (robust fit, gravity, size).

/// Settings of one sweep (units: seconds, the caller's height unit, image pixels).
#[derive(Clone, Debug)]
pub struct SweepParams {
    /// Seconds back from the end anchor to the start anchor frames.
    pub lags: Vec<f64>,
    /// Acceleration range (height units / s^2, downward positive) and its bin count.
    pub a_min: f64,
    pub a_max: f64,
    pub n_bins: usize,
    /// Largest horizontal speed, px/s.
    pub max_vx: f64,
    /// Downward speed range at the start anchor (height units / s; negative is upward).
    pub v_min: f64,
    pub v_max: f64,
    /// Seconds before the start anchor that still count as support.
    pub back: f64,
    /// Frames with a supporting blob (anchors included) a candidate needs.
    pub min_support: usize,
    /// Longest time between consecutive supporting frames: a candidate is the run of its
    /// supporting blobs that ends at the end anchor without a longer gap.
    pub max_gap: f64,
    /// Least fraction of the window's frames within a candidate's span that support it.
    pub min_density: f64,
    /// The later half of a candidate's span must be supported at least this fraction as
    /// densely as the earlier half (something slow, densely detected, joined by a few
    /// unrelated blobs below is not a fall: a falling object is seen as often when fast).
    pub min_balance: f64,
    /// Height a candidate's supporting blobs must span.
    pub min_drop: f64,
    /// End anchors come from the last `end_frames` frames.
    pub end_frames: usize,
    /// A pair is counted only if one of the `near_end` frames before its end anchor (after
    /// its start anchor) votes for it (0: no such check). Most chance pairs fail this
    /// cheap test.
    pub near_end: usize,
    /// Most candidates returned.
    pub max_out: usize,
}

/// One candidate: supporting blob indices (one per frame, in time order), its support
/// (frames), its acceleration (least squares on those blobs) and its cost (the blobs'
/// squared distances from the bin's curve, in tolerances; the anchors add none).
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub blobs: Vec<usize>,
    pub support: usize,
    pub accel: f64,
    pub cost: f64,
}

/// Blob window: frame `k` holds blobs `offsets[k]..offsets[k + 1]` at time `ft[k]`.
pub struct Window<'a> {
    pub offsets: &'a [usize],
    pub ft: &'a [f64],
    pub x: &'a [f64],
    pub h: &'a [f64],
    pub tol_x: &'a [f64],
    pub tol_h: &'a [f64],
}

impl Window<'_> {
    /// Checks the shapes and values; an error names the argument.
    pub fn check(&self) -> Result<(), String> {
        let k = self.ft.len();
        if self.offsets.len() != k + 1 {
            return Err(format!(
                "offsets: expected {} entries (frames + 1), got {}",
                k + 1,
                self.offsets.len()
            ));
        }
        let n = self.x.len();
        for (name, len) in [
            ("h", self.h.len()),
            ("tol_x", self.tol_x.len()),
            ("tol_h", self.tol_h.len()),
        ] {
            if len != n {
                return Err(format!("{name}: expected {n} values (as x), got {len}"));
            }
        }
        if self.offsets[0] != 0 || self.offsets[k] != n {
            return Err(format!(
                "offsets: expected to run from 0 to {n} (the blob count), got {} to {}",
                self.offsets[0], self.offsets[k]
            ));
        }
        if self.offsets.windows(2).any(|w| w[1] < w[0]) {
            return Err("offsets: expected non-decreasing values".into());
        }
        if self.ft.iter().any(|v| !v.is_finite()) || self.ft.windows(2).any(|w| w[1] <= w[0]) {
            return Err("ft: expected finite, strictly increasing frame times".into());
        }
        for (name, v) in [("x", self.x), ("h", self.h)] {
            if v.iter().any(|v| !v.is_finite()) {
                return Err(format!("{name}: expected finite values"));
            }
        }
        for (name, v) in [("tol_x", self.tol_x), ("tol_h", self.tol_h)] {
            if v.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
                return Err(format!("{name}: expected finite values >= 0"));
            }
        }
        Ok(())
    }
}

impl SweepParams {
    pub fn check(&self) -> Result<(), String> {
        if self.lags.is_empty() || self.lags.iter().any(|l| !(l.is_finite() && *l > 0.0)) {
            return Err(format!(
                "lags: expected one or more finite values > 0, got {:?}",
                self.lags
            ));
        }
        if !(self.a_min.is_finite() && self.a_max.is_finite() && self.a_min < self.a_max) {
            return Err(format!(
                "a_min, a_max: expected finite values with a_min < a_max, got {} and {}",
                self.a_min, self.a_max
            ));
        }
        if !(1..=32).contains(&self.n_bins) {
            return Err(format!("n_bins: expected 1 to 32, got {}", self.n_bins));
        }
        if !(self.max_vx.is_finite() && self.max_vx >= 0.0) {
            return Err(format!(
                "max_vx: expected a finite value >= 0, got {}",
                self.max_vx
            ));
        }
        if !(self.v_min.is_finite() && self.v_max.is_finite() && self.v_min <= self.v_max) {
            return Err(format!(
                "v_min, v_max: expected finite values with v_min <= v_max, got {} and {}",
                self.v_min, self.v_max
            ));
        }
        if !(self.back.is_finite() && self.back >= 0.0) {
            return Err(format!(
                "back: expected a finite value >= 0, got {}",
                self.back
            ));
        }
        if !(self.max_gap.is_finite() && self.max_gap > 0.0) {
            return Err(format!(
                "max_gap: expected a finite value > 0, got {}",
                self.max_gap
            ));
        }
        for (name, v) in [
            ("min_density", self.min_density),
            ("min_balance", self.min_balance),
        ] {
            if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
                return Err(format!("{name}: expected a fraction in [0, 1], got {v}"));
            }
        }
        if !self.min_drop.is_finite() {
            return Err(format!(
                "min_drop: expected a finite value, got {}",
                self.min_drop
            ));
        }
        if self.min_support < 2 {
            return Err(format!(
                "min_support: expected at least 2, got {}",
                self.min_support
            ));
        }
        if self.end_frames < 1 {
            return Err(format!(
                "end_frames: expected at least 1, got {}",
                self.end_frames
            ));
        }
        Ok(())
    }
}

/// Frame index whose time is nearest `t` (ties to the earlier one); `ft` increasing.
fn nearest_frame(ft: &[f64], t: f64) -> usize {
    let i = ft.partition_point(|&v| v < t);
    if i == 0 {
        return 0;
    }
    if i >= ft.len() {
        return ft.len() - 1;
    }
    if t - ft[i - 1] <= ft[i] - t {
        i - 1
    } else {
        i
    }
}

/// Time of blob `j` (the frame whose range holds it).
fn blob_time(w: &Window, j: usize) -> f64 {
    let k = w.offsets.partition_point(|&o| o <= j) - 1;
    w.ft[k]
}

/// Whether the supporting blobs (time order, one per frame) cover the window's frames of
/// their span densely enough, and the later half about as densely as the earlier one.
fn dense_enough(w: &Window, blobs: &[usize], p: &SweepParams) -> bool {
    let t0 = blob_time(w, blobs[0]);
    let t1 = blob_time(w, blobs[blobs.len() - 1]);
    let mid = 0.5 * (t0 + t1);
    let k0 = w.ft.partition_point(|&v| v < t0);
    let k1 = w.ft.partition_point(|&v| v <= t1);
    let n1 = w.ft[k0..k1].iter().filter(|&&v| v <= mid).count();
    let n2 = (k1 - k0) - n1;
    let s1 = blobs.iter().filter(|&&j| blob_time(w, j) <= mid).count();
    let s2 = blobs.len() - s1;
    let n = (n1 + n2).max(1);
    if (blobs.len() as f64) < p.min_density * n as f64 {
        return false;
    }
    // s2 / n2 >= balance * s1 / n1
    (s2 * n1) as f64 >= p.min_balance * (s1 * n2) as f64
}

/// Bits of the acceleration bins overlapping `[lo, hi]`.
fn bin_bits(lo: f64, hi: f64, p: &SweepParams) -> u32 {
    let lo = lo.max(p.a_min);
    let hi = hi.min(p.a_max);
    if lo > hi {
        return 0;
    }
    let w = (p.a_max - p.a_min) / p.n_bins as f64;
    let b0 = (((lo - p.a_min) / w).floor().max(0.0) as usize).min(p.n_bins - 1);
    let b1 = (((hi - p.a_min) / w).floor().max(0.0) as usize).min(p.n_bins - 1);
    let mut bits = 0u32;
    for b in b0..=b1 {
        bits |= 1 << b;
    }
    bits
}

struct Pair {
    b: usize,
    c: usize,
    tb: f64,
    tc: f64,
}

impl Pair {
    /// Chord height, curvature factor q, predicted x and the anchor-error weight at `tau`.
    fn geometry(&self, w: &Window, tau: f64) -> (f64, f64, f64, f64) {
        let d = self.tc - self.tb;
        let s = (tau - self.tb) / d;
        let l = w.h[self.b] + (w.h[self.c] - w.h[self.b]) * s;
        let q = 0.5 * (tau - self.tb) * (self.tc - tau);
        let xp = w.x[self.b] + (w.x[self.c] - w.x[self.b]) * s;
        // interpolation between the anchors keeps their error; extrapolation back grows it
        let out = if s < 0.0 { -s } else { 0.0 };
        (l, q, xp, 1.0 + out)
    }
}

/// The a-interval (as bin bits) a blob `j` supports at a frame of geometry `g`.
fn blob_bits(w: &Window, pr: &Pair, j: usize, g: (f64, f64, f64, f64), p: &SweepParams) -> u32 {
    let (l, q, xp, grow) = g;
    let tx = w.tol_x[j] + grow * w.tol_x[pr.b].max(w.tol_x[pr.c]);
    if (w.x[j] - xp).abs() > tx {
        return 0;
    }
    // a blob where an anchor is (the same object at rest, or another one there) tells
    // nothing about the curve between: it does not vote
    for a in [pr.b, pr.c] {
        if (w.x[j] - w.x[a]).abs() <= w.tol_x[j] + w.tol_x[a]
            && (w.h[j] - w.h[a]).abs() <= w.tol_h[j] + w.tol_h[a]
        {
            return 0;
        }
    }
    let th = w.tol_h[j] + grow * w.tol_h[pr.b].max(w.tol_h[pr.c]);
    let r = w.h[j] - l;
    if q.abs() < 1e-12 {
        return if r.abs() <= th {
            bin_bits(p.a_min, p.a_max, p)
        } else {
            0
        };
    }
    let (a1, a2) = ((r - th) / q, (r + th) / q);
    bin_bits(a1.min(a2), a1.max(a2), p)
}

/// Runs the sweep; candidates best first (most support, then least cost).
pub fn sweep(w: &Window, p: &SweepParams) -> Result<Vec<Candidate>, String> {
    w.check()?;
    p.check()?;
    let nf = w.ft.len();
    if nf < 2 {
        return Ok(Vec::new());
    }
    // per frame, blob indices sorted by x (a binary search finds those near a predicted x)
    let mut by_x: Vec<usize> = (0..w.x.len()).collect();
    for k in 0..nf {
        by_x[w.offsets[k]..w.offsets[k + 1]].sort_by(|&i, &j| w.x[i].total_cmp(&w.x[j]));
    }
    let max_tx = w.tol_x.iter().fold(0.0f64, |m, &v| m.max(v));
    let wbin = (p.a_max - p.a_min) / p.n_bins as f64;
    let mut cands: Vec<Candidate> = Vec::new();
    let mut counts = vec![0usize; p.n_bins];
    let mut frame_bits: Vec<u32> = vec![0; nf];
    for kc in nf.saturating_sub(p.end_frames)..nf {
        let tc = w.ft[kc];
        let mut kbs: Vec<usize> = p
            .lags
            .iter()
            .map(|&l| nearest_frame(w.ft, tc - l))
            .filter(|&k| k < kc)
            .collect();
        kbs.sort_unstable();
        kbs.dedup();
        for c in w.offsets[kc]..w.offsets[kc + 1] {
            let mut best: Option<Candidate> = None;
            for &kb in &kbs {
                let tb = w.ft[kb];
                let d = tc - tb;
                for b in w.offsets[kb]..w.offsets[kb + 1] {
                    if (w.x[c] - w.x[b]).abs() > p.max_vx * d + w.tol_x[b] + w.tol_x[c] {
                        continue;
                    }
                    let fall = w.h[b] - w.h[c];
                    if fall <= 0.0 {
                        continue;
                    }
                    // downward speed at b for the extreme accelerations
                    let v_hi = fall / d - 0.5 * p.a_min * d;
                    let v_lo = fall / d - 0.5 * p.a_max * d;
                    if v_hi < p.v_min || v_lo > p.v_max {
                        continue;
                    }
                    let pr = Pair { b, c, tb, tc };
                    let k0 = w.ft.partition_point(|&v| v < tb - p.back);
                    // the bins a frame's blobs vote for (binary search on x first)
                    let votes = |k: usize| -> u32 {
                        let g = pr.geometry(w, w.ft[k]);
                        let (lo, hi) = (w.offsets[k], w.offsets[k + 1]);
                        let reach = max_tx + g.3 * w.tol_x[b].max(w.tol_x[c]);
                        let s = lo + by_x[lo..hi].partition_point(|&j| w.x[j] < g.2 - reach);
                        let mut bits = 0u32;
                        for &j in &by_x[s..hi] {
                            if w.x[j] > g.2 + reach {
                                break;
                            }
                            bits |= blob_bits(w, &pr, j, g, p);
                        }
                        bits
                    };
                    // cheap first: one of the frames just before the end anchor must vote
                    let near0 = (kb + 1).max(kc.saturating_sub(p.near_end));
                    if p.near_end > 0 && near0 < kc && (near0..kc).all(|k| votes(k) == 0) {
                        continue;
                    }
                    counts.iter_mut().for_each(|v| *v = 0);
                    for k in k0..kc {
                        frame_bits[k] = 0;
                        if k == kb {
                            continue;
                        }
                        let bits = votes(k);
                        frame_bits[k] = bits;
                        for (bi, cnt) in counts.iter_mut().enumerate() {
                            *cnt += ((bits >> bi) & 1) as usize;
                        }
                    }
                    // allowed accelerations: those giving a start speed within range; of
                    // the bins with the most support, the middle one of the first run
                    let mut run: Option<(usize, usize, usize)> = None; // (first, last, count)
                    for (bi, &cnt) in counts.iter().enumerate() {
                        let a = p.a_min + (bi as f64 + 0.5) * wbin;
                        let v = fall / d - 0.5 * a * d;
                        if v < p.v_min || v > p.v_max {
                            continue;
                        }
                        match run {
                            Some((first, last, c0)) if cnt == c0 && last + 1 == bi => {
                                run = Some((first, bi, cnt));
                            }
                            Some((_, _, c0)) if cnt <= c0 => {}
                            _ => run = Some((bi, bi, cnt)),
                        }
                    }
                    let Some((b0, b1, cnt)) = run else { continue };
                    let bi = (b0 + b1) / 2;
                    let support = cnt + 2;
                    if support < p.min_support {
                        continue;
                    }
                    if let Some(bc) = &best {
                        if support < bc.support {
                            continue;
                        }
                    }
                    // the supporting blobs: per frame, the one nearest the bin's curve
                    let a = p.a_min + (bi as f64 + 0.5) * wbin;
                    let mut picks: Vec<(usize, f64)> = Vec::with_capacity(support);
                    for k in k0..=kc {
                        if k == kb {
                            picks.push((b, 0.0));
                            continue;
                        }
                        if k == kc {
                            picks.push((c, 0.0));
                            continue;
                        }
                        if (frame_bits[k] >> bi) & 1 == 0 {
                            continue;
                        }
                        let g = pr.geometry(w, w.ft[k]);
                        let mut pick: Option<(usize, f64)> = None;
                        for j in w.offsets[k]..w.offsets[k + 1] {
                            if (blob_bits(w, &pr, j, g, p) >> bi) & 1 == 0 {
                                continue;
                            }
                            let th = w.tol_h[j] + g.3 * w.tol_h[b].max(w.tol_h[c]);
                            let tx = w.tol_x[j] + g.3 * w.tol_x[b].max(w.tol_x[c]);
                            let e = ((w.h[j] - g.0 - a * g.1) / th.max(1e-9)).powi(2)
                                + ((w.x[j] - g.2) / tx.max(1e-9)).powi(2);
                            if pick.is_none_or(|(_, e0)| e < e0) {
                                pick = Some((j, e));
                            }
                        }
                        if let Some(pe) = pick {
                            picks.push(pe);
                        }
                    }
                    // the run ending at the end anchor without a longer gap
                    let mut k = picks.len() - 1;
                    while k > 0
                        && blob_time(w, picks[k].0) - blob_time(w, picks[k - 1].0) <= p.max_gap
                    {
                        k -= 1;
                    }
                    let cost: f64 = picks[k..].iter().map(|pe| pe.1).sum();
                    let blobs: Vec<usize> = picks[k..].iter().map(|pe| pe.0).collect();
                    let support = blobs.len();
                    if support < p.min_support {
                        continue;
                    }
                    let first = blobs[0];
                    if w.h[first] - w.h[c] < p.min_drop {
                        continue;
                    }
                    if !dense_enough(w, &blobs, p) {
                        continue;
                    }
                    // the acceleration refined on the picks (least squares, tolerance-weighted)
                    let (mut sqr, mut sqq) = (0.0, 0.0);
                    for &j in &blobs {
                        let g = pr.geometry(w, blob_time(w, j));
                        let th = (w.tol_h[j] + g.3 * w.tol_h[b].max(w.tol_h[c])).max(1e-9);
                        sqr += g.1 * (w.h[j] - g.0) / (th * th);
                        sqq += g.1 * g.1 / (th * th);
                    }
                    let a = if sqq > 0.0 {
                        (sqr / sqq).clamp(p.a_min, p.a_max)
                    } else {
                        a
                    };
                    let cand = Candidate {
                        blobs,
                        support,
                        accel: a,
                        cost,
                    };
                    let better = match &best {
                        None => true,
                        Some(bc) => {
                            support > bc.support || (support == bc.support && cand.cost < bc.cost)
                        }
                    };
                    if better {
                        best = Some(cand);
                    }
                }
            }
            if let Some(bc) = best {
                cands.push(bc);
            }
        }
    }
    cands.sort_by(|a, b| b.support.cmp(&a.support).then(a.cost.total_cmp(&b.cost)));
    // without candidates that share most of their blobs with a better one
    let mut taken = vec![false; w.x.len()];
    let mut out = Vec::new();
    for c in cands {
        if out.len() >= p.max_out {
            break;
        }
        let shared = c.blobs.iter().filter(|&&j| taken[j]).count();
        if 2 * shared > c.blobs.len() {
            continue;
        }
        for &j in &c.blobs {
            taken[j] = true;
        }
        out.push(c);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn win<'a>(
        offsets: &'a [usize],
        ft: &'a [f64],
        x: &'a [f64],
        h: &'a [f64],
        tol_x: &'a [f64],
        tol_h: &'a [f64],
    ) -> Window<'a> {
        Window {
            offsets,
            ft,
            x,
            h,
            tol_x,
            tol_h,
        }
    }

    fn params() -> SweepParams {
        SweepParams {
            lags: vec![0.4, 0.6],
            a_min: 0.0,
            a_max: 12.0,
            n_bins: 12,
            max_vx: 100.0,
            v_min: -3.0,
            v_max: 30.0,
            back: 0.5,
            min_support: 6,
            max_gap: 0.3,
            min_density: 0.4,
            min_balance: 0.5,
            min_drop: 1.0,
            end_frames: 1,
            near_end: 3,
            max_out: 4,
        }
    }

    /// Frames at 25 fps; a fall from h=30 (g = 9.81) at x=50 plus noise blobs.
    fn scene(n: usize, noise: &[(usize, f64, f64)]) -> (Vec<usize>, Vec<f64>, Vec<f64>, Vec<f64>) {
        let mut offsets = vec![0];
        let mut ft = Vec::new();
        let mut x = Vec::new();
        let mut h = Vec::new();
        for k in 0..n {
            let t = k as f64 * 0.04;
            ft.push(t);
            x.push(50.0 + 2.0 * t);
            h.push(30.0 - 0.5 * 9.81 * t * t);
            for &(kk, xx, hh) in noise {
                if kk == k {
                    x.push(xx);
                    h.push(hh);
                }
            }
            offsets.push(x.len());
        }
        (offsets, ft, x, h)
    }

    #[test]
    fn finds_a_fall_among_noise() {
        let noise: Vec<(usize, f64, f64)> =
            (0..25).map(|k| (k, 10.0 + 3.0 * k as f64, 20.0)).collect();
        let (offsets, ft, x, h) = scene(25, &noise);
        let tol = vec![0.2; x.len()];
        let w = win(&offsets, &ft, &x, &h, &tol, &tol);
        let out = sweep(&w, &params()).unwrap();
        assert!(!out.is_empty());
        let c = &out[0];
        // every frame from lag+back before the end holds the fall
        assert!(c.support >= 20, "support {}", c.support);
        assert!((c.accel - 9.81).abs() <= 0.5, "accel {}", c.accel);
        for &j in &c.blobs {
            let k = offsets.partition_point(|&o| o <= j) - 1;
            assert_eq!(j, offsets[k], "blob {j} is not the fall's");
        }
    }

    #[test]
    fn rising_and_flat_motion_is_not_a_candidate() {
        let (offsets, ft, _, h) = scene(25, &[]);
        let rising: Vec<f64> = h.iter().map(|v| 60.0 - v).collect();
        let x = vec![5.0; h.len()];
        let tol = vec![0.2; h.len()];
        let w = win(&offsets, &ft, &x, &rising, &tol, &tol);
        assert!(sweep(&w, &params()).unwrap().is_empty());
        let flat = vec![3.0; h.len()];
        let w = win(&offsets, &ft, &x, &flat, &tol, &tol);
        assert!(sweep(&w, &params()).unwrap().is_empty());
    }

    #[test]
    fn bad_input_is_an_error() {
        let (offsets, ft, x, h) = scene(5, &[]);
        let tol = vec![0.2; x.len()];
        let short = vec![0.2; x.len() - 1];
        let w = win(&offsets, &ft, &x, &h, &short, &tol);
        assert!(sweep(&w, &params()).unwrap_err().contains("tol_x"));
        let w = win(&offsets[1..], &ft, &x, &h, &tol, &tol);
        assert!(sweep(&w, &params()).unwrap_err().contains("offsets"));
        let w = win(&offsets, &ft, &x, &h, &tol, &tol);
        let mut p = params();
        p.n_bins = 0;
        assert!(sweep(&w, &p).unwrap_err().contains("n_bins"));
    }

    #[test]
    fn empty_windows() {
        let w = win(&[0], &[], &[], &[], &[], &[]);
        assert!(sweep(&w, &params()).unwrap().is_empty());
        let w = Window {
            offsets: &[0, 0, 0],
            ft: &[0.0, 0.1],
            x: &[],
            h: &[],
            tol_x: &[],
            tol_h: &[],
        };
        assert!(sweep(&w, &params()).unwrap().is_empty());
    }
}
