//! On-sale queues in PostgreSQL. Joining, reading and advancing never take the event's
//! row lock (bookings keep it to themselves); a queue is advanced under its own row in
//! `queues`, taken `FOR UPDATE SKIP LOCKED` so one instance at a time decides it.

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl as _};
use evently_domain::notification::Notice;
use evently_domain::queue::{
    AdmitRate, JoinQueueError, Joined, QueueFigures, QueueRepository, QueueStatus, QueueTicket, WaitingOrder,
    admissible, draw_key,
};
use evently_domain::{EventId, QueueTicketId, StoreError, UserId};

use super::PgStore;
use super::error::{TxError, classify};
use super::inventory::store_failure;
use super::notifications::write_notices;
use super::prepared::Prepare as _;
use super::rows::{Answer, id, queue_settings};
use crate::randomness::secure_random;

#[derive(QueryableByName)]
struct TicketRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    event_id: i64,
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Timestamptz)]
    joined_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    admitted_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    expires_at: Option<DateTime<Utc>>,
}

const TICKET_COLUMNS: &str = "id, event_id, user_id, status, joined_at, admitted_at, expires_at";

impl TryFrom<TicketRow> for QueueTicket {
    type Error = StoreError;

    fn try_from(row: TicketRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: id(row.id, QueueTicketId::new)?,
            event_id: id(row.event_id, EventId::new)?,
            user_id: id(row.user_id, UserId::new)?,
            status: QueueStatus::parse(&row.status)
                .ok_or_else(|| StoreError::Unknown(anyhow::anyhow!("corrupt row: invalid queue status")))?,
            position: None,
            estimated_wait_seconds: None,
            joined_at: row.joined_at,
            admitted_at: row.admitted_at,
            expires_at: row.expires_at,
        })
    }
}

/// An event as joining its queue sees it.
#[derive(QueryableByName)]
struct Gate {
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Bool)]
    queued: bool,
    #[diesel(sql_type = Bool)]
    closed: bool,
}

/// Where a queue stands, as its advancing instance reads it (its row locked).
#[derive(QueryableByName)]
struct Standing {
    #[diesel(sql_type = Timestamptz)]
    starts_at: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    admitted: i64,
    #[diesel(sql_type = Timestamptz)]
    now: DateTime<Utc>,
    #[diesel(sql_type = Integer)]
    rate: i32,
    #[diesel(sql_type = Integer)]
    ttl: i32,
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

#[derive(QueryableByName)]
struct UserRow {
    #[diesel(sql_type = BigInt)]
    user_id: i64,
}

#[derive(QueryableByName)]
struct OrderHead {
    #[diesel(sql_type = Integer)]
    rate: i32,
    #[diesel(sql_type = Bool)]
    drawn: bool,
}

#[derive(QueryableByName)]
struct FiguresRow {
    #[diesel(sql_type = BigInt)]
    waiting: i64,
    #[diesel(sql_type = BigInt)]
    admitted: i64,
    #[diesel(sql_type = BigInt)]
    expired: i64,
    #[diesel(sql_type = BigInt)]
    closed: i64,
    #[diesel(sql_type = Nullable<Integer>)]
    rate: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    ttl: Option<i32>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    on_sale_at: Option<DateTime<Utc>>,
}

/// The order of waiting tickets: early ones by draw key, then arrival.
const ORDER: &str = "(rank IS NULL), rank, joined_at, id";

fn count(raw: i64) -> u32 {
    u32::try_from(raw).unwrap_or(u32::MAX)
}

async fn find(conn: &mut AsyncPgConnection, event: EventId, user: UserId) -> diesel::QueryResult<Vec<TicketRow>> {
    diesel::sql_query(format!("SELECT {TICKET_COLUMNS} FROM queue_tickets WHERE event_id = $1 AND user_id = $2"))
        .bind::<BigInt, _>(event.get())
        .bind::<BigInt, _>(user.get())
        .prepared()
        .load(conn)
        .await
}

impl QueueRepository for PgStore {
    async fn join_queue(&self, event: EventId, user: UserId) -> Result<Joined, JoinQueueError> {
        let mut conn = self.conn().await?;
        let gate: Vec<Gate> = diesel::sql_query(
            "SELECT e.status, e.queue_admit_per_minute IS NOT NULL AS queued, COALESCE(q.closed, false) AS closed \
             FROM events e LEFT JOIN queues q ON q.event_id = e.id WHERE e.id = $1",
        )
        .bind::<BigInt, _>(event.get())
        .prepared()
        .load(&mut conn)
        .await
        .map_err(classify)?;
        let gate = gate.into_iter().next().ok_or(JoinQueueError::EventNotFound)?;
        if gate.status == "cancelled" {
            return Err(JoinQueueError::EventCancelled);
        }
        if !gate.queued {
            return Err(JoinQueueError::NoQueue);
        }
        if let Some(mine) = find(&mut conn, event, user).await.map_err(classify)?.pop() {
            return Ok(Joined { ticket: QueueTicket::try_from(mine)?, created: false });
        }
        if gate.closed {
            return Err(JoinQueueError::Closed);
        }
        // Taken before the on-sale instant: a secret draw key orders it among the early ones.
        let made: Vec<TicketRow> = diesel::sql_query(format!(
            "WITH c AS (SELECT clock_timestamp() AS at) \
             INSERT INTO queue_tickets (event_id, user_id, joined_at, rank) \
             SELECT $1, u.id, c.at, CASE WHEN c.at < e.on_sale_at THEN $3 END \
             FROM users u, events e, c WHERE u.id = $2 AND e.id = $1 \
             ON CONFLICT (event_id, user_id) DO NOTHING RETURNING {TICKET_COLUMNS}"
        ))
        .bind::<BigInt, _>(event.get())
        .bind::<BigInt, _>(user.get())
        .bind::<BigInt, _>(draw_key(secure_random()))
        .prepared()
        .load(&mut conn)
        .await
        .map_err(classify)?;
        if let Some(made) = made.into_iter().next() {
            return Ok(Joined { ticket: QueueTicket::try_from(made)?, created: true });
        }
        // Taken by a concurrent request of the same user, or no such account.
        match find(&mut conn, event, user).await.map_err(classify)?.pop() {
            Some(mine) => Ok(Joined { ticket: QueueTicket::try_from(mine)?, created: false }),
            None => Err(JoinQueueError::UnknownUser),
        }
    }

