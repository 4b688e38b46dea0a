use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::{JoinQueueError, QueueFigures, QueueRepository, QueueStatus, QueueTicket, WaitingOrder, estimated_wait};
use crate::user::{Actor, Admin};
use crate::{EventId, StoreError, UserId};

/// How old a queue's snapshot may grow before one request reads it again (the others
/// answer from it meanwhile).
const RANKING_AGE: Duration = Duration::from_millis(800);

/// How old a snapshot may be answered from while another request reads it again; past
/// this, tickets are read one by one (without positions) until the new one lands.
const RANKING_LIMIT: Duration = Duration::from_millis(1500);

/// A queue as last read: its tickets by user, and the waiting ones' positions.
#[derive(Debug)]
struct Ranking {
    read_at: Instant,
    order: WaitingOrder,
    tickets: HashMap<UserId, usize>,
    positions: HashMap<UserId, u32>,
    /// Whether a request is reading the queue again.
    refreshing: AtomicBool,
}

/// Taking queue tickets and reading them with their positions. Tickets and positions
/// come from a snapshot of the queue that one request at a time reads again once it is
/// 0.8 s old, so a crowd polling its positions costs the store about one read a second
/// per queue and instance (answers may lag by that second; a ticket taken since is read
/// on its own, its position known from the next snapshot).
#[derive(Debug)]
pub struct QueueService<R> {
    queues: R,
    rankings: Mutex<HashMap<EventId, Arc<Ranking>>>,
}

impl<R: QueueRepository> QueueService<R> {
    /// Builds the service over its port.
    pub fn new(queues: R) -> Self {
        Self { queues, rankings: Mutex::new(HashMap::new()) }
    }

    /// Gives the caller a ticket in the event's queue, or the one they have; `true` when
    /// this request took it.
    ///
    /// # Errors
    /// [`JoinQueueError`]'s variants.
    pub async fn join(&self, actor: Actor, event: EventId) -> Result<(QueueTicket, bool), JoinQueueError> {
        let joined = self.queues.join_queue(event, actor.id()).await?;
        let ticket = match self.ranking(event).await? {
            Some(ranking) => with_position(joined.ticket, &ranking),
            None => joined.ticket,
        };
        Ok((ticket, joined.created))
    }

    /// `user`'s own ticket for the event, with its position (no role is needed to read
    /// one's own ticket, so polling touches the store only through the snapshot).
    ///
    /// # Errors
    /// [`StoreError`] only.
    pub async fn mine(&self, user: UserId, event: EventId) -> Result<Option<QueueTicket>, StoreError> {
        let ranking = self.ranking(event).await?;
        let known = ranking.as_ref().and_then(|r| r.tickets.get(&user).map(|&i| r.order.tickets[i].clone()));
        let ticket = match known {
            Some(ticket) => Some(ticket),
            None => self.queues.find_queue_ticket(event, user).await?,
        };
        Ok(match (ticket, ranking) {
            (Some(ticket), Some(ranking)) => Some(with_position(ticket, &ranking)),
            (ticket, _) => ticket,
        })
    }

    /// The admin's figures of the event's queue.
    ///
    /// # Errors
    /// [`StoreError`] only.
    pub async fn figures(&self, _admin: Admin, event: EventId) -> Result<Option<QueueFigures>, StoreError> {
        self.queues.queue_figures(event).await
    }

    /// Advances the queues that are due; the events whose queue changed.
    ///
    /// # Errors
    /// [`StoreError`] only.
    pub async fn advance(&self) -> Result<Vec<EventId>, StoreError> {
        self.queues.advance_queues().await
    }

