//! ByteTrack-style multi-object tracker over per-axis Kalman filters.
//!
//! Each call to [`Tracker::update`] takes the detections of one frame (xyxy boxes, scores,
//! timestamp) and
//! 1. predicts every track to the frame time (`dt` from the caller's timestamps; `dt == 0`
//!    means no time passed),
//! 2. drops tracks not updated for more than `max_age_s` seconds,
//! 3. associates confident detections (`score >= high_thresh`) with all tracks, then weak
//!    detections (`low_thresh <= score < high_thresh`) with the still unmatched confirmed
//!    tracks (two stages, as in ByteTrack),
//! 4. updates matched tracks, turns unmatched confirmed tracks into `Lost`, deletes
//!    unmatched tentative tracks and starts a tentative track for every unmatched confident
//!    detection.
//!
//! Gating: a pair (track, detection) is admissible when the squared Mahalanobis distance
//! of the detection centre under the predicted innovation covariance is within `gate`
//! (a chi-square quantile with 2 degrees of freedom) *or* the box IoU reaches `min_iou`.
//! IoU is never required, so 3-pixel objects that do not overlap between frames are still
//! tracked. Candidates are found through detections sorted by centre x, the admissible
//! pairs are split into connected components and each component is solved optimally with
//! the rectangular assignment of [`crate::track::assign`].

use super::assign::linear_sum_assignment;
use super::kalman::AxisFilter;
use std::collections::VecDeque;

/// Motion model of the centre.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Motion {
    /// Constant velocity (optionally with a known acceleration prior, `gravity`).
    Cv,
    /// Constant acceleration (acceleration estimated per track, initialised to `gravity`).
    Ca,
}

/// Lifecycle state; the integer codes are part of the Python API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum TrackState {
    Tentative = 0,
    Confirmed = 1,
    Lost = 2,
}

/// Tracker parameters (all units pixels and seconds).
#[derive(Clone, Debug)]
pub struct TrackerConfig {
    pub motion: Motion,
    pub high_thresh: f64,
    pub low_thresh: f64,
    pub min_hits: u32,
    pub max_age_s: f64,
    pub gate: f64,
    pub min_iou: f64,
    pub iou_weight: f64,
    pub history_len: usize,
    pub process_noise: f64,
    pub meas_noise_px: f64,
    pub meas_noise_rel: f64,
    pub init_vel_std: f64,
    pub init_acc_std: f64,
    pub gravity: [f64; 2],
    pub size_smoothing: f64,
    pub skip_duplicates: bool,
}

impl TrackerConfig {
    /// Default process noise spectral density for a motion model.
    pub fn default_process_noise(motion: Motion) -> f64 {
        match motion {
            Motion::Cv => 3.0e3,
            Motion::Ca => 3.0e4,
        }
    }

    pub fn new(motion: Motion) -> Self {
        TrackerConfig {
            motion,
            high_thresh: 0.5,
            low_thresh: 0.1,
            min_hits: 3,
            max_age_s: 1.0,
            gate: 9.21,
            min_iou: 0.3,
            iou_weight: 0.3,
            history_len: 128,
            process_noise: Self::default_process_noise(motion),
            meas_noise_px: 1.0,
            meas_noise_rel: 0.05,
            init_vel_std: 200.0,
            init_acc_std: 500.0,
            gravity: [0.0, 0.0],
            size_smoothing: 0.5,
            skip_duplicates: true,
        }
    }

