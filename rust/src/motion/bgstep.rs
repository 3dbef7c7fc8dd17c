//! Selective running-average background step on a caller-owned float32 background.
//!
//! For every pixel, with `B` the background before the call and `x` the frame:
//! `d = |x - B|`, `G` = largest `|B - B_n|` over the 4-neighbours `n` inside the image
//! (0 for a 1x1 image), `fg = d > threshold + edge_k * G`, then
//! `B += (fg ? slow * alpha : alpha) * (x - B)`. Every operation is one f32 operation in the
//! order numpy float32 evaluates it (no fused multiply-add: Rust never contracts), so the
//! result is bit-identical to the numpy expression for finite backgrounds.
use crate::avx2_dispatch;

/// Parameters of [`background_step`], already converted to f32 as numpy would.
#[derive(Clone, Copy, Debug)]
pub struct BgStepParams {
    /// `threshold` as f32.
    pub threshold: f32,
    /// `edge_k` as f32; 0 skips the gradient entirely.
    pub edge_k: f32,
    /// Rate where the mask is set: `(slow * alpha)` computed in f64, then rounded to f32.
    pub rate_fg: f32,
    /// Rate elsewhere: `alpha` as f32.
    pub rate_bg: f32,
}

impl BgStepParams {
    /// Convert the Python-level (f64) parameters the way numpy float32 arithmetic does.
    pub fn new(threshold: f64, alpha: f64, slow: f64, edge_k: f64) -> Self {
        BgStepParams {
            threshold: threshold as f32,
            edge_k: edge_k as f32,
            rate_fg: (slow * alpha) as f32,
            rate_bg: alpha as f32,
        }
    }
}

/// `max` that compiles to one vector instruction (the background is assumed finite).
#[inline(always)]
fn fmax(a: f32, b: f32) -> f32 {
    if a > b {
        a
    } else {
        b
    }
}

/// One pixel: limit from the gradient `g`, mask, update in place.
#[inline(always)]
fn pixel(b: &mut f32, x: u8, g: f32, p: &BgStepParams, m: &mut u8) {
    let diff = x as f32 - *b;
    let fg = diff.abs() > p.threshold + p.edge_k * g;
    *m = fg as u8;
    *b += if fg { p.rate_fg } else { p.rate_bg } * diff;
}

avx2_dispatch! {
    /// One row with the gradient-dependent limit, gradient and update fused in one pass.
    ///
    /// `c` is a copy of the row's old values (`b` is the same row, written here), `up`/`down`
    /// the old rows above and below (`c` itself where the image ends: `|c - c| = 0` never
    /// raises the maximum).
    fn step_row_edge(
        up: &[f32],
        c: &[f32],
        down: &[f32],
        x: &[u8],
        p: &BgStepParams,
        b: &mut [f32],
        m: &mut [u8],
    ) {
        let w = c.len();
        let vert = |i: usize| fmax((c[i] - up[i]).abs(), (c[i] - down[i]).abs());
        if w == 1 {
            pixel(&mut b[0], x[0], vert(0), p, &mut m[0]);
            return;
        }
        let l = w - 1;
        let g0 = fmax(vert(0), (c[0] - c[1]).abs());
        let gl = fmax(vert(l), (c[l] - c[l - 1]).abs());
        pixel(&mut b[0], x[0], g0, p, &mut m[0]);
        pixel(&mut b[l], x[l], gl, p, &mut m[l]);
        let p = *p;
        let it = c[1..l]
            .iter()
            .zip(&c[..l - 1])
            .zip(&c[2..])
            .zip(&up[1..l])
            .zip(&down[1..l])
            .zip(&x[1..l])
            .zip(b[1..l].iter_mut())
            .zip(m[1..l].iter_mut());
        for (((((((&cv, &lv), &rv), &uv), &dv), &xv), bv), mv) in it {
            let gh = fmax((cv - lv).abs(), (cv - rv).abs());
            let gv = fmax((cv - uv).abs(), (cv - dv).abs());
            pixel(bv, xv, fmax(gh, gv), &p, mv);
        }
    }
}

avx2_dispatch! {
    /// Any number of pixels with the plain limit `t` (`edge_k == 0`).
    fn step_flat(b: &mut [f32], x: &[u8], t: f32, rf: f32, rb: f32, m: &mut [u8]) {
        for ((bv, &xv), mv) in b.iter_mut().zip(x).zip(m.iter_mut()) {
            let diff = xv as f32 - *bv;
            let fg = diff.abs() > t;
            *mv = fg as u8;
            *bv += if fg { rf } else { rb } * diff;
        }
    }
}

