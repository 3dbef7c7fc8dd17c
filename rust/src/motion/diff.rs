//! Frame differencing: `|cur - prev| > threshold` as a 0/1 byte mask.
use crate::avx2_dispatch;

use super::bits::{pack_row, BitMask};
use super::label::{Blobs, Labeller};

avx2_dispatch! {
    /// Grey two-frame difference: `out[i] = |cur[i] - prev[i]| > t`.
    fn diff_grey(prev: &[u8], cur: &[u8], t: u8, out: &mut [u8]) {
        for ((o, &a), &b) in out.iter_mut().zip(prev).zip(cur) {
            *o = ((a.max(b) - a.min(b)) > t) as u8;
        }
    }
}

avx2_dispatch! {
    /// RGB two-frame difference; the largest channel difference counts.
    fn diff_rgb(prev: &[u8], cur: &[u8], t: u8, out: &mut [u8]) {
        for ((o, a), b) in out.iter_mut().zip(prev.chunks_exact(3)).zip(cur.chunks_exact(3)) {
            let d0 = a[0].max(b[0]) - a[0].min(b[0]);
            let d1 = a[1].max(b[1]) - a[1].min(b[1]);
            let d2 = a[2].max(b[2]) - a[2].min(b[2]);
            *o = (d0.max(d1).max(d2) > t) as u8;
        }
    }
}

avx2_dispatch! {
    /// Grey three-frame difference: both `|cur-prev|` and `|nxt-cur|` above `t`.
    fn diff3_grey(prev: &[u8], cur: &[u8], nxt: &[u8], t: u8, out: &mut [u8]) {
        for (((o, &a), &b), &c) in out.iter_mut().zip(prev).zip(cur).zip(nxt) {
            let d1 = a.max(b) - a.min(b);
            let d2 = b.max(c) - b.min(c);
            *o = (d1.min(d2) > t) as u8;
        }
    }
}

avx2_dispatch! {
    /// RGB three-frame difference (largest channel difference of each pair).
    fn diff3_rgb(prev: &[u8], cur: &[u8], nxt: &[u8], t: u8, out: &mut [u8]) {
        for (((o, a), b), c) in out
            .iter_mut()
            .zip(prev.chunks_exact(3))
            .zip(cur.chunks_exact(3))
            .zip(nxt.chunks_exact(3))
        {
            let mut d1 = 0u8;
            let mut d2 = 0u8;
            for k in 0..3 {
                d1 = d1.max(a[k].max(b[k]) - a[k].min(b[k]));
                d2 = d2.max(b[k].max(c[k]) - b[k].min(c[k]));
            }
            *o = (d1.min(d2) > t) as u8;
        }
    }
}

/// Integer limits for [`diff_mask3_edge`]: `lut[g] = min(floor(threshold + edge_k * g), 255)`.
///
/// For an integer difference `d` in `0..=255`, `d > threshold + edge_k * g` (evaluated in f64,
/// exactly as numpy evaluates `threshold + edge_k * G`) holds iff `d > lut[g]`: `d > x` is the
/// same as `d > floor(x)` for integer `d`, and no `d` exceeds 255. A NaN limit never fires;
/// a negative limit (excluded by the callers) is clamped to 0.
pub fn edge_limits(threshold: f64, edge_k: f64) -> [u8; 256] {
    let mut lut = [255u8; 256];
    for (g, l) in lut.iter_mut().enumerate() {
        let lim = threshold + edge_k * g as f64;
        if lim < 255.0 {
            // `as` saturates: a negative limit becomes 0.
            *l = lim.floor() as u8;
        }
    }
    lut
}

#[inline(always)]
fn absdiff(a: u8, b: u8) -> u8 {
    a.max(b) - a.min(b)
}

/// Largest absolute difference between `c[x]` and its 4-neighbours for `x` in `x0..x1` of one
/// row, into `g[..x1 - x0]`.
///
/// `up`/`down` are the rows above and below (pass `c` itself where the image ends: a pixel
/// differs from itself by 0, which never raises the maximum).
#[inline(always)]
fn grad_span(up: &[u8], c: &[u8], down: &[u8], x0: usize, x1: usize, g: &mut [u8]) {
    let n = c.len();
    let g = &mut g[..x1 - x0];
    for (((o, &a), &u), &d) in g.iter_mut().zip(&c[x0..x1]).zip(&up[x0..x1]).zip(&down[x0..x1]) {
        *o = absdiff(a, u).max(absdiff(a, d));
    }
    // Left neighbour for x >= 1.
    let l0 = x0.max(1).min(x1);
    for ((o, &a), &b) in g[l0 - x0..].iter_mut().zip(&c[l0..x1]).zip(&c[l0 - 1..]) {
        *o = (*o).max(absdiff(a, b));
    }
    // Right neighbour for x <= n - 2.
    let r1 = x1.min(n - 1).max(x0);
    for ((o, &a), &b) in g[..r1 - x0].iter_mut().zip(&c[x0..r1]).zip(&c[x0 + 1..]) {
        *o = (*o).max(absdiff(a, b));
    }
}

/// Pixels per block of the selection pass.
const BLOCK: usize = 32;

