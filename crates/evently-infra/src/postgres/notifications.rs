use diesel::sql_types::{Array, BigInt, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl as _};
use evently_domain::notification::{Notice, Notification, NotificationRepository};
use evently_domain::{Page, PageRequest, StoreError, UserId};

use super::PgStore;
use super::error::classify;
use super::prepared::Prepare as _;
use super::rows::{Counted, NotificationRow, counted_page};
use super::users::offset;

impl NotificationRepository for PgStore {
    async fn list_notifications(&self, user: UserId, page: PageRequest) -> Result<Page<Notification>, StoreError> {
        const COUNTING: &str = "SELECT count(*) AS total FROM notifications WHERE user_id = $1";
        let mut conn = self.conn().await?;
        let rows: Vec<Counted<NotificationRow>> = diesel::sql_query(format!(
            "SELECT id, kind, event_id, booking_id, hold_id, message, created_at, ({COUNTING}) AS total \
             FROM notifications WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"
        ))
        .bind::<BigInt, _>(user.get())
        .bind::<BigInt, _>(i64::from(page.limit()))
        .bind::<BigInt, _>(offset(page))
        .prepared()
        .load(&mut conn)
        .await
        .map_err(classify)?;
        let apart = diesel::sql_query(COUNTING).bind::<BigInt, _>(user.get()).prepared().get_result(&mut conn);
        counted_page(rows, page, apart).await
    }
}

/// Writes notices inside the caller's transaction, in one statement.
pub(super) async fn write_notices(conn: &AsyncPgConnection, notices: &[Notice]) -> diesel::QueryResult<()> {
    if notices.is_empty() {
        return Ok(());
    }
    let users: Vec<i64> = notices.iter().map(|n| n.user.get()).collect();
    let kinds: Vec<&str> = notices.iter().map(|n| n.kind.as_str()).collect();
    let events: Vec<i64> = notices.iter().map(|n| n.event.get()).collect();
    let bookings: Vec<Option<i64>> = notices.iter().map(|n| n.booking.map(|b| b.get())).collect();
    let holds: Vec<Option<i64>> = notices.iter().map(|n| n.hold.map(|h| h.get())).collect();
    let messages: Vec<&str> = notices.iter().map(|n| n.message.as_str()).collect();
    diesel::sql_query(
        "INSERT INTO notifications (user_id, kind, event_id, booking_id, hold_id, message) \
         SELECT u, k, e, b, h, m FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[]) \
         WITH ORDINALITY AS n(u, k, e, b, h, m, o) ORDER BY o",
    )
    .bind::<Array<BigInt>, _>(&users)
    .bind::<Array<Text>, _>(&kinds)
    .bind::<Array<BigInt>, _>(&events)
    .bind::<Array<Nullable<BigInt>>, _>(&bookings)
    .bind::<Array<Nullable<BigInt>>, _>(&holds)
    .bind::<Array<Text>, _>(&messages)
    .prepared().execute(&mut &*conn)
    .await?;
    Ok(())
}
