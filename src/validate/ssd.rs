//! SSD checks: QD1 4 KB random read latency and QD16 IOPS (REFERENCES.md s1: AnandTech's
//! P4800X review; the Micron 9200 datasheet).

use super::{num, row, run_toml, CheckOutput, Env};

const TOL: f64 = 10.0;

/// (mean read latency us, IOPS) of `clients` closed-loop clients doing 4 KiB random reads.
fn random_reads(env: &Env, preset: &str, clients: u32) -> anyhow::Result<(f64, f64)> {
    let toml = format!(
        "{}\n[workload]\nkind = \"synthetic\"\npattern = \"uniform\"\nobjects = 1_000_000\n\
         requests = {}\nclients = {clients}\nsize = \"4KiB\"\n",
        env.tier("ssd", preset, ""),
        2000 * clients
    );
    let s = run_toml(&toml, 1)?;
    Ok((
        num(&s, "/latency/read/mean_ns")? / 1e3,
        num(&s, "/workload/throughput_requests_per_s")?,
    ))
}

/// Optane SSD P4800X: QD1 4 KB random read 8.9 us; 585K IOPS at QD16 (AnandTech,
/// REFERENCES s1).
pub fn optane_ssd(env: &Env) -> anyhow::Result<CheckOutput> {
    let (qd1, _) = random_reads(env, "optane-ssd", 1)?;
    let (_, iops) = random_reads(env, "optane-ssd", 16)?;
    let src = "AnandTech P4800X review (REFERENCES s1)";
    Ok(CheckOutput {
        rows: vec![
            row(
                "ssd-optane",
                "QD1 4 KB random read latency",
                qd1,
                8.9,
                "us",
                TOL,
                src,
            ),
            row(
                "ssd-optane",
                "QD16 4 KB random read IOPS",
                iops / 1e3,
                585.0,
                "K IOPS",
                TOL,
                src,
            ),
        ],
        ..Default::default()
    })
}

/// NVMe TLC PCIe 3 (Micron 9200): QD1 4 KB random read 92 us (92-150 us, datasheet,
/// REFERENCES s1).
pub fn flash_ssd(env: &Env) -> anyhow::Result<CheckOutput> {
    let (qd1, _) = random_reads(env, "nvme-tlc-pcie3", 1)?;
    Ok(CheckOutput {
        rows: vec![row(
            "ssd-flash",
            "nvme-tlc-pcie3 QD1 4 KB random read latency",
            qd1,
            92.0,
            "us",
            TOL,
            "Micron 9200 datasheet (REFERENCES s1)",
        )],
        ..Default::default()
    })
}
