//! Bit-packed binary masks: one bit per pixel, rows padded to whole `u64` words.
//!
//! Bit `k` of word `j` in a row is pixel `x = 64 * j + k`. Padding bits beyond the width
//! are kept at zero between operations.

/// A packed binary mask of `h` rows by `w` columns.
#[derive(Clone, Debug, Default)]
pub struct BitMask {
    pub h: usize,
    pub w: usize,
    /// Words per row.
    pub nw: usize,
    pub words: Vec<u64>,
}

impl BitMask {
    pub fn new(h: usize, w: usize) -> Self {
        let mut m = BitMask::default();
        m.resize(h, w);
        m
    }

    /// Reshape (reusing the allocation); contents become unspecified-but-valid (zeroed).
    pub fn resize(&mut self, h: usize, w: usize) {
        self.h = h;
        self.w = w;
        self.nw = w.div_ceil(64);
        self.words.clear();
        self.words.resize(h * self.nw, 0);
    }

    #[inline]
    pub fn row(&self, y: usize) -> &[u64] {
        &self.words[y * self.nw..(y + 1) * self.nw]
    }

    #[inline]
    pub fn row_mut(&mut self, y: usize) -> &mut [u64] {
        let nw = self.nw;
        &mut self.words[y * nw..(y + 1) * nw]
    }

    /// Mask with the valid bits of the last word of a row.
    #[inline]
    pub fn tail_mask(&self) -> u64 {
        let r = self.w % 64;
        if r == 0 {
            !0
        } else {
            (1u64 << r) - 1
        }
    }

    /// Invert every pixel, keeping padding bits at zero.
    pub fn invert(&mut self) {
        let tail = self.tail_mask();
        let nw = self.nw;
        if nw == 0 {
            return;
        }
        for row in self.words.chunks_exact_mut(nw) {
            for v in row.iter_mut() {
                *v = !*v;
            }
            row[nw - 1] &= tail;
        }
    }

    pub fn get(&self, y: usize, x: usize) -> bool {
        (self.words[y * self.nw + x / 64] >> (x % 64)) & 1 == 1
    }

    pub fn count_ones(&self) -> u64 {
        self.words.iter().map(|v| v.count_ones() as u64).sum()
    }
}

/// Pack a row of bytes (nonzero = set) into words.
#[inline]
pub fn pack_row(src: &[u8], dst: &mut [u64]) {
    for (j, d) in dst.iter_mut().enumerate() {
        let start = j * 64;
        let end = (start + 64).min(src.len());
        *d = pack64(&src[start..end]);
    }
}

/// Pack up to 64 bytes (nonzero = 1) into one word.
#[inline]
fn pack64(src: &[u8]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        if src.len() == 64 {
            use std::arch::x86_64::*;
            let mut w = 0u64;
            // SAFETY: SSE2 is part of the x86-64 baseline; loads are unaligned and in bounds
            // (src has exactly 64 bytes).
            unsafe {
                let z = _mm_setzero_si128();
                for c in 0..4 {
                    let v = _mm_loadu_si128(src.as_ptr().add(16 * c) as *const __m128i);
                    let m = (_mm_movemask_epi8(_mm_cmpeq_epi8(v, z)) as u32 ^ 0xFFFF) as u64;
                    w |= m << (16 * c);
                }
            }
            return w;
        }
    }
    let mut w = 0u64;
    for (k, &b) in src.iter().enumerate() {
        w |= ((b != 0) as u64) << k;
    }
    w
}

/// Pack `|cur - prev| > t` of a grey row directly into words.
#[inline]
pub fn pack_diff_grey_row(prev: &[u8], cur: &[u8], t: u8, dst: &mut [u64]) {
    let w = prev.len().min(cur.len());
    for (j, d) in dst.iter_mut().enumerate() {
        let start = j * 64;
        let end = (start + 64).min(w);
        *d = pack_diff64(&prev[start..end], &cur[start..end], t);
    }
}

