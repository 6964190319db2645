//! Voltage traces: resampling, error norms and interpolated spike detection.