    /// Check every parameter; the message names the parameter.
    pub fn validate(&self) -> Result<(), String> {
        fn fin(name: &str, v: f64) -> Result<(), String> {
            if v.is_finite() {
                Ok(())
            } else {
                Err(format!("{name}: expected a finite number, got {v}"))
            }
        }
        fin("high_thresh", self.high_thresh)?;
        fin("low_thresh", self.low_thresh)?;
        if !(0.0..=1.0).contains(&self.low_thresh) || !(0.0..=1.0).contains(&self.high_thresh) {
            return Err(format!(
                "high_thresh/low_thresh: expected values in [0, 1], got {} and {}",
                self.high_thresh, self.low_thresh
            ));
        }
        if self.low_thresh > self.high_thresh {
            return Err(format!(
                "low_thresh: expected <= high_thresh ({}), got {}",
                self.high_thresh, self.low_thresh
            ));
        }
        if self.min_hits < 1 {
            return Err(format!("min_hits: expected >= 1, got {}", self.min_hits));
        }
        for (name, v) in [
            ("max_age_s", self.max_age_s),
            ("gate", self.gate),
            ("process_noise", self.process_noise),
            ("meas_noise_px", self.meas_noise_px),
            ("meas_noise_rel", self.meas_noise_rel),
            ("init_vel_std", self.init_vel_std),
            ("init_acc_std", self.init_acc_std),
        ] {
            fin(name, v)?;
            if v < 0.0 {
                return Err(format!("{name}: expected >= 0, got {v}"));
            }
        }
        if self.gate <= 0.0 {
            return Err(format!("gate: expected > 0, got {}", self.gate));
        }
        if self.meas_noise_px <= 0.0 {
            return Err(format!(
                "meas_noise_px: expected > 0, got {}",
                self.meas_noise_px
            ));
        }
        for (name, v) in [
            ("min_iou", self.min_iou),
            ("iou_weight", self.iou_weight),
            ("size_smoothing", self.size_smoothing),
        ] {
            fin(name, v)?;
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("{name}: expected a value in [0, 1], got {v}"));
            }
        }
        fin("gravity", self.gravity[0])?;
        fin("gravity", self.gravity[1])?;
        if self.history_len < 1 {
            return Err(format!(
                "history_len: expected >= 1, got {}",
                self.history_len
            ));
        }
        Ok(())
    }
}

/// One history entry: frame index, time, measured box, filtered centre.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HistRec {
    pub frame: i64,
    pub t: f64,
    pub bbox: [f64; 4],
    pub cx: f64,
    pub cy: f64,
}

#[derive(Clone, Debug)]
pub struct Track {
    pub id: i64,
    pub state: TrackState,
    pub fx: AxisFilter,
    pub fy: AxisFilter,
    pub w: f64,
    pub h: f64,
    pub hits: u32,
    pub t_first: f64,
    pub t_last: f64,
    pub score: f64,
    pub history: VecDeque<HistRec>,
}

impl Track {
    pub fn bbox(&self) -> [f64; 4] {
        let (cx, cy) = (self.fx.pos(), self.fy.pos());
        [
            cx - 0.5 * self.w,
            cy - 0.5 * self.h,
            cx + 0.5 * self.w,
            cy + 0.5 * self.h,
        ]
    }
}

/// A snapshot of the live tracks, one entry per track (struct of arrays).
#[derive(Clone, Debug, Default)]
pub struct TrackTable {
    pub ids: Vec<i64>,
    pub states: Vec<u8>,
    pub boxes: Vec<f64>,
    pub velocities: Vec<f64>,
    pub accelerations: Vec<f64>,
    pub hits: Vec<i64>,
    pub age_s: Vec<f64>,
    pub time_since_update: Vec<f64>,
    pub scores: Vec<f64>,
}

pub struct Tracker {
    pub cfg: TrackerConfig,
    tracks: Vec<Track>,
    removed: Vec<Track>,
    next_id: i64,
    frame: i64,
    /// Time of the filter states (last processed frame).
    t_filter: Option<f64>,
    /// Last timestamp given by the caller (for the monotonicity check).
    t_input: Option<f64>,
    last_boxes: Vec<f64>,
    last_scores: Vec<f64>,
    /// Track id (any state) each detection of the last processed frame went to, or -1.
    last_assoc: Vec<i64>,
}

/// Intersection over union of two xyxy boxes (0 when both are empty).
#[inline]
pub fn iou(a: &[f64], b: &[f64]) -> f64 {
    let iw = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let ih = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = iw * ih;
    let ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    if ua > 0.0 {
        inter / ua
    } else {
        0.0
    }
}

/// Validate one frame of input; messages name the argument.
pub fn validate_input(boxes: &[f64], scores: Option<&[f64]>) -> Result<(), String> {
    if !boxes.len().is_multiple_of(4) {
        return Err(format!("boxes: expected N*4 values, got {}", boxes.len()));
    }
    let n = boxes.len() / 4;
    for i in 0..n {
        let b = &boxes[4 * i..4 * i + 4];
        if !b.iter().all(|v| v.is_finite()) {
            return Err(format!(
                "boxes: expected finite coordinates, row {i} is {b:?}"
            ));
        }
        if b[2] < b[0] || b[3] < b[1] {
            return Err(format!(
                "boxes: expected x1 >= x0 and y1 >= y0 (xyxy), row {i} is {b:?}"
            ));
        }
    }
    if let Some(s) = scores {
        if s.len() != n {
            return Err(format!(
                "scores: expected {n} values (one per box), got {}",
                s.len()
            ));
        }
        for (i, &v) in s.iter().enumerate() {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!(
                    "scores: expected values in [0, 1], score {i} is {v}"
                ));
            }
        }
    }
    Ok(())
}

