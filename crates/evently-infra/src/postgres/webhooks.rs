//! Webhooks: endpoints, the outbox the triggers of migration 6 fill in each change's own
//! transaction, and deliveries claimed with `FOR UPDATE SKIP LOCKED` under a lease.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Text, Timestamptz};
use diesel::{OptionalExtension as _, QueryableByName};
use diesel_async::RunQueryDsl as _;
use evently_domain::booking::Booking;
use evently_domain::event::EventRepository as _;
use evently_domain::hold::Hold;
use evently_domain::ticket::Ticket;
use evently_domain::webhook::{
    Attempt, AttemptResult, Claim, Delivery, DeliveryStatus, Due, Endpoint, EndpointPatch, EventType, Message,
    MessageData, NewEndpoint, Secret, WebhookRepository, WebhookUrl,
};
use evently_domain::{DeliveryId, EndpointId, EventId, MessageId, Page, PageRequest, StoreError};

use super::PgStore;
use super::error::classify;
use super::prepared::Prepare as _;
use super::rows::{
    BOOKING_COLUMNS, BookingRow, Counted, HOLD_COLUMNS, HoldRow, TICKET_COLUMNS, TicketRow, Total, counted_page, id,
};
use super::users::{offset, table_page};

fn corrupt(what: &str) -> StoreError {
    StoreError::Unknown(anyhow::anyhow!("corrupt row: invalid {what}"))
}

#[derive(QueryableByName)]
struct EndpointRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    url: String,
    #[diesel(sql_type = Array<Text>)]
    event_types: Vec<String>,
    #[diesel(sql_type = Text)]
    description: String,
    #[diesel(sql_type = Bool)]
    enabled: bool,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
}

const ENDPOINT_COLUMNS: &str = "id, url, event_types, description, enabled, created_at";

fn event_types(raw: &[String]) -> Result<Vec<EventType>, StoreError> {
    raw.iter().map(|t| EventType::parse(t).ok_or_else(|| corrupt("event type"))).collect()
}

fn type_names(types: &[EventType]) -> Vec<&'static str> {
    types.iter().map(|t| t.as_str()).collect()
}

impl TryFrom<EndpointRow> for Endpoint {
    type Error = StoreError;

    fn try_from(row: EndpointRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: id(row.id, EndpointId::new)?,
            url: WebhookUrl::new(&row.url).map_err(|_| corrupt("url"))?,
            event_types: event_types(&row.event_types)?,
            description: row.description,
            enabled: row.enabled,
            created_at: row.created_at,
        })
    }
}

#[derive(QueryableByName)]
struct DeliveryRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    message_id: i64,
    #[diesel(sql_type = Text)]
    event_type: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = Nullable<Integer>)]
    last_status_code: Option<i32>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    due_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
}

impl TryFrom<DeliveryRow> for Delivery {
    type Error = StoreError;

    fn try_from(row: DeliveryRow) -> Result<Self, StoreError> {
        let status = DeliveryStatus::parse(&row.status).ok_or_else(|| corrupt("delivery status"))?;
        Ok(Self {
            id: id(row.id, DeliveryId::new)?,
            message_id: id(row.message_id, MessageId::new)?,
            event_type: EventType::parse(&row.event_type).ok_or_else(|| corrupt("event type"))?,
            status,
            attempts: u32::try_from(row.attempts).map_err(|_| corrupt("attempts"))?,
            last_status_code: row.last_status_code.and_then(|c| u16::try_from(c).ok()),
            // Only a failed delivery shows when its retry is due.
            next_attempt_at: row.due_at.filter(|_| status == DeliveryStatus::Failed),
            created_at: row.created_at,
        })
    }
}

/// Attempts as the columns one statement records them from.
#[derive(Default)]
struct AttemptColumns {
    delivery: Vec<i64>,
    at: Vec<DateTime<Utc>>,
    code: Vec<Option<i32>>,
    error: Vec<Option<String>>,
    took_ms: Vec<i32>,
    status: Vec<&'static str>,
    due_at: Vec<Option<DateTime<Utc>>>,
    disable: Vec<i64>,
}

impl AttemptColumns {
    fn push(&mut self, due: &Due, attempt: &Attempt) {
        let (code, error) = match &attempt.result {
            AttemptResult::Answered { status, .. } => (Some(i32::from(*status)), None),
            AttemptResult::Failed(why) | AttemptResult::Refused(why) => (None, Some(why.clone())),
        };
        self.delivery.push(due.delivery.get());
        self.at.push(attempt.at);
        self.code.push(code);
        self.error.push(error);
        self.took_ms.push(i32::try_from(attempt.took.as_millis()).unwrap_or(i32::MAX));
        self.status.push(attempt.status.as_str());
        self.due_at.push(attempt.next_attempt_at.filter(|_| attempt.status == DeliveryStatus::Failed));
        if attempt.disable_endpoint {
            self.disable.push(due.endpoint.get());
        }
    }
}

