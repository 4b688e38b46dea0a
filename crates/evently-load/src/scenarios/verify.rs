//! Offline verification, no server: `clients` threads verify ticket codes with the
//! function a scanner app uses (decode, key lookup, Ed25519 signature, event, window)
//! for the run's duration. Reports verifications per second.

use std::time::{Duration, Instant};

use evently_ticket::{Claims, TicketSigner};

use crate::api::Outcome;
use crate::report::{Recorder, Report};

pub fn run(clients: usize, duration: Duration) -> anyhow::Result<Report> {
    let signer = TicketSigner::from_seed([7; 32]);
    let keys = signer.keyring(&[TicketSigner::from_seed([8; 32]).public_key()]);
    let codes: Vec<String> =
        (1..=1_000).map(|ticket| signer.sign(&Claims::new(42, ticket, None, 1_800_000_000, 1_900_000_000))).collect();
    let started = Instant::now();
    let recorders = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..clients)
            .map(|worker| {
                let (keys, codes) = (&keys, &codes);
                scope.spawn(move || {
                    let mut recorder = Recorder::default();
                    let deadline = started + duration;
                    let mut at = worker;
                    while Instant::now() < deadline {
                        let began = Instant::now();
                        let verified = keys.verify(&codes[at % codes.len()], Some(42), 1_850_000_000);
                        let status = if verified.is_ok() { 200 } else { 422 };
                        let code = verified.err().map(|e| e.to_string());
                        recorder.record(&Outcome::timed(status, code, began.elapsed()));
                        at += clients;
                    }
                    recorder
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join()).collect::<Result<Vec<_>, _>>()
    })
    .map_err(|_| anyhow::anyhow!("a verifying thread panicked"))?;
    let elapsed = started.elapsed();
    let mut total = Recorder::default();
    for recorder in recorders {
        total.merge(recorder);
    }
    let errors = super::unexpected(&total, &["200"]);
    let mut report = total.report("verify", clients, elapsed);
    report.errors = errors;
    Ok(report)
}