    async fn find_queue_ticket(&self, event: EventId, user: UserId) -> Result<Option<QueueTicket>, StoreError> {
        let mut conn = self.conn().await?;
        find(&mut conn, event, user).await.map_err(classify)?.pop().map(QueueTicket::try_from).transpose()
    }

    async fn waiting_order(&self, event: EventId) -> Result<Option<WaitingOrder>, StoreError> {
        let conn = self.conn().await?;
        let (head, users) =
            tokio::join!(
            diesel::sql_query(
                "SELECT e.queue_admit_per_minute AS rate, q.starts_at <= now() AS drawn \
                 FROM events e JOIN queues q ON q.event_id = e.id \
                 WHERE e.id = $1 AND e.queue_admit_per_minute IS NOT NULL",
            )
            .bind::<BigInt, _>(event.get())
            .prepared().load::<OrderHead>(&mut &*conn),
            diesel::sql_query(format!(
                "SELECT {TICKET_COLUMNS} FROM queue_tickets WHERE event_id = $1 ORDER BY status <> 'waiting', {ORDER}"
            ))
            .bind::<BigInt, _>(event.get())
            .prepared().load::<TicketRow>(&mut &*conn)
        );
        let Some(head) = head.map_err(classify)?.pop() else { return Ok(None) };
        let rate = AdmitRate::new(i64::from(head.rate))
            .map_err(|_| StoreError::Unknown(anyhow::anyhow!("corrupt row: invalid queue rate")))?;
        let tickets = users.map_err(classify)?.into_iter().map(QueueTicket::try_from).collect::<Result<_, _>>()?;
        Ok(Some(WaitingOrder { rate, drawn: head.drawn, tickets }))
    }

    async fn queue_figures(&self, event: EventId) -> Result<Option<QueueFigures>, StoreError> {
        let mut conn = self.conn().await?;
        let row: FiguresRow = diesel::sql_query(
            "SELECT count(*) FILTER (WHERE t.status = 'waiting') AS waiting, \
               count(*) FILTER (WHERE t.status = 'admitted' AND t.expires_at > now()) AS admitted, \
               count(*) FILTER (WHERE t.status = 'expired' OR (t.status = 'admitted' AND t.expires_at <= now())) AS expired, \
               count(*) FILTER (WHERE t.status = 'closed') AS closed, \
               e.queue_admit_per_minute AS rate, e.queue_admission_ttl_seconds AS ttl, e.on_sale_at \
             FROM events e LEFT JOIN queue_tickets t ON t.event_id = e.id WHERE e.id = $1 GROUP BY e.id",
        )
        .bind::<BigInt, _>(event.get())
        .prepared().get_result(&mut conn)
        .await
        .or_else(|e| if e == diesel::result::Error::NotFound { Ok(none_row()) } else { Err(e) })
        .map_err(classify)?;
        let Some(settings) = queue_settings(row.rate, row.ttl)? else { return Ok(None) };
        Ok(Some(QueueFigures {
            waiting: count(row.waiting),
            admitted: count(row.admitted),
            expired: count(row.expired),
            closed: count(row.closed),
            admit_per_minute: settings.admit_per_minute,
            on_sale_at: row.on_sale_at,
        }))
    }

