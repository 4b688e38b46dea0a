use std::collections::HashMap;
use std::sync::Arc;

use super::{index, next_id};
use chrono::{DateTime, Utc};
use evently_domain::booking::{Booking, BookingSource};
use evently_domain::event::Event;
use evently_domain::hold::{Hold, HoldSource, HoldStatus};
use evently_domain::inventory::{
    BookingStatus, Claim, Holding, Inventory, InventoryError, Promoted, Promotion, Queued, Seats, TierStock,
};
use evently_domain::notification::{Notice, Notification};
use evently_domain::queue::QueueTicket;
use evently_domain::seating::{Placement, SeatChart, SeatMap, SeatPick, SeatStatus, SeatingPlan};
use evently_domain::ticket::{Ticket, TicketStatus};
use evently_domain::user::{PasswordHash, User};
use evently_domain::waitlist::{WaitlistEntry, WaitlistStatus};
use evently_domain::webhook::{EventType, MessageData};
use evently_domain::{
    BookingId, EventId, HoldId, NotificationId, StoreError, TicketId, TierId, UserId, WaitlistEntryId,
};

/// An account and its password hash.
#[derive(Debug)]
pub(super) struct Account {
    pub user: User,
    pub password_hash: PasswordHash,
}

/// A stored idempotency key.
#[derive(Debug)]
pub(super) struct StoredKey {
    pub event: EventId,
    pub pick: SeatPick,
    pub tier: Option<TierId>,
    pub booking: BookingId,
    pub created_at: DateTime<Utc>,
}

/// A stored hold key.
#[derive(Debug)]
pub(super) struct StoredHoldKey {
    pub event: EventId,
    pub pick: SeatPick,
    pub tier: Option<TierId>,
    pub hold: HoldId,
    pub created_at: DateTime<Utc>,
}

/// Where a queue stands: when admission began (or begins), how many were admitted in
/// all, whether the sell-out closed it.
#[derive(Debug, Clone, Copy)]
pub(super) struct QueueState {
    pub starts_at: DateTime<Utc>,
    pub admitted: u64,
    pub closed: bool,
}

/// A queue ticket and its place in the order: early tickets have a secret draw key;
/// later ones queue by arrival behind them.
#[derive(Debug, Clone)]
pub(super) struct InQueue {
    pub ticket: QueueTicket,
    pub rank: Option<i64>,
}

impl QueueState {
    /// A queue set at `now` for an event on sale from `on_sale_at`.
    pub fn new(on_sale_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Self {
        let starts_at = on_sale_at.map_or(now, |at| at.max(now));
        Self { starts_at, admitted: 0, closed: false }
    }
}

/// Everything the store holds. Ids are positions plus one.
#[derive(Debug, Default)]
pub(super) struct State {
    pub holds: Vec<Hold>,
    pub hold_keys: HashMap<(UserId, String), StoredHoldKey>,
    pub accounts: Vec<Account>,
    pub events: Vec<Event>,
    pub bookings: Vec<Booking>,
    pub entries: Vec<WaitlistEntry>,
    pub notifications: Vec<(UserId, Notification)>,
    pub keys: HashMap<(UserId, String), StoredKey>,
    /// Tiers made so far, of every event (their ids are this count).
    pub tiers_made: usize,
    pub tickets: Vec<Ticket>,
    /// Each booking's tickets, as positions in `tickets` (issued together, so adjacent).
    pub booking_tickets: HashMap<BookingId, std::ops::Range<usize>>,
    /// Every revocation in the order it happened; a revocation's cursor is its position
    /// plus one.
    pub revocations: Vec<(EventId, TicketId, DateTime<Utc>)>,
    pub webhooks: super::webhooks::Webhooks,
    /// The seating plans of seated events.
    pub plans: HashMap<EventId, Arc<SeatingPlan<TierId>>>,
    /// Where each queued event's queue stands.
    pub queues: HashMap<EventId, QueueState>,
    /// Every queue ticket, with its place in its queue's order.
    pub queue_tickets: Vec<InQueue>,
}

impl State {
    pub fn event_mut(&mut self, id: EventId) -> Option<&mut Event> {
        self.events.get_mut(index(id.get()))
    }

    /// An event with its derived queue length and the seats of its holds active now.
    pub fn event(&self, id: EventId) -> Option<Event> {
        self.event_at(id, Utc::now())
    }

