//! End-to-end tests: the real server on a random port, over HTTP, against the embedded
//! store or a fresh PostgreSQL database per test.
#![expect(clippy::unwrap_used, reason = "tests fail loudly on anything unexpected")]

mod accounts;
mod analytics;
mod bookings;
mod cache;
mod errors;
mod events;
mod faults;
mod helpers;
mod history;
mod holds;
mod instances;
mod operations;
mod pgbouncer;
mod queue;
mod seating;
mod stampede;
mod tickets;
mod tiers;
mod waitlist;
mod webhooks;
