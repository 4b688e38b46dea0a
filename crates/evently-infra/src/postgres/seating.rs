//! Seated events: their plans, kept row by row, and their claimed seats.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Integer, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl as _};
use evently_domain::seating::{
    Placement, RowLabel, RowPlan, SeatChart, SeatMap, SeatNo, SeatStatus, SeatingPlan, SectionName, SectionPlan,
};
use evently_domain::{EventId, StoreError, TierId};

use super::error::classify;
use super::prepared::{Prepare as _, Statement};
use super::rows::{id, seat_count};

/// A row of a plan, in plan order.
#[derive(QueryableByName)]
struct PlanRow {
    #[diesel(sql_type = Text)]
    section: String,
    #[diesel(sql_type = BigInt)]
    tier_id: i64,
    #[diesel(sql_type = Text)]
    label: String,
    #[diesel(sql_type = Integer)]
    seats: i32,
}

/// The seats claimed, by the seat's position in plan order.
#[derive(QueryableByName)]
pub(super) struct ClaimedRow {
    #[diesel(sql_type = Array<Integer>)]
    seats: Vec<i32>,
}

/// The plans of events seen so far (`None`: not seated), which never change once an
/// event is created: a seat-changing transaction reads them from here rather than from
/// the database.
#[derive(Debug, Default)]
pub(super) struct Plans(Mutex<HashMap<EventId, Option<Arc<SeatingPlan<TierId>>>>>);

/// The most events [`Plans`] remembers; it starts over beyond.
const PLANS_KEPT: usize = 10_000;

impl Plans {
    /// `event`'s plan if it is known (`Some(None)`: known not to be seated).
    fn known(&self, event: EventId) -> Option<Option<Arc<SeatingPlan<TierId>>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).get(&event).cloned()
    }

    /// Remembers `event`'s plan.
    fn learn(&self, event: EventId, plan: Option<Arc<SeatingPlan<TierId>>>) {
        let mut plans = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if plans.len() >= PLANS_KEPT {
            plans.clear();
        }
        plans.insert(event, plan);
    }
}

/// What a seat-changing transaction read of an event's seats behind its lock: the plan
/// (or what [`Plans`] knew of it) and, for a seated event, the claimed seats.
pub(super) struct SeatRead {
    event: EventId,
    known: Option<Option<Arc<SeatingPlan<TierId>>>>,
    rows: diesel::QueryResult<Option<Vec<PlanRow>>>,
    claimed: diesel::QueryResult<Option<ClaimedRow>>,
}

/// Reads `event`'s seats, to be polled beside the event's lock in one pipeline: its
/// plan only when `plans` does not know it yet (plans never change), its claimed seats
/// only when it is (or may be) seated.
pub(super) async fn read_seats(conn: &AsyncPgConnection, plans: &Plans, event: EventId) -> SeatRead {
    let known = plans.known(event);
    let (rows, claimed) = tokio::join!(
        async {
            match &known {
                Some(_) => Ok(None),
                None => plan_query(event).load::<PlanRow>(&mut &*conn).await.map(Some),
            }
        },
        async {
            match &known {
                Some(None) => Ok(None),
                _ => claimed_query(event).get_result::<ClaimedRow>(&mut &*conn).await.map(Some),
            }
        },
    );
    SeatRead { event, known, rows, claimed }
}

impl SeatRead {
    /// The event whose seats these are.
    pub(super) fn event(&self) -> EventId {
        self.event
    }

    /// The seats read, the plan remembered in `plans`. Call it only once the lock was
    /// granted: a failed lock fails the statements behind it, and its own error is the
    /// one to report.
    pub(super) fn seats(self, plans: &Plans) -> Result<Seats, StoreError> {
        let plan = match self.known {
            Some(plan) => plan,
            None => {
                let plan = plan(self.rows.map_err(classify)?.unwrap_or_default())?;
                plans.learn(self.event, plan.clone());
                plan
            }
        };
        Ok(Seats { plan, claimed: self.claimed })
    }
}

/// An event's plan (`None`: not seated) and its claimed seats (read only for a seated
/// event).
pub(super) struct Seats {
    pub plan: Option<Arc<SeatingPlan<TierId>>>,
    pub claimed: diesel::QueryResult<Option<ClaimedRow>>,
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Unknown(anyhow::anyhow!("corrupt seating plan: {what}"))
}

/// An event's plan rows in plan order (none unless it is seated).
fn plan_query(event: EventId) -> Statement {
    diesel::sql_query("SELECT section, tier_id, label, seats FROM seat_rows WHERE event_id = $1 ORDER BY position")
        .into_boxed()
        .bind::<BigInt, _>(event.get())
        .prepared()
}

/// The event's claimed seats: its bookings' and those of its holds not past their time
/// (as the stock counts them, whether or not the expiry has marked them yet). Like the
/// holdings, it must run as a statement of its own after the lock is granted.
fn claimed_query(event: EventId) -> Statement {
    diesel::sql_query(
        "SELECT COALESCE(array_agg(c.seat), '{}') AS seats FROM seat_claims c LEFT JOIN holds h ON h.id = c.hold_id \
         WHERE c.event_id = $1 AND (c.hold_id IS NULL OR h.expires_at > now())",
    )
    .into_boxed()
    .bind::<BigInt, _>(event.get())
    .prepared()
}

