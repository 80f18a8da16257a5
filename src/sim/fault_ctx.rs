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

    /// What this workload's reads do from now on when their target is out.
    pub fn set_loss_mode(&mut self, mode: OnLoss) {
        if let Some(f) = self.data.hierarchy_mut().faults_mut() {
            f.mode = mode;
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
}
