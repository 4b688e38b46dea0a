//! The clients: random operations of random users on random events, each request
//! recorded with its outcome; keyed bookings retried with the same key on a timeout, as
//! a mobile client does, and sometimes sent twice at once to both instances.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use reqwest::{Client, Method};
use serde_json::json;

use super::record::{Call, Op, Outcome};
use super::requests::{Sent, send};
use super::rng::Rng;

/// What every client shares.
#[derive(Debug)]
pub struct World {
    pub http: Client,
    /// Base URLs of the instances alive now (the fault injector keeps it current).
    pub live: Arc<RwLock<Vec<String>>>,
    /// (id, token) of each user.
    pub users: Vec<(i64, String)>,
    pub admin: (i64, String),
    pub events: Vec<i64>,
    /// The seat labels of the seated events.
    pub seated: HashMap<i64, Vec<String>>,
    /// The one event the admin may cancel, late in the run.
    pub doomed: i64,
    pub started: Instant,
    pub deadline: Instant,
    pub known: Mutex<Known>,
    pub requests: AtomicUsize,
    pub doomed_asked: AtomicBool,
}

/// What clients learnt from answers: bookings to cancel, holds to confirm or release,
/// entries to leave.
#[derive(Debug, Default)]
pub struct Known {
    /// (booking, event) per user id.
    bookings: HashMap<i64, Vec<(i64, i64)>>,
    /// (hold, event) per user id.
    holds: HashMap<i64, Vec<(i64, i64)>>,
    /// (user index, event) believed waiting.
    waiting: Vec<(usize, i64)>,
}

/// Runs client `index` until the deadline; returns its calls.
pub async fn run(world: Arc<World>, index: usize, seed: u64) -> Vec<Call> {
    let mut worker = Worker { world, index, rng: Rng::new(seed, u64::try_from(index).unwrap()), calls: Vec::new() };
    while Instant::now() < worker.world.deadline {
        worker.step().await;
        tokio::time::sleep(Duration::from_millis(u64::try_from(worker.rng.below(10)).unwrap())).await;
    }
    worker.calls
}

/// What a seat-taking request asks for.
#[derive(Debug, Clone, Copy)]
enum Take {
    Book,
    Hold,
}

struct Worker {
    world: Arc<World>,
    index: usize,
    rng: Rng,
    calls: Vec<Call>,
}

impl Worker {
    async fn step(&mut self) {
        let user = self.rng.below(self.world.users.len());
        let event = *self.rng.pick(&self.world.events);
        match self.rng.below(1000) {
            0..300 => self.take(user, event, Take::Book).await,
            300..400 => self.take(user, event, Take::Hold).await,
            400..560 => self.cancel(user).await,
            560..640 => self.settle_hold(user).await,
            640..800 => self.join(user, event).await,
            800..910 => self.leave(user, event).await,
            910..970 => self.scan(user).await,
            970..995 => self.resize(event).await,
            _ => self.cancel_event().await,
        }
    }

    fn base(&mut self) -> String {
        let live = self.world.live.read().unwrap().clone();
        self.rng.pick(&live).clone()
    }

    /// Another live instance than `base` when there is one.
    fn other_base(&mut self, base: &str) -> String {
        let live: Vec<String> = self.world.live.read().unwrap().iter().filter(|b| *b != base).cloned().collect();
        if live.is_empty() { base.to_owned() } else { self.rng.pick(&live).clone() }
    }

    fn next_request(&self) -> usize {
        self.world.requests.fetch_add(1, Ordering::Relaxed)
    }

    fn record(&mut self, request: usize, user: i64, event: i64, op: Op, base: String, sent: Sent) -> &Call {
        let (start, end, outcome) = sent;
        self.calls.push(Call { client: self.index, request, user, event, op, base, start, end, outcome });
        self.calls.last().unwrap()
    }

