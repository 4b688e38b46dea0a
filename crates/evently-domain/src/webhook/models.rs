use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::booking::Booking;
use crate::event::Event;
use crate::hold::Hold;
use crate::ticket::Ticket;
use crate::{DeliveryId, EndpointId, MessageId};

/// A kind of change an endpoint may subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    /// A booking was made directly or by confirming a hold.
    BookingConfirmed,
    /// A booking was cancelled (by its owner, an admin, or with its event).
    BookingCancelled,
    /// A waiting entry got seats: the booking, or in offer mode the hold.
    WaitlistPromoted,
    /// A hold ran out.
    HoldExpired,
    /// An admin changed an event.
    EventUpdated,
    /// An admin cancelled an event.
    EventCancelled,
    /// A ticket was scanned in.
    TicketCheckedIn,
}

impl EventType {
    /// Every type, in the contract's order.
    pub const ALL: [Self; 7] = [
        Self::BookingConfirmed,
        Self::BookingCancelled,
        Self::WaitlistPromoted,
        Self::HoldExpired,
        Self::EventUpdated,
        Self::EventCancelled,
        Self::TicketCheckedIn,
    ];

    /// The type's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BookingConfirmed => "booking.confirmed",
            Self::BookingCancelled => "booking.cancelled",
            Self::WaitlistPromoted => "waitlist.promoted",
            Self::HoldExpired => "hold.expired",
            Self::EventUpdated => "event.updated",
            Self::EventCancelled => "event.cancelled",
            Self::TicketCheckedIn => "ticket.checked_in",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }
}

/// Why a webhook URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UrlError {
    /// Not `http://` or `https://` with a host, or longer than allowed.
    #[error("must be an http(s) URL with a host, at most {max} characters", max = WebhookUrl::MAX_CHARS)]
    Shape,
    /// It resolves to a loopback, private, link-local, multicast or unspecified address.
    #[error("the destination {0} is not a public address")]
    NotPublic(String),
    /// Its host does not resolve.
    #[error("the host does not resolve")]
    Unresolved,
}

/// An endpoint's URL: `http` or `https`, with a host, without credentials or a fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    url: String,
    host_at: std::ops::Range<usize>,
}

impl WebhookUrl {
    /// The longest URL accepted.
    pub const MAX_CHARS: usize = 2000;

    /// Checks the shape of `raw`.
    ///
    /// # Errors
    /// [`UrlError::Shape`].
    pub fn new(raw: &str) -> Result<Self, UrlError> {
        let url = raw.trim();
        let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).ok_or(UrlError::Shape)?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let bad = |c: char| c.is_whitespace() || c.is_control();
        if url.chars().count() > Self::MAX_CHARS
            || authority.is_empty()
            || authority.contains('@')
            || url.contains('#')
            || url.chars().any(bad)
        {
            return Err(UrlError::Shape);
        }
        // The host: before the port, brackets kept off IPv6 literals.
        let start = url.len() - rest.len();
        let host = match authority.strip_prefix('[') {
            Some(v6) => {
                let end = v6.find(']').ok_or(UrlError::Shape)?;
                (start + 1)..(start + 1 + end)
            }
            None => start..start + authority.split(':').next().unwrap_or_default().len(),
        };
        if host.is_empty() {
            return Err(UrlError::Shape);
        }
        Ok(Self { url: url.to_owned(), host_at: host })
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// Its host (a name, or an IP address without brackets).
    pub fn host(&self) -> &str {
        &self.url[self.host_at.clone()]
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

/// An endpoint's signing secret: `whsec_` and the base64 of 32 random bytes. Never
/// printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret([u8; 32]);

impl Secret {
    /// The secret of 32 random bytes (the adapter draws them).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Parses `whsec_<base64>`; `None` unless it holds 32 bytes.
    pub fn parse(raw: &str) -> Option<Self> {
        use base64::Engine as _;
        let encoded = raw.strip_prefix("whsec_")?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(encoded).ok()?;
        bytes.try_into().ok().map(Self)
    }

    /// The key bytes that sign.
    pub fn key(&self) -> &[u8; 32] {
        &self.0
    }

    /// `whsec_<base64>`, as shown once to the admin who made or rotated it.
    pub fn reveal(&self) -> String {
        use base64::Engine as _;
        format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(self.0))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A registered endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Its id.
    pub id: EndpointId,
    /// Where messages go.
    pub url: WebhookUrl,
    /// The types it receives.
    pub event_types: Vec<EventType>,
    /// Free text for admins.
    pub description: String,
    /// Whether messages are made for it (a `410` answer disables it).
    pub enabled: bool,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
}

/// An endpoint to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEndpoint {
    /// Where messages go.
    pub url: WebhookUrl,
    /// The types it receives (at least one, no repeats).
    pub event_types: Vec<EventType>,
    /// Free text, at most 500 characters.
    pub description: String,
}

/// Changes to an endpoint; `None` keeps a field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointPatch {
    /// A new URL.
    pub url: Option<WebhookUrl>,
    /// New types.
    pub event_types: Option<Vec<EventType>>,
    /// A new description.
    pub description: Option<String>,
    /// Enables or disables it.
    pub enabled: Option<bool>,
}

