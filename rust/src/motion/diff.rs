//! Frame differencing: `|cur - prev| > threshold` as a 0/1 byte mask.
use crate::avx2_dispatch;

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
}
