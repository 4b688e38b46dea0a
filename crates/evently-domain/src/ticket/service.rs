use std::sync::Arc;

use chrono::{DateTime, SubsecRound as _, Utc};

use super::{
    CheckIn, CheckInError, CheckInStats, Gate, Issued, PublishedKeys, RevocationCursor, Revocations, Scan, ScanOutcome,
    ScanResult, Ticket, TicketKeys, TicketRepository,
};
use crate::event::EventRepository;
use crate::failure::retry_transient;
use crate::user::{Actor, Staff};
use crate::{BookingId, EventId, Page, PageRequest, StoreError, TicketId};

/// Reading tickets with their codes, and checking them in at the door.
#[derive(Debug, Clone)]
pub struct TicketService<R> {
    store: R,
    keys: Arc<TicketKeys>,
}

impl<R: TicketRepository + EventRepository> TicketService<R> {
    /// Builds the service over its store, signing codes with `keys`.
    pub fn new(store: R, keys: Arc<TicketKeys>) -> Self {
        Self { store, keys }
    }

    /// The keys scanners verify codes with.
    pub fn keys(&self) -> PublishedKeys {
        self.keys.published()
    }

    /// The ticket with its code.
    pub fn issued(&self, ticket: Ticket) -> Issued {
        Issued { code: self.keys.code(&ticket), ticket }
    }

    /// A booking's tickets with their codes, for its owner or an admin; `None` for
    /// anyone else or an unknown booking.
    ///
    /// # Errors
    /// [`StoreError`] only.
    pub async fn for_booking(
        &self,
        actor: Actor,
        booking: BookingId,
        page: PageRequest,
    ) -> Result<Option<Page<Issued>>, StoreError> {
        Ok(self
            .store
            .booking_tickets(booking, page)
            .await?
            .filter(|(holder, _)| actor.may_access(*holder))
            .map(|(_, tickets)| tickets.map(|ticket| self.issued(ticket))))
    }

    /// A ticket with its code, for its holder or an admin; `None` for anyone else.
    ///
    /// # Errors
    /// [`StoreError`] only.
    pub async fn get(&self, actor: Actor, id: TicketId) -> Result<Option<Issued>, StoreError> {
        let ticket = self.store.find_ticket(id).await?.filter(|ticket| actor.may_access(ticket.holder));
        Ok(ticket.map(|ticket| self.issued(ticket)))
    }

    /// Checks in the ticket `code` names, scanned now at `gate`.
    ///
    /// # Errors
    /// [`CheckInError::EventNotFound`], [`CheckInError::Invalid`] (the code does not verify
    /// for this event now), then the store's refusals.
    pub async fn check_in(
        &self,
        _staff: Staff,
        event: EventId,
        code: &str,
        gate: Option<Gate>,
        now: DateTime<Utc>,
    ) -> Result<Issued, CheckInError> {
        let claims = match self.keys.verify(code, event, now) {
            Ok(claims) => claims,
            Err(_) if self.store.find_event(event).await?.is_none() => return Err(CheckInError::EventNotFound),
            Err(invalid) => return Err(invalid.into()),
        };
        let ticket = TicketId::new(claims.tid).ok_or(CheckInError::UnknownTicket)?;
        let check_in = CheckIn { ticket, gate, at: now.trunc_subsecs(6) };
        let ticket = retry_transient(|| self.store.check_in(event, check_in.clone())).await?;
        Ok(self.issued(ticket))
    }

    /// Resolves an offline scanner's upload: each code verified at its `scanned_at`,
    /// then, per ticket, the earliest scan wins. Results in upload order; `None` when there
    /// is no such event.
    ///
    /// # Errors
    /// [`StoreError`] only.
    pub async fn check_in_batch(
        &self,
        _staff: Staff,
        event: EventId,
        scans: Vec<Scan>,
    ) -> Result<Option<Vec<ScanResult>>, StoreError> {
        let verified: Vec<Option<CheckIn>> = scans
            .into_iter()
            .map(|scan| {
                let claims = self.keys.verify(&scan.code, event, scan.scanned_at).ok()?;
                // Check-in times are kept to the microsecond, as stores keep them: the
                // answer names the time stored.
                let at = scan.scanned_at.trunc_subsecs(6);
                Some(CheckIn { ticket: TicketId::new(claims.tid)?, gate: scan.gate, at })
            })
            .collect();
        let valid: Vec<CheckIn> = verified.iter().flatten().cloned().collect();
        let Some(resolved) = retry_transient(|| self.store.check_in_batch(event, valid.clone())).await? else {
            return Ok(None);
        };
        let mut resolved = resolved.into_iter();
        let invalid = ScanResult { outcome: ScanOutcome::Invalid, checked_in_at: None };
        Ok(Some(verified.iter().map(|scan| scan.as_ref().and_then(|_| resolved.next()).unwrap_or(invalid)).collect()))
    }

    /// Up to `limit` revocations of the event after `after`; `None` when there is no
    /// such event.
    ///
    /// # Errors
    /// [`StoreError`] only.
    pub async fn revocations(
        &self,
        _staff: Staff,
        event: EventId,
        after: RevocationCursor,
        limit: u32,
    ) -> Result<Option<Revocations>, StoreError> {
        self.store.revocations(event, after, limit).await
    }

    /// The event's door figures; `None` when there is no such event.
    ///
    /// # Errors
    /// [`StoreError`] only.
    pub async fn stats(&self, _staff: Staff, event: EventId) -> Result<Option<CheckInStats>, StoreError> {
        self.store.check_in_stats(event).await
    }
}
