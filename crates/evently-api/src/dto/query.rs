//! Query-string values: an empty value (`?from=`) counts as absent, anything else must
//! parse strictly or the request is `400 bad_request`.

use std::fmt::Display;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::{Deserializer, Error as _};

/// The raw value, `None` when missing or blank.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let raw = Option::<String>::deserialize(deserializer)?;
    Ok(raw.filter(|value| !value.trim().is_empty()))
}

/// A number (or anything else with [`FromStr`]).
pub fn parsed<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    present(deserializer)?.map(|raw| raw.trim().parse().map_err(D::Error::custom)).transpose()
}

/// An RFC 3339 instant (`2027-03-01T19:30:00Z`), the only spelling accepted: lenient
/// forms such as signed six-digit years are refused.
pub fn instant<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    present(deserializer)?
        .map(|raw| {
            DateTime::parse_from_rfc3339(raw.trim())
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
        #[serde(default, deserialize_with = "parsed")]
        limit: Option<i64>,
    }

    fn read(query: &str) -> Result<Query, actix_web::error::QueryPayloadError> {
        actix_web::web::Query::from_query(query).map(actix_web::web::Query::into_inner)
    }

    #[test]
    fn blank_values_are_absent() {
        let query = read("from=&limit=").unwrap();
        assert!(query.from.is_none() && query.limit.is_none());
        let query = read("").unwrap();
        assert!(query.from.is_none() && query.limit.is_none());
    }

    #[test]
    fn values_parse_strictly() {
        let query = read("from=2027-03-01T19:30:00Z&limit=5").unwrap();
        assert_eq!(query.from.unwrap().to_rfc3339(), "2027-03-01T19:30:00+00:00");
        assert_eq!(query.limit, Some(5));
        assert!(read("from=-5000-01-01T00:00:00Z").is_err());
        assert!(read("from=+275760-01-01T00:00:00Z").is_err());
        assert!(read("from=yesterday").is_err());
        assert!(read("limit=ten").is_err());
    }
}
