//! The seat-taking transaction: lock its events in id order, settle their expired holds,
//! read what the requesting users hold, claim their idempotency keys, apply the rules to
//! each event's bookings, holds and confirmations in arrival order and write every
//! accepted booking of every event in one statement. A lone request is a batch of one.

use std::collections::{HashMap, HashSet};

use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl as _};
use evently_domain::booking::{BookError, BookOutcome, Booking, BookingRequest, PaymentReference};
use evently_domain::hold::{
    ConfirmHoldError, Confirmation, Hold, HoldError, HoldOutcome, HoldRequest, HoldStatus, HoldTtl,
};
use evently_domain::inventory::{Caller, Claim, Holding, Inventory};
use evently_domain::{EventId, HoldId, StoreError, UserId};
use futures_util::future::join_all;

use super::error::TxError;
use super::hold_writes::{claim_key, confirm_holds, fetch_bookings, fetch_holds, forget_keys, insert_holds};
use super::inventory::{
    ExpiredRow, LockedRow, StockRow, Wait, expire, into_locked, lock_query, promoted_holding, seat_count,
    settle_expired, stock_query, store_failure, tier_counts, write_counts,
};
use super::keys::{self, Claim as KeyClaim};
use super::prepared::{Prepare as _, Statement};
use super::rows::{BOOKING_COLUMNS, BookingRow};
use super::seating::{Plans, SeatRead, literals, read_seats};

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
    event_id: i64,
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = Integer)]
    kind: i32,
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

/// An event's requests, decided in arrival order.
#[derive(Debug)]
pub(super) struct Group {
    pub event: EventId,
    pub takes: Vec<Take>,
}

/// What one transaction did with its groups: the answers of those it decided, and the
/// groups it passed by because another transaction held their event's lock (only when
/// it was told not to wait) or because their event does not exist.
pub(super) struct Decided {
    pub answers: Vec<(EventId, Vec<Taken>)>,
    pub passed: Vec<Group>,
}

/// A group whose event is locked, its expired holds settled, waiting for the rules.
struct Open {
    event: EventId,
    takes: Vec<Take>,
    ttl: HoldTtl,
}

/// What the transaction read behind its locks, before any rule ran.
struct Reads {
    rows: Vec<LockedRow>,
    expired: Vec<ExpiredRow>,
    stock: Vec<StockRow>,
    seats: Vec<SeatRead>,
    held: Vec<Held>,
}

/// Reads, behind the locks of `events` (taken as `wait` says), their stock and seats and
/// what each request's user holds for its event (`asked`: the requests' events and
/// users, pair by pair), and marks their holds past their time expired. Pipelined: with
/// [`Wait::Block`] one round trip; with [`Wait::Skip`] two, the second for the events
/// granted only; one more when some hold expired.
async fn read(
    conn: &AsyncPgConnection,
    plans: &Plans,
    events: &[i64],
    asked: (&[i64], &[i64]),
    wait: Wait,
) -> Result<Reads, TxError<StoreError>> {
    let pipelined = async |events: &[i64]| {
        tokio::join!(
            stock_query(events).load::<StockRow>(&mut &*conn),
            join_all(events.iter().filter_map(|e| EventId::new(*e)).map(|e| read_seats(conn, plans, e))),
            held_query(asked.0, asked.1).load::<Held>(&mut &*conn),
        )
    };
    let (rows, (stock, seats, held)) = match wait {
        Wait::Block => tokio::join!(lock_query(events, wait).load::<LockedRow>(&mut &*conn), pipelined(events)),
        Wait::Skip => {
            let rows = lock_query(events, wait).load::<LockedRow>(&mut &*conn).await?;
            let granted: Vec<i64> = rows.iter().map(|r| r.id).collect();
            (Ok(rows), pipelined(&granted).await)
        }
    };
    // A failed lock fails the statements behind it: its own error is the one to report.
    let rows = rows?;
    let stock = stock?;
    let expired = expire(conn, &stock).await?;
    Ok(Reads { rows, expired, stock, seats, held: held? })
}

