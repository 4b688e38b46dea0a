use chrono::{DateTime, Utc};
use evently_domain::queue::{AdmissionTtl, AdmitRate, QueueFigures, QueueSettings, QueueTicket};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::body::{Integer, field};
use crate::error::ApiError;

/// An event's on-sale queue.
#[derive(Debug, Deserialize, ToSchema)]
pub struct QueueBody {
    /// Tickets admitted per minute, 1 to 100,000, paced evenly.
    #[schema(value_type = i64, minimum = 1, maximum = 100_000, example = 600)]
    pub admit_per_minute: Integer,
    /// How long an admission lasts, 60 to 3,600 seconds; 600 when left out.
    #[schema(value_type = Option<i64>, minimum = 60, maximum = 3600, default = 600)]
    pub admission_ttl_seconds: Option<Integer>,
}

impl QueueBody {
    /// The validated settings (422 naming the bad field).
    pub fn validate(&self) -> Result<QueueSettings, ApiError> {
        let rate = self.admit_per_minute.get("queue.admit_per_minute")?;
        let admission_ttl = match self.admission_ttl_seconds {
            None => AdmissionTtl::DEFAULT,
            Some(raw) => {
                field("queue.admission_ttl_seconds", AdmissionTtl::new(raw.get("queue.admission_ttl_seconds")?))?
            }
        };
        Ok(QueueSettings { admit_per_minute: field("queue.admit_per_minute", AdmitRate::new(rate))?, admission_ttl })
    }
}

/// An event's on-sale queue, as events show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueDto {
    /// Tickets admitted per minute.
    pub admit_per_minute: u32,
    /// How long an admission lasts.
    pub admission_ttl_seconds: u32,
}

impl From<QueueSettings> for QueueDto {
    fn from(settings: QueueSettings) -> Self {
        Self { admit_per_minute: settings.admit_per_minute.get(), admission_ttl_seconds: settings.admission_ttl.get() }
    }
}

/// A place in an event's on-sale queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueTicketDto {
    /// The ticket's id.
    pub id: i64,
    /// The event queued for.
    pub event_id: i64,
    /// Who queues.
    pub user_id: i64,
    /// `waiting`, `admitted` (book, hold or join the waitlist until `expires_at`),
    /// `expired` or `closed` (the event sold out).
    #[schema(example = "waiting")]
    pub status: &'static str,
    /// 1-based rank among waiting tickets; `null` before the draw at `on_sale_at` and
    /// once not waiting. Read from a ranking at most a second old.
    pub position: Option<u32>,
    /// Seconds until admission at the queue's pace, while waiting with a position.
    pub estimated_wait_seconds: Option<u64>,
    /// When it was taken.
    pub joined_at: DateTime<Utc>,
    /// When it was admitted.
    pub admitted_at: Option<DateTime<Utc>>,
    /// When the admission ends.
    pub expires_at: Option<DateTime<Utc>>,
}

impl QueueTicketDto {
    /// `ticket` as it reads at `now` (an admission past `expires_at` reads `expired`).
    pub fn at(ticket: QueueTicket, now: DateTime<Utc>) -> Self {
        Self {
            id: ticket.id.get(),
            event_id: ticket.event_id.get(),
            user_id: ticket.user_id.get(),
            status: ticket.status_at(now).as_str(),
            position: ticket.position,
            estimated_wait_seconds: ticket.estimated_wait_seconds,
            joined_at: ticket.joined_at,
            admitted_at: ticket.admitted_at,
            expires_at: ticket.expires_at,
        }
    }
}

/// An event's queue, for admins.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueFiguresDto {
    /// Tickets waiting.
    pub waiting: u32,
    /// Current admissions.
    pub admitted: u32,
    /// Lapsed admissions.
    pub expired: u32,
    /// Tickets closed by the sell-out.
    pub closed: u32,
    /// The pace.
    pub admit_per_minute: u32,
    /// When admission begins; `null`: as soon as the queue was set.
    pub on_sale_at: Option<DateTime<Utc>>,
}

impl From<QueueFigures> for QueueFiguresDto {
    fn from(figures: QueueFigures) -> Self {
        Self {
            waiting: figures.waiting,
            admitted: figures.admitted,
            expired: figures.expired,
            closed: figures.closed,
            admit_per_minute: figures.admit_per_minute.get(),
            on_sale_at: figures.on_sale_at,
        }
    }
}