/// The plan its rows make; `None` for an event without seats.
fn plan(rows: Vec<PlanRow>) -> Result<Option<Arc<SeatingPlan<TierId>>>, StoreError> {
    if rows.is_empty() {
        return Ok(None);
    }
    let mut sections: Vec<SectionPlan<TierId>> = Vec::new();
    for row in rows {
        let label = RowLabel::new(&row.label).map_err(|_| corrupt("row label"))?;
        let plan = RowPlan::new(label, i64::from(row.seats)).map_err(|_| corrupt("row seats"))?;
        match sections.last_mut() {
            Some(last) if last.name.as_str() == row.section => last.rows.push(plan),
            _ => sections.push(SectionPlan {
                name: SectionName::new(&row.section).map_err(|_| corrupt("section name"))?,
                tier: id(row.tier_id, TierId::new)?,
                rows: vec![plan],
            }),
        }
    }
    SeatingPlan::new(sections).map(|plan| Some(Arc::new(plan))).map_err(|e| corrupt(&e.to_string()))
}

/// The seat map of a seated event whose claimed seats are `claimed`.
pub(super) fn map(plan: Arc<SeatingPlan<TierId>>, claimed: ClaimedRow) -> Result<SeatMap, StoreError> {
    SeatMap::new(plan, seat_numbers(&claimed.seats)?).map_err(|e| corrupt(&e.to_string()))
}

fn seat_numbers(raw: &[i32]) -> Result<Vec<SeatNo>, StoreError> {
    raw.iter().map(|&n| u32::try_from(n).map(SeatNo::new).map_err(|_| corrupt("seat number"))).collect()
}

/// The seat numbers of a placement, as the database keeps them (`NULL` for none).
pub(super) fn numbers(placement: Option<&Placement>) -> Option<Vec<i32>> {
    placement.map(|p| p.seats().iter().map(|s| seat_count(s.get())).collect())
}

/// The seat labels of a placement, as the database keeps them (`NULL` for none).
pub(super) fn labels(placement: Option<&Placement>) -> Option<Vec<&str>> {
    placement.map(|p| p.labels().iter().map(String::as_str).collect())
}

/// A placement's seat numbers and labels as array literals, for one element each of
/// `text[]` parameters cast row by row to `int[]` and `text[]` (`NULL`s for none).
pub(super) fn literals(placement: Option<&Placement>) -> (Option<String>, Option<String>) {
    let Some(placement) = placement else { return (None, None) };
    let numbers: Vec<String> = placement.seats().iter().map(|s| s.get().to_string()).collect();
    let quote = |label: &String| format!("\"{}\"", label.replace('\\', "\\\\").replace('"', "\\\""));
    let labels: Vec<String> = placement.labels().iter().map(quote).collect();
    (Some(format!("{{{}}}", numbers.join(","))), Some(format!("{{{}}}", labels.join(","))))
}

/// Stores a new event's plan, its sections' tiers by position in `tiers`.
pub(super) async fn insert_plan(
    conn: &mut AsyncPgConnection,
    event: i64,
    plan: &SeatingPlan<usize>,
    tiers: &[i64],
) -> diesel::QueryResult<()> {
    let mut sections = Vec::new();
    let mut tier_ids = Vec::new();
    let mut labels = Vec::new();
    let mut firsts = Vec::new();
    let mut counts = Vec::new();
    for (section, row, first) in plan.rows() {
        sections.push(section.name.as_str());
        tier_ids.push(tiers.get(section.tier).copied().unwrap_or_default());
        labels.push(row.label().as_str());
        firsts.push(seat_count(first.get()));
        counts.push(seat_count(row.seats()));
    }
    diesel::sql_query(
        "INSERT INTO seat_rows (event_id, position, section, tier_id, label, first, seats) \
         SELECT $1, r.o - 1, r.s, r.t, r.l, r.f, r.n \
         FROM unnest($2::text[], $3::bigint[], $4::text[], $5::int[], $6::int[]) WITH ORDINALITY AS r(s, t, l, f, n, o)",
    )
    .bind::<BigInt, _>(event)
    .bind::<Array<Text>, _>(&sections)
    .bind::<Array<BigInt>, _>(&tier_ids)
    .bind::<Array<Text>, _>(&labels)
    .bind::<Array<Integer>, _>(&firsts)
    .bind::<Array<Integer>, _>(&counts)
    .prepared().execute(conn)
    .await?;
    Ok(())
}

#[derive(QueryableByName)]
struct TakenRow {
    #[diesel(sql_type = Integer)]
    seat: i32,
    /// When its hold lapses; `None` for a booked seat.
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    lapses_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A seated event's seats as they are now: claims of holds past their time are free.
pub(super) async fn chart(conn: &mut AsyncPgConnection, event: EventId) -> Result<Option<SeatChart>, StoreError> {
    let (rows, taken) = tokio::join!(
        plan_query(event).load::<PlanRow>(&mut &*conn),
        diesel::sql_query(
            "SELECT c.seat, h.expires_at AS lapses_at FROM seat_claims c \
             LEFT JOIN holds h ON h.id = c.hold_id \
             WHERE c.event_id = $1 AND (c.hold_id IS NULL OR (h.status = 'active' AND h.expires_at > now()))",
        )
        .bind::<BigInt, _>(event.get())
        .prepared()
        .load::<TakenRow>(&mut &*conn)
    );
    let Some(plan) = plan(rows.map_err(classify)?)? else { return Ok(None) };
    let taken = taken.map_err(classify)?;
    let lapse = taken.iter().filter_map(|t| t.lapses_at).min();
    let taken = taken
        .into_iter()
        .map(|t| {
            let seat = u32::try_from(t.seat).map(SeatNo::new).map_err(|_| corrupt("seat number"))?;
            Ok((seat, if t.lapses_at.is_some() { SeatStatus::Held } else { SeatStatus::Booked }))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    SeatChart::new(plan, taken, lapse).map(Some).map_err(|e| corrupt(&e.to_string()))
}
