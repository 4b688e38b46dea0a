use chrono::{DateTime, Utc};
use evently_domain::notification::Notification;
use evently_domain::waitlist::{QueueStanding, WaitlistEntry};
use serde::Serialize;
use utoipa::ToSchema;

/// A waitlist entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct WaitlistEntryDto {
    /// The entry's id.
    pub id: i64,
    /// The event waited for.
    pub event_id: i64,
    /// Who waits.
    pub user_id: i64,
    /// Seats waited for.
    pub seats: u32,
    /// The tier waited in.
    pub tier_id: i64,
    /// `waiting`, `promoted`, `left` or `cancelled`.
    #[schema(example = "waiting")]
    pub status: &'static str,
    /// 1-based rank among the event's waiting entries; `null` unless waiting.
    pub position: Option<u32>,
    /// The booking it became, once promoted (in offer mode, once the offer is confirmed).
    pub booking_id: Option<i64>,
    /// The hold it was offered, in offer mode.
    pub hold_id: Option<i64>,
    /// When the user joined.
    pub joined_at: DateTime<Utc>,
}

impl From<WaitlistEntry> for WaitlistEntryDto {
    fn from(entry: WaitlistEntry) -> Self {
        Self {
            id: entry.id.get(),
            event_id: entry.event_id.get(),
            user_id: entry.user_id.get(),
            seats: entry.seats.get(),
            tier_id: entry.tier_id.get(),
            status: entry.status.as_str(),
            position: entry.position,
            booking_id: entry.booking_id.map(|b| b.get()),
            hold_id: entry.hold_id.map(|h| h.get()),
            joined_at: entry.joined_at,
        }
    }
}

/// A user's waiting entry and the queue's length.
#[derive(Debug, Serialize, ToSchema)]
pub struct StandingDto {
    /// The entry.
    #[serde(flatten)]
    pub entry: WaitlistEntryDto,
    /// How many entries wait for the event in all.
    pub total_waiting: u32,
}

impl From<QueueStanding> for StandingDto {
    fn from(standing: QueueStanding) -> Self {
        Self { entry: standing.entry.into(), total_waiting: standing.total_waiting }
    }
}

/// A notification.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationDto {
    /// The notification's id.
    pub id: i64,
    /// `waitlist_promoted`, `booking_cancelled`, `event_cancelled`, `event_changed`,
    /// `hold_expired` or `waitlist_offer`.
    #[schema(example = "waitlist_promoted")]
    pub kind: &'static str,
    /// The event concerned.
    pub event_id: i64,
    /// The booking concerned, if any.
    pub booking_id: Option<i64>,
    /// The hold concerned, if any.
    pub hold_id: Option<i64>,
    /// A sentence for people.
    pub message: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

impl From<Notification> for NotificationDto {
    fn from(n: Notification) -> Self {
        Self {
            id: n.id.get(),
            kind: n.kind.as_str(),
            event_id: n.event_id.get(),
            booking_id: n.booking_id.map(|b| b.get()),
            hold_id: n.hold_id.map(|h| h.get()),
            message: n.message,
            created_at: n.created_at,
        }
    }
}
