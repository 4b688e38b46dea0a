use std::sync::Arc;

use proptest::prelude::*;

use super::*;
use crate::TierId;

fn tier(id: i64) -> TierId {
    TierId::new(id).unwrap()
}

fn plan(sections: &[(&str, i64, &[u32])]) -> Arc<SeatingPlan<TierId>> {
    let sections = sections
        .iter()
        .map(|&(name, t, rows)| SectionPlan {
            name: SectionName::new(name).unwrap(),
            tier: tier(t),
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, &n)| RowPlan::new(RowLabel::new(&format!("R{i}")).unwrap(), i64::from(n)).unwrap())
                .collect(),
        })
        .collect();
    Arc::new(SeatingPlan::new(sections).unwrap())
}

fn labels(map: &SeatMap, seats: &[SeatNo]) -> Vec<String> {
    seats.iter().map(|&s| map.plan().label(s).unwrap()).collect()
}

fn taken(plan: &Arc<SeatingPlan<TierId>>, labels: &[&str]) -> SeatMap {
    SeatMap::new(plan.clone(), labels.iter().map(|l| plan.find(l).unwrap())).unwrap()
}

#[test]
fn labels_name_section_row_and_number() {
    let plan = plan(&[("Stalls", 1, &[3, 2]), ("Balcony", 2, &[4])]);
    assert_eq!(plan.seats(), 9);
    assert_eq!(plan.find("Stalls:R0:1"), Some(SeatNo::new(0)));
    assert_eq!(plan.find("Stalls:R1:2"), Some(SeatNo::new(4)));
    assert_eq!(plan.find("Balcony:R0:4"), Some(SeatNo::new(8)));
    for missing in
        ["Stalls:R1:3", "Stalls:R0:0", "Stalls:R0:01", "Stalls:R0:+1", "Pit:R0:1", "Stalls:R0", "Stalls:R9:1", ""]
    {
        assert_eq!(plan.find(missing), None, "{missing}");
    }
    for seat in 0..9 {
        let seat = SeatNo::new(seat);
        assert_eq!(plan.find(&plan.label(seat).unwrap()), Some(seat));
    }
    assert_eq!(plan.label(SeatNo::new(9)), None);
    assert_eq!(plan.seats_in(&tier(1)), 5);
}

#[test]
fn plans_refuse_repeats_empty_parts_and_too_many_seats() {
    let row = |label: &str, n| RowPlan::new(RowLabel::new(label).unwrap(), n).unwrap();
    let section = |name: &str, rows: Vec<RowPlan>| SectionPlan { name: SectionName::new(name).unwrap(), tier: 0, rows };
    assert_eq!(SeatingPlan::<usize>::new(vec![]), Err(PlanError::NoSections));
    assert_eq!(SeatingPlan::new(vec![section("A", vec![])]), Err(PlanError::NoRows("A".into())));
    assert_eq!(
        SeatingPlan::new(vec![section("A", vec![row("1", 1)]), section("A", vec![row("1", 1)])]),
        Err(PlanError::DuplicateSection("A".into()))
    );
    assert_eq!(
        SeatingPlan::new(vec![section("A", vec![row("1", 1), row("1", 2)])]),
        Err(PlanError::DuplicateRow { section: "A".into(), row: "1".into() })
    );
    let big = (0..501).map(|i| row(&i.to_string(), 200)).collect();
    assert_eq!(SeatingPlan::new(vec![section("A", big)]), Err(PlanError::TooManySeats(100_200)));
    let most = (0..500).map(|i| row(&i.to_string(), 200)).collect();
    assert_eq!(SeatingPlan::new(vec![section("A", most)]).map(|p| p.seats()), Ok(100_000));
    assert!(RowPlan::new(RowLabel::new("A").unwrap(), 0).is_err());
    assert!(RowPlan::new(RowLabel::new("A").unwrap(), 201).is_err());
    assert!(SectionName::new("A:B").is_err());
    assert!(RowLabel::new(" ").is_err());
}

#[test]
fn best_available_takes_the_first_row_with_room_at_the_lowest_numbers() {
    let plan = plan(&[("Stalls", 1, &[4, 6]), ("Balcony", 2, &[6]), ("Circle", 1, &[8])]);
    let map = taken(&plan, &["Stalls:R0:2", "Stalls:R1:3"]);
    let best = |t, n, adjacent| map.best(tier(t), n, adjacent).map(|s| labels(&map, &s));
    assert_eq!(best(1, 1, true).unwrap(), ["Stalls:R0:1"]);
    assert_eq!(best(1, 2, true).unwrap(), ["Stalls:R0:3", "Stalls:R0:4"]);
    assert_eq!(best(1, 3, true).unwrap(), ["Stalls:R1:4", "Stalls:R1:5", "Stalls:R1:6"]);
    assert_eq!(best(1, 5, true).unwrap(), ["Circle:R0:1", "Circle:R0:2", "Circle:R0:3", "Circle:R0:4", "Circle:R0:5"]);
    assert_eq!(best(2, 2, true).unwrap(), ["Balcony:R0:1", "Balcony:R0:2"]);
    assert_eq!(best(1, 9, true), None);
    assert_eq!(best(2, 7, false), None);
    assert_eq!(best(1, 9, false).unwrap()[..4], ["Stalls:R0:1", "Stalls:R0:3", "Stalls:R0:4", "Stalls:R1:1"]);
    assert_eq!(map.free_in(tier(1)), 16);
}

