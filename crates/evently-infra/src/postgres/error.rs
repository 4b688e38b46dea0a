//! Sorting database failures into the domain's [`StoreError`] kinds.

use diesel::result::{DatabaseErrorKind, Error};
use diesel_async::pooled_connection::deadpool::PoolError;
use evently_domain::StoreError;

/// A failure inside a transaction: a domain decision to roll back, or a database error.
#[derive(Debug)]
pub(super) enum TxError<E> {
    Domain(E),
    Db(Error),
}

impl<E> From<Error> for TxError<E> {
    fn from(error: Error) -> Self {
        Self::Db(error)
    }
}

impl<E: From<StoreError>> TxError<E> {
    /// Resolves into the operation's error, classifying database failures.
    pub(super) fn resolve(self) -> E {
        match self {
            Self::Domain(e) => e,
            Self::Db(e) => E::from(classify(e)),
        }
    }
}

/// Classifies a database error: aborted transactions are transient, lost connections
/// and timeouts mean the database is unavailable, the rest are bugs.
pub(super) fn classify(error: Error) -> StoreError {
    match &error {
        Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => StoreError::Transient(error.into()),
        Error::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand, _) => {
            StoreError::Unavailable(error.into())
        }
        Error::DatabaseError(_, info) => {
            let message = info.message();
            if message.contains("deadlock detected") {
                StoreError::Transient(error.into())
            } else if message.contains("canceling statement due to")
                || message.contains("terminating connection")
                || message.contains("the database system is")
            {
                StoreError::Unavailable(error.into())
            } else {
                StoreError::Unknown(error.into())
            }
        }
        Error::BrokenTransactionManager => StoreError::Unavailable(error.into()),
        _ => StoreError::Unknown(error.into()),
    }
}

/// Any failure to hand out a connection means the database is unavailable.
pub(super) fn pool(error: PoolError) -> StoreError {
    StoreError::Unavailable(anyhow::anyhow!("no database connection: {error}"))
}
