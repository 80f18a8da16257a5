//! Several jobs in one simulation (`[[jobs]]`): a composite workload that starts each
//! job at its start time and routes every event to the job that owns the actor. Each
//! job sees its own context ([`Ctx::for_job`]): its nodes, its object namespace (or a
//! shared dataset's), its random streams, its clock starting at its start time, and
//! its job index for the data path's per-job counters.
//!
//! Actor ids: a job allocates its actors from the engine when it starts (and may do so
//! later); the composite notes which job each newly allocated range belongs to and
//! finds an actor's job by binary search.

use crate::engine::Time;
use crate::sim::{Ctx, Workload};
use serde_json::json;

/// One job of the composite.
pub struct Job {
    pub name: String,
    pub kind: String,
    pub start: Time,
    /// Node indices (its node slots, in order).
    pub nodes: Vec<u16>,
    pub shared_dataset: Option<String>,
    /// Added to its object ids.
    pub object_base: u64,
    /// The seed of its random streams.
    pub seed: u64,
    pub workload: Box<dyn Workload>,
    /// When it finished (simulated time), once it has.
    pub end: Option<Time>,
}

/// What the results report of one job (besides the data path's per-job counters).
pub struct JobReport<'a> {
    pub job: &'a Job,
    /// Its run time, from its start to its end (or to the run's end if unfinished).
    pub run_time: Time,
    /// Its own summary (as summary.json's `workload` of a run of it alone).
    pub summary: serde_json::Value,
    /// Its run time when run alone, if asked for ([`Jobs::set_alone`]).
    pub alone: Option<Time>,
}

/// See the module doc.
pub struct Jobs {
    jobs: Vec<Job>,
    /// (first actor id, job) of every actor range a job allocated, ascending.
    ranges: Vec<(u32, u16)>,
    starter: u32,
    finished: usize,
    dense: Option<u64>,
    alone: Option<Vec<Time>>,
    /// Only this job runs (a baseline run of it alone).
    only: Option<usize>,
}

impl Jobs {
    /// The composite of `jobs`; `dense`: the size of the dense id space their
    /// namespaces tile, if every job's ids are dense.
    pub fn new(jobs: Vec<Job>, dense: Option<u64>) -> Self {
        Jobs {
            jobs,
            ranges: Vec::new(),
            starter: 0,
            finished: 0,
            dense,
            alone: None,
            only: None,
        }
    }

    /// Starts only job `j` (the others never start): job `j` alone in exactly the
    /// model it shares with them.
    pub fn run_only(&mut self, j: usize) {
        self.only = Some(j);
    }

    /// The jobs.
    pub fn jobs(&self) -> &[Job] {
        &self.jobs
    }

    /// Each job's run time alone (same seed), for slowdowns.
    pub fn set_alone(&mut self, times: Vec<Time>) {
        self.alone = Some(times);
    }

    /// Every job's figures at the end of a run that ended at `end`.
    pub fn reports(&self, end: Time) -> Vec<JobReport<'_>> {
        self.jobs
            .iter()
            .enumerate()
            .map(|(j, job)| {
                let run_time = job.end.unwrap_or(end.max(job.start)) - job.start;
                JobReport {
                    job,
                    run_time,
                    summary: job.workload.summary(run_time),
                    alone: self.alone.as_ref().map(|a| a[j]),
                }
            })
            .collect()
    }

    /// The job that owns `actor`.
    fn owner(&self, actor: u32) -> usize {
        let i = self.ranges.partition_point(|&(first, _)| first <= actor);
        self.ranges[i.saturating_sub(1)].1 as usize
    }

    /// Runs `f` on job `j` in its own context, then notes the actors it allocated and
    /// whether it finished.
    fn with_job(&mut self, j: usize, ctx: &mut Ctx, f: impl FnOnce(&mut dyn Workload, &mut Ctx)) {
        let before = ctx.next_actor();
        let job = &mut self.jobs[j];
        {
            let mut sub = ctx.for_job(j as u16, &job.nodes, job.object_base, job.seed, job.start);
            f(job.workload.as_mut(), &mut sub);
        }
        if ctx.next_actor() != before {
            self.ranges.push((before, j as u16));
        }
        if job.end.is_none() && job.workload.is_done() {
            job.end = Some(ctx.now());
            self.finished += 1;
        }
    }
}

