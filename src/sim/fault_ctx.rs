//! What a reader sees of the fault schedule through [`Ctx`]: the configured behaviour
//! on loss, the mode its next reads are made in, and the count of reads given up.

use super::Ctx;
use crate::config::faults::OnLoss;

impl Ctx<'_> {
    /// The configured `[reader]` behaviour (on loss, skip budget per epoch) when the
    /// run has faults; None otherwise (every read completes).
    pub fn reader(&self) -> Option<(OnLoss, Option<u64>)> {
        let f = self.data.hierarchy().faults()?;
        Some((f.reader.on_loss, f.reader.skip_budget))
    }

    /// What the reads from now on do when their target is out: `mode` for a
    /// workload's own reads (set before them), None to restore the default after
    /// them (wait, or replica), so one job's skipping never applies to another's.
    pub fn set_loss_mode(&mut self, mode: Option<OnLoss>) {
        if let Some(f) = self.data.hierarchy_mut().faults_mut() {
            f.mode = mode.unwrap_or(f.default_mode());
        }
    }

    /// Reads given up so far (skipped during an outage, or out of retries), over
    /// the whole run: a reader takes differences.
    #[inline]
    pub fn reads_lost(&self) -> u64 {
        self.data
            .hierarchy()
            .faults()
            .map_or(0, |f| f.stats.reads_lost)
    }

    /// The span (this context's time) in which the reads since the last call were
    /// held up by faults, if they were; starts a new span.
    #[inline]
    pub fn take_fault_hurt(&mut self) -> Option<(crate::engine::Time, crate::engine::Time)> {
        let t0 = self.t0;
        let (a, b) = self.data.hierarchy_mut().faults_mut()?.take_hurt()?;
        Some((a.saturating_sub(t0), b.saturating_sub(t0)))
    }
}

impl Ctx<'_> {
    /// A context for a restarted instance of this workload whose clock starts at
    /// `t0` (this context's time): the same job, nodes, objects and seed.
    pub fn restarted(&mut self, t0: crate::engine::Time) -> Ctx<'_> {
        let (job, base, seed) = (self.job, self.object_base, self.seed);
        let nodes = self.nodes;
        self.for_job(job, nodes, base, seed, t0)
    }

    /// The first node failure of a node this workload runs on that starts after
    /// `after` (this context's time): (start, restart delay, fault index); the
    /// failure is counted as one restart on its window.
    pub fn next_node_failure(
        &mut self,
        after: crate::engine::Time,
    ) -> Option<(crate::engine::Time, crate::engine::Time, usize)> {
        let t0 = self.t0;
        let nodes: Vec<u16> = if self.nodes.is_empty() {
            vec![0]
        } else {
            self.nodes.to_vec()
        };
        let f = self.data.hierarchy_mut().faults_mut()?;
        let mut best: Option<(crate::engine::Time, crate::engine::Time, usize)> = None;
        let ids: Vec<(usize, u16)> = f.node_failures().collect();
        for (i, node) in ids {
            if !nodes.contains(&node) {
                continue;
            }
            let fault = &mut f.faults[i];
            if let Some(w) = fault.schedule.next_after(after.saturating_add(t0)) {
                let win = &fault.schedule.windows[w];
                if best.is_none_or(|b| win.start - t0 < b.0) {
                    best = Some((win.start - t0, fault.restart_delay, i));
                }
            }
        }
        best
    }

    /// Node failure `i` whose window starts at `start` (this context's time) takes
    /// this workload down: counted on the window (and on this job); the node's cache
    /// tiers drop objects `0..ids` (global ids: it comes back with empty caches). The
    /// sole `[workload]` job abandons every fill in flight, one of `[[jobs]]` only the
    /// failed node's.
    pub fn fail_node(&mut self, i: usize, start: crate::engine::Time, ids: u64, sole: bool) {
        let t0 = self.t0;
        let job = self.job;
        let h = self.data.hierarchy_mut();
        let Some(f) = h.faults_mut() else { return };
        let node = f.faults[i].node.unwrap_or(0);
        let fault = &mut f.faults[i];
        if let Some(w) = fault.schedule.containing(start + t0) {
            fault.schedule.windows[w].hits += 1;
            if !sole {
                let at = fault.schedule.windows[w].start;
                fault.restarted_jobs.push((at, job));
            }
        }
        h.clear_node(node, ids, sole);
    }
}
