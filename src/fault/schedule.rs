//! When one fault is active: a list of windows [start, end), either one fixed window
//! or a recurring process (up times exponential with mean MTBF, down times
//! exponential with mean MTTR or fixed), drawn lazily from the fault's own named
//! random stream. The windows drawn never depend on when or how often they are
//! asked for: the same seed gives the same windows.

use crate::engine::{Rng, Time};
use rand_distr::{Distribution, Exp};

/// One window of a fault and what happened in it.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub start: Time,
    pub end: Time,
    /// Reads it made fail (or restarts it caused).
    pub hits: u64,
}

/// How long a recurring fault's windows last.
#[derive(Clone, Debug)]
pub enum Repair {
    Exponential(Exp<f64>),
    Fixed(Time),
}

/// A recurring fault's process.
#[derive(Clone, Debug)]
pub struct Recurrence {
    pub rng: Rng,
    pub up: Exp<f64>,
    pub repair: Repair,
    /// The earliest start of the next window to draw.
    pub from: Time,
}

/// See the module doc.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub windows: Vec<Window>,
    recurrence: Option<Recurrence>,
}

fn draw(d: &Exp<f64>, rng: &mut Rng) -> Time {
    // At least 1 ps: a window has a length, an up time separates windows.
    (d.sample(rng).round() as Time).max(1)
}

impl Schedule {
    /// One window [start, end) (`end` may be `Time::MAX`: to the end of the run).
    pub fn once(start: Time, end: Time) -> Self {
        Schedule {
            windows: vec![Window {
                start,
                end,
                hits: 0,
            }],
            recurrence: None,
        }
    }

    /// Recurring windows from `from` on: an up time of mean `mtbf`, then a window of
    /// `repair`, then an up time, ... (all in picoseconds).
    pub fn recurring(rng: Rng, from: Time, mtbf: Time, repair: Repair) -> Self {
        let up = Exp::new(1.0 / mtbf as f64).expect("mtbf > 0 is checked by the config");
        Schedule {
            windows: Vec::new(),
            recurrence: Some(Recurrence {
                rng,
                up,
                repair,
                from,
            }),
        }
    }

    /// Draws windows until one starts after `t` (so every window starting at or
    /// before `t` is known).
    fn extend_past(&mut self, t: Time) {
        let Some(r) = self.recurrence.as_mut() else {
            return;
        };
        while self.windows.last().is_none_or(|w| w.start <= t) {
            let start = r.from.saturating_add(draw(&r.up, &mut r.rng));
            let len = match &r.repair {
                Repair::Exponential(d) => draw(d, &mut r.rng),
                Repair::Fixed(d) => *d,
            };
            let end = start.saturating_add(len);
            self.windows.push(Window {
                start,
                end,
                hits: 0,
            });
            r.from = end;
            if start == Time::MAX {
                return;
            }
        }
    }

    /// The window containing `t`, if any (its index).
    pub fn containing(&mut self, t: Time) -> Option<usize> {
        self.extend_past(t);
        let k = self.windows.partition_point(|w| w.start <= t);
        (k > 0 && t < self.windows[k - 1].end).then(|| k - 1)
    }

    /// The first window starting in (after, before), if any (its start).
    pub fn first_start_in(&mut self, after: Time, before: Time) -> Option<Time> {
        if before <= after.saturating_add(1) {
            return None;
        }
        self.extend_past(before);
        let k = self.windows.partition_point(|w| w.start <= after);
        self.windows.get(k).map(|w| w.start).filter(|&s| s < before)
    }

    /// The first window starting after `after`, if any (its index).
    pub fn next_after(&mut self, after: Time) -> Option<usize> {
        self.extend_past(after);
        let k = self.windows.partition_point(|w| w.start <= after);
        (k < self.windows.len()).then_some(k)
    }

    /// The windows that started before `end` (for reports).
    pub fn until(&mut self, end: Time) -> &[Window] {
        self.extend_past(end);
        let k = self.windows.partition_point(|w| w.start < end);
        &self.windows[..k]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recurring_windows_have_the_asked_means_and_do_not_depend_on_queries() {
        let s = 1_000_000_000_000u64;
        let make = || {
            Schedule::recurring(
                crate::engine::stream(7, "faults.test"),
                0,
                100 * s,
                Repair::Exponential(Exp::new(1.0 / (10 * s) as f64).unwrap()),
            )
        };
        let mut a = make();
        let mut b = make();
        // Asked in different orders: the same windows.
        b.containing(500_000 * s);
        let wa: Vec<_> = a.until(1_000_000 * s).to_vec();
        for k in (0..1_000_000u64).step_by(997) {
            b.containing(k * s);
        }
        let wb: Vec<_> = b.until(1_000_000 * s).to_vec();
        assert_eq!(wa, wb);
        // ~1e6 / 110 windows; mean up ~100 s, mean down ~10 s (3% on ~9,000 draws).
        let n = wa.len() as f64;
        let down: f64 = wa.iter().map(|w| (w.end - w.start) as f64).sum::<f64>() / n / s as f64;
        let mut prev = 0;
        let mut up = 0.0;
        for w in &wa {
            up += (w.start - prev) as f64;
            prev = w.end;
        }
        let up = up / n / s as f64;
        assert!((down / 10.0 - 1.0).abs() < 0.05, "{down}");
        assert!((up / 100.0 - 1.0).abs() < 0.05, "{up}");
    }

    #[test]
    fn one_window_queries() {
        let mut w = Schedule::once(10, 20);
        assert_eq!(w.containing(9), None);
        assert_eq!(w.containing(10), Some(0));
        assert_eq!(w.containing(20), None);
        assert_eq!(w.first_start_in(5, 11), Some(10));
        assert_eq!(w.first_start_in(10, 30), None);
        assert_eq!(w.first_start_in(5, 10), None);
    }
}