    /// The queue's snapshot: the current one while it is fresh, or while another request
    /// reads it again (up to [`RANKING_LIMIT`]; past it, `None` until that read lands, so
    /// a crowd arriving at an old snapshot reads the store once, not once each); else read
    /// now.
    async fn ranking(&self, event: EventId) -> Result<Option<Arc<Ranking>>, StoreError> {
        let current = self.rankings.lock().unwrap_or_else(PoisonError::into_inner).get(&event).cloned();
        if let Some(ranking) = &current {
            let age = ranking.read_at.elapsed();
            if age < RANKING_AGE {
                return Ok(current);
            }
            if ranking.refreshing.swap(true, Ordering::AcqRel) {
                return Ok(current.filter(|_| age < RANKING_LIMIT));
            }
        }
        let read = self.queues.waiting_order(event).await.inspect_err(|_| {
            // Let the next request try again.
            if let Some(ranking) = &current {
                ranking.refreshing.store(false, Ordering::Release);
            }
        });
        let Some(order) = read? else { return Ok(None) };
        let positions = (1..).zip(order.waiting()).map(|(position, user)| (user, position)).collect();
        let tickets = order.tickets.iter().enumerate().map(|(i, t)| (t.user_id, i)).collect();
        let refreshing = AtomicBool::new(false);
        let ranking = Arc::new(Ranking { read_at: Instant::now(), order, tickets, positions, refreshing });
        self.rankings.lock().unwrap_or_else(PoisonError::into_inner).insert(event, ranking.clone());
        Ok(Some(ranking))
    }
}

/// `ticket` with its position and wait in `ranking`, if it waits there and the order is
/// drawn.
fn with_position(mut ticket: QueueTicket, ranking: &Ranking) -> QueueTicket {
    if ticket.status != QueueStatus::Waiting || !ranking.order.drawn {
        return ticket;
    }
    if let Some(&position) = ranking.positions.get(&ticket.user_id) {
        ticket.position = Some(position);
        ticket.estimated_wait_seconds = Some(estimated_wait(position, ranking.order.rate));
    }
    ticket
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::QueueTicketId;
    use crate::queue::{AdmitRate, MockQueueRepository};

    fn ticket(user: i64) -> QueueTicket {
        QueueTicket {
            id: QueueTicketId::new(user).unwrap(),
            event_id: EventId::new(1).unwrap(),
            user_id: UserId::new(user).unwrap(),
            status: QueueStatus::Waiting,
            position: None,
            estimated_wait_seconds: None,
            joined_at: Utc::now(),
            admitted_at: None,
            expires_at: None,
        }
    }

    #[test]
    fn positions_are_read_at_most_once_a_second_and_null_before_the_draw() {
        let mut queues = MockQueueRepository::new();
        queues.expect_find_queue_ticket().never();
        queues.expect_waiting_order().times(1).returning(move |_| {
            let tickets = (1..=3).rev().map(ticket).collect();
            let order = WaitingOrder { rate: AdmitRate::new(30).unwrap(), drawn: true, tickets };
            Box::pin(async move { Ok(Some(order)) })
        });
        let service = QueueService::new(queues);
        let event = EventId::new(1).unwrap();
        futures_executor::block_on(async {
            for (user, position, wait) in [(3, 1, 2), (1, 3, 6), (2, 2, 4)] {
                let mine = service.mine(UserId::new(user).unwrap(), event).await.unwrap().unwrap();
                assert_eq!((mine.position, mine.estimated_wait_seconds), (Some(position), Some(wait)));
            }
        });
        let mut before = MockQueueRepository::new();
        before.expect_find_queue_ticket().returning(|_, _| Box::pin(async { Ok(Some(ticket(1))) }));
        before.expect_waiting_order().returning(|_| {
            let order = WaitingOrder { rate: AdmitRate::new(30).unwrap(), drawn: false, tickets: Vec::new() };
            Box::pin(async move { Ok(Some(order)) })
        });
        let service = QueueService::new(before);
        let mine = futures_executor::block_on(service.mine(UserId::new(1).unwrap(), event)).unwrap().unwrap();
        assert_eq!(mine.position, None);
    }
}
