use chrono::{DateTime, Utc};
use evently_domain::TierId;
use evently_domain::booking::Booking;
use evently_domain::inventory::{BookingStatus, Seats};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::body::{Integer, field};
use crate::error::ApiError;

/// A booking.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingDto {
    /// The booking's id.
    pub id: i64,
    /// The event booked.
    pub event_id: i64,
    /// Who holds it.
    pub user_id: i64,
    /// Seats held.
    pub seats: u32,
    /// Its seats; `null` unless the event is seated.
    #[schema(example = json!(["Stalls:A:7", "Stalls:A:8"]))]
    pub seat_labels: Option<Vec<String>>,
    /// The tier booked.
    pub tier_id: i64,
    /// The price of one seat when it was booked, in minor units.
    pub unit_price_cents: u64,
    /// `seats x unit_price_cents`.
    pub amount_cents: u64,
    /// ISO 4217 code of the prices.
    #[schema(example = "EUR")]
    pub currency: String,
    /// `confirmed` or `cancelled`.
    #[schema(example = "confirmed")]
    pub status: &'static str,
    /// `direct`, `waitlist` or `hold`.
    #[schema(example = "direct")]
    pub source: &'static str,
    /// The reference given when its hold was confirmed; `null` otherwise.
    pub payment_reference: Option<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was cancelled; `null` while confirmed.
    pub cancelled_at: Option<DateTime<Utc>>,
}

impl From<Booking> for BookingDto {
    fn from(booking: Booking) -> Self {
        Self {
            id: booking.id.get(),
            event_id: booking.event_id.get(),
            user_id: booking.user_id.get(),
            seats: booking.seats.get(),
            seat_labels: booking.placement.as_ref().map(|p| p.labels().to_vec()),
            tier_id: booking.tier_id.get(),
            unit_price_cents: booking.unit_price.cents(),
            amount_cents: booking.amount(),
            currency: booking.currency.as_str().to_owned(),
            status: booking.status.as_str(),
            source: booking.source.as_str(),
            payment_reference: booking.payment_reference.map(|r| r.as_str().to_owned()),
            created_at: booking.created_at,
            cancelled_at: booking.cancelled_at,
        }
    }
}

/// How many seats to wait for, and in which tier; the whole body may be left out. On a
/// seated event, promotion gives the best seats: side by side when a row has them.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct SeatsBody {
    /// 1 up to the event's `max_seats_per_booking`; 1 when left out.
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 100, default = 1)]
    pub seats: Option<Integer>,
    /// A tier of the event; its first tier when left out. Any other id is `422
    /// validation_failed`.
    #[schema(value_type = Option<i64>)]
    pub tier_id: Option<Integer>,
}

impl SeatsBody {
    /// The validated seat count (the event's own limit is checked by the booking rules).
    pub fn seats(&self) -> Result<Seats, ApiError> {
        match self.seats {
            None => Ok(Seats::ONE),
            Some(raw) => field("seats", Seats::new(raw.get("seats")?)),
        }
    }

    /// The tier named, if any.
    pub fn tier(&self) -> Result<Option<TierId>, ApiError> {
        super::tier_id(self.tier_id)
    }
}

/// Filter and pagination of a user's bookings.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BookingsQuery {
    /// Only bookings with this status.
    pub status: Option<BookingStatusFilter>,
    /// Page size, 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<i64>,
    /// Items to skip.
    #[param(minimum = 0, maximum = 2_147_483_647, default = 0)]
    pub offset: Option<i64>,
}

/// A booking status to filter by.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BookingStatusFilter {
    /// Holding seats.
    Confirmed,
    /// Given back.
    Cancelled,
}

impl From<BookingStatusFilter> for BookingStatus {
    fn from(filter: BookingStatusFilter) -> Self {
        match filter {
            BookingStatusFilter::Confirmed => Self::Confirmed,
            BookingStatusFilter::Cancelled => Self::Cancelled,
        }
    }
}
