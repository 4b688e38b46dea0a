//! `evently-load` drives a running Evently server over HTTP and reports throughput,
//! latency percentiles, errors and whether the booking invariants held.
//!
//! ```text
//! evently-load <stampede|hot|spread|read|mixed|bare> [--base URL] [--clients N]
//!     [--duration SECS] [--capacity C] [--users U] [--events E] [--json FILE]
//!     [--admin-email E] [--admin-password P] [--path P] [--addr A]
//! ```

mod api;
mod args;
mod bare;
mod report;
mod scenarios;

use args::Args;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse(std::env::args().skip(1))?;
    if args.scenario == "bare" {
        return bare::serve(&args.text("addr", "127.0.0.1:8090")).await;
    }
    let report = scenarios::run(&args).await?;
    println!("{}", report.summary());
    if let Some(path) = args.optional("json") {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    if let Some(problem) = &report.invariants_violated {
        anyhow::bail!("invariants violated: {problem}");
    }
    Ok(())
}
