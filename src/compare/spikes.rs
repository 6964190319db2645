//! Spike trains: matching within an absolute window, van Rossum and Victor–Purpura distances.
