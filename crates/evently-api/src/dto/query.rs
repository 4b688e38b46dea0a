//! Query-string values that serde's defaults would read too leniently.

use chrono::{DateTime, Datelike as _, Utc};
use serde::Deserialize;
use serde::de::{Deserializer, Error as _};

/// Parses an RFC 3339 instant into UTC, which must fall in the years 1 to 9999 (the
/// years RFC 3339 can spell: `9999-12-31T23:00:00-02:00` would be year 10000 in UTC).
///
/// # Errors
/// What is wrong with `raw`, in words.
pub fn utc_instant(raw: &str) -> Result<DateTime<Utc>, String> {
    let utc = DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("not an RFC 3339 timestamp: {e}"))?;
    if !(1..=9999).contains(&utc.year()) {
        return Err("must fall in the years 0001 to 9999 (UTC)".to_owned());
    }
    Ok(utc)
}

/// An RFC 3339 instant (`2027-03-01T19:30:00Z`), the only spelling accepted: lenient
/// forms such as signed six-digit years, and instants outside the years 1 to 9999 in
/// UTC, are `400 bad_request`.
pub fn instant<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    Option::<String>::deserialize(deserializer)?.map(|raw| utc_instant(&raw).map_err(D::Error::custom)).transpose()
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
        let refused = [
            "from=",
            "from=-5000-01-01T00:00:00Z",
            "from=%2B275760-01-01T00:00:00Z",
            "from=yesterday",
            "from=9999-12-31T23:30:00-01:00",
            "from=0001-01-01T00:30:00%2B01:00",
        ];
        for refused in refused {
            assert!(read(refused).is_err(), "{refused}");
        }
    }
}
