//! The queue's values: its settings, its tickets and its figures.

use chrono::{DateTime, TimeDelta, Utc};
use thiserror::Error;

use crate::{EventId, QueueTicketId, UserId};

/// Why a queue setting was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("must be between {min} and {max}")]
pub struct QueueValueError {
    min: u32,
    max: u32,
}

macro_rules! bounded {
    ($(#[$meta:meta])* $name:ident, $min:expr, $max:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u32);

        impl $name {
            /// The smallest value.
            pub const MIN: u32 = $min;
            /// The largest value.
            pub const MAX: u32 = $max;

            /// Validates a raw value.
            ///
            /// # Errors
            /// [`QueueValueError`] outside `MIN..=MAX`.
            pub fn new(raw: i64) -> Result<Self, QueueValueError> {
                u32::try_from(raw)
                    .ok()
                    .filter(|v| (Self::MIN..=Self::MAX).contains(v))
                    .map(Self)
                    .ok_or(QueueValueError { min: Self::MIN, max: Self::MAX })
            }

            /// The value.
            pub fn get(self) -> u32 {
                self.0
            }
        }
    };
}

bounded!(
    /// Tickets admitted per minute: 1 to 100,000.
    AdmitRate, 1, 100_000
);
bounded!(
    /// How long an admission lasts, in seconds: 60 to 3,600.
    AdmissionTtl, 60, 3600
);

impl AdmissionTtl {
    /// Ten minutes, for queues that set none.
    pub const DEFAULT: Self = Self(600);

    /// The admission's length.
    pub fn duration(self) -> TimeDelta {
        TimeDelta::seconds(i64::from(self.0))
    }
}

/// An event's on-sale queue: its pace and how long an admission lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QueueSettings {
    /// Tickets admitted per minute.
    pub admit_per_minute: AdmitRate,
    /// How long an admission lasts.
    pub admission_ttl: AdmissionTtl,
}

/// Where a queue ticket stands, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueueStatus {
    /// In line.
    Waiting,
    /// Admitted until `expires_at`.
    Admitted,
    /// Its admission lapsed.
    Expired,
    /// The event sold out while it waited.
    Closed,
}

impl QueueStatus {
    /// The status's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Admitted => "admitted",
            Self::Expired => "expired",
            Self::Closed => "closed",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "waiting" => Some(Self::Waiting),
            "admitted" => Some(Self::Admitted),
            "expired" => Some(Self::Expired),
            "closed" => Some(Self::Closed),
            _ => None,
        }
    }
}

/// A user's place in an event's queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueTicket {
    /// Its id.
    pub id: QueueTicketId,
    /// The event queued for.
    pub event_id: EventId,
    /// Who queues.
    pub user_id: UserId,
    /// Its stored status; see [`QueueTicket::status_at`].
    pub status: QueueStatus,
    /// 1-based rank among the waiting tickets, once the order is drawn.
    pub position: Option<u32>,
    /// Seconds until admission at the queue's pace, once the position is known.
    pub estimated_wait_seconds: Option<u64>,
    /// When it was taken.
    pub joined_at: DateTime<Utc>,
    /// When it was admitted.
    pub admitted_at: Option<DateTime<Utc>>,
    /// When its admission ends.
    pub expires_at: Option<DateTime<Utc>>,
}

impl QueueTicket {
    /// The status at `now`: an admission past `expires_at` has expired, marked or not.
    pub fn status_at(&self, now: DateTime<Utc>) -> QueueStatus {
        match (self.status, self.expires_at) {
            (QueueStatus::Admitted, Some(end)) if now >= end => QueueStatus::Expired,
            (status, _) => status,
        }
    }

    /// Whether it admits its holder at `now`.
    pub fn admits_at(&self, now: DateTime<Utc>) -> bool {
        self.status_at(now) == QueueStatus::Admitted
    }
}

/// An event's queue as read at once: every ticket, the waiting ones first in queue order;
/// positions and polled tickets are answered from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingOrder {
    /// The queue's pace.
    pub rate: AdmitRate,
    /// Whether the order is in force: admission began (from then on the early tickets'
    /// draw keys order them); no position exists before.
    pub drawn: bool,
    /// Every ticket: the waiting ones first, front first, then the others.
    pub tickets: Vec<QueueTicket>,
}

impl WaitingOrder {
    /// The waiting users, front first.
    pub fn waiting(&self) -> impl Iterator<Item = UserId> + '_ {
        self.tickets.iter().take_while(|t| t.status == QueueStatus::Waiting).map(|t| t.user_id)
    }
}

/// What an admin sees of an event's queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueFigures {
    /// Tickets waiting.
    pub waiting: u32,
    /// Current admissions.
    pub admitted: u32,
    /// Lapsed admissions.
    pub expired: u32,
    /// Tickets closed by the sell-out.
    pub closed: u32,
    /// The pace.
    pub admit_per_minute: AdmitRate,
    /// When admission begins (`None`: as soon as the queue was set).
    pub on_sale_at: Option<DateTime<Utc>>,
}
