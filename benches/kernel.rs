//! Kernel throughput on the classic hold model: 1,000 pending events; each handled
//! event schedules one new event at a random (exponential) delay.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand_distr::{Distribution, Exp};
use tiersim::engine::{stream, EventQueue, NS};

const PENDING: u64 = 1_000;
const EVENTS: u64 = 1_000_000;

fn hold(c: &mut Criterion) {
    let mut g = c.benchmark_group("kernel");
    g.throughput(Throughput::Elements(EVENTS));
    g.bench_function("hold_1000_pending", |b| {
        b.iter(|| {
            let mut rng = stream(1, "bench.hold");
            let delay = Exp::new(1.0 / (100.0 * NS as f64)).unwrap();
            let mut q: EventQueue<u32> = EventQueue::new();
            for i in 0..PENDING {
                q.schedule_in(delay.sample(&mut rng) as u64, i as u32);
            }
            let mut sum = 0u64;
            for _ in 0..EVENTS {
                let (_, ev) = q.pop().expect("never empty");
                sum = sum.wrapping_add(ev as u64);
                q.schedule_in(delay.sample(&mut rng) as u64, ev);
            }
            sum
        })
    });
    // Baseline: the same loop on a bare binary heap of (time, seq) keys, to tell the
    // queue's own overhead from the machine's speed.
    g.bench_function("bare_binary_heap_baseline", |b| {
        b.iter(|| {
            use std::cmp::Reverse;
            let mut rng = stream(1, "bench.hold");
            let delay = Exp::new(1.0 / (100.0 * NS as f64)).unwrap();
            let mut heap = std::collections::BinaryHeap::new();
            let mut seq = 0u64;
            for _ in 0..PENDING {
                seq += 1;
                heap.push(Reverse((delay.sample(&mut rng) as u64, seq)));
            }
            let mut sum = 0u64;
            for _ in 0..EVENTS {
                let Reverse((t, s)) = heap.pop().expect("never empty");
                sum = sum.wrapping_add(s);
                seq += 1;
                heap.push(Reverse((t + delay.sample(&mut rng) as u64, seq)));
            }
            sum
        })
    });
    g.finish();
}

criterion_group!(benches, hold);
criterion_main!(benches);
