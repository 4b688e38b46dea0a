use std::num::NonZeroU32;
use std::time::Duration;

use evently_domain::webhook::{Claim, EventType, NewEndpoint, Secret, WebhookUrl};
use evently_domain::{EndpointId, Store};

use crate::fixtures::{book, event, users};

/// A claim with room for 16 attempts per endpoint, of which `busy` are in flight to
/// `endpoint`, taking an endpoint's deliveries only with room for 8 of them.
fn claim(endpoint: EndpointId, busy: u32) -> Claim {
    Claim {
        limit: 64,
        per_endpoint: 16,
        min_free: NonZeroU32::new(8).unwrap(),
        in_flight: vec![(endpoint, busy)],
        lease: Duration::from_secs(15),
        deferred: Duration::ZERO,
    }
}

/// A new endpoint subscribed to confirmations.
async fn endpoint<S: Store>(store: &S) -> EndpointId {
    let new = NewEndpoint {
        url: WebhookUrl::new("https://hooks.example.org/in").unwrap(),
        event_types: vec![EventType::BookingConfirmed],
        description: String::new(),
    };
    store.create_endpoint(new, Secret::from_bytes([7; 32])).await.unwrap().id
}

/// An endpoint subscribed to confirmations, and `bookings` of one seat each made after it.
async fn booked_for_an_endpoint<S: Store>(store: &S, bookings: u32) -> EndpointId {
    let endpoint = endpoint(store).await;
    let event = event(store, i64::from(bookings)).await;
    for user in users(store, bookings).await {
        book(store, event, user, 1).await.unwrap();
    }
    endpoint
}

/// A busy endpoint's deliveries are claimed a batch at a time: not while fewer than
/// `min_free` of its slots are free, then up to its free slots, never past them.
pub async fn a_busy_endpoint_is_claimed_a_batch_at_a_time<S: Store>(store: S) {
    let endpoint = booked_for_an_endpoint(&store, 20).await;
    // 10 of 16 slots busy: 6 free, fewer than a batch.
    assert!(store.claim_due(claim(endpoint, 10)).await.unwrap().is_empty());
    // 8 busy: room for 8, and 8 are claimed.
    assert_eq!(store.claim_due(claim(endpoint, 8)).await.unwrap().len(), 8);
    // Nothing in flight: the other 12 (the first 8 are leased), then none.
    assert_eq!(store.claim_due(claim(endpoint, 0)).await.unwrap().len(), 12);
    assert!(store.claim_due(claim(endpoint, 0)).await.unwrap().is_empty());
}

/// A deferring claim takes only deliveries due at least that long ago; the others stay
/// due for the next claim.
pub async fn a_deferring_claim_leaves_recent_deliveries<S: Store>(store: S) {
    let endpoint = booked_for_an_endpoint(&store, 3).await;
    let deferring = Claim { deferred: Duration::from_secs(30), ..claim(endpoint, 0) };
    assert!(store.claim_due(deferring).await.unwrap().is_empty());
    assert_eq!(store.claim_due(claim(endpoint, 0)).await.unwrap().len(), 3);
}

/// A message goes to the endpoints there were at its change, however late its
/// deliveries are made: one registered after the change gets none of it.
pub async fn an_endpoint_registered_after_a_change_gets_none_of_its_messages<S: Store>(store: S) {
    let before = booked_for_an_endpoint(&store, 3).await;
    let after = endpoint(&store).await;
    let claimed: Vec<EndpointId> =
        store.claim_due(claim(before, 0)).await.unwrap().iter().map(|due| due.endpoint).collect();
    assert_eq!(claimed, [before; 3], "the endpoint registered after ({after}) was not there");
}
