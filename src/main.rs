//! `evently` serves the API; `evently migrate` applies database migrations and exits.

use anyhow::Context as _;
use evently::{Application, Settings, telemetry};
use secrecy::ExposeSecret as _;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let settings = Settings::from_env()?;
    match std::env::args().nth(1).as_deref() {
        None | Some("serve") => Application::build(settings).await?.run_until_stopped().await,
        Some("migrate") => {
            let url = settings.database_url.context("`evently migrate` needs DATABASE_URL")?;
            evently_infra::postgres::migrate(url.expose_secret()).await
        }
        Some(other) => {
            anyhow::bail!("unknown command {other:?}; use `evently` or `evently migrate`")
        }
    }
}
