//! The JSON shapes of the HTTP contract and their conversions to and from the domain.

mod analytics;
mod bookings;
mod events;
mod holds;
mod ops;
pub mod pages;
mod query;
mod queue;
mod seating;
mod tickets;
mod tiers;
mod users;
mod waitlist;
mod webhooks;

pub use analytics::{EventStatsDto, OverviewDto, SortParam, StatsQuery};
pub use bookings::{BookingDto, BookingStatusFilter, BookingsQuery, SeatsBody};
pub use events::{CreateEventBody, EventDto, EventsQuery, PatchEventBody, StatusFilter};
pub use holds::{ConfirmBody, HoldDto, HoldStatusFilter, HoldsQuery};
pub use ops::{Health, Readiness};
pub use pages::{PageDto, PageQuery};
pub use queue::{QueueFiguresDto, QueueTicketDto};
pub use seating::{PickBody, SeatsDto};
pub use tickets::{
    BatchBody, BatchDto, CheckInBody, CheckInDto, CheckInStatsDto, RevocationsDto, RevocationsQuery, TicketDto,
    TicketKeysDto,
};
pub use tiers::{PatchTierBody, TierBody, TierDto, tier_id};
pub use users::{LoginBody, RegisterBody, RoleBody, TokenDto, UserDto};
pub use waitlist::{NotificationDto, StandingDto, WaitlistEntryDto};
pub use webhooks::{CreateEndpointBody, DeliveriesQuery, DeliveryDto, EndpointDto, PatchEndpointBody};