/// Pixels `x0..x1` (at most [`BLOCK`]) of one row of [`diff_mask3_edge`], into
/// `out[..x1 - x0]` (`out` is relative to `x0`).
///
/// `lut[0]` is the smallest limit (the limits grow with the gradient), so a vectorised
/// `min(|c - p1|, |c - p2|) > lut[0]` test first finds whether any pixel of the block can fire;
/// only such blocks compute the gradient and pay for the table lookups (a still scene has few).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn edge_block(
    p2: &[u8],
    p1: &[u8],
    up: &[u8],
    c: &[u8],
    down: &[u8],
    x0: usize,
    x1: usize,
    lut: &[u8; 256],
    out: &mut [u8],
) {
    let lo = lut[0];
    let mut m = [0u8; BLOCK];
    let mut any = 0u8;
    for (((mo, &a), &b), &x) in m.iter_mut().zip(&p2[x0..x1]).zip(&p1[x0..x1]).zip(&c[x0..x1]) {
        let d = absdiff(a, x).min(absdiff(b, x));
        *mo = d;
        any |= (d > lo) as u8;
    }
    let out = &mut out[..x1 - x0];
    if any == 0 {
        out.fill(0);
        return;
    }
    let mut g = [0u8; BLOCK];
    grad_span(up, c, down, x0, x1, &mut g);
    for ((o, &d), &gx) in out.iter_mut().zip(&m).zip(&g) {
        *o = (d > lut[gx as usize]) as u8;
    }
}

avx2_dispatch! {
    /// One row of [`diff_mask3_edge`], block by block.
    fn edge_row(
        p2: &[u8],
        p1: &[u8],
        up: &[u8],
        c: &[u8],
        down: &[u8],
        lut: &[u8; 256],
        out: &mut [u8],
    ) {
        let n = c.len();
        let full = n - n % BLOCK;
        let mut x0 = 0;
        while x0 < full {
            edge_block(p2, p1, up, c, down, x0, x0 + BLOCK, lut, &mut out[x0..]);
            x0 += BLOCK;
        }
        if full < n {
            edge_block(p2, p1, up, c, down, full, n, lut, &mut out[full..]);
        }
    }
}

/// True when the limit table does not depend on the gradient (e.g. `edge_k == 0`): then the
/// mask is the plain three-frame difference with `t = lut[0]` and `G` need not be computed.
#[inline]
fn limit_is_flat(lut: &[u8; 256]) -> bool {
    lut.iter().all(|&l| l == lut[0])
}

/// Edge-aware three-frame difference (grey, row-major `h x w`), for shake compensation.
///
/// `G[i]` is the largest absolute grey difference between `cur[i]` and its 4-neighbours inside
/// the image (0 for a 1x1 image); `out[i] = |cur[i] - p1[i]| > lim && |cur[i] - p2[i]| > lim`
/// with `lim = threshold + edge_k * G[i]` (f64). Requires `threshold >= 0` and `edge_k >= 0`
/// (the limit then grows with `G`). With a limit that does not depend on `G` (e.g.
/// `edge_k == 0`) this is [`diff_mask3`] with `t = floor(threshold)`.
///
/// One pass over the rows in blocks of 32 pixels, no heap allocation.
#[allow(clippy::too_many_arguments)]
pub fn diff_mask3_edge(
    p2: &[u8],
    p1: &[u8],
    cur: &[u8],
    h: usize,
    w: usize,
    threshold: f64,
    edge_k: f64,
    out: &mut [u8],
) {
    let n = h * w;
    assert!(p2.len() == n && p1.len() == n && cur.len() == n && out.len() == n);
    if n == 0 {
        return;
    }
    let lut = edge_limits(threshold, edge_k);
    if limit_is_flat(&lut) {
        // The limit does not depend on the gradient: plain three-frame difference.
        diff3_grey(p1, cur, p2, lut[0], out);
        return;
    }
    for y in 0..h {
        let row = y * w..(y + 1) * w;
        let c = &cur[row.clone()];
        let up = if y > 0 { &cur[row.start - w..row.start] } else { c };
        let down = if y + 1 < h { &cur[row.end..row.end + w] } else { c };
        edge_row(&p2[row.clone()], &p1[row.clone()], up, c, down, &lut, &mut out[row]);
    }
}

/// Pixel range `floor(lo) .. ceil(hi)` of one box axis, clipped to `0..n`.
///
/// Returns `(a, b)` with `a < b <= n`, or `(0, 0)` when the range is empty: `hi <= lo`, the box
/// lies outside `0..n`, or a coordinate is NaN. Infinite and huge coordinates are clipped.
pub fn box_span(lo: f64, hi: f64, n: usize) -> (usize, usize) {
    if lo.is_nan() || hi.is_nan() {
        return (0, 0);
    }
    let nf = n as f64;
    // Both values are integral and inside [0, n] after the clamp, so the casts are exact.
    let a = lo.floor().clamp(0.0, nf) as usize;
    let b = hi.ceil().clamp(0.0, nf) as usize;
    if a < b {
        (a, b)
    } else {
        (0, 0)
    }
}

/// Number of set pixels `x0..x1` of one row of [`diff_mask3_edge`] (rows as in [`edge_row`]).
///
/// With a flat limit table only `min(|c - p1|, |c - p2|) > lut[0]` is counted (the plain
/// three-frame difference, as [`diff_mask3_edge`] does); otherwise the span goes through
/// [`edge_block`] in blocks of [`BLOCK`] pixels, whose gradient reads the neighbours in the
/// whole row and in `up`/`down`, also outside `x0..x1`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn edge_span_count(
    p2: &[u8],
    p1: &[u8],
    up: &[u8],
    c: &[u8],
    down: &[u8],
    x0: usize,
    x1: usize,
    lut: &[u8; 256],
    flat: bool,
) -> u64 {
    if flat {
        let t = lut[0];
        let mut n = 0u32;
        for ((&a, &b), &x) in p2[x0..x1].iter().zip(&p1[x0..x1]).zip(&c[x0..x1]) {
            n += (absdiff(a, x).min(absdiff(b, x)) > t) as u32;
        }
        return n as u64;
    }
    let mut buf = [0u8; BLOCK];
    let mut n = 0u64;
    let mut a = x0;
    while a < x1 {
        let b = (a + BLOCK).min(x1);
        edge_block(p2, p1, up, c, down, a, b, lut, &mut buf);
        n += buf[..b - a].iter().map(|&v| v as u32).sum::<u32>() as u64;
        a = b;
    }
    n
}

