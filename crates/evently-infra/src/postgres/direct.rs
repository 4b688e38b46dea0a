//! The seat-taking transaction: lock the event, settle its expired holds, read what the
//! requesting users hold, claim their idempotency keys, apply the rules to each booking,
//! hold and confirmation in arrival order and write every accepted one at once. A lone
//! request is a batch of one.

use std::collections::{HashMap, HashSet};

use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl as _};
use evently_domain::booking::{BookError, BookOutcome, Booking, BookingRequest, PaymentReference};
use evently_domain::hold::{ConfirmHoldError, Confirmation, Hold, HoldError, HoldOutcome, HoldRequest, HoldStatus};
use evently_domain::inventory::{Caller, Claim, Holding, Inventory};
use evently_domain::{EventId, HoldId, StoreError, UserId};

use super::error::TxError;
use super::hold_writes::{claim_key, confirm_holds, fetch_bookings, fetch_holds, forget_keys, insert_holds};
use super::inventory::{
    ExpiredRow, LockedRow, StockRow, expire_query, into_locked, lock_query, promoted_holding, seat_count,
    settle_expired, stock_query, store_failure, tier_counts, write_counts,
};
use super::keys::{self, Claim as KeyClaim};
use super::prepared::Prepare as _;
use super::rows::{BOOKING_COLUMNS, BookingRow};
use super::seating::{Plans, Seats, literals, read_seats};

/// A request that takes seats of an event (or confirms seats it holds).
#[derive(Debug)]
pub(super) enum Take {
    /// A booking.
    Book(BookingRequest),
    /// A hold.
    Hold(HoldRequest),
    /// The confirmation of a hold of `event` by its holder.
    Confirm { event: EventId, hold: HoldId, holder: UserId, payment_reference: Option<PaymentReference> },
}

impl Take {
    /// The event whose seats it takes.
    pub(super) fn event(&self) -> EventId {
        match self {
            Self::Book(r) => r.event_id,
            Self::Hold(r) => r.event_id,
            Self::Confirm { event, .. } => *event,
        }
    }

    fn user(&self) -> i64 {
        match self {
            Self::Book(r) => r.user_id.get(),
            Self::Hold(r) => r.user_id.get(),
            Self::Confirm { holder, .. } => holder.get(),
        }
    }
}

/// The answer to a [`Take`].
#[derive(Debug)]
pub(super) enum Taken {
    /// A booking's.
    Book(Result<BookOutcome, BookError>),
    /// A hold's.
    Hold(Result<HoldOutcome, HoldError>),
    /// A confirmation's.
    Confirm(Result<Confirmation, ConfirmHoldError>),
}

impl Take {
    /// How to answer this request when its transaction failed.
    pub(super) fn failure(&self) -> fn(StoreError) -> Taken {
        match self {
            Self::Book(_) => |error| Taken::Book(Err(BookError::Store(error))),
            Self::Hold(_) => |error| Taken::Hold(Err(HoldError::Store(error))),
            Self::Confirm { .. } => |error| Taken::Confirm(Err(ConfirmHoldError::Store(error))),
        }
    }
}

impl Taken {
    fn event_not_found(take: &Take) -> Self {
        match take {
            Take::Book(_) => Self::Book(Err(BookError::EventNotFound)),
            Take::Hold(_) => Self::Hold(Err(HoldError::EventNotFound)),
            Take::Confirm { .. } => Self::Confirm(Err(ConfirmHoldError::NotFound)),
        }
    }
}

#[derive(QueryableByName)]
struct Held {
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = Integer)]
    waiting: i32,
}

/// What the rules decided for one request: answered already, or accepted (with the tier
/// and seats it was given) and still to be written.
enum Decision {
    Answered(Taken),
    Book(Claim),
    Hold(Claim),
    /// A hold to confirm into a booking (`first`: the first confirmation in this batch).
    Confirm {
        hold: HoldId,
        first: bool,
    },
}

