//! Signing and verifying keys, their ids and the published key set.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::code::{decode, encode};
use crate::{Claims, InvalidTicket};

/// Why a key or a key set was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    /// Not unpadded base64url of 32 bytes.
    #[error("a key must be the unpadded base64url of 32 bytes")]
    Encoding,
    /// 32 bytes that are not an Ed25519 public key.
    #[error("not an Ed25519 public key")]
    NotAKey,
    /// A key set that is not the published JSON document.
    #[error("not a ticket key set: {0}")]
    Document(String),
    /// A listed `kid` that is not the one its key derives.
    #[error("key id {0} does not match its public key")]
    KidMismatch(String),
}

/// A key's id: the unpadded base64url of the first 9 bytes of the SHA-256 of its public
/// key, so every party derives the same id from the key alone.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyId(String);

impl KeyId {
    fn of(key: &VerifyingKey) -> Self {
        let digest = Sha256::digest(key.as_bytes());
        Self(URL_SAFE_NO_PAD.encode(&digest[..9]))
    }

    /// The id as written in codes.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn bytes32(encoded: &str) -> Result<[u8; 32], KeyError> {
    let raw = URL_SAFE_NO_PAD.decode(encoded.trim()).map_err(|_| KeyError::Encoding)?;
    raw.try_into().map_err(|_| KeyError::Encoding)
}

/// An Ed25519 public key that verifies codes.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Parses the unpadded base64url of the 32 raw bytes.
    ///
    /// # Errors
    /// [`KeyError::Encoding`] or [`KeyError::NotAKey`].
    pub fn from_base64(encoded: &str) -> Result<Self, KeyError> {
        VerifyingKey::from_bytes(&bytes32(encoded)?).map(Self).map_err(|_| KeyError::NotAKey)
    }

    /// The unpadded base64url of the 32 raw bytes.
    pub fn to_base64(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.as_bytes())
    }

    /// Its id.
    pub fn kid(&self) -> KeyId {
        KeyId::of(&self.0)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.kid())
    }
}

/// The key that signs new codes. Never printed.
#[derive(Clone)]
pub struct TicketSigner {
    key: SigningKey,
    kid: KeyId,
}

impl TicketSigner {
    /// The signer of a 32-byte Ed25519 seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let key = SigningKey::from_bytes(&seed);
        let kid = KeyId::of(&key.verifying_key());
        Self { key, kid }
    }

    /// The signer of a seed given as unpadded base64url (`EVENTLY_TICKET_SIGNING_KEY`).
    ///
    /// # Errors
    /// [`KeyError::Encoding`] unless it is 32 bytes of unpadded base64url.
    pub fn from_base64(encoded: &str) -> Result<Self, KeyError> {
        bytes32(encoded).map(Self::from_seed)
    }

    /// The seed as unpadded base64url, the form `from_base64` reads. It is the secret:
    /// keep it out of logs.
    pub fn seed_base64(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.key.to_bytes())
    }

    /// The id of its public key.
    pub fn kid(&self) -> &KeyId {
        &self.kid
    }

    /// Its public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.key.verifying_key())
    }

    /// The code of `claims`, with `kid` set to this key's. Signing is deterministic: the
    /// same claims always give the same code.
    pub fn sign(&self, claims: &Claims) -> String {
        let claims = Claims { kid: self.kid.0.clone(), ..claims.clone() };
        encode(&claims, |signed| self.key.sign(signed).to_bytes())
    }

    /// The keys that verify codes: this one (active) and `previous` (retired).
    pub fn keyring(&self, previous: &[PublicKey]) -> Keyring {
        let active = std::iter::once((self.public_key(), true));
        Keyring { keys: active.chain(previous.iter().map(|key| (key.clone(), false))).collect() }
    }
}

impl fmt::Debug for TicketSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TicketSigner({})", self.kid)
    }
}

/// One key as published at `GET /api/v1/ticket-keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedKey {
    /// Its id, as codes name it.
    pub kid: String,
    /// Always `Ed25519`.
    pub alg: String,
    /// The unpadded base64url of the 32 raw bytes.
    pub public_key: String,
    /// Whether it signs new codes (retired keys only verify).
    pub active: bool,
}

/// The published key set: `{"keys": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedKeys {
    /// The keys, the active one first.
    pub keys: Vec<PublishedKey>,
}

/// The keys a verifier trusts.
#[derive(Debug, Clone)]
pub struct Keyring {
    keys: Vec<(PublicKey, bool)>,
}

impl Keyring {
    /// The keys of a published key set (the JSON of `GET /api/v1/ticket-keys`).
    ///
    /// # Errors
    /// [`KeyError`] when the document or one of its keys is not valid, or a `kid` is not
    /// the one its key derives.
    pub fn from_json(document: &str) -> Result<Self, KeyError> {
        let published: PublishedKeys = serde_json::from_str(document).map_err(|e| KeyError::Document(e.to_string()))?;
        let keys = published
            .keys
            .into_iter()
            .map(|entry| {
                if entry.alg != "Ed25519" {
                    return Err(KeyError::Document(format!("unsupported algorithm {}", entry.alg)));
                }
                let key = PublicKey::from_base64(&entry.public_key)?;
                if key.kid().as_str() != entry.kid {
                    return Err(KeyError::KidMismatch(entry.kid));
                }
                Ok((key, entry.active))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { keys })
    }

    /// The set as published.
    pub fn published(&self) -> PublishedKeys {
        let keys = self
            .keys
            .iter()
            .map(|(key, active)| PublishedKey {
                kid: key.kid().0,
                alg: "Ed25519".to_owned(),
                public_key: key.to_base64(),
                active: *active,
            })
            .collect();
        PublishedKeys { keys }
    }

    /// The set as published, in JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.published()).unwrap_or_default()
    }