impl Workload for Jobs {
    fn start(&mut self, ctx: &mut Ctx) {
        self.starter = ctx.new_actors(1);
        self.ranges.push((self.starter, 0));
        for (j, job) in self.jobs.iter().enumerate() {
            if self.only.is_none_or(|o| o == j) {
                ctx.wake_at(job.start, self.starter, j as u64);
            }
        }
    }

    fn on_event(&mut self, actor: u32, tag: u64, ctx: &mut Ctx) {
        if actor == self.starter {
            self.with_job(tag as usize, ctx, |w, c| w.start(c));
        } else {
            let j = self.owner(actor);
            self.with_job(j, ctx, |w, c| w.on_event(actor, tag, c));
        }
    }

    fn is_done(&self) -> bool {
        self.finished
            == if self.only.is_some() {
                1
            } else {
                self.jobs.len()
            }
    }

    fn summary(&self, end: Time) -> serde_json::Value {
        let slowdowns: Vec<f64> = self
            .reports(end)
            .iter()
            .filter_map(|r| slowdown(r.run_time, r.alone?))
            .collect();
        json!({
            "kind": "jobs",
            "jobs": self.jobs.len(),
            "finished": self.finished,
            "makespan_s": crate::engine::secs(end),
            "jain_index": (slowdowns.len() == self.jobs.len()).then(|| jain(&slowdowns)),
        })
    }

    fn tables(&self, end: Time) -> Vec<(String, String)> {
        self.reports(end)
            .into_iter()
            .flat_map(|r| {
                let name = r.job.name.clone();
                r.job
                    .workload
                    .tables(r.run_time)
                    .into_iter()
                    .map(move |(f, text)| (format!("job-{name}.{f}"), text))
            })
            .collect()
    }

    fn dense_ids(&self) -> Option<u64> {
        self.dense
    }

    fn scattered_accesses(&self) -> bool {
        self.jobs.iter().all(|j| j.workload.scattered_accesses())
    }

    fn warnings(&self) -> Vec<String> {
        self.jobs
            .iter()
            .flat_map(|j| {
                j.workload
                    .warnings()
                    .into_iter()
                    .map(move |w| format!("job {}: {w}", j.name))
            })
            .collect()
    }

    fn jobs(&self) -> Option<&Jobs> {
        Some(self)
    }

    fn jobs_mut(&mut self) -> Option<&mut Jobs> {
        Some(self)
    }

    fn progress(&self) -> Option<(u64, u64)> {
        let mut sum = (0u64, 0u64);
        for j in &self.jobs {
            let (d, t) = j.workload.progress()?;
            sum = (sum.0 + d, sum.1 + t);
        }
        Some(sum)
    }
}

/// A job's slowdown: its run time shared over its run time alone.
pub fn slowdown(shared: Time, alone: Time) -> Option<f64> {
    (alone > 0).then(|| shared as f64 / alone as f64)
}

/// Jain's fairness index of `x`: (sum x)^2 / (n sum x^2), 1 when all are equal, 1/n
/// when one takes everything.
pub fn jain(x: &[f64]) -> f64 {
    let (s, s2) = x.iter().fold((0.0, 0.0), |(s, s2), v| (s + v, s2 + v * v));
    if s2 == 0.0 {
        1.0
    } else {
        s * s / (x.len() as f64 * s2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jain_index_of_equal_and_skewed_shares() {
        assert!((jain(&[2.0, 2.0, 2.0]) - 1.0).abs() < 1e-12);
        // One of four gets everything: 1/4.
        assert!((jain(&[1.0, 0.0, 0.0, 0.0]) - 0.25).abs() < 1e-12);
        // (1 + 3)^2 / (2 (1 + 9)) = 0.8.
        assert!((jain(&[1.0, 3.0]) - 0.8).abs() < 1e-12);
    }
}
