//! Public reads of one path in a closed loop (the event list by default); with
//! `distinct`, each request adds a `from` instant of its own, so that no two share a
//! cache entry (what an anonymous client can do to the cache's memory).

use reqwest::Method;

use super::{Setup, drive, unexpected};
use crate::report::Report;

/// What to read and over which events.
pub struct Reads {
    pub path: String,
    pub distinct: bool,
    /// Events created first.
    pub events: usize,
    /// Characters of description each event gets (answers grow with it).
    pub description_chars: usize,
}

pub async fn run(setup: &Setup, reads: Reads) -> anyhow::Result<Report> {
    let Reads { path, distinct, events, description_chars } = reads;
    let description = "x".repeat(description_chars);
    for i in 0..events {
        let id = setup.api.create_event(&setup.admin, &format!("Read {} #{i}", setup.run), 100).await?;
        if description_chars > 0 {
            let body = serde_json::json!({"description": description});
            let path = format!("/api/v1/events/{id}");
            let answer = setup.api.call(Method::PATCH, &path, Some(&setup.admin), Some(body)).await;
            anyhow::ensure!(answer.status == 200, "cannot describe event {id}: {}", answer.status);
        }
    }
    let api = setup.api.clone();
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
