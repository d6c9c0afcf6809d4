//! Evaluating one OSV range for one version, per the OSV specification's algorithm:
//! events sorted by version, `introduced` switches "affected" on, `fixed` and
//! `limit` switch it off at their version, `last_affected` after it.

use std::cmp::Ordering;

use crate::advisory::osv::Event;
use crate::version::{Parsed, Scheme, VersionError};

/// Whether a version falls in a range, and the fix that ends the matching span.
#[allow(missing_docs)] // fields: each variant's message names them
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeVerdict {
    /// The version is outside every affected span.
    NotAffected,
    /// The version is affected; `fixed` ends its span, when a fix is known.
    Affected { fixed: Option<String> },
}

/// The minimal version OSV writes as `introduced: "0"`, below every real version.
const ZERO: &str = "0";

/// Evaluates `events` for `version` under `scheme`. An event version the scheme
/// cannot parse makes the whole range an error: guessing could hide a vulnerability.
pub fn evaluate(scheme: Scheme, version: &Parsed, events: &[Event]) -> Result<RangeVerdict, VersionError> {
    // Sort key: None stands for "0" (below everything).
    let mut parsed: Vec<(Option<Parsed>, &Event)> = Vec::with_capacity(events.len());
    for event in events {
        let key = match event {
            Event::Introduced(v) if v == ZERO => None,
            _ => Some(scheme.parse(event.version())?),
        };
        parsed.push((key, event));
    }
    // At equal versions, apply "introduced" before the events that end a span.
    parsed.sort_by(|(a, ea), (b, eb)| match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(a), Some(b)) => a.cmp(b).then_with(|| rank(ea).cmp(&rank(eb))),
    });

    let mut affected = false;
    let mut fixed = None;
    for (key, event) in &parsed {
        let at_or_below = |v: &Option<Parsed>| v.as_ref().is_none_or(|v| v <= version);
        match event {
            Event::Introduced(_) if at_or_below(key) => affected = true,
            Event::Fixed(_) | Event::Limit(_) if at_or_below(key) => affected = false,
            Event::LastAffected(_) if key.as_ref().is_some_and(|v| v < version) => affected = false,
            Event::Fixed(v) if affected && fixed.is_none() => fixed = Some(v.clone()),
            _ => {}
        }
    }
    Ok(if affected { RangeVerdict::Affected { fixed } } else { RangeVerdict::NotAffected })
}

fn rank(event: &Event) -> u8 {
    match event {
        Event::Introduced(_) => 0,
        Event::LastAffected(_) => 1,
        Event::Fixed(_) => 2,
        Event::Limit(_) => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(version: &str, events: &[Event]) -> RangeVerdict {
        evaluate(Scheme::SemVer, &Scheme::SemVer.parse(version).unwrap(), events).unwrap()
    }

    fn intro(v: &str) -> Event {
        Event::Introduced(v.into())
    }
    fn fixed(v: &str) -> Event {
        Event::Fixed(v.into())
    }

    fn affected_fixed_by(v: &str) -> RangeVerdict {
        RangeVerdict::Affected { fixed: Some(v.into()) }
    }

    #[test]
    fn introduced_fixed() {
        let events = [intro("1.0.0"), fixed("1.2.0")];
        assert_eq!(check("0.9.0", &events), RangeVerdict::NotAffected);
        assert_eq!(check("1.0.0", &events), affected_fixed_by("1.2.0"));
        assert_eq!(check("1.1.9", &events), affected_fixed_by("1.2.0"));
        assert_eq!(check("1.2.0", &events), RangeVerdict::NotAffected);
        assert_eq!(check("1.2.0-rc.1", &events), affected_fixed_by("1.2.0"));
    }

    #[test]
    fn zero_and_several_spans_in_any_order() {
        let events = [fixed("2.0.0"), intro("3.0.0"), fixed("3.1.0"), intro("0")];
        assert_eq!(check("0.0.1", &events), affected_fixed_by("2.0.0"));
        assert_eq!(check("2.5.0", &events), RangeVerdict::NotAffected);
        assert_eq!(check("3.0.5", &events), affected_fixed_by("3.1.0"));
        assert_eq!(check("4.0.0", &events), RangeVerdict::NotAffected);
    }

    #[test]
    fn last_affected_is_inclusive_and_limit_exclusive() {
        let events = [intro("1.0.0"), Event::LastAffected("1.4.0".into())];
        assert_eq!(check("1.4.0", &events), RangeVerdict::Affected { fixed: None });
        assert_eq!(check("1.4.1", &events), RangeVerdict::NotAffected);
        let events = [intro("0"), Event::Limit("2.0.0".into())];
        assert_eq!(check("1.9.9", &events), RangeVerdict::Affected { fixed: None });
        assert_eq!(check("2.0.0", &events), RangeVerdict::NotAffected);
    }

    #[test]
    fn open_range_affects_every_later_version() {
        assert_eq!(check("99.0.0", &[intro("1.0.0")]), RangeVerdict::Affected { fixed: None });
    }

    #[test]
    fn an_unparsable_event_is_an_error() {
        let v = Scheme::SemVer.parse("1.0.0").unwrap();
        assert!(evaluate(Scheme::SemVer, &v, &[intro("0"), fixed("not a version")]).is_err());
    }
}
