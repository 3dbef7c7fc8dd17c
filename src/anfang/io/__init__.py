"""Input and output around the detectors: frame sources, video files, JSON Lines, evidence
(snapshots and clips) and the HTML report. Importing this package imports nothing heavy;
PyAV (the ``video`` extra) is imported only when a video is opened or written."""
