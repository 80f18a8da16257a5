//! `tiersim plot KIND ...`: paper-ready figures (PNG or SVG by the --out extension)
//! from result files: miss-ratio curves, latency CDFs, tier time series, training
//! stall breakdowns, per-job stall, per-node NIC bandwidth and where nodes were
//! served, and sweeps' runs.csv; one or two paper columns wide, with or without a
//! title (see docs/figures.md).

use crate::plot::{
    self, mrc::MrcOptions, node_nic::NodeNicOptions, runs::RunsOptions,
    timeseries::TimeseriesOptions,
};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `tiersim plot`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub kind: Kind,
    #[command(flatten)]
    pub look: Look,
}

/// How the figure is set for a paper (any plot kind).
#[derive(clap::Args, Debug)]
pub struct Look {
    /// One paper column (3.5 in) or both columns (7 in).
    #[arg(long, global = true, value_enum, default_value = "one-column")]
    pub width: plot::Width,
    /// Resolution of a PNG (an SVG is sized in inches either way).
    #[arg(long, global = true, default_value = "300", value_parser = plot::layout::parse_dpi)]
    pub dpi: u32,
    /// Leave the title out (for papers that caption below the figure).
    #[arg(long, global = true)]
    pub no_title: bool,
    /// Use this title instead of the kind's own.
    #[arg(long, global = true, conflicts_with = "no_title")]
    pub title: Option<String>,
}

/// The plot kinds.
#[derive(clap::Subcommand, Debug)]
pub enum Kind {
    /// Miss ratio vs cache size from `tiersim replay` CSV (one line per policy) or
    /// `tiersim replay --mrc` CSV.
    Mrc {
        /// One or more replay CSV files.
        #[arg(required = true)]
        csv: Vec<PathBuf>,
        /// The figure to write: .png or .svg.
        #[arg(long)]
        out: PathBuf,
        /// Plot byte_miss_ratio instead of miss_ratio.
        #[arg(long)]
        byte_miss_ratio: bool,
        /// Cache sizes are bytes (replay without --ignore-size), not objects.
        #[arg(long)]
        size_in_bytes: bool,
        /// Linear cache-size axis instead of log.
        #[arg(long)]
        linear: bool,
    },
    /// Latency CDFs (log x) from a run folder or its latency_cdf.csv.
    LatencyCdf {
        /// A run folder or its latency_cdf.csv.
        run: PathBuf,
        /// The figure to write: .png or .svg.
        #[arg(long)]
        out: PathBuf,
        /// Only these histograms (comma-separated), e.g. read,write.
        #[arg(long, value_delimiter = ',')]
        names: Vec<String>,
    },
    /// Per-tier bandwidth and utilisation over time from a run folder or timeseries.csv
    /// (a long run as the mean per bin with a min-max band).
    TierTimeseries {
        /// A run folder or its timeseries.csv.
        run: PathBuf,
        /// The figure to write: .png or .svg.
        #[arg(long)]
        out: PathBuf,
        /// Start of the window to show, seconds of simulated time.
        #[arg(long)]
        from: Option<f64>,
        /// End of the window to show, seconds of simulated time.
        #[arg(long)]
        to: Option<f64>,
        /// Cut the bandwidth axis at this percentile of the samples (e.g. 99); where
        /// a tier goes above, the top edge is marked.
        #[arg(long, value_name = "P")]
        y_percentile: Option<f64>,
        /// Bin width in seconds for a long run (e.g. an epoch) [default: 4 pixels].
        #[arg(long, value_name = "SECONDS")]
        bin: Option<f64>,
    },
    /// Training time per rank (compute, data stall, sync, checkpoint) from a run folder
    /// or training_ranks.csv.
    Stall {
        /// A run folder or its training_ranks.csv.
        run: PathBuf,
        /// The figure to write: .png or .svg.
        #[arg(long)]
        out: PathBuf,
    },
    /// A job's throughput (data read per second) over time with the fault windows of
    /// faults.csv shaded, from a run folder.
    FaultThroughput {
        /// A run folder or its timeseries.csv.
        run: PathBuf,
        /// The figure to write: .png or .svg.
        #[arg(long)]
        out: PathBuf,
    },
    /// Data stall per epoch of each training job over the run's time, from the folder
    /// of a [[jobs]] run (jobs.csv and job-<name>.training_epochs.csv).
    JobStall {
        /// A run folder or its jobs.csv.
        run: PathBuf,
        /// The figure to write: .png or .svg.
        #[arg(long)]
        out: PathBuf,
    },
    /// NIC bandwidth and utilisation per node over time, from the folder of a cluster
    /// run (nodes.csv and timeseries.csv); with more than 8 nodes, the max, median and
    /// min across nodes.
    NodeNic {
        /// A run folder or its nodes.csv.
        run: PathBuf,
        /// The figure to write: .png or .svg.
        #[arg(long)]
        out: PathBuf,
        /// Draw these nodes, a line each (comma-separated), e.g. 0,5,17.
        #[arg(long, value_delimiter = ',')]
        nodes: Vec<u32>,
        /// Start of the window to show, seconds of simulated time.
        #[arg(long)]
        from: Option<f64>,
        /// End of the window to show, seconds of simulated time.
        #[arg(long)]
        to: Option<f64>,
        /// Cut the bandwidth axis at this percentile of the values (e.g. 99).
        #[arg(long, value_name = "P")]
        y_percentile: Option<f64>,
        /// Bin width in seconds for a long run [default: 4 pixels].
        #[arg(long, value_name = "SECONDS")]
        bin: Option<f64>,
    },
    /// Where each node's accesses were served (its own tiers, another node's, a shared
    /// tier), stacked bars from a cluster run's folder or its nodes.csv.
    NodeServed {
        /// A run folder or its nodes.csv.
        run: PathBuf,
        /// The figure to write: .png or .svg.
        #[arg(long)]
        out: PathBuf,
    },
    /// A line chart (or heatmap) from a sweep's runs.csv.
    Runs {
        /// A sweep's runs.csv.
        csv: PathBuf,
        /// The figure to write: .png or .svg.
        #[arg(long)]
        out: PathBuf,
        /// Column on the x axis.
        #[arg(long)]
        x: String,
        /// Column on the y axis (a metric for lines; a parameter for a heatmap).
        #[arg(long)]
        y: String,
        /// One line per value of this column (repeat for one line per combination).
        #[arg(long)]
        series: Vec<String>,
        /// Draw a heatmap of this column over x and y instead of lines.
        #[arg(long, value_name = "COLUMN")]
        heatmap: Option<String>,
        /// Keep only rows where COLUMN=VALUE (repeatable).
        #[arg(long = "where", value_name = "COLUMN=VALUE", value_parser = parse_filter)]
        filters: Vec<(String, String)>,
        #[arg(long)]
        xlabel: Option<String>,
        #[arg(long)]
        ylabel: Option<String>,
        /// Log x axis (numeric x only).
        #[arg(long)]
        logx: bool,
    },
}

