//! A generator of SSDA903 returns from a known truth, for the tests' coverage checks and the
//! import bench: children enter care, move between placements, go home, come back at a
//! piecewise-constant hazard with known hazard ratios, and leave at 18, written as the yearly
//! Header and Episodes files an authority submits.
//!
//! It has the real quirks: an episode open at a year's 31 March appears in that year's file
//! with DEC and REC blank and again, closed, in a later year's; periods of several episodes
//! joined by REC = X1, some placed with parents (PLACE = P1, still care); exits that are not
//! returns home (adoption, special guardianship, other); short breaks (LS = V3) at home, which
//! are not re-entries; episodes still open at the extract; 18th birthdays. Dates alternate
//! between dd/mm/YYYY and ISO by year. Periods follow the DfE validator's rules 431–433: a
//! period starts with RNE = S, an episode after an X1 has another RNE, and no S follows an X1.

use chrono::{Datelike, Days, NaiveDate};
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, LogNormal};

/// The truth the files are drawn from.
#[derive(Clone, Debug)]
pub struct Truth {
    pub knots: Vec<f64>,
    /// Baseline re-entry rates per year, one per piece.
    pub rates: Vec<f64>,
    /// Hazard ratios of `aged_10_plus`, `previous_failed_return`, `abuse_or_neglect`,
    /// `section_20` and `unplanned_return`.
    pub hazard_ratios: [f64; 5],
    /// Children who enter care over the years.
    pub children: usize,
    /// Collection years (the year of each return's 31 March), first and last.
    pub first_year: i32,
    pub last_year: i32,
    pub seed: u64,
}

impl Default for Truth {
    fn default() -> Truth {
        Truth {
            knots: super::DEFAULT_KNOTS.to_vec(),
            rates: vec![0.6, 0.4, 0.3, 0.2, 0.1, 0.05, 0.03],
            hazard_ratios: [1.3, 1.6, 1.4, 0.8, 1.5],
            children: 8000,
            first_year: 2011,
            last_year: 2020,
            seed: 1,
        }
    }
}

/// One year's two files, as text.
pub struct YearFiles {
    pub year: i32,
    pub header: String,
    pub episodes: String,
}

struct Episode {
    decom: NaiveDate,
    rne: &'static str,
    ls: &'static str,
    place: &'static str,
    dec: Option<NaiveDate>,
    rec: &'static str,
}

struct Child {
    id: String,
    dob: NaiveDate,
    cin: &'static str,
    episodes: Vec<Episode>,
}

fn date(d: NaiveDate, iso: bool) -> String {
    if iso { d.format("%Y-%m-%d").to_string() } else { d.format("%d/%m/%Y").to_string() }
}

fn plus(d: NaiveDate, years: f64) -> NaiveDate {
    d.checked_add_days(Days::new((years * 365.25).round().max(0.0) as u64)).unwrap_or(d)
}

/// The 18th birthday as the fit takes it (29 February → 1 March).
fn eighteen(dob: NaiveDate) -> NaiveDate {
    dob.with_year(dob.year() + 18).unwrap_or_else(|| NaiveDate::from_ymd_opt(dob.year() + 18, 3, 1).expect("1 March"))
}

/// A time to re-entry from the piecewise-constant hazard `rates × hr`.
fn draw_time(rng: &mut impl RngExt, knots: &[f64], rates: &[f64], hr: f64) -> f64 {
    let mut need = -(1.0 - rng.random::<f64>()).ln();
    for (k, &a) in knots.iter().enumerate() {
        let b = knots.get(k + 1).copied().unwrap_or(f64::INFINITY);
        let h = rates[k] * hr;
        if h * (b - a) >= need {
            return a + need / h;
        }
        need -= h * (b - a);
    }
    f64::INFINITY
}

