//! Reserved seating: an event's plan of sections, rows and numbered seats, which seats
//! are taken, and the pure rule that chooses seats for a request.
//!
//! Seats are numbered in plan order (sections, then rows, then seat numbers), so "the
//! first section, then the first row, then the lowest seat number" is the lowest
//! [`SeatNo`]. A row's taken seats are a 256-bit set ([`SeatMap`] keeps one per row).

mod chart;
mod map;
mod pick;
mod plan;
mod row;

pub use chart::{SeatChart, SeatStatus};
pub use map::{SeatMap, SeatMapError};
pub use pick::{PickRefusal, Placement, SeatLabels, SeatLabelsError, SeatPick};
pub use plan::{NameError, PlanError, RowLabel, RowPlan, RowSeatsError, SeatNo, SeatingPlan, SectionName, SectionPlan};

#[cfg(test)]
mod tests;