    /// An event with its derived queue length and the seats of its holds active at `now`.
    fn event_at(&self, id: EventId, now: DateTime<Utc>) -> Option<Event> {
        let mut event = self.events.get(index(id.get()))?.clone();
        event.waitlist_length = u32::try_from(self.waiting(id).count()).unwrap_or(u32::MAX);
        let held = |tier: Option<TierId>| -> u32 {
            self.holds
                .iter()
                .filter(|h| h.event_id == id && h.status_at(now) == HoldStatus::Active)
                .filter(|h| tier.is_none_or(|t| h.tier_id == t))
                .map(|h| h.seats.get())
                .sum()
        };
        event.held_seats = held(None);
        event.holds_lapse_at = self.holds_lapse_at(id, now);
        for tier in &mut event.tiers {
            tier.held_seats = held(Some(tier.id));
        }
        Some(event)
    }

    /// The event, its expired holds settled first (marked, their holders told, waiting
    /// entries promoted): what taking an event's lock does in PostgreSQL.
    /// One clock reading decides both which holds expire and which count as held.
    pub fn open(&mut self, id: EventId) -> Result<Option<Event>, StoreError> {
        let now = Utc::now();
        let Some(event) = self.event_at(id, now) else { return Ok(None) };
        let name = event.name.as_str().to_owned();
        let mut notices = Vec::new();
        let mut expired = Vec::new();
        for hold in self.holds.iter_mut().filter(|h| h.event_id == id && h.status == HoldStatus::Active) {
            if hold.status_at(now) == HoldStatus::Expired {
                hold.status = HoldStatus::Expired;
                notices.push(Notice::hold_expired(hold.user_id, id, &name, hold.id));
                expired.push(hold.clone());
            }
        }
        for hold in expired {
            self.webhooks.publish(EventType::HoldExpired, MessageData::Hold(hold));
        }
        if !notices.is_empty() {
            let mut inventory = self.inventory_at(&event, now)?;
            let promoted = inventory.release_holds(&[], &self.queue(id));
            self.settle(id, &inventory, promoted, notices)?;
        }
        Ok(self.event_at(id, now))
    }

    /// The event's inventory now, with its taken seats when it is seated.
    pub fn inventory(&self, event: &Event) -> Result<Inventory, StoreError> {
        self.inventory_at(event, Utc::now())
    }

    fn inventory_at(&self, event: &Event, now: DateTime<Utc>) -> Result<Inventory, StoreError> {
        let tiers = event.tiers.iter().map(|t| TierStock {
            id: t.id,
            capacity: t.capacity,
            booked: t.booked_seats,
            held: t.held_seats,
        });
        let (capacity, max, status) = (event.capacity, event.max_seats_per_booking, event.status);
        let inventory = Inventory::new(capacity, max, status, event.waitlist_promotion, tiers.collect())
            .map_err(|e: InventoryError| StoreError::Unknown(e.into()))?;
        let inventory = if event.queue.is_some() { inventory.queued() } else { inventory };
        let Some(plan) = self.plans.get(&event.id) else { return Ok(inventory) };
        let taken = self.placements(event.id, now).flat_map(|(placement, _)| placement.seats().iter().copied());
        let map = SeatMap::new(plan.clone(), taken).map_err(|e| StoreError::Unknown(e.into()))?;
        inventory.seated(map).map_err(|e| StoreError::Unknown(e.into()))
    }

    /// Where the event's confirmed bookings and its holds active at `now` sit, each with
    /// what the seats are.
    fn placements(&self, event: EventId, now: DateTime<Utc>) -> impl Iterator<Item = (&Placement, SeatStatus)> {
        let booked = self
            .bookings
            .iter()
            .filter(move |b| b.event_id == event && b.status == BookingStatus::Confirmed)
            .filter_map(|b| Some((b.placement.as_ref()?, SeatStatus::Booked)));
        let held = self
            .holds
            .iter()
            .filter(move |h| h.event_id == event && h.status_at(now) == HoldStatus::Active)
            .filter_map(|h| Some((h.placement.as_ref()?, SeatStatus::Held)));
        booked.chain(held)
    }

    /// A seated event's seats as they are now.
    pub fn chart(&self, event: EventId) -> Result<Option<SeatChart>, StoreError> {
        let Some(plan) = self.plans.get(&event) else { return Ok(None) };
        let now = Utc::now();
        let taken = self
            .placements(event, now)
            .flat_map(|(placement, status)| placement.seats().iter().map(move |&seat| (seat, status)));
        let lapse = self.holds_lapse_at(event, now);
        SeatChart::new(plan.clone(), taken, lapse).map(Some).map_err(|e| StoreError::Unknown(e.into()))
    }

    /// When the first of the event's holds active at `now` lapses.
    fn holds_lapse_at(&self, event: EventId, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let active = self.holds.iter().filter(|h| h.event_id == event && h.status_at(now) == HoldStatus::Active);
        active.map(|h| h.expires_at).min()
    }

