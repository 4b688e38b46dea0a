//! What a run prints: a one-line summary, and for each anomaly the slice of the history
//! and of the final state that it concerns.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, TimeDelta, Utc};

use super::checker::{Anomaly, GRACE, during_fault};
use super::record::{Call, FaultWindow, Op, Outcome};
use super::state::FinalState;

/// Most calls shown per anomaly, and most anomalies shown in full.
const SLICE: usize = 60;
const SHOWN: usize = 40;

/// `history summary: ...` with the count of every op by outcome, and the anomalies.
pub fn summary(
    seed: u64,
    secs: u64,
    history: &[Call],
    faults: &[FaultWindow],
    state: &FinalState,
    anomalies: usize,
) -> String {
    let mut counts: BTreeMap<&str, BTreeMap<String, usize>> = BTreeMap::new();
    for call in history {
        let outcome = match (&call.outcome, call.code()) {
            (Outcome::Indeterminate(why), _) => format!("indeterminate({why})"),
            (Outcome::Answered { status, .. }, Some(code)) => format!("{status} {code}"),
            (Outcome::Answered { status, .. }, None) => status.to_string(),
        };
        *counts.entry(call.op.name()).or_default().entry(outcome).or_default() += 1;
    }
    let kills = faults.iter().filter(|f| f.what.starts_with("SIGKILL")).count();
    let (first, last) = (history.iter().map(|c| c.start).min(), history.iter().map(|c| c.end).max());
    let run = first.zip(last).map_or(TimeDelta::zero(), |(first, last)| last - first);
    let faulty = faults.iter().map(|f| f.end + GRACE - f.start).sum::<TimeDelta>();
    let share = 100 * faulty.num_milliseconds() / run.num_milliseconds().max(1);
    let timeouts = history.iter().filter(|c| c.is_indeterminate() && !during_fault(c, faults)).count();
    let mut line = format!(
        "history summary: seed={seed} secs={secs} calls={} faults={} (restarts={kills}, terminations={}, \
         {share}% of the time with grace) | no answer outside faults={timeouts}",
        history.len(),
        faults.len(),
        faults.len() - kills
    );
    for (op, outcomes) in counts {
        let outcomes: Vec<String> = outcomes.into_iter().map(|(o, n)| format!("{o}={n}")).collect();
        write!(line, " | {op}: {}", outcomes.join(", ")).unwrap();
    }
    let mut attempts: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    for call in history.iter().filter(|c| matches!(c.op, Op::Book { key: Some(_), .. })) {
        let (sent, booked) = attempts.entry(call.request).or_default();
        (*sent, *booked) = (*sent + 1, *booked + usize::from(call.is(201)));
    }
    let retried = attempts.values().filter(|(sent, _)| *sent > 1).count();
    let replayed = attempts.values().filter(|(_, booked)| *booked > 1).count();
    let promoted = state.entries.iter().filter(|e| e.status == "promoted").count();
    let left = state.entries.iter().filter(|e| e.status == "left").count();
    write!(line, " | keys sent more than once={retried}, answered 201 more than once={replayed}").unwrap();
    let expired = state.holds.iter().filter(|h| h.status == "expired").count();
    write!(line, " | promotions={promoted}, entries left={left}, holds expired={expired}, anomalies={anomalies}")
        .unwrap();
    line
}

/// Every anomaly, the first [`SHOWN`] with their slice of the history and state.
pub fn anomalies(history: &[Call], faults: &[FaultWindow], state: &FinalState, anomalies: &[Anomaly]) -> String {
    let origin = history.first().map_or_else(Utc::now, |c| c.start);
    let mut out = format!("{} anomalies:\n", anomalies.len());
    for anomaly in anomalies {
        writeln!(out, "  {anomaly}").unwrap();
    }
    out.push_str("fault windows:\n");
    for fault in faults {
        writeln!(out, "  {} .. {} {}", offset(origin, fault.start), offset(origin, fault.end), fault.what).unwrap();
    }
    for anomaly in anomalies.iter().take(SHOWN) {
        writeln!(out, "\n== {anomaly}").unwrap();
        let relevant: Vec<&Call> = history.iter().filter(|c| concerns(anomaly, c)).collect();
        let skipped = relevant.len().saturating_sub(SLICE);
        if skipped > 0 {
            writeln!(out, "  ... {skipped} earlier calls").unwrap();
        }
        for call in &relevant[skipped..] {
            writeln!(out, "  {}", line(origin, call)).unwrap();
        }
        for row in state.bookings.iter().filter(|b| {
            anomaly.booking == Some(b.id)
                || (anomaly.event == Some(b.event_id) && anomaly.user.is_none_or(|u| u == b.user_id))
        }) {
            writeln!(out, "  db {row:?}").unwrap();
        }
        for row in state
            .entries
            .iter()
            .filter(|e| anomaly.event == Some(e.event_id) && anomaly.user.is_none_or(|u| u == e.user_id))
        {
            writeln!(out, "  db {row:?}").unwrap();
        }
        for row in state.events.iter().filter(|e| anomaly.event == Some(e.id)) {
            writeln!(out, "  db {row:?}").unwrap();
        }
    }
    out
}

fn concerns(anomaly: &Anomaly, call: &Call) -> bool {
    let booking = matches!(call.op, Op::Cancel { booking } if Some(booking) == anomaly.booking)
        || (anomaly.booking.is_some() && call.body_i64("id") == anomaly.booking);
    let admin = matches!(call.op, Op::Resize { .. } | Op::CancelEvent | Op::Create { .. })
        && !call.status().is_some_and(|s| (400..500).contains(&s));
    let place =
        anomaly.event.is_some_and(|e| e == call.event) && (anomaly.user.is_none_or(|u| u == call.user) || admin);
    booking || place
}

fn offset(origin: DateTime<Utc>, at: DateTime<Utc>) -> String {
    format!("+{:.3}s", (at - origin).num_microseconds().unwrap_or(0) as f64 / 1e6)
}

fn line(origin: DateTime<Utc>, call: &Call) -> String {
    let outcome = match &call.outcome {
        Outcome::Answered { status, body } => {
            let body: String = body.to_string().chars().take(200).collect();
            format!("{status} {body}")
        }
        Outcome::Indeterminate(why) => format!("INDETERMINATE ({why})"),
    };
    format!(
        "{}..{} c{:02} r{} user {} event {} {:?} @{} -> {outcome}",
        offset(origin, call.start),
        offset(origin, call.end),
        call.client,
        call.request,
        call.user,
        call.event,
        call.op,
        call.base.rsplit(':').next().unwrap_or_default()
    )
}
