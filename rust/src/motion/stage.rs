//! The fused motion stage: difference, threshold, opening, labelling with stats, area filter.

use super::bits::{pack_diff_grey_row, pack_row, BitMask};
use super::label::{Blobs, Labeller};
use super::morph::Morph;

/// Parameters of [`MotionStage::run`].
#[derive(Clone, Copy, Debug)]
pub struct StageParams {
    pub threshold: u8,
    /// Square opening footprint; 0 or 1 means no opening.
    pub open_size: usize,
    pub min_area: i64,
    pub max_area: i64,
    pub conn8: bool,
}

/// Owns every scratch buffer of the fused stage; after the first frame of a given size,
/// `run` allocates nothing except the returned statistics.
#[derive(Default, Debug, Clone)]
pub struct MotionStage {
    bits: BitMask,
    morph: Morph,
    lab: Labeller,
    row: Vec<u8>,
}

impl MotionStage {
    pub fn new() -> Self {
        Self::default()
    }

    #[allow(clippy::too_many_arguments)]
    /// Difference `prev`/`cur` (h x w x channels, contiguous) and return the blobs.
    pub fn run(
        &mut self,
        prev: &[u8],
        cur: &[u8],
        h: usize,
        w: usize,
        channels: usize,
        p: &StageParams,
        out: &mut Blobs,
    ) {
        self.bits.resize(h, w);
        if h == 0 || w == 0 {
            out.area.clear();
            out.bbox.clear();
            out.centroid.clear();
            return;
        }
        let stride = w * channels;
        if channels == 1 {
            for y in 0..h {
                let (a, b) = (
                    &prev[y * stride..(y + 1) * stride],
                    &cur[y * stride..(y + 1) * stride],
                );
                pack_diff_grey_row(a, b, p.threshold, self.bits.row_mut(y));
            }
        } else {
            self.row.resize(w, 0);
            for y in 0..h {
                let (a, b) = (
                    &prev[y * stride..(y + 1) * stride],
                    &cur[y * stride..(y + 1) * stride],
                );
                super::diff::diff_mask(a, b, channels, p.threshold, &mut self.row);
                pack_row(&self.row, self.bits.row_mut(y));
            }
        }
        if p.open_size > 1 {
            self.morph.open(&mut self.bits, p.open_size);
        }
        self.lab.label(&self.bits, p.conn8, None, out);
        out.filter_area(p.min_area, p.max_area);
    }
}

#[cfg(test)]
mod tests {
    use super::super::bits::{pack, unpack};
    use super::*;

    #[test]
    fn fused_equals_chain() {
        let (h, w) = (40usize, 70usize);
        let mut seed = 9u64;
        let mut rnd = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            (seed >> 33) as u8
        };
        let prev: Vec<u8> = (0..h * w * 3).map(|_| rnd()).collect();
        let cur: Vec<u8> = (0..h * w * 3).map(|_| rnd()).collect();
        for ch in [1usize, 3] {
            let mut st = MotionStage::new();
            let p = StageParams {
                threshold: 120,
                open_size: 3,
                min_area: 2,
                max_area: 50,
                conn8: true,
            };
            let mut got = Blobs::default();
            st.run(
                &prev[..h * w * ch],
                &cur[..h * w * ch],
                h,
                w,
                ch,
                &p,
                &mut got,
            );
            let mut mask = vec![0u8; h * w];
            super::super::diff::diff_mask(
                &prev[..h * w * ch],
                &cur[..h * w * ch],
                ch,
                120,
                &mut mask,
            );
            let mut bm = BitMask::default();
            pack(&mask, h, w, &mut bm);
            Morph::new().open(&mut bm, 3);
            unpack(&bm, &mut mask);
            pack(&mask, h, w, &mut bm);
            let mut want = Blobs::default();
            Labeller::new().label(&bm, true, None, &mut want);
            want.filter_area(2, 50);
            assert_eq!(got, want);
        }
    }
}
