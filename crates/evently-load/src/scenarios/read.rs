//! Public reads of one path in a closed loop (the event list by default); with
//! `distinct`, each request adds a `from` instant of its own, so that no two share a
//! cache entry (what an anonymous client can do to the cache's memory).

use reqwest::Method;

use super::{Setup, drive, unexpected};
use crate::report::Report;

pub async fn run(setup: &Setup, path: &str, distinct: bool) -> anyhow::Result<Report> {
    for i in 0..20 {
        setup.api.create_event(&setup.admin, &format!("Read {} #{i}", setup.run), 100).await?;
    }
    let (api, path) = (setup.api.clone(), path.to_owned());
    let (recorder, elapsed) = drive(setup.clients, setup.duration, move |worker, iteration| {
        let (api, mut path) = (api.clone(), path.clone());
        if distinct {
            let separator = if path.contains('?') { '&' } else { '?' };
            path.push_str(&format!("{separator}from=2000-01-01T00:00:00.{worker:03}{iteration:06}Z"));
        }
        async move { Some(api.call(Method::GET, &path, None, None).await) }
    })
    .await;
    let errors = unexpected(&recorder, &["200"]);
    let mut report = recorder.report("read", setup.clients, elapsed);
    report.errors = errors;
    Ok(report)
}
