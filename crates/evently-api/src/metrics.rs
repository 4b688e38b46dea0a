//! Prometheus metrics: request counts and latency by route and status.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web;
use prometheus::{Encoder as _, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder};

/// The registry and the HTTP instruments.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    cache_lookups: IntCounterVec,
    webhook_deliveries: IntCounterVec,
    webhook_latency: prometheus::Histogram,
    webhook_queue: prometheus::IntGauge,
    writes_in_flight: prometheus::IntGauge,
    /// The most writes in flight at once since [`Metrics::writes_peak`] last read it.
    writes_peak: Arc<AtomicI64>,
}

const LABELS: [&str; 3] = ["method", "route", "status"];

impl Metrics {
    /// Registers the HTTP instruments in a fresh registry.
    ///
    /// # Errors
    /// When an instrument cannot be registered (a programming error).
    pub fn new() -> prometheus::Result<Self> {
        let registry = Registry::new_custom(Some("evently".into()), None)?;
        let requests = IntCounterVec::new(Opts::new("http_requests_total", "HTTP requests answered"), &LABELS)?;
        let buckets = vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "Time to answer HTTP requests").buckets(buckets),
            &LABELS,
        )?;
        let cache_lookups = IntCounterVec::new(
            Opts::new("cache_lookups_total", "Cache lookups by outcome (hit, miss, error)"),
            &["outcome"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(cache_lookups.clone()))?;
        let webhook_deliveries = IntCounterVec::new(
            Opts::new("webhook_attempts_total", "Webhook delivery attempts by outcome (succeeded, failed, dead)"),
            &["outcome"],
        )?;
        let webhook_latency = prometheus::Histogram::with_opts(
            HistogramOpts::new("webhook_attempt_duration_seconds", "Time a webhook attempt took")
                .buckets(vec![0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0]),
        )?;
        let webhook_queue = prometheus::IntGauge::new(
            "webhook_deliveries_open",
            "Webhook deliveries pending or awaiting a retry, and messages awaiting their deliveries",
        )?;
        registry.register(Box::new(webhook_deliveries.clone()))?;
        registry.register(Box::new(webhook_latency.clone()))?;
        registry.register(Box::new(webhook_queue.clone()))?;
        let writes_in_flight = prometheus::IntGauge::new(
            "http_writes_in_flight",
            "Requests being answered whose method may change state (not GET, HEAD, OPTIONS or TRACE)",
        )?;
        registry.register(Box::new(writes_in_flight.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            cache_lookups,
            webhook_deliveries,
            webhook_latency,
            webhook_queue,
            writes_in_flight,
            writes_peak: Arc::default(),
        })
    }

    /// Cache lookups by outcome.
    pub fn cache_lookups(&self) -> &IntCounterVec {
        &self.cache_lookups
    }

    /// Counts a webhook attempt that left its delivery `outcome` and took `seconds`.
    pub fn webhook_attempt(&self, outcome: &str, seconds: f64) {
        self.webhook_deliveries.with_label_values(&[outcome]).inc();
        self.webhook_latency.observe(seconds);
    }

    /// Sets the number of open webhook deliveries.
    pub fn webhook_queue(&self, open: u64) {
        self.webhook_queue.set(i64::try_from(open).unwrap_or(i64::MAX));
    }

    /// The most requests that may change state answered at once since the last call
    /// (a crowd whose answers all go out together empties the gauge for a moment, so a
    /// look at it alone can miss the crowd).
    pub fn writes_peak(&self) -> i64 {
        self.writes_peak.swap(self.writes_in_flight.get(), Ordering::Relaxed)
    }

    /// Renders every metric in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::error!(error = %e, "cannot encode metrics");
        }
        String::from_utf8(out).unwrap_or_default()
    }

    fn observe(&self, method: &str, route: &str, status: &str, seconds: f64) {
        let labels = [method, route, status];
        self.requests.with_label_values(&labels).inc();
        self.latency.with_label_values(&labels).observe(seconds);
    }
}

/// The method as a label: the standard ones by name, any other as `other`, so that
/// clients cannot grow the label set.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Counts a write in flight while it lives: until its answer is made, whether or not its
/// client is still there (the server finishes a write whose client hung up), and out
/// however its future ends, dropped included.
struct InFlight(prometheus::IntGauge);

impl InFlight {
    fn enter(metrics: &Metrics) -> Self {
        let gauge = &metrics.writes_in_flight;
        gauge.inc();
        metrics.writes_peak.fetch_max(gauge.get(), Ordering::Relaxed);
        Self(gauge.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Middleware recording every request in the [`Metrics`] registered as app data.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let method = method_label(req.method());
    let _write = match (&metrics, req.method().is_safe()) {
        (Some(metrics), false) => Some(InFlight::enter(metrics)),
        _ => None,
    };
    let response = next.call(req).await?;
    if let Some(metrics) = metrics {
        let route = response.request().app_data::<RoutePattern>().map_or("unmatched", |route| route.0.as_str());
        metrics.observe(method, route, response.status().as_str(), started.elapsed().as_secs_f64());
    }
    Ok(response)
}

/// The path pattern of a registered resource, the `route` label of its requests: kept as
/// the resource's app data, so labelling a request takes no second match of its path.
#[derive(Debug, Clone)]
pub(crate) struct RoutePattern(pub(crate) String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writes_peak_is_the_most_at_once_since_the_last_look() {
        let metrics = Metrics::new().unwrap();
        let (first, second) = (InFlight::enter(&metrics), InFlight::enter(&metrics));
        drop((first, second));
        let third = InFlight::enter(&metrics);
        assert_eq!(metrics.writes_peak(), 2, "both answered before the look");
        assert_eq!(metrics.writes_peak(), 1, "the one still in flight");
        drop(third);
        assert_eq!(metrics.writes_peak(), 1, "it was in flight since the last look");
        assert_eq!(metrics.writes_peak(), 0);
    }

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        for raw in ["FOO", "BREW", "get"] {
            assert_eq!(method_label(&Method::from_bytes(raw.as_bytes()).unwrap()), "other");
        }
    }
}