/// Decides `takes` for `event` in one transaction on `conn`. Their idempotency keys must
/// be distinct per key space (the batch queue defers a duplicate to the next
/// transaction).
pub(super) async fn decide(
    conn: &mut AsyncPgConnection,
    plans: &Plans,
    event: EventId,
    takes: Vec<Take>,
) -> Result<Vec<Taken>, TxError<StoreError>> {
    tracing::debug!(event.id = %event, batch.size = takes.len(), "seat-taking transaction");
    let user_of = Take::user;
    let users: Vec<i64> = takes.iter().map(user_of).collect();
    let held_query = diesel::sql_query(
        "SELECT user_id, 0 AS waiting FROM bookings WHERE event_id = $1 AND status = 'confirmed' AND user_id = ANY($2) \
         UNION ALL \
         SELECT user_id, 1 AS waiting FROM waitlist_entries WHERE event_id = $1 AND status = 'waiting' AND user_id = ANY($2) \
         UNION ALL \
         SELECT id, 2 AS waiting FROM users WHERE id = ANY($2) \
         UNION ALL \
         SELECT user_id, 3 AS waiting FROM holds WHERE event_id = $1 AND status = 'active' AND user_id = ANY($2) \
         UNION ALL \
         SELECT user_id, 4 AS waiting FROM queue_tickets WHERE event_id = $1 AND status = 'admitted' \
           AND expires_at > now() AND user_id = ANY($2)",
    )
    .into_boxed()
    .bind::<BigInt, _>(event.get())
    .bind::<Array<BigInt>, _>(users)
    .prepared();
    // Pipelined: the server expires holds and reads the holdings after granting the
    // lock, in one round trip.
    let (row, expired, stock, seats, held) = tokio::join!(
        lock_query(event).get_result::<LockedRow>(&mut &*conn),
        expire_query(event).load::<ExpiredRow>(&mut &*conn),
        stock_query(event).load::<StockRow>(&mut &*conn),
        read_seats(conn, plans, event),
        held_query.load::<Held>(&mut &*conn)
    );
    let seats = match &row {
        Ok(_) => seats.seats(plans).map_err(store_failure)?,
        Err(_) => Seats { plan: None, claimed: Ok(None) },
    };
    let Some(mut locked) = into_locked(row, stock, seats, Holding::Nothing.into())? else {
        return Ok(takes.iter().map(Taken::event_not_found).collect());
    };
    let held = held?;
    // Rows of kind 2 only say the account exists, of kind 4 that the queue admits it;
    // 0, 1 and 3 are what it holds.
    let existing: HashSet<i64> = held.iter().filter(|h| h.waiting == 2).map(|h| h.user_id).collect();
    let admitted: HashSet<i64> = held.iter().filter(|h| h.waiting == 4).map(|h| h.user_id).collect();
    let mut holdings: HashMap<i64, Holding> = held
        .into_iter()
        .filter_map(|h| {
            let holding = match h.waiting {
                0 => Holding::Booked,
                1 => Holding::Waiting,
                3 => Holding::Holding,
                _ => return None,
            };
            Some((h.user_id, holding))
        })
        .collect();
    // Expired holds are settled first: no request overtakes a waiting entry.
    for promoted in settle_expired(conn, event, &mut locked, expired?).await? {
        holdings.insert(promoted.entry.user.get(), promoted_holding(locked.inventory.promotion()));
    }
    let known = |take: &&Take| existing.contains(&user_of(take));
    let bookings: Vec<&BookingRequest> = takes
        .iter()
        .filter(known)
        .filter_map(|t| match t {
            Take::Book(r) => Some(r),
            Take::Hold(_) | Take::Confirm { .. } => None,
        })
        .collect();
    let mut claims = keys::claim(conn, event, &bookings).await?.into_iter();
    // The holds to confirm, as they stand now that expired ones are settled.
    let confirming: Vec<i64> = takes
        .iter()
        .filter_map(|t| match t {
            Take::Confirm { hold, .. } => Some(hold.get()),
            _ => None,
        })
        .collect();
    let mut holds_now: HashMap<HoldId, Hold> = HashMap::new();
    if !confirming.is_empty() {
        for hold in fetch_holds(conn, &confirming).await? {
            holds_now.insert(hold.id, hold);
        }
    }
    let mut inventory = locked.inventory;
    let ttl = locked.hold_ttl;
    let mut decisions: Vec<Decision> = Vec::with_capacity(takes.len());
    // Keys claimed for requests the rules refused: a refusal is not remembered.
    let mut refused_booking_keys: Vec<(i64, &str)> = Vec::new();
    let mut refused_hold_keys: Vec<(i64, &str)> = Vec::new();
    for take in &takes {
        let user = user_of(take);
        let holding = holdings.get(&user).copied().unwrap_or(Holding::Nothing);
        let caller = Caller { holding, admitted: admitted.contains(&user) };
        let decision = match take {
            Take::Confirm { hold, holder, .. } => match holds_now.get_mut(hold) {
                Some(current) if current.user_id == *holder && current.event_id == event => match current.status {
                    HoldStatus::Active => {
                        inventory.confirm_hold(current.tier_id, current.seats);
                        current.status = HoldStatus::Confirmed;
                        holdings.insert(user, Holding::Booked);
                        Decision::Confirm { hold: *hold, first: true }
                    }
                    HoldStatus::Confirmed => Decision::Confirm { hold: *hold, first: false },
                    HoldStatus::Expired => Decision::Answered(Taken::Confirm(Err(ConfirmHoldError::Expired))),
                    HoldStatus::Released => Decision::Answered(Taken::Confirm(Err(ConfirmHoldError::Released))),
                },
                _ => Decision::Answered(Taken::Confirm(Err(ConfirmHoldError::NotFound))),
            },
            Take::Book(_) if !existing.contains(&user) => Decision::Answered(Taken::Book(Err(BookError::UnknownUser))),
            Take::Hold(_) if !existing.contains(&user) => Decision::Answered(Taken::Hold(Err(HoldError::UnknownUser))),
            Take::Book(request) => match claims.next() {
                Some(KeyClaim::Answered(answer)) => Decision::Answered(Taken::Book(answer)),
                _ => match inventory.book(request.tier, &request.pick, caller) {
                    Ok(claim) => {
                        holdings.insert(user, Holding::Booked);
                        Decision::Book(claim)
                    }
                    Err(refused) => {
                        refused_booking_keys.extend(request.idempotency_key.as_ref().map(|k| (user, k.as_str())));
                        Decision::Answered(Taken::Book(Err(refused.into())))
                    }
                },
            },
            Take::Hold(request) => {
                let claimed = match &request.idempotency_key {
                    Some(key) => claim_key(conn, request, key.as_str()).await?,
                    None => None,
                };
                match claimed {
                    Some(answer) => Decision::Answered(Taken::Hold(answer)),
                    None => match inventory.hold(request.tier, &request.pick, caller) {
                        Ok(claim) => {
                            holdings.insert(user, Holding::Holding);
                            Decision::Hold(claim)
                        }
                        Err(refused) => {
                            refused_hold_keys.extend(request.idempotency_key.as_ref().map(|k| (user, k.as_str())));
                            Decision::Answered(Taken::Hold(Err(refused.into())))
                        }
                    },
                }
            }
        };
        decisions.push(decision);
    }
    let (mut booked_requests, mut booked_claims, mut held_requests, mut held_claims) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (take, decision) in takes.iter().zip(&decisions) {
        match (take, decision) {
            (Take::Book(request), Decision::Book(claim)) => {
                booked_requests.push(request);
                booked_claims.push(claim);
            }
            (Take::Hold(request), Decision::Hold(claim)) => {
                held_requests.push(request);
                held_claims.push(claim);
            }
            _ => {}
        }
    }
    let mut made: HashMap<i64, Booking> = HashMap::new();
    if !booked_requests.is_empty() || !refused_booking_keys.is_empty() {
        let accepted = Accepted { requests: &booked_requests, claims: &booked_claims };
        for row in write(conn, event, &inventory, accepted, &refused_booking_keys).await? {
            let booking = Booking::try_from(row).map_err(store_failure)?;
            made.insert(booking.user_id.get(), booking);
        }
    }
    let mut holds: HashMap<i64, Hold> = HashMap::new();
    if !held_requests.is_empty() {
        for hold in insert_holds(conn, event, &held_requests, &held_claims, ttl).await? {
            holds.insert(hold.user_id.get(), hold);
        }
    }
    forget_keys(conn, &refused_hold_keys).await?;
    // Confirmations: one statement makes the bookings of the holds confirmed first here;
    // holds confirmed earlier answer their booking again.
    let mut confirmed: HashMap<HoldId, Booking> = HashMap::new();
    let first: Vec<(i64, Option<&str>)> = takes
        .iter()
        .zip(&decisions)
        .filter_map(|(take, decision)| match (take, decision) {
            (Take::Confirm { hold, payment_reference, .. }, Decision::Confirm { first: true, .. }) => {
                Some((hold.get(), payment_reference.as_ref().map(PaymentReference::as_str)))
            }
            _ => None,
        })
        .collect();
    if !first.is_empty() {
        for (hold, booking) in confirm_holds(conn, &first).await? {
            confirmed.insert(hold, booking);
        }
        write_counts(conn, event, &inventory).await?;
    }
    let earlier: Vec<i64> = holds_now
        .values()
        .filter(|h| !confirmed.contains_key(&h.id))
        .filter_map(|h| h.booking_id.map(|b| b.get()))
        .collect();
    for booking in fetch_bookings(conn, &earlier).await? {
        if let Some(hold) = holds_now.values().find(|h| h.booking_id == Some(booking.id)) {
            confirmed.insert(hold.id, booking);
        }
    }
    let lost = || StoreError::Unknown(anyhow::anyhow!("an accepted request was not written"));
    Ok(takes
        .iter()
        .zip(decisions)
        .map(|(take, decision)| match decision {
            Decision::Answered(answer) => answer,
            Decision::Book(_) => Taken::Book(
                made.remove(&user_of(take))
                    .map(|booking| BookOutcome { booking, replayed: false })
                    .ok_or_else(|| BookError::Store(lost())),
            ),
            Decision::Hold(_) => Taken::Hold(
                holds
                    .remove(&user_of(take))
                    .map(|hold| HoldOutcome { hold, replayed: false })
                    .ok_or_else(|| HoldError::Store(lost())),
            ),
            Decision::Confirm { hold, first } => Taken::Confirm(
                confirmed
                    .get(&hold)
                    .map(|booking| Confirmation { booking: booking.clone(), first })
                    .ok_or_else(|| ConfirmHoldError::Store(lost())),
            ),
        })
        .collect())
}

