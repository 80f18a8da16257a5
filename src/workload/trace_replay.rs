//! Trace replay as a timed workload: the requests of a trace file (any format
//! `tiersim::trace::open` reads, streamed, never loaded whole) issued through the
//! hierarchy either by `clients` closed-loop clients (`mode = "closed"`: each issues
//! the next request of the shared stream when its previous one completes) or open loop
//! at the trace's own timestamps (`mode = "open"`: request i is issued at
//! (t_i - t_0) x `time_scale`; a timestamp earlier than its predecessor is issued at
//! once).
//!
//! `path` is resolved against the config file's folder when relative (see
//! `BuildCtx::resolve`). By default the trace is read once at build time to validate it
//! (a bad record is a config error naming the line or byte offset) and count its
//! requests; `validate = false` skips that pass, and an error found while replaying
//! then stops the replay and is reported in summary.json as `trace_error`.

use super::BuildCtx;
use crate::config::{parse_table, Bytes, ConfigError};
use crate::engine::Time;
use crate::registry::ComponentParams;
use crate::sim::{ClientActors, Ctx, Workload};
use crate::trace::{Format, Request, TraceReader};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Closed,
    Open,
}

/// The trace workload's parameters.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The trace file, relative to the config file's folder.
    path: PathBuf,
    /// Its format (see `tiersim trace`); guessed from the file name when absent.
    format: Option<String>,
    /// `closed` (clients) or `open` (at the trace's timestamps); default closed.
    #[serde(default)]
    mode: Mode,
    /// Closed-loop clients, >= 1; default 1.
    #[serde(default = "one")]
    clients: u32,
    /// Open loop: trace time is multiplied by this, > 0; default 1.
    #[serde(default = "one_f")]
    time_scale: f64,
    /// Every request's size (for formats without sizes, such as txt: size 1).
    size: Option<Bytes>,
    /// Replay at most this many requests.
    max_requests: Option<u64>,
    /// Read the trace once at build time to validate it; default true.
    #[serde(default = "yes")]
    validate: bool,
}

impl ComponentParams for Params {
    fn files(&mut self) -> Vec<&mut std::path::PathBuf> {
        vec![&mut self.path]
    }
}

fn one() -> u32 {
    1
}
fn one_f() -> f64 {
    1.0
}
fn yes() -> bool {
    true
}

/// See the module doc.
pub struct TraceReplay {
    path: PathBuf,
    /// Closed-loop clients, or the open-loop generator and sink (set at start).
    actors: ClientActors,
    mode: Mode,
    clients: u32,
    time_scale: f64,
    size: Option<u32>,
    limit: u64,
    reader: Box<dyn TraceReader>,
    /// Open loop: the next request and its trace time.
    pending: Option<Request>,
    first_time: Option<u64>,
    exhausted: bool,
    error: Option<String>,
    issued: u64,
    completed: u64,
    validated_requests: Option<u64>,
}

fn err(key: &str, msg: impl Into<String>) -> ConfigError {
    ConfigError::new(format!("workload.{key}"), msg)
}

pub fn build(params: toml::Table, ctx: &BuildCtx) -> Result<Box<dyn Workload>, ConfigError> {
    let p: Params = parse_table(toml::Value::Table(params), "workload")?;
    if p.clients == 0 {
        return Err(err("clients", "must be at least 1"));
    }
    if p.mode == Mode::Open && p.clients != 1 {
        return Err(err(
            "clients",
            "only for mode = \"closed\" (open loop follows the trace's timestamps)",
        ));
    }
    if !(p.time_scale > 0.0 && p.time_scale.is_finite()) {
        return Err(err("time_scale", "must be greater than zero"));
    }
    let size = match p.size {
        None => None,
        Some(b) => match u32::try_from(b.0) {
            Ok(0) => return Err(err("size", "must be greater than zero")),
            Ok(v) => Some(v),
            Err(_) => return Err(err("size", "objects are at most 4GiB")),
        },
    };
    let format = match &p.format {
        Some(f) => Some(Format::from_name(f).map_err(|e| err("format", e.to_string()))?),
        None => None,
    };
    let path = ctx.resolve(&p.path);
    if !path.is_file() {
        return Err(err(
            "path",
            format!(
                "trace file {} not found (relative paths are taken from the config file's folder)",
                path.display()
            ),
        ));
    }
    let open = || crate::trace::open(&path, format).map_err(|e| err("path", e.to_string()));
    let limit = p.max_requests.unwrap_or(u64::MAX);
    let validated_requests = if p.validate {
        let mut r = open()?;
        let mut n = 0u64;
        while n < limit {
            match r.next_request() {
                Ok(Some(_)) => n += 1,
                Ok(None) => break,
                Err(e) => return Err(err("path", e.to_string())),
            }
        }
        Some(n)
    } else {
        None
    };
    Ok(Box::new(TraceReplay {
        actors: ClientActors::default(),
        reader: open()?,
        path,
        mode: p.mode,
        clients: p.clients,
        time_scale: p.time_scale,
        size,
        limit,
        pending: None,
        first_time: None,
        exhausted: false,
        error: None,
        issued: 0,
        completed: 0,
        validated_requests,
    }))
}

