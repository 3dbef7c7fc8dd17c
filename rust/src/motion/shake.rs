//! Global translation between two frames (camera shake), sub-pixel.
//!
//! Coarse-to-fine Lucas-Kanade for a pure translation on an image pyramid built by 2x2
//! averaging. The finest level used is the first with at most ~300k pixels (quarter
//! resolution at 1080p), so the cost stays around a millisecond. Convention:
//! `cur(x, y) ~= prev(x - dx, y - dy)`.

/// A float image.
#[derive(Clone, Debug, Default)]
pub struct Plane {
    pub h: usize,
    pub w: usize,
    pub d: Vec<f32>,
}

fn half_u8(src: &[u8], h: usize, w: usize) -> Plane {
    let (h2, w2) = (h / 2, w / 2);
    let mut d = vec![0f32; h2 * w2];
    for y in 0..h2 {
        let r0 = &src[2 * y * w..2 * y * w + w];
        let r1 = &src[(2 * y + 1) * w..(2 * y + 1) * w + w];
        let o = &mut d[y * w2..(y + 1) * w2];
        for x in 0..w2 {
            let s =
                r0[2 * x] as u32 + r0[2 * x + 1] as u32 + r1[2 * x] as u32 + r1[2 * x + 1] as u32;
            o[x] = s as f32 * 0.25;
        }
    }
    Plane { h: h2, w: w2, d }
}

/// Mean over `f x f` blocks (f = 2^k <= 16) straight from bytes: the same values as k rounds of
/// 2x2 averaging, in one pass over the frame (rows summed in u16, vectorisable).
fn decimate_u8(src: &[u8], h: usize, w: usize, f: usize) -> Plane {
    let (hf, wf) = (h / f, w / f);
    let mut d = vec![0f32; hf * wf];
    let mut acc = vec![0u16; wf * f];
    let inv = 1.0 / (f * f) as f32;
    for y in 0..hf {
        acc.fill(0);
        for k in 0..f {
            let r = &src[(y * f + k) * w..(y * f + k) * w + wf * f];
            add_row(&mut acc, r);
        }
        let o = &mut d[y * wf..(y + 1) * wf];
        match f {
            4 => hsum::<4>(&acc, o, inv),
            8 => hsum::<8>(&acc, o, inv),
            16 => hsum::<16>(&acc, o, inv),
            _ => {
                for (o, c) in o.iter_mut().zip(acc.chunks_exact(f)) {
                    *o = c.iter().map(|&v| v as u32).sum::<u32>() as f32 * inv;
                }
            }
        }
    }
    Plane { h: hf, w: wf, d }
}

crate::avx2_dispatch! {
    fn add_row(acc: &mut [u16], r: &[u8]) {
        for (a, &v) in acc.iter_mut().zip(r) {
            *a += v as u16;
        }
    }
}

/// Sum groups of `F` adjacent row sums into one output (compile-time `F` unrolls).
#[inline]
fn hsum<const F: usize>(acc: &[u16], out: &mut [f32], inv: f32) {
    for (o, c) in out.iter_mut().zip(acc.chunks_exact(F)) {
        let mut s = 0u32;
        for &v in c {
            s += v as u32;
        }
        *o = s as f32 * inv;
    }
}

fn half(p: &Plane) -> Plane {
    let (h2, w2) = (p.h / 2, p.w / 2);
    let w = p.w;
    let mut d = vec![0f32; h2 * w2];
    for y in 0..h2 {
        let r0 = &p.d[2 * y * w..2 * y * w + w];
        let r1 = &p.d[(2 * y + 1) * w..(2 * y + 1) * w + w];
        let o = &mut d[y * w2..(y + 1) * w2];
        for x in 0..w2 {
            o[x] = (r0[2 * x] + r0[2 * x + 1] + r1[2 * x] + r1[2 * x + 1]) * 0.25;
        }
    }
    Plane { h: h2, w: w2, d }
}

fn to_plane(src: &[u8], h: usize, w: usize) -> Plane {
    Plane {
        h,
        w,
        d: src.iter().map(|&x| x as f32).collect(),
    }
}

/// Pyramid levels (finest first) of one grey frame; level 0 has scale `2^first`.
fn pyramid(src: &[u8], h: usize, w: usize, first: usize, count: usize) -> Vec<Plane> {
    let mut out = Vec::with_capacity(count);
    let cur = match first {
        0 => to_plane(src, h, w),
        1 => half_u8(src, h, w),
        k => decimate_u8(src, h, w, 1 << k.min(4)),
    };
    out.push(cur);
    for _ in 1..count {
        let n = half(out.last().unwrap());
        out.push(n);
    }
    out
}

