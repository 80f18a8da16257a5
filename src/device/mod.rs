//! device (to be written).