fn child(truth: &Truth, i: usize, start: NaiveDate, extract: NaiveDate) -> Child {
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(truth.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i as u64);
    let window = (extract - start).num_days() as f64 - 200.0;
    let entry = plus(start, rng.random::<f64>() * window / 365.25);
    let age = rng.random::<f64>() * 17.5;
    let dob = entry.checked_sub_days(Days::new((age * 365.25) as u64)).unwrap_or(entry);
    let cin = if rng.random::<f64>() < 0.5 {
        "N1"
    } else {
        ["N2", "N3", "N4", "N5", "N6", "N7", "N8"][rng.random_range(0..7)]
    };
    let stay = LogNormal::new(0.8f64.ln(), 1.0).expect("valid");
    let adult = eighteen(dob);
    let mut episodes = Vec::new();
    let mut failed_before = false;
    let mut at = entry;
    loop {
        // One period of care, of one to seven episodes (placement moves).
        let ls = if rng.random::<f64>() < 0.4 { "V2" } else { "C2" };
        let drawn = plus(at, stay.sample(&mut rng).max(2.0 / 365.25));
        // Care ends at the 18th birthday at the latest.
        let leaves_at_18 = drawn >= adult && adult <= extract;
        let end = if leaves_at_18 { adult } else { drawn };
        let pieces = rng.random_range(1..=7usize);
        let mut starts: Vec<NaiveDate> =
            (1..pieces).map(|_| plus(at, rng.random::<f64>() * ((end - at).num_days() as f64 / 365.25))).collect();
        starts.sort();
        starts.dedup();
        starts.retain(|s| *s > at && *s < end);
        starts.insert(0, at);
        let open = end >= extract.min(adult);
        let (last_rec, home) = if leaves_at_18 {
            ("E8", false)
        } else if open {
            ("", false)
        } else {
            let u = rng.random::<f64>();
            if u < 0.35 {
                ("E4A", true)
            } else if u < 0.5 {
                ("E4B", true)
            } else {
                (["E11", "E12", "E41", "E8"][rng.random_range(0..4)], false)
            }
        };
        for (k, s) in starts.iter().enumerate() {
            let last = k + 1 == starts.len();
            let dec =
                if last { if open && last_rec.is_empty() { None } else { Some(end) } } else { Some(starts[k + 1]) };
            episodes.push(Episode {
                decom: *s,
                rne: if k == 0 { "S" } else { ["P", "L", "T", "U"][rng.random_range(0..4)] },
                ls,
                place: if rng.random::<f64>() < 0.15 { "P1" } else { ["U1", "U4", "R1", "K2"][rng.random_range(0..4)] },
                dec,
                rec: if last { last_rec } else { "X1" },
            });
        }
        if !home {
            break;
        }
        let age = end.years_since(dob).unwrap_or(0);
        let x = [age >= 10, failed_before, cin == "N1", ls == "V2", last_rec == "E4B"];
        let hr: f64 = x.iter().zip(truth.hazard_ratios).map(|(b, h)| if *b { h } else { 1.0 }).product();
        let t = draw_time(&mut rng, &truth.knots, &truth.rates, hr);
        let back = plus(end, t.min(100.0)).max(end.succ_opt().unwrap_or(end));
        // A short break at home, which is not a re-entry.
        if rng.random::<f64>() < 0.1 {
            let sb = plus(end, rng.random::<f64>() * t.min(1.0));
            let sb_end = sb.checked_add_days(Days::new(2)).unwrap_or(sb);
            if sb > end && sb_end < back && sb_end < extract.min(adult) {
                episodes.push(Episode { decom: sb, rne: "S", ls: "V3", place: "U1", dec: Some(sb_end), rec: "E4A" });
            }
        }
        if back >= extract.min(adult) {
            break;
        }
        failed_before = true;
        at = back;
    }
    Child { id: format!("C{:06}", i + 1), dob, cin, episodes }
}

/// Draws the children and writes each collection year's Header and Episodes files.
pub fn generate(truth: &Truth) -> Vec<YearFiles> {
    let start = NaiveDate::from_ymd_opt(truth.first_year - 1, 4, 1).expect("1 April");
    let extract = NaiveDate::from_ymd_opt(truth.last_year, 3, 31).expect("31 March");
    let children: Vec<Child> = (0..truth.children).map(|i| child(truth, i, start, extract)).collect();
    (truth.first_year..=truth.last_year)
        .map(|year| {
            let (from, to) = (
                NaiveDate::from_ymd_opt(year - 1, 4, 1).expect("1 April"),
                NaiveDate::from_ymd_opt(year, 3, 31).expect("31 March"),
            );
            let iso = year % 2 == 0;
            let mut header = String::from("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n");
            let mut episodes = String::from(
                "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n",
            );
            for c in &children {
                let mut any = false;
                for e in c.episodes.iter().filter(|e| e.decom <= to && e.dec.is_none_or(|d| d >= from)) {
                    any = true;
                    let closed = e.dec.filter(|d| *d <= to);
                    episodes.push_str(&format!(
                        "{},{},{},{},{},{},PR1,{},{},,AB1 2CD,EF3 4GH,SC{}\n",
                        c.id,
                        date(e.decom, iso),
                        e.rne,
                        e.ls,
                        c.cin,
                        e.place,
                        closed.map(|d| date(d, iso)).unwrap_or_default(),
                        if closed.is_some() { e.rec } else { "" },
                        100000 + c.id[1..].parse::<u32>().unwrap_or(0),
                    ));
                }
                if any {
                    header.push_str(&format!("{},1,{},WBRI,A123456789012,,\n", c.id, date(c.dob, iso)));
                }
            }
            YearFiles { year, header, episodes }
        })
        .collect()
}