/// Choose (finest level, number of levels) for an h x w frame.
fn plan(h: usize, w: usize) -> (usize, usize) {
    let mut first = 0;
    while (h >> first) * (w >> first) > 300_000 && first < 4 {
        first += 1;
    }
    let mut last = first;
    while (h >> (last + 1)).min(w >> (last + 1)) >= 24 && last < first + 4 {
        last += 1;
    }
    (first, last - first + 1)
}

crate::avx2_dispatch! {
    /// One row of the Lucas-Kanade right-hand side (8 partial sums for vectorisation).
    #[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
    fn lk_row(a0: &[f32], a1: &[f32], b0: &[f32], b1: &[f32], p: &[f32], gx: &[f32], gy: &[f32], wt: [f32; 4]) -> (f32, f32) {
        let n = p.len().min(a0.len()).min(a1.len()).min(b0.len()).min(b1.len()).min(gx.len()).min(gy.len());
        let (a0, a1, b0, b1, p, gx, gy) = (&a0[..n], &a1[..n], &b0[..n], &b1[..n], &p[..n], &gx[..n], &gy[..n]);
        let mut sx = [0f32; 8];
        let mut sy = [0f32; 8];
        let mut i = 0;
        while i + 8 <= n {
            for k in 0..8 {
                let j = i + k;
                let cw = wt[0] * a0[j] + wt[1] * a1[j] + wt[2] * b0[j] + wt[3] * b1[j];
                let e = p[j] - cw;
                sx[k] += gx[j] * e;
                sy[k] += gy[j] * e;
            }
            i += 8;
        }
        let (mut tx, mut ty) = (sx.iter().sum::<f32>(), sy.iter().sum::<f32>());
        while i < n {
            let cw = wt[0] * a0[i] + wt[1] * a1[i] + wt[2] * b0[i] + wt[3] * b1[i];
            let e = p[i] - cw;
            tx += gx[i] * e;
            ty += gy[i] * e;
            i += 1;
        }
        (tx, ty)
    }
}

crate::avx2_dispatch! {
    /// Central-difference gradients of one row and their second moments (8-lane partial sums).
    #[allow(clippy::needless_range_loop)]
    fn grad_row(l: &[f32], r: &[f32], u: &[f32], d: &[f32], gx: &mut [f32], gy: &mut [f32]) -> [f32; 3] {
        let n = l.len().min(r.len()).min(u.len()).min(d.len()).min(gx.len()).min(gy.len());
        let (l, r, u, d, gx, gy) = (&l[..n], &r[..n], &u[..n], &d[..n], &mut gx[..n], &mut gy[..n]);
        let mut a = [[0f32; 8]; 3];
        let mut i = 0;
        while i + 8 <= n {
            for k in 0..8 {
                let j = i + k;
                let x = 0.5 * (r[j] - l[j]);
                let y = 0.5 * (d[j] - u[j]);
                gx[j] = x;
                gy[j] = y;
                a[0][k] += x * x;
                a[1][k] += x * y;
                a[2][k] += y * y;
            }
            i += 8;
        }
        let mut out = [a[0].iter().sum::<f32>(), a[1].iter().sum::<f32>(), a[2].iter().sum::<f32>()];
        while i < n {
            let x = 0.5 * (r[i] - l[i]);
            let y = 0.5 * (d[i] - u[i]);
            gx[i] = x;
            gy[i] = y;
            out[0] += x * x;
            out[1] += x * y;
            out[2] += y * y;
            i += 1;
        }
        out
    }
}

