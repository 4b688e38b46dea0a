#![expect(clippy::unwrap_used, reason = "tests fail loudly on anything unexpected")]

//! One contract suite, written once against the ports and run against every store:
//! the in-memory store and PostgreSQL with and without group commit (each test on its
//! own fresh database).

mod accounts;
mod analytics;
mod bookings;
mod events;
mod fixtures;
mod holds;
mod queue;
mod seating;
mod stampede;
mod tickets;
mod tiers;
mod waitlists;
mod webhooks;

/// Declares each case once per store.
macro_rules! contract {
    ($($module:ident :: $case:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test]
                async fn $case() {
                    crate::$module::$case(evently_infra::MemoryStore::new()).await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = evently_test_db::TestDatabase::create().await;
                    crate::$module::$case(crate::fixtures::pg_store(db.url(), true)).await;
                }
            )*
        }

        /// PostgreSQL with group commit off: one transaction per booking.
        mod postgres_one_by_one {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = evently_test_db::TestDatabase::create().await;
                    crate::$module::$case(crate::fixtures::pg_store(db.url(), false)).await;
                }
            )*
        }
    };
}

contract! {
    accounts::emails_are_unique_and_roles_change,
    accounts::users_are_listed_by_id,
    analytics::figures_match_a_known_fixture,
    events::events_are_created_found_and_listed_in_order,
    events::listing_filters_by_status_time_and_text,
    events::capacity_cannot_drop_below_booked_seats,
    events::raising_capacity_promotes_waiting_entries,
    events::cancelling_an_event_cancels_everything_and_tells_everyone,
    events::details_changes_are_announced,
    bookings::booking_takes_seats_until_sold_out,
    bookings::idempotency_keys_are_forgotten_after_a_day,
    bookings::one_confirmed_booking_per_user_and_event,
    bookings::bookings_respect_the_event_limit_and_status,
    bookings::cancelling_frees_seats_once,
    bookings::idempotent_requests_book_once,
    bookings::user_bookings_are_listed_newest_first,
    bookings::accounts_that_vanished_cannot_book_or_wait,
    bookings::a_page_of_bookings_agrees_with_its_total_while_they_change,
    waitlists::joining_needs_a_full_event_and_keeps_order,
    waitlists::cancellation_promotes_first_fit_and_notifies,
    waitlists::leaving_and_rejoining_goes_to_the_back,
    waitlists::waiting_users_cannot_book_directly,
    waitlists::a_page_of_the_queue_agrees_with_its_total_while_it_changes,
    stampede::a_thousand_concurrent_bookings_never_oversell,
    stampede::concurrent_duplicates_of_one_key_book_once,
    stampede::keyed_and_repeated_bookings_of_a_hot_event_book_once,
    stampede::concurrent_requests_of_one_user_book_once,
    stampede::racing_joins_and_bookings_of_one_user_hold_one_place,
    stampede::churn_keeps_every_invariant,
    stampede::keyed_requests_over_many_events_book_once_each,
    tiers::events_have_tiers_in_the_order_given,
    tiers::a_tier_sells_within_its_quota_and_the_event,
    tiers::waiting_entries_wait_in_their_tier,
    tiers::tiers_are_added_and_changed_under_the_rules,
    tiers::a_key_names_its_tier,
    tiers::a_stampede_on_a_tier_never_oversells_it,
    holds::holds_take_seats_until_confirmed,
    holds::one_place_per_user_counts_holds,
    holds::releasing_gives_the_seats_to_the_queue,
    holds::expired_holds_free_their_seats_at_once_and_are_settled_once,
    holds::a_cancellation_settles_expired_holds_before_promoting,
    holds::the_sweeper_settles_events_nobody_touches,
    holds::a_thousand_and_one_holds_expiring_together_are_settled_at_once,
    holds::offers_promote_into_holds,
    holds::keyed_holds_replay_in_their_own_key_space,
    holds::cancelling_the_event_releases_its_holds,
    holds::capacity_counts_held_seats,
    holds::a_hold_stampede_never_oversells,
    holds::confirming_races_expiry_and_exactly_one_wins,
    holds::bookings_and_holds_of_a_hot_event_share_its_seats,
    holds::concurrent_confirmations_book_each_hold_once,
    holds::holds_expire_during_a_stampede_of_bookings,
    holds::offers_made_by_a_change_last_the_hold_time_it_sets,
    tickets::every_confirmed_booking_has_a_ticket_per_seat,
    tickets::cancelling_revokes_tickets_not_checked_in_and_feeds_them_in_order,
    tickets::a_ticket_checks_in_once,
    tickets::batches_resolve_by_the_earliest_scan,
    tickets::racing_scans_check_a_ticket_in_once,
    seating::seated_events_sell_named_and_best_available_seats,
    seating::seated_events_keep_their_seat_count,
    seating::holds_on_seats_expire_back_and_confirm_in_place,
    seating::promotion_gives_waiting_entries_the_best_seats,
    seating::keys_remember_which_seats_were_asked_for,
    seating::a_seat_stampede_never_sells_a_seat_twice,
    seating::labels_keep_every_character_of_their_names,
    queue::one_ticket_per_user_and_only_for_queued_events,
    queue::a_queued_event_sells_only_to_admitted_users,
    queue::the_draw_shuffles_early_tickets_and_queues_late_ones_behind,
    queue::admission_keeps_the_pace_and_admits_each_ticket_once,
    queue::a_sell_out_closes_the_queue,
    webhooks::a_busy_endpoint_is_claimed_a_batch_at_a_time,
    webhooks::a_deferring_claim_leaves_recent_deliveries,
    webhooks::an_endpoint_registered_after_a_change_gets_none_of_its_messages,
}
