//! How a batch of verified scans from an offline scanner resolves against the tickets'
//! current states.

use std::collections::HashMap;

use super::{CheckIn, ScanOutcome, ScanResult, Ticket, TicketStatus};
use crate::TicketId;

/// Resolves `scans` (verified, in upload order) against the current state of the tickets
/// they name: for each ticket the earliest scan (the first of equals) checks it in unless
/// the ticket is already checked in or revoked; every other scan of it is
/// `AlreadyCheckedIn` with the ticket's check-in time. A scan of a ticket missing from
/// `tickets` is `Invalid`. Returns the results in upload order and the check-ins to store.
pub fn resolve_scans(scans: &[CheckIn], tickets: &[Ticket]) -> (Vec<ScanResult>, Vec<CheckIn>) {
    let current: HashMap<TicketId, &Ticket> = tickets.iter().map(|t| (t.id, t)).collect();
    let mut earliest: HashMap<TicketId, usize> = HashMap::new();
    for (at, scan) in scans.iter().enumerate() {
        earliest
            .entry(scan.ticket)
            .and_modify(|first| {
                if scan.at < scans[*first].at {
                    *first = at;
                }
            })
            .or_insert(at);
    }
    let mut apply: Vec<CheckIn> = Vec::new();
    let results = scans
        .iter()
        .enumerate()
        .map(|(at, scan)| {
            let Some(ticket) = current.get(&scan.ticket) else {
                return ScanResult { outcome: ScanOutcome::Invalid, checked_in_at: None };
            };
            let first = &scans[earliest[&scan.ticket]];
            match ticket.status {
                TicketStatus::Revoked => ScanResult { outcome: ScanOutcome::Revoked, checked_in_at: None },
                TicketStatus::CheckedIn => {
                    ScanResult { outcome: ScanOutcome::AlreadyCheckedIn, checked_in_at: ticket.checked_in_at }
                }
                TicketStatus::Valid if earliest[&scan.ticket] == at => {
                    apply.push(scan.clone());
                    ScanResult { outcome: ScanOutcome::CheckedIn, checked_in_at: Some(scan.at) }
                }
                TicketStatus::Valid => {
                    ScanResult { outcome: ScanOutcome::AlreadyCheckedIn, checked_in_at: Some(first.at) }
                }
            }
        })
        .collect();
    (results, apply)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};

    use super::*;
    use crate::{BookingId, EventId, TierId, UserId};

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 3, 1, 19, minute, 0).single().unwrap_or_default()
    }

    fn id(raw: i64) -> TicketId {
        TicketId::new(raw).unwrap_or_else(|| unreachable!())
    }

    fn ticket(raw: i64, status: TicketStatus) -> Ticket {
        let one = |raw| BookingId::new(raw).unwrap_or_else(|| unreachable!());
        Ticket {
            id: id(raw),
            booking_id: one(1),
            holder: UserId::new(1).unwrap_or_else(|| unreachable!()),
            event_id: EventId::new(1).unwrap_or_else(|| unreachable!()),
            tier_id: TierId::new(1).unwrap_or_else(|| unreachable!()),
            seat_label: None,
            status,
            issued_at: at(0),
            valid_until: at(59),
            checked_in_at: (status == TicketStatus::CheckedIn).then(|| at(1)),
            gate: None,
        }
    }

    fn scan(ticket: i64, minute: u32) -> CheckIn {
        CheckIn { ticket: id(ticket), gate: None, at: at(minute) }
    }

    #[test]
    fn the_earliest_scan_of_a_ticket_wins_whatever_the_upload_order() {
        let scans = [scan(1, 30), scan(1, 10), scan(1, 20)];
        let (results, apply) = resolve_scans(&scans, &[ticket(1, TicketStatus::Valid)]);
        let outcomes: Vec<_> = results.iter().map(|r| (r.outcome, r.checked_in_at)).collect();
        assert_eq!(
            outcomes,
            [
                (ScanOutcome::AlreadyCheckedIn, Some(at(10))),
                (ScanOutcome::CheckedIn, Some(at(10))),
                (ScanOutcome::AlreadyCheckedIn, Some(at(10))),
            ]
        );
        assert_eq!(apply, [scan(1, 10)]);
    }

    #[test]
    fn the_server_state_stays_and_unknown_tickets_are_invalid() {
        let tickets = [ticket(1, TicketStatus::CheckedIn), ticket(2, TicketStatus::Revoked)];
        let (results, apply) = resolve_scans(&[scan(1, 0), scan(2, 5), scan(3, 5)], &tickets);
        let outcomes: Vec<_> = results.iter().map(|r| (r.outcome, r.checked_in_at)).collect();
        assert_eq!(
            outcomes,
            [(ScanOutcome::AlreadyCheckedIn, Some(at(1))), (ScanOutcome::Revoked, None), (ScanOutcome::Invalid, None),]
        );
        assert!(apply.is_empty());
    }

    #[test]
    fn ties_go_to_the_first_uploaded() {
        let scans = [CheckIn { gate: crate::ticket::Gate::new("north").ok(), ..scan(1, 5) }, scan(1, 5)];
        let (results, apply) = resolve_scans(&scans, &[ticket(1, TicketStatus::Valid)]);
        assert_eq!(results[0].outcome, ScanOutcome::CheckedIn);
        assert_eq!(results[1].outcome, ScanOutcome::AlreadyCheckedIn);
        assert_eq!(apply.len(), 1);
        assert!(apply[0].gate.is_some());
    }
}