    /// Verifies `code` offline: its shape, a listed key, the signature, the event (when
    /// `event` is given) and the validity window at `at` (unix seconds).
    ///
    /// # Errors
    /// The first check that fails, as an [`InvalidTicket`].
    pub fn verify(&self, code: &str, event: Option<i64>, at: i64) -> Result<Claims, InvalidTicket> {
        let decoded = decode(code)?;
        let (key, _) = self
            .keys
            .iter()
            .find(|(key, _)| key.kid().as_str() == decoded.claims.kid)
            .ok_or(InvalidTicket::UnknownKey)?;
        key.0
            .verify_strict(decoded.signed, &Signature::from_bytes(&decoded.signature))
            .map_err(|_| InvalidTicket::BadSignature)?;
        let claims = decoded.claims;
        if event.is_some_and(|event| event != claims.eid) {
            Err(InvalidTicket::OtherEvent)
        } else if at < claims.nbf {
            Err(InvalidTicket::NotYetValid)
        } else if !claims.valid_at(at) {
            Err(InvalidTicket::Expired)
        } else {
            Ok(claims)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims::new(5, 77, Some("A-12".to_owned()), 1_000, 2_000)
    }

    #[test]
    fn a_code_verifies_with_its_key_and_not_with_another() {
        let signer = TicketSigner::from_seed([1; 32]);
        let code = signer.sign(&claims());
        let verified = signer.keyring(&[]).verify(&code, Some(5), 1_500);
        assert_eq!(verified.map(|c| (c.kid, c.tid, c.seat)), Ok((signer.kid().to_string(), 77, Some("A-12".into()))));
        let stranger = TicketSigner::from_seed([2; 32]);
        assert_eq!(stranger.keyring(&[]).verify(&code, Some(5), 1_500), Err(InvalidTicket::UnknownKey));
    }

    #[test]
    fn retired_keys_still_verify_what_they_signed() {
        let old = TicketSigner::from_seed([1; 32]);
        let new = TicketSigner::from_seed([2; 32]);
        let keys = new.keyring(&[old.public_key()]);
        assert!(keys.verify(&old.sign(&claims()), None, 1_000).is_ok());
        assert!(keys.verify(&new.sign(&claims()), None, 1_999).is_ok());
        assert_eq!(keys.published().keys.iter().map(|k| k.active).collect::<Vec<_>>(), [true, false]);
    }

    #[test]
    fn every_changed_byte_is_refused() {
        let signer = TicketSigner::from_seed([3; 32]);
        let keys = signer.keyring(&[]);
        let code = signer.sign(&claims());
        for at in 0..code.len() {
            let mut bytes = code.clone().into_bytes();
            bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
            let changed = String::from_utf8(bytes).unwrap_or_default();
            assert!(keys.verify(&changed, Some(5), 1_500).is_err(), "byte {at} changed and still verified");
        }
    }

    #[test]
    fn the_window_and_the_event_are_checked() {
        let signer = TicketSigner::from_seed([4; 32]);
        let keys = signer.keyring(&[]);
        let code = signer.sign(&claims());
        assert_eq!(keys.verify(&code, Some(6), 1_500), Err(InvalidTicket::OtherEvent));
        assert_eq!(keys.verify(&code, Some(5), 999), Err(InvalidTicket::NotYetValid));
        assert_eq!(keys.verify(&code, Some(5), 2_000), Err(InvalidTicket::Expired));
    }

    #[test]
    fn garbage_is_malformed() {
        let keys = TicketSigner::from_seed([5; 32]).keyring(&[]);
        let long = "EVT1.".repeat(300);
        for bad in ["", "EVT1", "EVT1..", "EVT2.e30.AA", "EVT1.e30.AA", "EVT1.!!!.AA", long.as_str()] {
            assert_eq!(keys.verify(bad, None, 0), Err(InvalidTicket::Malformed), "{bad}");
        }
    }

    #[test]
    fn published_sets_round_trip_and_kids_are_checked() {
        let keys = TicketSigner::from_seed([6; 32]).keyring(&[TicketSigner::from_seed([7; 32]).public_key()]);
        let parsed = Keyring::from_json(&keys.to_json()).map(|k| k.published());
        assert_eq!(parsed, Ok(keys.published()));
        let forged = keys.to_json().replacen("\"kid\":\"", "\"kid\":\"x", 1);
        assert!(matches!(Keyring::from_json(&forged), Err(KeyError::KidMismatch(_))));
        assert_eq!(TicketSigner::from_base64("short").map(|s| s.kid().clone()), Err(KeyError::Encoding));
        let signer = TicketSigner::from_seed([8; 32]);
        assert_eq!(TicketSigner::from_base64(&signer.seed_base64()).map(|s| s.kid().clone()), Ok(signer.kid().clone()));
    }
}
