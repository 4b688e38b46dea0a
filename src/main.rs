//! `evently` serves the API; `evently migrate` applies database migrations and exits;
//! `evently ticket ...` makes ticket keys and verifies codes offline.

use std::process::ExitCode;

use anyhow::Context as _;
use evently::{Application, Settings, telemetry};

/// mimalloc hands freed memory back to the system: with glibc's allocator the argon2
/// blocks of a burst of logins stayed resident (85 MiB after 20,000 logins against 17 MiB).
/// Built without transparent huge pages (`no_thp`): where the kernel's THP setting is
/// `always`, they rounded every touched region up to 2 MiB (75 MiB peak in a login burst
/// against 56 MiB).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("ticket") {
        return evently::ticket_command::run(&args[1..]);
    }
    telemetry::init();
    match args.first().map(String::as_str) {
        None | Some("serve") => Application::build(Settings::from_env()?).await?.run_until_stopped().await?,
        Some("migrate") => {
            let url = std::env::var("DATABASE_URL").context("`evently migrate` needs DATABASE_URL")?;
            evently_infra::postgres::migrate(&url).await?;
        }
        Some(other) => anyhow::bail!("unknown command {other:?}; use `evently`, `evently migrate` or `evently ticket`"),
    }
    Ok(ExitCode::SUCCESS)
}
