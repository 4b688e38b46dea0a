//! What a request asks for on a seated event, and where its seats turned out to be.

use thiserror::Error;

use super::SeatNo;
use crate::Refusal;
use crate::seats::Seats;

/// Seats named in one request: 1 to [`Seats::MAX`] labels, none repeated. Whether the
/// event has them is for its plan to say.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SeatLabels(Vec<String>);

/// Why a list of seat labels was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SeatLabelsError {
    /// No labels, or more than [`Seats::MAX`].
    #[error("must hold 1 to {max} labels", max = Seats::MAX)]
    Count,
    /// A label given twice.
    #[error("{0:?} is named twice")]
    Duplicate(String),
}

impl SeatLabels {
    /// Validates the labels of a request.
    ///
    /// # Errors
    /// [`SeatLabelsError`] naming the first rule broken.
    pub fn new(labels: Vec<String>) -> Result<Self, SeatLabelsError> {
        let count = i64::try_from(labels.len()).unwrap_or(i64::MAX);
        Seats::new(count).map_err(|_| SeatLabelsError::Count)?;
        for (i, label) in labels.iter().enumerate() {
            if labels[..i].contains(label) {
                return Err(SeatLabelsError::Duplicate(label.clone()));
            }
        }
        Ok(Self(labels))
    }

    /// The labels, as given.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// How many seats they name.
    pub fn seats(&self) -> Seats {
        Seats::new(i64::try_from(self.0.len()).unwrap_or(i64::MAX)).unwrap_or(Seats::ONE)
    }
}

/// Which seats a booking or hold asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SeatPick {
    /// A number of seats; on a seated event the best available: side by side in one row,
    /// or (with `adjacent: false`) the first free seats in plan order.
    Best {
        /// How many.
        seats: Seats,
        /// Whether they must sit side by side (seated events only).
        adjacent: bool,
    },
    /// These seats of a seated event, all or none.
    Named(SeatLabels),
}

impl SeatPick {
    /// `seats` side by side: what a request that says nothing more asks for.
    pub fn count(seats: Seats) -> Self {
        Self::Best { seats, adjacent: true }
    }

    /// How many seats it asks for.
    pub fn seats(&self) -> Seats {
        match self {
            Self::Best { seats, .. } => *seats,
            Self::Named(labels) => labels.seats(),
        }
    }

    /// The labels it names, if it names seats.
    pub fn labels(&self) -> Option<&[String]> {
        match self {
            Self::Best { .. } => None,
            Self::Named(labels) => Some(labels.as_slice()),
        }
    }
}

/// Where a booking or hold of a seated event sits: its seats in plan order, with their
/// labels.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Placement {
    seats: Vec<SeatNo>,
    labels: Vec<String>,
}

impl Placement {
    /// Seats and their labels, in the same order (as a store keeps them).
    pub fn new(seats: Vec<SeatNo>, labels: Vec<String>) -> Option<Self> {
        (seats.len() == labels.len() && !seats.is_empty()).then_some(Self { seats, labels })
    }

    /// The seats, in plan order.
    pub fn seats(&self) -> &[SeatNo] {
        &self.seats
    }

    /// Their labels, in the same order.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }
}

/// Why the seats a request asks for cannot be given, in order of precedence.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PickRefusal {
    /// Labels given for an event that is not seated.
    #[error("the event is not seated")]
    NotSeated,
    /// A label the plan does not have.
    #[error("the event has no seat {0:?}")]
    UnknownSeat(String),
    /// A label outside the tier chosen (or, with none chosen, of another tier than the
    /// first label's).
    #[error("seat {0:?} is not in the chosen tier")]
    OtherTier(String),
    /// A named seat is taken.
    #[error("seat {0:?} is held or booked by someone else")]
    SeatUnavailable(String),
    /// Enough seats are free, but no row has that many side by side.
    #[error("{seats} seats are free, but not side by side in one row")]
    NoAdjacentSeats {
        /// Seats free in the tier.
        seats: u32,
    },
}

impl From<PickRefusal> for Refusal {
    fn from(refusal: PickRefusal) -> Self {
        match refusal {
            PickRefusal::NotSeated | PickRefusal::UnknownSeat(_) | PickRefusal::OtherTier(_) => {
                Self::invalid("seat_labels", &refusal)
            }
            PickRefusal::SeatUnavailable(_) => Self::conflict("seat_unavailable", &refusal),
            PickRefusal::NoAdjacentSeats { .. } => Self::conflict("no_adjacent_seats", &refusal),
        }
    }
}
