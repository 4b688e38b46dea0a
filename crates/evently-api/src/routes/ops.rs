use actix_web::{HttpResponse, web};
use evently_domain::Store as _;
use evently_domain::cache::Cache as _;

use crate::Backend;

use super::State;
use crate::dto::{Health, Readiness};
use crate::metrics::Metrics;

/// Liveness: answers while the process runs.
#[utoipa::path(get, path = "/health", tag = "operations", operation_id = "get_health",
    responses((status = 200, description = "The process runs", body = Health)))]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Readiness: 200 when the store (and Redis, when configured) answers; 503 naming what
/// failed otherwise. Without Redis the server still answers correctly from the store.
#[utoipa::path(get, path = "/ready", tag = "operations", operation_id = "get_readiness",
    responses(
        (status = 200, description = "Every dependency answers", body = Readiness),
        (status = 503, description = "A dependency does not answer", body = Readiness),
    ))]
pub async fn ready<B: Backend>(state: State<B>) -> HttpResponse {
    let store = state.store.ping().await.is_ok();
    let redis = !state.shared_cache || state.responses.cache().ping().await.is_ok();
    let failed: Vec<_> =
        [(store, "store"), (redis, "redis")].into_iter().filter(|(ok, _)| !ok).map(|(_, name)| name).collect();
    let status = |ok: bool| if ok { "ok" } else { "unavailable" };
    let readiness = Readiness {
        status: match (store, redis) {
            (true, true) => "ready",
            (true, false) => "degraded",
            (false, _) => "unavailable",
        },
        store: status(store),
        redis: state.shared_cache.then(|| status(redis)),
        failed,
    };
    if readiness.failed.is_empty() {
        HttpResponse::Ok().json(readiness)
    } else {
        HttpResponse::ServiceUnavailable().json(readiness)
    }
}

/// Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "operations", operation_id = "get_metrics",
    responses((status = 200, description = "Metrics in the Prometheus text format", body = String, content_type = "text/plain")))]
pub async fn metrics(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(metrics.render())
}
