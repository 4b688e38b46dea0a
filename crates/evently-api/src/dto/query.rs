//! Query-string values that serde's defaults would read too leniently.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::{Deserializer, Error as _};

/// An RFC 3339 instant (`2027-03-01T19:30:00Z`), the only spelling accepted: lenient
/// forms such as signed six-digit years, which no store can hold, are `400 bad_request`.
pub fn instant<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    Option::<String>::deserialize(deserializer)?
        .map(|raw| {
            DateTime::parse_from_rfc3339(&raw)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| D::Error::custom(format!("not an RFC 3339 timestamp: {e}")))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Query {
        #[serde(default, deserialize_with = "instant")]
        from: Option<DateTime<Utc>>,
    }

    fn read(query: &str) -> Result<Query, actix_web::error::QueryPayloadError> {
        actix_web::web::Query::from_query(query).map(actix_web::web::Query::into_inner)
    }

    #[test]
    fn instants_parse_strictly() {
        assert!(read("").unwrap().from.is_none());
        let query = read("from=2027-03-01T19:30:00Z").unwrap();
        assert_eq!(query.from.unwrap().to_rfc3339(), "2027-03-01T19:30:00+00:00");
        for refused in ["from=", "from=-5000-01-01T00:00:00Z", "from=%2B275760-01-01T00:00:00Z", "from=yesterday"] {
            assert!(read(refused).is_err(), "{refused}");
        }
    }
}
