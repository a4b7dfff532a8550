//! The one way reunify writes numbers for people: money, percentages, counts and axis ticks.
//!
//! The report, the terminal, the charts and the workbook's text all use these, so the same
//! figure reads the same everywhere: "£5,627", "−£34.8m", "£1.2bn", "2.4%", "10,080". A
//! negative sign is the minus sign (U+2212) before the pound sign, and a figure that rounds
//! to zero has no sign at all ("£0", never "−£0" or "£-0k").

/// Whole number with thousands separators: `10080.4` → "10,080", `-3.0` → "−3".
pub fn count(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let r = x.round();
    let s = format!("{:.0}", r.abs());
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if r < 0.0 { format!("−{out}") } else { out }
}

fn signed(negative: bool, body: String) -> String {
    // No sign on a figure whose digits are all zero.
    let zero = !body.chars().any(|c| c.is_ascii_digit() && c != '0');
    if negative && !zero { format!("−{body}") } else { body }
}

/// The scale pounds of magnitude `a` are written at: billions or millions with one decimal
/// (from where the decimal would round up to the next unit), or `None` for whole pounds.
fn money_scale(a: f64) -> Option<(f64, &'static str)> {
    if a >= 1e9 - 5e7 {
        Some((1e9, "bn"))
    } else if a >= 1e6 - 5e4 {
        Some((1e6, "m"))
    } else {
        None
    }
}

/// `x` at a scale from [`money_scale`]: "−£34.8m".
fn scaled(x: f64, (unit, suffix): (f64, &str)) -> String {
    signed(x < 0.0, format!("£{}{suffix}", trim1(x.abs() / unit)))
}

/// Pounds for prose and tables: "£5,627", "£920,000", "£34.8m", "£1.2bn"; pennies below
/// £100 when there are any ("£0.11").
pub fn money(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let a = x.abs();
    if let Some(scale) = money_scale(a) {
        return scaled(x, scale);
    }
    let body =
        if a < 100.0 && (a * 100.0).round() % 100.0 != 0.0 { format!("£{a:.2}") } else { format!("£{}", count(a)) };
    signed(x < 0.0, body)
}

/// A range of pounds with both ends at one scale, so that they read alike: "−£37.0m to
/// £0.1m", never "−£37.0m to £129,183". The scale is the larger end's, as [`money`] writes it.
pub fn money_range(lo: f64, hi: f64) -> String {
    match money_scale(lo.abs().max(hi.abs())) {
        Some(scale) if lo.is_finite() && hi.is_finite() => format!("{} to {}", scaled(lo, scale), scaled(hi, scale)),
        _ => format!("{} to {}", money(lo), money(hi)),
    }
}

/// Pounds and pence, always two decimals: "£0.81", "−£0.11", "£1.00" (the return per £1 of
/// support).
pub fn money_pence(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    signed(x < 0.0, format!("£{:.2}", x.abs()))
}

/// One decimal, with thousands separators on the whole part ("1,234.5"; "2.0" stays).
fn trim1(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    let whole = r.trunc();
    format!("{}.{}", count(whole), ((r - whole) * 10.0).round() as i64)
}

/// A share as a percentage with one decimal: `0.024` → "2.4%".
pub fn percent(p: f64) -> String {
    if !p.is_finite() {
        return "–".into();
    }
    signed(p < 0.0, format!("{:.1}%", (100.0 * p).abs()))
}

/// A share as a whole percentage: `0.236` → "24%". Shares that are not 0 or 1 never read "0%"
/// or "100%": they read "<1%" or ">99%".
pub fn percent0(p: f64) -> String {
    if !p.is_finite() {
        return "–".into();
    }
    let v = 100.0 * p;
    if v > 0.0 && v < 0.5 {
        "<1%".into()
    } else if v < 100.0 && v > 99.5 {
        ">99%".into()
    } else {
        signed(v < 0.0, format!("{:.0}%", v.abs()))
    }
}

/// A plain number with up to `digits` decimals and no trailing zeros ("0.85", "2", "1,200").
pub fn number(x: f64, digits: usize) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    if x.abs() >= 1000.0 {
        return count(x);
    }
    let s = format!("{:.*}", digits, x.abs());
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
    signed(x < 0.0, s)
}

/// A count as a person writes it: "no", "one" to "nine" in words, then "10", "1,200".
pub fn count_words(n: u64) -> String {
    const WORDS: [&str; 10] = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
    WORDS.get(n as usize).map_or_else(|| count(n as f64), |w| w.to_string())
}

/// A count in words with its noun, singular or plural: "one return home", "12 returns home",
/// "no empty files".
pub fn plural(n: u64, one: &str, many: &str) -> String {
    plural_with(n, &count_words(n), one, many)
}

/// `shown` (the count as it may be shown: in words, or "fewer than five") with its noun,
/// singular for exactly one.
pub fn plural_with(n: u64, shown: &str, one: &str, many: &str) -> String {
    format!("{shown} {}", if n == 1 { one } else { many })
}

/// A sentence's first letter in upper case.
pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

