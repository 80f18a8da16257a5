//! tiersim: a simulator of tiered memory and storage under machine-learning workloads.
//!
//! The flow: a TOML config ([`config`]) builds a model of devices ([`device`]) arranged
//! in a tier hierarchy ([`hierarchy`]) with policies ([`policy`]), driven by a workload
//! ([`workload`]) through the discrete-event engine ([`engine`]); metrics ([`metrics`])
//! land in result files ([`report`]). Replay ([`replay`]) runs the same policies
//! functionally over a trace ([`trace`]) at cache-simulator speed.

pub mod atomic;
pub mod calibrate;
pub mod cli;
pub mod config;
pub mod cpu;
pub mod datapath;
pub mod device;
pub mod engine;
pub mod fault;
pub mod hierarchy;
pub mod htmlreport;
pub mod huge;
pub mod memory;
pub mod metrics;
pub mod model;
pub mod plot;
pub mod policy;
pub mod progress;
pub mod registry;
pub mod replay;
pub mod report;
pub mod runner;
pub mod sim;
pub mod sweep;
pub mod trace;
pub mod validate;
pub mod watch;
pub mod workload;
