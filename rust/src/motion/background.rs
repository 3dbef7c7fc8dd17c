//! Background models that own their buffers: sigma-delta, running average, dual background.
//!
//! All models work on grey frames; RGB input is converted to BT.601 luma first (into a
//! buffer owned by the model).

use crate::avx2_dispatch;

/// Parameters of the sigma-delta estimator (Manzanera & Richefeu 2004).
#[derive(Clone, Copy, Debug)]
pub struct SigmaDeltaParams {
    /// Amplification N: the variance V is stepped toward N * D.
    pub amplification: u8,
    /// M and V are updated on one frame out of `update_period` (>= 1).
    pub update_period: u32,
    pub vmin: u8,
    pub vmax: u8,
}

impl Default for SigmaDeltaParams {
    fn default() -> Self {
        SigmaDeltaParams {
            amplification: 2,
            update_period: 1,
            vmin: 2,
            vmax: 255,
        }
    }
}

#[inline(always)]
fn sd_pixel(x: u8, mi: u8, vi: u8, live: u8, n: u16, vmin: u8, vmax: u8) -> (u8, u8, u8) {
    let step_up = ((x > mi) as u8) & live;
    let step_dn = ((x < mi) as u8) & live;
    let mn = mi.wrapping_add(step_up).wrapping_sub(step_dn);
    let d = x.max(mn) - x.min(mn);
    let nd = ((d as u16) * n).min(255) as u8;
    let vup = ((nd > vi) as u8) & live;
    let vdn = ((nd < vi) as u8) & live;
    let vn = vi.wrapping_add(vup).wrapping_sub(vdn).max(vmin).min(vmax);
    (mn, vn, (d > vn) as u8)
}

avx2_dispatch! {
    /// One sigma-delta step over all pixels (`update` = M and V move this frame).
    fn sd_step(frame: &[u8], m: &mut [u8], v: &mut [u8], update: bool, n: u8, vmin: u8, vmax: u8, out: &mut [u8]) {
        let live = update as u8;
        let n = n as u16;
        for (((&x, mi), vi), o) in frame.iter().zip(m.iter_mut()).zip(v.iter_mut()).zip(out.iter_mut()) {
            let (mn, vn, f) = sd_pixel(x, *mi, *vi, live, n, vmin, vmax);
            *mi = mn;
            *vi = vn;
            *o = f;
        }
    }
}

avx2_dispatch! {
    /// Sigma-delta step where `hold[i] != 0` freezes M and V at pixel `i`.
    fn sd_step_hold(
        frame: &[u8], m: &mut [u8], v: &mut [u8], hold: &[u8], update: bool, n: u8, vmin: u8,
        vmax: u8, out: &mut [u8],
    ) {
        let upd = update as u8;
        let n = n as u16;
        for ((((&x, mi), vi), o), &hd) in
            frame.iter().zip(m.iter_mut()).zip(v.iter_mut()).zip(out.iter_mut()).zip(hold)
        {
            let live = upd & ((hd == 0) as u8);
            let (mn, vn, f) = sd_pixel(x, *mi, *vi, live, n, vmin, vmax);
            *mi = mn;
            *vi = vn;
            *o = f;
        }
    }
}

/// Sigma-delta background estimator on grey frames.
#[derive(Clone, Debug)]
pub struct SigmaDelta {
    pub p: SigmaDeltaParams,
    pub m: Vec<u8>,
    pub v: Vec<u8>,
    pub frames: u64,
}

impl SigmaDelta {
    pub fn new(p: SigmaDeltaParams) -> Self {
        SigmaDelta {
            p,
            m: Vec::new(),
            v: Vec::new(),
            frames: 0,
        }
    }

    pub fn reset(&mut self) {
        self.m.clear();
        self.v.clear();
        self.frames = 0;
    }

    pub fn initialised(&self) -> bool {
        self.frames > 0
    }

    /// Feed one grey frame; `out` receives the 0/1 foreground mask. The first frame
    /// initialises M = frame, V = vmin and yields an empty mask. `hold` (empty or same length)
    /// freezes the model where nonzero.
    pub fn apply(&mut self, frame: &[u8], hold: &[u8], out: &mut [u8]) {
        if self.frames == 0 || self.m.len() != frame.len() {
            self.m.clear();
            self.m.extend_from_slice(frame);
            self.v.clear();
            self.v.resize(frame.len(), self.p.vmin.min(self.p.vmax));
            out[..frame.len()].fill(0);
            self.frames = 1;
            return;
        }
        let update = self
            .frames
            .is_multiple_of(self.p.update_period.max(1) as u64);
        self.frames += 1;
        let (n, lo, hi) = (self.p.amplification, self.p.vmin, self.p.vmax);
        if hold.is_empty() {
            sd_step(frame, &mut self.m, &mut self.v, update, n, lo, hi, out);
        } else {
            sd_step_hold(
                frame,
                &mut self.m,
                &mut self.v,
                hold,
                update,
                n,
                lo,
                hi,
                out,
            );
        }
    }
}