/// Axis tick labels in pounds for an axis from `lo` to `hi` with ticks about `step` apart:
/// one unit (£, £k, £m or £bn) for the whole axis, chosen by its largest value, and enough
/// decimals that two different ticks never read the same.
pub fn money_ticks(lo: f64, hi: f64, step: f64) -> impl Fn(&f64) -> String {
    let top = lo.abs().max(hi.abs());
    let (scale, suffix) = if top >= 1e9 {
        (1e9, "bn")
    } else if top >= 1e6 {
        (1e6, "m")
    } else if top >= 1e4 {
        (1e3, "k")
    } else {
        (1.0, "")
    };
    let decimals = decimals_for(step.abs() / scale);
    move |v: &f64| {
        let x = v / scale;
        if (x * 10f64.powi(decimals as i32)).round() == 0.0 {
            return "£0".into();
        }
        let body = if decimals == 0 && x.abs() >= 1000.0 {
            format!("£{}{suffix}", count(x.abs()))
        } else {
            format!("£{:.*}{suffix}", decimals, x.abs())
        };
        signed(*v < 0.0, body)
    }
}

/// The fewest decimals (up to 6) that write multiples of `step` exactly: 250 → 0, 2.5 → 1,
/// 0.25 → 2.
fn decimals_for(step: f64) -> usize {
    (0..6)
        .find(|&d| {
            let x = step * 10f64.powi(d as i32);
            (x - x.round()).abs() < 1e-6 * x.abs().max(1.0)
        })
        .unwrap_or(6)
}

/// Tick labels for shares on an axis whose ticks are `step` apart (as shares): "15%", "2.5%".
pub fn percent_ticks(step: f64) -> impl Fn(&f64) -> String {
    let decimals = decimals_for(100.0 * step.abs());
    move |v: &f64| signed(*v < 0.0, format!("{:.*}%", decimals, (100.0 * v).abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_as_a_commissioner_writes_it() {
        assert_eq!(money(5627.0), "£5,627");
        assert_eq!(money(-34_812_345.0), "−£34.8m");
        assert_eq!(money(1_234_567_890.0), "£1.2bn");
        assert_eq!(money(-0.11), "−£0.11");
        assert_eq!(money(-0.001), "£0");
        assert_eq!(money(0.0), "£0");
        assert_eq!(money(999_999.0), "£1.0m");
        assert_eq!(money(920_000.0), "£920,000");
        assert_eq!(money(56_700_000.0), "£56.7m");
        assert_eq!(money(2_500_000_000_000.0), "£2,500.0bn");
        assert_eq!(money(f64::NAN), "–");
    }

    #[test]
    fn a_range_of_money_has_one_scale() {
        assert_eq!(money_range(-37_012_345.0, 129_183.0), "−£37.0m to £0.1m");
        assert_eq!(money_range(-6_900_000.0, -12_000.0), "−£6.9m to £0.0m");
        assert_eq!(money_range(-2_100_000_000.0, 350_000_000.0), "−£2.1bn to £0.4bn");
        assert_eq!(money_range(-5_000.0, 129_183.0), "−£5,000 to £129,183");
        assert_eq!(money_range(f64::NAN, 1.0), "– to £1");
    }

    #[test]
    fn percentages_and_counts() {
        assert_eq!(percent(0.024), "2.4%");
        assert_eq!(percent(-0.0001), "0.0%");
        assert_eq!(percent0(0.236), "24%");
        assert_eq!(percent0(0.001), "<1%");
        assert_eq!(percent0(0.999), ">99%");
        assert_eq!(percent0(1.0), "100%");
        assert_eq!(count(10080.4), "10,080");
        assert_eq!(count(-3.0), "−3");
        assert_eq!(count(-0.2), "0");
        assert_eq!(number(0.850, 3), "0.85");
        assert_eq!(number(-2.0, 2), "−2");
    }

    #[test]
    fn money_ticks_never_repeat_and_never_read_minus_zero() {
        let f = money_ticks(-20_000.0, 80_000.0, 20_000.0);
        let labels: Vec<String> = [-20_000.0, 0.0, 20_000.0, 40_000.0].iter().map(&f).collect();
        assert_eq!(labels, ["−£20k", "£0", "£20k", "£40k"]);
        let f = money_ticks(0.0, 400.0, 50.0);
        assert_eq!(f(&150.0), "£150");
        let f = money_ticks(-2e6, 3e6, 5e5);
        assert_eq!(f(&-5e5), "−£0.5m");
        assert_eq!(f(&0.0), "£0");
        let f = money_ticks(0.0, 5000.0, 250.0);
        let labels: Vec<String> = (0..=20).map(|i| f(&(i as f64 * 250.0))).collect();
        let mut unique = labels.clone();
        unique.dedup();
        assert_eq!(unique.len(), labels.len(), "{labels:?}");
        assert_eq!(f(&-0.0001), "£0");
        assert_eq!(percent_ticks(0.05)(&0.15), "15%");
        assert_eq!(percent_ticks(0.025)(&0.025), "2.5%");
    }
}
