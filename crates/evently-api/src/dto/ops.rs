use serde::Serialize;
use utoipa::ToSchema;

/// Liveness.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` while the process runs.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Readiness of each dependency.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `unavailable`.
    #[schema(example = "ready")]
    pub status: &'static str,
    /// `ok` or `unavailable`.
    #[schema(example = "ok")]
    pub store: &'static str,
    /// The dependencies that failed, by name.
    pub failed: Vec<&'static str>,
}