struct Pred {
    cx: f64,
    cy: f64,
    sx: f64,
    sy: f64,
    bbox: [f64; 4],
}

impl Tracker {
    pub fn new(cfg: TrackerConfig) -> Result<Self, String> {
        cfg.validate()?;
        Ok(Tracker {
            cfg,
            tracks: Vec::new(),
            removed: Vec::new(),
            next_id: 1,
            frame: 0,
            t_filter: None,
            t_input: None,
            last_boxes: Vec::new(),
            last_scores: Vec::new(),
            last_assoc: Vec::new(),
        })
    }

    pub fn reset(&mut self) {
        self.tracks.clear();
        self.removed.clear();
        self.next_id = 1;
        self.frame = 0;
        self.t_filter = None;
        self.t_input = None;
        self.last_boxes.clear();
        self.last_scores.clear();
        self.last_assoc.clear();
    }

    pub fn frame_count(&self) -> i64 {
        self.frame
    }

    pub fn last_time(&self) -> Option<f64> {
        self.t_input
    }

    pub fn tracks(&self) -> &[Track] {
        &self.tracks
    }

    /// Tracks removed during the most recent update (kept until the next update).
    pub fn removed(&self) -> &[Track] {
        &self.removed
    }

    fn meas_var(&self, size: f64) -> f64 {
        let s = self.cfg.meas_noise_px + self.cfg.meas_noise_rel * size.max(0.0);
        s * s
    }

    fn predict_track(&self, tr: &mut Track, dt: f64) {
        let q = self.cfg.process_noise;
        let (gx, gy) = (self.cfg.gravity[0], self.cfg.gravity[1]);
        tr.fx.predict(dt, q, gx);
        tr.fy.predict(dt, q, gy);
    }

    /// Resolve the timestamp of the next frame and check it.
    pub fn check_time(&self, t: Option<f64>) -> Result<f64, String> {
        let t = t.unwrap_or(self.frame as f64);
        if !t.is_finite() {
            return Err(format!("t: expected finite seconds, got {t}"));
        }
        if let Some(last) = self.t_input {
            if t < last {
                return Err(format!(
                    "t: expected a timestamp >= the previous one ({last}), got {t}"
                ));
            }
        }
        Ok(t)
    }

