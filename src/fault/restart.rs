//! Node failures: restarts of the jobs on a failed node from their last checkpoint.
