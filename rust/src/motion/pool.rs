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
        for (o, &a) in out[r * ow..(r + 1) * ow].iter_mut().zip(&acc) {
            *o = ((a + half) / n) as u8;
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
