//! Functional replay: a trace through eviction policies without timing.
