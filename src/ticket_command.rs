//! `evently ticket ...`: making a signing key, and verifying a code offline with the
//! published keys, through the same function a scanner app uses.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use chrono::{DateTime, Utc};
use evently_ticket::{Keyring, TicketSigner};

/// What `evently ticket` accepts.
pub const USAGE: &str = "usage:
  evently ticket verify <code> --keys <ticket-keys.json> [--event <id>] [--at <RFC 3339 time>]
      verifies a code offline with the keys of GET /api/v1/ticket-keys (saved to a file);
      prints its claims and exits 0 when it admits, names the reason and exits 1 when not
  evently ticket keygen
      prints a new EVENTLY_TICKET_SIGNING_KEY and its public key";

/// Runs `evently ticket <args>`.
///
/// # Errors
/// Unusable arguments or an unreadable key file.
pub fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    match args.first().map(String::as_str) {
        Some("verify") => verify(&args[1..]),
        Some("keygen") => keygen(),
        _ => bail!("{USAGE}"),
    }
}

fn verify(args: &[String]) -> anyhow::Result<ExitCode> {
    let (mut code, mut keys, mut event, mut at) = (None, None, None, Utc::now());
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let mut value = || rest.next().with_context(|| format!("{arg} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--keys" => keys = Some(value()?.clone()),
            "--event" => event = Some(value()?.parse::<i64>().context("--event must be an event id")?),
            "--at" => at = value()?.parse::<DateTime<Utc>>().context("--at must be an RFC 3339 time")?,
            flag if flag.starts_with("--") => bail!("unknown option {flag}\n{USAGE}"),
            positional if code.is_none() => code = Some(positional.to_owned()),
            _ => bail!("one code at a time\n{USAGE}"),
        }
    }
    let (Some(code), Some(keys)) = (code, keys) else { bail!("{USAGE}") };
    let document = std::fs::read_to_string(&keys).with_context(|| format!("cannot read {keys}"))?;
    let keyring = Keyring::from_json(&document).with_context(|| format!("{keys} is not a ticket key set"))?;
    match keyring.verify(code.trim(), event, at.timestamp()) {
        Ok(claims) => {
            println!("{}", serde_json::to_string(&claims)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(invalid) => {
            eprintln!("invalid ticket: {invalid}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn keygen() -> anyhow::Result<ExitCode> {
    let mut seed = [0_u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let signer = TicketSigner::from_seed(seed);
    println!("EVENTLY_TICKET_SIGNING_KEY={}", signer.seed_base64());
    println!("# public key {} (kid {})", signer.public_key().to_base64(), signer.kid());
    Ok(ExitCode::SUCCESS)
}