    /// Process one frame. `boxes` is row-major `N x 4` xyxy, `scores` defaults to all ones,
    /// `t` to the frame count. Returns one id per box (-1 unless it belongs to a confirmed
    /// track).
    pub fn update(
        &mut self,
        boxes: &[f64],
        scores: Option<&[f64]>,
        t: Option<f64>,
    ) -> Result<Vec<i64>, String> {
        validate_input(boxes, scores)?;
        let t = self.check_time(t)?;
        let n = boxes.len() / 4;
        let ones;
        let scores: &[f64] = match scores {
            Some(s) => s,
            None => {
                ones = vec![1.0; n];
                &ones
            }
        };
        self.removed.clear();
        let frame = self.frame;
        self.frame += 1;
        self.t_input = Some(t);

        // A frame identical to the previous one (a duplicated frame in a container with a
        // higher rate than its content, or a static scene) carries no new measurement: the
        // filters keep their state *and their time*, so the next real frame gets the true
        // dt. The tracks seen in it are refreshed (hits, last-update time, history).
        if self.cfg.skip_duplicates
            && n > 0
            && frame > 0
            && boxes == &self.last_boxes[..]
            && scores == &self.last_scores[..]
        {
            let mut ids = vec![-1i64; n];
            for d in 0..n {
                let tid = self.last_assoc[d];
                if tid < 0 {
                    continue;
                }
                if let Some(tr) = self.tracks.iter_mut().find(|tr| tr.id == tid) {
                    tr.hits = tr.hits.saturating_add(1);
                    tr.t_last = t;
                    if tr.state == TrackState::Tentative && tr.hits >= self.cfg.min_hits {
                        tr.state = TrackState::Confirmed;
                    }
                    let (cx, cy) = (tr.fx.pos(), tr.fy.pos());
                    let b = &boxes[4 * d..4 * d + 4];
                    Self::push_hist(
                        &mut tr.history,
                        self.cfg.history_len,
                        HistRec {
                            frame,
                            t,
                            bbox: [b[0], b[1], b[2], b[3]],
                            cx,
                            cy,
                        },
                    );
                    if tr.state == TrackState::Confirmed {
                        ids[d] = tid;
                    }
                }
            }
            // age out tracks not refreshed
            let max_age = self.cfg.max_age_s;
            let mut i = 0;
            while i < self.tracks.len() {
                if t - self.tracks[i].t_last > max_age {
                    let tr = self.tracks.swap_remove(i);
                    self.removed.push(tr);
                } else {
                    i += 1;
                }
            }
            return Ok(ids);
        }

        // 1. predict
        let dt = match self.t_filter {
            Some(tf) => (t - tf).max(0.0),
            None => 0.0,
        };
        self.t_filter = Some(t);
        let mut tracks = std::mem::take(&mut self.tracks);
        for tr in tracks.iter_mut() {
            self.predict_track(tr, dt);
        }
        // 2. age out
        let max_age = self.cfg.max_age_s;
        let mut i = 0;
        while i < tracks.len() {
            if t - tracks[i].t_last > max_age {
                let tr = tracks.swap_remove(i);
                self.removed.push(tr);
            } else {
                i += 1;
            }
        }
        let preds: Vec<Pred> = tracks
            .iter()
            .map(|tr| Pred {
                cx: tr.fx.pos(),
                cy: tr.fy.pos(),
                sx: tr.fx.innovation_var(self.meas_var(tr.w)),
                sy: tr.fy.innovation_var(self.meas_var(tr.h)),
                bbox: tr.bbox(),
            })
            .collect();

        // 3. two-stage association
        let mut det_track: Vec<Option<usize>> = vec![None; n];
        let mut track_matched = vec![false; tracks.len()];
        let high: Vec<usize> = (0..n)
            .filter(|&d| scores[d] >= self.cfg.high_thresh)
            .collect();
        let low: Vec<usize> = (0..n)
            .filter(|&d| scores[d] < self.cfg.high_thresh && scores[d] >= self.cfg.low_thresh)
            .collect();
        let all_tracks: Vec<usize> = (0..tracks.len()).collect();
        for (ti, di) in self.associate(&preds, &all_tracks, boxes, &high) {
            det_track[di] = Some(ti);
            track_matched[ti] = true;
        }
        let rest: Vec<usize> = (0..tracks.len())
            .filter(|&k| !track_matched[k] && tracks[k].state == TrackState::Confirmed)
            .collect();
        if !rest.is_empty() && !low.is_empty() {
            for (ti, di) in self.associate(&preds, &rest, boxes, &low) {
                det_track[di] = Some(ti);
                track_matched[ti] = true;
            }
        }

        // 4. update matched tracks
        for d in 0..n {
            if let Some(k) = det_track[d] {
                let b = &boxes[4 * d..4 * d + 4];
                self.correct(&mut tracks[k], b, scores[d], t, frame);
            }
        }
        // unmatched tracks
        let mut keep: Vec<bool> = vec![true; tracks.len()];
        for k in 0..tracks.len() {
            if !track_matched[k] {
                match tracks[k].state {
                    TrackState::Tentative => keep[k] = false,
                    _ => tracks[k].state = TrackState::Lost,
                }
            }
        }
        // map track index -> id before compaction
        let mut ids = vec![-1i64; n];
        let mut assoc = vec![-1i64; n];
        for d in 0..n {
            if let Some(k) = det_track[d] {
                assoc[d] = tracks[k].id;
                if tracks[k].state == TrackState::Confirmed {
                    ids[d] = tracks[k].id;
                }
            }
        }
        let mut kept = Vec::with_capacity(tracks.len() + high.len());
        for (k, tr) in tracks.into_iter().enumerate() {
            if keep[k] {
                kept.push(tr);
            } else {
                self.removed.push(tr);
            }
        }
        let mut tracks = kept;
        // new tracks from unmatched confident detections
        for &d in &high {
            if det_track[d].is_none() {
                let tr = self.spawn(&boxes[4 * d..4 * d + 4], scores[d], t, frame);
                if tr.state == TrackState::Confirmed {
                    ids[d] = tr.id;
                }
                assoc[d] = tr.id;
                tracks.push(tr);
            }
        }
        self.tracks = tracks;
        self.last_boxes.clear();
        self.last_boxes.extend_from_slice(boxes);
        self.last_scores.clear();
        self.last_scores.extend_from_slice(scores);
        self.last_assoc = assoc;
        Ok(ids)
    }

