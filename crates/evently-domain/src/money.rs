//! Money: prices in a currency's minor unit, and the currency they are in.

use thiserror::Error;

/// A price in the currency's minor unit (cents): `0..=MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Price(u64);

/// Why a price was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("must be between 0 and {max}", max = Price::MAX)]
pub struct PriceError;

impl Price {
    /// The highest price accepted: 10^10 minor units, so that an amount of
    /// [`Seats::MAX`](crate::inventory::Seats::MAX) seats stays exact in JSON.
    pub const MAX: u64 = 10_000_000_000;
    /// Free.
    pub const FREE: Self = Self(0);

    /// Validates a raw price in minor units.
    ///
    /// # Errors
    /// [`PriceError`] outside `0..=MAX`.
    pub fn new(raw: i64) -> Result<Self, PriceError> {
        u64::try_from(raw).ok().filter(|p| *p <= Self::MAX).map(Self).ok_or(PriceError)
    }

    /// The price in minor units.
    pub fn cents(self) -> u64 {
        self.0
    }

    /// `seats` at this price.
    pub fn times(self, seats: u32) -> u64 {
        self.0 * u64::from(seats)
    }
}

/// An ISO 4217 currency code: three upper-case ASCII letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

/// Why a currency code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("must be three upper-case letters (ISO 4217)")]
pub struct CurrencyError;

impl Currency {
    /// The currency of events that name none.
    pub const EUR: Self = Self(*b"EUR");

    /// Validates a currency code.
    ///
    /// # Errors
    /// [`CurrencyError`] unless `raw` is three upper-case ASCII letters.
    pub fn new(raw: &str) -> Result<Self, CurrencyError> {
        let bytes: [u8; 3] = raw.as_bytes().try_into().map_err(|_| CurrencyError)?;
        bytes.iter().all(u8::is_ascii_uppercase).then_some(Self(bytes)).ok_or(CurrencyError)
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        // Only ASCII letters get in.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_and_currencies_are_checked() {
        assert_eq!(Price::new(-1), Err(PriceError));
        assert_eq!(Price::new(0), Ok(Price::FREE));
        assert!(Price::new(10_000_000_001).is_err());
        assert_eq!(Price::new(250).unwrap().times(3), 750);
        assert_eq!(Currency::new("USD").map(|c| c.as_str().to_owned()), Ok("USD".to_owned()));
        for bad in ["usd", "US", "USDD", "U$D", "ÉUR"] {
            assert_eq!(Currency::new(bad), Err(CurrencyError), "{bad}");
        }
    }
}
