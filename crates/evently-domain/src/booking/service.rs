use super::{BookError, BookOutcome, Booking, BookingRepository, BookingRequest, CancelBookingError, GetBookingError};
use crate::cache::{Cache, invalidate_event};
use crate::failure::retry_transient;
use crate::inventory::BookingStatus;
use crate::user::Actor;
use crate::{BookingId, Page, PageRequest, StoreError};

/// Taking, showing and cancelling bookings; every change invalidates the cached answers
/// it affects.
#[derive(Debug, Clone)]
pub struct BookingService<R, C> {
    bookings: R,
    cache: C,
}

impl<R: BookingRepository, C: Cache> BookingService<R, C> {
    /// Builds the service over its ports.
    pub fn new(bookings: R, cache: C) -> Self {
        Self { bookings, cache }
    }

    /// Books seats, retrying an operation the store aborted (it had no effect, and an
    /// idempotency key keeps any retry from booking twice).
    ///
    /// # Errors
    /// See [`BookingRepository::book`].
    pub async fn book(&self, request: BookingRequest) -> Result<BookOutcome, BookError> {
        let outcome = retry_transient(|| self.bookings.book(request.clone())).await?;
        if !outcome.replayed {
            invalidate_event(&self.cache, request.event_id).await;
        }
        Ok(outcome)
    }

    /// A booking its owner or an admin may see.
    ///
    /// # Errors
    /// [`GetBookingError::NotFound`] when it does not exist or `actor` may not see it.
    pub async fn get(&self, actor: Actor, id: BookingId) -> Result<Booking, GetBookingError> {
        match self.bookings.find_booking(id).await? {
            Some(booking) if actor.may_access(booking.user_id) => Ok(booking),
            _ => Err(GetBookingError::NotFound),
        }
    }

    /// Cancels a booking on behalf of its owner or an admin; the freed seats go to the
    /// waitlist at once.
    ///
    /// # Errors
    /// [`CancelBookingError::NotFound`] when it does not exist or `actor` may not touch
    /// it; [`CancelBookingError::EventCancelled`], [`CancelBookingError::AlreadyCancelled`].
    pub async fn cancel(&self, actor: Actor, id: BookingId) -> Result<Booking, CancelBookingError> {
        // Ownership never changes, so checking it before the atomic cancel is safe.
        match self.bookings.find_booking(id).await? {
            Some(booking) if actor.may_access(booking.user_id) => {
                let cancelled = retry_transient(|| self.bookings.cancel_booking(id)).await?;
                invalidate_event(&self.cache, cancelled.event_id).await;
                Ok(cancelled)
            }
            _ => Err(CancelBookingError::NotFound),
        }
    }

