//! Multi-object tracking: Kalman filters, assignment, tracker.
