//! workload (to be written).
