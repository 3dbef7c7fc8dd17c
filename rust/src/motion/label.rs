//! Connected-component labelling of bit-packed masks with per-blob statistics.
//!
//! Run-based union-find over foreground runs only: each row is scanned word by word
//! (empty words cost one comparison), every run gets a provisional label, runs touching a
//! run of the previous row are merged (union keeps the smaller label as the root), and the
//! blob statistics are accumulated per run in the same pass. Final labels are numbered in
//! raster order of each component's first pixel, as `skimage.measure.label` does. All
//! tables are `Vec`s grown on demand (no fixed capacity).

use super::bits::BitMask;

/// Per-blob statistics in label order (label `i + 1` is entry `i`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Blobs {
    pub area: Vec<i64>,
    /// x0, y0, x1, y1 with exclusive ends.
    pub bbox: Vec<[i64; 4]>,
    /// Mean x, mean y.
    pub centroid: Vec<[f64; 2]>,
}

impl Blobs {
    pub fn len(&self) -> usize {
        self.area.len()
    }

    pub fn is_empty(&self) -> bool {
        self.area.is_empty()
    }

    /// Keep blobs with `min_area <= area <= max_area` (order preserved).
    pub fn filter_area(&mut self, min_area: i64, max_area: i64) {
        let mut k = 0;
        for i in 0..self.area.len() {
            let a = self.area[i];
            if a >= min_area && a <= max_area {
                self.area[k] = a;
                self.bbox[k] = self.bbox[i];
                self.centroid[k] = self.centroid[i];
                k += 1;
            }
        }
        self.area.truncate(k);
        self.bbox.truncate(k);
        self.centroid.truncate(k);
    }
}

#[derive(Clone, Copy, Debug)]
struct Run {
    s: u32,
    e: u32,
    p: u32,
}

#[derive(Clone, Copy, Debug)]
struct Acc {
    area: u64,
    x0: u32,
    y0: u32,
    x1: u32,
    y1: u32,
    sx: u64,
    sy: u64,
}

impl Acc {
    fn merge(&mut self, o: &Acc) {
        self.area += o.area;
        self.x0 = self.x0.min(o.x0);
        self.y0 = self.y0.min(o.y0);
        self.x1 = self.x1.max(o.x1);
        self.y1 = self.y1.max(o.y1);
        self.sx += o.sx;
        self.sy += o.sy;
    }
}

/// Reusable labeller (buffers kept between calls).
#[derive(Default, Debug, Clone)]
pub struct Labeller {
    parent: Vec<u32>,
    acc: Vec<Acc>,
    fin: Vec<u32>,
    prev: Vec<Run>,
    cur: Vec<Run>,
    /// (row, run) for writing a label image.
    runs: Vec<(u32, Run)>,
    out: Vec<Acc>,
}

#[inline]
fn next_set(row: &[u64], x: usize) -> usize {
    let nw = row.len();
    let mut q = x / 64;
    if q >= nw {
        return nw * 64;
    }
    let mut v = row[q] & (!0u64 << (x % 64));
    loop {
        if v != 0 {
            return q * 64 + v.trailing_zeros() as usize;
        }
        q += 1;
        if q == nw {
            return nw * 64;
        }
        v = row[q];
    }
}

#[inline]
fn next_clear(row: &[u64], x: usize) -> usize {
    let nw = row.len();
    let mut q = x / 64;
    if q >= nw {
        return nw * 64;
    }
    let mut v = !row[q] & (!0u64 << (x % 64));
    loop {
        if v != 0 {
            return q * 64 + v.trailing_zeros() as usize;
        }
        q += 1;
        if q == nw {
            return nw * 64;
        }
        v = !row[q];
    }
}

impl Labeller {
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    fn find(&mut self, mut a: u32) -> u32 {
        while self.parent[a as usize] != a {
            let gp = self.parent[self.parent[a as usize] as usize];
            self.parent[a as usize] = gp;
            a = gp;
        }
        a
    }