#[test]
fn named_seats_are_all_or_nothing_in_one_tier() {
    let plan = plan(&[("Stalls", 1, &[4]), ("Balcony", 2, &[4])]);
    let map = taken(&plan, &[]);
    let named = |t: Option<i64>, labels: &[&str]| {
        let labels: Vec<String> = labels.iter().map(|l| (*l).to_owned()).collect();
        map.named(t.map(tier), &labels).map(|(t, seats)| (t.get(), seats.len()))
    };
    assert_eq!(named(None, &["Balcony:R0:4", "Balcony:R0:1"]), Ok((2, 2)));
    assert_eq!(named(Some(1), &["Stalls:R0:1"]), Ok((1, 1)));
    assert_eq!(named(None, &["Stalls:R0:9"]), Err(PickRefusal::UnknownSeat("Stalls:R0:9".into())));
    assert_eq!(named(Some(1), &["Balcony:R0:1"]), Err(PickRefusal::OtherTier("Balcony:R0:1".into())));
    assert_eq!(named(None, &["Stalls:R0:1", "Balcony:R0:1"]), Err(PickRefusal::OtherTier("Balcony:R0:1".into())));
    assert_eq!(named(None, &["Stalls:R0:7", "Stalls:R0:1"]), Err(PickRefusal::UnknownSeat("Stalls:R0:7".into())));
    assert_eq!(SeatLabels::new(vec!["A:1:1".into(), "A:1:1".into()]), Err(SeatLabelsError::Duplicate("A:1:1".into())));
    assert_eq!(SeatLabels::new(vec![]), Err(SeatLabelsError::Count));
}

#[test]
fn a_map_refuses_seats_beyond_its_plan_or_taken_twice() {
    let plan = plan(&[("A", 1, &[2])]);
    assert_eq!(SeatMap::new(plan.clone(), [SeatNo::new(2)]), Err(SeatMapError::OutOfPlan(SeatNo::new(2))));
    assert_eq!(SeatMap::new(plan, [SeatNo::new(1), SeatNo::new(1)]), Err(SeatMapError::Twice(SeatNo::new(1))));
}

/// The rule as its words say it, seat by seat.
fn naive_best(rows: &[(i64, Vec<bool>)], t: i64, n: usize, adjacent: bool) -> Option<Vec<u32>> {
    let mut start = 0u32;
    let mut first_free = Vec::new();
    let mut run = None;
    for (row_tier, taken) in rows {
        if *row_tier == t {
            if run.is_none() {
                run = (0..taken.len())
                    .find(|&s| s + n <= taken.len() && taken[s..s + n].iter().all(|t| !t))
                    .map(|s| (0..n).map(|i| start + (s + i) as u32).collect());
            }
            first_free.extend(taken.iter().enumerate().filter(|(_, t)| !**t).map(|(s, _)| start + s as u32));
        }
        start += taken.len() as u32;
    }
    first_free.truncate(n);
    run.or_else(|| (!adjacent && first_free.len() == n).then_some(first_free))
}

fn layouts() -> impl Strategy<Value = Vec<(i64, Vec<bool>)>> {
    prop::collection::vec((1i64..=2, prop::collection::vec(prop::bool::weighted(0.6), 1..=200)), 1..8)
}

proptest! {
    #[test]
    fn best_available_agrees_with_the_naive_rule(rows in layouts(), n in 1u32..=12, t in 1i64..=2, adjacent: bool) {
        let sections: Vec<(String, i64, Vec<u32>)> =
            rows.iter().enumerate().map(|(i, (t, r))| (format!("S{i}"), *t, vec![r.len() as u32])).collect();
        let borrowed: Vec<(&str, i64, &[u32])> = sections.iter().map(|(n, t, r)| (n.as_str(), *t, r.as_slice())).collect();
        let plan = plan(&borrowed);
        let taken = rows.iter().flat_map(|(_, r)| r).enumerate().filter(|(_, t)| **t).map(|(i, _)| SeatNo::new(i as u32));
        let map = SeatMap::new(plan, taken).unwrap();
        let got = map.best(tier(t), n, adjacent).map(|s| s.into_iter().map(SeatNo::get).collect::<Vec<_>>());
        prop_assert_eq!(got, naive_best(&rows, t, n as usize, adjacent));
        let free = rows.iter().filter(|(rt, _)| *rt == t).flat_map(|(_, r)| r).filter(|t| !**t).count();
        prop_assert_eq!(map.free_in(tier(t)) as usize, free);
    }

    #[test]
    fn taking_and_freeing_round_trips(rows in layouts(), n in 1u32..=6) {
        let sections: Vec<(String, i64, Vec<u32>)> =
            rows.iter().enumerate().map(|(i, (_, r))| (format!("S{i}"), 1, vec![r.len() as u32])).collect();
        let borrowed: Vec<(&str, i64, &[u32])> = sections.iter().map(|(n, t, r)| (n.as_str(), *t, r.as_slice())).collect();
        let mut map = SeatMap::new(plan(&borrowed), []).unwrap();
        let before = map.clone();
        if let Some(seats) = map.best(tier(1), n, false) {
            map.take(&seats);
            prop_assert!(seats.iter().all(|&s| map.is_taken(s)));
            prop_assert_ne!(map.best(tier(1), n, false), Some(seats.clone()));
            map.free(&seats);
        }
        prop_assert_eq!(map, before);
    }
}
