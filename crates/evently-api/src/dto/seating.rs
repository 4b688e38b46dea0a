use evently_domain::TierId;
use evently_domain::event::TierPlan;
use evently_domain::seating::{
    RowLabel, RowPlan, SeatChart, SeatLabels, SeatNo, SeatPick, SeatingPlan, SectionName, SectionPlan,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::body::{Integer, field};
use crate::error::ApiError;

/// A seating plan: sections of labelled rows of numbered seats. At most 100,000 seats;
/// section names unique, row labels unique within their section, neither containing `:`.
/// A seat's label is `"{section}:{row}:{number}"`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SeatingBody {
    /// The sections, in the order best-available selection visits them.
    #[schema(min_items = 1)]
    pub sections: Vec<SectionBody>,
}

/// A section of a seating plan.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SectionBody {
    /// 1 to 100 characters, no `:`.
    #[schema(min_length = 1, max_length = 100, example = "Stalls")]
    pub name: String,
    /// The name of a tier of the same request; the first tier when left out.
    pub tier: Option<String>,
    /// The rows, front to back.
    #[schema(min_items = 1)]
    pub rows: Vec<RowBody>,
}

/// A row of seats numbered 1 to `seats`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RowBody {
    /// 1 to 20 characters, no `:`.
    #[schema(min_length = 1, max_length = 20, example = "A")]
    pub label: String,
    /// 1 to 200.
    #[schema(value_type = i64, minimum = 1, maximum = 200)]
    pub seats: Integer,
}

/// A plan whose sections still name their tiers.
#[derive(Debug)]
pub struct Layout {
    sections: Vec<SectionPlan<Option<String>>>,
}

impl SeatingBody {
    /// The sections, rows and names checked (422 naming the first bad one); tiers are
    /// resolved once the event's tiers are known ([`Layout::plan`]).
    pub fn validate(self) -> Result<Layout, ApiError> {
        let sections = self
            .sections
            .into_iter()
            .enumerate()
            .map(|(s, section)| {
                let at = format!("seating.sections[{s}]");
                let name = field(&format!("{at}.name"), SectionName::new(&section.name))?;
                let rows = section
                    .rows
                    .into_iter()
                    .enumerate()
                    .map(|(r, row)| {
                        let at = format!("{at}.rows[{r}]");
                        let label = field(&format!("{at}.label"), RowLabel::new(&row.label))?;
                        let seats = row.seats.get(&format!("{at}.seats"))?;
                        field(&format!("{at}.seats"), RowPlan::new(label, seats))
                    })
                    .collect::<Result<_, ApiError>>()?;
                Ok(SectionPlan { name, tier: section.tier, rows })
            })
            .collect::<Result<_, ApiError>>()?;
        Ok(Layout { sections })
    }
}

impl Layout {
    /// How many seats the rows hold.
    pub fn seats(&self) -> u64 {
        self.sections.iter().flat_map(|s| &s.rows).map(|r| u64::from(r.seats())).sum()
    }

    /// The plan with each section's tier resolved among `tiers` (by name; the first when
    /// none is named), and the tiers with their seat counts as quotas.
    pub fn plan(self, tiers: TierPlan) -> Result<(SeatingPlan<usize>, TierPlan), ApiError> {
        let sections = self
            .sections
            .into_iter()
            .enumerate()
            .map(|(s, section)| {
                let tier = match &section.tier {
                    None => 0,
                    Some(name) => {
                        tiers.tiers().iter().position(|t| t.name.as_str() == name.trim()).ok_or_else(|| {
                            ApiError::Validation(format!(
                                "seating.sections[{s}].tier: no tier of this event is named {name:?}"
                            ))
                        })?
                    }
                };
                Ok(SectionPlan { name: section.name, tier, rows: section.rows })
            })
            .collect::<Result<_, ApiError>>()?;
        let plan = field("seating", SeatingPlan::new(sections))?;
        let tiers = field("tiers", tiers.seated(&plan))?;
        Ok((plan, tiers))
    }
}

