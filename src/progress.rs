//! Progress of long runs on the command line: an indicatif bar on a terminal (percent
//! done, simulated time, events/s, ETA), a plain line every ~10 s otherwise (logs,
//! batch jobs), nothing with `--quiet`. A display thread reads the [`Progress`] record
//! the event loop fills (see `crate::watch`), so the loop itself only stores a few
//! numbers every few thousand events.

use crate::config::units::fmt_time;
use crate::watch::{Progress, Snapshot};
use std::io::IsTerminal;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A bar redrawn several times a second (a terminal).
    Bar,
    /// A line to stderr at this interval (not a terminal).
    Lines(Duration),
    /// Nothing.
    Quiet,
}

/// Interval of plain progress lines.
pub const LINE_INTERVAL: Duration = Duration::from_secs(10);

impl Mode {
    /// The mode for stderr: quiet, a bar on a terminal, else lines.
    pub fn for_stderr(quiet: bool) -> Mode {
        if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Bar
        } else {
            Mode::Lines(LINE_INTERVAL)
        }
    }
}

/// "42.0% (380/905), simulated 1.234 s, 8.1 M events/s" for a snapshot taken
/// `elapsed` after the start.
pub fn describe(s: &Snapshot, elapsed: Duration) -> String {
    let mut parts = Vec::new();
    if let Some(f) = s.fraction() {
        let units = s
            .units
            .map(|(d, t)| format!(" ({d}/{t})"))
            .unwrap_or_default();
        parts.push(format!("{:.1}%{units}", f * 100.0));
    }
    parts.push(format!("simulated {}", fmt_time(s.sim_ps)));
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        parts.push(format!("{:.1} M events/s", s.events as f64 / secs / 1e6));
    }
    parts.join(", ")
}

/// A display of one run's progress; stops (and clears its bar) when dropped.
pub struct RunDisplay {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl RunDisplay {
    /// Starts showing `progress` in `mode` (`label` starts each plain line).
    pub fn start(progress: Arc<Progress>, mode: Mode, label: String) -> RunDisplay {
        if mode == Mode::Quiet {
            return RunDisplay {
                stop: None,
                thread: None,
            };
        }
        let (tx, rx) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || show(&progress, mode, &label, &rx));
        RunDisplay {
            stop: Some(tx),
            thread: Some(thread),
        }
    }
}

impl Drop for RunDisplay {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The display thread: redraws until the sender is dropped.
fn show(progress: &Progress, mode: Mode, label: &str, stop: &mpsc::Receiver<()>) {
    let start = Instant::now();
    let bar = (mode == Mode::Bar).then(|| {
        let bar = indicatif::ProgressBar::new(1000);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{elapsed_precise} [{bar:30}] {msg}, ETA {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar
    });
    let tick = match mode {
        Mode::Lines(every) => every,
        _ => Duration::from_millis(200),
    };
    loop {
        if let Some(bar) = &bar {
            let s = progress.snapshot();
            bar.set_position((s.fraction().unwrap_or(0.0) * 1000.0) as u64);
            bar.set_message(describe(&s, start.elapsed()));
        }
        match stop.recv_timeout(tick) {
            Err(RecvTimeoutError::Timeout) => {}
            _ => break,
        }
        if bar.is_none() {
            let s = progress.snapshot();
            eprintln!("{label}: {}", describe(&s, start.elapsed()));
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_reads_as_percent_time_and_rate() {
        let s = Snapshot {
            sim_ps: 1_234_000_000_000,
            events: 8_000_000,
            units: Some((380, 1000)),
            duration_ps: None,
        };
        assert_eq!(
            describe(&s, Duration::from_secs(2)),
            "38.0% (380/1000), simulated 1.234 s, 4.0 M events/s"
        );
        let bare = Snapshot { units: None, ..s };
        assert_eq!(describe(&bare, Duration::ZERO), "simulated 1.234 s");
    }
}
