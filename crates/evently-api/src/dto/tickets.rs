use chrono::{DateTime, Utc};
use evently_domain::ticket::{
    CheckInStats, Gate, Issued, PublishedKeys, RevocationCursor, Revocations, Scan, ScanResult,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::body::field;
use crate::error::ApiError;

/// A ticket: one seat of a confirmed booking, admitted once at the door.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketDto {
    /// The ticket's id.
    pub id: i64,
    /// Its booking.
    pub booking_id: i64,
    /// The event it admits to.
    pub event_id: i64,
    /// The booking's tier.
    pub tier_id: i64,
    /// Its seat; `null` unless the event is seated.
    pub seat_label: Option<String>,
    /// The signed code to show at the door (`EVT1.<payload>.<signature>`), verifiable
    /// offline with the keys of `GET /api/v1/ticket-keys`.
    #[schema(example = "EVT1.eyJraWQiOi4uLn0.c2lnbmF0dXJl")]
    pub code: String,
    /// `valid`, `checked_in` or `revoked`.
    #[schema(example = "valid")]
    pub status: &'static str,
    /// When it was checked in.
    pub checked_in_at: Option<DateTime<Utc>>,
    /// Where it was checked in.
    pub gate: Option<String>,
}

impl From<Issued> for TicketDto {
    fn from(Issued { ticket, code }: Issued) -> Self {
        Self {
            id: ticket.id.get(),
            booking_id: ticket.booking_id.get(),
            event_id: ticket.event_id.get(),
            tier_id: ticket.tier_id.get(),
            seat_label: ticket.seat_label,
            code,
            status: ticket.status.as_str(),
            checked_in_at: ticket.checked_in_at,
            gate: ticket.gate.map(|g| g.as_str().to_owned()),
        }
    }
}

/// A key that verifies ticket codes.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketKeyDto {
    /// Its id, as codes name it: the unpadded base64url of the first 9 bytes of the
    /// SHA-256 of the public key.
    pub kid: String,
    /// Always `Ed25519`.
    #[schema(example = "Ed25519")]
    pub alg: String,
    /// The unpadded base64url of the 32 raw bytes.
    pub public_key: String,
    /// Whether it signs new codes; retired keys still verify the codes they signed.
    pub active: bool,
}

/// The keys scanners verify codes with, the active one first.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketKeysDto {
    /// The keys.
    pub keys: Vec<TicketKeyDto>,
}

impl From<PublishedKeys> for TicketKeysDto {
    fn from(published: PublishedKeys) -> Self {
        let keys = published
            .keys
            .into_iter()
            .map(|k| TicketKeyDto { kid: k.kid, alg: k.alg, public_key: k.public_key, active: k.active })
            .collect();
        Self { keys }
    }
}

fn gate(raw: Option<&str>) -> Result<Option<Gate>, ApiError> {
    raw.map(|g| field("gate", Gate::new(g))).transpose()
}

/// One scan at the door.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CheckInBody {
    /// The ticket's code as scanned.
    pub code: String,
    /// The entrance, 1 to 50 characters.
    #[schema(min_length = 1, max_length = 50, example = "North")]
    pub gate: Option<String>,
}

impl CheckInBody {
    /// The validated gate.
    pub fn gate(&self) -> Result<Option<Gate>, ApiError> {
        gate(self.gate.as_deref())
    }
}

/// A first scan's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckInDto {
    /// The ticket, now checked in.
    pub ticket: TicketDto,
    /// Always `true`: later scans are `409 already_checked_in`.
    pub first_scan: bool,
}

/// One scan of an offline scanner.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ScanBody {
    /// The ticket's code as scanned.
    pub code: String,
    /// The entrance, 1 to 50 characters.
    #[schema(min_length = 1, max_length = 50)]
    pub gate: Option<String>,
    /// When the scanner read it (RFC 3339); the validity window is judged then.
    pub scanned_at: DateTime<Utc>,
}

/// An offline scanner's upload.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BatchBody {
    /// 1 to 500 scans.
    #[schema(min_items = 1, max_items = 500)]
    pub scans: Vec<ScanBody>,
}

impl BatchBody {
    /// The most scans one upload may carry.
    pub const MAX_SCANS: usize = 500;

