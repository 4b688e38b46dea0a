//! Tickets: issued and revoked by the triggers of migration 5; checked in by one guarded
//! `UPDATE` (exactly one of racing scans matches `status = 'valid'`), batches under row
//! locks taken in id order.

use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz};
use diesel::{OptionalExtension as _, QueryableByName};
use diesel_async::RunQueryDsl as _;
use evently_domain::ticket::{
    CheckIn, CheckInError, CheckInStats, Gate, Revocation, RevocationCursor, Revocations, ScanResult, Ticket,
    TicketRepository, TicketStatus, resolve_scans,
};
use evently_domain::{BookingId, EventId, Page, PageRequest, StoreError, TicketId, UserId};

use super::PgStore;
use super::error::{TxError, classify};
use super::prepared::Prepare as _;
use super::rows::{Counted, TICKET_COLUMNS, TicketRow, convert, counted_page, id};
use super::users::{not_found_as_none, offset};

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = BigInt)]
    #[expect(dead_code, reason = "only whether a row comes back matters")]
    id: i64,
}

#[derive(QueryableByName)]
struct Owner {
    #[diesel(sql_type = BigInt)]
    user_id: i64,
}

/// An event and, when it has any, one revocation after the cursor.
#[derive(QueryableByName)]
struct RevocationRow {
    #[diesel(sql_type = Nullable<BigInt>)]
    ticket_id: Option<i64>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    revoked_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<BigInt>)]
    revocation: Option<i64>,
}

/// An event and, when it has tickets, one group of them by status and gate.
#[derive(QueryableByName)]
struct StatsRow {
    #[diesel(sql_type = Nullable<Text>)]
    status: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    gate: Option<String>,
    #[diesel(sql_type = BigInt)]
    tickets: i64,
}

fn gate_text(gate: Option<&Gate>) -> Option<&str> {
    gate.map(Gate::as_str)
}

impl TicketRepository for PgStore {
    async fn booking_tickets(
        &self,
        booking: BookingId,
        page: PageRequest,
    ) -> Result<Option<(UserId, Page<Ticket>)>, StoreError> {
        let mut conn = self.conn().await?;
        let owner: Option<Owner> = diesel::sql_query("SELECT user_id FROM bookings WHERE id = $1")
            .bind::<BigInt, _>(booking.get())
            .prepared()
            .get_result(&mut conn)
            .await
            .map(Some)
            .or_else(not_found_as_none)?;
        let Some(owner) = owner else { return Ok(None) };
        const COUNTING: &str = "SELECT count(*) AS total FROM tickets WHERE booking_id = $1";
        let rows: Vec<Counted<TicketRow>> = diesel::sql_query(format!(
            "SELECT {TICKET_COLUMNS}, ({COUNTING}) AS total \
             FROM tickets WHERE booking_id = $1 ORDER BY id LIMIT $2 OFFSET $3"
        ))
        .bind::<BigInt, _>(booking.get())
        .bind::<BigInt, _>(i64::from(page.limit()))
        .bind::<BigInt, _>(offset(page))
        .prepared()
        .load(&mut conn)
        .await
        .map_err(classify)?;
        let apart = diesel::sql_query(COUNTING).bind::<BigInt, _>(booking.get()).prepared().get_result(&mut conn);
        let tickets = counted_page(rows, page, apart).await?;
        Ok(Some((id(owner.user_id, UserId::new)?, tickets)))
    }