impl TraceReplay {
    /// The next request of the trace, or None at its end (or after an error).
    fn next(&mut self) -> Option<Request> {
        if self.exhausted || self.issued >= self.limit {
            self.exhausted = true;
            return None;
        }
        match self.reader.next_request() {
            Ok(Some(mut r)) => {
                if let Some(s) = self.size {
                    r.size = s;
                }
                Some(r)
            }
            Ok(None) => {
                self.exhausted = true;
                None
            }
            Err(e) => {
                self.error = Some(e.to_string());
                self.exhausted = true;
                None
            }
        }
    }

    fn issue(&mut self, mut r: Request, actor: u32, ctx: &mut Ctx) {
        r.time = ctx.now();
        self.issued += 1;
        ctx.io(&r, false, actor, 0);
    }

    /// When the open-loop request `r` is due.
    fn due(&mut self, r: &Request) -> Time {
        let t0 = *self.first_time.get_or_insert(r.time);
        (r.time.saturating_sub(t0) as f64 * self.time_scale).round() as Time
    }

    /// Open loop: issues every request due now, then sleeps until the next one.
    fn generate(&mut self, ctx: &mut Ctx) {
        loop {
            let r = match self.pending.take().or_else(|| self.next()) {
                Some(r) => r,
                None => return,
            };
            let due = self.due(&r);
            if due > ctx.now() {
                self.pending = Some(r);
                ctx.wake_at(due, self.actors.generator, 0);
                return;
            }
            self.issue(r, self.actors.sink, ctx);
        }
    }
}

impl Workload for TraceReplay {
    fn start(&mut self, ctx: &mut Ctx) {
        self.actors = ClientActors::allocate(ctx, self.clients);
        match self.mode {
            Mode::Open => self.generate(ctx),
            Mode::Closed => {
                for c in 0..self.clients {
                    match self.next() {
                        Some(r) => self.issue(r, self.actors.first + c, ctx),
                        None => break,
                    }
                }
            }
        }
    }

    fn on_event(&mut self, actor: u32, _tag: u64, ctx: &mut Ctx) {
        if actor == self.actors.generator {
            self.generate(ctx);
            return;
        }
        self.completed += 1;
        if actor != self.actors.sink {
            if let Some(r) = self.next() {
                self.issue(r, actor, ctx);
            }
        }
    }

    fn is_done(&self) -> bool {
        self.exhausted && self.pending.is_none() && self.completed >= self.issued
    }

    fn summary(&self, end: Time) -> serde_json::Value {
        let secs = crate::engine::secs(end);
        let mut v = serde_json::json!({
            "kind": "trace",
            // The file name only: where the file lives (the checkout, the current
            // folder, a resolved config's absolute path) must not change summary.json.
            // manifest.json's resolved config has the full path.
            "path": self.path.file_name().map_or_else(
                || self.path.display().to_string(),
                |n| n.to_string_lossy().into_owned()
            ),
            "mode": match self.mode { Mode::Open => "open", Mode::Closed => "closed" },
            "requests_issued": self.issued,
            "requests_completed": self.completed,
            "throughput_requests_per_s": if secs > 0.0 { self.completed as f64 / secs } else { 0.0 },
        });
        if let Some(n) = self.validated_requests {
            v["trace_requests"] = n.into();
        }
        if let Some(e) = &self.error {
            v["trace_error"] = e.clone().into();
        }
        v
    }
}
