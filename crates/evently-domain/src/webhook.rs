//! Webhooks: endpoints that subscribe to kinds of change, messages written with the
//! change they describe (an outbox), and their delivery by the Standard Webhooks
//! specification: signed, retried on a schedule, logged.

mod errors;
mod models;
mod ports;
mod schedule;
mod service;
mod signature;

pub use errors::WebhookError;
pub use models::{
    Attempt, AttemptResult, Claim, Delivery, DeliveryStatus, Due, Endpoint, EndpointPatch, EventType, Message,
    MessageData, NewEndpoint, Secret, UrlError, WebhookUrl,
};
pub use ports::{Destination, WebhookRepository};
#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockDestination, MockWebhookRepository};
pub use schedule::{RetrySchedule, ScheduleError};
pub use service::WebhookService;
pub use signature::signature_header;