    fn correct(&self, tr: &mut Track, b: &[f64], score: f64, t: f64, frame: i64) {
        let (zx, zy) = (0.5 * (b[0] + b[2]), 0.5 * (b[1] + b[3]));
        let (zw, zh) = (b[2] - b[0], b[3] - b[1]);
        let rx = self.meas_var(zw.max(tr.w));
        let ry = self.meas_var(zh.max(tr.h));
        tr.fx.update(zx, rx);
        tr.fy.update(zy, ry);
        let a = self.cfg.size_smoothing;
        tr.w += (1.0 - a) * (zw - tr.w);
        tr.h += (1.0 - a) * (zh - tr.h);
        tr.hits = tr.hits.saturating_add(1);
        tr.t_last = t;
        tr.score = score;
        match tr.state {
            TrackState::Tentative if tr.hits >= self.cfg.min_hits => {
                tr.state = TrackState::Confirmed
            }
            TrackState::Lost => tr.state = TrackState::Confirmed,
            _ => {}
        }
        Self::push_hist(
            &mut tr.history,
            self.cfg.history_len,
            HistRec {
                frame,
                t,
                bbox: [b[0], b[1], b[2], b[3]],
                cx: tr.fx.pos(),
                cy: tr.fy.pos(),
            },
        );
    }

    fn push_hist(h: &mut VecDeque<HistRec>, cap: usize, r: HistRec) {
        while h.len() >= cap {
            h.pop_front();
        }
        h.push_back(r);
    }

    fn spawn(&mut self, b: &[f64], score: f64, t: f64, frame: i64) -> Track {
        let (cx, cy) = (0.5 * (b[0] + b[2]), 0.5 * (b[1] + b[3]));
        let (w, h) = (b[2] - b[0], b[3] - b[1]);
        let ca = self.cfg.motion == Motion::Ca;
        let vv = self.cfg.init_vel_std * self.cfg.init_vel_std;
        let va = self.cfg.init_acc_std * self.cfg.init_acc_std;
        let fx = AxisFilter::new(ca, cx, self.meas_var(w), vv, self.cfg.gravity[0], va);
        let fy = AxisFilter::new(ca, cy, self.meas_var(h), vv, self.cfg.gravity[1], va);
        let id = self.next_id;
        self.next_id += 1;
        let state = if self.cfg.min_hits <= 1 {
            TrackState::Confirmed
        } else {
            TrackState::Tentative
        };
        let mut history = VecDeque::with_capacity(self.cfg.history_len.min(64));
        Self::push_hist(
            &mut history,
            self.cfg.history_len,
            HistRec {
                frame,
                t,
                bbox: [b[0], b[1], b[2], b[3]],
                cx,
                cy,
            },
        );
        Track {
            id,
            state,
            fx,
            fy,
            w,
            h,
            hits: 1,
            t_first: t,
            t_last: t,
            score,
            history,
        }
    }