avx2_dispatch! {
    fn ra_step(frame: &[u8], b: &mut [f32], alpha: f32, thr: f32, out: &mut [u8]) {
        for ((&x, bi), o) in frame.iter().zip(b.iter_mut()).zip(out.iter_mut()) {
            let d = x as f32 - *bi;
            *o = (d.abs() > thr) as u8;
            *bi += alpha * d;
        }
    }
}

/// Running-average background: B <- B + alpha (I - B); foreground where |I - B| > threshold
/// (tested against B before the update).
#[derive(Clone, Debug)]
pub struct RunningAverage {
    pub alpha: f32,
    pub threshold: f32,
    pub b: Vec<f32>,
    pub frames: u64,
}

impl RunningAverage {
    pub fn new(alpha: f32, threshold: f32) -> Self {
        RunningAverage {
            alpha,
            threshold,
            b: Vec::new(),
            frames: 0,
        }
    }

    pub fn reset(&mut self) {
        self.b.clear();
        self.frames = 0;
    }

    pub fn apply(&mut self, frame: &[u8], out: &mut [u8]) {
        if self.frames == 0 || self.b.len() != frame.len() {
            self.b.clear();
            self.b.extend(frame.iter().map(|&x| x as f32));
            out[..frame.len()].fill(0);
            self.frames = 1;
            return;
        }
        self.frames += 1;
        ra_step(frame, &mut self.b, self.alpha, self.threshold, out);
    }
}

/// Long-term + short-term sigma-delta with a per-pixel static-evidence counter
/// (after Porikli, Ivanov & Haga 2008).
#[derive(Clone, Debug)]
pub struct DualBackground {
    pub long: SigmaDelta,
    pub short: SigmaDelta,
    /// Static when the counter reaches this many consecutive frames.
    pub static_frames: u16,
    pub counter: Vec<u16>,
    pub held: Vec<u8>,
    /// Number of held pixels (0 lets the sweep skip reading `held`).
    n_held: usize,
    long_fg: Vec<u8>,
}

avx2_dispatch! {
    fn dual_combine(long_fg: &[u8], short_fg: &[u8], counter: &mut [u16], need: u16, stat: &mut [u8]) {
        for (((&l, &s), c), o) in long_fg.iter().zip(short_fg).zip(counter.iter_mut()).zip(stat.iter_mut()) {
            let keep = 0u16.wrapping_sub(((l != 0) & (s == 0)) as u16); // 0xFFFF or 0
            let nc = c.saturating_add(1) & keep;
            *c = nc;
            *o = (nc >= need) as u8;
        }
    }
}

/// Pixels per block of the dual-background sweep (the block's temporaries stay in L1).
const BLOCK: usize = 4096;

impl DualBackground {
    pub fn new(long: SigmaDeltaParams, short: SigmaDeltaParams, static_frames: u16) -> Self {
        DualBackground {
            long: SigmaDelta::new(long),
            short: SigmaDelta::new(short),
            static_frames,
            counter: Vec::new(),
            held: Vec::new(),
            n_held: 0,
            long_fg: Vec::new(),
        }
    }

    pub fn reset(&mut self) {
        self.long.reset();
        self.short.reset();
        self.counter.clear();
        self.held.clear();
        self.n_held = 0;
    }

