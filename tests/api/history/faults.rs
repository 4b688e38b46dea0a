//! The fault injector: every 3 to 8 s it terminates every database connection of the
//! servers, or SIGKILLs one server process and starts it again on a new port, keeping
//! the shared list of live instances current. The quiet time between faults is what
//! lets the checker tell a 503 of a fault from a 503 of a bug.

use std::process::Stdio;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::Utc;

use super::record::FaultWindow;
use super::rng::Rng;
use crate::helpers::{Process, execute};

const TERMINATE: &str = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                         WHERE datname = current_database() AND pid <> pg_backend_pid()";

/// The server processes: slot 0 without group commit, slot 1 with it.
pub struct Servers {
    processes: Vec<Process>,
    pub live: Arc<RwLock<Vec<String>>>,
}

/// Webhooks may reach the test's receiver on loopback, and retry within the run.
const WEBHOOKS: [(&str, &str); 2] =
    [("EVENTLY_WEBHOOK_ALLOW_PRIVATE", "true"), ("EVENTLY_WEBHOOK_RETRY_SCHEDULE", "200ms,500ms,1s,2s,3s,5s,5s")];

fn env(slot: usize) -> &'static [(&'static str, &'static str)] {
    if slot == 0 { &[("EVENTLY_GROUP_COMMIT", "false"), WEBHOOKS[0], WEBHOOKS[1]] } else { &WEBHOOKS }
}

impl Servers {
    pub async fn start(database_url: &str) -> Self {
        let mut processes = Vec::new();
        for slot in 0..2 {
            processes.push(Process::spawn_with(database_url, env(slot), Stdio::null()).await);
        }
        let live = Arc::new(RwLock::new(processes.iter().map(|p| p.1.clone()).collect()));
        Self { processes, live }
    }

    pub fn bases(&self) -> Vec<String> {
        self.live.read().unwrap().clone()
    }

    /// SIGKILLs the process of `slot` and starts another; returns what happened.
    async fn restart(&mut self, slot: usize, database_url: &str) -> String {
        let old = self.processes[slot].1.clone();
        self.live.write().unwrap().retain(|b| *b != old);
        self.processes[slot].kill();
        let fresh = Process::spawn_with(database_url, env(slot), Stdio::null()).await;
        let what = format!("SIGKILL {old}, restarted as {}", fresh.1);
        self.live.write().unwrap().push(fresh.1.clone());
        self.processes[slot] = fresh;
        what
    }
}

/// Injects faults until `deadline`; returns the servers (still running) and the windows.
pub async fn inject(
    mut servers: Servers,
    database_url: String,
    deadline: Instant,
    seed: u64,
) -> (Servers, Vec<FaultWindow>) {
    let mut rng = Rng::new(seed, u64::MAX);
    let mut windows = Vec::new();
    loop {
        let pause = Duration::from_millis(u64::try_from(rng.range(3_000, 8_000)).unwrap());
        if Instant::now() + pause + Duration::from_secs(1) >= deadline {
            break;
        }
        tokio::time::sleep(pause).await;
        let start = Utc::now();
        let what = if rng.chance(500) {
            execute(&database_url, TERMINATE).await;
            "pg_terminate_backend of every server connection".to_owned()
        } else {
            let slot = rng.below(2);
            servers.restart(slot, &database_url).await
        };
        windows.push(FaultWindow { what, start, end: Utc::now() });
    }
    (servers, windows)
}
