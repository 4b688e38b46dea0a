//! `evently` serves the API; `evently migrate` applies database migrations and exits.

use anyhow::Context as _;
use evently::{Application, Settings, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    match std::env::args().nth(1).as_deref() {
        None | Some("serve") => Application::build(Settings::from_env()?).await?.run_until_stopped().await,
        Some("migrate") => {
            let url = std::env::var("DATABASE_URL").context("`evently migrate` needs DATABASE_URL")?;
            evently_infra::postgres::migrate(&url).await
        }
        Some(other) => anyhow::bail!("unknown command {other:?}; use `evently` or `evently migrate`"),
    }
}
