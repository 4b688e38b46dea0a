//! Rows as the database returns them, and their conversion into domain values. A row
//! that breaks a domain rule is a corrupt store, reported as [`StoreError::Unknown`].

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Text, Timestamptz};
use evently_domain::booking::{Booking, BookingSource, PaymentReference};
use evently_domain::event::{Description, Event, EventName, Tier, TierName, Venue};
use evently_domain::hold::{Hold, HoldSource, HoldStatus, HoldTtl};
use evently_domain::inventory::{BookingStatus, Seats};
use evently_domain::inventory::{Capacity, EventStatus, Promotion};
use evently_domain::money::{Currency, Price};
use evently_domain::notification::{Notification, NotificationKind};
use evently_domain::queue::{AdmissionTtl, AdmitRate, QueueSettings};
use evently_domain::seating::{Placement, SeatNo};
use evently_domain::ticket::{Gate, Ticket, TicketStatus};
use evently_domain::user::{Credentials, Email, PasswordHash, Role, User, UserName};
use evently_domain::waitlist::{WaitlistEntry, WaitlistStatus};
use evently_domain::{
    BookingId, EventId, HoldId, NotificationId, Page, PageRequest, StoreError, TicketId, TierId, UserId,
    WaitlistEntryId,
};
use serde::Deserialize;

fn corrupt(what: &str) -> StoreError {
    StoreError::Unknown(anyhow::anyhow!("corrupt row: invalid {what}"))
}

pub(super) fn id<T>(raw: i64, wrap: fn(i64) -> Option<T>) -> Result<T, StoreError> {
    wrap(raw).ok_or_else(|| corrupt("id"))
}

pub(super) fn seats(raw: i32) -> Result<Seats, StoreError> {
    Seats::new(i64::from(raw)).map_err(|_| corrupt("seats"))
}

pub(super) fn count(raw: i64) -> u32 {
    u32::try_from(raw).unwrap_or(u32::MAX)
}

/// A seat count as the database's integer (every count is bounded by `Capacity::MAX`).
pub(super) fn seat_count(seats: u32) -> i32 {
    i32::try_from(seats).unwrap_or(i32::MAX)
}

pub(super) fn unsigned(raw: i32) -> Result<u32, StoreError> {
    u32::try_from(raw).map_err(|_| corrupt("count"))
}

#[derive(QueryableByName)]
pub(super) struct UserRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub email: String,
    #[diesel(sql_type = Text)]
    pub role: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

pub(super) const USER_COLUMNS: &str = "id, name, email, role, created_at";

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(row: UserRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: id(row.id, UserId::new)?,
            name: UserName::new(&row.name).map_err(|_| corrupt("user name"))?,
            email: Email::new(&row.email).map_err(|_| corrupt("email"))?,
            role: Role::parse(&row.role).ok_or_else(|| corrupt("role"))?,
            created_at: row.created_at,
        })
    }
}

#[derive(QueryableByName)]
pub(super) struct CredentialsRow {
    #[diesel(embed)]
    pub user: UserRow,
    #[diesel(sql_type = Text)]
    pub password_hash: String,
}

impl TryFrom<CredentialsRow> for Credentials {
    type Error = StoreError;

    fn try_from(row: CredentialsRow) -> Result<Self, StoreError> {
        Ok(Self { user: row.user.try_into()?, password_hash: PasswordHash::new(row.password_hash) })
    }
}

#[derive(QueryableByName)]
pub(super) struct EventRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub venue: String,
    #[diesel(sql_type = Text)]
    pub description: String,
    #[diesel(sql_type = Timestamptz)]
    pub starts_at: DateTime<Utc>,
    #[diesel(sql_type = Integer)]
    pub capacity: i32,
    #[diesel(sql_type = Integer)]
    pub max_seats_per_booking: i32,
    #[diesel(sql_type = Integer)]
    pub booked_seats: i32,
    #[diesel(sql_type = BigInt)]
    pub waitlist_length: i64,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = Integer)]
    pub held_seats: i32,
    #[diesel(sql_type = Integer)]
    pub hold_ttl_seconds: i32,
    #[diesel(sql_type = Text)]
    pub waitlist_promotion: String,
    /// The event's tiers as a JSON array of [`TierRow`]s, in id order.
    #[diesel(sql_type = Text)]
    pub tiers: String,
    #[diesel(sql_type = Bool)]
    pub seated: bool,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub holds_lapse_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub on_sale_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub queue_admit_per_minute: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub queue_admission_ttl_seconds: Option<i32>,
}

