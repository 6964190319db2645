//! Plots for the HTML report: what to keep of a recording ([`data`], [`decimate`]) and how to
//! draw it ([`svg`]).

pub mod data;
pub mod decimate;
pub mod svg;

pub use crate::results::{PlotData, PopulationSummary};