    /// Stores what the rules decided: the event's capacity, limit, status and the seats
    /// booked in all and per tier.
    pub fn store_inventory(&mut self, event: EventId, inventory: &Inventory) {
        if let Some(stored) = self.event_mut(event) {
            stored.capacity = inventory.capacity();
            stored.max_seats_per_booking = inventory.max_per_booking();
            stored.status = inventory.status();
            stored.booked_seats = inventory.booked();
            for (tier, stock) in stored.tiers.iter_mut().zip(inventory.tiers()) {
                tier.capacity = stock.capacity;
                tier.booked_seats = stock.booked;
            }
        }
    }

    /// A fresh tier id.
    pub fn next_tier_id(&mut self) -> Result<TierId, StoreError> {
        let id = next_id(self.tiers_made, TierId::new)?;
        self.tiers_made += 1;
        Ok(id)
    }

    /// The event's waiting entries in queue order.
    pub fn waiting(&self, event: EventId) -> impl Iterator<Item = &WaitlistEntry> {
        self.entries.iter().filter(move |e| e.event_id == event && e.status == WaitlistStatus::Waiting)
    }

    pub fn queue(&self, event: EventId) -> Vec<Queued> {
        self.waiting(event).map(|e| Queued { entry: e.id, user: e.user_id, seats: e.seats, tier: e.tier_id }).collect()
    }

    pub fn holding(&self, event: EventId, user: UserId) -> Holding {
        if self
            .bookings
            .iter()
            .any(|b| b.event_id == event && b.user_id == user && b.status == BookingStatus::Confirmed)
        {
            Holding::Booked
        } else if self.holds.iter().any(|h| h.event_id == event && h.user_id == user && h.status == HoldStatus::Active)
        {
            Holding::Holding
        } else if self.waiting(event).any(|e| e.user_id == user) {
            Holding::Waiting
        } else {
            Holding::Nothing
        }
    }

    /// An entry with its derived position.
    pub fn with_position(&self, entry: &WaitlistEntry) -> WaitlistEntry {
        let mut entry = entry.clone();
        entry.position = (entry.status == WaitlistStatus::Waiting)
            .then(|| self.waiting(entry.event_id).position(|e| e.id == entry.id))
            .flatten()
            .and_then(|i| u32::try_from(i + 1).ok());
        entry
    }

    pub fn insert_booking(
        &mut self,
        event: EventId,
        user: UserId,
        claim: Claim,
        seats: Seats,
        source: BookingSource,
    ) -> Result<Booking, StoreError> {
        let Claim { tier, placement } = claim;
        let stored = self.events.get(index(event.get()));
        let price = stored.and_then(|e| e.tiers.iter().find(|t| t.id == tier)).map(|t| t.price);
        let (Some(price), Some(currency)) = (price, stored.map(|e| e.currency)) else {
            return Err(StoreError::Unknown(anyhow::anyhow!("a booking of an unknown tier")));
        };
        let booking = Booking {
            id: next_id(self.bookings.len(), BookingId::new)?,
            event_id: event,
            user_id: user,
            seats,
            tier_id: tier,
            unit_price: price,
            currency,
            payment_reference: None,
            placement,
            status: BookingStatus::Confirmed,
            source,
            created_at: Utc::now(),
            cancelled_at: None,
        };
        self.bookings.push(booking.clone());
        self.issue_tickets(&booking)?;
        let event_type = match source {
            BookingSource::Waitlist => EventType::WaitlistPromoted,
            BookingSource::Direct | BookingSource::Hold => EventType::BookingConfirmed,
        };
        self.webhooks.publish(event_type, MessageData::Booking(booking.clone()));
        Ok(booking)
    }

    /// Issues a ticket per seat of a new confirmed booking, valid from now (whole
    /// seconds) until its event's start plus a day.
    fn issue_tickets(&mut self, booking: &Booking) -> Result<(), StoreError> {
        let whole_seconds = |at: DateTime<Utc>| DateTime::from_timestamp(at.timestamp(), 0).unwrap_or(at);
        let starts_at = self.event(booking.event_id).map(|e| e.starts_at).unwrap_or(booking.created_at);
        let first = self.tickets.len();
        let labels = booking.placement.as_ref().map(Placement::labels).unwrap_or_default();
        for seat in 0..booking.seats.get() as usize {
            let ticket = Ticket {
                id: next_id(self.tickets.len(), TicketId::new)?,
                booking_id: booking.id,
                holder: booking.user_id,
                event_id: booking.event_id,
                tier_id: booking.tier_id,
                seat_label: labels.get(seat).cloned(),
                status: TicketStatus::Valid,
                issued_at: whole_seconds(booking.created_at),
                valid_until: whole_seconds(starts_at + chrono::Days::new(1)),
                checked_in_at: None,
                gate: None,
            };
            self.tickets.push(ticket);
        }
        self.booking_tickets.insert(booking.id, first..self.tickets.len());
        Ok(())
    }