/// Translation-only Lucas-Kanade refinement of `d` (in this level's pixels).
fn lk_level(p: &Plane, c: &Plane, d: &mut [f64; 2], max_shift: f64, iters: usize) {
    let (h, w) = (p.h, p.w);
    // Small levels get a smaller search range instead of being skipped.
    let margin = (max_shift.ceil() as usize + 2).min(h.min(w) / 4);
    if margin < 3 || h < 2 * margin + 8 || w < 2 * margin + 8 {
        return;
    }
    let max_shift = max_shift.min((margin - 2) as f64);
    let (y0, y1, x0, x1) = (margin, h - margin, margin, w - margin);
    // Gradients of prev and the (constant) normal matrix.
    let mut gx = vec![0f32; h * w];
    let mut gy = vec![0f32; h * w];
    let (mut sxx, mut sxy, mut syy) = (0f64, 0f64, 0f64);
    for y in y0..y1 {
        let i0 = y * w + x0;
        let n = x1 - x0;
        let sums = grad_row(
            &p.d[i0 - 1..i0 - 1 + n],
            &p.d[i0 + 1..i0 + 1 + n],
            &p.d[i0 - w..i0 - w + n],
            &p.d[i0 + w..i0 + w + n],
            &mut gx[i0..i0 + n],
            &mut gy[i0..i0 + n],
        );
        sxx += sums[0] as f64;
        sxy += sums[1] as f64;
        syy += sums[2] as f64;
    }
    let det = sxx * syy - sxy * sxy;
    if det.abs() < 1e-9 * (sxx + syy).max(1.0).powi(2) {
        return;
    }
    for _ in 0..iters {
        let (dx, dy) = (
            d[0].clamp(-max_shift, max_shift),
            d[1].clamp(-max_shift, max_shift),
        );
        let (ix, iy) = (dx.floor(), dy.floor());
        let (fx, fy) = ((dx - ix) as f32, (dy - iy) as f32);
        let (ix, iy) = (ix as isize, iy as isize);
        let (w00, w01, w10, w11) = (
            (1.0 - fx) * (1.0 - fy),
            fx * (1.0 - fy),
            (1.0 - fx) * fy,
            fx * fy,
        );
        let (mut bx, mut by) = (0f64, 0f64);
        for y in y0..y1 {
            // margin > max_shift + 1, so every sample below is inside the image.
            let sy0 = (y as isize + iy) as usize;
            let r0 = &c.d[sy0 * w..sy0 * w + w];
            let r1 = &c.d[(sy0 + 1) * w..(sy0 + 1) * w + w];
            let sx = (x0 as isize + ix) as usize;
            let n = x1 - x0;
            let (a0, a1) = (&r0[sx..sx + n], &r0[sx + 1..sx + 1 + n]);
            let (b0, b1) = (&r1[sx..sx + n], &r1[sx + 1..sx + 1 + n]);
            let pr = &p.d[y * w + x0..y * w + x1];
            let (gxr, gyr) = (&gx[y * w + x0..y * w + x1], &gy[y * w + x0..y * w + x1]);
            let (ax, ay) = lk_row(a0, a1, b0, b1, pr, gxr, gyr, [w00, w01, w10, w11]);
            bx += ax as f64;
            by += ay as f64;
        }
        let ddx = (syy * bx - sxy * by) / det;
        let ddy = (sxx * by - sxy * bx) / det;
        d[0] = dx + ddx;
        d[1] = dy + ddy;
        if ddx.abs() < 2e-3 && ddy.abs() < 2e-3 {
            break;
        }
    }
}

/// Estimate the global shift of grey `cur` relative to grey `prev` (both h x w).
/// Returns `(dx, dy)` with `cur(x, y) ~= prev(x - dx, y - dy)`; (0, 0) for images under 14 px
/// or without texture.
pub fn estimate_shift(prev: &[u8], cur: &[u8], h: usize, w: usize) -> (f64, f64) {
    if h < 8 || w < 8 {
        return (0.0, 0.0);
    }
    let (first, count) = plan(h, w);
    let pp = pyramid(prev, h, w, first, count);
    let cp = pyramid(cur, h, w, first, count);
    let mut d = [0f64; 2];
    for lvl in (0..count).rev() {
        let scale = (1usize << (first + lvl)) as f64;
        let max_shift = 16.0 / scale + 2.0;
        lk_level(
            &pp[lvl],
            &cp[lvl],
            &mut d,
            max_shift,
            if lvl == 0 { 8 } else { 5 },
        );
        if lvl > 0 {
            d[0] *= 2.0;
            d[1] *= 2.0;
        }
    }
    let s = (1usize << first) as f64;
    // At scale s, level pixel centres sit at (x + 0.5) * s - 0.5: a shift scales linearly.
    (d[0] * s, d[1] * s)
}

