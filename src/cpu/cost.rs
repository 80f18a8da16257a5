//! The CPU keys of a config: `[cpu]` (the cores of every node), and the `cpu` table of
//! a `[[tiers]]` or `[[links]]` entry (the CPU work one request costs: a protocol stack's
//! per-request and per-byte cost, a page-cache copy, and the same on a storage server's
//! own CPU), with presets for common stacks. Figures cite their source or say
//! "assumption" (see docs/cpu.md).

use crate::config::{ConfigError, Duration};
use crate::engine::Time;
use serde::{Deserialize, Serialize};

/// The most cores a node or server may have (a pool holds a free time per core).
pub const MAX_CORES: u32 = 4096;

/// Checks a core count at `path`: 1 to [`MAX_CORES`].
pub fn check_cores(cores: Option<u32>, path: &str) -> Result<(), ConfigError> {
    match cores {
        Some(0) => Err(ConfigError::new(
            path,
            "must be at least 1 (leave it out for unlimited cores)",
        )),
        Some(c) if c > MAX_CORES => Err(ConfigError::new(
            path,
            format!("{c} cores; at most {MAX_CORES} (leave it out for unlimited cores)"),
        )),
        _ => Ok(()),
    }
}

/// `[cpu]`: the host CPUs.
#[derive(Clone, Debug, Deserialize, Serialize, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CpuConfig {
    /// Cores of every node (a `[cluster]` node group's `cpu_cores` overrides it);
    /// absent: unlimited (work never waits for a core).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cores: Option<u32>,
}

/// The `cpu` table of a tier or link: the CPU work of one request through it.
#[derive(Clone, Debug, Deserialize, Serialize, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CpuCostConfig {
    /// A stack's figures ([`PRESETS`]); the keys below override them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// On the requester's node: protocol time per request and per byte.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_request: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_byte: Option<Duration>,
    /// On the requester's node: a copy per byte (a page-cache hit copied to the reader).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy_per_byte: Option<Duration>,
    /// The storage server's own CPU (tiers only): its cores (absent: unlimited) and
    /// its protocol time per request and per byte.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_cores: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_per_request: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_per_byte: Option<Duration>,
}

/// CPU work of one request on one side: protocol per request and per byte, copy per
/// byte (picoseconds).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cost {
    pub per_request: Time,
    pub per_byte: Time,
    pub copy_per_byte: Time,
}

impl Cost {
    /// Protocol and copy time of a request of `bytes`.
    #[inline]
    pub fn split(&self, bytes: u64) -> (Time, Time) {
        (
            self.per_request
                .saturating_add(self.per_byte.saturating_mul(bytes)),
            self.copy_per_byte.saturating_mul(bytes),
        )
    }

    fn is_zero(&self) -> bool {
        *self == Cost::default()
    }
}

/// A resolved `cpu` table: the requester's cost, the server's cost and cores.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResolvedCost {
    pub client: Option<Cost>,
    pub server: Option<Cost>,
    pub server_cores: Option<u32>,
}

/// A preset: name, what it stands for, client cost, server cost.
pub struct Preset {
    pub name: &'static str,
    pub about: &'static str,
    pub client: Cost,
    pub server: Cost,
}

const NS: Time = 1_000;

const fn cost(per_request: Time, per_byte: Time, copy_per_byte: Time) -> Cost {
    Cost {
        per_request,
        per_byte,
        copy_per_byte,
    }
}

