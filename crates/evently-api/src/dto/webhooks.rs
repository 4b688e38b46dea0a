use chrono::{DateTime, Utc};
use evently_domain::webhook::{
    Delivery, DeliveryStatus, Endpoint, EndpointPatch, EventType, NewEndpoint, Secret, WebhookUrl,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

/// A webhook endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointDto {
    /// Its id.
    pub id: i64,
    /// Where messages are posted.
    pub url: String,
    /// The message types it receives.
    #[schema(example = json!(["booking.confirmed", "booking.cancelled"]))]
    pub event_types: Vec<&'static str>,
    /// Free text.
    pub description: String,
    /// Whether messages are made for it (a `410` answer disables it).
    pub enabled: bool,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// `whsec_` + base64 of 32 random bytes: only in the answers that create or rotate it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl EndpointDto {
    /// The endpoint, showing `secret` when given.
    pub fn new(endpoint: Endpoint, secret: Option<&Secret>) -> Self {
        Self {
            id: endpoint.id.get(),
            url: endpoint.url.as_str().to_owned(),
            event_types: endpoint.event_types.iter().map(|t| t.as_str()).collect(),
            description: endpoint.description,
            enabled: endpoint.enabled,
            created_at: endpoint.created_at,
            secret: secret.map(Secret::reveal),
        }
    }
}

fn url(raw: &str) -> Result<WebhookUrl, ApiError> {
    WebhookUrl::new(raw).map_err(|e| ApiError::WebhookUrlRefused(format!("url: {e}")))
}

fn types(raw: &[String]) -> Result<Vec<EventType>, ApiError> {
    raw.iter()
        .map(|t| {
            let known = EventType::ALL.map(EventType::as_str).join(", ");
            EventType::parse(t).ok_or_else(|| ApiError::Validation(format!("event_types: {t:?} is not one of {known}")))
        })
        .collect()
}

/// An endpoint to register.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateEndpointBody {
    /// An `http` or `https` URL of a public destination.
    #[schema(example = "https://hooks.example.com/evently", max_length = 2000)]
    pub url: String,
    /// At least one of `booking.confirmed`, `booking.cancelled`, `waitlist.promoted`,
    /// `hold.expired`, `event.updated`, `event.cancelled`, `ticket.checked_in`.
    #[schema(example = json!(["booking.confirmed"]), min_items = 1)]
    pub event_types: Vec<String>,
    /// Free text, at most 500 characters.
    #[schema(max_length = 500)]
    pub description: Option<String>,
}

impl CreateEndpointBody {
    /// The validated endpoint.
    pub fn validate(self) -> Result<NewEndpoint, ApiError> {
        Ok(NewEndpoint {
            url: url(&self.url)?,
            event_types: types(&self.event_types)?,
            description: self.description.unwrap_or_default(),
        })
    }
}

/// Changes to an endpoint; fields left out stay.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PatchEndpointBody {
    /// A new URL.
    #[schema(max_length = 2000)]
    pub url: Option<String>,
    /// New message types.
    #[schema(min_items = 1)]
    pub event_types: Option<Vec<String>>,
    /// A new description.
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// Enables (or disables) it.
    pub enabled: Option<bool>,
}

impl PatchEndpointBody {
    /// The validated patch.
    pub fn validate(self) -> Result<EndpointPatch, ApiError> {
        Ok(EndpointPatch {
            url: self.url.as_deref().map(url).transpose()?,
            event_types: self.event_types.as_deref().map(types).transpose()?,
            description: self.description,
            enabled: self.enabled,
        })
    }
}

/// One message's delivery to one endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryDto {
    /// Its id.
    pub id: i64,
    /// The message, as `webhook-id` names it (`msg_<n>`, the same on every attempt).
    #[schema(example = "msg_42")]
    pub message_id: String,
    /// The message's type.
    #[serde(rename = "type")]
    #[schema(example = "booking.confirmed")]
    pub event_type: &'static str,
    /// `pending` (not attempted yet), `succeeded`, `failed` (a retry is due at
    /// `next_attempt_at`) or `dead`.
    #[schema(example = "succeeded")]
    pub status: &'static str,
    /// Attempts made.
    pub attempts: u32,
    /// The last attempt's HTTP status, if it got an answer.
    pub last_status_code: Option<u16>,
    /// When the next attempt is due, while `failed`.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When the message was made.
    pub created_at: DateTime<Utc>,
}

impl From<Delivery> for DeliveryDto {
    fn from(delivery: Delivery) -> Self {
        Self {
            id: delivery.id.get(),
            message_id: format!("msg_{}", delivery.message_id),
            event_type: delivery.event_type.as_str(),
            status: delivery.status.as_str(),
            attempts: delivery.attempts,
            last_status_code: delivery.last_status_code,
            next_attempt_at: delivery.next_attempt_at,
            created_at: delivery.created_at,
        }
    }
}

/// A delivery status to filter by.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatusFilter {
    /// Not attempted yet.
    Pending,
    /// Delivered.
    Succeeded,
    /// A retry is due.
    Failed,
    /// Given up.
    Dead,
}

impl From<DeliveryStatusFilter> for DeliveryStatus {
    fn from(filter: DeliveryStatusFilter) -> Self {
        match filter {
            DeliveryStatusFilter::Pending => Self::Pending,
            DeliveryStatusFilter::Succeeded => Self::Succeeded,
            DeliveryStatusFilter::Failed => Self::Failed,
            DeliveryStatusFilter::Dead => Self::Dead,
        }
    }
}

/// Filter and pagination of a delivery log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// Only deliveries of this status.
    pub status: Option<DeliveryStatusFilter>,
    /// Page size, 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<i64>,
    /// Items to skip.
    #[param(minimum = 0, maximum = 2_147_483_647, default = 0)]
    pub offset: Option<i64>,
}
