use chrono::{DateTime, Utc};
use evently_domain::event::{Description, Event, EventFilter, EventName, EventPatch, NewEvent, SearchText, Venue};
use evently_domain::hold::HoldTtl;
use evently_domain::inventory::Seats;
use evently_domain::inventory::{Capacity, EventStatus, Promotion};
use evently_domain::seating::PlanError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::pages::page_request;
use super::queue::{QueueBody, QueueDto};
use super::seating::SeatingBody;
use super::tiers::{TierBody, TierDto, currency, plan};
use crate::body::{Integer, field};
use crate::error::ApiError;
use evently_domain::PageRequest;

/// An event.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventDto {
    /// The event's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Where it takes place.
    pub venue: String,
    /// What it is about (may be empty).
    pub description: String,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// Seats in all.
    pub capacity: u32,
    /// The most seats one booking or waitlist entry may hold.
    pub max_seats_per_booking: u32,
    /// Seats held by confirmed bookings.
    pub booked_seats: u32,
    /// `capacity - booked_seats - held_seats`.
    pub available_seats: u32,
    /// Entries waiting for seats.
    pub waitlist_length: u32,
    /// Seats held by active holds (unexpired ones: an expired hold's seats count as free
    /// at once).
    pub held_seats: u32,
    /// How long a new hold lasts.
    pub hold_ttl_seconds: u32,
    /// `book` or `offer`: what promoting a waiting entry gives it.
    #[schema(example = "book")]
    pub waitlist_promotion: &'static str,
    /// ISO 4217 code of every price of the event.
    #[schema(example = "EUR")]
    pub currency: String,
    /// Its price categories, in id order; the first is the default.
    pub tiers: Vec<TierDto>,
    /// Whether it sells numbered seats (see `/events/{id}/seats`).
    pub seated: bool,
    /// When its on-sale queue begins admitting; `null`: as soon as the queue is set.
    pub on_sale_at: Option<DateTime<Utc>>,
    /// Its on-sale queue: bookings, holds and waitlist joins need a current admission
    /// (`403 not_admitted`); `null` without one.
    pub queue: Option<QueueDto>,
    /// `scheduled` or `cancelled`.
    #[schema(example = "scheduled")]
    pub status: &'static str,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When an admin last changed it.
    pub updated_at: DateTime<Utc>,
}

impl From<Event> for EventDto {
    fn from(event: Event) -> Self {
        let available = event.available_seats();
        Self {
            id: event.id.get(),
            available_seats: available,
            held_seats: event.held_seats,
            hold_ttl_seconds: event.hold_ttl.seconds(),
            waitlist_promotion: event.waitlist_promotion.as_str(),
            currency: event.currency.as_str().to_owned(),
            tiers: event.tiers.into_iter().map(|tier| TierDto::new(tier, available)).collect(),
            seated: event.seated,
            on_sale_at: event.on_sale_at,
            queue: event.queue.map(QueueDto::from),
            name: event.name.as_str().to_owned(),
            venue: event.venue.as_str().to_owned(),
            description: event.description.as_str().to_owned(),
            starts_at: event.starts_at,
            capacity: event.capacity.get(),
            max_seats_per_booking: event.max_seats_per_booking.get(),
            booked_seats: event.booked_seats,
            waitlist_length: event.waitlist_length,
            status: event.status.as_str(),
            created_at: event.created_at,
            updated_at: event.updated_at,
        }
    }
}

fn starts_at(raw: &str) -> Result<DateTime<Utc>, ApiError> {
    super::query::utc_instant(raw.trim()).map_err(|e| ApiError::Validation(format!("starts_at: {e}")))
}

fn on_sale_at(raw: &str) -> Result<DateTime<Utc>, ApiError> {
    super::query::utc_instant(raw.trim()).map_err(|e| ApiError::Validation(format!("on_sale_at: {e}")))
}

fn capacity(raw: Integer) -> Result<Capacity, ApiError> {
    field("capacity", Capacity::new(raw.get("capacity")?))
}

fn max_seats(raw: Integer) -> Result<Seats, ApiError> {
    field("max_seats_per_booking", Seats::new(raw.get("max_seats_per_booking")?))
}

fn hold_ttl(raw: Integer) -> Result<HoldTtl, ApiError> {
    field("hold_ttl_seconds", HoldTtl::new(raw.get("hold_ttl_seconds")?))
}

