//! Calendar arithmetic and ISO-8601 formatting without format strings (fast, allocation-light).

/// Milliseconds in a day.
pub(crate) const DAY_MS: i64 = 86_400_000;
/// Milliseconds in a minute.
pub(crate) const MIN_MS: i64 = 60_000;

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Date {
    pub(crate) y: i32,
    pub(crate) m: u32,
    pub(crate) d: u32,
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number.
pub(crate) fn civil_from_days(z: i64) -> Date {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
    Date { y, m, d }
}

impl Date {
    pub(crate) fn from_days(days: i64) -> Self {
        civil_from_days(days)
    }

    pub(crate) fn days(self) -> i64 {
        days_from_civil(self.y, self.m, self.d)
    }

    /// The same day `years` later (29 February becomes 28 February).
    pub(crate) fn add_years(self, years: i32) -> Self {
        let y = self.y + years;
        let d = if self.m == 2 && self.d == 29 && !is_leap(y) {
            28
        } else {
            self.d
        };
        Date { y, m: self.m, d }
    }

    /// Whole years from `self` to `later`.
    pub(crate) fn years_until(self, later: Date) -> i32 {
        let mut age = later.y - self.y;
        if (later.m, later.d) < (self.m, self.d) {
            age -= 1;
        }
        age
    }

    /// `YYYY-MM-DD`.
    pub(crate) fn iso(self) -> String {
        let mut s = String::with_capacity(10);
        push_date(&mut s, self);
        s
    }

    /// Parses `YYYY-MM-DD`.
    pub(crate) fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let y = num(&b[0..4])? as i32;
        let m = num(&b[5..7])?;
        let d = num(&b[8..10])?;
        if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
            return None;
        }
        Some(Date { y, m, d })
    }
}

fn num(b: &[u8]) -> Option<u32> {
    let mut n = 0u32;
    for c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(c - b'0');
    }
    Some(n)
}

pub(crate) fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub(crate) fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn push2(s: &mut String, n: u32) {
    s.push(char::from(b'0' + (n / 10 % 10) as u8));
    s.push(char::from(b'0' + (n % 10) as u8));
}

fn push_date(s: &mut String, d: Date) {
    let y = d.y.clamp(0, 9999) as u32;
    push2(s, y / 100);
    push2(s, y % 100);
    s.push('-');
    push2(s, d.m);
    s.push('-');
    push2(s, d.d);
}

/// Appends `YYYY-MM-DD` to a byte buffer.
pub(crate) fn write_date(out: &mut Vec<u8>, d: Date) {
    let y = d.y.clamp(0, 9999) as u32;
    out.extend_from_slice(&[
        b'0' + (y / 1000) as u8,
        b'0' + (y / 100 % 10) as u8,
        b'0' + (y / 10 % 10) as u8,
        b'0' + (y % 10) as u8,
        b'-',
        b'0' + (d.m / 10) as u8,
        b'0' + (d.m % 10) as u8,
        b'-',
        b'0' + (d.d / 10) as u8,
        b'0' + (d.d % 10) as u8,
    ]);
}

