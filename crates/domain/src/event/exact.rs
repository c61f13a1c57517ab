//! Exact arithmetic for the jury's sums: means of judges' scores are fractions (three judges give
//! thirds), and a result committees sign must not depend on how a float rounded on the way. Every
//! value is a reduced fraction of `i128`s; rounding happens only where the rules say, half away
//! from zero as Vietnamese committees round by hand.

use std::cmp::Ordering;
use std::fmt;

/// A reduced fraction with a positive denominator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Exact {
    num: i128,
    den: i128,
}

const fn gcd(mut a: i128, mut b: i128) -> i128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.abs()
}

impl Exact {
    pub const ZERO: Exact = Exact { num: 0, den: 1 };

    /// `num / den`; `den` must not be zero (callers divide by a count they checked).
    pub fn new(num: i128, den: i128) -> Exact {
        assert!(den != 0, "a fraction with denominator zero");
        let sign = if den < 0 { -1 } else { 1 };
        let g = gcd(num, den).max(1);
        Exact { num: sign * num / g, den: sign * den / g }
    }

    pub fn from_hundredths(h: i64) -> Exact {
        Exact::new(i128::from(h), 100)
    }

    /// Divided by a whole number greater than zero.
    pub fn over(self, n: u32) -> Exact {
        assert!(n > 0, "a mean of nothing");
        Exact::new(self.num, self.den * i128::from(n))
    }

    /// Rounded to `decimals` places, half away from zero.
    pub fn round(self, decimals: u32) -> Exact {
        let scale = 10_i128.pow(decimals);
        let scaled = self.num * scale;
        let (q, r) = (scaled / self.den, scaled % self.den);
        let q = if 2 * r.abs() >= self.den { q + scaled.signum() } else { q };
        Exact::new(q, scale)
    }

    /// The value in hundredths when it has no finer part (a rounded value with ≤ 2 decimals).
    pub fn hundredths(self) -> Option<i64> {
        let h = self.num * 100;
        (h % self.den == 0).then(|| i64::try_from(h / self.den).ok()).flatten()
    }

    /// Written with a decimal comma and at most `decimals` places (`12,75`), as the glossary asks;
    /// a value with finer parts is rounded for display only.
    pub fn display(self, decimals: u32) -> String {
        let r = self.round(decimals);
        let scale = 10_i128.pow(decimals);
        let scaled = r.num * scale / r.den;
        let (whole, frac) = (scaled.abs() / scale, scaled.abs() % scale);
        let sign = if scaled < 0 { "-" } else { "" };
        let digits = usize::try_from(decimals).unwrap_or(0);
        let frac = format!("{frac:0digits$}");
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() { format!("{sign}{whole}") } else { format!("{sign}{whole},{frac}") }
    }
}

impl std::ops::Add for Exact {
    type Output = Exact;

    fn add(self, other: Exact) -> Exact {
        Exact::new(self.num * other.den + other.num * self.den, self.den * other.den)
    }
}

impl std::ops::Mul for Exact {
    type Output = Exact;

    fn mul(self, other: Exact) -> Exact {
        Exact::new(self.num * other.num, self.den * other.den)
    }
}

impl Ord for Exact {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.num * other.den).cmp(&(other.num * self.den))
    }
}

impl PartialOrd for Exact {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Exact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display(2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirds_stay_exact_and_round_half_away_from_zero() {
        let third = Exact::new(1, 3);
        assert_eq!(third + third + third, Exact::new(1, 1));
        assert_eq!(Exact::new(2, 3).round(2), Exact::from_hundredths(67));
        assert_eq!(Exact::new(1, 8).round(2), Exact::from_hundredths(13), "0,125 → 0,13");
        assert_eq!(Exact::new(-1, 8).round(2), Exact::from_hundredths(-13), "−0,125 → −0,13");
        assert_eq!(Exact::new(5, 2).round(0), Exact::new(3, 1));
        assert_eq!(Exact::from_hundredths(1275).display(2), "12,75");
        assert_eq!(Exact::from_hundredths(1250).display(2), "12,5");
        assert_eq!(Exact::from_hundredths(1200).display(2), "12");
        assert_eq!(Exact::from_hundredths(-50).display(1), "-0,5");
        assert_eq!(Exact::new(2, 3).hundredths(), None);
        assert_eq!(Exact::new(2, 3).round(2).hundredths(), Some(67));
    }
}
