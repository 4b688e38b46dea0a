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
    /// `ready`; `degraded` when only Redis fails (answers still come from the store);
    /// `unavailable` when the store fails.
    #[schema(example = "ready")]
    pub status: &'static str,
    /// `ok` or `unavailable`.
    #[schema(example = "ok")]
    pub store: &'static str,
    /// `ok` or `unavailable`; absent when no Redis is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "ok")]
    pub redis: Option<&'static str>,
    /// The dependencies that failed, by name.
    pub failed: Vec<&'static str>,
}
