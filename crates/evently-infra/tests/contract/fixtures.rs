//! Shared set-up for contract cases.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use evently_domain::booking::{BookError, BookOutcome, BookingRequest, IdempotencyKey};
use evently_domain::event::{Description, Event, EventName, NewEvent, TierPlan, Venue};
use evently_domain::hold::HoldTtl;
use evently_domain::inventory::Seats;
use evently_domain::inventory::{Capacity, Promotion};
use evently_domain::money::Currency;
use evently_domain::seating::SeatPick;
use evently_domain::user::{Email, NewUser, PasswordHash, Role, UserName};
use evently_domain::{EventId, Page, Store, UserId};
use evently_infra::{PgSettings, PgStore};

pub fn pg_store(url: &str, group_commit: bool) -> PgStore {
    let mut settings = PgSettings::new(url);
    settings.group_commit = group_commit;
    settings.pool_size = 32;
    settings.acquire_timeout = Duration::from_secs(60);
    PgStore::connect(&settings).unwrap()
}

pub async fn user<S: Store>(store: &S, n: u32) -> UserId {
    let new = NewUser {
        name: UserName::new(&format!("User {n}")).unwrap(),
        email: Email::new(&format!("user{n}@example.org")).unwrap(),
        password_hash: PasswordHash::new("$argon2id$fake".into()),
        role: Role::User,
    };
    store.create_user(new).await.unwrap().id
}

pub async fn users<S: Store>(store: &S, count: u32) -> Vec<UserId> {
    let mut ids = Vec::new();
    for n in 0..count {
        ids.push(user(store, n).await);
    }
    ids
}

pub fn new_event(name: &str, capacity: i64, day: u32) -> NewEvent {
    NewEvent {
        name: EventName::new(name).unwrap(),
        venue: Venue::new("Main Hall").unwrap(),
        description: Description::new("").unwrap(),
        starts_at: Utc.with_ymd_and_hms(2027, 3, day, 19, 30, 0).unwrap(),
        capacity: Capacity::new(capacity).unwrap(),
        max_seats_per_booking: Seats::new(10).unwrap(),
        hold_ttl: HoldTtl::DEFAULT,
        waitlist_promotion: Promotion::Book,
        currency: Currency::EUR,
        tiers: TierPlan::general_admission(),
        seating: None,
        on_sale_at: None,
        queue: None,
    }
}

pub async fn event<S: Store>(store: &S, capacity: i64) -> EventId {
    store.create_event(new_event("Concert", capacity, 1)).await.unwrap().id
}

pub async fn reload<S: Store>(store: &S, id: EventId) -> Event {
    store.find_event(id).await.unwrap().unwrap()
}

pub fn seats(n: i64) -> Seats {
    Seats::new(n).unwrap()
}

pub fn request(event: EventId, user: UserId, n: i64) -> BookingRequest {
    BookingRequest {
        event_id: event,
        user_id: user,
        pick: SeatPick::count(seats(n)),
        tier: None,
        idempotency_key: None,
    }
}

pub fn keyed(event: EventId, user: UserId, n: i64, key: &str) -> BookingRequest {
    BookingRequest { idempotency_key: Some(IdempotencyKey::new(key).unwrap()), ..request(event, user, n) }
}

pub async fn book<S: Store>(store: &S, event: EventId, user: UserId, n: i64) -> Result<BookOutcome, BookError> {
    store.book(request(event, user, n)).await
}

/// Reads a page with `read` until `writer` is done, each time expecting as many items as
/// the page's total says (a list whose total is counted apart fails this), and at least once.
pub async fn pages_agree_with_their_totals_until<T, F, Fut>(writer: tokio::task::JoinHandle<()>, read: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Page<T>>,
{
    let mut reads = 0;
    while !writer.is_finished() {
        let page = read().await;
        assert_eq!(page.items.len() as u64, page.total, "read {reads}: the items and their total disagree");
        reads += 1;
        tokio::task::yield_now().await;
    }
    writer.await.unwrap();
    assert!(reads > 0);
}
