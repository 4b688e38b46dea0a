use chrono::{DateTime, Utc};
use evently_domain::booking::PaymentReference;
use evently_domain::hold::{Hold, HoldStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::body::field;
use crate::error::ApiError;

/// A hold: seats reserved until `expires_at`, to confirm (pay) before then.
#[derive(Debug, Serialize, ToSchema)]
pub struct HoldDto {
    /// The hold's id.
    pub id: i64,
    /// The event held.
    pub event_id: i64,
    /// Who holds it.
    pub user_id: i64,
    /// The tier held.
    pub tier_id: i64,
    /// Seats held.
    pub seats: u32,
    /// Named seats; `null` unless the event is seated.
    pub seat_labels: Option<Vec<String>>,
    /// `active`, `confirmed`, `released` or `expired`; an active hold past `expires_at`
    /// reads `expired` at once.
    #[schema(example = "active")]
    pub status: &'static str,
    /// `direct`, or `waitlist` for an offer made to a waiting entry.
    #[schema(example = "direct")]
    pub source: &'static str,
    /// When the seats stop counting; the timer cannot be extended.
    pub expires_at: DateTime<Utc>,
    /// The booking it became, once confirmed.
    pub booking_id: Option<i64>,
    /// The price of one seat when it was made, in minor units.
    pub unit_price_cents: u64,
    /// `seats x unit_price_cents`.
    pub amount_cents: u64,
    /// ISO 4217 code of the prices.
    #[schema(example = "EUR")]
    pub currency: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

impl HoldDto {
    /// `hold` as it reads at `now`.
    pub fn at(hold: Hold, now: DateTime<Utc>) -> Self {
        Self {
            id: hold.id.get(),
            event_id: hold.event_id.get(),
            user_id: hold.user_id.get(),
            tier_id: hold.tier_id.get(),
            seats: hold.seats.get(),
            seat_labels: hold.placement.as_ref().map(|p| p.labels().to_vec()),
            status: hold.status_at(now).as_str(),
            source: hold.source.as_str(),
            expires_at: hold.expires_at,
            booking_id: hold.booking_id.map(|b| b.get()),
            unit_price_cents: hold.unit_price.cents(),
            amount_cents: hold.amount(),
            currency: hold.currency.as_str().to_owned(),
            created_at: hold.created_at,
        }
    }
}

/// Confirming a hold.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ConfirmBody {
    /// The payment provider's reference, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200, example = "pi_3NvQ2f")]
    pub payment_reference: Option<String>,
}

impl ConfirmBody {
    /// The validated reference.
    pub fn validate(self) -> Result<Option<PaymentReference>, ApiError> {
        self.payment_reference.map(|r| field("payment_reference", PaymentReference::new(&r))).transpose()
    }
}

/// A hold status to filter by.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum HoldStatusFilter {
    /// Seats taken, timer running.
    Active,
    /// Became a booking.
    Confirmed,
    /// Given up.
    Released,
    /// Timer ran out.
    Expired,
}

impl From<HoldStatusFilter> for HoldStatus {
    fn from(filter: HoldStatusFilter) -> Self {
        match filter {
            HoldStatusFilter::Active => Self::Active,
            HoldStatusFilter::Confirmed => Self::Confirmed,
            HoldStatusFilter::Released => Self::Released,
            HoldStatusFilter::Expired => Self::Expired,
        }
    }
}

/// Filter and pagination of a user's holds.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HoldsQuery {
    /// Only holds that read this status now.
    pub status: Option<HoldStatusFilter>,
    /// Page size, 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<i64>,
    /// Items to skip.
    #[param(minimum = 0, maximum = 2_147_483_647, default = 0)]
    pub offset: Option<i64>,
}