/// Appends `YYYY-MM-DDTHH:MM:SS.mmmZ` to a byte buffer.
pub(crate) fn write_millis(out: &mut Vec<u8>, ms: i64) {
    let secs = ms.div_euclid(1000);
    let frac = ms.rem_euclid(1000) as u32;
    let sod = secs.rem_euclid(86_400) as u32;
    write_date(out, civil_from_days(secs.div_euclid(86_400)));
    let (h, m, s) = (sod / 3600, sod / 60 % 60, sod % 60);
    out.extend_from_slice(&[
        b'T',
        b'0' + (h / 10) as u8,
        b'0' + (h % 10) as u8,
        b':',
        b'0' + (m / 10) as u8,
        b'0' + (m % 10) as u8,
        b':',
        b'0' + (s / 10) as u8,
        b'0' + (s % 10) as u8,
        b'.',
        b'0' + (frac / 100) as u8,
        b'0' + (frac / 10 % 10) as u8,
        b'0' + (frac % 10) as u8,
        b'Z',
    ]);
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` of a Unix time in milliseconds.
pub(crate) fn iso_millis(ms: i64) -> String {
    let mut s = String::with_capacity(24);
    push_time(&mut s, ms.div_euclid(1000), ms.rem_euclid(1000) as u32, 3);
    s
}

/// `YYYY-MM-DDTHH:MM:SS.uuuuuuZ` of a Unix time in microseconds.
pub(crate) fn iso_micros(us: i64) -> String {
    let mut s = String::with_capacity(27);
    push_time(
        &mut s,
        us.div_euclid(1_000_000),
        us.rem_euclid(1_000_000) as u32,
        6,
    );
    s
}

fn push_time(s: &mut String, secs: i64, frac: u32, digits: u32) {
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400) as u32;
    push_date(s, civil_from_days(days));
    s.push('T');
    push2(s, sod / 3600);
    s.push(':');
    push2(s, sod / 60 % 60);
    s.push(':');
    push2(s, sod % 60);
    s.push('.');
    let mut div = 10u32.pow(digits - 1);
    while div > 0 {
        s.push(char::from(b'0' + (frac / div % 10) as u8));
        div /= 10;
    }
    s.push('Z');
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff…]Z` to Unix microseconds.
pub(crate) fn parse_instant_micros(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[10] != b'T' || b[13] != b':' || b[16] != b':' || *b.last()? != b'Z' {
        return None;
    }
    let date = Date::parse(s.get(0..10)?)?;
    let h = i64::from(num(&b[11..13])?);
    let mi = i64::from(num(&b[14..16])?);
    let sec = i64::from(num(&b[17..19])?);
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut micros = 0i64;
    let rest = &b[19..b.len() - 1];
    if !rest.is_empty() {
        if rest[0] != b'.' || rest.len() < 2 || rest.len() > 10 {
            return None;
        }
        let digits = &rest[1..];
        let n = i64::from(num(digits)?);
        let scale = 10i64.pow(6u32.saturating_sub(digits.len() as u32));
        micros = if digits.len() > 6 {
            n / 10i64.pow(digits.len() as u32 - 6)
        } else {
            n * scale
        };
    }
    Some(((date.days() * 86_400 + h * 3600 + mi * 60 + sec) * 1_000_000) + micros)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for z in [-800_000i64, -1, 0, 1, 10_956, 19_000, 20_454, 2_900_000] {
            assert_eq!(civil_from_days(z).days(), z);
        }
        assert_eq!(
            civil_from_days(0),
            Date {
                y: 1970,
                m: 1,
                d: 1
            }
        );
        assert_eq!(days_from_civil(2026, 1, 1), 20_454);
    }

    #[test]
    fn formats() {
        assert_eq!(iso_millis(1_767_225_600_123), "2026-01-01T00:00:00.123Z");
        for ms in [
            -2_208_988_800_000i64,
            0,
            1_767_225_600_123,
            951_782_400_999,
            221_845_392_000_000,
        ] {
            let mut out = Vec::new();
            write_millis(&mut out, ms);
            assert_eq!(String::from_utf8(out).unwrap(), iso_millis(ms));
        }
        assert_eq!(
            iso_micros(1_698_400_755_090_805),
            "2023-10-27T09:59:15.090805Z"
        );
        assert_eq!(
            parse_instant_micros("2023-10-27T09:59:15.090805Z"),
            Some(1_698_400_755_090_805)
        );
        assert_eq!(
            parse_instant_micros("2026-01-01T00:00:00.123Z"),
            Some(1_767_225_600_123_000)
        );
        assert_eq!(
            parse_instant_micros("2026-01-01T00:00:00Z"),
            Some(1_767_225_600_000_000)
        );
        assert_eq!(
            Date::parse("2024-02-29").map(Date::iso).as_deref(),
            Some("2024-02-29")
        );
        assert_eq!(Date::parse("2023-02-29"), None);
        let d = Date {
            y: 1990,
            m: 6,
            d: 15,
        };
        assert_eq!(
            d.years_until(Date {
                y: 2026,
                m: 6,
                d: 14
            }),
            35
        );
        assert_eq!(
            d.years_until(Date {
                y: 2026,
                m: 6,
                d: 15
            }),
            36
        );
    }
}