/// The columns of [`EventRow`] for an `events e` in the query, with the derived queue
/// length.
pub(super) const EVENT_COLUMNS: &str = "e.id, e.name, e.venue, e.description, e.starts_at, e.capacity, \
     e.max_seats_per_booking, e.booked_seats, e.status, e.created_at, e.updated_at, \
     (SELECT count(*) FROM waitlist_entries w WHERE w.event_id = e.id AND w.status = 'waiting') AS waitlist_length, \
     e.currency, e.hold_ttl_seconds, e.waitlist_promotion, \
     (SELECT COALESCE(sum(h.seats), 0)::int FROM holds h \
       WHERE h.event_id = e.id AND h.status = 'active' AND h.expires_at > now()) AS held_seats, \
     (SELECT json_agg(json_build_object('id', t.id, 'name', t.name, 'price_cents', t.price_cents, \
       'capacity', t.capacity, 'booked_seats', t.booked_seats, 'held_seats', (SELECT COALESCE(sum(h.seats), 0) \
       FROM holds h WHERE h.tier_id = t.id AND h.status = 'active' AND h.expires_at > now())) ORDER BY t.id)::text \
      FROM tiers t WHERE t.event_id = e.id) AS tiers, e.seated, \
     (SELECT min(h.expires_at) FROM holds h \
       WHERE h.event_id = e.id AND h.status = 'active' AND h.expires_at > now()) AS holds_lapse_at, \
     e.on_sale_at, e.queue_admit_per_minute, e.queue_admission_ttl_seconds";

/// A tier, as a row or as an element of [`EventRow::tiers`].
#[derive(QueryableByName, Deserialize)]
pub(super) struct TierRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = BigInt)]
    pub price_cents: i64,
    #[diesel(sql_type = Nullable<Integer>)]
    pub capacity: Option<i32>,
    #[diesel(sql_type = Integer)]
    pub booked_seats: i32,
    #[diesel(sql_type = Integer)]
    pub held_seats: i32,
}

/// The columns of [`TierRow`] for a `tiers t` in the query.
pub(super) const TIER_COLUMNS: &str = "t.id, t.name, t.price_cents, t.capacity, t.booked_seats, \
     (SELECT COALESCE(sum(h.seats), 0)::int FROM holds h \
       WHERE h.tier_id = t.id AND h.status = 'active' AND h.expires_at > now()) AS held_seats";

impl TryFrom<TierRow> for Tier {
    type Error = StoreError;

    fn try_from(row: TierRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: id(row.id, TierId::new)?,
            name: TierName::new(&row.name).map_err(|_| corrupt("tier name"))?,
            price: Price::new(row.price_cents).map_err(|_| corrupt("price"))?,
            capacity: row
                .capacity
                .map(|c| Capacity::new(i64::from(c)))
                .transpose()
                .map_err(|_| corrupt("tier capacity"))?,
            booked_seats: unsigned(row.booked_seats)?,
            held_seats: unsigned(row.held_seats)?,
        })
    }
}

/// An event's queue settings from its two columns (both null: no queue).
pub(super) fn queue_settings(rate: Option<i32>, ttl: Option<i32>) -> Result<Option<QueueSettings>, StoreError> {
    match (rate, ttl) {
        (None, None) => Ok(None),
        (Some(rate), Some(ttl)) => Ok(Some(QueueSettings {
            admit_per_minute: AdmitRate::new(i64::from(rate)).map_err(|_| corrupt("queue rate"))?,
            admission_ttl: AdmissionTtl::new(i64::from(ttl)).map_err(|_| corrupt("admission time"))?,
        })),
        _ => Err(corrupt("queue")),
    }
}

