use thiserror::Error;

use super::models::UrlError;
use crate::{Refusal, StoreError};

/// Why a webhook operation failed.
#[derive(Debug, Error)]
pub enum WebhookError {
    /// No such endpoint (or delivery of it).
    #[error("no such webhook endpoint or delivery")]
    NotFound,
    /// The URL is not http(s), or not a public destination.
    #[error("url: {0}")]
    Url(#[from] UrlError),
    /// A well-typed value that breaks a rule.
    #[error("{field}: {detail}")]
    Invalid {
        /// The field at fault.
        field: &'static str,
        /// Why.
        detail: String,
    },
    /// The store failed; nothing changed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<WebhookError> for Refusal {
    fn from(error: WebhookError) -> Self {
        match error {
            WebhookError::NotFound => Self::NotFound("no such webhook endpoint or delivery"),
            WebhookError::Url(url) => Self::UrlRefused(format!("url: {url}")),
            WebhookError::Invalid { field, detail } => Self::Invalid { field, detail },
            WebhookError::Store(store) => Self::Store(store),
        }
    }
}
