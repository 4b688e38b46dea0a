//! Validated free text: trimmed, bounded, free of control characters.

use thiserror::Error;

/// Why a piece of text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum TextError {
    /// Nothing left after trimming, where something is required.
    #[error("must not be empty")]
    Empty,
    /// Longer than allowed (in characters).
    #[error("must be at most {0} characters")]
    TooLong(usize),
    /// Contains control characters (other than newlines and tabs where allowed).
    #[error("must not contain control characters")]
    ControlCharacter,
}

/// Trims `raw` and checks it holds `1..=max` characters and no control characters
/// (`multiline` allows `\n` and `\t`).
///
/// # Errors
/// [`TextError`] naming the first rule broken.
pub fn clean(raw: &str, max: usize, multiline: bool) -> Result<String, TextError> {
    let trimmed = clean_optional(raw, max, multiline)?;
    if trimmed.is_empty() {
        return Err(TextError::Empty);
    }
    Ok(trimmed)
}

/// Like [`clean`], but an empty result is allowed.
///
/// # Errors
/// [`TextError`] naming the first rule broken.
pub fn clean_optional(raw: &str, max: usize, multiline: bool) -> Result<String, TextError> {
    let trimmed = raw.trim();
    if trimmed.chars().count() > max {
        return Err(TextError::TooLong(max));
    }
    let allowed = |c: char| multiline && (c == '\n' || c == '\t' || c == '\r');
    if trimmed.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(TextError::ControlCharacter);
    }
    Ok(trimmed.to_owned())
}

/// Declares a newtype over validated single- or multi-line text.
macro_rules! text_type {
    ($(#[$meta:meta])* $name:ident, max = $max:expr, $cleaner:ident, multiline = $multi:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// The longest value accepted, in characters.
            pub const MAX_CHARS: usize = $max;

            /// Trims and validates `raw`.
            ///
            /// # Errors
            /// [`TextError`](crate::text::TextError) naming the rule broken.
            pub fn new(raw: &str) -> Result<Self, $crate::text::TextError> {
                $crate::text::$cleaner(raw, Self::MAX_CHARS, $multi).map(Self)
            }

            /// The validated text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}
pub(crate) use text_type;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_bounds() {
        assert_eq!(clean("  hi ", 5, false), Ok("hi".to_owned()));
        assert_eq!(clean("   ", 5, false), Err(TextError::Empty));
        assert_eq!(clean("abcdef", 5, false), Err(TextError::TooLong(5)));
        assert_eq!(clean("ééééé", 5, false), Ok("ééééé".to_owned()));
        assert_eq!(clean("a\u{0}b", 5, false), Err(TextError::ControlCharacter));
        assert_eq!(clean("a\nb", 5, false), Err(TextError::ControlCharacter));
        assert_eq!(clean("a\nb", 5, true), Ok("a\nb".to_owned()));
        assert_eq!(clean_optional("", 5, true), Ok(String::new()));
    }
}
