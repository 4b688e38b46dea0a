//! Request bodies: JSON parsed leniently about headers and strictly about content, with
//! failures mapped to the contract's codes.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, ResponseError as _};
use futures_util::StreamExt as _;
use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer};

use crate::error::ApiError;

/// The longest a client may take to send a request's body; a slower one is answered
/// `408` and its connection closed, so a trickle of bytes cannot hold a worker's slot.
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Bytes past [`crate::BODY_LIMIT`] read and thrown away so that a `413` can keep the
/// connection; a longer body is answered `413` and the connection closed.
const DRAIN_LIMIT: usize = 1024 * 1024;

/// Middleware that reads each request's body in full before routing (up to
/// [`crate::BODY_LIMIT`], [`crate::BATCH_BODY_LIMIT`] for scanner uploads; beyond it `413`, after reading and discarding up to 1 MiB
/// more; `408` when it takes longer than 10 s to arrive). A request refused before its
/// handler reads the body (`401`, `403`, `404`, `429`...) then leaves no unread bytes on
/// the connection, and the client keeps it: actix-web closes a connection whose request
/// body was left unread.
///
/// # Errors
/// Those of the services it wraps.
pub async fn read_whole_body(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let limit = if req.path().ends_with("/checkins/batch") { crate::BATCH_BODY_LIMIT } else { crate::BODY_LIMIT };
    let mut payload = req.take_payload();
    let read = tokio::time::timeout(BODY_READ_TIMEOUT, async {
        let mut body = BytesMut::new();
        let mut excess = 0_usize;
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("cannot read the body: {e}")))?;
            if excess == 0 && body.len() + chunk.len() <= limit {
                body.extend_from_slice(&chunk);
            } else {
                excess += chunk.len();
                if excess > DRAIN_LIMIT {
                    break;
                }
            }
        }
        if excess > 0 { Err(ApiError::PayloadTooLarge) } else { Ok(body) }
    });
    let body = match read.await.unwrap_or(Err(ApiError::RequestTimeout)) {
        Ok(body) => body,
        Err(refused) => {
            let mut problem = refused.error_response();
            if matches!(refused, ApiError::RequestTimeout) {
                problem.head_mut().set_connection_type(ConnectionType::Close);
            }
            return Ok(req.into_response(problem).map_into_right_body());
        }
    };
    req.set_payload(Payload::from(body.freeze()));
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

/// A JSON body of type `T`, read at once (a body over [`crate::BODY_LIMIT`] is `413`)
/// but parsed only when the handler asks, so that the checks a handler makes first
/// (admin rights, rate limits) answer before a malformed body does. An empty body reads
/// as `{}` (so bodies whose fields are all optional may be left out); anything
/// unparsable, or JSON other than an object (serde would read `[2]` as a struct's
/// fields by position), is `400 bad_request`.
#[derive(Debug)]
pub struct JsonBody<T> {
    bytes: Bytes,
    shape: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> JsonBody<T> {
    /// The parsed body.
    ///
    /// # Errors
    /// [`ApiError::BadRequest`] when it is not JSON of the expected shape.
    pub fn parse(&self) -> Result<T, ApiError> {
        let first = self.bytes.iter().find(|b| !b.is_ascii_whitespace());
        let text: &[u8] = match first {
            None => b"{}",
            Some(b'{') => &self.bytes,
            Some(_) => return Err(ApiError::BadRequest("the body must be a JSON object".into())),
        };
        serde_json::from_slice(text).map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))
    }
}

impl<T: 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = bytes.await.map_err(|e| match e.as_response_error().status_code().as_u16() {
                413 => ApiError::PayloadTooLarge,
                _ => ApiError::BadRequest(format!("cannot read the body: {e}")),
            })?;
            Ok(Self { bytes, shape: PhantomData })
        })
    }
}

/// A JSON number meant as an integer. Any number is well-typed; one that is not an
/// integer in `i64`'s range is kept as `None` so that validation answers 422, not 400.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Integer(pub Option<i64>);

impl<'de> Deserialize<'de> for Integer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number = serde_json::Number::deserialize(deserializer)?;
        // JSON Schema counts 3.0 as an integer; so do we.
        let whole = number.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15);
        #[expect(clippy::cast_possible_truncation, reason = "a whole number below 2^53")]
        Ok(Self(number.as_i64().or(whole.map(|f| f as i64))))
    }
}

impl Integer {
    /// The integer, or a validation error naming `field`.
    pub fn get(self, field: &str) -> Result<i64, ApiError> {
        self.0.ok_or_else(|| ApiError::Validation(format!("{field}: must be an integer")))
    }
}

/// Validates one field with a domain constructor.
pub fn field<T, E: std::fmt::Display>(name: &str, result: Result<T, E>) -> Result<T, ApiError> {
    result.map_err(|e| ApiError::Validation(format!("{name}: {e}")))
}
