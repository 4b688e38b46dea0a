//! A seated event's seats as its public map shows them.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{SeatMapError, SeatNo, SeatingPlan};
use crate::TierId;

/// What the public sees of a seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeatStatus {
    /// Free to book or hold.
    Available,
    /// In an active, unexpired hold.
    Held,
    /// In a confirmed booking.
    Booked,
}

impl SeatStatus {
    /// The status's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Available => "available",
            Self::Held => "held",
            Self::Booked => "booked",
        }
    }
}

/// A seated event's plan and the status of each of its seats, with when the first of
/// its holds lapses (the chart changes then without a write).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatChart {
    plan: Arc<SeatingPlan<TierId>>,
    statuses: Vec<SeatStatus>,
    holds_lapse_at: Option<DateTime<Utc>>,
}

impl SeatChart {
    /// The plan with `taken` seats held or booked, the rest available; its first held
    /// seat is freed at `holds_lapse_at`.
    ///
    /// # Errors
    /// [`SeatMapError`] for a seat beyond the plan or listed twice.
    pub fn new(
        plan: Arc<SeatingPlan<TierId>>,
        taken: impl IntoIterator<Item = (SeatNo, SeatStatus)>,
        holds_lapse_at: Option<DateTime<Utc>>,
    ) -> Result<Self, SeatMapError> {
        let mut statuses = vec![SeatStatus::Available; plan.seats() as usize];
        for (seat, status) in taken {
            let slot = statuses.get_mut(seat.get() as usize).ok_or(SeatMapError::OutOfPlan(seat))?;
            if *slot != SeatStatus::Available {
                return Err(SeatMapError::Twice(seat));
            }
            *slot = status;
        }
        Ok(Self { plan, statuses, holds_lapse_at })
    }

    /// When the first of its held seats is freed by its hold lapsing.
    pub fn holds_lapse_at(&self) -> Option<DateTime<Utc>> {
        self.holds_lapse_at
    }

    /// The plan.
    pub fn plan(&self) -> &SeatingPlan<TierId> {
        &self.plan
    }

    /// The status of `seat` (available beyond the plan).
    pub fn status(&self, seat: SeatNo) -> SeatStatus {
        self.statuses.get(seat.get() as usize).copied().unwrap_or(SeatStatus::Available)
    }
}
