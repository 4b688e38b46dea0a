//! Group commit for hot events. Bookings for one event that arrive while a transaction
//! for it is running wait in a queue; the next transaction takes the row lock once and
//! decides the whole queue in arrival order with the same rule, one answer per request.
//! A lone request is a batch of one, so nothing waits when there is no contention.
//! Requests with one idempotency key never share a transaction: a duplicate waits for
//! the next, where it finds the key its first copy claimed.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use evently_domain::booking::{BookError, BookOutcome, BookingRequest, IdempotencyKey};
use evently_domain::{EventId, StoreError, UserId};
use tokio::sync::oneshot;
use tracing::Instrument as _;

use super::PgStore;
use super::direct::decide;

/// The most requests one transaction decides.
const MAX_BATCH: usize = 512;

type Reply = oneshot::Sender<Result<BookOutcome, BookError>>;

/// Requests waiting for their event's next transaction. An event has an entry exactly
/// while a worker runs for it.
#[derive(Debug, Default)]
pub(super) struct Batches {
    queues: Mutex<HashMap<EventId, Vec<(BookingRequest, Reply)>>>,
}

impl Batches {
    /// Queues a request; `true` when no worker runs for its event yet (the caller starts
    /// one).
    fn enqueue(&self, request: BookingRequest, reply: Reply) -> bool {
        let mut queues = self.queues.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match queues.get_mut(&request.event_id) {
            Some(queue) => {
                queue.push((request, reply));
                false
            }
            None => {
                queues.insert(request.event_id, vec![(request, reply)]);
                true
            }
        }
    }
}

impl PgStore {
    /// Books through the event's batch queue.
    pub(super) async fn book_batched(
        &self,
        batches: &Batches,
        request: BookingRequest,
    ) -> Result<BookOutcome, BookError> {
        let (reply, answer) = oneshot::channel();
        let event = request.event_id;
        if batches.enqueue(request, reply) {
            let store = self.clone();
            // The worker carries the span of the request that started it.
            tokio::spawn(async move { store.drain(event).await }.instrument(tracing::Span::current()));
        }
        answer.await.map_err(|_| BookError::Store(StoreError::Unknown(anyhow::anyhow!("the batch worker stopped"))))?
    }

    /// Runs transactions for `event` until its queue is empty.
    async fn drain(&self, event: EventId) {
        let Some(batches) = &self.batches else { return };
        loop {
            let batch = {
                let mut queues = batches.queues.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let Some(queue) = queues.get_mut(&event) else { return };
                let batch = take_batch(queue);
                if batch.is_empty() {
                    // The worker stops; the next request starts a new one.
                    queues.remove(&event);
                    return;
                }
                batch
            };
            let (requests, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
            let answers = match self.write(move |conn| Box::pin(decide(conn, event, requests))).await {
                Ok(answers) => answers,
                Err(shared) => replies.iter().map(|_| Err(BookError::Store(copy(&shared)))).collect(),
            };
            for (reply, answer) in replies.into_iter().zip(answers) {
                let _ = reply.send(answer);
            }
        }
    }
}

/// A store error for each request of a failed batch.
fn copy(error: &StoreError) -> StoreError {
    match error {
        StoreError::Unavailable(e) => StoreError::Unavailable(anyhow::anyhow!("{e:#}")),
        StoreError::Transient(e) => StoreError::Transient(anyhow::anyhow!("{e:#}")),
        other => StoreError::Unknown(anyhow::anyhow!("{other:#}")),
    }
}

/// Takes the next batch off `queue` in arrival order: up to [`MAX_BATCH`] requests, a
/// request whose idempotency key is already in the batch left queued for the next one.
fn take_batch(queue: &mut Vec<(BookingRequest, Reply)>) -> Vec<(BookingRequest, Reply)> {
    let mut keys: HashSet<(UserId, IdempotencyKey)> = HashSet::new();
    let mut batch = Vec::new();
    let mut deferred = Vec::new();
    for queued in queue.drain(..) {
        let first = queued.0.idempotency_key.as_ref().is_none_or(|key| keys.insert((queued.0.user_id, key.clone())));
        if first && batch.len() < MAX_BATCH { batch.push(queued) } else { deferred.push(queued) }
    }
    *queue = deferred;
    batch
}
