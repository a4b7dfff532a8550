//! Streaming accumulators for simulated children.
//!
//! A [`Tally`] holds sums and counts for one `(iteration, strategy, authority)` cell: never
//! per-child records, so memory does not grow with the number of children. Tallies merge
//! with `+` (as ripgrep merges its search stats), which is how chunks of children computed
//! on different threads are combined, always in a fixed order so that floating-point sums are
//! bit-identical whatever the thread count. Discounted quantities are kept beside raw ones so
//! that costs are `amount × quantity` afterwards: re-pricing needs no re-simulation. The
//! exception is a discounted quantity that no cost line of the run prices: its discount
//! factors would cost an `exp` per event and nothing would read them, so it stays at 0.

use std::ops::{Add, AddAssign};

/// Two weeks in years, the DfE's shortest "time at home" band.
pub const TWO_WEEKS_YEARS: f64 = 14.0 / 365.25;

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Tally {
    /// Children who returned home at the start.
    pub children: u64,
    /// Children with at least one re-entry (first re-entries).
    pub children_with_breakdown: u64,
    /// First re-entries by month since return: bin `m` counts times in `[m/12, (m+1)/12)`.
    pub first_reentry_by_month: Vec<u64>,
    pub first_reentry_under_2_weeks: u64,
    pub first_reentry_under_2_years: u64,
    /// Children whose path reached [`crate::sim::MAX_RETURNS_HOME`] returns home and was
    /// stopped there.
    pub children_capped: u64,
    /// The stays begun and the quantities that costs multiply, over the whole horizon.
    #[serde(flatten)]
    pub q: Quantities,
    /// Flow mode: the same by financial year of the budget window. Empty in cohort mode.
    pub by_year: Vec<YearTally>,
}

/// The stays begun and the quantities that costs multiply. This is the one list of them:
/// a whole run's tally, a financial year's and a child's outcome all hold one, and all add
/// them with the one `+=` below.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Quantities {
    /// Stays at home begun (first returns plus later returns after a breakdown).
    pub returns_home: u64,
    /// All re-entries to care before the horizon.
    pub breakdowns: u64,
    pub breakdowns_disc: f64,
    /// First maltreatment events, at most one per stay at home.
    pub maltreatment_events: u64,
    /// Left at 0 when no cost line prices maltreatment events (`Inputs::discounts_maltreatment`).
    pub maltreatment_disc: f64,
    /// Years in care after re-entries, censored at the horizon.
    pub care_years: f64,
    /// Left at 0 when no cost line prices years in care (`Inputs::discounts_care`).
    pub care_years_disc: f64,
    /// Stays at home with an engaged family.
    pub supported_returns: u64,
    pub supported_returns_disc: f64,
    /// Years at home inside the support window with an engaged family.
    pub supported_years: f64,
    pub supported_years_disc: f64,
}

impl AddAssign<&Quantities> for Quantities {
    #[inline]
    fn add_assign(&mut self, o: &Quantities) {
        self.returns_home += o.returns_home;
        self.breakdowns += o.breakdowns;
        self.breakdowns_disc += o.breakdowns_disc;
        self.maltreatment_events += o.maltreatment_events;
        self.maltreatment_disc += o.maltreatment_disc;
        self.care_years += o.care_years;
        self.care_years_disc += o.care_years_disc;
        self.supported_returns += o.supported_returns;
        self.supported_returns_disc += o.supported_returns_disc;
        self.supported_years += o.supported_years;
        self.supported_years_disc += o.supported_years_disc;
    }
}

/// One financial year of a flow-mode tally: the children who returned home in it, and the
/// stays begun and the quantities that costs multiply which fall in it. Kept small (no
/// monthly bins), because a run holds one per year, strategy, authority and iteration.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct YearTally {
    pub children: u64,
    #[serde(flatten)]
    pub q: Quantities,
}

impl YearTally {
    /// The year as a [`Tally`] (without monthly bins), so that it is priced exactly like a
    /// whole run.
    pub fn as_tally(&self) -> Tally {
        Tally { children: self.children, q: self.q, ..Tally::default() }
    }
}

impl AddAssign<&YearTally> for YearTally {
    #[inline]
    fn add_assign(&mut self, o: &YearTally) {
        self.children += o.children;
        self.q += &o.q;
    }
}