#[inline]
fn pack_diff64(a: &[u8], b: &[u8], t: u8) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        if a.len() == 64 && b.len() == 64 {
            use std::arch::x86_64::*;
            let mut w = 0u64;
            // SAFETY: SSE2 is baseline on x86-64; both slices hold exactly 64 bytes.
            unsafe {
                let z = _mm_setzero_si128();
                let tv = _mm_set1_epi8(t as i8);
                for c in 0..4 {
                    let va = _mm_loadu_si128(a.as_ptr().add(16 * c) as *const __m128i);
                    let vb = _mm_loadu_si128(b.as_ptr().add(16 * c) as *const __m128i);
                    let d = _mm_or_si128(_mm_subs_epu8(va, vb), _mm_subs_epu8(vb, va));
                    let over = _mm_subs_epu8(d, tv);
                    let m = (_mm_movemask_epi8(_mm_cmpeq_epi8(over, z)) as u32 ^ 0xFFFF) as u64;
                    w |= m << (16 * c);
                }
            }
            return w;
        }
    }
    let mut w = 0u64;
    for k in 0..a.len() {
        let d = a[k].max(b[k]) - a[k].min(b[k]);
        w |= ((d > t) as u64) << k;
    }
    w
}

/// 256-entry table: byte `b` spread to eight 0/1 bytes (little-endian).
const fn spread_table() -> [u64; 256] {
    let mut t = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut v = 0u64;
        let mut k = 0;
        while k < 8 {
            if (b >> k) & 1 == 1 {
                v |= 1u64 << (8 * k);
            }
            k += 1;
        }
        t[b] = v;
        b += 1;
    }
    t
}
static SPREAD: [u64; 256] = spread_table();

/// Unpack a row of words into 0/1 bytes (`dst.len()` = width).
#[inline]
pub fn unpack_row(src: &[u64], dst: &mut [u8]) {
    for (j, chunk) in dst.chunks_mut(64).enumerate() {
        let v = src[j];
        if chunk.len() == 64 {
            if v == 0 {
                chunk.fill(0);
                continue;
            }
            for (k, c8) in chunk.chunks_exact_mut(8).enumerate() {
                let bytes = SPREAD[((v >> (8 * k)) & 0xFF) as usize].to_le_bytes();
                c8.copy_from_slice(&bytes);
            }
        } else {
            for (k, c) in chunk.iter_mut().enumerate() {
                *c = ((v >> k) & 1) as u8;
            }
        }
    }
}

/// Pack a whole (h, w) byte mask.
pub fn pack(src: &[u8], h: usize, w: usize, dst: &mut BitMask) {
    dst.resize(h, w);
    if w == 0 {
        return;
    }
    for y in 0..h {
        pack_row(&src[y * w..(y + 1) * w], dst.row_mut(y));
    }
}

/// Unpack into a (h, w) 0/1 byte mask.
pub fn unpack(src: &BitMask, dst: &mut [u8]) {
    let w = src.w;
    if w == 0 {
        return;
    }
    for y in 0..src.h {
        unpack_row(src.row(y), &mut dst[y * w..(y + 1) * w]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: &mut u64) -> u64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *seed >> 33
    }

    #[test]
    fn roundtrip_odd_widths() {
        let mut s = 7u64;
        for &(h, w) in &[
            (1usize, 1usize),
            (3, 63),
            (2, 64),
            (5, 65),
            (4, 130),
            (1, 200),
        ] {
            let src: Vec<u8> = (0..h * w)
                .map(|_| (lcg(&mut s) % 3 == 0) as u8 * 7)
                .collect();
            let mut m = BitMask::default();
            pack(&src, h, w, &mut m);
            let mut out = vec![9u8; h * w];
            unpack(&m, &mut out);
            for i in 0..h * w {
                assert_eq!(out[i], (src[i] != 0) as u8);
            }
            m.invert();
            m.invert();
            let mut out2 = vec![9u8; h * w];
            unpack(&m, &mut out2);
            assert_eq!(out, out2);
        }
    }

    #[test]
    fn diff_pack_matches_scalar() {
        let mut s = 3u64;
        let w: usize = 150;
        let a: Vec<u8> = (0..w).map(|_| lcg(&mut s) as u8).collect();
        let b: Vec<u8> = (0..w).map(|_| lcg(&mut s) as u8).collect();
        let mut words = vec![0u64; w.div_ceil(64)];
        pack_diff_grey_row(&a, &b, 40, &mut words);
        for x in 0..w {
            let d = (a[x] as i32 - b[x] as i32).abs();
            assert_eq!((words[x / 64] >> (x % 64)) & 1 == 1, d > 40, "x={x}");
        }
    }
}
