//! A seating plan: sections of labelled rows of numbered seats, each section in a tier.

use std::collections::HashMap;
use std::fmt;

use thiserror::Error;

use crate::text::{TextError, clean};

/// A seat of a seated event: its position in plan order, counted from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SeatNo(u32);

impl SeatNo {
    /// The seat at `position` in plan order (a [`SeatMap`](super::SeatMap) refuses one
    /// beyond its plan).
    pub fn new(position: u32) -> Self {
        Self(position)
    }

    /// Its position in plan order.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// Why a section name or row label was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum NameError {
    /// Empty, too long or with control characters.
    #[error(transparent)]
    Text(#[from] TextError),
    /// It contains `:`, the separator of seat labels.
    #[error("must not contain ':'")]
    Colon,
}

macro_rules! plan_name {
    ($(#[$meta:meta])* $name:ident, max = $max:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// The longest value accepted, in characters.
            pub const MAX_CHARS: usize = $max;

            /// Trims and validates `raw`.
            ///
            /// # Errors
            /// [`NameError`] naming the rule broken.
            pub fn new(raw: &str) -> Result<Self, NameError> {
                let cleaned = clean(raw, Self::MAX_CHARS, false)?;
                if cleaned.contains(':') {
                    return Err(NameError::Colon);
                }
                Ok(Self(cleaned))
            }

            /// The validated text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

plan_name!(
    /// A section's name, unique within its plan: 1 to 100 characters, no `:`.
    SectionName, max = 100
);
plan_name!(
    /// A row's label, unique within its section: 1 to 20 characters, no `:`.
    RowLabel, max = 20
);

/// A row: its label and how many seats it has (numbered from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowPlan {
    label: RowLabel,
    seats: u32,
}

/// A row with no seats, or more than [`RowPlan::MAX_SEATS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("must be between 1 and {max}", max = RowPlan::MAX_SEATS)]
pub struct RowSeatsError;

impl RowPlan {
    /// The most seats in one row.
    pub const MAX_SEATS: u32 = 200;

    /// A row of `seats` seats.
    ///
    /// # Errors
    /// [`RowSeatsError`] outside `1..=MAX_SEATS`.
    pub fn new(label: RowLabel, seats: i64) -> Result<Self, RowSeatsError> {
        let seats = u32::try_from(seats).ok().filter(|s| (1..=Self::MAX_SEATS).contains(s)).ok_or(RowSeatsError)?;
        Ok(Self { label, seats })
    }

    /// Its label.
    pub fn label(&self) -> &RowLabel {
        &self.label
    }

    /// How many seats it has.
    pub fn seats(&self) -> u32 {
        self.seats
    }
}

/// A section: its name, its tier (`T`: a position among a new event's tiers, or a
/// stored tier's id) and its rows, front to back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionPlan<T> {
    /// Its name.
    pub name: SectionName,
    /// Its tier.
    pub tier: T,
    /// Its rows, in order.
    pub rows: Vec<RowPlan>,
}

/// Why a seating plan was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlanError {
    /// No sections.
    #[error("must have at least one section")]
    NoSections,
    /// A section without rows.
    #[error("section {0:?} has no rows")]
    NoRows(String),
    /// Two sections share a name.
    #[error("section names must be unique; {0:?} repeats")]
    DuplicateSection(String),
    /// Two rows of a section share a label.
    #[error("row labels must be unique within a section; {section:?} repeats {row:?}")]
    DuplicateRow {
        /// The section.
        section: String,
        /// The repeated label.
        row: String,
    },
    /// More seats than [`SeatingPlan::MAX_SEATS`].
    #[error("at most {max} seats in all, not {0}", max = SeatingPlan::<()>::MAX_SEATS)]
    TooManySeats(u64),
}

/// A valid seating plan: at least one section, each with at least one row, section names
/// unique, row labels unique within their section, at most [`SeatingPlan::MAX_SEATS`]
/// seats. A seat's label is `"{section}:{row}:{number}"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatingPlan<T> {
    sections: Vec<SectionPlan<T>>,
    /// Each row's first seat, in plan order (one past the last seat at the end).
    starts: Vec<u32>,
    /// Row positions in plan order by section name and row label.
    index: HashMap<(String, String), usize>,
    /// Each row's section and position within it, in plan order.
    places: Vec<(usize, usize)>,
}

impl<T> SeatingPlan<T> {
    /// The most seats a plan may have.
    pub const MAX_SEATS: u32 = 100_000;

