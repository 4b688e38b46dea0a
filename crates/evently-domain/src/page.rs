//! Pagination of list answers.

use thiserror::Error;

/// A validated `limit`/`offset` pair: `limit` in `1..=100`, `offset` not negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    limit: u32,
    offset: u64,
}

/// Why a page request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum PageRequestError {
    /// `limit` outside `1..=100`.
    #[error("must be between 1 and {max}", max = PageRequest::MAX_LIMIT)]
    Limit,
    /// `offset` below zero or beyond what any store can hold.
    #[error("must be between 0 and {max}", max = PageRequest::MAX_OFFSET)]
    Offset,
}

impl PageRequest {
    /// The largest page a client may ask for.
    pub const MAX_LIMIT: u32 = 100;
    /// The page size when none is given.
    pub const DEFAULT_LIMIT: u32 = 20;
    /// The largest offset accepted (fits every store's integer types).
    pub const MAX_OFFSET: u64 = i32::MAX as u64;

    /// Validates a raw `limit` and `offset`.
    ///
    /// # Errors
    /// [`PageRequestError`] when either lies outside its range.
    pub fn new(limit: i64, offset: i64) -> Result<Self, PageRequestError> {
        let limit =
            u32::try_from(limit).ok().filter(|l| (1..=Self::MAX_LIMIT).contains(l)).ok_or(PageRequestError::Limit)?;
        let offset = u64::try_from(offset).ok().filter(|o| *o <= Self::MAX_OFFSET).ok_or(PageRequestError::Offset)?;
        Ok(Self { limit, offset })
    }

    /// How many items at most.
    pub fn limit(self) -> u32 {
        self.limit
    }

    /// How many items to skip.
    pub fn offset(self) -> u64 {
        self.offset
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self { limit: Self::DEFAULT_LIMIT, offset: 0 }
    }
}

/// One page of a list, with the total number of matching items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// How many items match in all.
    pub total: u64,
    /// The request this page answers.
    pub request: PageRequest,
}

impl<T> Page<T> {
    /// Converts every item, keeping the page's shape.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), total: self.total, request: self.request }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_checked() {
        assert_eq!(PageRequest::new(0, 0), Err(PageRequestError::Limit));
        assert_eq!(PageRequest::new(101, 0), Err(PageRequestError::Limit));
        assert_eq!(PageRequest::new(10, -1), Err(PageRequestError::Offset));
        assert!(PageRequest::new(100, 5).is_ok());
    }
}