pub(super) fn currency(raw: &str) -> Result<Currency, StoreError> {
    Currency::new(raw).map_err(|_| corrupt("currency"))
}

impl TryFrom<EventRow> for Event {
    type Error = StoreError;

    fn try_from(row: EventRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: id(row.id, EventId::new)?,
            name: EventName::new(&row.name).map_err(|_| corrupt("event name"))?,
            venue: Venue::new(&row.venue).map_err(|_| corrupt("venue"))?,
            description: Description::new(&row.description).map_err(|_| corrupt("description"))?,
            starts_at: row.starts_at,
            capacity: Capacity::new(i64::from(row.capacity)).map_err(|_| corrupt("capacity"))?,
            max_seats_per_booking: seats(row.max_seats_per_booking)?,
            booked_seats: unsigned(row.booked_seats)?,
            waitlist_length: count(row.waitlist_length),
            held_seats: unsigned(row.held_seats)?,
            holds_lapse_at: row.holds_lapse_at,
            hold_ttl: HoldTtl::new(i64::from(row.hold_ttl_seconds)).map_err(|_| corrupt("hold time"))?,
            waitlist_promotion: Promotion::parse(&row.waitlist_promotion).ok_or_else(|| corrupt("promotion"))?,
            currency: currency(&row.currency)?,
            tiers: convert(serde_json::from_str::<Vec<TierRow>>(&row.tiers).map_err(|_| corrupt("tiers"))?)?,
            seated: row.seated,
            on_sale_at: row.on_sale_at,
            queue: queue_settings(row.queue_admit_per_minute, row.queue_admission_ttl_seconds)?,
            status: EventStatus::parse(&row.status).ok_or_else(|| corrupt("event status"))?,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(QueryableByName)]
pub(super) struct BookingRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub event_id: i64,
    #[diesel(sql_type = BigInt)]
    pub user_id: i64,
    #[diesel(sql_type = Integer)]
    pub seats: i32,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Text)]
    pub source: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub cancelled_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = BigInt)]
    pub tier_id: i64,
    #[diesel(sql_type = BigInt)]
    pub unit_price_cents: i64,
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub payment_reference: Option<String>,
    #[diesel(embed)]
    pub placement: PlacementColumns,
}

pub(super) const BOOKING_COLUMNS: &str = "id, event_id, user_id, seats, status, source, created_at, cancelled_at, \
     tier_id, unit_price_cents, currency, payment_reference, seat_numbers, seat_labels";

/// A booking's or hold's seats: `seat_numbers` and `seat_labels`, both null unless the
/// event is seated.
#[derive(QueryableByName)]
pub(super) struct PlacementColumns {
    #[diesel(sql_type = Nullable<Array<Integer>>)]
    seat_numbers: Option<Vec<i32>>,
    #[diesel(sql_type = Nullable<Array<Text>>)]
    seat_labels: Option<Vec<String>>,
}

impl TryFrom<PlacementColumns> for Option<Placement> {
    type Error = StoreError;

    fn try_from(row: PlacementColumns) -> Result<Self, StoreError> {
        match (row.seat_numbers, row.seat_labels) {
            (None, None) => Ok(None),
            (Some(numbers), Some(labels)) => {
                let seats = numbers.into_iter().map(|n| u32::try_from(n).map(SeatNo::new)).collect::<Result<_, _>>();
                let seats = seats.map_err(|_| corrupt("seat number"))?;
                Placement::new(seats, labels).map(Some).ok_or_else(|| corrupt("seats"))
            }
            _ => Err(corrupt("seats")),
        }
    }
}

impl TryFrom<BookingRow> for Booking {
    type Error = StoreError;

