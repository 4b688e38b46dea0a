use chrono::{DateTime, Utc};

use crate::text::text_type;
use crate::{BookingId, EventId, TicketId, TierId, UserId};

text_type!(
    /// The entrance a ticket was scanned at: 1 to 50 characters.
    Gate, max = 50, clean, multiline = false
);

/// Where a ticket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TicketStatus {
    /// Issued, not yet scanned.
    Valid,
    /// Scanned at the door (once).
    CheckedIn,
    /// Its booking or event was cancelled before it was scanned.
    Revoked,
}

impl TicketStatus {
    /// The status's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::CheckedIn => "checked_in",
            Self::Revoked => "revoked",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "valid" => Some(Self::Valid),
            "checked_in" => Some(Self::CheckedIn),
            "revoked" => Some(Self::Revoked),
            _ => None,
        }
    }
}

/// One admission: a seat of a confirmed booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// Its id.
    pub id: TicketId,
    /// The booking it belongs to.
    pub booking_id: BookingId,
    /// The booking's owner.
    pub holder: UserId,
    /// The event it admits to.
    pub event_id: EventId,
    /// The booking's tier.
    pub tier_id: TierId,
    /// Its seat, for reserved seating.
    pub seat_label: Option<String>,
    /// Where it is in its life.
    pub status: TicketStatus,
    /// When it was issued (whole seconds): its code is valid from then.
    pub issued_at: DateTime<Utc>,
    /// Its code is valid until then (exclusive): the event's start plus a day.
    pub valid_until: DateTime<Utc>,
    /// When it was checked in.
    pub checked_in_at: Option<DateTime<Utc>>,
    /// Where it was checked in.
    pub gate: Option<Gate>,
}

/// A ticket with its signed code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// The ticket.
    pub ticket: Ticket,
    /// Its `EVT1` code.
    pub code: String,
}

/// A scan as a scanner reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// The code read.
    pub code: String,
    /// Where.
    pub gate: Option<Gate>,
    /// When (an offline scanner's clock; the server's for online scans).
    pub scanned_at: DateTime<Utc>,
}

/// A scan whose code verified: the ticket to check in, where and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckIn {
    /// The ticket the code names.
    pub ticket: TicketId,
    /// Where.
    pub gate: Option<Gate>,
    /// When.
    pub at: DateTime<Utc>,
}

/// What became of one scan of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanOutcome {
    /// This scan checked the ticket in.
    CheckedIn,
    /// The ticket was checked in already (on the server, or by an earlier scan).
    AlreadyCheckedIn,
    /// The ticket was revoked.
    Revoked,
    /// The code is malformed, badly signed, of another event or outside its window.
    Invalid,
}

impl ScanOutcome {
    /// The outcome's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CheckedIn => "checked_in",
            Self::AlreadyCheckedIn => "already_checked_in",
            Self::Revoked => "ticket_revoked",
            Self::Invalid => "invalid_ticket",
        }
    }
}

/// One scan's result: its outcome and, for checked-in tickets, their check-in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanResult {
    /// What became of it.
    pub outcome: ScanOutcome,
    /// The ticket's check-in time, when it is checked in.
    pub checked_in_at: Option<DateTime<Utc>>,
}

/// A position in an event's revocation feed: revocations are numbered in the order they
/// happened (under the event's lock, so in commit order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct RevocationCursor(pub u64);

/// One revoked ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revocation {
    /// The ticket.
    pub ticket_id: TicketId,
    /// When it was revoked.
    pub revoked_at: DateTime<Utc>,
    /// Its place in the feed.
    pub cursor: RevocationCursor,
}

/// A page of an event's revocation feed and the cursor to pass back for newer ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocations {
    /// Revocations after the cursor given, oldest first.
    pub items: Vec<Revocation>,
    /// The last item's cursor, or the one given when there is none.
    pub cursor: RevocationCursor,
}

/// Check-ins at one gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateCount {
    /// The gate (`None`: scans that named none).
    pub gate: Option<Gate>,
    /// Tickets checked in there.
    pub checked_in: u64,
}

/// An event's door figures.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CheckInStats {
    /// Tickets issued and not yet scanned or revoked.
    pub tickets_valid: u64,
    /// Tickets checked in.
    pub checked_in: u64,
    /// Tickets revoked.
    pub revoked: u64,
    /// Check-ins per gate, by gate name (scans without a gate last).
    pub by_gate: Vec<GateCount>,
}

impl FromIterator<(TicketStatus, Option<Gate>, u64)> for CheckInStats {
    /// Tallies counts of tickets by status and gate; gates come out by name, scans
    /// without a gate last.
    fn from_iter<I: IntoIterator<Item = (TicketStatus, Option<Gate>, u64)>>(counts: I) -> Self {
        let mut stats = Self::default();
        for (status, gate, tickets) in counts {
            match status {
                TicketStatus::Valid => stats.tickets_valid += tickets,
                TicketStatus::Revoked => stats.revoked += tickets,
                TicketStatus::CheckedIn => {
                    stats.checked_in += tickets;
                    match stats.by_gate.iter_mut().find(|count| count.gate == gate) {
                        Some(count) => count.checked_in += tickets,
                        None => stats.by_gate.push(GateCount { gate, checked_in: tickets }),
                    }
                }
            }
        }
        stats.by_gate.sort_by(|a, b| {
            let key = |count: &GateCount| (count.gate.is_none(), count.gate.as_ref().map(|g| g.as_str().to_owned()));
            key(a).cmp(&key(b))
        });
        stats
    }
}
