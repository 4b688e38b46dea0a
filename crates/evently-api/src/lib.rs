//! Evently's HTTP interface: actix-web routes over the domain services, JWT
//! authentication, RFC 9457 problem documents for every failure, Prometheus metrics and
//! the OpenAPI document with Swagger UI.

mod auth;
mod backend;
mod body;
mod cache;
mod dto;
mod error;
pub mod metrics;
mod openapi;
mod rate_limit;
mod request_id;
mod routes;
mod seatmap;
mod state;
pub mod worker;

pub use auth::{MIN_SECRET_BYTES, TOKEN_TTL, TokenKeys, WeakSecret};
pub use backend::Backend;
pub use body::read_whole_body;
pub use error::{ApiError, problem_handlers};
pub use metrics::Metrics;
pub use openapi::{ApiDoc, docs};
pub use rate_limit::AuthRateLimit;
pub use request_id::{REQUEST_ID, trace_request};
pub use routes::configure;
pub use state::{AppState, Parts};

/// The largest request body accepted, in bytes.
pub const BODY_LIMIT: usize = 64 * 1024;

/// The largest body of an offline scanner's upload (`.../checkins/batch`): 500 scans
/// of the longest codes accepted.
pub const BATCH_BODY_LIMIT: usize = 640 * 1024;