    fn try_from(row: BookingRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: id(row.id, BookingId::new)?,
            event_id: id(row.event_id, EventId::new)?,
            user_id: id(row.user_id, UserId::new)?,
            seats: seats(row.seats)?,
            tier_id: id(row.tier_id, TierId::new)?,
            unit_price: Price::new(row.unit_price_cents).map_err(|_| corrupt("price"))?,
            currency: currency(&row.currency)?,
            status: BookingStatus::parse(&row.status).ok_or_else(|| corrupt("booking status"))?,
            source: BookingSource::parse(&row.source).ok_or_else(|| corrupt("booking source"))?,
            payment_reference: row
                .payment_reference
                .map(|r| PaymentReference::new(&r))
                .transpose()
                .map_err(|_| corrupt("payment reference"))?,
            placement: row.placement.try_into()?,
            created_at: row.created_at,
            cancelled_at: row.cancelled_at,
        })
    }
}

#[derive(QueryableByName)]
pub(super) struct EntryRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub event_id: i64,
    #[diesel(sql_type = BigInt)]
    pub user_id: i64,
    #[diesel(sql_type = Integer)]
    pub seats: i32,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub position: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub booking_id: Option<i64>,
    #[diesel(sql_type = Timestamptz)]
    pub joined_at: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    pub tier_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub hold_id: Option<i64>,
}

/// The columns of [`EntryRow`] for a `waitlist_entries w` in the query, with the
/// derived position of waiting entries.
pub(super) const ENTRY_COLUMNS: &str = "w.id, w.event_id, w.user_id, w.seats, w.status, w.booking_id, w.joined_at, \
     w.tier_id, w.hold_id, \
     CASE WHEN w.status = 'waiting' THEN (SELECT count(*) FROM waitlist_entries o \
       WHERE o.event_id = w.event_id AND o.status = 'waiting' AND (o.joined_at, o.id) <= (w.joined_at, w.id)) END AS position";

impl TryFrom<EntryRow> for WaitlistEntry {
    type Error = StoreError;

    fn try_from(row: EntryRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: id(row.id, WaitlistEntryId::new)?,
            event_id: id(row.event_id, EventId::new)?,
            user_id: id(row.user_id, UserId::new)?,
            seats: seats(row.seats)?,
            tier_id: id(row.tier_id, TierId::new)?,
            status: WaitlistStatus::parse(&row.status).ok_or_else(|| corrupt("waitlist status"))?,
            position: row.position.map(count),
            booking_id: row.booking_id.map(|b| id(b, BookingId::new)).transpose()?,
            hold_id: row.hold_id.map(|h| id(h, HoldId::new)).transpose()?,
            joined_at: row.joined_at,
        })
    }
}

#[derive(QueryableByName)]
pub(super) struct NotificationRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = BigInt)]
    pub event_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub booking_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub hold_id: Option<i64>,
    #[diesel(sql_type = Text)]
    pub message: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

impl TryFrom<NotificationRow> for Notification {
    type Error = StoreError;

    fn try_from(row: NotificationRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: id(row.id, NotificationId::new)?,
            kind: NotificationKind::parse(&row.kind).ok_or_else(|| corrupt("notification kind"))?,
            event_id: id(row.event_id, EventId::new)?,
            booking_id: row.booking_id.map(|b| id(b, BookingId::new)).transpose()?,
            hold_id: row.hold_id.map(|h| id(h, HoldId::new)).transpose()?,
            message: row.message,
            created_at: row.created_at,
        })
    }
}

#[derive(QueryableByName)]
pub(super) struct HoldRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub event_id: i64,
    #[diesel(sql_type = BigInt)]
    pub user_id: i64,
    #[diesel(sql_type = BigInt)]
    pub tier_id: i64,
    #[diesel(sql_type = Integer)]
    pub seats: i32,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Text)]
    pub source: String,
    #[diesel(sql_type = Timestamptz)]
    pub expires_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub booking_id: Option<i64>,
    #[diesel(sql_type = BigInt)]
    pub unit_price_cents: i64,
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(embed)]
    pub placement: PlacementColumns,
}

pub(super) const HOLD_COLUMNS: &str = "id, event_id, user_id, tier_id, seats, status, source, expires_at, booking_id, \
     unit_price_cents, currency, created_at, seat_numbers, seat_labels";

impl TryFrom<HoldRow> for Hold {
    type Error = StoreError;

