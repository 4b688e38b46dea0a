//! The scenarios, and the closed-loop driver they share.

mod checkins;
mod holds;
mod hot;
mod logins;
mod mixed;
mod queue;
mod read;
mod seated;
mod spread;
mod staleness;
mod stampede;
mod verify;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::Barrier;

use crate::api::{Api, Outcome};
use crate::args::Args;
use crate::report::{Recorder, Report};

/// What every scenario starts from.
pub struct Setup {
    pub api: Api,
    pub admin: String,
    /// Unique per run, so runs can share a database.
    pub run: String,
    pub clients: usize,
    pub duration: Duration,
}

pub async fn run(args: &Args) -> anyhow::Result<Report> {
    if args.scenario == "verify" {
        let duration = Duration::from_secs_f64(args.number("duration", 10.0)?);
        return verify::run(args.number("clients", 1)?, duration);
    }
    let api = Api::new(&args.text("base", "http://127.0.0.1:8080"))?;
    let admin = api
        .login(&args.text("admin-email", "admin@example.org"), &args.text("admin-password", "admin-password"))
        .await?;
    let run = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis().to_string();
    let setup = Setup {
        api,
        admin,
        run,
        clients: args.number("clients", 64)?,
        duration: Duration::from_secs_f64(args.number("duration", 10.0)?),
    };
    match args.scenario.as_str() {
        "stampede" => stampede::run(&setup, args.number("capacity", 100)?, args.number("users", 1_000)?).await,
        "hot" => hot::run(&setup, args.number("users", 20_000)?, args.flag("keys")?).await,
        "holds" => holds::run(&setup, args.number("users", 20_000)?, args.flag("confirm")?).await,
        "spread" => {
            spread::run(&setup, args.number("events", 1_000)?, args.number("users", 2_000)?, args.flag("keys")?).await
        }
        "read" => {
            let reads = read::Reads {
                path: args.text("path", "/api/v1/events?limit=20"),
                distinct: args.flag("distinct")?,
                events: args.number("events", 20)?,
                description_chars: args.number("description", 0)?,
            };
            read::run(&setup, reads).await
        }
        "logins" => logins::run(&setup, args.number("users", 64)?).await,
        "mixed" => mixed::run(&setup, args.number("events", 50)?, args.number("users", 500)?).await,
        "checkins" => checkins::run(&setup, args.number("users", 3_000)?).await,
        "queue" => {
            let (users, rate) = (args.number("users", 20_000)?, args.number("rate", 10_000)?);
            queue::run(&setup, users, rate, args.flag("reads")?).await
        }
        "seated" => seated::run(&setup, args.number("rows", 100)?, args.flag("named")?).await,
        "staleness" => {
            staleness::run(&setup, &args.text("other", "http://127.0.0.1:8081"), args.number("rounds", 200)?).await
        }
        other => anyhow::bail!(
            "unknown scenario {other}; use stampede, hot, holds, spread, read, logins, mixed, checkins, seated, queue, staleness, verify or bare"
        ),
    }
}

/// Runs `clients` workers in a closed loop until `duration` has passed or every worker's
/// `step` says it is done (`None`); all start together.
pub async fn drive<F, Fut>(clients: usize, duration: Duration, step: F) -> (Recorder, Duration)
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<Outcome>> + Send,
{
    let step = Arc::new(step);
    let barrier = Arc::new(Barrier::new(clients + 1));
    let workers: Vec<_> = (0..clients)
        .map(|worker| {
            let (step, barrier) = (step.clone(), barrier.clone());
            tokio::spawn(async move {
                let mut recorder = Recorder::default();
                barrier.wait().await;
                let deadline = Instant::now() + duration;
                let mut iteration = 0;
                while Instant::now() < deadline {
                    let Some(outcome) = step(worker, iteration).await else { break };
                    recorder.record(&outcome);
                    iteration += 1;
                }
                recorder
            })
        })
        .collect();
    barrier.wait().await;
    let started = Instant::now();
    let mut total = Recorder::default();
    for worker in workers {
        if let Ok(recorder) = worker.await {
            total.merge(recorder);
        }
    }
    (total, started.elapsed())
}

/// Counts answers whose label is not among `expected`.
pub fn unexpected(recorder: &Recorder, expected: &[&str]) -> u64 {
    recorder.statuses().iter().filter(|(label, _)| !expected.contains(&label.as_str())).map(|(_, n)| n).sum()
}