    async fn advance_queues(&self) -> Result<Vec<EventId>, StoreError> {
        let mut conn = self.conn().await?;
        let due: Vec<IdRow> = diesel::sql_query(
            "SELECT q.event_id AS id FROM queues q JOIN events e ON e.id = q.event_id \
             WHERE NOT q.closed AND q.starts_at <= now() AND e.status = 'scheduled'",
        )
        .prepared()
        .load(&mut conn)
        .await
        .map_err(classify)?;
        drop(conn);
        let mut changed = Vec::new();
        for row in due {
            let event = id(row.id, EventId::new)?;
            if self.write(move |conn| Box::pin(advance(conn, event))).await? {
                changed.push(event);
            }
        }
        Ok(changed)
    }
}

fn none_row() -> FiguresRow {
    FiguresRow { waiting: 0, admitted: 0, expired: 0, closed: 0, rate: None, ttl: None, on_sale_at: None }
}

/// Advances one queue in the caller's transaction, unless another instance holds it:
/// lapses admissions, admits the front at the pace (the early tickets in draw-key order)
/// and closes the queue once the event sold out. Whether anything changed.
async fn advance(conn: &mut AsyncPgConnection, event: EventId) -> Result<bool, TxError<StoreError>> {
    let standing: Vec<Standing> = diesel::sql_query(
        "SELECT q.starts_at, q.admitted, now() AS now, e.queue_admit_per_minute AS rate, \
           e.queue_admission_ttl_seconds AS ttl, e.name \
         FROM queues q JOIN events e ON e.id = q.event_id \
         WHERE q.event_id = $1 AND NOT q.closed AND e.queue_admit_per_minute IS NOT NULL \
         FOR UPDATE OF q SKIP LOCKED",
    )
    .bind::<BigInt, _>(event.get())
    .prepared()
    .load(conn)
    .await?;
    let Some(standing) = standing.into_iter().next() else { return Ok(false) };
    let Some(settings) = queue_settings(Some(standing.rate), Some(standing.ttl)).map_err(store_failure)? else {
        return Ok(false);
    };
    if standing.now < standing.starts_at {
        return Ok(false);
    }
    let lapsed = diesel::sql_query(
        "UPDATE queue_tickets SET status = 'expired' WHERE event_id = $1 AND status = 'admitted' AND expires_at <= now()",
    )
    .bind::<BigInt, _>(event.get())
    .prepared().execute(conn)
    .await?;
    let admitted = u64::try_from(standing.admitted).unwrap_or(0);
    let due = admissible(settings.admit_per_minute, standing.now - standing.starts_at).saturating_sub(admitted);
    let mut admitted_now = 0;
    if due > 0 {
        admitted_now = diesel::sql_query(format!(
            "WITH next AS (SELECT id FROM queue_tickets WHERE event_id = $1 AND status = 'waiting' ORDER BY {ORDER} \
                           LIMIT $2), \
                  a AS (UPDATE queue_tickets t SET status = 'admitted', admitted_at = now(), \
                          expires_at = now() + make_interval(secs => $3) FROM next WHERE t.id = next.id RETURNING t.id) \
             UPDATE queues SET admitted = admitted + (SELECT count(*) FROM a) WHERE event_id = $1 \
             RETURNING admitted"
        ))
        .bind::<BigInt, _>(event.get())
        .bind::<BigInt, _>(i64::try_from(due).unwrap_or(i64::MAX))
        .bind::<Integer, _>(i32::try_from(settings.admission_ttl.get()).unwrap_or(i32::MAX))
        .prepared().execute(conn)
        .await?;
    }
    let mut changed = lapsed > 0 || admitted_now > 0;
    // Sold out: nothing held, and no tier has a free seat.
    let sold_out: Answer = diesel::sql_query(
        "SELECT NOT EXISTS (SELECT 1 FROM holds h WHERE h.event_id = e.id AND h.status = 'active' AND h.expires_at > now()) \
           AND (e.booked_seats >= e.capacity OR NOT EXISTS (SELECT 1 FROM tiers t WHERE t.event_id = e.id \
                 AND (t.capacity IS NULL OR t.booked_seats < t.capacity))) AS answer \
         FROM events e WHERE e.id = $1",
    )
    .bind::<BigInt, _>(event.get())
    .prepared().get_result(conn)
    .await?;
    if sold_out.answer {
        let closed: Vec<UserRow> = diesel::sql_query(
            "WITH c AS (UPDATE queue_tickets SET status = 'closed' WHERE event_id = $1 AND status = 'waiting' \
                        RETURNING user_id), \
                  q AS (UPDATE queues SET closed = true WHERE event_id = $1) \
             SELECT user_id FROM c",
        )
        .bind::<BigInt, _>(event.get())
        .prepared()
        .load(conn)
        .await?;
        let notices = closed
            .into_iter()
            .map(|row| Ok(Notice::queue_closed(id(row.user_id, UserId::new)?, event, &standing.name)))
            .collect::<Result<Vec<_>, StoreError>>()
            .map_err(store_failure)?;
        write_notices(conn, &notices).await?;
        changed = true;
    }
    Ok(changed)
}
