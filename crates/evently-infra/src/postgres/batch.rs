//! Group commit. Bookings, holds and confirmations wait in their event's queue while a
//! few workers take turns at the database: each transaction takes every waiting request
//! of every event no other transaction is deciding, locks those events in id order and
//! decides each event's queue in arrival order with the same rules, one answer per
//! request. A hot event's crowd shares one transaction, and so do requests spread over
//! many events. A lone request is a batch of one, so nothing waits when there is no
//! contention. An event whose row another transaction holds (an event edit, a
//! cancellation) is passed by and decided in a transaction of its own, so it never holds
//! up the others. Requests with one idempotency key (in one key space: bookings' or
//! holds') never share a transaction: a duplicate waits for the next, where it finds the
//! key its first copy claimed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, PoisonError};

use evently_domain::booking::IdempotencyKey;
use evently_domain::{EventId, StoreError, UserId};
use tokio::sync::oneshot;
use tracing::Instrument as _;

use super::PgStore;
use super::direct::{Decided, Group, Take, Taken, decide};
use super::inventory::Wait;

/// The most requests one transaction decides.
const MAX_BATCH: usize = 512;

/// The most workers deciding at once: enough to keep the database busy while each
/// batch is answered, few enough that waiting requests gather into batches.
const WORKERS: usize = 6;

type Reply = oneshot::Sender<Taken>;

/// Requests waiting for a transaction, by event.
#[derive(Debug, Default)]
pub(super) struct Batches(Mutex<State>);

#[derive(Debug, Default)]
struct State {
    /// Waiting requests by event, each event's in arrival order.
    waiting: BTreeMap<EventId, Vec<(Take, Reply)>>,
    /// Events a transaction is deciding now: their next requests wait for it.
    deciding: HashSet<EventId>,
    /// Workers running.
    workers: usize,
    /// Where the next batch starts looking, so that every event gets its turn.
    cursor: Option<EventId>,
}

impl State {
    /// Whether a worker should start for `event`'s waiting requests: none is deciding
    /// it and not every worker runs (running workers look again when they finish).
    fn wants_worker(&mut self, event: EventId) -> bool {
        let wanted = !self.deciding.contains(&event) && self.waiting.contains_key(&event) && self.workers < WORKERS;
        if wanted {
            self.workers += 1;
        }
        wanted
    }

    /// The next batch: the waiting requests of events no transaction is deciding, from
    /// the cursor on, up to [`MAX_BATCH`]; those events are marked as being decided.
    fn next_batch(&mut self) -> Vec<(EventId, Vec<(Take, Reply)>)> {
        let mut order: Vec<EventId> =
            self.waiting.keys().copied().filter(|event| !self.deciding.contains(event)).collect();
        if let Some(start) = self.cursor {
            let before = order.partition_point(|event| *event < start);
            order.rotate_left(before);
        }
        let mut keys = HashSet::new();
        let mut batch = Vec::new();
        let mut room = MAX_BATCH;
        for event in order {
            if room == 0 {
                self.cursor = Some(event);
                break;
            }
            let Some(queue) = self.waiting.get_mut(&event) else { continue };
            let taken = take_batch(queue, &mut keys, room);
            if queue.is_empty() {
                self.waiting.remove(&event);
            }
            if !taken.is_empty() {
                room -= taken.len();
                self.deciding.insert(event);
                batch.push((event, taken));
            }
        }
        if room > 0 {
            self.cursor = None;
        }
        batch
    }
}

impl Batches {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl PgStore {
    /// Decides a booking or hold request: through its event's queue with group commit,
    /// else in a transaction of its own.
    pub(super) async fn take(&self, take: Take) -> Taken {
        let (event, failure) = (take.event(), take.failure());
        let Some(batches) = &self.batches else {
            let group = Group { event, takes: vec![take] };
            let decided = self.decide(vec![group], Wait::Block).await;
            return match decided {
                Ok(mut decided) => decided.answers.pop().and_then(|(_, answers)| answers.into_iter().next()),
                Err(error) => Some(failure(error)),
            }
            .unwrap_or_else(|| failure(StoreError::Unknown(anyhow::anyhow!("a transaction gave no answer"))));
        };
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut state = batches.state();
            state.waiting.entry(event).or_default().push((take, reply));
            state.wants_worker(event)
        };
        if start {
            self.spawn_worker();
        }
        answer.await.unwrap_or_else(|_| failure(StoreError::Unknown(anyhow::anyhow!("the batch worker stopped"))))
    }

    /// Starts a worker (counted already), carrying the span of the request that started
    /// it.
    fn spawn_worker(&self) {
        let store = self.clone();
        self.db.spawn(async move { store.work().await }.instrument(tracing::Span::current()));
    }