impl Tally {
    /// An empty tally with `months` monthly bins for the re-entry curve.
    pub fn new(months: usize) -> Self {
        Tally { first_reentry_by_month: vec![0; months], ..Default::default() }
    }

    /// Flow mode: sets the whole window's stays and cost quantities to the sum of its
    /// financial years (in year order). The simulation records them only by year, so the
    /// window's own are still zero here. Nothing happens in cohort mode.
    pub fn total_years(&mut self) {
        debug_assert!(self.by_year.is_empty() || self.q == Quantities::default());
        for y in &self.by_year {
            self.q += &y.q;
        }
    }

    /// Children with a first re-entry before `months` months.
    pub fn first_reentries_before_month(&self, months: usize) -> u64 {
        self.first_reentry_by_month.iter().take(months).sum()
    }
}

impl AddAssign<&Tally> for Tally {
    fn add_assign(&mut self, o: &Tally) {
        self.children += o.children;
        self.children_with_breakdown += o.children_with_breakdown;
        if self.first_reentry_by_month.len() < o.first_reentry_by_month.len() {
            self.first_reentry_by_month.resize(o.first_reentry_by_month.len(), 0);
        }
        for (a, b) in self.first_reentry_by_month.iter_mut().zip(&o.first_reentry_by_month) {
            *a += b;
        }
        self.first_reentry_under_2_weeks += o.first_reentry_under_2_weeks;
        self.first_reentry_under_2_years += o.first_reentry_under_2_years;
        self.children_capped += o.children_capped;
        self.q += &o.q;
        if self.by_year.len() < o.by_year.len() {
            self.by_year.resize(o.by_year.len(), YearTally::default());
        }
        for (a, b) in self.by_year.iter_mut().zip(&o.by_year) {
            *a += b;
        }
    }
}

impl Add for Tally {
    type Output = Tally;
    fn add(mut self, o: Tally) -> Tally {
        self += &o;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tally(a: u64, f: f64, months: Vec<u64>) -> Tally {
        let q = Quantities { breakdowns: a / 2, care_years: f, ..Default::default() };
        Tally { children: a, q, first_reentry_by_month: months, ..Default::default() }
    }

    /// A count that passes 2^32 (10^7 children × 10^5 iterations is 10^12) adds exactly: every
    /// count is a u64.
    #[test]
    fn counts_past_32_bits_add_without_wrapping() {
        let big = 10_000_000u64 * 100_000; // 10^12
        let q = Quantities { returns_home: big, breakdowns: big / 3, supported_returns: big / 2, ..Default::default() };
        let part = Tally {
            children: big,
            children_with_breakdown: big / 3,
            first_reentry_by_month: vec![big / 5; 4],
            first_reentry_under_2_weeks: big / 7,
            first_reentry_under_2_years: big / 4,
            children_capped: 1,
            q,
            by_year: vec![YearTally { children: big, q }; 2],
        };
        let mut sum = Tally::default();
        for _ in 0..1000 {
            sum += &part;
        }
        assert_eq!(sum.children, 1000 * big);
        assert!(sum.children > u32::MAX as u64 * 1000);
        assert_eq!(sum.q.breakdowns, 1000 * (big / 3));
        assert_eq!(sum.first_reentry_by_month, vec![1000 * (big / 5); 4]);
        assert_eq!(sum.first_reentries_before_month(4), 4000 * (big / 5));
        assert_eq!(sum.by_year[1].q.returns_home, 1000 * big);
        assert_eq!(sum.children_capped, 1000);
    }

    proptest! {
        #[test]
        fn merging_adds_counts_and_is_commutative_on_integers(a in 0u64..1000, b in 0u64..1000, m in proptest::collection::vec(0u64..50, 0..8)) {
            let x = tally(a, 0.5, m.clone());
            let y = tally(b, 0.25, vec![1; 3]);
            let s1 = x.clone() + y.clone();
            let s2 = y + x;
            prop_assert_eq!(s1.children, a + b);
            prop_assert_eq!(&s1.first_reentry_by_month, &s2.first_reentry_by_month);
            prop_assert_eq!(s1.first_reentry_by_month.iter().sum::<u64>(), m.iter().sum::<u64>() + 3);
        }
    }
}
