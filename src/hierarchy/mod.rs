//! hierarchy (to be written).