    /// Books or holds seats: mostly with an `Idempotency-Key`, retried with the same key
    /// until answered, sometimes sent twice at once to two instances.
    async fn take(&mut self, user: usize, event: i64, take: Take) {
        let (id, token) = self.world.users[user].clone();
        let mut seats = self.rng.range(1, 3);
        let resource = match take {
            Take::Book => "bookings",
            Take::Hold => "holds",
        };
        // On a seated event a third of the requests name their seats, and some take
        // scattered seats.
        let labels = match self.world.seated.get(&event) {
            Some(all) if self.rng.chance(333) => {
                let first = self.rng.pick(all).clone();
                let second = self.rng.pick(all).clone();
                Some(if first == second || seats == 1 { vec![first] } else { vec![first, second] })
            }
            _ => None,
        };
        let body = match &labels {
            Some(labels) => {
                seats = i64::try_from(labels.len()).unwrap();
                json!({"seat_labels": labels})
            }
            None if self.world.seated.contains_key(&event) && self.rng.chance(200) => {
                json!({"seats": seats, "adjacent": false})
            }
            None => json!({"seats": seats}),
        };
        let path = format!("/events/{event}/{resource}");
        let op = |key: Option<String>| match take {
            Take::Book => Op::Book { seats, key, labels: labels.clone() },
            Take::Hold => Op::Hold { seats, key, labels: labels.clone() },
        };
        let request = self.next_request();
        if self.rng.chance(300) {
            let base = self.base();
            let sent = send(&self.world.http, &base, Method::POST, &path, &token, Some(body), None).await;
            let call = self.record(request, id, event, op(None), base, sent).clone();
            self.learn(&call);
            return;
        }
        let key = format!("history-{request}");
        for attempt in 0..4 {
            let first = self.base();
            let bases = if attempt == 0 && self.rng.chance(50) {
                vec![first.clone(), self.other_base(&first)]
            } else {
                vec![first]
            };
            let http = &self.world.http;
            let answers = match &bases[..] {
                [a, b] => {
                    let (x, y) = tokio::join!(
                        send(http, a, Method::POST, &path, &token, Some(body.clone()), Some(&key)),
                        send(http, b, Method::POST, &path, &token, Some(body.clone()), Some(&key))
                    );
                    vec![x, y]
                }
                _ => vec![send(http, &bases[0], Method::POST, &path, &token, Some(body.clone()), Some(&key)).await],
            };
            let mut settled = false;
            let mut refused = false;
            for (base, sent) in bases.into_iter().zip(answers) {
                settled |= matches!(sent.2, Outcome::Answered { status, .. } if status != 503);
                let call = self.record(request, id, event, op(Some(key.clone())), base, sent).clone();
                refused |= call.code() == Some("not_admitted");
                self.learn(&call);
            }
            if refused {
                self.queue(user, event).await;
            }
            if settled {
                return;
            }
            tokio::time::sleep(Duration::from_millis(u64::try_from(self.rng.range(100, 400)).unwrap())).await;
        }
    }

    /// Remembers a booking or hold answered 201. A third of the users walk away from
    /// their holds, which then lapse (and, on the events with short holds, during the run).
    fn learn(&self, call: &Call) {
        if matches!(call.op, Op::Hold { .. }) && call.user % 3 == 0 {
            return;
        }
        if let (true, Some(made)) = (call.is(201), call.body_i64("id")) {
            let mut known = self.world.known.lock().unwrap();
            let known = match call.op {
                Op::Hold { .. } => &mut known.holds,
                _ => &mut known.bookings,
            };
            let mine = known.entry(call.user).or_default();
            if !mine.iter().any(|(b, _)| *b == made) {
                mine.push((made, call.event));
            }
        }
    }