/// Translate a frame: `out(x, y) = src(x - dx, y - dy)` with bilinear interpolation;
/// pixels whose source lies outside the frame get `fill`.
#[allow(clippy::too_many_arguments)]
pub fn shift_frame(
    src: &[u8],
    h: usize,
    w: usize,
    ch: usize,
    dx: f64,
    dy: f64,
    fill: u8,
    out: &mut [u8],
) {
    let (sx, sy) = (-dx, -dy);
    let (ix, iy) = (sx.floor(), sy.floor());
    let (fx, fy) = ((sx - ix) as f32, (sy - iy) as f32);
    let (ix, iy) = (ix as i64, iy as i64);
    let (w00, w01, w10, w11) = (
        (1.0 - fx) * (1.0 - fy),
        fx * (1.0 - fy),
        (1.0 - fx) * fy,
        fx * fy,
    );
    let (hi, wi) = (h as i64, w as i64);
    let bx = if fx > 0.0 { 1 } else { 0 };
    let by = if fy > 0.0 { 1 } else { 0 };
    // output columns whose source columns x + ix and x + ix + bx are both inside
    let xa = (-ix).clamp(0, wi);
    let xb = (wi - ix - bx).clamp(xa, wi);
    for y in 0..hi {
        let orow = &mut out[(y * wi) as usize * ch..((y + 1) * wi) as usize * ch];
        let y0 = y + iy;
        let y1 = y0 + by;
        if y0 < 0 || y1 >= hi || xa >= xb {
            orow.fill(fill);
            continue;
        }
        let (xa_u, xb_u) = (xa as usize * ch, xb as usize * ch);
        orow[..xa_u].fill(fill);
        orow[xb_u..].fill(fill);
        let n = xb_u - xa_u;
        let s0 = ((y0 * wi + xa + ix) as usize) * ch;
        let s1 = ((y1 * wi + xa + ix) as usize) * ch;
        let d = (bx as usize) * ch;
        let r00 = &src[s0..s0 + n];
        let r01 = &src[s0 + d..s0 + d + n];
        let r10 = &src[s1..s1 + n];
        let r11 = &src[s1 + d..s1 + d + n];
        shift_row(
            &mut orow[xa_u..xb_u],
            r00,
            r01,
            r10,
            r11,
            w00,
            w01,
            w10,
            w11,
        );
    }
}

crate::avx2_dispatch! {
    /// One output row of the bilinear translation (constant weights).
    fn shift_row(o: &mut [u8], r00: &[u8], r01: &[u8], r10: &[u8], r11: &[u8], w00: f32, w01: f32,
                 w10: f32, w11: f32) {
        for ((((o, &a), &b), &c), &e) in o.iter_mut().zip(r00).zip(r01).zip(r10).zip(r11) {
            let v = w00 * a as f32 + w01 * b as f32 + w10 * c as f32 + w11 * e as f32;
            *o = (v + 0.5).min(255.0) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texture(h: usize, w: usize, dx: f64, dy: f64) -> Vec<u8> {
        let mut out = vec![0u8; h * w];
        for y in 0..h {
            for x in 0..w {
                let (u, v) = (x as f64 - dx, y as f64 - dy);
                let s = (u * 0.21).sin() * (v * 0.17).cos() + ((u + 2.0 * v) * 0.05).sin();
                out[y * w + x] = (128.0 + 60.0 * s) as u8;
            }
        }
        out
    }

    #[test]
    fn recovers_shifts() {
        let (h, w) = (240usize, 320usize);
        let prev = texture(h, w, 0.0, 0.0);
        for &(dx, dy) in &[(0.0, 0.0), (3.0, -2.0), (-7.5, 6.25), (1.3, 0.4)] {
            let cur = texture(h, w, dx, dy);
            let (ex, ey) = estimate_shift(&prev, &cur, h, w);
            assert!(
                (ex - dx).abs() < 0.15 && (ey - dy).abs() < 0.15,
                "{dx},{dy} -> {ex},{ey}"
            );
        }
    }

    #[test]
    fn small_frames() {
        let (h, w) = (40usize, 44usize);
        let prev = texture(h, w, 0.0, 0.0);
        let cur = texture(h, w, 2.0, -1.5);
        let (ex, ey) = estimate_shift(&prev, &cur, h, w);
        assert!(
            (ex - 2.0).abs() < 0.15 && (ey + 1.5).abs() < 0.15,
            "{ex},{ey}"
        );
    }

    #[test]
    fn shift_frame_integer() {
        let src: Vec<u8> = (0..12).collect();
        let mut out = vec![0u8; 12];
        shift_frame(&src, 3, 4, 1, 1.0, 0.0, 99, &mut out);
        assert_eq!(out, vec![99, 0, 1, 2, 99, 4, 5, 6, 99, 8, 9, 10]);
    }
}

#[cfg(test)]
mod decimate_tests {
    use super::*;

    #[test]
    fn decimate_equals_repeated_halving() {
        let (h, w) = (37usize, 53usize);
        let src: Vec<u8> = (0..h * w).map(|i| (i * 37 % 251) as u8).collect();
        let mut p = half_u8(&src, h, w);
        for k in 2..=4 {
            p = half(&p);
            let q = decimate_u8(&src, h, w, 1 << k);
            assert_eq!((p.h, p.w), (q.h, q.w));
            for (a, b) in p.d.iter().zip(&q.d) {
                assert!((a - b).abs() < 1e-3, "{a} {b}");
            }
        }
    }
}
