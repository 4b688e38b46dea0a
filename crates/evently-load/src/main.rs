//! `evently-load` drives a running Evently server over HTTP and reports throughput,
//! latency percentiles, errors and whether the booking invariants held.
//!
//! Usage: `evently-load --help` (the text is in `usage.txt`).

mod api;
mod args;
mod bare;
mod report;
mod scenarios;

use args::Args;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    if raw.is_empty() || raw.iter().any(|a| a == "--help" || a == "-h") {
        print!("{}", include_str!("usage.txt"));
        return Ok(());
    }
    let args = Args::parse(raw.into_iter())?;
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