    /// Confirms (mostly) or releases one of the user's holds.
    async fn settle_hold(&mut self, user: usize) {
        let (id, token) = self.world.users[user].clone();
        let known = self.world.known.lock().unwrap().holds.get(&id).cloned().unwrap_or_default();
        if known.is_empty() {
            return;
        }
        let (hold, event) = *self.rng.pick(&known);
        let base = self.base();
        let confirm = self.rng.chance(700);
        let (method, path, op) = if confirm {
            (Method::POST, format!("/holds/{hold}/confirm"), Op::Confirm { hold })
        } else {
            (Method::DELETE, format!("/holds/{hold}"), Op::Release { hold })
        };
        let sent = send(&self.world.http, &base, method, &path, &token, None, None).await;
        let request = self.next_request();
        let call = self.record(request, id, event, op, base, sent).clone();
        if call.is(200) || call.is(201) || call.is(409) {
            self.world.known.lock().unwrap().holds.entry(id).or_default().retain(|(h, _)| *h != hold);
        }
        if confirm && (call.is(200) || call.is(201)) {
            let booking = call.body_i64("id").unwrap_or_default();
            self.world.known.lock().unwrap().bookings.entry(id).or_default().push((booking, event));
        }
    }

    /// Shows a ticket of one of the user's bookings at the door: the guest reads the
    /// booking's tickets, staff scan one code online or upload it as an offline scanner
    /// does, sometimes at both instances at once (two gates scanning the same printout).
    async fn scan(&mut self, user: usize) {
        let (id, token) = self.world.users[user].clone();
        let known = self.world.known.lock().unwrap().bookings.get(&id).cloned().unwrap_or_default();
        if known.is_empty() {
            return;
        }
        let (booking, event) = *self.rng.pick(&known);
        let base = self.base();
        let path = format!("/bookings/{booking}/tickets?limit=100");
        let sent = send(&self.world.http, &base, Method::GET, &path, &token, None, None).await;
        let request = self.next_request();
        let call = self.record(request, id, event, Op::Tickets { booking }, base, sent).clone();
        let tickets = call.body().and_then(|b| b["items"].as_array()).cloned().unwrap_or_default();
        if tickets.is_empty() {
            return;
        }
        let shown = self.rng.pick(&tickets);
        let (ticket, code) = (shown["id"].as_i64().unwrap(), shown["code"].clone());
        let (admin, staff) = self.world.admin.clone();
        let first = self.base();
        let bases = if self.rng.chance(300) { vec![first.clone(), self.other_base(&first)] } else { vec![first] };
        let gate = format!("gate {}", self.index % 4);
        let offline = self.rng.chance(300);
        let (path, body) = if offline {
            let scanned_at = chrono::Utc::now().to_rfc3339();
            let scans = json!({"scans": [{"code": code, "gate": gate, "scanned_at": scanned_at}]});
            (format!("/events/{event}/checkins/batch"), scans)
        } else {
            (format!("/events/{event}/checkins"), json!({"code": code, "gate": gate}))
        };
        let http = &self.world.http;
        let answers = match &bases[..] {
            [a, b] => {
                let (x, y) = tokio::join!(
                    send(http, a, Method::POST, &path, &staff, Some(body.clone()), None),
                    send(http, b, Method::POST, &path, &staff, Some(body.clone()), None)
                );
                vec![x, y]
            }
            _ => vec![send(http, &bases[0], Method::POST, &path, &staff, Some(body), None).await],
        };
        let request = self.next_request();
        for (base, sent) in bases.into_iter().zip(answers) {
            self.record(request, admin, event, Op::Scan { ticket, offline }, base, sent);
        }
    }

    /// Cancels one of the user's bookings; lists them first when none is known.
    async fn cancel(&mut self, user: usize) {
        let (id, token) = self.world.users[user].clone();
        let known = self.world.known.lock().unwrap().bookings.get(&id).cloned().unwrap_or_default();
        if known.is_empty() {
            return self.list(user).await;
        }
        let (booking, event) = *self.rng.pick(&known);
        let base = self.base();
        let path = format!("/bookings/{booking}/cancel");
        let sent = send(&self.world.http, &base, Method::POST, &path, &token, None, None).await;
        let request = self.next_request();
        let call = self.record(request, id, event, Op::Cancel { booking }, base, sent);
        if call.is(200) || call.is(409) {
            let mut known = self.world.known.lock().unwrap();
            known.bookings.entry(id).or_default().retain(|(b, _)| *b != booking);
        }
    }