    fn try_from(row: HoldRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: id(row.id, HoldId::new)?,
            event_id: id(row.event_id, EventId::new)?,
            user_id: id(row.user_id, UserId::new)?,
            tier_id: id(row.tier_id, TierId::new)?,
            seats: seats(row.seats)?,
            status: HoldStatus::parse(&row.status).ok_or_else(|| corrupt("hold status"))?,
            source: HoldSource::parse(&row.source).ok_or_else(|| corrupt("hold source"))?,
            expires_at: row.expires_at,
            booking_id: row.booking_id.map(|b| id(b, BookingId::new)).transpose()?,
            placement: row.placement.try_into()?,
            unit_price: Price::new(row.unit_price_cents).map_err(|_| corrupt("price"))?,
            currency: currency(&row.currency)?,
            created_at: row.created_at,
        })
    }
}

/// A yes or no from `SELECT ... AS answer`.
#[derive(QueryableByName)]
pub(super) struct Answer {
    #[diesel(sql_type = Bool)]
    pub answer: bool,
}

/// A total from `SELECT count(*) AS total`.
#[derive(QueryableByName)]
pub(super) struct Total {
    #[diesel(sql_type = BigInt)]
    pub total: i64,
}

/// A row of a page with the number of rows matching the page's filter, both read by
/// one statement (`(SELECT count(*) ...) AS total` beside the columns, one snapshot):
/// counted by a second statement, a change committed between the two would show a
/// total its items contradict.
#[derive(QueryableByName)]
pub(super) struct Counted<R: QueryableByName<diesel::pg::Pg>> {
    #[diesel(sql_type = BigInt)]
    pub total: i64,
    #[diesel(embed)]
    pub row: R,
}

/// A page of rows read with their total ([`Counted`]). A page that starts past the last
/// row carries no total: `apart` counts it then.
pub(super) async fn counted_page<R, T>(
    rows: Vec<Counted<R>>,
    page: PageRequest,
    apart: impl Future<Output = Result<Total, diesel::result::Error>>,
) -> Result<Page<T>, StoreError>
where
    R: QueryableByName<diesel::pg::Pg>,
    T: TryFrom<R, Error = StoreError>,
{
    let total = match rows.first() {
        Some(first) => first.total,
        None if page.offset() == 0 => 0,
        None => apart.await.map_err(super::error::classify)?.total,
    };
    let items = convert(rows.into_iter().map(|counted| counted.row).collect())?;
    Ok(Page { items, total: total.unsigned_abs(), request: page })
}

/// Converts every row, failing on the first corrupt one.
pub(super) fn convert<R, T: TryFrom<R, Error = StoreError>>(rows: Vec<R>) -> Result<Vec<T>, StoreError> {
    rows.into_iter().map(T::try_from).collect()
}

#[derive(QueryableByName)]
pub(super) struct TicketRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub booking_id: i64,
    #[diesel(sql_type = BigInt)]
    pub user_id: i64,
    #[diesel(sql_type = BigInt)]
    pub event_id: i64,
    #[diesel(sql_type = BigInt)]
    pub tier_id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub seat_label: Option<String>,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Timestamptz)]
    pub issued_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub valid_until: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub checked_in_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Text>)]
    pub gate: Option<String>,
}

pub(super) const TICKET_COLUMNS: &str =
    "id, booking_id, user_id, event_id, tier_id, seat_label, status, issued_at, valid_until, checked_in_at, gate";

impl TryFrom<TicketRow> for Ticket {
    type Error = StoreError;

    fn try_from(row: TicketRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: id(row.id, TicketId::new)?,
            booking_id: id(row.booking_id, BookingId::new)?,
            holder: id(row.user_id, UserId::new)?,
            event_id: id(row.event_id, EventId::new)?,
            tier_id: id(row.tier_id, TierId::new)?,
            seat_label: row.seat_label,
            status: TicketStatus::parse(&row.status).ok_or_else(|| corrupt("ticket status"))?,
            issued_at: row.issued_at,
            valid_until: row.valid_until,
            checked_in_at: row.checked_in_at,
            gate: row.gate.map(|gate| Gate::new(&gate).map_err(|_| corrupt("gate"))).transpose()?,
        })
    }
}