fn promotion(raw: &str) -> Result<Promotion, ApiError> {
    Promotion::parse(raw).ok_or_else(|| ApiError::Validation("waitlist_promotion: must be book or offer".into()))
}

/// A new event.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateEventBody {
    /// 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200, example = "RustConf")]
    pub name: String,
    /// 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200, example = "Main Hall")]
    pub venue: String,
    /// Up to 5,000 characters; empty when left out.
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// RFC 3339 timestamp.
    #[schema(value_type = String, format = DateTime, example = "2027-03-01T19:30:00Z")]
    pub starts_at: String,
    /// 1 to 1,000,000 seats. Required unless `seating` is given; then it may be left out
    /// and, if given, must be the plan's seat count.
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 1_000_000)]
    pub capacity: Option<Integer>,
    /// 1 to 100; 10 when left out.
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 100, default = 10)]
    pub max_seats_per_booking: Option<Integer>,
    /// ISO 4217 code, three upper-case letters; `EUR` when left out.
    #[schema(example = "EUR")]
    pub currency: Option<String>,
    /// 1 to 20 tiers with unique names, each quota at most `capacity`; one free
    /// "General admission" tier without a quota when left out.
    #[schema(min_items = 1, max_items = 20)]
    pub tiers: Option<Vec<TierBody>>,
    /// How long a hold lasts, 5 to 3,600 seconds; 600 when left out.
    #[schema(value_type = Option<i64>, minimum = 5, maximum = 3600, default = 600)]
    pub hold_ttl_seconds: Option<Integer>,
    /// `book` (the default: promotion confirms a booking) or `offer` (promotion gives
    /// an active hold to confirm before it expires).
    #[schema(value_type = Option<String>, example = "book")]
    pub waitlist_promotion: Option<String>,
    /// A seating plan: the event sells these numbered seats. Its `capacity` is their
    /// number and each tier's capacity the number of seats in its sections (a tier
    /// capacity given must be that number; a tier without seats is refused).
    pub seating: Option<SeatingBody>,
    /// RFC 3339: when the on-sale queue begins admitting (tickets taken before are put in
    /// a random order then); left out or past: as soon as the queue is set.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub on_sale_at: Option<String>,
    /// Sell through an on-sale queue (a virtual waiting room).
    pub queue: Option<QueueBody>,
}

impl CreateEventBody {
    /// The validated event (422 naming the first bad field).
    pub fn validate(self) -> Result<NewEvent, ApiError> {
        let name = field("name", EventName::new(&self.name))?;
        let venue = field("venue", Venue::new(&self.venue))?;
        let description = field("description", Description::new(self.description.as_deref().unwrap_or("")))?;
        let starts_at = starts_at(&self.starts_at)?;
        let layout = self.seating.map(SeatingBody::validate).transpose()?;
        let capacity = match (self.capacity, &layout) {
            (None, None) => return Err(ApiError::BadRequest("missing field `capacity`".into())),
            (Some(raw), None) => capacity(raw)?,
            (given, Some(layout)) => {
                let seats = i64::try_from(layout.seats()).unwrap_or(i64::MAX);
                if given.map(|raw| raw.get("capacity")).transpose()?.is_some_and(|c| c != seats) {
                    let detail = format!("capacity: a seated event's capacity is its seat count, {seats}");
                    return Err(ApiError::Validation(detail));
                }
                field("seating", Capacity::new(seats).map_err(|_| PlanError::TooManySeats(layout.seats())))?
            }
        };
        let tiers = plan(self.tiers, capacity)?;
        let (tiers, seating) = match layout {
            None => (tiers, None),
            Some(layout) => {
                let (seating, tiers) = layout.plan(tiers)?;
                (tiers, Some(seating))
            }
        };
        Ok(NewEvent {
            name,
            venue,
            description,
            starts_at,
            capacity,
            max_seats_per_booking: match self.max_seats_per_booking {
                Some(raw) => max_seats(raw)?,
                None => Seats::DEFAULT_LIMIT,
            },
            hold_ttl: self.hold_ttl_seconds.map(hold_ttl).transpose()?.unwrap_or_default(),
            waitlist_promotion: self.waitlist_promotion.as_deref().map(promotion).transpose()?.unwrap_or_default(),
            currency: currency(self.currency.as_deref())?,
            tiers,
            seating,
            on_sale_at: self.on_sale_at.as_deref().map(on_sale_at).transpose()?,
            queue: self.queue.as_ref().map(QueueBody::validate).transpose()?,
        })
    }
}

