//! The event queue: a binary heap of (time, sequence) keys. Measured faster than the
//! DES crates several times over (benches/README.md).

use super::Time;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A pending event. Ordered by (time, seq) compared as one u128, time * 2^64 + seq
/// (branch-free); stored as two u64 so an entry stays 8-byte aligned and small.
struct Entry<E> {
    time: Time,
    seq: u64,
    event: E,
}

impl<E> Entry<E> {
    #[inline]
    fn time(&self) -> Time {
        self.time
    }
    #[inline]
    fn key(&self) -> u128 {
        ((self.time as u128) << 64) | self.seq as u128
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    // Reversed: BinaryHeap is a max-heap and we pop the earliest (time, seq).
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        other.key().cmp(&self.key())
    }
}

/// Pending events in time order; ties leave in the order they were scheduled.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    seq: u64,
    now: Time,
    processed: u64,
    /// Whether an event was scheduled at or past `Time::MAX` (2^64 - 1 ps): simulated
    /// time overflowed, and the run must stop with an error rather than go on with a
    /// capped clock.
    overflowed: bool,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(1024),
            seq: 0,
            now: 0,
            processed: 0,
            overflowed: false,
        }
    }

    /// The time of the event being handled (or of the last one popped).
    #[inline]
    pub fn now(&self) -> Time {
        self.now
    }

    /// Events popped so far.
    #[inline]
    pub fn processed(&self) -> u64 {
        self.processed
    }

    /// Pending events.
    #[inline]
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Whether simulated time overflowed: an event was scheduled at `Time::MAX` (what
    /// saturating time arithmetic yields past 2^64 ps) or `schedule_in` passed it.
    #[inline]
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    /// Schedules `event` at absolute time `at` (never before now). `Time::MAX` marks
    /// an overflow of simulated time (see [`EventQueue::overflowed`]).
    #[inline]
    pub fn schedule_at(&mut self, at: Time, event: E) {
        self.overflowed |= at == Time::MAX;
        let time = at.max(self.now);
        self.seq += 1;
        self.heap.push(Entry {
            time,
            seq: self.seq,
            event,
        });
    }

    /// Schedules `event` after `delay`; past 2^64 ps it is an overflow (see
    /// [`EventQueue::overflowed`]), never a capped time.
    #[inline]
    pub fn schedule_in(&mut self, delay: Time, event: E) {
        self.schedule_at(self.now.saturating_add(delay), event);
    }

    /// The time of the next event, if any.
    #[inline]
    pub fn peek_time(&self) -> Option<Time> {
        self.heap.peek().map(|e| e.time())
    }

    /// Removes the earliest event and advances the clock to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(Time, E)> {
        let e = self.heap.pop()?;
        self.now = e.time();
        self.processed += 1;
        Some((self.now, e.event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_time_events_leave_in_scheduling_order() {
        let mut q = EventQueue::new();
        q.schedule_at(10, 'b');
        q.schedule_at(5, 'a');
        q.schedule_at(10, 'c');
        q.schedule_at(10, 'd');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['a', 'b', 'c', 'd']);
        assert_eq!(q.now(), 10);
        assert_eq!(q.processed(), 4);
    }

    #[test]
    fn time_past_two_to_the_64_is_an_overflow_not_a_cap() {
        let mut q = EventQueue::new();
        q.schedule_at(u64::MAX - 1, 'a');
        assert!(!q.overflowed());
        q.pop();
        q.schedule_in(1, 'b');
        assert!(q.overflowed(), "now + 1 = 2^64 - 1 is the overflow marker");
        let mut q = EventQueue::new();
        q.schedule_at(10, 'a');
        q.pop();
        q.schedule_in(u64::MAX - 5, 'b');
        assert!(q.overflowed(), "10 + 2^64 - 6 passes 2^64");
    }

    #[test]
    fn scheduling_in_the_past_runs_now() {
        let mut q = EventQueue::new();
        q.schedule_at(100, 1);
        q.pop();
        q.schedule_at(50, 2);
        assert_eq!(q.pop(), Some((100, 2)));
    }
}
