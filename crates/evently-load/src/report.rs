//! Latency and outcome accounting, and the report printed or written as JSON.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::api::Outcome;

/// Outcomes recorded by one worker (merged at the end).
#[derive(Debug, Default)]
pub struct Recorder {
    latencies_us: Vec<u64>,
    statuses: BTreeMap<String, u64>,
    created: u64,
    /// Latencies of outcomes that name their operation, by operation.
    operations: BTreeMap<&'static str, Vec<u64>>,
}

impl Recorder {
    pub fn record(&mut self, outcome: &Outcome) {
        let latency = u64::try_from(outcome.latency.as_micros()).unwrap_or(u64::MAX);
        self.latencies_us.push(latency);
        if let Some(operation) = outcome.operation {
            self.operations.entry(operation).or_default().push(latency);
        }
        let label = match &outcome.code {
            Some(code) => format!("{} {code}", outcome.status),
            None => outcome.status.to_string(),
        };
        *self.statuses.entry(label).or_default() += 1;
        if outcome.created() {
            self.created += 1;
        }
    }

    pub fn merge(&mut self, other: Self) {
        self.latencies_us.extend(other.latencies_us);
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        self.created += other.created;
        for (operation, latencies) in other.operations {
            self.operations.entry(operation).or_default().extend(latencies);
        }
    }

    pub fn created(&self) -> u64 {
        self.created
    }

    pub fn statuses(&self) -> &BTreeMap<String, u64> {
        &self.statuses
    }

    /// The report of a run of `clients` workers that took `elapsed`.
    pub fn report(mut self, scenario: &str, clients: usize, elapsed: Duration) -> Report {
        self.latencies_us.sort_unstable();
        let percentile = |p: f64| percentile_of(&self.latencies_us, p);
        let operations = std::mem::take(&mut self.operations)
            .into_iter()
            .map(|(operation, mut latencies)| {
                latencies.sort_unstable();
                let latency = Latency {
                    p50: percentile_of(&latencies, 0.50),
                    p95: percentile_of(&latencies, 0.95),
                    p99: percentile_of(&latencies, 0.99),
                    max: percentile_of(&latencies, 1.0),
                };
                (operation.to_owned(), OperationLatency { requests: latencies.len() as u64, latency_ms: latency })
            })
            .collect();
        let seconds = elapsed.as_secs_f64().max(1e-9);
        #[expect(clippy::cast_precision_loss, reason = "request counts are far below 2^52")]
        let requests = self.latencies_us.len() as f64;
        #[expect(clippy::cast_precision_loss, reason = "request counts are far below 2^52")]
        let created = self.created as f64;
        Report {
            scenario: scenario.to_owned(),
            clients,
            elapsed_s: seconds,
            requests: self.latencies_us.len() as u64,
            requests_per_s: requests / seconds,
            created: self.created,
            created_per_s: created / seconds,
            latency_ms: Latency {
                p50: percentile(0.50),
                p95: percentile(0.95),
                p99: percentile(0.99),
                max: percentile(1.0),
            },
            statuses: self.statuses,
            operations,
            errors: 0,
            invariants_violated: None,
            notes: Vec::new(),
        }
    }
}

/// The `p` quantile of sorted latencies in microseconds, in milliseconds.
fn percentile_of(sorted_us: &[u64], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "an index into the sorted latencies"
    )]
    let at = ((sorted_us.len() - 1) as f64 * p).round() as usize;
    #[expect(clippy::cast_precision_loss, reason = "latencies are far below 2^52 µs")]
    let ms = sorted_us[at] as f64 / 1000.0;
    ms
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

/// The requests of one operation and their latency.
#[derive(Debug, Serialize)]
pub struct OperationLatency {
    pub requests: u64,
    pub latency_ms: Latency,
}

/// What a scenario measured.
#[derive(Debug, Serialize)]
pub struct Report {
    pub scenario: String,
    pub clients: usize,
    pub elapsed_s: f64,
    pub requests: u64,
    pub requests_per_s: f64,
    /// Answers `201 Created` (bookings made).
    pub created: u64,
    pub created_per_s: f64,
    pub latency_ms: Latency,
    /// Answers by status and problem code.
    pub statuses: BTreeMap<String, u64>,
    /// Latency by operation, for scenarios that name them.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub operations: BTreeMap<String, OperationLatency>,
    /// Answers that the scenario did not expect.
    pub errors: u64,
    /// Why the invariants check failed, if it did.
    pub invariants_violated: Option<String>,
    pub notes: Vec<String>,
}

impl Report {
    pub fn summary(&self) -> String {
        let l = &self.latency_ms;
        let mut text = format!(
            "{}: {} clients, {:.1} s, {} requests ({:.0}/s), {} created ({:.0}/s)\n  latency ms p50 {:.2} p95 {:.2} p99 {:.2} max {:.2}\n  statuses {:?}\n  unexpected {}; invariants {}",
            self.scenario,
            self.clients,
            self.elapsed_s,
            self.requests,
            self.requests_per_s,
            self.created,
            self.created_per_s,
            l.p50,
            l.p95,
            l.p99,
            l.max,
            self.statuses,
            self.errors,
            self.invariants_violated.as_deref().unwrap_or("held"),
        );
        for (operation, o) in &self.operations {
            let l = &o.latency_ms;
            text.push_str(&format!(
                "\n  {operation}: {} requests, p50 {:.2} p95 {:.2} p99 {:.2} max {:.2} ms",
                o.requests, l.p50, l.p95, l.p99, l.max
            ));
        }
        for note in &self.notes {
            text.push_str("\n  ");
            text.push_str(note);
        }
        text
    }
}
