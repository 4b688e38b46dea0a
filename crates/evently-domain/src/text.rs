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
    /// Made only of characters that show nothing (zero-width, bidi controls, fillers).
    #[error("must contain a visible character")]
    Invisible,
}

/// Characters that render as nothing: format characters (zero-width spaces and joiners,
/// bidi marks, embeddings, overrides and isolates, the byte-order mark, the soft hyphen)
/// and the blank fillers of Hangul and Braille.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
            | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}' | '\u{2800}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
            | '\u{FFA0}' | '\u{E0000}'..='\u{E007F}')
}

/// Trims `raw` and checks it holds `1..=max` characters, at least one of them visible,
/// and no control characters (`multiline` allows `\n` and `\t`).
///
/// # Errors
/// [`TextError`] naming the first rule broken.
pub(crate) fn clean(raw: &str, max: usize, multiline: bool) -> Result<String, TextError> {
    let trimmed = clean_optional(raw, max, multiline)?;
    if trimmed.is_empty() {
        return Err(TextError::Empty);
    }
    if trimmed.chars().all(is_invisible) {
        return Err(TextError::Invisible);
    }
    Ok(trimmed)
}

/// Like [`clean`], but an empty result is allowed.
///
/// # Errors
/// [`TextError`] naming the first rule broken.
pub(crate) fn clean_optional(raw: &str, max: usize, multiline: bool) -> Result<String, TextError> {
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

    #[test]
    fn text_of_invisible_characters_only_is_refused() {
        for invisible in ["\u{200B}", "\u{200B}\u{200D}\u{FEFF}", "\u{202E}\u{2066}", "\u{3164}", "\u{00AD}"] {
            assert_eq!(clean(invisible, 10, false), Err(TextError::Invisible), "{invisible:?}");
        }
        assert_eq!(clean("a\u{200B}", 10, false), Ok("a\u{200B}".to_owned()));
        assert_eq!(clean("日本", 10, false), Ok("日本".to_owned()));
    }
}
