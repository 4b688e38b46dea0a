use actix_web::http::header;
use actix_web::{HttpResponse, web};
use evently_domain::Store;
use evently_domain::user::PasswordHasher;
use utoipa::OpenApi as _;
use utoipa_swagger_ui::SwaggerUi;

use super::State;
use crate::dto::{Health, Readiness};
use crate::metrics::Metrics;
use crate::openapi::ApiDoc;

/// Liveness: answers while the process runs.
#[utoipa::path(get, path = "/health", tag = "operations", operation_id = "get_health",
    responses((status = 200, description = "The process runs", body = Health)))]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Readiness: 200 when the store answers, 503 naming what failed otherwise.
#[utoipa::path(get, path = "/ready", tag = "operations", operation_id = "get_readiness",
    responses(
        (status = 200, description = "Every dependency answers", body = Readiness),
        (status = 503, description = "A dependency does not answer", body = Readiness),
    ))]
pub async fn ready<S: Store, H: PasswordHasher>(state: State<S, H>) -> HttpResponse {
    let store_ok = state.store.ping().await.is_ok();
    let readiness = Readiness {
        status: if store_ok { "ready" } else { "unavailable" },
        store: if store_ok { "ok" } else { "unavailable" },
        failed: if store_ok { Vec::new() } else { vec!["store"] },
    };
    if store_ok {
        HttpResponse::Ok().json(readiness)
    } else {
        HttpResponse::ServiceUnavailable().json(readiness)
    }
}

/// Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "operations", operation_id = "get_metrics",
    responses((status = 200, description = "Metrics in the Prometheus text format", body = String, content_type = "text/plain")))]
pub async fn metrics(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(metrics.render())
}

/// Swagger UI at `/docs` (assets embedded: no network needed) and the OpenAPI document
/// at `/openapi.json`.
pub fn docs(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/docs",
        web::get().to(|| async {
            HttpResponse::PermanentRedirect()
                .insert_header((header::LOCATION, "/docs/"))
                .finish()
        }),
    )
    .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", ApiDoc::openapi()));
}