    async fn list(&mut self, user: usize) {
        let (id, token) = self.world.users[user].clone();
        let base = self.base();
        let path = "/users/me/bookings?status=confirmed&limit=100";
        let sent = send(&self.world.http, &base, Method::GET, path, &token, None, None).await;
        let request = self.next_request();
        let call = self.record(request, id, 0, Op::ListBookings, base, sent);
        if let (true, Some(items)) = (call.is(200), call.body().and_then(|b| b["items"].as_array())) {
            let mine = items.iter().filter_map(|b| Some((b["id"].as_i64()?, b["event_id"].as_i64()?))).collect();
            self.world.known.lock().unwrap().bookings.insert(id, mine);
        }
    }

    async fn join(&mut self, user: usize, event: i64) {
        let (id, token) = self.world.users[user].clone();
        let seats = self.rng.range(1, 3);
        let base = self.base();
        let body = json!({"seats": seats});
        let sent =
            send(&self.world.http, &base, Method::POST, &format!("/events/{event}/waitlist"), &token, Some(body), None)
                .await;
        let request = self.next_request();
        let call = self.record(request, id, event, Op::Join { seats }, base, sent);
        let refused = call.code() == Some("not_admitted");
        if call.is(201) {
            self.world.known.lock().unwrap().waiting.push((user, event));
        }
        if refused {
            self.queue(user, event).await;
        }
    }

    /// Takes a ticket in the event's on-sale queue (after a `403 not_admitted`), as a
    /// buyer turned away does.
    async fn queue(&mut self, user: usize, event: i64) {
        let (id, token) = self.world.users[user].clone();
        let base = self.base();
        let sent =
            send(&self.world.http, &base, Method::POST, &format!("/events/{event}/queue"), &token, None, None).await;
        let request = self.next_request();
        self.record(request, id, event, Op::QueueJoin, base, sent);
    }

    /// Leaves a waitlist, mostly one the user is believed to wait on.
    async fn leave(&mut self, user: usize, event: i64) {
        let waiting = self.world.known.lock().unwrap().waiting.clone();
        let (user, event) =
            if !waiting.is_empty() && self.rng.chance(600) { *self.rng.pick(&waiting) } else { (user, event) };
        let (id, token) = self.world.users[user].clone();
        let base = self.base();
        let path = format!("/events/{event}/waitlist/me");
        let sent = send(&self.world.http, &base, Method::DELETE, &path, &token, None, None).await;
        let request = self.next_request();
        let call = self.record(request, id, event, Op::Leave, base, sent);
        if call.is(204) || call.is(404) {
            self.world.known.lock().unwrap().waiting.retain(|w| *w != (user, event));
        }
    }

    /// Changes an event's capacity (a seated event's is its seat count: left alone).
    async fn resize(&mut self, event: i64) {
        if self.world.seated.contains_key(&event) {
            return;
        }
        let (admin, token) = self.world.admin.clone();
        let capacity = self.rng.range(2, 14);
        let base = self.base();
        let body = json!({"capacity": capacity});
        let sent =
            send(&self.world.http, &base, Method::PATCH, &format!("/events/{event}"), &token, Some(body), None).await;
        let request = self.next_request();
        self.record(request, admin, event, Op::Resize { capacity }, base, sent);
    }

    /// Cancels the doomed event once, in the last 40% of the run.
    async fn cancel_event(&mut self) {
        let world = self.world.clone();
        let late = world.started.elapsed() * 5 > (world.deadline - world.started) * 3;
        if !late || world.doomed_asked.swap(true, Ordering::SeqCst) {
            return;
        }
        let base = self.base();
        let path = format!("/events/{}", world.doomed);
        let sent = send(&world.http, &base, Method::DELETE, &path, &world.admin.1, None, None).await;
        let request = self.next_request();
        if self.record(request, world.admin.0, world.doomed, Op::CancelEvent, base, sent).is(503) {
            world.doomed_asked.store(false, Ordering::SeqCst);
        }
    }
}
