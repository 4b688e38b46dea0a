use evently_domain::TierId;
use evently_domain::event::{NewTier, Tier, TierName, TierPatch, TierPlan};
use evently_domain::inventory::Capacity;
use evently_domain::money::{Currency, Price};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::body::{Integer, field};
use crate::error::ApiError;

/// A price category of an event, with its own quota.
#[derive(Debug, Serialize, ToSchema)]
pub struct TierDto {
    /// The tier's id.
    pub id: i64,
    /// Unique within the event.
    #[schema(example = "VIP")]
    pub name: String,
    /// The price of one seat in the event's currency's minor unit.
    #[schema(example = 4500)]
    pub price_cents: u64,
    /// Its quota; `null` when only the event's capacity bounds it.
    pub capacity: Option<u32>,
    /// Seats held by its confirmed bookings.
    pub booked_seats: u32,
    /// Seats held by its active holds.
    pub held_seats: u32,
    /// `min(capacity - booked_seats - held_seats, the event's available_seats)`.
    pub available_seats: u32,
}

impl TierDto {
    /// `tier` of an event with `event_available` seats free.
    pub fn new(tier: Tier, event_available: u32) -> Self {
        Self {
            id: tier.id.get(),
            available_seats: tier.available_seats(event_available),
            name: tier.name.as_str().to_owned(),
            price_cents: tier.price.cents(),
            capacity: tier.capacity.map(Capacity::get),
            booked_seats: tier.booked_seats,
            held_seats: tier.held_seats,
        }
    }
}

/// A tier to create.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TierBody {
    /// 1 to 100 characters, unique within the event.
    #[schema(min_length = 1, max_length = 100, example = "VIP")]
    pub name: String,
    /// 0 to 10,000,000,000 minor units.
    #[schema(value_type = i64, minimum = 0, maximum = 10_000_000_000_i64, example = 4500)]
    pub price_cents: Integer,
    /// 1 up to the event's capacity; `null` or left out: bounded by the event only.
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 1_000_000)]
    pub capacity: Option<Integer>,
}

impl TierBody {
    /// The validated tier (422 naming the first bad field).
    pub fn validate(self) -> Result<NewTier, ApiError> {
        Ok(NewTier {
            name: field("name", TierName::new(&self.name))?,
            price: price(self.price_cents)?,
            capacity: self.capacity.map(quota).transpose()?,
        })
    }
}

/// Changes to a tier; fields left out keep their value. `capacity: null` removes the
/// quota.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PatchTierBody {
    /// 1 to 100 characters, unique within the event.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// 0 to 10,000,000,000 minor units; applies to later bookings only.
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 10_000_000_000_i64)]
    pub price_cents: Option<Integer>,
    /// 1 up to the event's capacity, not below the tier's booked seats; `null` removes
    /// the quota. Raising it promotes waiting entries at once.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 1_000_000)]
    pub capacity: Option<Option<Integer>>,
}

impl PatchTierBody {
    /// The validated patch (422 naming the first bad field).
    pub fn validate(self) -> Result<TierPatch, ApiError> {
        Ok(TierPatch {
            name: self.name.map(|n| field("name", TierName::new(&n))).transpose()?,
            price: self.price_cents.map(price).transpose()?,
            capacity: self.capacity.map(|c| c.map(quota).transpose()).transpose()?,
        })
    }
}

/// A field that is present, even as `null` (`Some(None)`), unlike one left out (`None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

fn price(raw: Integer) -> Result<Price, ApiError> {
    field("price_cents", Price::new(raw.get("price_cents")?))
}

fn quota(raw: Integer) -> Result<Capacity, ApiError> {
    field("capacity", Capacity::new(raw.get("capacity")?))
}

/// A new event's currency (`EUR` when left out).
pub fn currency(raw: Option<&str>) -> Result<Currency, ApiError> {
    raw.map_or(Ok(Currency::EUR), |code| field("currency", Currency::new(code)))
}

/// A new event's tiers (one free "General admission" tier when left out).
pub fn plan(raw: Option<Vec<TierBody>>, capacity: Capacity) -> Result<TierPlan, ApiError> {
    let Some(raw) = raw else { return Ok(TierPlan::general_admission()) };
    let tiers = raw
        .into_iter()
        .enumerate()
        .map(|(i, tier)| tier.validate().map_err(|e| ApiError::Validation(format!("tiers[{i}].{e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    field("tiers", TierPlan::new(tiers, capacity))
}

/// A tier named in a request; any id that names no tier of the event is refused by the
/// rules with the same `422`.
pub fn tier_id(raw: Option<Integer>) -> Result<Option<TierId>, ApiError> {
    let Some(raw) = raw else { return Ok(None) };
    TierId::new(raw.get("tier_id")?)
        .map(Some)
        .ok_or_else(|| ApiError::Validation("tier_id: the event has no such tier".into()))
}