/// Changes to an event; fields left out (or `null`) keep their value.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PatchEventBody {
    /// 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub venue: Option<String>,
    /// Up to 5,000 characters.
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// RFC 3339 timestamp.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub starts_at: Option<String>,
    /// Not below the seats already booked; raising it promotes waiting entries at once.
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 1_000_000)]
    pub capacity: Option<Integer>,
    /// 1 to 100; applies to requests made from now on.
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub max_seats_per_booking: Option<Integer>,
    /// 5 to 3,600 seconds; applies to holds made from now on.
    #[schema(value_type = Option<i64>, minimum = 5, maximum = 3600)]
    pub hold_ttl_seconds: Option<Integer>,
    /// `book` or `offer`; applies to later changes' promotions.
    #[schema(value_type = Option<String>)]
    pub waitlist_promotion: Option<String>,
    /// RFC 3339: a new on-sale instant (it moves a queue that has not begun admitting).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub on_sale_at: Option<String>,
    /// Sell through an on-sale queue, or change its pace and admission length (a queue
    /// cannot be removed).
    pub queue: Option<QueueBody>,
}

impl PatchEventBody {
    /// The validated patch (422 naming the first bad field).
    pub fn validate(self) -> Result<EventPatch, ApiError> {
        Ok(EventPatch {
            name: self.name.map(|n| field("name", EventName::new(&n))).transpose()?,
            venue: self.venue.map(|v| field("venue", Venue::new(&v))).transpose()?,
            description: self.description.map(|d| field("description", Description::new(&d))).transpose()?,
            starts_at: self.starts_at.as_deref().map(starts_at).transpose()?,
            capacity: self.capacity.map(capacity).transpose()?,
            max_seats_per_booking: self.max_seats_per_booking.map(max_seats).transpose()?,
            hold_ttl: self.hold_ttl_seconds.map(hold_ttl).transpose()?,
            waitlist_promotion: self.waitlist_promotion.as_deref().map(promotion).transpose()?,
            on_sale_at: self.on_sale_at.as_deref().map(on_sale_at).transpose()?,
            queue: self.queue.as_ref().map(QueueBody::validate).transpose()?,
        })
    }
}

/// Which events to list by status.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatusFilter {
    /// Open events (the default).
    #[default]
    Scheduled,
    /// Called-off events.
    Cancelled,
    /// Both.
    All,
}

/// Filters and pagination of the event list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// `scheduled` (default), `cancelled` or `all`.
    pub status: Option<StatusFilter>,
    /// Only events starting at or after this instant (RFC 3339).
    #[serde(default, deserialize_with = "super::query::instant")]
    pub from: Option<DateTime<Utc>>,
    /// Only events starting at or before this instant (RFC 3339).
    #[serde(default, deserialize_with = "super::query::instant")]
    pub to: Option<DateTime<Utc>>,
    /// Case-insensitive text matched in names and venues.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Page size, 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<i64>,
    /// Items to skip.
    #[param(minimum = 0, maximum = 2_147_483_647, default = 0)]
    pub offset: Option<i64>,
}

impl EventsQuery {
    /// A canonical spelling of this query, for cache keys.
    pub fn cache_key(&self) -> String {
        let status = match self.status.unwrap_or_default() {
            StatusFilter::Scheduled => "scheduled",
            StatusFilter::Cancelled => "cancelled",
            StatusFilter::All => "all",
        };
        let instant = |t: Option<DateTime<Utc>>| t.map(|t| t.timestamp_micros().to_string()).unwrap_or_default();
        format!(
            "{status}|{}|{}|{}|{}|{}",
            instant(self.from),
            instant(self.to),
            self.q.as_deref().map(|q| q.trim().to_lowercase()).unwrap_or_default().escape_default(),
            self.limit.unwrap_or(i64::from(PageRequest::DEFAULT_LIMIT)),
            self.offset.unwrap_or(0),
        )
    }

    /// The validated filter and page.
    pub fn validate(&self) -> Result<(EventFilter, PageRequest), ApiError> {
        let status = match self.status.unwrap_or_default() {
            StatusFilter::Scheduled => Some(EventStatus::Scheduled),
            StatusFilter::Cancelled => Some(EventStatus::Cancelled),
            StatusFilter::All => None,
        };
        let query = match self.q.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(q) => Some(field("q", SearchText::new(q))?),
        };
        let filter = EventFilter { status, from: self.from, to: self.to, query };
        Ok((filter, page_request(self.limit, self.offset)?))
    }
}
