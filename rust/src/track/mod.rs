//! Multi-object tracking: Kalman filters, assignment, tracker.
//!
//! Pure Rust, no Python types. `kalman` holds per-axis constant-velocity and
//! constant-acceleration filters, `assign` a rectangular linear assignment solver
//! (shortest augmenting path with potentials), `tracker` the ByteTrack-style
//! two-stage multi-object tracker with Mahalanobis + IoU gating.

pub mod assign;
pub mod kalman;
pub mod link;
pub mod sweep;
pub mod tracker;

pub use tracker::{Motion, TrackState, Tracker, TrackerConfig};