/// The requests the rules accepted, with what each was given.
struct Accepted<'a> {
    requests: &'a [&'a BookingRequest],
    claims: &'a [&'a Claim],
}

/// One statement: the event's and its tiers' new seat counts, the accepted bookings (one
/// per user, at their tier's price), each linked to its request's idempotency key, and
/// the keys of refused requests forgotten.
async fn write(
    conn: &mut AsyncPgConnection,
    event: EventId,
    inventory: &Inventory,
    accepted: Accepted<'_>,
    refused_keys: &[(i64, &str)],
) -> diesel::QueryResult<Vec<BookingRow>> {
    let users: Vec<i64> = accepted.requests.iter().map(|r| r.user_id.get()).collect();
    let seats: Vec<i32> = accepted.requests.iter().map(|r| seat_count(r.seats().get())).collect();
    let tiers: Vec<i64> = accepted.claims.iter().map(|c| c.tier.get()).collect();
    let (numbers, labels): (Vec<Option<String>>, Vec<Option<String>>) =
        accepted.claims.iter().map(|c| literals(c.placement.as_ref())).unzip();
    let keys: Vec<Option<&str>> =
        accepted.requests.iter().map(|r| r.idempotency_key.as_ref().map(|k| k.as_str())).collect();
    let (forget_users, forget_keys): (Vec<i64>, Vec<&str>) = refused_keys.iter().copied().unzip();
    let (tier_ids, tier_booked) = tier_counts(inventory);
    diesel::sql_query(format!(
        "WITH e AS (UPDATE events SET booked_seats = $4 WHERE id = $1 AND booked_seats <> $4), \
         tc AS (UPDATE tiers SET booked_seats = n.b FROM unnest($9::bigint[], $10::int[]) AS n(id, b) \
               WHERE tiers.id = n.id AND tiers.booked_seats <> n.b), \
         b AS (INSERT INTO bookings (event_id, user_id, seats, source, tier_id, unit_price_cents, currency, \
                 seat_numbers, seat_labels) \
               SELECT $1, t.u, t.s, 'direct', t.tier, p.price_cents, p.currency, t.n::int[], t.l::text[] \
               FROM unnest($2::bigint[], $3::int[], $8::bigint[], $11::text[], $12::text[]) AS t(u, s, tier, n, l) \
               JOIN (SELECT tiers.id, tiers.price_cents, events.currency FROM tiers JOIN events ON events.id = tiers.event_id \
                     WHERE tiers.event_id = $1) AS p ON p.id = t.tier \
               RETURNING {BOOKING_COLUMNS}), \
         k AS (UPDATE idempotency_keys i SET booking_id = b.id \
               FROM b JOIN unnest($2::bigint[], $5::text[]) AS t(u, key) ON t.u = b.user_id \
               WHERE i.user_id = t.u AND i.key = t.key), \
         f AS (DELETE FROM idempotency_keys \
               WHERE (user_id, key) IN (SELECT * FROM unnest($6::bigint[], $7::text[]))) \
         SELECT {BOOKING_COLUMNS} FROM b"
    ))
    .bind::<BigInt, _>(event.get())
    .bind::<Array<BigInt>, _>(&users)
    .bind::<Array<Integer>, _>(&seats)
    .bind::<Integer, _>(seat_count(inventory.booked()))
    .bind::<Array<Nullable<Text>>, _>(&keys)
    .bind::<Array<BigInt>, _>(&forget_users)
    .bind::<Array<Text>, _>(&forget_keys)
    .bind::<Array<BigInt>, _>(&tiers)
    .bind::<Array<BigInt>, _>(&tier_ids)
    .bind::<Array<Integer>, _>(&tier_booked)
    .bind::<Array<Nullable<Text>>, _>(&numbers)
    .bind::<Array<Nullable<Text>>, _>(&labels)
    .prepared().load(conn)
    .await
}
