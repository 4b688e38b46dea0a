use chrono::{DateTime, Utc};

use super::{Tier, TierPlan};
use crate::EventId;
use crate::hold::HoldTtl;
use crate::inventory::{Capacity, EventStatus, Promotion, Seats};
use crate::money::Currency;
use crate::queue::QueueSettings;
use crate::seating::SeatingPlan;
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
    /// Seats held by active, unexpired holds.
    pub held_seats: u32,
    /// When the first of its active holds lapses: its counts change then without a write.
    pub holds_lapse_at: Option<DateTime<Utc>>,
    /// Entries waiting for seats.
    pub waitlist_length: u32,
    /// How long its new holds last.
    pub hold_ttl: HoldTtl,
    /// What promoting a waiting entry gives it.
    pub waitlist_promotion: Promotion,
    /// The currency of its prices.
    pub currency: Currency,
    /// Its price categories, in id order (at least one).
    pub tiers: Vec<Tier>,
    /// Whether it sells numbered seats of a seating plan.
    pub seated: bool,
    /// When its on-sale queue begins admitting (`None`: as soon as the queue is set).
    pub on_sale_at: Option<DateTime<Utc>>,
    /// Its on-sale queue, if it sells through one.
    pub queue: Option<QueueSettings>,
    /// Scheduled or cancelled.
    pub status: EventStatus,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When an admin last changed it.
    pub updated_at: DateTime<Utc>,
}

impl Event {
    /// Seats still free: `capacity - booked_seats - held_seats`.
    pub fn available_seats(&self) -> u32 {
        self.capacity.get().saturating_sub(self.booked_seats + self.held_seats)
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
    /// How long its holds last.
    pub hold_ttl: HoldTtl,
    /// What promoting a waiting entry gives it.
    pub waitlist_promotion: Promotion,
    /// The currency of its prices.
    pub currency: Currency,
    /// Its tiers.
    pub tiers: TierPlan,
    /// Its seating plan, sections naming their tier by position in `tiers`; with one,
    /// `capacity` and each tier's quota are seat counts (see [`TierPlan::seated`]).
    pub seating: Option<SeatingPlan<usize>>,
    /// When its on-sale queue begins admitting.
    pub on_sale_at: Option<DateTime<Utc>>,
    /// Its on-sale queue, if it sells through one.
    pub queue: Option<QueueSettings>,
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
    /// New hold time; it applies to holds made from now on.
    pub hold_ttl: Option<HoldTtl>,
    /// New promotion mode; it applies to promotions from now on.
    pub waitlist_promotion: Option<Promotion>,
    /// New on-sale instant (only before admission began).
    pub on_sale_at: Option<DateTime<Utc>>,
    /// A queue to sell through, or its new pace and admission length.
    pub queue: Option<QueueSettings>,
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