/// A claimed delivery with its endpoint and message, before the message's data is read.
#[derive(QueryableByName)]
struct ClaimRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    endpoint_id: i64,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = Text)]
    url: String,
    #[diesel(sql_type = Text)]
    secret: String,
    #[diesel(sql_type = Nullable<Text>)]
    previous_secret: Option<String>,
    #[diesel(sql_type = BigInt)]
    message_id: i64,
    #[diesel(sql_type = Text)]
    event_type: String,
    #[diesel(sql_type = Text)]
    resource: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    event_id: Option<i64>,
    #[diesel(sql_type = Timestamptz)]
    message_created_at: DateTime<Utc>,
}

/// A snapshot row of a message, with the message it belongs to.
#[derive(QueryableByName)]
struct Snapshot<R: QueryableByName<diesel::pg::Pg>> {
    #[diesel(sql_type = BigInt)]
    message_id: i64,
    #[diesel(embed)]
    row: R,
}

/// Statements' rows of messages fanned out per claim, at most.
const FAN_OUTS_PER_CLAIM: i64 = 64;

/// Makes the deliveries of messages written at least `deferred_ms` ago, one for each
/// endpoint enabled at the change that subscribes to the message's type, due since the
/// message was written. A change's transaction leaves only its messages and one row
/// naming them and those endpoints (`webhook_fan_outs`): their deliveries, with their
/// indexes and foreign keys, are made here, outside it.
async fn fan_out(conn: &mut super::Conn, deferred_ms: i64) -> Result<(), StoreError> {
    diesel::sql_query(
        "WITH f AS (DELETE FROM webhook_fan_outs WHERE id = ANY (ARRAY( \
                      SELECT id FROM webhook_fan_outs WHERE created_at <= now() - $1 * interval '1 millisecond' \
                      ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)) \
                    RETURNING messages, endpoints) \
         INSERT INTO webhook_deliveries (endpoint_id, message_id, due_at) \
         SELECT e.id, m.id, m.created_at FROM f CROSS JOIN unnest(f.messages) AS u(id) \
         JOIN webhook_messages m ON m.id = u.id \
         JOIN webhook_endpoints e ON e.id = ANY (f.endpoints) AND m.type = ANY (e.event_types) \
         ORDER BY m.id, e.id",
    )
    .bind::<BigInt, _>(deferred_ms)
    .bind::<BigInt, _>(FAN_OUTS_PER_CLAIM)
    .prepared()
    .execute(conn)
    .await
    .map_err(classify)?;
    Ok(())
}

/// The rows the messages `ids` captured in their snapshot column `resource`.
async fn snapshots<R, T>(
    conn: &mut super::Conn,
    resource: &str,
    columns: &str,
    ids: &[i64],
) -> Result<HashMap<i64, T>, StoreError>
where
    R: QueryableByName<diesel::pg::Pg> + Send + 'static,
    T: TryFrom<R, Error = StoreError>,
{
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<Snapshot<R>> = diesel::sql_query(format!(
        "SELECT message_id, {columns} FROM (SELECT (m.{resource}).*, m.id AS message_id \
         FROM webhook_messages m WHERE m.id = ANY($1)) x"
    ))
    .bind::<Array<BigInt>, _>(ids)
    .prepared()
    .load(conn)
    .await
    .map_err(classify)?;
    rows.into_iter().map(|s| Ok((s.message_id, T::try_from(s.row)?))).collect()
}

impl WebhookRepository for PgStore {
    async fn create_endpoint(&self, endpoint: NewEndpoint, secret: Secret) -> Result<Endpoint, StoreError> {
        let mut conn = self.conn().await?;
        let row: EndpointRow = diesel::sql_query(format!(
            "INSERT INTO webhook_endpoints (url, event_types, description, secret) VALUES ($1, $2, $3, $4) \
             RETURNING {ENDPOINT_COLUMNS}"
        ))
        .bind::<Text, _>(endpoint.url.as_str())
        .bind::<Array<Text>, _>(type_names(&endpoint.event_types))
        .bind::<Text, _>(&endpoint.description)
        .bind::<Text, _>(secret.reveal())
        .prepared()
        .get_result(&mut conn)
        .await
        .map_err(classify)?;
        Endpoint::try_from(row)
    }