/// One selective running-average step on a row-major `h x w` background, in place.
///
/// `mask[i]` becomes 1 where the pixel counted as foreground (see the module docs). With
/// `edge_k > 0` the gradient of each row is computed from the old background: the previous
/// row's old values are kept in a row buffer before the row is updated, so no pixel sees an
/// updated neighbour. One fused pass per row (after a copy of the row); two row buffers
/// per call, nothing per pixel.
pub fn background_step(
    bg: &mut [f32],
    frame: &[u8],
    h: usize,
    w: usize,
    p: &BgStepParams,
    mask: &mut [u8],
) {
    let n = h * w;
    assert!(bg.len() == n && frame.len() == n && mask.len() == n);
    if n == 0 {
        return;
    }
    if p.edge_k == 0.0 {
        // t + 0 * G == t for every finite G: no gradient needed.
        step_flat(bg, frame, p.threshold, p.rate_fg, p.rate_bg, mask);
        return;
    }
    let mut up_old = vec![0f32; w];
    let mut cur_old = vec![0f32; w];
    for y in 0..h {
        let (head, tail) = bg.split_at_mut((y + 1) * w);
        let row = &mut head[y * w..];
        cur_old.copy_from_slice(row);
        let c: &[f32] = &cur_old;
        let up: &[f32] = if y > 0 { &up_old } else { c };
        let down: &[f32] = if y + 1 < h { &tail[..w] } else { c };
        let span = y * w..(y + 1) * w;
        step_row_edge(up, c, down, &frame[span.clone()], p, row, &mut mask[span]);
        std::mem::swap(&mut up_old, &mut cur_old);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rand_vals(n: usize, seed: &mut u64) -> Vec<u32> {
        (0..n)
            .map(|_| {
                *seed ^= *seed << 13;
                *seed ^= *seed >> 7;
                *seed ^= *seed << 17;
                (*seed >> 24) as u32
            })
            .collect()
    }

    /// Direct transcription of the definition on a copy of the old background.
    fn reference(
        bg: &[f32],
        x: &[u8],
        h: usize,
        w: usize,
        p: &BgStepParams,
    ) -> (Vec<f32>, Vec<u8>) {
        let at = |y: usize, x: usize| bg[y * w + x];
        let mut nb = bg.to_vec();
        let mut m = vec![0u8; h * w];
        for y in 0..h {
            for xx in 0..w {
                let v = at(y, xx);
                let mut g = 0f32;
                let mut nbr = |u: f32| g = g.max((v - u).abs());
                if y > 0 {
                    nbr(at(y - 1, xx));
                }
                if y + 1 < h {
                    nbr(at(y + 1, xx));
                }
                if xx > 0 {
                    nbr(at(y, xx - 1));
                }
                if xx + 1 < w {
                    nbr(at(y, xx + 1));
                }
                let i = y * w + xx;
                let diff = x[i] as f32 - v;
                let fg = diff.abs() > p.threshold + p.edge_k * g;
                m[i] = fg as u8;
                let r = if fg { p.rate_fg } else { p.rate_bg };
                nb[i] = v + r * diff;
            }
        }
        (nb, m)
    }

    #[test]
    fn matches_definition_over_steps() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let shapes = [(1, 1), (1, 9), (9, 1), (2, 2), (3, 5), (17, 33), (40, 70)];
        let params = [
            (10.0, 0.05, 0.1, 0.0),
            (12.5, 0.3, 0.0, 0.5),
            (0.0, 1.0, 1.0, 1.7),
            (3.7, 0.01, 0.5, 0.3),
        ];
        for &(h, w) in &shapes {
            for &(t, a, s, k) in &params {
                let p = BgStepParams::new(t, a, s, k);
                let mut bg: Vec<f32> = rand_vals(h * w, &mut seed)
                    .iter()
                    .map(|&v| (v % 25600) as f32 / 100.0)
                    .collect();
                let mut want = bg.clone();
                for _ in 0..3 {
                    let x: Vec<u8> = rand_vals(h * w, &mut seed)
                        .iter()
                        .map(|&v| v as u8)
                        .collect();
                    let (nb, wm) = reference(&want, &x, h, w, &p);
                    want = nb;
                    let mut m = vec![9u8; h * w];
                    background_step(&mut bg, &x, h, w, &p, &mut m);
                    assert_eq!(m, wm, "{h}x{w} {p:?}");
                    let same = bg
                        .iter()
                        .zip(&want)
                        .all(|(a, b)| a.to_bits() == b.to_bits());
                    assert!(same, "{h}x{w} {p:?}");
                }
            }
        }
    }

    #[test]
    fn edge_raises_limit_and_empty_is_fine() {
        // Background step edge 0 | 200; the frame darkens the left pixel by 60.
        let p0 = BgStepParams::new(10.0, 0.5, 0.0, 0.0);
        let pk = BgStepParams::new(10.0, 0.5, 0.0, 0.5);
        let x = [60u8, 200];
        let mut bg = [0f32, 200.0];
        let mut m = [9u8; 2];
        background_step(&mut bg, &x, 1, 2, &p0, &mut m);
        assert_eq!(m, [1, 0]);
        assert_eq!(bg, [0.0, 200.0]); // slow = 0 freezes foreground
        background_step(&mut bg, &x, 1, 2, &pk, &mut m);
        assert_eq!(m, [0, 0]); // limit 10 + 0.5 * 200 = 110 > 60
        assert_eq!(bg, [30.0, 200.0]);
        let mut e: Vec<u8> = vec![];
        background_step(&mut [], &[], 0, 5, &pk, &mut e);
        background_step(&mut [], &[], 5, 0, &p0, &mut e);
    }
}