/// Where a delivery is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// Not attempted yet.
    Pending,
    /// Succeeded (a 2xx within the time allowed).
    Succeeded,
    /// Failed; a retry is due at `next_attempt_at`.
    Failed,
    /// Failed every attempt of the schedule, or its endpoint answered 410 or is refused.
    Dead,
}

impl DeliveryStatus {
    /// The status's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Dead => "dead",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Pending, Self::Succeeded, Self::Failed, Self::Dead].into_iter().find(|s| s.as_str() == raw)
    }
}

/// One message to one endpoint, as the delivery log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Its id.
    pub id: DeliveryId,
    /// The message delivered.
    pub message_id: MessageId,
    /// The message's type.
    pub event_type: EventType,
    /// Where it is in its life.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: u32,
    /// The last attempt's HTTP status, if it got one.
    pub last_status_code: Option<u16>,
    /// When a retry is due (only while `failed`).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When the message was made.
    pub created_at: DateTime<Utc>,
}

/// What a message carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageData {
    /// A booking, as the change left it.
    Booking(Booking),
    /// A hold, as the change left it.
    Hold(Hold),
    /// An event.
    Event(Event),
    /// A ticket, as the scan left it.
    Ticket(Ticket),
}

/// A change, to deliver to every endpoint subscribed when it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Its id: `webhook-id` is `msg_<id>`, the same on every attempt.
    pub id: MessageId,
    /// Its type.
    pub event_type: EventType,
    /// When the change was made.
    pub created_at: DateTime<Utc>,
    /// The resource concerned.
    pub data: MessageData,
}

/// A delivery claimed for an attempt: its message, where to and with which secrets.
#[derive(Debug, Clone)]
pub struct Due {
    /// The delivery.
    pub delivery: DeliveryId,
    /// Its endpoint.
    pub endpoint: EndpointId,
    /// The endpoint's URL.
    pub url: WebhookUrl,
    /// The secrets that sign: the current one, and a rotated-out one for its last day.
    pub secrets: Vec<Secret>,
    /// Attempts made before this one.
    pub attempts: u32,
    /// The message.
    pub message: Message,
}

/// What one attempt got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptResult {
    /// An HTTP answer.
    Answered {
        /// Its status.
        status: u16,
        /// Its `Retry-After`, for 429 and 503.
        retry_after: Option<Duration>,
    },
    /// No answer (timeout, connection refused or lost).
    Failed(String),
    /// The destination is not (or no longer) allowed: never retried.
    Refused(String),
}

/// One attempt, and what becomes of its delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// When it was made.
    pub at: DateTime<Utc>,
    /// How long it took.
    pub took: Duration,
    /// What it got.
    pub result: AttemptResult,
    /// The delivery's status after it.
    pub status: DeliveryStatus,
    /// When the next attempt is due (for `failed`).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Whether the endpoint is to be disabled (it answered 410).
    pub disable_endpoint: bool,
}

/// What an instance asks of the outbox when it has room for more attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// At most this many deliveries.
    pub limit: u32,
    /// At most this many attempts in flight to one endpoint, counting `in_flight`.
    pub per_endpoint: u32,
    /// Endpoints with fewer free slots than this are left for a later claim, so that
    /// a busy endpoint's deliveries are claimed a batch at a time.
    pub min_free: std::num::NonZeroU32,
    /// Attempts this instance has in flight, by endpoint.
    pub in_flight: Vec<(crate::EndpointId, u32)>,
    /// How long the claim holds: a delivery whose attempt is not recorded by then is
    /// due again.
    pub lease: Duration,
    /// Only deliveries due at least this long ago: an instance busy answering writes
    /// defers the others (zero takes every due delivery).
    pub deferred: Duration,
}