/// Per-request and per-byte CPU costs of common stacks (REFERENCES.md s5).
pub const PRESETS: &[Preset] = &[
    // SPDK's user-space polled NVMe driver: 10.39 M 4 KiB IOPS on one core
    // (spdk.io, 2019): 1 / 10.39 M = 96.2 ns per request; data moves by DMA.
    Preset {
        name: "spdk",
        about: "local NVMe through SPDK's user-space polled driver",
        client: cost(96_246, 0, 0),
        server: cost(0, 0, 0),
    },
    // io_uring, polled, QD128: 2.58 M IOPS per core (Axboe, 2020): 387.6 ns per
    // request (512 B reads: the per-request floor); O_DIRECT, so no copy.
    Preset {
        name: "io_uring",
        about: "local NVMe through the kernel (io_uring, O_DIRECT)",
        client: cost(387_597, 0, 0),
        server: cost(0, 0, 0),
    },
    // A buffered (page-cache) read costs about twice the CPU of an uncached one
    // (Axboe, RWF_UNCACHED, 2024): the copy to the reader. Per byte: a memcpy at
    // 10 GB/s per core, 0.1 ns per byte (assumption).
    Preset {
        name: "page-cache",
        about: "a page-cache hit copied to the reader",
        client: cost(0, 0, 100),
        server: cost(0, 0, 0),
    },
    // NVMe-oF through the Linux kernel on both sides. SPDK's RDMA target reached
    // 10.94 M 4 KiB IOPS on 8 cores (SPDK 24.05 NVMe-oF RDMA performance report, read
    // via a summary at techbytes.app, 2026): 731 ns per request per core, and up to
    // 5.09x the IOPS per core of the kernel's target: 5.09 x 731 ns = 3.72 us per
    // request, taken for each side (the 2018 Hitachi report on spdk.io gives up to
    // 8x). Per byte: kernel TCP copies and checksums at 4 GB/s per core, 0.25 ns per
    // byte (assumption; set per_byte = "0s" for RDMA).
    Preset {
        name: "nvmf-kernel",
        about: "NVMe-oF over TCP, kernel initiator and kernel target",
        client: cost(3_721 * NS, 250, 0),
        server: cost(3_721 * NS, 250, 0),
    },
    // NVMe-oF with SPDK's user-space initiator and target over RDMA: 731 ns per
    // request per core each side (the SPDK 24.05 figure above, target side; the
    // initiator taken alike: assumption); RDMA moves the bytes.
    Preset {
        name: "nvmf-rdma-spdk",
        about: "NVMe-oF over RDMA, SPDK initiator and SPDK target",
        client: cost(731 * NS, 0, 0),
        server: cost(731 * NS, 0, 0),
    },
    // The target offloaded to a DPU (its own cores, not the server's host) and the
    // remote namespace presented to the host as a local NVMe device: the host pays
    // the kernel's local NVMe cost (io_uring figure above), the server's CPU nothing.
    Preset {
        name: "nvmf-offload",
        about: "NVMe-oF with the target on a DPU; the host sees a local NVMe",
        client: cost(387_597, 0, 0),
        server: cost(0, 0, 0),
    },
];

/// The preset called `name`.
pub fn preset(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

impl CpuCostConfig {
    /// The costs this table gives; errors name `path` (`tiers[i].cpu`).
    pub fn resolve(&self, path: &str, tier: bool) -> Result<ResolvedCost, ConfigError> {
        let base = match &self.preset {
            Some(name) => preset(name).ok_or_else(|| {
                let names: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
                ConfigError::new(
                    format!("{path}.preset"),
                    format!(
                        "unknown CPU preset '{name}', expected one of {}",
                        names.join(", ")
                    ),
                )
            })?,
            None => &Preset {
                name: "",
                about: "",
                client: cost(0, 0, 0),
                server: cost(0, 0, 0),
            },
        };
        if !tier {
            let server = [
                ("server_cores", self.server_cores.is_some()),
                ("server_per_request", self.server_per_request.is_some()),
                ("server_per_byte", self.server_per_byte.is_some()),
            ];
            if let Some((k, _)) = server.iter().find(|x| x.1) {
                return Err(ConfigError::new(
                    format!("{path}.{k}"),
                    "a link has no server CPU (give it on the storage tier)",
                ));
            }
        }
        check_cores(self.server_cores, &format!("{path}.server_cores"))?;
        let or = |v: Option<Duration>, d: Time| v.map_or(d, |x| x.0);
        let client = Cost {
            per_request: or(self.per_request, base.client.per_request),
            per_byte: or(self.per_byte, base.client.per_byte),
            copy_per_byte: or(self.copy_per_byte, base.client.copy_per_byte),
        };
        let server = Cost {
            per_request: or(self.server_per_request, base.server.per_request),
            per_byte: or(self.server_per_byte, base.server.per_byte),
            copy_per_byte: 0,
        };
        Ok(ResolvedCost {
            client: (!client.is_zero()).then_some(client),
            server: (!server.is_zero() || self.server_cores.is_some()).then_some(server),
            server_cores: self.server_cores,
        })
    }
}

impl crate::config::Config {
    /// Checks `[cpu]` and every tier's and link's `cpu` table (called by `check`).
    pub(crate) fn check_cpu(&self) -> Result<(), ConfigError> {
        check_cores(self.cpu.as_ref().and_then(|c| c.cores), "cpu.cores")?;
        if let Some(c) = &self.cluster {
            for (i, g) in c.nodes.iter().enumerate() {
                check_cores(g.cpu_cores, &format!("cluster.nodes[{i}].cpu_cores"))?;
            }
        }
        for (i, t) in self.tiers.iter().enumerate() {
            if let Some(c) = &t.cpu {
                c.resolve(&format!("tiers[{i}].cpu"), true)?;
            }
        }
        for (i, l) in self.links.iter().enumerate() {
            if let Some(c) = &l.cpu {
                c.resolve(&format!("links[{i}].cpu"), false)?;
            }
        }
        Ok(())
    }

    /// Whether the config says anything about CPUs (else the model has none and
    /// results carry no CPU section).
    pub fn models_cpu(&self) -> bool {
        self.cpu.is_some()
            || self
                .cluster
                .as_ref()
                .is_some_and(|c| c.nodes.iter().any(|g| g.cpu_cores.is_some()))
            || self
                .tiers
                .iter()
                .chain(&self.links)
                .any(|t| t.cpu.is_some())
    }
}