    async fn list_endpoints(&self, page: PageRequest) -> Result<Page<Endpoint>, StoreError> {
        let mut conn = self.conn().await?;
        table_page::<EndpointRow, _>(&mut conn, ENDPOINT_COLUMNS, "webhook_endpoints", page).await
    }

    async fn find_endpoint(&self, endpoint: EndpointId) -> Result<Option<Endpoint>, StoreError> {
        let mut conn = self.conn().await?;
        let row: Option<EndpointRow> =
            diesel::sql_query(format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1"))
                .bind::<BigInt, _>(endpoint.get())
                .prepared()
                .get_result(&mut conn)
                .await
                .optional()
                .map_err(classify)?;
        row.map(Endpoint::try_from).transpose()
    }

    async fn update_endpoint(
        &self,
        endpoint: EndpointId,
        patch: EndpointPatch,
    ) -> Result<Option<Endpoint>, StoreError> {
        let mut conn = self.conn().await?;
        let row: Option<EndpointRow> = diesel::sql_query(format!(
            "UPDATE webhook_endpoints SET url = COALESCE($2, url), event_types = COALESCE($3, event_types), \
             description = COALESCE($4, description), enabled = COALESCE($5, enabled) WHERE id = $1 \
             RETURNING {ENDPOINT_COLUMNS}"
        ))
        .bind::<BigInt, _>(endpoint.get())
        .bind::<Nullable<Text>, _>(patch.url.as_ref().map(WebhookUrl::as_str))
        .bind::<Nullable<Array<Text>>, _>(patch.event_types.as_deref().map(type_names))
        .bind::<Nullable<Text>, _>(patch.description.as_deref())
        .bind::<Nullable<Bool>, _>(patch.enabled)
        .prepared()
        .get_result(&mut conn)
        .await
        .optional()
        .map_err(classify)?;
        row.map(Endpoint::try_from).transpose()
    }

    async fn delete_endpoint(&self, endpoint: EndpointId) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        let deleted = diesel::sql_query("DELETE FROM webhook_endpoints WHERE id = $1")
            .bind::<BigInt, _>(endpoint.get())
            .prepared()
            .execute(&mut conn)
            .await
            .map_err(classify)?;
        Ok(deleted == 1)
    }

    async fn rotate_secret(
        &self,
        endpoint: EndpointId,
        secret: Secret,
        previous_until: DateTime<Utc>,
    ) -> Result<Option<Endpoint>, StoreError> {
        let mut conn = self.conn().await?;
        let row: Option<EndpointRow> = diesel::sql_query(format!(
            "UPDATE webhook_endpoints SET previous_secret = secret, previous_until = $3, secret = $2 WHERE id = $1 \
             RETURNING {ENDPOINT_COLUMNS}"
        ))
        .bind::<BigInt, _>(endpoint.get())
        .bind::<Text, _>(secret.reveal())
        .bind::<Timestamptz, _>(previous_until)
        .prepared()
        .get_result(&mut conn)
        .await
        .optional()
        .map_err(classify)?;
        row.map(Endpoint::try_from).transpose()
    }

    async fn list_deliveries(
        &self,
        endpoint: EndpointId,
        status: Option<DeliveryStatus>,
        page: PageRequest,
    ) -> Result<Option<Page<Delivery>>, StoreError> {
        if self.find_endpoint(endpoint).await?.is_none() {
            return Ok(None);
        }
        let mut conn = self.conn().await?;
        let filter = "d.endpoint_id = $1 AND ($2::text IS NULL OR d.status = $2)";
        let counting = format!("SELECT count(*) AS total FROM webhook_deliveries d WHERE {filter}");
        let rows: Vec<Counted<DeliveryRow>> = diesel::sql_query(format!(
            "SELECT d.id, d.message_id, m.type AS event_type, d.status, d.attempts, d.last_status_code, d.due_at, \
             m.created_at, ({counting}) AS total \
             FROM webhook_deliveries d JOIN webhook_messages m ON m.id = d.message_id \
             WHERE {filter} ORDER BY d.id DESC LIMIT $3 OFFSET $4"
        ))
        .bind::<BigInt, _>(endpoint.get())
        .bind::<Nullable<Text>, _>(status.map(DeliveryStatus::as_str))
        .bind::<BigInt, _>(i64::from(page.limit()))
        .bind::<BigInt, _>(offset(page))
        .prepared()
        .load(&mut conn)
        .await
        .map_err(classify)?;
        let apart = diesel::sql_query(counting)
            .bind::<BigInt, _>(endpoint.get())
            .bind::<Nullable<Text>, _>(status.map(DeliveryStatus::as_str))
            .prepared()
            .get_result(&mut conn);
        counted_page(rows, page, apart).await.map(Some)
    }

