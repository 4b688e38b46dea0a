//! A span for every request, named by a request id: the client's `X-Request-Id` when it
//! sends a usable one, else a fresh one. The id is echoed in the response and carried by
//! every log line the request causes, on whatever task or thread the work moves to.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument as _;

/// The header that carries the id both ways.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest client-chosen id kept.
const MAX_LEN: usize = 64;

/// Middleware wrapping each request in a `request` span with its id.
///
/// # Errors
/// Those of the services it wraps.
pub async fn trace_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|id| usable(id))
        .map_or_else(fresh_id, str::to_owned);
    let span = tracing::info_span!("request", request.id = %id, http.method = %req.method(), http.path = %req.path());
    let mut response = next.call(req).instrument(span).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(response)
}

/// 1 to 64 characters of letters, digits, `-`, `_`, `.` and `:`: nothing a log line or a
/// header could be forged with.
fn usable(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// 16 hex digits that no other request of this process gets: a counter under a key drawn
/// once per process, mixed by a bijection (splitmix64's finalizer), so ids look random and
/// differ between instances without a system call per request.
fn fresh_id() -> String {
    static KEY: OnceLock<u64> = OnceLock::new();
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let key = *KEY.get_or_init(|| {
        let mut bytes = [0_u8; 8];
        if getrandom::fill(&mut bytes).is_err() {
            // No randomness: the clock still sets instances apart.
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            bytes = u64::try_from(nanos.as_nanos() & u128::from(u64::MAX)).unwrap_or_default().to_be_bytes();
        }
        u64::from_ne_bytes(bytes)
    });
    let mut id = COUNT.fetch_add(1, Ordering::Relaxed) ^ key;
    id = (id ^ (id >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    id = (id ^ (id >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    format!("{:016x}", id ^ (id >> 31))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_are_kept() {
        for kept in ["abc", "0f3a-11:22.x_y", &"a".repeat(64)] {
            assert!(usable(kept), "{kept}");
        }
        for refused in ["", "a b", "x\ny", "<script>", &"a".repeat(65), "é"] {
            assert!(!usable(refused), "{refused}");
        }
        let fresh = fresh_id();
        assert_eq!(fresh.len(), 16);
        assert!(usable(&fresh));
        let many: std::collections::HashSet<String> = (0..10_000).map(|_| fresh_id()).collect();
        assert_eq!(many.len(), 10_000, "no id twice");
        assert!(!many.contains(&fresh));
    }
}
