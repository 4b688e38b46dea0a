//! Public reads of one path in a closed loop (the event list by default).

use reqwest::Method;

use super::{Setup, drive, unexpected};
use crate::report::Report;

pub async fn run(setup: &Setup, path: &str) -> anyhow::Result<Report> {
    for i in 0..20 {
        setup.api.create_event(&setup.admin, &format!("Read {} #{i}", setup.run), 100).await?;
    }
    let (api, path) = (setup.api.clone(), path.to_owned());
    let (recorder, elapsed) = drive(setup.clients, setup.duration, move |_, _| {
        let (api, path) = (api.clone(), path.clone());
        async move { Some(api.call(Method::GET, &path, None, None).await) }
    })
    .await;
    let errors = unexpected(&recorder, &["200"]);
    let mut report = recorder.report("read", setup.clients, elapsed);
    report.errors = errors;
    Ok(report)
}