/// What each request's user holds for its event: pairs `(events[i], users[i])`, looked
/// up pair by pair through the `(event_id, user_id)` indexes (filtering the events' and
/// the users' rows separately read every booking the batch's users ever made).
fn held_query(events: &[i64], users: &[i64]) -> Statement {
    diesel::sql_query(
        "WITH p AS (SELECT DISTINCT e, u FROM unnest($1::bigint[], $2::bigint[]) AS p(e, u)) \
         SELECT b.event_id, b.user_id, 0 AS kind FROM p \
           JOIN bookings b ON b.event_id = p.e AND b.user_id = p.u AND b.status = 'confirmed' \
         UNION ALL \
         SELECT w.event_id, w.user_id, 1 AS kind FROM p \
           JOIN waitlist_entries w ON w.event_id = p.e AND w.user_id = p.u AND w.status = 'waiting' \
         UNION ALL \
         SELECT 0, id, 2 AS kind FROM users WHERE id = ANY($2) \
         UNION ALL \
         SELECT h.event_id, h.user_id, 3 AS kind FROM p \
           JOIN holds h ON h.event_id = p.e AND h.user_id = p.u AND h.status = 'active' \
         UNION ALL \
         SELECT q.event_id, q.user_id, 4 AS kind FROM p \
           JOIN queue_tickets q ON q.event_id = p.e AND q.user_id = p.u AND q.status = 'admitted' \
             AND q.expires_at > now()",
    )
    .into_boxed()
    .bind::<Array<BigInt>, _>(events.to_vec())
    .bind::<Array<BigInt>, _>(users.to_vec())
    .prepared()
}

