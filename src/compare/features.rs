//! Single-cell electrophysiology features.
