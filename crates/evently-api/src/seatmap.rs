//! A seated event's map as SVG: every seat a square coloured by its status, each row and
//! section labelled. A row's seats of one status are one path (a move and a short stroke
//! per seat), so a 20,000-seat map stays near 150 KB before compression.

use std::fmt::Write as _;

use evently_domain::seating::{SeatChart, SeatNo, SeatStatus};

/// Distance between neighbouring seats, in user units.
const PITCH: u32 = 10;
/// A seat's side.
const SEAT: u32 = 8;
/// Height of a row.
const ROW: u32 = 12;
/// Space above a section's first row for its name.
const TITLE: u32 = 20;
/// Width kept left of the seats for row labels.
const LABELS: u32 = 48;
/// Outer margin.
const MARGIN: u32 = 10;
/// Height of the legend at the top.
const LEGEND: u32 = 20;

/// The colour each status is drawn in.
pub(crate) fn colour(status: SeatStatus) -> &'static str {
    match status {
        SeatStatus::Available => "#2e7d32",
        SeatStatus::Held => "#f9a825",
        SeatStatus::Booked => "#9e9e9e",
    }
}

const STATUSES: [SeatStatus; 3] = [SeatStatus::Available, SeatStatus::Held, SeatStatus::Booked];

/// The map of `chart`, titled `name`.
pub fn render(chart: &SeatChart, name: &str) -> String {
    let plan = chart.plan();
    let widest = plan.rows().map(|(_, row, _)| row.seats()).max().unwrap_or(0);
    let sections = plan.sections().len() as u32;
    let width = MARGIN * 2 + LABELS + widest * PITCH;
    let height = MARGIN * 2 + LEGEND + sections * TITLE + plan.row_count() as u32 * ROW;
    let mut svg = String::with_capacity(plan.seats() as usize * 7 + plan.row_count() * 160 + 1024);
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="9"><title>{}</title><rect width="100%" height="100%" fill="#fff"/>"##,
        escape(name)
    );
    legend(&mut svg);
    let mut y = MARGIN + LEGEND;
    let mut section_name = None;
    for (section, row, first) in plan.rows() {
        if section_name != Some(section.name.as_str()) {
            section_name = Some(section.name.as_str());
            let _ = write!(
                svg,
                r#"<text x="{MARGIN}" y="{}" font-size="12" font-weight="bold">{}</text>"#,
                y + 14,
                escape(section.name.as_str())
            );
            y += TITLE;
        }
        let _ = write!(svg, r#"<text x="{MARGIN}" y="{}">{}</text>"#, y + SEAT, escape(row.label().as_str()));
        let statuses: Vec<SeatStatus> = (0..row.seats()).map(|n| chart.status(SeatNo::new(first.get() + n))).collect();
        for status in STATUSES {
            row_path(&mut svg, &statuses, status, y);
        }
        y += ROW;
    }
    svg.push_str("</svg>");
    svg
}

/// The row's seats of `status` as one path: a horizontal stroke as wide as a seat is
/// tall for each.
fn row_path(svg: &mut String, statuses: &[SeatStatus], status: SeatStatus, y: u32) {
    let mut previous: Option<u32> = None;
    for (seat, _) in (0u32..).zip(statuses).filter(|(_, s)| **s == status) {
        match previous {
            None => {
                let _ = write!(
                    svg,
                    r#"<path stroke="{}" stroke-width="{SEAT}" d="M{} {}h{SEAT}"#,
                    colour(status),
                    seat_x(seat),
                    y + SEAT / 2
                );
            }
            Some(before) => {
                let _ = write!(svg, "m{} 0h{SEAT}", (seat - before) * PITCH - SEAT);
            }
        }
        previous = Some(seat);
    }
    if previous.is_some() {
        svg.push_str(r#""/>"#);
    }
}

/// Where the seat at `offset` in its row starts.
pub(crate) fn seat_x(offset: u32) -> u32 {
    MARGIN + LABELS + offset * PITCH
}

fn legend(svg: &mut String) {
    let mut x = MARGIN;
    for status in STATUSES {
        let _ = write!(
            svg,
            r#"<rect x="{x}" y="{MARGIN}" width="{SEAT}" height="{SEAT}" fill="{}"/><text x="{}" y="{}">{}</text>"#,
            colour(status),
            x + SEAT + 4,
            MARGIN + SEAT,
            status.as_str()
        );
        x += 70;
    }
}

/// `text` safe inside an element or a double-quoted attribute.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use evently_domain::TierId;
    use evently_domain::seating::{RowLabel, RowPlan, SeatingPlan, SectionName, SectionPlan};

    use super::*;

    fn chart(rows: u32, seats: i64, taken: &[(u32, SeatStatus)]) -> SeatChart {
        let tier = TierId::new(1).unwrap();
        let rows = (0..rows).map(|r| RowPlan::new(RowLabel::new(&format!("R{r}")).unwrap(), seats).unwrap()).collect();
        let plan = SeatingPlan::new(vec![SectionPlan { name: SectionName::new("Stalls <A&B>").unwrap(), tier, rows }]);
        let taken = taken.iter().map(|&(s, status)| (SeatNo::new(s), status));
        SeatChart::new(Arc::new(plan.unwrap()), taken, None).unwrap()
    }

    #[test]
    fn each_status_of_a_row_is_one_path_and_names_are_escaped() {
        let svg = render(&chart(1, 5, &[(1, SeatStatus::Booked), (2, SeatStatus::Held)]), "Gala");
        assert!(svg.contains(r#"d="M58 54h8m22 0h8m2 0h8""#), "available: seats 1, 4, 5: {svg}");
        assert!(svg.contains(r##"stroke="#9e9e9e" stroke-width="8" d="M68 54h8""##), "booked: seat 2");
        assert!(svg.contains("Stalls &lt;A&amp;B&gt;"));
    }

    #[test]
    fn a_twenty_thousand_seat_map_stays_small() {
        let taken: Vec<(u32, SeatStatus)> = (0..20_000)
            .filter(|s| s % 3 == 0)
            .map(|s| (s, if s % 2 == 0 { SeatStatus::Booked } else { SeatStatus::Held }))
            .collect();
        let svg = render(&chart(100, 200, &taken), "Arena");
        assert!(svg.len() < 300_000, "{} bytes", svg.len());
    }
}