    /// The actor's own bookings.
    ///
    /// # Errors
    /// [`StoreError`] only.
    pub async fn list(
        &self,
        actor: Actor,
        status: Option<BookingStatus>,
        page: PageRequest,
    ) -> Result<Page<Booking>, StoreError> {
        self.bookings.list_user_bookings(actor.id(), status, page).await
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use futures_executor::block_on;

    use super::*;
    use crate::booking::{BookingSource, MockBookingRepository};
    use crate::cache::{CacheTag, MockCache};
    use crate::inventory::Seats;
    use crate::money::{Currency, Price};
    use crate::user::Role;
    use crate::{EventId, TierId, UserId};

    fn booking(owner: i64) -> Booking {
        Booking {
            id: BookingId::new(9).unwrap(),
            event_id: EventId::new(1).unwrap(),
            user_id: UserId::new(owner).unwrap(),
            seats: Seats::ONE,
            tier_id: TierId::new(1).unwrap(),
            unit_price: Price::FREE,
            currency: Currency::EUR,
            status: BookingStatus::Confirmed,
            source: BookingSource::Direct,
            payment_reference: None,
            placement: None,
            created_at: Utc::now(),
            cancelled_at: None,
        }
    }

    /// A cache expecting `times` invalidations of event 1, leaving which events listings
    /// hold alone.
    fn cache(times: usize) -> MockCache {
        let mut cache = MockCache::new();
        cache
            .expect_invalidate()
            .withf(|tags| {
                tags.contains(&CacheTag::Event(EventId::new(1).unwrap())) && !tags.contains(&CacheTag::EventList)
            })
            .times(times)
            .returning(|_| Box::pin(async { Ok(()) }));
        cache
    }

    fn actor(id: i64, role: Role) -> Actor {
        Actor::new(UserId::new(id).unwrap(), role)
    }

    fn repo_holding(owner: i64) -> MockBookingRepository {
        let mut bookings = MockBookingRepository::new();
        bookings.expect_find_booking().returning(move |_| Box::pin(async move { Ok(Some(booking(owner))) }));
        bookings
    }

    #[test]
    fn strangers_cannot_see_or_cancel_a_booking() {
        let mut bookings = repo_holding(1);
        bookings.expect_cancel_booking().never();
        let service = BookingService::new(bookings, cache(0));
        let stranger = actor(2, Role::User);
        assert!(matches!(block_on(service.get(stranger, BookingId::new(9).unwrap())), Err(GetBookingError::NotFound)));
        assert!(matches!(
            block_on(service.cancel(stranger, BookingId::new(9).unwrap())),
            Err(CancelBookingError::NotFound)
        ));
    }

    #[test]
    fn owners_and_admins_may_cancel() {
        for who in [actor(1, Role::User), actor(5, Role::Admin)] {
            let mut bookings = repo_holding(1);
            bookings.expect_cancel_booking().times(1).returning(|_| {
                Box::pin(async {
                    let mut cancelled = booking(1);
                    cancelled.status = BookingStatus::Cancelled;
                    Ok(cancelled)
                })
            });
            let service = BookingService::new(bookings, cache(1));
            let result = block_on(service.cancel(who, BookingId::new(9).unwrap()));
            assert!(matches!(result, Ok(b) if b.status == BookingStatus::Cancelled));
        }
    }

    #[test]
    fn missing_bookings_are_not_found() {
        let mut bookings = MockBookingRepository::new();
        bookings.expect_find_booking().returning(|_| Box::pin(async { Ok(None) }));
        let service = BookingService::new(bookings, cache(0));
        let admin = actor(5, Role::Admin);
        assert!(matches!(block_on(service.get(admin, BookingId::new(9).unwrap())), Err(GetBookingError::NotFound)));
    }

    #[test]
    fn booking_retries_transient_failures_but_not_sold_out() {
        let mut bookings = MockBookingRepository::new();
        let mut seq = mockall::Sequence::new();
        bookings.expect_book().times(2).in_sequence(&mut seq).returning(|_| {
            Box::pin(async { Err(BookError::Store(StoreError::Transient(anyhow::anyhow!("deadlock detected")))) })
        });
        bookings
            .expect_book()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Box::pin(async { Err(BookError::SoldOut { available: 0 }) }));
        let service = BookingService::new(bookings, cache(0));
        let request = BookingRequest {
            event_id: EventId::new(1).unwrap(),
            user_id: UserId::new(1).unwrap(),
            pick: crate::seating::SeatPick::count(Seats::ONE),
            tier: None,
            idempotency_key: None,
        };
        assert!(matches!(block_on(service.book(request)), Err(BookError::SoldOut { available: 0 })));
    }

    #[test]
    fn new_bookings_invalidate_cached_answers_and_replays_do_not() {
        for (replayed, invalidations) in [(false, 1), (true, 0)] {
            let mut bookings = MockBookingRepository::new();
            bookings
                .expect_book()
                .returning(move |_| Box::pin(async move { Ok(BookOutcome { booking: booking(1), replayed }) }));
            let service = BookingService::new(bookings, cache(invalidations));
            let request = BookingRequest {
                event_id: EventId::new(1).unwrap(),
                user_id: UserId::new(1).unwrap(),
                pick: crate::seating::SeatPick::count(Seats::ONE),
                tier: None,
                idempotency_key: None,
            };
            assert!(block_on(service.book(request)).is_ok());
        }
    }

    #[test]
    fn store_failures_while_cancelling_surface_unchanged() {
        let mut bookings = MockBookingRepository::new();
        bookings
            .expect_find_booking()
            .returning(|_| Box::pin(async { Err(StoreError::Unavailable(anyhow::anyhow!("pool timed out"))) }));
        let service = BookingService::new(bookings, cache(0));
        let result = block_on(service.cancel(actor(1, Role::User), BookingId::new(9).unwrap()));
        assert!(matches!(result, Err(CancelBookingError::Store(StoreError::Unavailable(_)))));
    }
}