avx2_dispatch! {
    /// Set pixels of [`diff_mask3_edge`] in rows `r0..r1`, columns `c0..c1` (inside the image).
    fn box_count(
        p2: &[u8],
        p1: &[u8],
        cur: &[u8],
        h: usize,
        w: usize,
        cols: (usize, usize),
        rows: (usize, usize),
        lut: &[u8; 256],
        flat: bool,
    ) -> u64 {
        let (c0, c1) = cols;
        let mut n = 0u64;
        for y in rows.0..rows.1 {
            let row = y * w..(y + 1) * w;
            let c = &cur[row.clone()];
            let up = if y > 0 { &cur[row.start - w..row.start] } else { c };
            let down = if y + 1 < h { &cur[row.end..row.end + w] } else { c };
            n += edge_span_count(&p2[row.clone()], &p1[row], up, c, down, c0, c1, lut, flat);
        }
        n
    }
}

/// Per-box pixel counts of [`diff_mask3_edge`] without computing the full-frame mask.
///
/// `boxes[k] = [x0, y0, x1, y1]` (pixel coordinates, end-exclusive); box `k` covers columns
/// [`box_span`]`(x0, x1, w)` and rows `box_span(y0, y1, h)`, and `out[k]` is the number of
/// pixels there whose `diff_mask3_edge(p2, p1, cur, h, w, threshold, edge_k)` value is 1.
/// The gradient `G` of `cur` uses the 4-neighbours inside the whole image, so pixels on a box
/// border count exactly as in the full-frame mask. The same [`edge_limits`] table and
/// [`edge_block`] code as [`diff_mask3_edge`] decide each pixel. Only the boxes' rows and
/// columns are read; no heap allocation. Overlapping boxes each count their own pixels.
#[allow(clippy::too_many_arguments)]
pub fn diff3_count_in_boxes(
    p2: &[u8],
    p1: &[u8],
    cur: &[u8],
    h: usize,
    w: usize,
    threshold: f64,
    edge_k: f64,
    boxes: &[[f64; 4]],
    out: &mut [i64],
) {
    let n = h * w;
    assert!(p2.len() == n && p1.len() == n && cur.len() == n && out.len() == boxes.len());
    let lut = edge_limits(threshold, edge_k);
    let flat = limit_is_flat(&lut);
    for (o, b) in out.iter_mut().zip(boxes) {
        let cols = box_span(b[0], b[2], w);
        let rows = box_span(b[1], b[3], h);
        *o = if cols.0 < cols.1 && rows.0 < rows.1 {
            box_count(p2, p1, cur, h, w, cols, rows, &lut, flat) as i64
        } else {
            0
        };
    }
}

/// Pixels `x0..x1` of one row of [`diff_mask3_edge`] into `out[..x1 - x0]` (rows as in
/// [`edge_row`], decided as in [`edge_span_count`]).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn edge_span_mask(
    p2: &[u8],
    p1: &[u8],
    up: &[u8],
    c: &[u8],
    down: &[u8],
    x0: usize,
    x1: usize,
    lut: &[u8; 256],
    flat: bool,
    out: &mut [u8],
) {
    if flat {
        let t = lut[0];
        for (((o, &a), &b), &x) in out[..x1 - x0]
            .iter_mut()
            .zip(&p2[x0..x1])
            .zip(&p1[x0..x1])
            .zip(&c[x0..x1])
        {
            *o = (absdiff(a, x).min(absdiff(b, x)) > t) as u8;
        }
        return;
    }
    let mut a = x0;
    while a < x1 {
        let b = (a + BLOCK).min(x1);
        edge_block(p2, p1, up, c, down, a, b, lut, &mut out[a - x0..]);
        a = b;
    }
}

avx2_dispatch! {
    /// Rows `r0..r1`, columns `c0..c1` (inside the image) of [`diff_mask3_edge`], packed into
    /// `mask` (resized to the window) through the byte row `row`; returns whether any is set.
    fn window_mask(
        p2: &[u8],
        p1: &[u8],
        cur: &[u8],
        h: usize,
        w: usize,
        cols: (usize, usize),
        rows: (usize, usize),
        lut: &[u8; 256],
        flat: bool,
        row: &mut Vec<u8>,
        mask: &mut BitMask,
    ) -> bool {
        let (c0, c1) = cols;
        mask.resize(rows.1 - rows.0, c1 - c0);
        row.clear();
        row.resize(c1 - c0, 0);
        let mut any = false;
        for y in rows.0..rows.1 {
            let r = y * w..(y + 1) * w;
            let c = &cur[r.clone()];
            let up = if y > 0 { &cur[r.start - w..r.start] } else { c };
            let down = if y + 1 < h { &cur[r.end..r.end + w] } else { c };
            edge_span_mask(&p2[r.clone()], &p1[r], up, c, down, c0, c1, lut, flat, row);
            let dst = mask.row_mut(y - rows.0);
            pack_row(row, dst);
            any |= dst.iter().any(|&v| v != 0);
        }
        any
    }
}

