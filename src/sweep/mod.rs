//! Sweeps: a spec (base config + grid of key paths + zipped lists + repeats) expanded
//! into runs with stable ids, run in parallel (rayon) or as shards (Slurm array
//! tasks), resumable after a kill, and summarised in `runs.csv`; shard outputs merge
//! into the same bytes an unsharded sweep writes; or a `[search]` by bisection
//! ([`search`]). See docs/sweeps.md.
//!
//! Output folder layout: `plan.json` (the expanded sweep), `runs/<id>/` (one finished
//! run: the files of `tiersim run`, summary.json written last; or a failed run: only
//! `error.txt`), `runs.csv`.

pub mod exec;
pub mod keypath;
pub mod merge;
pub mod plan;
pub mod search;
pub mod spec;
pub mod table;
pub mod validate;

pub use exec::{run_plan, Options, Report};
pub use merge::{merge, MergeReport};
pub use plan::{expand, Plan, PlanFile};
pub use spec::Spec;

/// Parses `K/N` (0-based K, as SLURM_ARRAY_TASK_ID) into `(k, n)`.
pub fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let bad = || {
        format!(
            "--shard: expected K/N with 0 <= K < N (0-based, as SLURM_ARRAY_TASK_ID), got '{s}'"
        )
    };
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let k: usize = k.trim().parse().map_err(|_| bad())?;
    let n: usize = n.trim().parse().map_err(|_| bad())?;
    if n == 0 || k >= n {
        return Err(bad());
    }
    Ok((k, n))
}

#[cfg(test)]
mod tests {
    #[test]
    fn shard_is_zero_based() {
        assert_eq!(super::parse_shard("0/4"), Ok((0, 4)));
        assert_eq!(super::parse_shard("3/4"), Ok((3, 4)));
        assert!(super::parse_shard("4/4").is_err());
        assert!(super::parse_shard("1/0").is_err());
        assert!(super::parse_shard("x").is_err());
    }
}
