//! Group commit for hot events. Bookings and holds of one event that arrive while a
//! transaction for it is running wait in a queue; the next transaction takes the row
//! lock once and decides the whole queue in arrival order with the same rules, one
//! answer per request. A lone request is a batch of one, so nothing waits when there is
//! no contention. Requests with one idempotency key (in one key space: bookings' or
//! holds') never share a transaction: a duplicate waits for the next, where it finds the
//! key its first copy claimed.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use evently_domain::booking::IdempotencyKey;
use evently_domain::{EventId, StoreError, UserId};
use tokio::sync::oneshot;
use tracing::Instrument as _;

use super::PgStore;
use super::direct::{Take, Taken, decide};

/// The most requests one transaction decides.
const MAX_BATCH: usize = 512;

type Reply = oneshot::Sender<Taken>;

/// Requests waiting for their event's next transaction. An event has an entry exactly
/// while a worker runs for it.
#[derive(Debug, Default)]
pub(super) struct Batches {
    queues: Mutex<HashMap<EventId, Vec<(Take, Reply)>>>,
}

impl Batches {
    /// Queues a request; `true` when no worker runs for its event yet (the caller starts
    /// one).
    fn enqueue(&self, take: Take, reply: Reply) -> bool {
        let mut queues = self.queues.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match queues.get_mut(&take.event()) {
            Some(queue) => {
                queue.push((take, reply));
                false
            }
            None => {
                queues.insert(take.event(), vec![(take, reply)]);
                true
            }
        }
    }
}

impl PgStore {
    /// Decides a booking or hold request: through the event's batch queue with group
    /// commit, else in a transaction of its own.
    pub(super) async fn take(&self, take: Take) -> Taken {
        let (event, failure) = (take.event(), take.failure());
        let Some(batches) = &self.batches else {
            let plans = self.plans.clone();
            let decided =
                self.write(move |conn| Box::pin(async move { decide(conn, &plans, event, vec![take]).await }));
            return match decided.await {
                Ok(answers) => answers.into_iter().next(),
                Err(error) => Some(failure(error)),
            }
            .unwrap_or_else(|| failure(StoreError::Unknown(anyhow::anyhow!("a transaction gave no answer"))));
        };
        let (reply, answer) = oneshot::channel();
        if batches.enqueue(take, reply) {
            let store = self.clone();
            // The worker carries the span of the request that started it.
            tokio::spawn(async move { store.drain(event).await }.instrument(tracing::Span::current()));
        }
        answer.await.unwrap_or_else(|_| failure(StoreError::Unknown(anyhow::anyhow!("the batch worker stopped"))))
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
            let (takes, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
            let failures: Vec<_> = takes.iter().map(Take::failure).collect();
            let plans = self.plans.clone();
            let decided = self.write(move |conn| Box::pin(async move { decide(conn, &plans, event, takes).await }));
            let answers = match decided.await {
                Ok(answers) => answers,
                Err(shared) => failures.into_iter().map(|failure| failure(copy(&shared))).collect(),
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
/// request whose idempotency key (in its key space) is already in the batch left queued
/// for the next one.
fn take_batch(queue: &mut Vec<(Take, Reply)>) -> Vec<(Take, Reply)> {
    let mut keys: HashSet<(bool, UserId, IdempotencyKey)> = HashSet::new();
    let mut batch = Vec::new();
    let mut deferred = Vec::new();
    for queued in queue.drain(..) {
        let key = match &queued.0 {
            Take::Book(r) => r.idempotency_key.clone().map(|k| (false, r.user_id, k)),
            Take::Hold(r) => r.idempotency_key.clone().map(|k| (true, r.user_id, k)),
            Take::Confirm { .. } => None,
        };
        let first = key.is_none_or(|key| keys.insert(key));
        if first && batch.len() < MAX_BATCH { batch.push(queued) } else { deferred.push(queued) }
    }
    *queue = deferred;
    batch
}