    /// Tells webhooks of a cancelled booking and revokes its tickets that were not
    /// checked in.
    pub fn booking_cancelled(&mut self, booking: BookingId, now: DateTime<Utc>) {
        if let Some(cancelled) = self.bookings.get(index(booking.get())).cloned() {
            self.webhooks.publish(EventType::BookingCancelled, MessageData::Booking(cancelled));
        }
        self.revoke_tickets(booking, now);
    }

    /// Revokes the tickets of a cancelled booking that were not checked in.
    fn revoke_tickets(&mut self, booking: BookingId, now: DateTime<Utc>) {
        let range = self.booking_tickets.get(&booking).cloned().unwrap_or_default();
        for ticket in &mut self.tickets[range] {
            if ticket.status == TicketStatus::Valid {
                ticket.status = TicketStatus::Revoked;
                self.revocations.push((ticket.event_id, ticket.id, now));
            }
        }
    }

    /// Confirms promoted entries, stores the new seat counts and writes every notice.
    pub fn settle(
        &mut self,
        event: EventId,
        inventory: &Inventory,
        promoted: Vec<Promoted>,
        mut notices: Vec<Notice>,
    ) -> Result<(), StoreError> {
        let name = self.event(event).map(|e| e.name.as_str().to_owned()).unwrap_or_default();
        for Promoted { entry, placement } in promoted {
            let claim = Claim { tier: entry.tier, placement };
            let (booking, hold) = match inventory.promotion() {
                Promotion::Book => {
                    let source = BookingSource::Waitlist;
                    let booking = self.insert_booking(event, entry.user, claim, entry.seats, source)?;
                    notices.push(Notice::promoted(entry.user, event, &name, booking.id, entry.seats));
                    (Some(booking.id), None)
                }
                Promotion::Offer => {
                    let hold = self.insert_hold(event, entry.user, claim, entry.seats, HoldSource::Waitlist)?;
                    notices.push(Notice::offered(entry.user, event, &name, hold.id, entry.seats));
                    (None, Some(hold.id))
                }
            };
            if let Some(stored) = self.entries.get_mut(index(entry.entry.get())) {
                stored.status = WaitlistStatus::Promoted;
                stored.booking_id = booking;
                stored.hold_id = hold;
            }
        }
        self.store_inventory(event, inventory);
        self.notify(notices)
    }

    pub fn notify(&mut self, notices: Vec<Notice>) -> Result<(), StoreError> {
        let now = Utc::now();
        for notice in notices {
            let id = next_id(self.notifications.len(), NotificationId::new)?;
            let notification = Notification {
                id,
                kind: notice.kind,
                event_id: notice.event,
                booking_id: notice.booking,
                hold_id: notice.hold,
                message: notice.message,
                created_at: now,
            };
            self.notifications.push((notice.user, notification));
        }
        Ok(())
    }

    /// A new active hold for the event's hold time, at its tier's price now.
    pub fn insert_hold(
        &mut self,
        event: EventId,
        user: UserId,
        claim: Claim,
        seats: Seats,
        source: HoldSource,
    ) -> Result<Hold, StoreError> {
        let Claim { tier, placement } = claim;
        let stored = self.events.get(index(event.get()));
        let price = stored.and_then(|e| e.tiers.iter().find(|t| t.id == tier)).map(|t| t.price);
        let (Some(price), Some(stored)) = (price, stored) else {
            return Err(StoreError::Unknown(anyhow::anyhow!("a hold of an unknown tier")));
        };
        let now = Utc::now();
        let hold = Hold {
            id: next_id(self.holds.len(), HoldId::new)?,
            event_id: event,
            user_id: user,
            tier_id: tier,
            seats,
            status: HoldStatus::Active,
            source,
            expires_at: now + stored.hold_ttl.duration(),
            booking_id: None,
            placement,
            unit_price: price,
            currency: stored.currency,
            created_at: now,
        };
        self.holds.push(hold.clone());
        if source == HoldSource::Waitlist {
            self.webhooks.publish(EventType::WaitlistPromoted, MessageData::Hold(hold.clone()));
        }
        Ok(hold)
    }

    pub fn next_entry_id(&self) -> Result<WaitlistEntryId, StoreError> {
        next_id(self.entries.len(), WaitlistEntryId::new)
    }
}
