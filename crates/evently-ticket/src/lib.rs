#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod claims;
mod code;
mod keys;

pub use claims::Claims;
pub use code::{InvalidTicket, MAX_CODE_BYTES, PREFIX};
pub use keys::{KeyError, KeyId, Keyring, PublicKey, PublishedKey, PublishedKeys, TicketSigner};
