//! The embedded in-memory store: the same ports and rules as PostgreSQL, nothing
//! persisted. One mutex guards all state; every operation holds it for a few
//! microseconds and never across an `.await`, so each operation is atomic and
//! operations on one event are serialized exactly as under PostgreSQL's row lock.

mod analytics;
mod bookings;
mod events;
mod holds;
mod queue;
mod state;
mod tickets;
mod users;
mod waitlist;
mod webhooks;

use std::sync::{Arc, Mutex, MutexGuard};

use evently_domain::{Page, PageRequest, Store, StoreError};
use state::State;

/// Every port, backed by process memory.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        self.state.lock().map_err(|_| StoreError::Unknown(anyhow::anyhow!("in-memory store poisoned")))
    }
}

impl Store for MemoryStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.lock().map(drop)
    }
}

impl evently_domain::notification::NotificationRepository for MemoryStore {
    async fn list_notifications(
        &self,
        user: evently_domain::UserId,
        page: evently_domain::PageRequest,
    ) -> Result<evently_domain::Page<evently_domain::notification::Notification>, StoreError> {
        let state = self.lock()?;
        let mine = state.notifications.iter().rev().filter(|(u, _)| *u == user).map(|(_, n)| n.clone()).collect();
        Ok(page_of(mine, page))
    }
}

/// The next id for a table of `len` rows.
fn next_id<T>(len: usize, wrap: fn(i64) -> Option<T>) -> Result<T, StoreError> {
    i64::try_from(len + 1).ok().and_then(wrap).ok_or_else(|| StoreError::Unknown(anyhow::anyhow!("id space exhausted")))
}

/// The index of the row with id `id`.
fn index(id: i64) -> usize {
    usize::try_from(id - 1).unwrap_or(usize::MAX)
}

/// Cuts one page out of an already filtered and ordered list.
fn page_of<T>(all: Vec<T>, request: PageRequest) -> Page<T> {
    let total = all.len() as u64;
    let items = all
        .into_iter()
        .skip(usize::try_from(request.offset()).unwrap_or(usize::MAX))
        .take(request.limit() as usize)
        .collect();
    Page { items, total, request }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_of_cuts_a_page() -> Result<(), evently_domain::page::PageRequestError> {
        let page = page_of((1..=5).collect(), PageRequest::new(2, 3)?);
        assert_eq!(page.items, vec![4, 5]);
        assert_eq!(page.total, 5);
        Ok(())
    }
}
