//! Population statistics of network spike events.
