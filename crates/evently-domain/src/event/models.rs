use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::EventId;
use crate::booking::Seats;
use crate::text::text_type;

text_type!(
    /// An event's name: 1 to 200 characters.
    EventName, max = 200, clean, multiline = false
);
text_type!(
    /// Where an event takes place: 1 to 200 characters.
    Venue, max = 200, clean, multiline = false
);
text_type!(
    /// A free description, possibly empty, up to 5,000 characters.
    Description, max = 5000, clean_optional, multiline = true
);
text_type!(
    /// Text searched for in event names and venues: 1 to 200 characters.
    SearchText, max = 200, clean, multiline = false
);

/// How many seats an event has: `1..=1_000_000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Capacity(u32);

/// Why a capacity was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("must be between 1 and {max}", max = Capacity::MAX)]
pub struct CapacityError;

impl Capacity {
    /// The largest capacity accepted.
    pub const MAX: u32 = 1_000_000;

    /// Validates a raw capacity.
    ///
    /// # Errors
    /// [`CapacityError`] outside `1..=MAX`.
    pub fn new(raw: i64) -> Result<Self, CapacityError> {
        u32::try_from(raw).ok().filter(|c| (1..=Self::MAX).contains(c)).map(Self).ok_or(CapacityError)
    }

    /// The number of seats.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// Whether an event still takes place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventStatus {
    /// Open for bookings.
    Scheduled,
    /// Called off: accepts no bookings, waitlist entries or edits.
    Cancelled,
}

impl EventStatus {
    /// The status's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "scheduled" => Some(Self::Scheduled),
            "cancelled" => Some(Self::Cancelled),
            _ => None,
        }
    }
}

/// An event, as shown to clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Its id.
    pub id: EventId,
    /// Its name.
    pub name: EventName,
    /// Where it takes place.
    pub venue: Venue,
    /// What it is about.
    pub description: Description,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// How many seats it has.
    pub capacity: Capacity,
    /// The most seats one booking or waitlist entry may hold.
    pub max_seats_per_booking: Seats,
    /// Seats held by confirmed bookings.
    pub booked_seats: u32,
    /// Entries waiting for seats.
    pub waitlist_length: u32,
    /// Scheduled or cancelled.
    pub status: EventStatus,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When an admin last changed it.
    pub updated_at: DateTime<Utc>,
}

impl Event {
    /// Seats still free: `capacity - booked_seats`.
    pub fn available_seats(&self) -> u32 {
        self.capacity.get().saturating_sub(self.booked_seats)
    }
}

/// An event to create.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// Its name.
    pub name: EventName,
    /// Where it takes place.
    pub venue: Venue,
    /// What it is about.
    pub description: Description,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// How many seats it has.
    pub capacity: Capacity,
    /// The most seats per booking.
    pub max_seats_per_booking: Seats,
}

/// The fields an admin changes; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct EventPatch {
    /// New name.
    pub name: Option<EventName>,
    /// New venue.
    pub venue: Option<Venue>,
    /// New description.
    pub description: Option<Description>,
    /// New start.
    pub starts_at: Option<DateTime<Utc>>,
    /// New capacity; raising it promotes waiting entries at once.
    pub capacity: Option<Capacity>,
    /// New per-booking limit; it applies to requests made from now on.
    pub max_seats_per_booking: Option<Seats>,
}

impl EventPatch {
    /// Whether anything other than capacity changes (what attendees are told about).
    pub fn changes_details(&self) -> bool {
        self.name.is_some() || self.venue.is_some() || self.description.is_some() || self.starts_at.is_some()
    }
}

/// Which events a listing shows.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only this status; `None` for all.
    pub status: Option<EventStatus>,
    /// Only events starting at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only events starting at or before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Only events whose name or venue contains this text, ignoring case.
    pub query: Option<SearchText>,
}

impl EventFilter {
    /// Whether `event` passes this filter (for stores that filter in memory).
    pub fn matches(&self, event: &Event) -> bool {
        let contains = |haystack: &str, needle: &str| haystack.to_lowercase().contains(needle);
        self.status.is_none_or(|s| s == event.status)
            && self.from.is_none_or(|from| event.starts_at >= from)
            && self.to.is_none_or(|to| event.starts_at <= to)
            && self.query.as_ref().is_none_or(|q| {
                let needle = q.as_str().to_lowercase();
                contains(event.name.as_str(), &needle) || contains(event.venue.as_str(), &needle)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_bounds() {
        assert_eq!(Capacity::new(0), Err(CapacityError));
        assert_eq!(Capacity::new(-5), Err(CapacityError));
        assert_eq!(Capacity::new(1_000_001), Err(CapacityError));
        assert_eq!(Capacity::new(100).map(Capacity::get), Ok(100));
    }

    #[test]
    fn filter_matches_name_or_venue_ignoring_case() {
        let now = Utc::now();
        let event = Event {
            id: EventId::new(1).unwrap(),
            name: EventName::new("Rust Conf").unwrap(),
            venue: Venue::new("Grand Hall").unwrap(),
            description: Description::new("").unwrap(),
            starts_at: now,
            capacity: Capacity::new(10).unwrap(),
            max_seats_per_booking: Seats::new(2).unwrap(),
            booked_seats: 3,
            waitlist_length: 0,
            status: EventStatus::Scheduled,
            created_at: now,
            updated_at: now,
        };
        let by = |q: &str| EventFilter { query: Some(SearchText::new(q).unwrap()), ..EventFilter::default() };
        assert!(by("rust").matches(&event));
        assert!(by("HALL").matches(&event));
        assert!(!by("python").matches(&event));
        let cancelled = EventFilter { status: Some(EventStatus::Cancelled), ..EventFilter::default() };
        assert!(!cancelled.matches(&event));
        assert_eq!(event.available_seats(), 7);
    }
}