    async fn retry_delivery(&self, endpoint: EndpointId, delivery: DeliveryId) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        let queued = diesel::sql_query(
            "UPDATE webhook_deliveries SET due_at = now(), \
             status = CASE WHEN attempts = 0 THEN 'pending' ELSE 'failed' END WHERE id = $1 AND endpoint_id = $2",
        )
        .bind::<BigInt, _>(delivery.get())
        .bind::<BigInt, _>(endpoint.get())
        .prepared()
        .execute(&mut conn)
        .await
        .map_err(classify)?;
        Ok(queued == 1)
    }

    async fn claim_due(&self, claim: Claim) -> Result<Vec<Due>, StoreError> {
        let mut conn = self.conn().await?;
        let deferred_ms = i64::try_from(claim.deferred.as_millis()).unwrap_or(i64::MAX);
        fan_out(&mut conn, deferred_ms).await?;
        // One statement: rows locked by another claim are skipped, and the lease moves
        // `due_at` past the attempt's deadline before any instance can see it due again.
        // The chosen rows are found again by their `ctid`s, as an array: as a semi-join,
        // the generic plan read every due delivery (10 ms a claim behind a backlog of
        // 30,000), and by id, through a primary key holding an entry for every version
        // each claim and record left (278 pages for 64 deliveries during a hot run). A
        // row updated since it was read is locked in its new version and leased only if
        // still due.
        let claimed: Vec<ClaimRow> = diesel::sql_query(
            "WITH due AS (SELECT d.ctid, d.id, d.endpoint_id, d.due_at FROM webhook_deliveries d \
                          JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.enabled \
                          WHERE d.due_at <= now() - $7 * interval '1 millisecond' AND d.endpoint_id NOT IN \
                            (SELECT f.e FROM unnest($3::bigint[], $5::bigint[]) AS f(e, n) WHERE $4 - f.n < $6) \
                          ORDER BY d.due_at LIMIT $1 * 4), \
                  w AS (SELECT due.ctid, row_number() OVER (PARTITION BY due.endpoint_id ORDER BY due.due_at, due.id) \
                               + COALESCE(f.n, 0) AS n \
                        FROM due LEFT JOIN unnest($3::bigint[], $5::bigint[]) AS f(endpoint_id, n) ON f.endpoint_id = due.endpoint_id), \
                  c AS (SELECT d.ctid FROM webhook_deliveries d WHERE d.ctid = ANY (ARRAY(SELECT ctid FROM w WHERE n <= $4)) \
                        AND d.due_at <= now() - $7 * interval '1 millisecond' ORDER BY d.due_at, d.id LIMIT $1 \
                        FOR UPDATE SKIP LOCKED), \
                  u AS (UPDATE webhook_deliveries d SET due_at = now() + $2 * interval '1 millisecond' \
                        WHERE d.ctid = ANY (ARRAY(SELECT ctid FROM c)) RETURNING d.id, d.endpoint_id, d.message_id, d.attempts) \
             SELECT u.id, u.endpoint_id, u.attempts, e.url, e.secret, \
                    CASE WHEN e.previous_until > now() THEN e.previous_secret END AS previous_secret, \
                    m.id AS message_id, m.type AS event_type, m.resource, m.event_id, \
                    m.created_at AS message_created_at \
             FROM u JOIN webhook_endpoints e ON e.id = u.endpoint_id JOIN webhook_messages m ON m.id = u.message_id \
             ORDER BY u.id",
        )
        .bind::<BigInt, _>(i64::from(claim.limit))
        .bind::<BigInt, _>(i64::try_from(claim.lease.as_millis()).unwrap_or(i64::MAX))
        .bind::<Array<BigInt>, _>(claim.in_flight.iter().map(|(e, _)| e.get()).collect::<Vec<_>>())
        .bind::<BigInt, _>(i64::from(claim.per_endpoint))
        .bind::<Array<BigInt>, _>(claim.in_flight.iter().map(|(_, n)| i64::from(*n)).collect::<Vec<_>>())
        .bind::<BigInt, _>(i64::from(claim.min_free.get()))
        .bind::<BigInt, _>(deferred_ms)
        .prepared().load(&mut conn)
        .await
        .map_err(classify)?;
        let of =
            |kind: &str| -> Vec<i64> { claimed.iter().filter(|c| c.resource == kind).map(|c| c.message_id).collect() };
        let bookings: HashMap<i64, Booking> =
            snapshots::<BookingRow, _>(&mut conn, "booking", BOOKING_COLUMNS, &of("booking")).await?;
        let holds: HashMap<i64, Hold> = snapshots::<HoldRow, _>(&mut conn, "hold", HOLD_COLUMNS, &of("hold")).await?;
        let tickets: HashMap<i64, Ticket> =
            snapshots::<TicketRow, _>(&mut conn, "ticket", TICKET_COLUMNS, &of("ticket")).await?;
        drop(conn);
        let mut due = Vec::with_capacity(claimed.len());
        for row in claimed {
            let data = match row.resource.as_str() {
                "booking" => bookings.get(&row.message_id).cloned().map(MessageData::Booking),
                "hold" => holds.get(&row.message_id).cloned().map(MessageData::Hold),
                "ticket" => tickets.get(&row.message_id).cloned().map(MessageData::Ticket),
                // Events carry their tiers and counts: read as they are now.
                _ => match row.event_id.and_then(EventId::new) {
                    Some(event) => self.find_event(event).await?.map(MessageData::Event),
                    None => None,
                },
            };
            let data = data.ok_or_else(|| corrupt("webhook message"))?;
            let secrets = std::iter::once(row.secret)
                .chain(row.previous_secret)
                .map(|s| Secret::parse(&s).ok_or_else(|| corrupt("webhook secret")))
                .collect::<Result<_, _>>()?;
            due.push(Due {
                delivery: id(row.id, DeliveryId::new)?,
                endpoint: id(row.endpoint_id, EndpointId::new)?,
                url: WebhookUrl::new(&row.url).map_err(|_| corrupt("url"))?,
                secrets,
                attempts: u32::try_from(row.attempts).map_err(|_| corrupt("attempts"))?,
                message: Message {
                    id: id(row.message_id, MessageId::new)?,
                    event_type: EventType::parse(&row.event_type).ok_or_else(|| corrupt("event type"))?,
                    created_at: row.message_created_at,
                    data,
                },
            });
        }
        Ok(due)
    }

    async fn record_attempts(&self, attempts: Vec<(Due, Attempt)>) -> Result<(), StoreError> {
        if attempts.is_empty() {
            return Ok(());
        }
        let mut rows = AttemptColumns::default();
        for (due, attempt) in &attempts {
            rows.push(due, attempt);
        }
        let mut conn = self.conn().await?;
        diesel::sql_query(
            "WITH r AS (SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::int[], $4::text[], $5::int[], \
                                             $6::text[], $7::timestamptz[]) \
                        AS r(delivery_id, attempted_at, status_code, error, duration_ms, status, due_at)), \
                  a AS (INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, error, duration_ms) \
                        SELECT delivery_id, attempted_at, status_code, error, duration_ms FROM r), \
                  e AS (UPDATE webhook_endpoints SET enabled = false WHERE id = ANY ($8)) \
             UPDATE webhook_deliveries d SET status = r.status, attempts = d.attempts + 1, \
                    last_status_code = r.status_code, due_at = r.due_at FROM r WHERE d.id = r.delivery_id",
        )
        .bind::<Array<BigInt>, _>(rows.delivery)
        .bind::<Array<Timestamptz>, _>(rows.at)
        .bind::<Array<Nullable<Integer>>, _>(rows.code)
        .bind::<Array<Nullable<Text>>, _>(rows.error)
        .bind::<Array<Integer>, _>(rows.took_ms)
        .bind::<Array<Text>, _>(rows.status)
        .bind::<Array<Nullable<Timestamptz>>, _>(rows.due_at)
        .bind::<Array<BigInt>, _>(rows.disable)
        .prepared()
        .execute(&mut conn)
        .await
        .map_err(classify)?;
        Ok(())
    }

    async fn open_deliveries(&self) -> Result<u64, StoreError> {
        let mut conn = self.conn().await?;
        let total: Total = diesel::sql_query(
            "SELECT (SELECT count(*) FROM webhook_deliveries WHERE due_at IS NOT NULL) \
                      + (SELECT COALESCE(sum(cardinality(messages)), 0) FROM webhook_fan_outs)::bigint AS total",
        )
        .prepared()
        .get_result(&mut conn)
        .await
        .map_err(classify)?;
        Ok(total.total.unsigned_abs())
    }
}
