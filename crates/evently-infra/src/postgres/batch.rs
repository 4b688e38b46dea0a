//! Group commit for hot events. Bookings for one event that arrive while a transaction
//! for it is running wait in a queue; the next transaction takes the row lock once and
//! decides the whole queue in arrival order with the same rule, one answer per request.
//! A lone request is a batch of one, so nothing waits when there is no contention.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Integer};
use diesel_async::{AsyncPgConnection, RunQueryDsl as _};
use evently_domain::booking::{BookError, BookOutcome, Booking, BookingRequest, Holding};
use evently_domain::{EventId, StoreError};
use tokio::sync::oneshot;

use super::PgStore;
use super::bookings::book_one;
use super::error::TxError;
use super::inventory::{LockedRow, into_locked, lock_query, seat_count, store_failure};
use super::rows::{BOOKING_COLUMNS, BookingRow};

/// The most requests one transaction decides.
const MAX_BATCH: usize = 512;

type Reply = oneshot::Sender<Result<BookOutcome, BookError>>;

/// Requests waiting for their event's next transaction. An event has an entry exactly
/// while a worker runs for it.
#[derive(Debug, Default)]
pub(super) struct Batches {
    queues: Mutex<HashMap<EventId, Vec<(BookingRequest, Reply)>>>,
}

#[derive(QueryableByName)]
struct Held {
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = Integer)]
    waiting: i32,
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
            tokio::spawn(async move { store.drain(event).await });
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
                let batch: Vec<_> = queue.drain(..queue.len().min(MAX_BATCH)).collect();
                if batch.is_empty() {
                    // The worker stops; the next request starts a new one.
                    queues.remove(&event);
                    return;
                }
                batch
            };
            let (mut requests, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
            let answers = if requests.len() == 1 {
                // Alone: the plain single-booking transaction, a round trip shorter.
                let request = requests.remove(0);
                vec![self.write(move |conn| Box::pin(book_one(conn, request))).await]
            } else {
                match self.write(move |conn| Box::pin(decide(conn, event, requests))).await {
                    Ok(answers) => answers,
                    Err(shared) => replies.iter().map(|_| Err(BookError::Store(copy(&shared)))).collect(),
                }
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

/// One transaction: lock the event, read what the batch's users hold, apply the rule to
/// each request in arrival order, insert the accepted bookings at once.
async fn decide(
    conn: &mut AsyncPgConnection,
    event: EventId,
    requests: Vec<BookingRequest>,
) -> Result<Vec<Result<BookOutcome, BookError>>, TxError<StoreError>> {
    let users: Vec<i64> = requests.iter().map(|r| r.user_id.get()).collect();
    let held_query = diesel::sql_query(
        "SELECT user_id, 0 AS waiting FROM bookings WHERE event_id = $1 AND status = 'confirmed' AND user_id = ANY($2) \
         UNION ALL \
         SELECT user_id, 1 AS waiting FROM waitlist_entries WHERE event_id = $1 AND status = 'waiting' AND user_id = ANY($2) \
         UNION ALL \
         SELECT id, 2 AS waiting FROM users WHERE id = ANY($2)",
    )
    .into_boxed()
    .bind::<BigInt, _>(event.get())
    .bind::<Array<BigInt>, _>(users);
    // Pipelined: the server reads the holdings after granting the lock, in one round trip.
    let (row, held) =
        tokio::join!(lock_query(event).get_result::<LockedRow>(&mut &*conn), held_query.load::<Held>(&mut &*conn));
    let Some(locked) = into_locked(row, Holding::Nothing)? else {
        return Ok(requests.iter().map(|_| Err(BookError::EventNotFound)).collect());
    };
    let held = held?;
    // Rows of kind 2 only say the account exists; 0 and 1 are what it holds.
    let existing: HashSet<i64> = held.iter().filter(|h| h.waiting == 2).map(|h| h.user_id).collect();
    let mut holdings: HashMap<i64, Holding> = held
        .into_iter()
        .filter(|h| h.waiting != 2)
        .map(|h| (h.user_id, if h.waiting == 1 { Holding::Waiting } else { Holding::Booked }))
        .collect();
    let mut inventory = locked.inventory;
    let mut decisions = Vec::with_capacity(requests.len());
    for request in &requests {
        let holding = holdings.get(&request.user_id.get()).copied().unwrap_or(Holding::Nothing);
        let decision = if existing.contains(&request.user_id.get()) {
            inventory.book(request.seats, holding)
        } else {
            Err(BookError::UnknownUser)
        };
        if let Ok(after) = &decision {
            inventory = *after;
            holdings.insert(request.user_id.get(), Holding::Booked);
        }
        decisions.push(decision.map(|_| ()));
    }
    let accepted: Vec<&BookingRequest> =
        requests.iter().zip(&decisions).filter(|(_, d)| d.is_ok()).map(|(r, _)| r).collect();
    let mut made: HashMap<i64, Booking> = HashMap::new();
    if !accepted.is_empty() {
        let users: Vec<i64> = accepted.iter().map(|r| r.user_id.get()).collect();
        let seats: Vec<i32> = accepted.iter().map(|r| seat_count(r.seats.get())).collect();
        let rows: Vec<BookingRow> = diesel::sql_query(format!(
            "WITH e AS (UPDATE events SET booked_seats = $4 WHERE id = $1) \
             INSERT INTO bookings (event_id, user_id, seats, source) \
             SELECT $1, u, s, 'direct' FROM unnest($2::bigint[], $3::int[]) AS t(u, s) \
             RETURNING {BOOKING_COLUMNS}"
        ))
        .bind::<BigInt, _>(event.get())
        .bind::<Array<BigInt>, _>(&users)
        .bind::<Array<Integer>, _>(&seats)
        .bind::<Integer, _>(seat_count(inventory.booked()))
        .load(conn)
        .await?;
        for row in rows {
            let booking = Booking::try_from(row).map_err(store_failure)?;
            made.insert(booking.user_id.get(), booking);
        }
    }
    Ok(requests
        .iter()
        .zip(decisions)
        .map(|(request, decision)| {
            decision?;
            made.remove(&request.user_id.get()).map(|booking| BookOutcome { booking, replayed: false }).ok_or_else(
                || BookError::Store(StoreError::Unknown(anyhow::anyhow!("accepted booking was not inserted"))),
            )
        })
        .collect())
}
