//! Write transactions that a dropped request cannot cut in half.

use std::future::Future;
use std::pin::Pin;

use diesel_async::{AsyncConnection as _, AsyncPgConnection};
use evently_domain::StoreError;
use tracing::Instrument as _;

use super::PgStore;
use super::error::TxError;
use super::inventory::store_failure;

/// The future a transaction body returns, borrowing the connection.
pub(super) type TxFuture<'c, T, E> = Pin<Box<dyn Future<Output = Result<T, TxError<E>>> + Send + 'c>>;

impl PgStore {
    /// Runs `body` in one transaction on its own task on the store's runtime: if the
    /// client goes away, the request's future is dropped but the transaction still
    /// commits or rolls back as a whole, and the connection returns to the pool clean.
    pub(super) async fn write<T, E, F>(&self, body: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: for<'c> FnOnce(&'c mut AsyncPgConnection) -> TxFuture<'c, T, E> + Send + 'static,
    {
        let store = self.clone();
        let transaction = async move {
            let mut conn = store.conn().await.map_err(store_failure)?;
            conn.transaction(async move |c| body(c).await).await
        };
        // The caller's span goes along, so the transaction's log lines carry its request id.
        let task = self.db.spawn(transaction.instrument(tracing::Span::current()));
        match task.await {
            Ok(outcome) => outcome.map_err(TxError::resolve),
            Err(join) => Err(E::from(StoreError::Unknown(anyhow::anyhow!("transaction task failed: {join}")))),
        }
    }
}