    /// Decides `groups` in one transaction.
    async fn decide(&self, groups: Vec<Group>, wait: Wait) -> Result<Decided, StoreError> {
        let plans = self.plans.clone();
        self.write(move |conn| Box::pin(async move { decide(conn, &plans, groups, wait).await })).await
    }

    /// Runs transactions until no event it may take has requests waiting.
    async fn work(&self) {
        let Some(batches) = &self.batches else { return };
        loop {
            let batch = {
                let mut state = batches.state();
                let batch = state.next_batch();
                if batch.is_empty() {
                    state.workers -= 1;
                    return;
                }
                batch
            };
            // One event waits for its lock; several pass by a locked one.
            let wait = if batch.len() == 1 { Wait::Block } else { Wait::Skip };
            let events: Vec<EventId> = batch.iter().map(|(event, _)| *event).collect();
            let passed = self.answer(batch, wait).await;
            let mut state = batches.state();
            for event in events.iter().filter(|event| !passed.contains(event)) {
                state.deciding.remove(event);
            }
        }
    }

    /// Decides a batch and answers its requests; the events passed by are decided, each
    /// in a transaction of its own, by tasks that release them when done.
    async fn answer(&self, batch: Vec<(EventId, Vec<(Take, Reply)>)>, wait: Wait) -> Vec<EventId> {
        let mut replies: HashMap<EventId, Vec<Reply>> = HashMap::new();
        let mut failures = Vec::new();
        let mut groups = Vec::with_capacity(batch.len());
        for (event, queued) in batch {
            let (takes, event_replies): (Vec<Take>, Vec<Reply>) = queued.into_iter().unzip();
            failures.push((event, takes.iter().map(Take::failure).collect::<Vec<_>>()));
            replies.insert(event, event_replies);
            groups.push(Group { event, takes });
        }
        let decided = match self.decide(groups, wait).await {
            Ok(decided) => decided,
            Err(shared) => {
                for (event, failures) in failures {
                    let event_replies = replies.remove(&event).unwrap_or_default();
                    for (reply, failure) in event_replies.into_iter().zip(failures) {
                        let _ = reply.send(failure(copy(&shared)));
                    }
                }
                return Vec::new();
            }
        };
        for (event, answers) in decided.answers {
            for (reply, answer) in replies.remove(&event).unwrap_or_default().into_iter().zip(answers) {
                let _ = reply.send(answer);
            }
        }
        let passed: Vec<EventId> = decided.passed.iter().map(|group| group.event).collect();
        for group in decided.passed {
            let replies = replies.remove(&group.event).unwrap_or_default();
            let store = self.clone();
            self.db.spawn(async move { store.alone(group, replies).await }.instrument(tracing::Span::current()));
        }
        passed
    }

    /// Decides an event passed by a batch in a transaction of its own, waiting for its
    /// lock, then releases it.
    async fn alone(&self, group: Group, replies: Vec<Reply>) {
        let event = group.event;
        let failures: Vec<_> = group.takes.iter().map(Take::failure).collect();
        let answers = match self.decide(vec![group], Wait::Block).await {
            Ok(mut decided) => decided.answers.pop().map(|(_, answers)| answers).unwrap_or_default(),
            Err(shared) => failures.into_iter().map(|failure| failure(copy(&shared))).collect(),
        };
        for (reply, answer) in replies.into_iter().zip(answers) {
            let _ = reply.send(answer);
        }
        let Some(batches) = &self.batches else { return };
        let start = {
            let mut state = batches.state();
            state.deciding.remove(&event);
            state.wants_worker(event)
        };
        if start {
            self.spawn_worker();
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

/// Takes up to `room` requests off `queue` in arrival order, a request whose
/// idempotency key (in its key space) is in `keys` already left queued for the next
/// batch.
fn take_batch(
    queue: &mut Vec<(Take, Reply)>,
    keys: &mut HashSet<(bool, UserId, IdempotencyKey)>,
    room: usize,
) -> Vec<(Take, Reply)> {
    let mut batch = Vec::new();
    let mut deferred = Vec::new();
    for queued in queue.drain(..) {
        let key = match &queued.0 {
            Take::Book(r) => r.idempotency_key.clone().map(|k| (false, r.user_id, k)),
            Take::Hold(r) => r.idempotency_key.clone().map(|k| (true, r.user_id, k)),
            Take::Confirm { .. } => None,
        };
        let first = key.is_none_or(|key| keys.insert(key));
        if first && batch.len() < room { batch.push(queued) } else { deferred.push(queued) }
    }
    *queue = deferred;
    batch
}