/// Decides `groups` (of distinct events) in one transaction on `conn`, locking their
/// events as `wait` says. Idempotency keys must be distinct per key space across all
/// groups (the batch queue defers a duplicate to the next transaction).
pub(super) async fn decide(
    conn: &mut AsyncPgConnection,
    plans: &Plans,
    groups: Vec<Group>,
    wait: Wait,
) -> Result<Decided, TxError<StoreError>> {
    let requests: usize = groups.iter().map(|g| g.takes.len()).sum();
    tracing::debug!(events = groups.len(), batch.size = requests, "seat-taking transaction");
    let user_of = Take::user;
    let events: Vec<i64> = groups.iter().map(|g| g.event.get()).collect();
    let (of, users): (Vec<i64>, Vec<i64>) =
        groups.iter().flat_map(|g| g.takes.iter().map(move |t| (g.event.get(), user_of(t)))).unzip();
    let Reads { rows, expired, stock, seats, held } = read(conn, plans, &events, (&of, &users), wait).await?;
    let asked: HashSet<(i64, i64)> = of.iter().copied().zip(users.iter().copied()).collect();
    // Rows of kind 2 only say the account exists, of kind 4 that the queue admits it;
    // 0, 1 and 3 are what it holds.
    let existing: HashSet<i64> = held.iter().filter(|h| h.kind == 2).map(|h| h.user_id).collect();
    let mut admitted: HashSet<(i64, i64)> = HashSet::new();
    let mut holdings: HashMap<(i64, i64), Holding> = HashMap::new();
    for h in held.iter().filter(|h| asked.contains(&(h.event_id, h.user_id))) {
        let holding = match h.kind {
            0 => Holding::Booked,
            1 => Holding::Waiting,
            3 => Holding::Holding,
            4 => {
                admitted.insert((h.event_id, h.user_id));
                continue;
            }
            _ => continue,
        };
        holdings.insert((h.event_id, h.user_id), holding);
    }
    let mut rows: HashMap<i64, LockedRow> = rows.into_iter().map(|r| (r.id, r)).collect();
    let mut stock_of: HashMap<i64, Vec<StockRow>> = HashMap::new();
    for row in stock {
        stock_of.entry(row.event_id).or_default().push(row);
    }
    let mut expired_of: HashMap<i64, Vec<ExpiredRow>> = HashMap::new();
    for row in expired {
        expired_of.entry(row.event_id).or_default().push(row);
    }
    let mut seats_of: HashMap<EventId, SeatRead> = seats.into_iter().map(|s| (s.event(), s)).collect();
    let mut decided = Decided { answers: Vec::new(), passed: Vec::new() };
    let mut open: Vec<Open> = Vec::with_capacity(groups.len());
    // The open groups' inventories, as the rules leave them.
    let mut inventories: Vec<Inventory> = Vec::with_capacity(groups.len());
    for group in groups {
        let event = group.event;
        let (Some(row), Some(seats)) = (rows.remove(&event.get()), seats_of.remove(&event)) else {
            match wait {
                Wait::Block => decided.answers.push((event, group.takes.iter().map(Taken::event_not_found).collect())),
                Wait::Skip => decided.passed.push(group),
            }
            continue;
        };
        let seats = seats.seats(plans).map_err(store_failure)?;
        let stock = stock_of.remove(&event.get()).unwrap_or_default();
        let Some(mut locked) = into_locked(Ok(row), Ok(stock), seats, Holding::Nothing.into())? else {
            decided.answers.push((event, group.takes.iter().map(Taken::event_not_found).collect()));
            continue;
        };
        // Expired holds are settled first: no request overtakes a waiting entry.
        let expired = expired_of.remove(&event.get()).unwrap_or_default();
        for promoted in settle_expired(conn, event, &mut locked, expired).await? {
            holdings.insert((event.get(), promoted.entry.user.get()), promoted_holding(locked.inventory.promotion()));
        }
        open.push(Open { event, takes: group.takes, ttl: locked.hold_ttl });
        inventories.push(locked.inventory);
    }
    let known = |take: &&Take| existing.contains(&user_of(take));
    let bookings: Vec<&BookingRequest> = open
        .iter()
        .flat_map(|g| g.takes.iter())
        .filter(known)
        .filter_map(|t| match t {
            Take::Book(r) => Some(r),
            Take::Hold(_) | Take::Confirm { .. } => None,
        })
        .collect();
    let mut claims = keys::claim(conn, &bookings).await?.into_iter();
    // The holds to confirm, as they stand now that expired ones are settled.
    let confirming: Vec<i64> = open
        .iter()
        .flat_map(|g| g.takes.iter())
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
    let mut decisions: Vec<Vec<Decision>> = Vec::with_capacity(open.len());
    // Keys claimed for requests the rules refused: a refusal is not remembered.
    let mut refused_booking_keys: Vec<(i64, &str)> = Vec::new();
    let mut refused_hold_keys: Vec<(i64, &str)> = Vec::new();
    for (group, inventory) in open.iter().zip(&mut inventories) {
        let event = group.event;
        let mut group_decisions = Vec::with_capacity(group.takes.len());
        for take in &group.takes {
            let user = user_of(take);
            let holding = holdings.get(&(event.get(), user)).copied().unwrap_or(Holding::Nothing);
            let caller = Caller { holding, admitted: admitted.contains(&(event.get(), user)) };
            let decision = match take {
                Take::Confirm { hold, holder, .. } => match holds_now.get_mut(hold) {
                    Some(current) if current.user_id == *holder && current.event_id == event => match current.status {
                        HoldStatus::Active => {
                            inventory.confirm_hold(current.tier_id, current.seats);
                            current.status = HoldStatus::Confirmed;
                            holdings.insert((event.get(), user), Holding::Booked);
                            Decision::Confirm { hold: *hold, first: true }
                        }
                        HoldStatus::Confirmed => Decision::Confirm { hold: *hold, first: false },
                        HoldStatus::Expired => Decision::Answered(Taken::Confirm(Err(ConfirmHoldError::Expired))),
                        HoldStatus::Released => Decision::Answered(Taken::Confirm(Err(ConfirmHoldError::Released))),
                    },
                    _ => Decision::Answered(Taken::Confirm(Err(ConfirmHoldError::NotFound))),
                },
                Take::Book(_) if !existing.contains(&user) => {
                    Decision::Answered(Taken::Book(Err(BookError::UnknownUser)))
                }
                Take::Hold(_) if !existing.contains(&user) => {
                    Decision::Answered(Taken::Hold(Err(HoldError::UnknownUser)))
                }
                Take::Book(request) => match claims.next() {
                    Some(KeyClaim::Answered(answer)) => Decision::Answered(Taken::Book(answer)),
                    _ => match inventory.book(request.tier, &request.pick, caller) {
                        Ok(claim) => {
                            holdings.insert((event.get(), user), Holding::Booked);
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
                                holdings.insert((event.get(), user), Holding::Holding);
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
            group_decisions.push(decision);
        }
        decisions.push(group_decisions);
    }
    let mut accepted = Accepted::default();
    for (group, group_decisions) in open.iter().zip(&decisions) {
        for (take, decision) in group.takes.iter().zip(group_decisions) {
            if let (Take::Book(request), Decision::Book(claim)) = (take, decision) {
                accepted.requests.push(request);
                accepted.claims.push(claim);
            }
        }
    }
    // Bookings are keyed by event and user: one user may book several events at once.
    let mut made: HashMap<(i64, i64), Booking> = HashMap::new();
    if !accepted.requests.is_empty() || !refused_booking_keys.is_empty() {
        let counts: Vec<(EventId, &Inventory)> = open.iter().map(|g| g.event).zip(&inventories).collect();
        for row in write(conn, &counts, &accepted, &refused_booking_keys).await? {
            let booking = Booking::try_from(row).map_err(store_failure)?;
            made.insert((booking.event_id.get(), booking.user_id.get()), booking);
        }
    }
    let mut holds: HashMap<(i64, i64), Hold> = HashMap::new();
    for (group, group_decisions) in open.iter().zip(&decisions) {
        let (mut requests, mut claims) = (Vec::new(), Vec::new());
        for (take, decision) in group.takes.iter().zip(group_decisions) {
            if let (Take::Hold(request), Decision::Hold(claim)) = (take, decision) {
                requests.push(request);
                claims.push(claim);
            }
        }
        if !requests.is_empty() {
            for hold in insert_holds(conn, group.event, &requests, &claims, group.ttl).await? {
                holds.insert((hold.event_id.get(), hold.user_id.get()), hold);
            }
        }
    }
    forget_keys(conn, &refused_hold_keys).await?;
    // Confirmations: one statement makes the bookings of the holds confirmed first here;
    // holds confirmed earlier answer their booking again.
    let mut confirmed: HashMap<HoldId, Booking> = HashMap::new();
    let mut first: Vec<(i64, Option<&str>)> = Vec::new();
    let mut confirmed_events: Vec<(EventId, &Inventory)> = Vec::new();
    for ((group, group_decisions), inventory) in open.iter().zip(&decisions).zip(&inventories) {
        let before = first.len();
        for (take, decision) in group.takes.iter().zip(group_decisions) {
            if let (Take::Confirm { hold, payment_reference, .. }, Decision::Confirm { first: true, .. }) =
                (take, decision)
            {
                first.push((hold.get(), payment_reference.as_ref().map(PaymentReference::as_str)));
            }
        }
        if first.len() > before {
            confirmed_events.push((group.event, inventory));
        }
    }
    if !first.is_empty() {
        for (hold, booking) in confirm_holds(conn, &first).await? {
            confirmed.insert(hold, booking);
        }
        for (event, inventory) in confirmed_events {
            write_counts(conn, event, inventory).await?;
        }
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
    for (group, group_decisions) in open.iter().zip(decisions) {
        let event = group.event.get();
        let answers = group
            .takes
            .iter()
            .zip(group_decisions)
            .map(|(take, decision)| match decision {
                Decision::Answered(answer) => answer,
                Decision::Book(_) => Taken::Book(
                    made.remove(&(event, user_of(take)))
                        .map(|booking| BookOutcome { booking, replayed: false })
                        .ok_or_else(|| BookError::Store(lost())),
                ),
                Decision::Hold(_) => Taken::Hold(
                    holds
                        .remove(&(event, user_of(take)))
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
            .collect();
        decided.answers.push((group.event, answers));
    }
    Ok(decided)
}

/// The requests the rules accepted, with what each was given.
#[derive(Default)]
struct Accepted<'a> {
    requests: Vec<&'a BookingRequest>,
    claims: Vec<&'a Claim>,
}

/// One statement: the events' and their tiers' new seat counts (`counts`), the accepted
/// bookings (one per user and event, at their tier's price), each linked to its
/// request's idempotency key, and the keys of refused requests forgotten.
async fn write(
    conn: &mut AsyncPgConnection,
    counts: &[(EventId, &Inventory)],
    accepted: &Accepted<'_>,
    refused_keys: &[(i64, &str)],
) -> diesel::QueryResult<Vec<BookingRow>> {
    let events: Vec<i64> = accepted.requests.iter().map(|r| r.event_id.get()).collect();
    let users: Vec<i64> = accepted.requests.iter().map(|r| r.user_id.get()).collect();
    let seats: Vec<i32> = accepted.requests.iter().map(|r| seat_count(r.seats().get())).collect();
    let tiers: Vec<i64> = accepted.claims.iter().map(|c| c.tier.get()).collect();
    let (numbers, labels): (Vec<Option<String>>, Vec<Option<String>>) =
        accepted.claims.iter().map(|c| literals(c.placement.as_ref())).unzip();
    // Each accepted request's key by "event:user", for an index lookup per booking (a join
    // against the arrays would compare every booking with every key).
    let keys: serde_json::Map<String, serde_json::Value> = accepted
        .requests
        .iter()
        .filter_map(|r| {
            let key = r.idempotency_key.as_ref()?;
            Some((format!("{}:{}", r.event_id.get(), r.user_id.get()), key.as_str().into()))
        })
        .collect();
    let keys = serde_json::Value::Object(keys).to_string();
    let (forget_users, forget_keys): (Vec<i64>, Vec<&str>) = refused_keys.iter().copied().unzip();
    let (counted, booked): (Vec<i64>, Vec<i32>) =
        counts.iter().map(|(event, inventory)| (event.get(), seat_count(inventory.booked()))).unzip();
    let (tier_ids, tier_booked): (Vec<i64>, Vec<i32>) = counts
        .iter()
        .map(|(_, inventory)| tier_counts(inventory))
        .fold((Vec::new(), Vec::new()), |(mut ids, mut booked), (i, b)| {
            ids.extend(i);
            booked.extend(b);
            (ids, booked)
        });
    diesel::sql_query(format!(
        "WITH e AS (UPDATE events SET booked_seats = n.b FROM unnest($8::bigint[], $9::int[]) AS n(id, b) \
               WHERE events.id = n.id AND events.booked_seats <> n.b), \
         tc AS (UPDATE tiers SET booked_seats = n.b FROM unnest($10::bigint[], $11::int[]) AS n(id, b) \
               WHERE tiers.id = n.id AND tiers.booked_seats <> n.b), \
         b AS (INSERT INTO bookings (event_id, user_id, seats, source, tier_id, unit_price_cents, currency, \
                 seat_numbers, seat_labels) \
               SELECT t.e, t.u, t.s, 'direct', t.tier, p.price_cents, v.currency, t.n::int[], t.l::text[] \
               FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::bigint[], $5::text[], $6::text[]) \
                 AS t(e, u, s, tier, n, l) \
               JOIN tiers p ON p.id = t.tier AND p.event_id = t.e JOIN events v ON v.id = t.e \
               RETURNING {BOOKING_COLUMNS}), \
         k AS (UPDATE idempotency_keys i SET booking_id = b.id FROM b \
               WHERE i.user_id = b.user_id AND i.key = $7::jsonb ->> (b.event_id || ':' || b.user_id)), \
         f AS (DELETE FROM idempotency_keys \
               WHERE (user_id, key) IN (SELECT * FROM unnest($12::bigint[], $13::text[]))) \
         SELECT {BOOKING_COLUMNS} FROM b"
    ))
    .bind::<Array<BigInt>, _>(&events)
    .bind::<Array<BigInt>, _>(&users)
    .bind::<Array<Integer>, _>(&seats)
    .bind::<Array<BigInt>, _>(&tiers)
    .bind::<Array<Nullable<Text>>, _>(&numbers)
    .bind::<Array<Nullable<Text>>, _>(&labels)
    .bind::<Text, _>(&keys)
    .bind::<Array<BigInt>, _>(&counted)
    .bind::<Array<Integer>, _>(&booked)
    .bind::<Array<BigInt>, _>(&tier_ids)
    .bind::<Array<Integer>, _>(&tier_booked)
    .bind::<Array<BigInt>, _>(&forget_users)
    .bind::<Array<Text>, _>(&forget_keys)
    .prepared()
    .load(conn)
    .await
}