    /// Gate, split into connected components and solve each one optimally.
    /// Returns `(track index, detection index)` pairs.
    fn associate(
        &self,
        preds: &[Pred],
        trs: &[usize],
        boxes: &[f64],
        dets: &[usize],
    ) -> Vec<(usize, usize)> {
        if trs.is_empty() || dets.is_empty() {
            return Vec::new();
        }
        let gate = self.cfg.gate;
        let w_iou = self.cfg.iou_weight;
        let min_iou = self.cfg.min_iou;
        // detections sorted by centre x
        let mut order: Vec<(f64, usize)> = dets
            .iter()
            .enumerate()
            .map(|(j, &d)| (0.5 * (boxes[4 * d] + boxes[4 * d + 2]), j))
            .collect();
        order.sort_by(|a, b| a.0.total_cmp(&b.0));
        let max_w = dets
            .iter()
            .map(|&d| boxes[4 * d + 2] - boxes[4 * d])
            .fold(0.0f64, f64::max);
        // edges (local track, local det, cost)
        let mut edges: Vec<(usize, usize, f64)> = Vec::new();
        for (a, &k) in trs.iter().enumerate() {
            let p = &preds[k];
            let rx = (gate * p.sx).sqrt();
            let ox = if min_iou > 0.0 {
                0.5 * ((p.bbox[2] - p.bbox[0]) + max_w)
            } else {
                0.0
            };
            let win = rx.max(ox);
            let lo = order.partition_point(|e| e.0 < p.cx - win);
            for &(cx, j) in &order[lo..] {
                if cx > p.cx + win {
                    break;
                }
                let d = dets[j];
                let b = &boxes[4 * d..4 * d + 4];
                let cy = 0.5 * (b[1] + b[3]);
                let (dx, dy) = (cx - p.cx, cy - p.cy);
                let d2 = dx * dx / p.sx + dy * dy / p.sy;
                let ov = iou(&p.bbox, b);
                let ok = d2 <= gate || (min_iou > 0.0 && ov >= min_iou);
                if ok {
                    let cost = (1.0 - w_iou) * (d2 / gate).min(2.0) + w_iou * (1.0 - ov);
                    edges.push((a, j, cost));
                }
            }
        }
        if edges.is_empty() {
            return Vec::new();
        }
        // union-find over tracks [0, nt) and detections [nt, nt + nd)
        let nt = trs.len();
        let nd = dets.len();
        let mut parent: Vec<usize> = (0..nt + nd).collect();
        fn find(p: &mut [usize], mut x: usize) -> usize {
            while p[x] != x {
                p[x] = p[p[x]];
                x = p[x];
            }
            x
        }
        for &(a, j, _) in &edges {
            let ra = find(&mut parent, a);
            let rb = find(&mut parent, nt + j);
            if ra != rb {
                parent[ra] = rb;
            }
        }
        let mut keyed: Vec<(usize, usize)> = edges
            .iter()
            .enumerate()
            .map(|(e, &(a, _, _))| (find(&mut parent, a), e))
            .collect();
        keyed.sort_unstable();
        let mut out = Vec::new();
        let mut row_of = vec![usize::MAX; nt];
        let mut col_of = vec![usize::MAX; nd];
        let mut s = 0;
        while s < keyed.len() {
            let mut e = s;
            while e < keyed.len() && keyed[e].0 == keyed[s].0 {
                e += 1;
            }
            let group = &keyed[s..e];
            if group.len() == 1 {
                let (a, j, _) = edges[group[0].1];
                out.push((trs[a], dets[j]));
            } else {
                let mut rows: Vec<usize> = Vec::new();
                let mut cols: Vec<usize> = Vec::new();
                for &(_, ei) in group {
                    let (a, j, _) = edges[ei];
                    if row_of[a] == usize::MAX {
                        row_of[a] = rows.len();
                        rows.push(a);
                    }
                    if col_of[j] == usize::MAX {
                        col_of[j] = cols.len();
                        cols.push(j);
                    }
                }
                let (nr, nc) = (rows.len(), cols.len());
                let mut cost = vec![f64::INFINITY; nr * nc];
                for &(_, ei) in group {
                    let (a, j, c) = edges[ei];
                    cost[row_of[a] * nc + col_of[j]] = c;
                }
                for (r, c) in linear_sum_assignment(&cost, nr, nc) {
                    out.push((trs[rows[r]], dets[cols[c]]));
                }
                for &a in &rows {
                    row_of[a] = usize::MAX;
                }
                for &j in &cols {
                    col_of[j] = usize::MAX;
                }
            }
            s = e;
        }
        out
    }

    /// Snapshot of live tracks.
    pub fn table(&self) -> TrackTable {
        let t = self.t_filter.unwrap_or(0.0);
        let mut out = TrackTable::default();
        for tr in &self.tracks {
            out.ids.push(tr.id);
            out.states.push(tr.state as u8);
            out.boxes.extend_from_slice(&tr.bbox());
            out.velocities.push(tr.fx.vel());
            out.velocities.push(tr.fy.vel());
            let (ax, ay) = if self.cfg.motion == Motion::Ca {
                (tr.fx.acc(), tr.fy.acc())
            } else {
                (self.cfg.gravity[0], self.cfg.gravity[1])
            };
            out.accelerations.push(ax);
            out.accelerations.push(ay);
            out.hits.push(tr.hits as i64);
            out.age_s.push(t - tr.t_first);
            out.time_since_update.push(t - tr.t_last);
            out.scores.push(tr.score);
        }
        out
    }

    /// Predicted boxes of all live tracks at time `t` without changing any state.
    pub fn predict(&self, t: f64) -> Result<(Vec<i64>, Vec<f64>), String> {
        if !t.is_finite() {
            return Err(format!("t: expected finite seconds, got {t}"));
        }
        let dt = match self.t_filter {
            Some(tf) => {
                if t < tf {
                    return Err(format!(
                        "t: expected a timestamp >= the tracker time ({tf}), got {t}"
                    ));
                }
                t - tf
            }
            None => 0.0,
        };
        let mut ids = Vec::with_capacity(self.tracks.len());
        let mut boxes = Vec::with_capacity(4 * self.tracks.len());
        for tr in &self.tracks {
            let mut c = tr.clone();
            c.history.clear();
            self.predict_track(&mut c, dt);
            ids.push(tr.id);
            boxes.extend_from_slice(&c.bbox());
        }
        Ok((ids, boxes))
    }