/// Pixel range `floor(lo) - margin .. ceil(hi) + margin` of one box axis, clipped to `0..n`.
///
/// Returns `(a, b)` with `a < b <= n`, or `(0, 0)` when the range is empty or a coordinate is
/// NaN. With `margin == 0` this is [`box_span`]. Integer arithmetic after the rounding, so a
/// huge margin or coordinate only clips.
pub fn window_span(lo: f64, hi: f64, margin: usize, n: usize) -> (usize, usize) {
    if lo.is_nan() || hi.is_nan() {
        return (0, 0);
    }
    // 2^62: exact in f64 and far from overflow after adding a margin of at most 2^61.
    const LIM: f64 = 4_611_686_018_427_387_904.0;
    let m = margin.min(1 << 61) as i64;
    let n = n as i64;
    let a = (lo.floor().clamp(-LIM, LIM) as i64 - m).clamp(0, n);
    let b = (hi.ceil().clamp(-LIM, LIM) as i64 + m).clamp(0, n);
    if a < b {
        (a as usize, b as usize)
    } else {
        (0, 0)
    }
}

/// Reusable buffers of [`diff3_blob_in_boxes`]: one byte row, one packed window mask and the
/// labeller's tables, grown on demand and kept across boxes (and calls).
#[derive(Default, Debug, Clone)]
pub struct BlobScratch {
    row: Vec<u8>,
    mask: BitMask,
    labeller: Labeller,
    blobs: Blobs,
}

/// Whether some 8-connected blob of [`diff_mask3_edge`], labelled inside a window around each
/// box, has its centroid in the box grown by one pixel up and left.
///
/// Box `k` = `[x0, y0, x1, y1]` (pixel coordinates, end-exclusive). Its window is columns
/// [`window_span`]`(x0, x1, margin, w)` and rows `window_span(y0, y1, margin, h)`: the box's
/// pixel span (as in [`diff3_count_in_boxes`]) grown by `margin` pixels on every side, clipped
/// to the image. The mask on the window is exactly the full-frame
/// `diff_mask3_edge(p2, p1, cur, h, w, threshold, edge_k)` there (gradient from the
/// 4-neighbours in the whole image); it is labelled with 8-connectivity as a separate image,
/// so blobs crossing the window border are cut there. `out[k]` is true iff a blob's centroid
/// `(cx, cy)` (mean pixel x and y, pixel centres at integer image coordinates, computed as
/// `sum / area` in f64 like the labeller's `label_stats`) satisfies
/// `x0 - 1 <= cx <= x1 && y0 - 1 <= cy <= y1`. An empty window gives false.
///
/// `valid = Some([x0, y0, x1, y1])` (pixel indices, end-exclusive, clipped to the image)
/// is the region where the difference is meaningful: pixels outside it are off, exactly as if
/// the full-frame mask had been zeroed outside `valid` before the windowing and labelling.
/// Each window is intersected with `valid` (the gradient still reads the real 4-neighbours
/// in the whole image); an empty intersection gives false. `None` is the whole image.
///
/// With a window that covers the whole image the answer equals the full-frame test exactly
/// (on the mask zeroed outside `valid`).
/// No full-frame buffer: only the windows' rows and columns (plus a one-pixel ring for the
/// gradient) are read, and the scratch buffers are sized by the largest window.
#[allow(clippy::too_many_arguments)]
pub fn diff3_blob_in_boxes(
    p2: &[u8],
    p1: &[u8],
    cur: &[u8],
    h: usize,
    w: usize,
    threshold: f64,
    edge_k: f64,
    boxes: &[[f64; 4]],
    margin: usize,
    valid: Option<[usize; 4]>,
    scratch: &mut BlobScratch,
    out: &mut [bool],
) {
    let n = h * w;
    assert!(p2.len() == n && p1.len() == n && cur.len() == n && out.len() == boxes.len());
    let lut = edge_limits(threshold, edge_k);
    let flat = limit_is_flat(&lut);
    let [vx0, vy0, vx1, vy1] = valid.unwrap_or([0, 0, w, h]);
    let (vx1, vy1) = (vx1.min(w), vy1.min(h));
    let s = scratch;
    for (o, b) in out.iter_mut().zip(boxes) {
        *o = false;
        let cols = window_span(b[0], b[2], margin, w);
        let rows = window_span(b[1], b[3], margin, h);
        // Intersect with `valid` (pixels outside it are off, so they join no blob).
        let cols = (cols.0.max(vx0), cols.1.min(vx1));
        let rows = (rows.0.max(vy0), rows.1.min(vy1));
        if cols.0 >= cols.1 || rows.0 >= rows.1 {
            continue;
        }
        if !window_mask(
            p2,
            p1,
            cur,
            h,
            w,
            cols,
            rows,
            &lut,
            flat,
            &mut s.row,
            &mut s.mask,
        ) {
            continue;
        }
        s.labeller.label(&s.mask, true, None, &mut s.blobs);
        let (gx, gy) = (cols.0 as u64, rows.0 as u64);
        let (lx, hx, ly, hy) = (b[0] - 1.0, b[2], b[1] - 1.0, b[3]);
        for (&area, c) in s.blobs.area.iter().zip(&s.blobs.centroid) {
            let a = area as u64;
            // The labeller keeps the exact integer coordinate sums but hands out
            // `sum / area`; `round(centroid * area)` recovers the sum exactly (sums stay far
            // below 2^51 for any window that fits in memory). Shifting the integer sums to image
            // coordinates before the division gives the full-frame centroid bit for bit.
            let sx = (c[0] * area as f64).round() as u64 + gx * a;
            let sy = (c[1] * area as f64).round() as u64 + gy * a;
            let cx = sx as f64 / a as f64;
            let cy = sy as f64 / a as f64;
            if lx <= cx && cx <= hx && ly <= cy && cy <= hy {
                *o = true;
                break;
            }
        }
    }
}

/// Two-frame difference mask for `channels` = 1 or 3 interleaved channels.
pub fn diff_mask(prev: &[u8], cur: &[u8], channels: usize, t: u8, out: &mut [u8]) {
    if channels == 3 {
        diff_rgb(prev, cur, t, out)
    } else {
        diff_grey(prev, cur, t, out)
    }
}