    /// Feed one grey frame: `moving` = short-term foreground, `stat` = pixels foreground to
    /// the long-term model and background to the short-term one for >= `static_frames`
    /// consecutive frames.
    pub fn apply(&mut self, frame: &[u8], moving: &mut [u8], stat: &mut [u8]) {
        let n = frame.len();
        if self.counter.len() != n {
            self.counter.clear();
            self.counter.resize(n, 0);
        }
        if self.held.len() != n {
            self.held.clear();
            self.held.resize(n, 0);
            self.n_held = 0;
        }
        if !self.long.initialised() || !self.short.initialised() || self.long.m.len() != n {
            self.long_fg.resize(n, 0);
            self.long.apply(frame, &self.held, &mut self.long_fg);
            self.short.apply(frame, &[], moving);
            stat[..n].fill(0);
            return;
        }
        // Both models and the counter block by block: one sweep over memory, each step a
        // vectorised kernel, the long-term mask of a block kept in a stack buffer.
        let ul = self
            .long
            .frames
            .is_multiple_of(self.long.p.update_period.max(1) as u64);
        let us = self
            .short
            .frames
            .is_multiple_of(self.short.p.update_period.max(1) as u64);
        self.long.frames += 1;
        self.short.frames += 1;
        let (lp, sp) = (self.long.p, self.short.p);
        let need = self.static_frames.max(1);
        let mut lf = [0u8; BLOCK];
        let mut start = 0;
        while start < n {
            let end = (start + BLOCK).min(n);
            let r = start..end;
            let lfb = &mut lf[..end - start];
            let (lm, lv) = (&mut self.long.m[r.clone()], &mut self.long.v[r.clone()]);
            if self.n_held == 0 {
                sd_step(
                    &frame[r.clone()],
                    lm,
                    lv,
                    ul,
                    lp.amplification,
                    lp.vmin,
                    lp.vmax,
                    lfb,
                );
            } else {
                let hb = &self.held[r.clone()];
                sd_step_hold(
                    &frame[r.clone()],
                    lm,
                    lv,
                    hb,
                    ul,
                    lp.amplification,
                    lp.vmin,
                    lp.vmax,
                    lfb,
                );
            }
            let (sm, sv) = (&mut self.short.m[r.clone()], &mut self.short.v[r.clone()]);
            let mv = &mut moving[r.clone()];
            sd_step(
                &frame[r.clone()],
                sm,
                sv,
                us,
                sp.amplification,
                sp.vmin,
                sp.vmax,
                mv,
            );
            dual_combine(lfb, mv, &mut self.counter[r.clone()], need, &mut stat[r]);
            start = end;
        }
    }

    /// Hold (`on = true`) or release pixels where `mask != 0`: held pixels are not updated in
    /// the long-term model, so an object there is never absorbed.
    pub fn set_hold(&mut self, mask: &[u8], on: bool, n: usize) {
        if self.held.len() != n {
            self.held.clear();
            self.held.resize(n, 0);
        }
        for (h, &m) in self.held.iter_mut().zip(mask) {
            if m != 0 {
                *h = on as u8;
            }
        }
        self.n_held = self.held.iter().filter(|&&h| h != 0).count();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigma_delta_detects_and_absorbs() {
        let mut sd = SigmaDelta::new(SigmaDeltaParams::default());
        let bg = vec![100u8; 16];
        let mut out = vec![0u8; 16];
        sd.apply(&bg, &[], &mut out);
        assert!(out.iter().all(|&x| x == 0));
        for _ in 0..5 {
            sd.apply(&bg, &[], &mut out);
        }
        assert!(out.iter().all(|&x| x == 0));
        let mut fg = bg.clone();
        fg[3] = 200;
        sd.apply(&fg, &[], &mut out);
        assert_eq!(out[3], 1);
        assert_eq!(out.iter().map(|&x| x as u32).sum::<u32>(), 1);
        // M steps by one per frame toward the object: after >100 frames it is absorbed.
        for _ in 0..300 {
            sd.apply(&fg, &[], &mut out);
        }
        assert_eq!(sd.m[3], 200);
        assert_eq!(out[3], 0);
    }

    #[test]
    fn update_period_slows_mean() {
        let mut sd = SigmaDelta::new(SigmaDeltaParams {
            update_period: 4,
            ..Default::default()
        });
        let mut out = vec![0u8; 1];
        sd.apply(&[0], &[], &mut out);
        for _ in 0..8 {
            sd.apply(&[50], &[], &mut out);
        }
        assert_eq!(sd.m[0], 2);
    }

    #[test]
    fn dual_static_and_hold() {
        let long = SigmaDeltaParams {
            update_period: 64,
            ..Default::default()
        };
        let short = SigmaDeltaParams::default();
        let mut db = DualBackground::new(long, short, 10);
        let n = 4;
        let (mut mv, mut st) = (vec![0u8; n], vec![0u8; n]);
        db.apply(&[50; 4], &mut mv, &mut st);
        for _ in 0..5 {
            db.apply(&[50; 4], &mut mv, &mut st);
        }
        let obj = [50u8, 90, 50, 50];
        db.set_hold(&[0, 1, 0, 0], true, n);
        let mut seen_static = 0;
        for _ in 0..200 {
            db.apply(&obj, &mut mv, &mut st);
            seen_static = st[1];
        }
        assert_eq!(seen_static, 1);
        assert_eq!(db.long.m[1], 50); // held: never absorbed
        assert_eq!(st[0], 0);
        db.set_hold(&[0, 1, 0, 0], false, n);
        assert_eq!(db.held, vec![0; 4]);
    }

    #[test]
    fn running_average() {
        let mut ra = RunningAverage::new(0.5, 10.0);
        let mut out = vec![0u8; 2];
        ra.apply(&[0, 0], &mut out);
        ra.apply(&[100, 5], &mut out);
        assert_eq!(out, vec![1, 0]);
        assert_eq!(ra.b, vec![50.0, 2.5]);
    }
}
