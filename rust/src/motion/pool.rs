//! Block mean-pooling ("box-sum downsample") of a grey image.
//!
//! `out[i, j]` is the rounded mean of the `f x f` block starting at `(i f, j f)`; the last
//! `H mod f` rows and `W mod f` columns are dropped. Averaging `f²` pixels divides
//! independent sensor noise by `f`, so a faint object at least `f` pixels wide stands out
//! `f` times more clearly in a difference of pooled frames than per pixel.

/// Output size of pooling an `h x w` image by `f`.
pub fn pooled_size(h: usize, w: usize, f: usize) -> (usize, usize) {
    if f == 0 {
        return (0, 0);
    }
    (h / f, w / f)
}

/// Mean-pool `img` (`h x w`, row-major grey) by `f` (1..=16) into `out` (`h/f x w/f`).
pub fn pool_mean(img: &[u8], h: usize, w: usize, f: usize, out: &mut [u8]) {
    let (oh, ow) = pooled_size(h, w, f);
    if oh == 0 || ow == 0 {
        return;
    }
    if f == 1 {
        for r in 0..oh {
            out[r * ow..(r + 1) * ow].copy_from_slice(&img[r * w..r * w + ow]);
        }
        return;
    }
    let n = (f * f) as u32;
    let half = n / 2;
    let mut acc = vec![0u32; ow];
    for r in 0..oh {
        acc.iter_mut().for_each(|a| *a = 0);
        for k in 0..f {
            let row = &img[(r * f + k) * w..(r * f + k) * w + ow * f];
            if f == 2 {
                for (a, p) in acc.iter_mut().zip(row.chunks_exact(2)) {
                    *a += p[0] as u32 + p[1] as u32;
                }
            } else if f == 4 {
                for (a, p) in acc.iter_mut().zip(row.chunks_exact(4)) {
                    *a += p[0] as u32 + p[1] as u32 + p[2] as u32 + p[3] as u32;
                }
            } else {
                for (a, p) in acc.iter_mut().zip(row.chunks_exact(f)) {
                    *a += p.iter().map(|&v| v as u32).sum::<u32>();
                }
            }
        }
        let orow = &mut out[r * ow..(r + 1) * ow];
        match f {
            2 => orow
                .iter_mut()
                .zip(&acc)
                .for_each(|(o, &a)| *o = ((a + 2) >> 2) as u8),
            4 => orow
                .iter_mut()
                .zip(&acc)
                .for_each(|(o, &a)| *o = ((a + 8) >> 4) as u8),
            _ => orow
                .iter_mut()
                .zip(&acc)
                .for_each(|(o, &a)| *o = ((a + half) / n) as u8),
        }
    }
}

/// Box mean at stride 1: `out[i, j]` is the rounded mean of the `k x k` block starting at
/// `(i, j)`; the output is `(h - k + 1) x (w - k + 1)` (empty when `k` exceeds a side). The
/// noise drops by `k` as with [`pool_mean`], at full positional resolution.
pub fn box_mean(img: &[u8], h: usize, w: usize, k: usize, out: &mut [u8]) {
    if k == 0 || k > h || k > w {
        return;
    }
    let (oh, ow) = (h - k + 1, w - k + 1);
    let n = (k * k) as u32;
    let half = n / 2;
    let mut col = vec![0u32; w]; // vertical sums of k rows
    for row in img.chunks_exact(w).take(k) {
        for (c, &v) in col.iter_mut().zip(row) {
            *c += v as u32;
        }
    }
    for i in 0..oh {
        if i > 0 {
            let (gone, new) = (&img[(i - 1) * w..i * w], &img[(i + k - 1) * w..(i + k) * w]);
            slide(&mut col, gone, new);
        }
        let orow = &mut out[i * ow..(i + 1) * ow];
        if k == 2 {
            // a constant shift instead of a division by the runtime `n`: vectorises
            for ((o, &a), &b) in orow.iter_mut().zip(&col[..ow]).zip(&col[1..]) {
                *o = ((a + b + 2) >> 2) as u8;
            }
        } else {
            let mut s: u32 = col[..k].iter().sum();
            orow[0] = ((s + half) / n) as u8;
            for j in 1..ow {
                s = s + col[j + k - 1] - col[j - 1];
                orow[j] = ((s + half) / n) as u8;
            }
        }
    }
}

crate::avx2_dispatch! {
    /// Move the vertical window sums one row down: add `new`, remove `gone`.
    fn slide(col: &mut [u32], gone: &[u8], new: &[u8]) {
        for ((c, &a), &b) in col.iter_mut().zip(gone).zip(new) {
            *c = *c + b as u32 - a as u32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(img: &[u8], h: usize, w: usize, f: usize) -> Vec<u8> {
        let (oh, ow) = pooled_size(h, w, f);
        let mut out = vec![0u8; oh * ow];
        for i in 0..oh {
            for j in 0..ow {
                let mut s = 0u32;
                for a in 0..f {
                    for b in 0..f {
                        s += img[(i * f + a) * w + j * f + b] as u32;
                    }
                }
                let n = (f * f) as u32;
                out[i * ow + j] = ((s + n / 2) / n) as u8;
            }
        }
        out
    }

    #[test]
    fn matches_naive() {
        for &(h, w) in &[(1usize, 1usize), (7, 9), (16, 33), (5, 2)] {
            let img: Vec<u8> = (0..h * w).map(|i| ((i * 37 + 11) % 256) as u8).collect();
            for f in 1..=5 {
                let (oh, ow) = pooled_size(h, w, f);
                let mut out = vec![0u8; oh * ow];
                pool_mean(&img, h, w, f, &mut out);
                assert_eq!(out, naive(&img, h, w, f), "h={h} w={w} f={f}");
            }
        }
    }

    #[test]
    fn box_matches_naive() {
        for &(h, w) in &[(1usize, 1usize), (7, 9), (16, 33), (5, 2)] {
            let img: Vec<u8> = (0..h * w).map(|i| ((i * 53 + 7) % 256) as u8).collect();
            for k in 1..=4 {
                if k > h || k > w {
                    continue;
                }
                let (oh, ow) = (h - k + 1, w - k + 1);
                let mut out = vec![0u8; oh * ow];
                box_mean(&img, h, w, k, &mut out);
                for i in 0..oh {
                    for j in 0..ow {
                        let mut s = 0u32;
                        for a in 0..k {
                            for b in 0..k {
                                s += img[(i + a) * w + j + b] as u32;
                            }
                        }
                        let n = (k * k) as u32;
                        assert_eq!(out[i * ow + j], ((s + n / 2) / n) as u8);
                    }
                }
            }
        }
    }

    #[test]
    fn all_max_stays_max() {
        let img = vec![255u8; 16 * 16];
        let mut out = vec![0u8; 16];
        pool_mean(&img, 16, 16, 4, &mut out);
        assert!(out.iter().all(|&v| v == 255));
        let mut out = vec![0u8; 1];
        pool_mean(&img, 16, 16, 16, &mut out);
        assert_eq!(out[0], 255);
    }
}
