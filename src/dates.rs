//! Calendar dates, in UTC, as the reports and the config use them. One place, on `jiff` (a well-kept
//! date library), instead of the hand-written civil-date arithmetic that three modules used to copy.

use anyhow::{Context as _, Result};
use jiff::civil::Date;
use jiff::Timestamp;

/// Seconds since 1970-01-01 UTC now.
pub(crate) fn now_secs() -> i64 {
    Timestamp::now().as_second()
}

/// `YYYY-MM-DD` (UTC) of a Unix time in seconds.
pub(crate) fn iso_date(secs: i64) -> String {
    Timestamp::from_second(secs)
        .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date().to_string())
        .unwrap_or_else(|_| "invalid date".into())
}

/// `YYYY-MM-DDTHH:MM:SSZ` (UTC) of a Unix time in seconds: when a commit was made.
pub(crate) fn iso_time(secs: i64) -> String {
    Timestamp::from_second(secs)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|_| "invalid date".into())
}

/// A strict `YYYY-MM-DD` as days since 1970-01-01.
pub(crate) fn parse_day(s: &str) -> Result<i64> {
    let ok_shape = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
    anyhow::ensure!(ok_shape, "expected YYYY-MM-DD");
    let d: Date = s.parse().context("no such day")?;
    Ok(days(d))
}

/// Today (UTC) as days since 1970-01-01.
pub(crate) fn today() -> i64 {
    now_secs().div_euclid(86_400)
}

fn days(d: Date) -> i64 {
    let epoch = Date::constant(1970, 1, 1);
    i64::from(
        d.since((jiff::Unit::Day, epoch))
            .map(|s| s.get_days())
            .unwrap_or(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        assert_eq!(parse_day("1970-01-01").unwrap(), 0);
        assert_eq!(parse_day("2024-02-29").unwrap(), 19_782);
        assert!(parse_day("2025-02-29").is_err());
        assert!(parse_day("2025-2-28").is_err());
        assert_eq!(iso_date(19_782 * 86_400 + 5), "2024-02-29");
        assert_eq!(iso_date(0), "1970-01-01");
        assert_eq!(iso_time(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(iso_time(-1), "1969-12-31T23:59:59Z");
    }
}
