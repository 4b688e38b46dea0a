//! Raw SQL prepared once per connection.
//!
//! Diesel treats every `sql_query` as text it has never seen: each run is parsed and
//! planned again, and costs a round trip of its own to prepare. Every statement here is
//! constant text with its values bound, so it is safe to keep prepared: wrapped in
//! [`Prepared`], a statement is prepared on a connection's first use and looked up by
//! its text afterwards.

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, BoxedSqlQuery, Query, QueryFragment, QueryId, SqlQuery};

/// A raw statement of constant text, kept prepared by the connection.
#[derive(Debug)]
pub(super) struct Prepared<Q>(Q);

/// A prepared statement with its values bound, to run later.
pub(super) type Statement = Prepared<BoxedSqlQuery<'static, Pg, SqlQuery>>;

/// Marks raw SQL as constant text (see the module documentation).
pub(super) trait Prepare: Sized {
    /// This statement, kept prepared.
    fn prepared(self) -> Prepared<Self> {
        Prepared(self)
    }
}

impl<Q: Query> Prepare for Q {}

impl<Q: Query> Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}

impl<Q> QueryId for Prepared<Q> {
    type QueryId = ();
    // Cached by its text, as a statement without a static identity.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Prepared<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}