    /// Label `m`; statistics of every component go to `blobs` (label order). With
    /// `labels = Some(buf)` (length h*w, **already zeroed**) the label image is written too.
    pub fn label(
        &mut self,
        m: &BitMask,
        conn8: bool,
        labels: Option<&mut [i32]>,
        blobs: &mut Blobs,
    ) {
        let keep = labels.is_some();
        self.parent.clear();
        self.acc.clear();
        self.prev.clear();
        self.runs.clear();
        let ext = conn8 as u32;
        let w = m.w;
        for y in 0..m.h {
            let row = m.row(y);
            self.cur.clear();
            let mut x = 0usize;
            let mut j = 0usize;
            loop {
                let s = next_set(row, x);
                if s >= w {
                    break;
                }
                let e = next_clear(row, s).min(w);
                let (s32, e32, y32) = (s as u32, e as u32, y as u32);
                let n = (e - s) as u64;
                let stats = Acc {
                    area: n,
                    x0: s32,
                    y0: y32,
                    x1: e32,
                    y1: y32 + 1,
                    sx: (s as u64 + e as u64 - 1) * n / 2,
                    sy: y as u64 * n,
                };
                // Runs of the previous row ending before this run's reach touch nothing later.
                while j < self.prev.len() && self.prev[j].e + ext <= s32 {
                    j += 1;
                }
                // Join the components of every touching run; stats live at the root (the
                // smallest provisional label), merged when two components meet.
                let mut root = u32::MAX;
                let mut k = j;
                while k < self.prev.len() && self.prev[k].s < e32 + ext {
                    let r = self.find(self.prev[k].p);
                    if root == u32::MAX {
                        root = r;
                    } else if r != root {
                        let (win, lose) = if r < root { (r, root) } else { (root, r) };
                        self.parent[lose as usize] = win;
                        let a = self.acc[lose as usize];
                        self.acc[win as usize].merge(&a);
                        root = win;
                    }
                    k += 1;
                }
                let p = if root == u32::MAX {
                    // A run touching nothing above starts a component: in raster order, so the
                    // first pixel of every component gets the component's smallest label.
                    let p = self.parent.len() as u32;
                    self.parent.push(p);
                    self.acc.push(stats);
                    p
                } else {
                    self.acc[root as usize].merge(&stats);
                    root
                };
                let run = Run { s: s32, e: e32, p };
                self.cur.push(run);
                if keep {
                    self.runs.push((y32, run));
                }
                x = e;
            }
            std::mem::swap(&mut self.prev, &mut self.cur);
        }
        // Resolve: roots are the smallest provisional label of their component, i.e. the
        // component's first run in raster order, so numbering roots in order gives raster order.
        let n = self.parent.len();
        self.fin.clear();
        self.fin.resize(n, 0);
        self.out.clear();
        for p in 0..n {
            let r = self.find(p as u32) as usize;
            if r == p {
                self.fin[p] = self.out.len() as u32 + 1;
                self.out.push(self.acc[p]);
            } else {
                self.fin[p] = self.fin[r];
            }
        }
        blobs.area.clear();
        blobs.bbox.clear();
        blobs.centroid.clear();
        for a in &self.out {
            blobs.area.push(a.area as i64);
            blobs
                .bbox
                .push([a.x0 as i64, a.y0 as i64, a.x1 as i64, a.y1 as i64]);
            blobs
                .centroid
                .push([a.sx as f64 / a.area as f64, a.sy as f64 / a.area as f64]);
        }
        if let Some(buf) = labels {
            for &(y, r) in &self.runs {
                let base = y as usize * w;
                buf[base + r.s as usize..base + r.e as usize].fill(self.fin[r.p as usize] as i32);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::bits::pack;
    use super::*;

    /// Flood-fill oracle with raster-order numbering.
    fn flood(src: &[u8], h: usize, w: usize, conn8: bool) -> Vec<i32> {
        let mut lab = vec![0i32; h * w];
        let mut next = 0;
        let mut stack = Vec::new();
        for i in 0..h * w {
            if src[i] == 0 || lab[i] != 0 {
                continue;
            }
            next += 1;
            lab[i] = next;
            stack.push(i);
            while let Some(k) = stack.pop() {
                let (y, x) = ((k / w) as isize, (k % w) as isize);
                for dy in -1isize..=1 {
                    for dx in -1isize..=1 {
                        if (dx == 0 && dy == 0) || (!conn8 && dx != 0 && dy != 0) {
                            continue;
                        }
                        let (yy, xx) = (y + dy, x + dx);
                        if yy < 0 || xx < 0 || yy >= h as isize || xx >= w as isize {
                            continue;
                        }
                        let kk = (yy * w as isize + xx) as usize;
                        if src[kk] != 0 && lab[kk] == 0 {
                            lab[kk] = next;
                            stack.push(kk);
                        }
                    }
                }
            }
        }
        lab
    }

    #[test]
    fn matches_flood_fill() {
        let mut seed = 5u64;
        let mut lb = Labeller::new();
        for &(h, w) in &[
            (1usize, 1usize),
            (1, 100),
            (100, 1),
            (9, 7),
            (31, 129),
            (64, 64),
        ] {
            for dens in [0u64, 2, 5, 8, 10] {
                let src: Vec<u8> = (0..h * w)
                    .map(|_| {
                        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                        ((seed >> 33) % 10 < dens) as u8
                    })
                    .collect();
                for conn8 in [false, true] {
                    let mut m = BitMask::default();
                    pack(&src, h, w, &mut m);
                    let mut lab = vec![0i32; h * w];
                    let mut b = Blobs::default();
                    lb.label(&m, conn8, Some(&mut lab), &mut b);
                    let want = flood(&src, h, w, conn8);
                    assert_eq!(lab, want, "{h}x{w} d{dens} c8 {conn8}");
                    let n = *want.iter().max().unwrap_or(&0) as usize;
                    assert_eq!(b.len(), n);
                    for l in 1..=n {
                        let mut area = 0i64;
                        let (mut sx, mut sy) = (0f64, 0f64);
                        let mut bb = [i64::MAX, i64::MAX, i64::MIN, i64::MIN];
                        for i in 0..h * w {
                            if want[i] == l as i32 {
                                let (y, x) = ((i / w) as i64, (i % w) as i64);
                                area += 1;
                                sx += x as f64;
                                sy += y as f64;
                                bb = [
                                    bb[0].min(x),
                                    bb[1].min(y),
                                    bb[2].max(x + 1),
                                    bb[3].max(y + 1),
                                ];
                            }
                        }
                        assert_eq!(b.area[l - 1], area);
                        assert_eq!(b.bbox[l - 1], bb);
                        assert!((b.centroid[l - 1][0] - sx / area as f64).abs() < 1e-9);
                        assert!((b.centroid[l - 1][1] - sy / area as f64).abs() < 1e-9);
                    }
                }
            }
        }
    }

    #[test]
    fn filter() {
        let mut b = Blobs {
            area: vec![1, 5, 10],
            bbox: vec![[0, 0, 1, 1], [1, 1, 2, 2], [3, 3, 4, 4]],
            centroid: vec![[0.0, 0.0], [1.0, 1.0], [3.0, 3.0]],
        };
        b.filter_area(2, 9);
        assert_eq!(b.area, vec![5]);
        assert_eq!(b.bbox, vec![[1, 1, 2, 2]]);
    }
}
