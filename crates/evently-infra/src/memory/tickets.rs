use evently_domain::ticket::{
    CheckIn, CheckInError, CheckInStats, Revocation, RevocationCursor, Revocations, ScanResult, Ticket,
    TicketRepository, TicketStatus, resolve_scans,
};
use evently_domain::webhook::{EventType, MessageData};
use evently_domain::{BookingId, EventId, Page, PageRequest, StoreError, TicketId, UserId};

use super::index;
use super::state::State;
use super::{MemoryStore, page_of};

impl State {
    fn event_ticket(&mut self, event: EventId, ticket: TicketId) -> Option<&mut Ticket> {
        self.tickets.get_mut(index(ticket.get())).filter(|t| t.event_id == event)
    }
}

impl TicketRepository for MemoryStore {
    async fn booking_tickets(
        &self,
        booking: BookingId,
        page: PageRequest,
    ) -> Result<Option<(UserId, Page<Ticket>)>, StoreError> {
        let state = self.lock()?;
        let Some(owner) = state.bookings.get(index(booking.get())).map(|b| b.user_id) else { return Ok(None) };
        let range = state.booking_tickets.get(&booking).cloned().unwrap_or_default();
        Ok(Some((owner, page_of(state.tickets[range].to_vec(), page))))
    }

    async fn find_ticket(&self, id: TicketId) -> Result<Option<Ticket>, StoreError> {
        Ok(self.lock()?.tickets.get(index(id.get())).cloned())
    }

    async fn check_in(&self, event: EventId, check_in: CheckIn) -> Result<Ticket, CheckInError> {
        let mut state = self.lock()?;
        let ticket = state.event_ticket(event, check_in.ticket).ok_or(CheckInError::UnknownTicket)?;
        match (ticket.status, ticket.checked_in_at) {
            (TicketStatus::Valid, _) => {
                ticket.status = TicketStatus::CheckedIn;
                ticket.checked_in_at = Some(check_in.at);
                ticket.gate = check_in.gate;
                let checked = ticket.clone();
                state.webhooks.publish(EventType::TicketCheckedIn, MessageData::Ticket(checked.clone()));
                Ok(checked)
            }
            (TicketStatus::CheckedIn, Some(at)) => {
                Err(CheckInError::AlreadyCheckedIn { at, gate: ticket.gate.clone() })
            }
            (TicketStatus::CheckedIn, None) | (TicketStatus::Revoked, _) => Err(CheckInError::Revoked),
        }
    }

    async fn check_in_batch(&self, event: EventId, scans: Vec<CheckIn>) -> Result<Option<Vec<ScanResult>>, StoreError> {
        let mut state = self.lock()?;
        if state.event(event).is_none() {
            return Ok(None);
        }
        let tickets: Vec<Ticket> =
            scans.iter().filter_map(|scan| state.event_ticket(event, scan.ticket).map(|t| t.clone())).collect();
        let (results, apply) = resolve_scans(&scans, &tickets);
        for check_in in apply {
            if let Some(ticket) = state.event_ticket(event, check_in.ticket) {
                ticket.status = TicketStatus::CheckedIn;
                ticket.checked_in_at = Some(check_in.at);
                ticket.gate = check_in.gate;
                let checked = ticket.clone();
                state.webhooks.publish(EventType::TicketCheckedIn, MessageData::Ticket(checked));
            }
        }
        Ok(Some(results))
    }

    async fn revocations(
        &self,
        event: EventId,
        after: RevocationCursor,
        limit: u32,
    ) -> Result<Option<Revocations>, StoreError> {
        let state = self.lock()?;
        if state.event(event).is_none() {
            return Ok(None);
        }
        let skip = usize::try_from(after.0).unwrap_or(usize::MAX);
        let items: Vec<Revocation> = state
            .revocations
            .iter()
            .enumerate()
            .skip(skip)
            .filter(|(_, (of, _, _))| *of == event)
            .take(limit as usize)
            .map(|(at, (_, ticket_id, revoked_at))| Revocation {
                ticket_id: *ticket_id,
                revoked_at: *revoked_at,
                cursor: RevocationCursor(at as u64 + 1),
            })
            .collect();
        let cursor = items.last().map_or(after, |last| last.cursor);
        Ok(Some(Revocations { items, cursor }))
    }

    async fn check_in_stats(&self, event: EventId) -> Result<Option<CheckInStats>, StoreError> {
        let state = self.lock()?;
        if state.event(event).is_none() {
            return Ok(None);
        }
        let tickets = state.tickets.iter().filter(|t| t.event_id == event);
        let stats = tickets.map(|t| (t.status, t.gate.clone(), 1)).collect();
        Ok(Some(stats))
    }
}