    /// The validated scans.
    pub fn validate(self) -> Result<Vec<Scan>, ApiError> {
        if !(1..=Self::MAX_SCANS).contains(&self.scans.len()) {
            return Err(ApiError::Validation(format!("scans: must hold 1 to {} scans", Self::MAX_SCANS)));
        }
        self.scans
            .into_iter()
            .map(|scan| Ok(Scan { gate: gate(scan.gate.as_deref())?, code: scan.code, scanned_at: scan.scanned_at }))
            .collect()
    }
}

/// What became of one scan of an upload.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScanResultDto {
    /// The code as uploaded.
    pub code: String,
    /// `checked_in`, `already_checked_in`, `ticket_revoked` or `invalid_ticket`.
    #[schema(example = "checked_in")]
    pub outcome: &'static str,
    /// The ticket's check-in time, when it is checked in (for `checked_in`, this scan's
    /// `scanned_at`).
    pub checked_in_at: Option<DateTime<Utc>>,
}

/// An upload's results, in upload order.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchDto {
    /// One per scan.
    pub results: Vec<ScanResultDto>,
}

impl BatchDto {
    /// Pairs each uploaded code with its result.
    pub fn new(codes: Vec<String>, results: Vec<ScanResult>) -> Self {
        let results = codes
            .into_iter()
            .zip(results)
            .map(|(code, r)| ScanResultDto { code, outcome: r.outcome.as_str(), checked_in_at: r.checked_in_at })
            .collect();
        Self { results }
    }
}

/// Where to resume the revocation feed.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RevocationsQuery {
    /// The `cursor` of an earlier answer; from the start when left out.
    pub after: Option<String>,
    /// At most this many items, 1 to 1000.
    #[param(minimum = 1, maximum = 1000, default = 1000)]
    pub limit: Option<i64>,
}

impl RevocationsQuery {
    /// The most items one answer carries.
    pub const MAX_LIMIT: u32 = 1000;

    /// The validated cursor and limit.
    pub fn validate(&self) -> Result<(RevocationCursor, u32), ApiError> {
        let after = match self.after.as_deref() {
            None => RevocationCursor::default(),
            Some(raw) => RevocationCursor(
                raw.parse().map_err(|_| ApiError::Validation("after: not a cursor this server gave".into()))?,
            ),
        };
        let limit = match self.limit {
            None => Self::MAX_LIMIT,
            Some(raw) => u32::try_from(raw)
                .ok()
                .filter(|l| (1..=Self::MAX_LIMIT).contains(l))
                .ok_or_else(|| ApiError::Validation(format!("limit: must be 1 to {}", Self::MAX_LIMIT)))?,
        };
        Ok((after, limit))
    }
}

/// A revoked ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevocationDto {
    /// The ticket.
    pub ticket_id: i64,
    /// When it was revoked.
    pub revoked_at: DateTime<Utc>,
}

/// Revocations in the order they happened, and where to resume.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevocationsDto {
    /// Revocations after the cursor given, oldest first.
    pub items: Vec<RevocationDto>,
    /// Opaque: pass it back as `after` to get only newer revocations (the same cursor
    /// comes back while there are none).
    pub cursor: String,
}

impl From<Revocations> for RevocationsDto {
    fn from(page: Revocations) -> Self {
        let items = page
            .items
            .into_iter()
            .map(|r| RevocationDto { ticket_id: r.ticket_id.get(), revoked_at: r.revoked_at })
            .collect();
        Self { items, cursor: page.cursor.0.to_string() }
    }
}

/// Check-ins at one gate.
#[derive(Debug, Serialize, ToSchema)]
pub struct GateStatsDto {
    /// The gate; `null` for scans that named none.
    pub gate: Option<String>,
    /// Tickets checked in there.
    pub checked_in: u64,
}

/// An event's door figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckInStatsDto {
    /// Tickets with status `valid`.
    pub tickets_valid: u64,
    /// Tickets checked in.
    pub checked_in: u64,
    /// Tickets revoked.
    pub revoked: u64,
    /// Check-ins per gate, by gate name (`null` last).
    pub by_gate: Vec<GateStatsDto>,
}

impl From<CheckInStats> for CheckInStatsDto {
    fn from(stats: CheckInStats) -> Self {
        let by_gate = stats
            .by_gate
            .into_iter()
            .map(|g| GateStatsDto { gate: g.gate.map(|g| g.as_str().to_owned()), checked_in: g.checked_in })
            .collect();
        Self { tickets_valid: stats.tickets_valid, checked_in: stats.checked_in, revoked: stats.revoked, by_gate }
    }
}
