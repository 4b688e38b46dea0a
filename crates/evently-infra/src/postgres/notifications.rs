use diesel::sql_types::{BigInt, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl as _};
use evently_domain::notification::{Notice, Notification, NotificationRepository};
use evently_domain::{Page, PageRequest, StoreError, UserId};

use super::PgStore;
use super::error::classify;
use super::rows::{NotificationRow, Total, convert};
use super::users::offset;

impl NotificationRepository for PgStore {
    async fn list_notifications(&self, user: UserId, page: PageRequest) -> Result<Page<Notification>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<NotificationRow> = diesel::sql_query(
            "SELECT id, kind, event_id, booking_id, hold_id, message, created_at FROM notifications \
             WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
        )
        .bind::<BigInt, _>(user.get())
        .bind::<BigInt, _>(i64::from(page.limit()))
        .bind::<BigInt, _>(offset(page))
        .load(&mut conn)
        .await
        .map_err(classify)?;
        let total: Total = diesel::sql_query("SELECT count(*) AS total FROM notifications WHERE user_id = $1")
            .bind::<BigInt, _>(user.get())
            .get_result(&mut conn)
            .await
            .map_err(classify)?;
        Ok(Page { items: convert(rows)?, total: total.total.unsigned_abs(), request: page })
    }
}

/// Writes notices inside the caller's transaction.
pub(super) async fn write_notices(conn: &mut AsyncPgConnection, notices: &[Notice]) -> diesel::QueryResult<()> {
    for notice in notices {
        diesel::sql_query(
            "INSERT INTO notifications (user_id, kind, event_id, booking_id, hold_id, message) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind::<BigInt, _>(notice.user.get())
        .bind::<Text, _>(notice.kind.as_str())
        .bind::<BigInt, _>(notice.event.get())
        .bind::<Nullable<BigInt>, _>(notice.booking.map(|b| b.get()))
        .bind::<Nullable<BigInt>, _>(notice.hold.map(|h| h.get()))
        .bind::<Text, _>(&notice.message)
        .execute(conn)
        .await?;
    }
    Ok(())
}