fn parse_filter(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .ok_or_else(|| format!("--where: expected COLUMN=VALUE, got '{s}'"))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (fig, out) = match args.kind {
        Kind::Mrc {
            csv,
            out,
            byte_miss_ratio,
            size_in_bytes,
            linear,
        } => (
            plot::mrc::figure(&MrcOptions {
                inputs: csv,
                bytes_metric: byte_miss_ratio,
                size_in_bytes,
                linear_x: linear,
            })?,
            out,
        ),
        Kind::LatencyCdf { run, out, names } => (plot::latency::figure(&run, &names)?, out),
        Kind::TierTimeseries {
            run,
            out,
            from,
            to,
            y_percentile,
            bin,
        } => (
            plot::timeseries::figure_with(&TimeseriesOptions {
                input: run,
                from,
                to,
                y_percentile,
                bin_s: bin,
            })?,
            out,
        ),
        Kind::Stall { run, out } => (plot::stall::figure(&run)?, out),
        Kind::JobStall { run, out } => (plot::job_stall::figure(&run)?, out),
        Kind::FaultThroughput { run, out } => (plot::fault_throughput::figure(&run)?, out),
        Kind::NodeNic {
            run,
            out,
            nodes,
            from,
            to,
            y_percentile,
            bin,
        } => (
            plot::node_nic::figure_with(&NodeNicOptions {
                series: TimeseriesOptions {
                    input: run,
                    from,
                    to,
                    y_percentile,
                    bin_s: bin,
                },
                nodes,
            })?,
            out,
        ),
        Kind::NodeServed { run, out } => (plot::node_served::figure(&run)?, out),
        Kind::Runs {
            csv,
            out,
            x,
            y,
            series,
            heatmap,
            filters,
            xlabel,
            ylabel,
            logx,
        } => (
            plot::runs::figure(&RunsOptions {
                input: csv,
                x,
                y,
                series,
                heatmap,
                filters,
                x_label: xlabel,
                y_label: ylabel,
                x_log: logx,
                title: None,
            })?,
            out,
        ),
    };
    let look = args.look;
    let fig = match (&look.title, look.no_title) {
        (Some(t), _) => fig.titled(t),
        (None, true) => fig.untitled(),
        (None, false) => fig,
    };
    let layout = plot::Layout {
        width: look.width,
        dpi: look.dpi,
        titles: !look.no_title,
        ..Default::default()
    };
    plot::save_with(&fig, &out, &layout)?;
    eprintln!("wrote {}", out.display());
    Ok(ExitCode::SUCCESS)
}
