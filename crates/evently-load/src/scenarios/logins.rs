//! A burst of logins: `users` accounts log in over and over from every client at once,
//! each login an argon2 verification on the server. Answers beyond what the hasher's
//! queue holds are `503` by design; they are counted, not errors.

use std::sync::Arc;

use super::{Setup, drive, unexpected};
use crate::report::Report;

pub async fn run(setup: &Setup, users: usize) -> anyhow::Result<Report> {
    let prefix = format!("login-{}", setup.run);
    setup.api.users(&prefix, users, 16).await?;
    let emails: Arc<Vec<String>> = Arc::new((0..users).map(|i| format!("{prefix}-{i}@load.example")).collect());
    let api = setup.api.clone();
    let (recorder, elapsed) = drive(setup.clients, setup.duration, move |worker, iteration| {
        let (api, emails) = (api.clone(), emails.clone());
        async move {
            let email = &emails[(worker + iteration) % emails.len()];
            let body = serde_json::json!({"email": email, "password": "load-password"});
            Some(api.call(reqwest::Method::POST, "/api/v1/auth/login", None, Some(body)).await)
        }
    })
    .await;
    let errors = unexpected(&recorder, &["200", "503 unavailable"]);
    let mut report = recorder.report("logins", setup.clients, elapsed);
    report.errors = errors;
    Ok(report)
}
