//! On-sale queues in memory: the same order, pace and closing as in PostgreSQL, decided
//! under the store's one lock.

use chrono::{DateTime, Utc};
use evently_domain::inventory::EventStatus;
use evently_domain::notification::Notice;
use evently_domain::queue::{
    JoinQueueError, Joined, QueueFigures, QueueRepository, QueueStatus, QueueTicket, WaitingOrder, admissible, draw_key,
};
use evently_domain::{EventId, QueueTicketId, StoreError, UserId};

use super::state::{InQueue, State};
use super::{MemoryStore, index, next_id};
use crate::randomness::secure_random;

impl State {
    /// Whether `user` holds a current admission to `event`.
    pub fn admitted(&self, event: EventId, user: UserId, now: DateTime<Utc>) -> bool {
        self.queue_tickets
            .iter()
            .any(|q| q.ticket.event_id == event && q.ticket.user_id == user && q.ticket.admits_at(now))
    }

    /// The event's waiting tickets in queue order.
    fn waiting_in_order(&self, event: EventId) -> Vec<usize> {
        let mut waiting: Vec<usize> = (0..self.queue_tickets.len())
            .filter(|&i| {
                self.queue_tickets[i].ticket.event_id == event
                    && self.queue_tickets[i].ticket.status == QueueStatus::Waiting
            })
            .collect();
        waiting.sort_by_key(|&i| {
            let q = &self.queue_tickets[i];
            (q.rank.is_none(), q.rank, q.ticket.joined_at, q.ticket.id)
        });
        waiting
    }

    /// Lapses, admits and closes `event`'s queue as of `now`; whether it changed.
    fn advance(&mut self, event: EventId, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let (Some(found), Some(mut queue)) = (self.event(event), self.queues.get(&event).copied()) else {
            return Ok(false);
        };
        let Some(settings) = found.queue else { return Ok(false) };
        if queue.closed || now < queue.starts_at || found.status == EventStatus::Cancelled {
            return Ok(false);
        }
        let mut changed = false;
        for q in self.queue_tickets.iter_mut().filter(|q| q.ticket.event_id == event) {
            if q.ticket.status == QueueStatus::Admitted && !q.ticket.admits_at(now) {
                q.ticket.status = QueueStatus::Expired;
                changed = true;
            }
        }
        let due = admissible(settings.admit_per_minute, now - queue.starts_at).saturating_sub(queue.admitted);
        for i in self.waiting_in_order(event).into_iter().take(usize::try_from(due).unwrap_or(usize::MAX)) {
            let ticket = &mut self.queue_tickets[i].ticket;
            ticket.status = QueueStatus::Admitted;
            ticket.admitted_at = Some(now);
            ticket.expires_at = Some(now + settings.admission_ttl.duration());
            queue.admitted += 1;
            changed = true;
        }
        let sold_out = found.available_seats() == 0 && found.held_seats == 0;
        if sold_out {
            let name = found.name.as_str().to_owned();
            let mut notices = Vec::new();
            for i in self.waiting_in_order(event) {
                let ticket = &mut self.queue_tickets[i].ticket;
                ticket.status = QueueStatus::Closed;
                notices.push(Notice::queue_closed(ticket.user_id, event, &name));
            }
            self.notify(notices)?;
            queue.closed = true;
            changed = true;
        }
        self.queues.insert(event, queue);
        Ok(changed)
    }
}

impl QueueRepository for MemoryStore {
    async fn join_queue(&self, event: EventId, user: UserId) -> Result<Joined, JoinQueueError> {
        let mut state = self.lock()?;
        let found = state.event(event).ok_or(JoinQueueError::EventNotFound)?;
        if found.status == EventStatus::Cancelled {
            return Err(JoinQueueError::EventCancelled);
        }
        let queue =
            state.queues.get(&event).copied().filter(|_| found.queue.is_some()).ok_or(JoinQueueError::NoQueue)?;
        if let Some(mine) = state.queue_tickets.iter().find(|q| q.ticket.event_id == event && q.ticket.user_id == user)
        {
            return Ok(Joined { ticket: mine.ticket.clone(), created: false });
        }
        if queue.closed {
            return Err(JoinQueueError::Closed);
        }
        if state.accounts.get(index(user.get())).is_none() {
            return Err(JoinQueueError::UnknownUser);
        }
        let now = Utc::now();
        let ticket = QueueTicket {
            id: next_id(state.queue_tickets.len(), QueueTicketId::new)?,
            event_id: event,
            user_id: user,
            status: QueueStatus::Waiting,
            position: None,
            estimated_wait_seconds: None,
            joined_at: now,
            admitted_at: None,
            expires_at: None,
        };
        let rank = found.on_sale_at.filter(|at| now < *at).map(|_| draw_key(secure_random()));
        state.queue_tickets.push(InQueue { ticket: ticket.clone(), rank });
        Ok(Joined { ticket, created: true })
    }

    async fn find_queue_ticket(&self, event: EventId, user: UserId) -> Result<Option<QueueTicket>, StoreError> {
        let state = self.lock()?;
        let mine = state.queue_tickets.iter().find(|q| q.ticket.event_id == event && q.ticket.user_id == user);
        Ok(mine.map(|q| q.ticket.clone()))
    }

    async fn waiting_order(&self, event: EventId) -> Result<Option<WaitingOrder>, StoreError> {
        let state = self.lock()?;
        let (Some(settings), Some(queue)) = (state.event(event).and_then(|e| e.queue), state.queues.get(&event)) else {
            return Ok(None);
        };
        let waiting = state.waiting_in_order(event).into_iter().map(|i| state.queue_tickets[i].ticket.clone());
        let others = state
            .queue_tickets
            .iter()
            .filter(|q| q.ticket.event_id == event && q.ticket.status != QueueStatus::Waiting)
            .map(|q| q.ticket.clone());
        let drawn = queue.starts_at <= Utc::now();
        Ok(Some(WaitingOrder { rate: settings.admit_per_minute, drawn, tickets: waiting.chain(others).collect() }))
    }

    async fn queue_figures(&self, event: EventId) -> Result<Option<QueueFigures>, StoreError> {
        let state = self.lock()?;
        let Some(found) = state.event(event) else { return Ok(None) };
        let Some(settings) = found.queue else { return Ok(None) };
        let now = Utc::now();
        let count = |status: QueueStatus| {
            let n = state
                .queue_tickets
                .iter()
                .filter(|q| q.ticket.event_id == event && q.ticket.status_at(now) == status)
                .count();
            u32::try_from(n).unwrap_or(u32::MAX)
        };
        Ok(Some(QueueFigures {
            waiting: count(QueueStatus::Waiting),
            admitted: count(QueueStatus::Admitted),
            expired: count(QueueStatus::Expired),
            closed: count(QueueStatus::Closed),
            admit_per_minute: settings.admit_per_minute,
            on_sale_at: found.on_sale_at,
        }))
    }

    async fn advance_queues(&self) -> Result<Vec<EventId>, StoreError> {
        let mut state = self.lock()?;
        let now = Utc::now();
        let events: Vec<EventId> = state.queues.keys().copied().collect();
        let mut changed = Vec::new();
        for event in events {
            if state.advance(event, now)? {
                changed.push(event);
            }
        }
        Ok(changed)
    }
}
