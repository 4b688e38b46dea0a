//! Which seats of a seated event are taken, and the rule that chooses seats.

use std::sync::Arc;

use thiserror::Error;

use super::row::RowBits;
use super::{PickRefusal, Placement, SeatNo, SeatingPlan};
use crate::TierId;

/// A seated event's plan and, per row, which of its seats are taken (booked or held).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatMap {
    plan: Arc<SeatingPlan<TierId>>,
    rows: Vec<RowBits>,
}

/// Taken seats a plan cannot hold (a corrupt store).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum SeatMapError {
    /// A seat beyond the plan.
    #[error("{0} is not in the plan")]
    OutOfPlan(SeatNo),
    /// A seat taken twice.
    #[error("{0} is taken twice")]
    Twice(SeatNo),
}

impl SeatMap {
    /// The plan with `taken` seats taken.
    ///
    /// # Errors
    /// [`SeatMapError`] for a seat beyond the plan or listed twice.
    pub fn new(plan: Arc<SeatingPlan<TierId>>, taken: impl IntoIterator<Item = SeatNo>) -> Result<Self, SeatMapError> {
        let mut map = Self { rows: vec![RowBits::default(); plan.row_count()], plan };
        for seat in taken {
            let (row, offset) = map.locate(seat).ok_or(SeatMapError::OutOfPlan(seat))?;
            if map.rows[row].is_taken(offset) {
                return Err(SeatMapError::Twice(seat));
            }
            map.rows[row].take(offset);
        }
        Ok(map)
    }

    /// The plan.
    pub fn plan(&self) -> &SeatingPlan<TierId> {
        &self.plan
    }

    /// Whether `seat` is taken.
    pub fn is_taken(&self, seat: SeatNo) -> bool {
        self.locate(seat).is_some_and(|(row, offset)| self.rows[row].is_taken(offset))
    }

    /// Seats of `tier` neither booked nor held.
    pub fn free_in(&self, tier: TierId) -> u32 {
        self.rows_of(tier).map(|(bits, _, len)| bits.free_seats(len).map(|_| 1).sum::<u32>()).sum()
    }

    /// The seats `labels` name (in their order), all in one tier: `tier` when given, else
    /// the first label's. Whether they are free is not looked at.
    ///
    /// # Errors
    /// [`PickRefusal::UnknownSeat`], then [`PickRefusal::OtherTier`].
    pub fn named(&self, tier: Option<TierId>, labels: &[String]) -> Result<(TierId, Vec<SeatNo>), PickRefusal> {
        let mut seats = Vec::with_capacity(labels.len());
        for label in labels {
            seats.push(self.plan.find(label).ok_or_else(|| PickRefusal::UnknownSeat(label.clone()))?);
        }
        let tier_of = |seat: SeatNo| self.tier_of(seat);
        let chosen = tier.or_else(|| seats.first().and_then(|&s| tier_of(s)));
        if let Some((label, _)) = labels.iter().zip(&seats).find(|&(_, &seat)| tier_of(seat) != chosen) {
            return Err(PickRefusal::OtherTier(label.clone()));
        }
        let chosen = chosen.ok_or_else(|| PickRefusal::UnknownSeat(String::new()))?;
        Ok((chosen, seats))
    }

    /// The best `n` free seats of `tier`: side by side in the first row (in plan order)
    /// that has them, at the lowest numbers; with `adjacent: false`, the first `n` free
    /// seats in plan order if no row has them side by side. `None` when they cannot be
    /// found.
    pub fn best(&self, tier: TierId, n: u32, adjacent: bool) -> Option<Vec<SeatNo>> {
        let side_by_side = self.rows_of(tier).find_map(|(bits, start, len)| {
            let first = bits.first_run(n, len)?;
            Some((start + first..start + first + n).map(SeatNo::new).collect())
        });
        if side_by_side.is_some() || adjacent {
            return side_by_side;
        }
        let scattered: Vec<SeatNo> = self
            .rows_of(tier)
            .flat_map(|(bits, start, len)| bits.free_seats(len).map(move |s| SeatNo::new(start + s)))
            .take(n as usize)
            .collect();
        (scattered.len() == n as usize).then_some(scattered)
    }

    /// Marks `seats` taken.
    pub fn take(&mut self, seats: &[SeatNo]) {
        self.set(seats, true);
    }

    /// Marks `seats` free.
    pub fn free(&mut self, seats: &[SeatNo]) {
        self.set(seats, false);
    }

    /// Marks every seat free.
    pub fn clear(&mut self) {
        self.rows.fill(RowBits::default());
    }

    /// `seats` with their labels.
    pub fn placement(&self, seats: Vec<SeatNo>) -> Option<Placement> {
        let labels = seats.iter().map(|&s| self.plan.label(s)).collect::<Option<Vec<_>>>()?;
        Placement::new(seats, labels)
    }

    fn set(&mut self, seats: &[SeatNo], taken: bool) {
        for &seat in seats {
            if let Some((row, offset)) = self.locate(seat) {
                if taken {
                    self.rows[row].take(offset);
                } else {
                    self.rows[row].free(offset);
                }
            }
        }
    }

    /// The rows of `tier` in plan order: their taken seats, first seat and length.
    fn rows_of(&self, tier: TierId) -> impl Iterator<Item = (&RowBits, u32, u32)> {
        self.plan.row_tiers().zip(&self.rows).filter(move |((t, _, _), _)| **t == tier).map(|((_, s, l), b)| (b, s, l))
    }

    fn tier_of(&self, seat: SeatNo) -> Option<TierId> {
        let (row, _) = self.locate(seat)?;
        self.plan.row_tier(row).copied()
    }

    /// The row of `seat` and its offset in the row.
    fn locate(&self, seat: SeatNo) -> Option<(usize, u32)> {
        self.plan.locate(seat).map(|(row, number)| (row, number - 1))
    }
}
