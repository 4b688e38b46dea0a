//! The `EVT1` code: encoding and the checks verification makes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use thiserror::Error;

use crate::Claims;

/// The format's prefix, signed with the payload.
pub const PREFIX: &str = "EVT1";

/// The longest code accepted: longer input is refused before any decoding.
pub const MAX_CODE_BYTES: usize = 1024;

/// Why a code does not admit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum InvalidTicket {
    /// Not `EVT1.<payload>.<signature>` with base64url parts and JSON claims.
    #[error("the ticket code is malformed")]
    Malformed,
    /// Signed by a key that is not listed.
    #[error("the ticket code names an unknown key")]
    UnknownKey,
    /// The signature does not match the payload.
    #[error("the ticket code's signature is not valid")]
    BadSignature,
    /// A ticket of another event.
    #[error("the ticket is for another event")]
    OtherEvent,
    /// Before the ticket's issue time.
    #[error("the ticket is not valid yet")]
    NotYetValid,
    /// After the event's start plus a day.
    #[error("the ticket has expired")]
    Expired,
}

/// The code of `claims` with `signature` over its signed part.
pub(crate) fn encode(claims: &Claims, sign: impl FnOnce(&[u8]) -> [u8; 64]) -> String {
    // Claims hold only strings and integers: serialising cannot fail.
    let json = serde_json::to_vec(claims).unwrap_or_default();
    let signed = format!("{PREFIX}.{}", URL_SAFE_NO_PAD.encode(json));
    let signature = URL_SAFE_NO_PAD.encode(sign(signed.as_bytes()));
    format!("{signed}.{signature}")
}

/// A code split into what was signed, its claims and its signature; nothing checked yet
/// but the shape.
#[derive(Debug)]
pub(crate) struct Decoded<'a> {
    pub signed: &'a [u8],
    pub claims: Claims,
    pub signature: [u8; 64],
}

pub(crate) fn decode(code: &str) -> Result<Decoded<'_>, InvalidTicket> {
    if code.len() > MAX_CODE_BYTES {
        return Err(InvalidTicket::Malformed);
    }
    let (signed, signature) = code.rsplit_once('.').ok_or(InvalidTicket::Malformed)?;
    let payload =
        signed.strip_prefix(PREFIX).and_then(|rest| rest.strip_prefix('.')).ok_or(InvalidTicket::Malformed)?;
    let json = URL_SAFE_NO_PAD.decode(payload).map_err(|_| InvalidTicket::Malformed)?;
    let claims = serde_json::from_slice(&json).map_err(|_| InvalidTicket::Malformed)?;
    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| InvalidTicket::Malformed)?;
    let signature = signature.try_into().map_err(|_| InvalidTicket::Malformed)?;
    Ok(Decoded { signed: signed.as_bytes(), claims, signature })
}