/// Three-frame difference mask for `channels` = 1 or 3.
pub fn diff_mask3(prev: &[u8], cur: &[u8], nxt: &[u8], channels: usize, t: u8, out: &mut [u8]) {
    if channels == 3 {
        diff3_rgb(prev, cur, nxt, t, out)
    } else {
        diff3_grey(prev, cur, nxt, t, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grey_and_rgb() {
        let a = [0u8, 10, 200, 255];
        let b = [5u8, 10, 100, 0];
        let mut o = [9u8; 4];
        diff_mask(&a, &b, 1, 5, &mut o);
        assert_eq!(o, [0, 0, 1, 1]);
        let a = [0u8, 0, 0, 9, 9, 9];
        let b = [0u8, 7, 0, 9, 9, 9];
        let mut o = [9u8; 2];
        diff_mask(&a, &b, 3, 6, &mut o);
        assert_eq!(o, [1, 0]);
    }

    #[test]
    fn three_frame() {
        let a = [0u8, 0, 0];
        let b = [50u8, 50, 0];
        let c = [0u8, 50, 50];
        let mut o = [9u8; 3];
        diff_mask3(&a, &b, &c, 1, 10, &mut o);
        assert_eq!(o, [1, 0, 0]);
    }

    /// Tiny deterministic generator (xorshift) for test images.
    fn rand_bytes(n: usize, seed: &mut u64, levels: u8) -> Vec<u8> {
        (0..n)
            .map(|_| {
                *seed ^= *seed << 13;
                *seed ^= *seed >> 7;
                *seed ^= *seed << 17;
                ((*seed >> 24) % levels as u64) as u8 * (255 / (levels - 1).max(1))
            })
            .collect()
    }

    /// Direct transcription of the definition, in f64 and i32.
    fn edge_ref(p2: &[u8], p1: &[u8], c: &[u8], h: usize, w: usize, t: f64, k: f64) -> Vec<u8> {
        let at = |y: usize, x: usize| c[y * w + x] as i32;
        let mut out = vec![0u8; h * w];
        for y in 0..h {
            for x in 0..w {
                let v = at(y, x);
                let mut g = 0i32;
                if y > 0 {
                    g = g.max((v - at(y - 1, x)).abs());
                }
                if y + 1 < h {
                    g = g.max((v - at(y + 1, x)).abs());
                }
                if x > 0 {
                    g = g.max((v - at(y, x - 1)).abs());
                }
                if x + 1 < w {
                    g = g.max((v - at(y, x + 1)).abs());
                }
                let lim = t + k * g as f64;
                let i = y * w + x;
                let d1 = (v - p1[i] as i32).abs() as f64;
                let d2 = (v - p2[i] as i32).abs() as f64;
                out[i] = (d1 > lim && d2 > lim) as u8;
            }
        }
        out
    }

    #[test]
    fn edge_matches_definition() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let shapes = [(1, 1), (1, 7), (7, 1), (2, 2), (3, 5), (17, 33), (40, 70)];
        let params = [(0.0, 0.0), (10.0, 0.0), (12.5, 0.3), (0.0, 0.5), (3.7, 1.7), (254.5, 0.1)];
        for &(h, w) in &shapes {
            for levels in [2u8, 5, 255] {
                let p2 = rand_bytes(h * w, &mut seed, levels);
                let p1 = rand_bytes(h * w, &mut seed, levels);
                let c = rand_bytes(h * w, &mut seed, levels);
                for &(t, k) in &params {
                    let mut o = vec![9u8; h * w];
                    diff_mask3_edge(&p2, &p1, &c, h, w, t, k, &mut o);
                    assert_eq!(o, edge_ref(&p2, &p1, &c, h, w, t, k), "{h}x{w} t={t} k={k}");
                }
            }
        }
    }

    #[test]
    fn edge_k_zero_is_diff3_and_empty_is_fine() {
        let mut seed = 42u64;
        let (h, w) = (9, 13);
        let p2 = rand_bytes(h * w, &mut seed, 255);
        let p1 = rand_bytes(h * w, &mut seed, 255);
        let c = rand_bytes(h * w, &mut seed, 255);
        for t in [0u8, 1, 30, 254, 255] {
            let mut a = vec![0u8; h * w];
            let mut b = vec![0u8; h * w];
            diff_mask3_edge(&p2, &p1, &c, h, w, t as f64, 0.0, &mut a);
            diff_mask3(&p1, &c, &p2, 1, t, &mut b);
            assert_eq!(a, b, "t={t}");
        }
        let mut o: Vec<u8> = vec![];
        diff_mask3_edge(&[], &[], &[], 0, 5, 1.0, 1.0, &mut o);
        diff_mask3_edge(&[], &[], &[], 5, 0, 1.0, 1.0, &mut o);
        // An edge of height 200 next to a change of 60 is masked by edge_k = 0.5.
        let c = [0u8, 200];
        let p = [60u8, 200];
        let mut o = [9u8; 2];
        diff_mask3_edge(&p, &p, &c, 1, 2, 10.0, 0.0, &mut o);
        assert_eq!(o, [1, 0]);
        diff_mask3_edge(&p, &p, &c, 1, 2, 10.0, 0.5, &mut o);
        assert_eq!(o, [0, 0]);
    }

    /// Sum of `mask[r0..r1, c0..c1]` with the spans of [`box_span`].
    fn slice_sum(mask: &[u8], h: usize, w: usize, b: &[f64; 4]) -> i64 {
        let (c0, c1) = box_span(b[0], b[2], w);
        let (r0, r1) = box_span(b[1], b[3], h);
        let mut s = 0i64;
        for y in r0..r1 {
            s += mask[y * w + c0..y * w + c1]
                .iter()
                .map(|&v| v as i64)
                .sum::<i64>();
        }
        s
    }

    #[test]
    fn box_span_clips_and_rounds_outward() {
        assert_eq!(box_span(1.5, 3.2, 10), (1, 4));
        assert_eq!(box_span(-5.0, 3.0, 10), (0, 3));
        assert_eq!(box_span(2.0, 2.0, 10), (0, 0));
        assert_eq!(box_span(2.0, 2.1, 10), (2, 3));
        assert_eq!(box_span(5.0, 1.0, 10), (0, 0));
        assert_eq!(box_span(10.0, 20.0, 10), (0, 0));
        assert_eq!(box_span(9.99, 20.0, 10), (9, 10));
        assert_eq!(box_span(-1e300, 1e300, 10), (0, 10));
        assert_eq!(box_span(f64::NEG_INFINITY, f64::INFINITY, 7), (0, 7));
        assert_eq!(box_span(f64::NAN, 5.0, 10), (0, 0));
        assert_eq!(box_span(0.0, 5.0, 0), (0, 0));
        assert_eq!(box_span(-3.0, -1.0, 10), (0, 0));
    }

    #[test]
    fn box_counts_equal_mask_slices() {
        let mut seed = 0x0123_4567_89AB_CDEFu64;
        let shapes = [(1, 1), (1, 9), (9, 1), (2, 3), (7, 5), (19, 41), (33, 70)];
        let params = [
            (0.0, 0.0),
            (10.0, 0.0),
            (12.5, 0.3),
            (0.0, 0.5),
            (3.7, 1.7),
            (255.0, 0.0),
        ];
        for &(h, w) in &shapes {
            for levels in [2u8, 5, 255] {
                let p2 = rand_bytes(h * w, &mut seed, levels);
                let p1 = rand_bytes(h * w, &mut seed, levels);
                let c = rand_bytes(h * w, &mut seed, levels);
                let (hf, wf) = (h as f64, w as f64);
                let mut boxes = vec![
                    [0.0, 0.0, wf, hf],
                    [-3.0, -2.0, wf + 4.0, hf + 1.5],
                    [wf * 0.3, hf * 0.25, wf * 0.8 + 0.4, hf * 0.9],
                    [0.5, 0.5, 1.5, 1.5],
                    [wf - 1.0, hf - 1.0, wf, hf],
                    [wf, 0.0, wf + 3.0, hf],
                    [2.0, 1.0, 1.0, 3.0],
                    [f64::NEG_INFINITY, 0.0, f64::INFINITY, 1.0],
                ];
                for _ in 0..6 {
                    let r = rand_bytes(4, &mut seed, 255);
                    let x0 = r[0] as f64 / 255.0 * (wf + 4.0) - 2.0;
                    let y0 = r[1] as f64 / 255.0 * (hf + 4.0) - 2.0;
                    boxes.push([x0, y0, x0 + r[2] as f64 / 10.0, y0 + r[3] as f64 / 10.0]);
                }
                for &(t, k) in &params {
                    let want = edge_ref(&p2, &p1, &c, h, w, t, k);
                    let mut full = vec![0u8; h * w];
                    diff_mask3_edge(&p2, &p1, &c, h, w, t, k, &mut full);
                    assert_eq!(full, want);
                    let mut got = vec![-1i64; boxes.len()];
                    diff3_count_in_boxes(&p2, &p1, &c, h, w, t, k, &boxes, &mut got);
                    for (b, &g) in boxes.iter().zip(&got) {
                        assert_eq!(
                            g,
                            slice_sum(&want, h, w, b),
                            "{h}x{w} t={t} k={k} box={b:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn box_counts_border_gradient_and_degenerate_inputs() {
        // A lone change at column 5 of a 1 x 10 row; its right neighbour (outside the box
        // 0..6) is an edge of height 200 that raises the limit: the box must see it.
        let mut c = [0u8; 10];
        c[5] = 100;
        c[6] = 255;
        let p = [0u8; 10];
        let mut o = [9i64; 2];
        let boxes = [[0.0, 0.0, 6.0, 1.0], [5.0, 0.0, 6.0, 1.0]];
        diff3_count_in_boxes(&p, &p, &c, 1, 10, 50.0, 0.0, &boxes, &mut o);
        assert_eq!(o, [1, 1]);
        diff3_count_in_boxes(&p, &p, &c, 1, 10, 50.0, 0.5, &boxes, &mut o);
        assert_eq!(o, [0, 0]);
        // Empty images and no boxes.
        let mut o = [9i64; 1];
        diff3_count_in_boxes(
            &[],
            &[],
            &[],
            0,
            5,
            1.0,
            1.0,
            &[[0.0, 0.0, 5.0, 5.0]],
            &mut o,
        );
        assert_eq!(o, [0]);
        diff3_count_in_boxes(
            &[],
            &[],
            &[],
            5,
            0,
            1.0,
            0.0,
            &[[0.0, 0.0, 5.0, 5.0]],
            &mut o,
        );
        assert_eq!(o, [0]);
        diff3_count_in_boxes(&[1], &[1], &[9], 1, 1, 1.0, 0.0, &[], &mut []);
        let b = [[f64::NAN, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0]];
        let mut o = [9i64; 2];
        diff3_count_in_boxes(&[1], &[1], &[9], 1, 1, 1.0, 5.0, &b, &mut o);
        assert_eq!(o, [0, 1]);
    }

    /// Window-blob oracle: crop `mask` to the window, flood-fill it (8-connectivity) and test
    /// each component's centroid (integer sums in image coordinates, then one division).
    fn blob_ref(mask: &[u8], h: usize, w: usize, b: &[f64; 4], margin: usize) -> bool {
        let (c0, c1) = window_span(b[0], b[2], margin, w);
        let (r0, r1) = window_span(b[1], b[3], margin, h);
        let (ww, wh) = (c1 - c0, r1 - r0);
        let mut seen = vec![false; ww * wh];
        for start in 0..ww * wh {
            let (sy0, sx0) = (start / ww, start % ww);
            if seen[start] || mask[(r0 + sy0) * w + c0 + sx0] == 0 {
                continue;
            }
            seen[start] = true;
            let mut stack = vec![start];
            let (mut n, mut sx, mut sy) = (0u64, 0u64, 0u64);
            while let Some(k) = stack.pop() {
                let (y, x) = (k / ww, k % ww);
                n += 1;
                sx += (c0 + x) as u64;
                sy += (r0 + y) as u64;
                for yy in y.saturating_sub(1)..(y + 2).min(wh) {
                    for xx in x.saturating_sub(1)..(x + 2).min(ww) {
                        let kk = yy * ww + xx;
                        if !seen[kk] && mask[(r0 + yy) * w + c0 + xx] != 0 {
                            seen[kk] = true;
                            stack.push(kk);
                        }
                    }
                }
            }
            let (cx, cy) = (sx as f64 / n as f64, sy as f64 / n as f64);
            if b[0] - 1.0 <= cx && cx <= b[2] && b[1] - 1.0 <= cy && cy <= b[3] {
                return true;
            }
        }
        false
    }

    #[test]
    fn window_span_is_box_span_grown() {
        for &(lo, hi) in &[
            (1.5, 3.2),
            (-5.0, 3.0),
            (2.0, 2.0),
            (9.99, 20.0),
            (5.0, 1.0),
        ] {
            assert_eq!(window_span(lo, hi, 0, 10), box_span(lo, hi, 10));
        }
        assert_eq!(window_span(1.5, 3.2, 2, 10), (0, 6));
        assert_eq!(window_span(4.5, 5.2, 2, 10), (2, 8));
        assert_eq!(window_span(12.0, 13.0, 3, 10), (9, 10));
        assert_eq!(window_span(5.0, 4.0, 1, 10), (4, 5));
        assert_eq!(window_span(-1e300, 1e300, usize::MAX, 10), (0, 10));
        assert_eq!(window_span(1e300, 2e300, usize::MAX, 10), (0, 0));
        assert_eq!(window_span(1e9, 2e9, usize::MAX, 10), (0, 10));
        assert_eq!(window_span(f64::NAN, 1.0, 5, 10), (0, 0));
        assert_eq!(window_span(0.0, 1.0, 5, 0), (0, 0));
    }

    #[test]
    fn blob_in_boxes_matches_window_labelling() {
        let mut seed = 0xDEAD_BEEF_1234_5678u64;
        let shapes = [(1, 1), (1, 9), (9, 1), (3, 5), (19, 41), (33, 70)];
        let params = [(0.0, 0.0), (10.0, 0.0), (12.5, 0.3), (3.7, 1.7)];
        let mut scratch = BlobScratch::default();
        let mut lb = Labeller::new();
        for &(h, w) in &shapes {
            for levels in [2u8, 5, 255] {
                let p2 = rand_bytes(h * w, &mut seed, levels);
                let p1 = rand_bytes(h * w, &mut seed, levels);
                let c = rand_bytes(h * w, &mut seed, levels);
                let (hf, wf) = (h as f64, w as f64);
                let mut boxes = vec![
                    [0.0, 0.0, wf, hf],
                    [-3.0, -2.0, wf + 4.0, hf + 1.5],
                    [0.5, 0.5, 1.5, 1.5],
                    [wf, 0.0, wf + 3.0, hf],
                    [2.0, 1.0, 1.0, 3.0],
                    [f64::NAN, 0.0, 1.0, 1.0],
                ];
                for _ in 0..8 {
                    let r = rand_bytes(4, &mut seed, 255);
                    let x0 = r[0] as f64 / 255.0 * (wf + 4.0) - 2.0;
                    let y0 = r[1] as f64 / 255.0 * (hf + 4.0) - 2.0;
                    boxes.push([x0, y0, x0 + r[2] as f64 / 20.0, y0 + r[3] as f64 / 20.0]);
                }
                let r = rand_bytes(4, &mut seed, 255);
                let (ra, rb) = (r[0] as usize % (w + 2), r[1] as usize % (h + 2));
                let (rc, rd) = (ra + r[2] as usize % w, rb + r[3] as usize % h);
                let valids = [
                    None,
                    Some([0, 0, w, h]),
                    Some([0, 0, usize::MAX, usize::MAX]),
                    Some([ra, rb, rc, rd]),
                    Some([1, 1, w.saturating_sub(1), h.saturating_sub(1)]),
                    Some([w / 2, 0, w / 2, h]),
                    Some([w + 3, 0, w + 9, h]),
                ];
                for &(t, k) in &params {
                    let full_mask = edge_ref(&p2, &p1, &c, h, w, t, k);
                    for &valid in &valids {
                        // The definition: the full-frame mask zeroed outside `valid`.
                        let mut mask = full_mask.clone();
                        if let Some([x0, y0, x1, y1]) = valid {
                            for (i, v) in mask.iter_mut().enumerate() {
                                let (y, x) = (i / w, i % w);
                                if !(x0 <= x && x < x1 && y0 <= y && y < y1) {
                                    *v = 0;
                                }
                            }
                        }
                        // Full-frame centroids from the crate's labeller, for the big margins.
                        let mut m = BitMask::default();
                        super::super::bits::pack(&mask, h, w, &mut m);
                        let mut bl = Blobs::default();
                        lb.label(&m, true, None, &mut bl);
                        for margin in [0usize, 1, 3, 100, usize::MAX] {
                            let mut got = vec![false; boxes.len()];
                            diff3_blob_in_boxes(
                                &p2,
                                &p1,
                                &c,
                                h,
                                w,
                                t,
                                k,
                                &boxes,
                                margin,
                                valid,
                                &mut scratch,
                                &mut got,
                            );
                            for (b, &g) in boxes.iter().zip(&got) {
                                let want = blob_ref(&mask, h, w, b, margin);
                                assert_eq!(
                                    g, want,
                                    "{h}x{w} t={t} k={k} m={margin} v={valid:?} box={b:?}"
                                );
                                if margin >= 100 && !b[0].is_nan() {
                                    let full = bl.centroid.iter().any(|q| {
                                        b[0] - 1.0 <= q[0]
                                            && q[0] <= b[2]
                                            && b[1] - 1.0 <= q[1]
                                            && q[1] <= b[3]
                                    });
                                    assert_eq!(g, full, "{h}x{w} full frame v={valid:?} box={b:?}");
                                }
                            }
                        }
                    }
                }
            }
        }
        // Empty images and no boxes.
        let mut o = [true; 1];
        let bx = [[0.0, 0.0, 5.0, 5.0]];
        let sc = &mut scratch;
        diff3_blob_in_boxes(&[], &[], &[], 0, 5, 1.0, 1.0, &bx, 9, None, sc, &mut o);
        assert_eq!(o, [false]);
        diff3_blob_in_boxes(
            &[1],
            &[1],
            &[9],
            1,
            1,
            1.0,
            0.0,
            &[],
            0,
            None,
            &mut scratch,
            &mut [],
        );
    }

    #[test]
    fn blob_centroid_on_the_box_edge_and_cut_by_the_window() {
        // A horizontal bar at columns 2..=7 of row 1 (centroid x = 4.5, y = 1).
        let (h, w) = (3, 10);
        let mut c = vec![0u8; h * w];
        c[w + 2..w + 8].fill(200);
        let p = vec![0u8; h * w];
        let mut s = BlobScratch::default();
        let mut o = [false; 4];
        // Right edge exactly on the centroid; left edge - 1 exactly on it; just off each.
        let bx = [
            [0.0, 0.0, 4.5, 2.0],
            [5.5, 0.0, 9.0, 2.0],
            [0.0, 0.0, 4.4999, 2.0],
            [5.5001, 0.0, 9.0, 2.0],
        ];
        diff3_blob_in_boxes(&p, &p, &c, h, w, 10.0, 0.0, &bx, 99, None, &mut s, &mut o);
        assert_eq!(o, [true, true, false, false]);
        // Margin 0: the window of [6, 0, 8, 2] sees columns 6..8 only, whose cut blob has
        // centroid 6.5 (inside), though the whole bar's centroid 4.5 is outside.
        let bx = [[6.0, 0.0, 8.0, 2.0]];
        let mut o = [false; 1];
        diff3_blob_in_boxes(&p, &p, &c, h, w, 10.0, 0.0, &bx, 0, None, &mut s, &mut o);
        assert_eq!(o, [true]);
        diff3_blob_in_boxes(&p, &p, &c, h, w, 10.0, 0.0, &bx, 6, None, &mut s, &mut o);
        assert_eq!(o, [false]);
        // `valid` = columns 0..5: the bar is columns 2..=4 there (centroid 3.0), and columns
        // 5..7 count as off, whatever the margin.
        let bx = [[0.0, 0.0, 3.0, 2.0], [5.0, 0.0, 9.0, 2.0]];
        let mut o = [false; 2];
        diff3_blob_in_boxes(&p, &p, &c, h, w, 10.0, 0.0, &bx, 99, None, &mut s, &mut o);
        assert_eq!(o, [false, true]); // the whole bar: 4.5 is in [5 - 1, 9]
        let v = Some([0, 0, 5, 3]);
        diff3_blob_in_boxes(&p, &p, &c, h, w, 10.0, 0.0, &bx, 99, v, &mut s, &mut o);
        assert_eq!(o, [true, false]);
        // Rows 2.. only: no pixel of the bar; an inverted or outside `valid` is empty.
        for v in [[0, 2, 10, 3], [4, 0, 3, 3], [10, 0, 20, 3], [0, 3, 10, 9]] {
            let v = Some(v);
            diff3_blob_in_boxes(&p, &p, &c, h, w, 10.0, 0.0, &bx, 99, v, &mut s, &mut o);
            assert_eq!(o, [false, false], "{v:?}");
        }
        // The gradient reads neighbours outside `valid`: the edge at column 6 raises the limit
        // of column 5.
        let mut c = vec![0u8; 10];
        c[5] = 100;
        c[6] = 255;
        let p = vec![0u8; 10];
        let bx = [[5.0, 0.0, 6.0, 1.0]];
        let mut o = [false; 1];
        let v = Some([0, 0, 6, 1]);
        diff3_blob_in_boxes(&p, &p, &c, 1, 10, 50.0, 0.0, &bx, 0, v, &mut s, &mut o);
        assert_eq!(o, [true]);
        diff3_blob_in_boxes(&p, &p, &c, 1, 10, 50.0, 0.5, &bx, 0, v, &mut s, &mut o);
        assert_eq!(o, [false]);
    }

    #[test]
    fn edge_limits_are_exact() {
        let l = edge_limits(10.0, 0.5);
        assert_eq!((l[0], l[1], l[2], l[3]), (10, 10, 11, 11));
        assert_eq!(edge_limits(1e300, 0.0)[0], 255);
        assert_eq!(edge_limits(0.0, f64::MAX)[1], 255);
        assert_eq!(edge_limits(f64::NAN, 0.0)[0], 255);
    }
}