    /// History of a live (or just removed) track, oldest first.
    pub fn history(&self, id: i64) -> Option<&VecDeque<HistRec>> {
        self.tracks
            .iter()
            .chain(self.removed.iter())
            .find(|tr| tr.id == id)
            .map(|tr| &tr.history)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sq(cx: f64, cy: f64, r: f64) -> [f64; 4] {
        [cx - r, cy - r, cx + r, cy + r]
    }

    fn cfg(motion: Motion) -> TrackerConfig {
        let mut c = TrackerConfig::new(motion);
        c.min_hits = 2;
        c
    }

    #[test]
    fn two_objects_keep_ids_and_tiny_objects_track_without_overlap() {
        let mut tr = Tracker::new(cfg(Motion::Cv)).unwrap();
        let mut first: Option<Vec<i64>> = None;
        for k in 0..50 {
            let t = k as f64 * 0.04;
            // 3-px objects moving 8 px per frame: no overlap between frames
            let a = sq(10.0 + 200.0 * t, 50.0, 1.5);
            let b = sq(500.0 - 200.0 * t, 300.0, 1.5);
            let boxes: Vec<f64> = a.iter().chain(b.iter()).copied().collect();
            let ids = tr.update(&boxes, None, Some(t)).unwrap();
            if k >= 1 {
                assert!(
                    ids[0] > 0 && ids[1] > 0 && ids[0] != ids[1],
                    "frame {k}: {ids:?}"
                );
                match &first {
                    None => first = Some(ids),
                    Some(f) => assert_eq!(&ids, f, "frame {k}"),
                }
            }
        }
    }

    #[test]
    fn lifecycle_tentative_confirmed_lost_removed() {
        let mut c = cfg(Motion::Cv);
        c.min_hits = 3;
        c.max_age_s = 0.5;
        let mut tr = Tracker::new(c).unwrap();
        let b = sq(100.0, 100.0, 5.0);
        assert_eq!(tr.update(&b, None, Some(0.0)).unwrap(), vec![-1]);
        assert_eq!(tr.tracks()[0].state, TrackState::Tentative);
        assert_eq!(tr.update(&b, None, Some(0.1)).unwrap(), vec![-1]);
        assert_eq!(tr.update(&b, None, Some(0.2)).unwrap(), vec![1]);
        assert_eq!(tr.tracks()[0].state, TrackState::Confirmed);
        tr.update(&[], None, Some(0.3)).unwrap();
        assert_eq!(tr.tracks()[0].state, TrackState::Lost);
        tr.update(&[], None, Some(0.7)).unwrap();
        assert_eq!(tr.tracks().len(), 1);
        tr.update(&[], None, Some(0.71)).unwrap();
        assert!(tr.tracks().is_empty());
        assert_eq!(tr.removed().len(), 1);
        assert!(tr.history(1).is_some());
    }

    #[test]
    fn tentative_track_removed_on_miss() {
        let mut tr = Tracker::new(cfg(Motion::Cv)).unwrap();
        tr.update(&sq(10.0, 10.0, 2.0), None, Some(0.0)).unwrap();
        tr.update(&[], None, Some(0.04)).unwrap();
        assert!(tr.tracks().is_empty());
    }

    #[test]
    fn low_score_detection_extends_confirmed_track_but_never_starts_one() {
        let mut tr = Tracker::new(cfg(Motion::Cv)).unwrap();
        let b = sq(50.0, 50.0, 4.0);
        tr.update(&b, None, Some(0.0)).unwrap();
        let id = tr.update(&b, None, Some(0.04)).unwrap()[0];
        assert!(id > 0);
        assert_eq!(tr.update(&b, Some(&[0.2]), Some(0.08)).unwrap(), vec![id]);
        // a weak detection far away starts nothing
        let far = sq(400.0, 400.0, 4.0);
        tr.update(&far, Some(&[0.2]), Some(0.12)).unwrap();
        assert_eq!(tr.tracks().len(), 1);
        // below low_thresh: ignored
        assert_eq!(tr.update(&b, Some(&[0.05]), Some(0.16)).unwrap(), vec![-1]);
    }

    #[test]
    fn falling_object_ca_survives_occlusion_and_duplicates() {
        let g = 600.0;
        let mut tr = Tracker::new(cfg(Motion::Ca)).unwrap();
        let mut id0 = None;
        for k in 0..40 {
            let t = k as f64 / 25.0;
            let boxes = if (15..18).contains(&k) {
                vec![]
            } else {
                sq(300.0, 20.0 + 0.5 * g * t * t, 2.0).to_vec()
            };
            let ids = tr.update(&boxes, None, Some(t)).unwrap();
            // the same frame twice
            let ids2 = tr.update(&boxes, None, Some(t)).unwrap();
            // a repeat keeps ids (it may confirm a tentative track: -1 -> id)
            for (a, b) in ids.iter().zip(&ids2) {
                assert!(a == b || *a == -1, "frame {k}: {ids:?} vs {ids2:?}");
            }
            let ids = ids2;
            if k >= 2 && !boxes.is_empty() {
                match id0 {
                    None => id0 = Some(ids[0]),
                    Some(i) => assert_eq!(ids[0], i, "frame {k}"),
                }
            }
        }
        assert!(id0.unwrap() > 0);
    }

    #[test]
    fn zero_dt_with_new_boxes_is_fine() {
        let mut tr = Tracker::new(cfg(Motion::Ca)).unwrap();
        tr.update(&sq(10.0, 10.0, 2.0), None, Some(1.0)).unwrap();
        let ids = tr.update(&sq(10.5, 10.0, 2.0), None, Some(1.0)).unwrap();
        assert!(ids[0] > 0);
        let tb = tr.table();
        assert!(tb.boxes.iter().all(|v| v.is_finite()));
        assert!(tb.velocities.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn rejects_bad_input() {
        let mut tr = Tracker::new(cfg(Motion::Cv)).unwrap();
        assert!(tr
            .update(&[0.0, 0.0, 1.0], None, None)
            .unwrap_err()
            .contains("boxes"));
        assert!(tr
            .update(&[0.0, 0.0, f64::NAN, 1.0], None, None)
            .unwrap_err()
            .contains("boxes"));
        assert!(tr
            .update(&[2.0, 0.0, 1.0, 1.0], None, None)
            .unwrap_err()
            .contains("x1"));
        assert!(tr
            .update(&[0.0, 0.0, 1.0, 1.0], Some(&[1.5]), None)
            .unwrap_err()
            .contains("scores"));
        assert!(tr
            .update(&[0.0, 0.0, 1.0, 1.0], Some(&[]), None)
            .unwrap_err()
            .contains("scores"));
        tr.update(&[], None, Some(5.0)).unwrap();
        assert!(tr.update(&[], None, Some(4.0)).unwrap_err().contains("t:"));
        let mut c = TrackerConfig::new(Motion::Cv);
        c.low_thresh = 0.9;
        assert!(Tracker::new(c).err().unwrap().contains("low_thresh"));
    }

    #[test]
    fn predict_does_not_mutate() {
        let mut tr = Tracker::new(cfg(Motion::Cv)).unwrap();
        for k in 0..5 {
            let t = k as f64 * 0.1;
            tr.update(&sq(10.0 + 100.0 * t, 10.0, 2.0), None, Some(t))
                .unwrap();
        }
        let before = tr.table();
        let (ids, boxes) = tr.predict(0.6).unwrap();
        assert_eq!(ids, before.ids);
        let cx = 0.5 * (boxes[0] + boxes[2]);
        assert!((cx - 70.0).abs() < 3.0, "cx {cx}");
        assert_eq!(tr.table().boxes, before.boxes);
    }

    #[test]
    fn many_objects_unique_ids() {
        let mut tr = Tracker::new(cfg(Motion::Cv)).unwrap();
        for k in 0..10 {
            let t = k as f64 * 0.04;
            let mut boxes = Vec::new();
            for i in 0..1000 {
                let (x, y) = ((i % 40) as f64 * 25.0 + 50.0 * t, (i / 40) as f64 * 25.0);
                boxes.extend_from_slice(&sq(x, y, 3.0));
            }
            let ids = tr.update(&boxes, None, Some(t)).unwrap();
            if k >= 2 {
                let mut s = ids.clone();
                s.sort();
                s.dedup();
                assert_eq!(s.len(), 1000);
                assert!(ids.iter().all(|&i| i > 0));
            }
        }
    }
}
