use chrono::{DateTime, Utc};

use crate::inventory::Seats;
use crate::{BookingId, EventId, HoldId, TierId, UserId, WaitlistEntryId};

/// Where a waitlist entry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WaitlistStatus {
    /// Waiting for seats.
    Waiting,
    /// Turned into a confirmed booking.
    Promoted,
    /// Left by the user.
    Left,
    /// Ended because the event was cancelled.
    Cancelled,
}

impl WaitlistStatus {
    /// The status's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Promoted => "promoted",
            Self::Left => "left",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "waiting" => Some(Self::Waiting),
            "promoted" => Some(Self::Promoted),
            "left" => Some(Self::Left),
            "cancelled" => Some(Self::Cancelled),
            _ => None,
        }
    }
}

/// A waitlist entry, as shown to clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitlistEntry {
    /// Its id.
    pub id: WaitlistEntryId,
    /// The event waited for.
    pub event_id: EventId,
    /// Who waits.
    pub user_id: UserId,
    /// How many seats.
    pub seats: Seats,
    /// The tier waited in.
    pub tier_id: TierId,
    /// Where the entry stands.
    pub status: WaitlistStatus,
    /// 1-based rank among the event's waiting entries; `None` unless waiting.
    pub position: Option<u32>,
    /// The booking it became, once promoted (or once its offer was confirmed).
    pub booking_id: Option<BookingId>,
    /// The hold it was offered, in offer mode.
    pub hold_id: Option<HoldId>,
    /// When the user joined.
    pub joined_at: DateTime<Utc>,
}

/// A user's waiting entry together with the length of the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueStanding {
    /// The entry, with its position.
    pub entry: WaitlistEntry,
    /// How many entries wait for the event in all.
    pub total_waiting: u32,
}