    async fn find_ticket(&self, ticket: TicketId) -> Result<Option<Ticket>, StoreError> {
        let mut conn = self.conn().await?;
        let row: Option<TicketRow> = diesel::sql_query(format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE id = $1"))
            .bind::<BigInt, _>(ticket.get())
            .prepared()
            .get_result(&mut conn)
            .await
            .map(Some)
            .or_else(not_found_as_none)?;
        row.map(Ticket::try_from).transpose()
    }

    #[tracing::instrument(skip_all, fields(event.id = %event, ticket.id = %check_in.ticket))]
    async fn check_in(&self, event: EventId, check_in: CheckIn) -> Result<Ticket, CheckInError> {
        let mut conn = self.conn().await?;
        // Racing scans queue on the row; each re-reads it after the one before commits,
        // so only the first still finds it valid.
        let checked: Option<TicketRow> = diesel::sql_query(format!(
            "UPDATE tickets SET status = 'checked_in', checked_in_at = $3, gate = $4 \
             WHERE id = $1 AND event_id = $2 AND status = 'valid' RETURNING {TICKET_COLUMNS}"
        ))
        .bind::<BigInt, _>(check_in.ticket.get())
        .bind::<BigInt, _>(event.get())
        .bind::<Timestamptz, _>(check_in.at)
        .bind::<Nullable<Text>, _>(gate_text(check_in.gate.as_ref()))
        .prepared()
        .get_result(&mut conn)
        .await
        .map(Some)
        .or_else(not_found_as_none)?;
        if let Some(row) = checked {
            return Ok(Ticket::try_from(row)?);
        }
        let row: Option<TicketRow> =
            diesel::sql_query(format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE id = $1 AND event_id = $2"))
                .bind::<BigInt, _>(check_in.ticket.get())
                .bind::<BigInt, _>(event.get())
                .prepared()
                .get_result(&mut conn)
                .await
                .map(Some)
                .or_else(not_found_as_none)?;
        let ticket = row.map(Ticket::try_from).transpose()?.ok_or(CheckInError::UnknownTicket)?;
        match (ticket.status, ticket.checked_in_at) {
            (TicketStatus::CheckedIn, Some(at)) => Err(CheckInError::AlreadyCheckedIn { at, gate: ticket.gate }),
            (TicketStatus::Revoked, _) => Err(CheckInError::Revoked),
            _ => Err(CheckInError::Store(StoreError::Unknown(anyhow::anyhow!("a valid ticket was not checked in")))),
        }
    }

    #[tracing::instrument(skip_all, fields(event.id = %event, scans = scans.len()))]
    async fn check_in_batch(&self, event: EventId, scans: Vec<CheckIn>) -> Result<Option<Vec<ScanResult>>, StoreError> {
        self.write(move |conn| {
            Box::pin(async move {
                let exists: Option<Found> = diesel::sql_query("SELECT id FROM events WHERE id = $1")
                    .bind::<BigInt, _>(event.get())
                    .prepared()
                    .get_result(conn)
                    .await
                    .optional()?;
                if exists.is_none() {
                    return Ok(None);
                }
                let named: Vec<i64> = scans.iter().map(|scan| scan.ticket.get()).collect();
                // Locked in id order, so batches sharing tickets cannot deadlock; found by
                // primary key alone (the codes verified for this event), then held to it.
                let rows: Vec<TicketRow> = diesel::sql_query(format!(
                    "SELECT {TICKET_COLUMNS} FROM tickets WHERE id = ANY($1) ORDER BY id FOR UPDATE"
                ))
                .bind::<Array<BigInt>, _>(&named)
                .prepared()
                .load(conn)
                .await?;
                let mut tickets: Vec<Ticket> = convert(rows).map_err(TxError::Domain)?;
                tickets.retain(|ticket| ticket.event_id == event);
                let (results, apply) = resolve_scans(&scans, &tickets);
                if !apply.is_empty() {
                    let ids: Vec<i64> = apply.iter().map(|c| c.ticket.get()).collect();
                    let gates: Vec<Option<&str>> = apply.iter().map(|c| gate_text(c.gate.as_ref())).collect();
                    let times: Vec<DateTime<Utc>> = apply.iter().map(|c| c.at).collect();
                    diesel::sql_query(
                        "UPDATE tickets t SET status = 'checked_in', checked_in_at = s.at, gate = s.gate \
                         FROM unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS s(id, gate, at) WHERE t.id = s.id",
                    )
                    .bind::<Array<BigInt>, _>(&ids)
                    .bind::<Array<Nullable<Text>>, _>(&gates)
                    .bind::<Array<Timestamptz>, _>(&times)
                    .prepared()
                    .execute(conn)
                    .await?;
                }
                Ok(Some(results))
            })
        })
        .await
    }

    async fn revocations(
        &self,
        event: EventId,
        after: RevocationCursor,
        limit: u32,
    ) -> Result<Option<Revocations>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<RevocationRow> = diesel::sql_query(
            "SELECT t.id AS ticket_id, t.revoked_at, t.revocation FROM events e LEFT JOIN LATERAL \
             (SELECT id, revoked_at, revocation FROM tickets WHERE event_id = e.id AND revocation > $2 \
              ORDER BY revocation LIMIT $3) t ON true WHERE e.id = $1 ORDER BY t.revocation",
        )
        .bind::<BigInt, _>(event.get())
        .bind::<BigInt, _>(i64::try_from(after.0).unwrap_or(i64::MAX))
        .bind::<BigInt, _>(i64::from(limit))
        .prepared()
        .load(&mut conn)
        .await
        .map_err(classify)?;
        if rows.is_empty() {
            return Ok(None);
        }
        let items = rows
            .into_iter()
            .filter_map(|row| Some((row.ticket_id?, row.revoked_at?, row.revocation?)))
            .map(|(ticket, revoked_at, revocation)| {
                let cursor = RevocationCursor(revocation.unsigned_abs());
                Ok(Revocation { ticket_id: id(ticket, TicketId::new)?, revoked_at, cursor })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let cursor = items.last().map_or(after, |last| last.cursor);
        Ok(Some(Revocations { items, cursor }))
    }

    async fn check_in_stats(&self, event: EventId) -> Result<Option<CheckInStats>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<StatsRow> = diesel::sql_query(
            "SELECT t.status, t.gate, coalesce(t.tickets, 0) AS tickets FROM events e LEFT JOIN LATERAL \
             (SELECT status, gate, count(*) AS tickets FROM tickets WHERE event_id = e.id GROUP BY status, gate) t \
             ON true WHERE e.id = $1",
        )
        .bind::<BigInt, _>(event.get())
        .prepared()
        .load(&mut conn)
        .await
        .map_err(classify)?;
        if rows.is_empty() {
            return Ok(None);
        }
        let stats = rows
            .into_iter()
            .filter_map(|row| {
                let status = TicketStatus::parse(row.status.as_deref()?)?;
                Some((status, row.gate.and_then(|g| Gate::new(&g).ok()), row.tickets.unsigned_abs()))
            })
            .collect();
        Ok(Some(stats))
    }
}