/// Which seats to book or hold; the whole body may be left out (one seat).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PickBody {
    /// 1 up to the event's `max_seats_per_booking`; 1 when left out. With `seat_labels`,
    /// it must be their number if given.
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 100, default = 1)]
    pub seats: Option<Integer>,
    /// A tier of the event; its first tier when left out, or with `seat_labels` the tier
    /// of the seats named. Any other id is `422 validation_failed`.
    #[schema(value_type = Option<i64>)]
    pub tier_id: Option<Integer>,
    /// Seats of a seated event, by label (`"{section}:{row}:{number}"`), all or none:
    /// 1 up to `max_seats_per_booking` labels, none repeated, all of one tier. Unknown
    /// labels, labels outside `tier_id` or an event that is not seated: `422
    /// validation_failed`; a seat held or booked by someone else: `409 seat_unavailable`.
    #[schema(min_items = 1, max_items = 100, example = json!(["Stalls:A:7", "Stalls:A:8"]))]
    pub seat_labels: Option<Vec<String>>,
    /// Seated events, without `seat_labels`: `true` (the default) takes `seats` side by
    /// side in one row (the first section, row and lowest number that has them), else
    /// `409 no_adjacent_seats`; `false` takes the first free seats in that order.
    #[schema(default = true)]
    pub adjacent: Option<bool>,
}

impl PickBody {
    /// The validated pick (the event's own limit is checked by the booking rules).
    pub fn pick(&self) -> Result<SeatPick, ApiError> {
        let seats = self.seats.map(|raw| raw.get("seats")).transpose()?;
        let Some(labels) = &self.seat_labels else {
            let seats = field("seats", evently_domain::inventory::Seats::new(seats.unwrap_or(1)))?;
            return Ok(SeatPick::Best { seats, adjacent: self.adjacent.unwrap_or(true) });
        };
        let labels = field("seat_labels", SeatLabels::new(labels.clone()))?;
        if seats.is_some_and(|n| n != i64::from(labels.seats().get())) {
            return Err(ApiError::Validation("seats: must be the number of seat_labels".into()));
        }
        Ok(SeatPick::Named(labels))
    }

    /// The tier named, if any.
    pub fn tier(&self) -> Result<Option<TierId>, ApiError> {
        super::tier_id(self.tier_id)
    }
}

/// A seated event's seats, section by section, row by row.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeatsDto {
    /// The sections, in plan order.
    pub sections: Vec<SeatSectionDto>,
}

/// A section and its rows.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeatSectionDto {
    /// Its name.
    pub name: String,
    /// Its tier.
    pub tier_id: i64,
    /// Its rows, front to back.
    pub rows: Vec<SeatRowDto>,
}

/// A row and its seats.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeatRowDto {
    /// Its label.
    pub label: String,
    /// Its seats, by number.
    pub seats: Vec<SeatDto>,
}

/// A seat.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeatDto {
    /// Its number in the row, from 1.
    pub number: u32,
    /// `available`, `held` (an active, unexpired hold) or `booked`.
    #[schema(example = "available")]
    pub status: &'static str,
}

impl From<&SeatChart> for SeatsDto {
    fn from(chart: &SeatChart) -> Self {
        let mut sections: Vec<SeatSectionDto> = Vec::new();
        for (section, row, first) in chart.plan().rows() {
            let seats = (0..row.seats())
                .map(|n| SeatDto { number: n + 1, status: chart.status(SeatNo::new(first.get() + n)).as_str() })
                .collect();
            let row = SeatRowDto { label: row.label().as_str().to_owned(), seats };
            match sections.last_mut() {
                Some(last) if last.name == section.name.as_str() => last.rows.push(row),
                _ => sections.push(SeatSectionDto {
                    name: section.name.as_str().to_owned(),
                    tier_id: section.tier.get(),
                    rows: vec![row],
                }),
            }
        }
        Self { sections }
    }
}