    /// Validates a plan.
    ///
    /// # Errors
    /// [`PlanError`] naming the first rule broken.
    pub fn new(sections: Vec<SectionPlan<T>>) -> Result<Self, PlanError> {
        if sections.is_empty() {
            return Err(PlanError::NoSections);
        }
        let total: u64 = sections.iter().flat_map(|s| &s.rows).map(|r| u64::from(r.seats)).sum();
        if total > u64::from(Self::MAX_SEATS) {
            return Err(PlanError::TooManySeats(total));
        }
        let mut index = HashMap::new();
        let mut starts = Vec::new();
        let mut places = Vec::new();
        let mut next = 0;
        for (i, section) in sections.iter().enumerate() {
            let name = section.name.as_str();
            if section.rows.is_empty() {
                return Err(PlanError::NoRows(name.to_owned()));
            }
            if sections[..i].iter().any(|s| s.name == section.name) {
                return Err(PlanError::DuplicateSection(name.to_owned()));
            }
            for (r, row) in section.rows.iter().enumerate() {
                let key = (name.to_owned(), row.label.as_str().to_owned());
                if index.insert(key, starts.len()).is_some() {
                    let row = row.label.as_str().to_owned();
                    return Err(PlanError::DuplicateRow { section: name.to_owned(), row });
                }
                starts.push(next);
                places.push((i, r));
                next += row.seats;
            }
        }
        starts.push(next);
        Ok(Self { sections, starts, index, places })
    }

    /// The same plan with each section's tier replaced by `tier(section's tier)`.
    pub fn map_tiers<U>(self, mut tier: impl FnMut(&T) -> U) -> SeatingPlan<U> {
        let sections = self
            .sections
            .into_iter()
            .map(|s| SectionPlan { tier: tier(&s.tier), name: s.name, rows: s.rows })
            .collect();
        SeatingPlan { sections, starts: self.starts, index: self.index, places: self.places }
    }

    /// The sections, in order.
    pub fn sections(&self) -> &[SectionPlan<T>] {
        &self.sections
    }

    /// How many seats the plan has.
    pub fn seats(&self) -> u32 {
        self.starts.last().copied().unwrap_or(0)
    }

    /// The rows in plan order, each with its section and first seat.
    pub fn rows(&self) -> impl Iterator<Item = (&SectionPlan<T>, &RowPlan, SeatNo)> {
        self.sections
            .iter()
            .flat_map(|section| section.rows.iter().map(move |row| (section, row)))
            .zip(&self.starts)
            .map(|((section, row), &start)| (section, row, SeatNo(start)))
    }

    /// How many rows the plan has.
    pub fn row_count(&self) -> usize {
        self.starts.len() - 1
    }

    /// The seat a label names, if the plan has it.
    pub fn find(&self, label: &str) -> Option<SeatNo> {
        let mut parts = label.splitn(3, ':');
        let (section, row, number) = (parts.next()?, parts.next()?, parts.next()?);
        let &row = self.index.get(&(section.to_owned(), row.to_owned()))?;
        let number: u32 = number.parse().ok().filter(|n: &u32| !number.starts_with(['+', '0']) && *n >= 1)?;
        let (start, end) = (self.starts[row], self.starts[row + 1]);
        (number <= end - start).then_some(SeatNo(start + number - 1))
    }

    /// The row (by position in plan order) of `seat`, and its number in that row.
    pub(super) fn locate(&self, seat: SeatNo) -> Option<(usize, u32)> {
        if seat.0 >= self.seats() {
            return None;
        }
        let row = self.starts.partition_point(|&start| start <= seat.0) - 1;
        Some((row, seat.0 - self.starts[row] + 1))
    }

    /// The label of `seat`, if the plan has it.
    pub fn label(&self, seat: SeatNo) -> Option<String> {
        let (row, number) = self.locate(seat)?;
        let &(section, row) = self.places.get(row)?;
        let section = &self.sections[section];
        Some(format!("{}:{}:{number}", section.name.as_str(), section.rows[row].label.as_str()))
    }

    /// The tier of the row at `row` in plan order.
    pub(super) fn row_tier(&self, row: usize) -> Option<&T> {
        self.places.get(row).map(|&(section, _)| &self.sections[section].tier)
    }

    /// Each row's tier, first seat and length, in plan order.
    pub(super) fn row_tiers(&self) -> impl Iterator<Item = (&T, u32, u32)> {
        self.rows().map(|(section, row, start)| (&section.tier, start.0, row.seats))
    }
}

impl<T> SeatingPlan<T>
where
    T: PartialEq,
{
    /// How many seats are in sections of `tier`.
    pub fn seats_in(&self, tier: &T) -> u32 {
        self.sections.iter().filter(|s| s.tier == *tier).flat_map(|s| &s.rows).map(|r| r.seats).sum()
    }
}

impl fmt::Display for SeatNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "seat #{}", self.0)
    }
}
