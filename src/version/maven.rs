//! Maven versions, as `org.apache.maven.artifact.versioning.ComparableVersion` (maven-artifact 3.9).
//!
//! Parsing (case-insensitive; every non-empty string is a version, as in Maven):
//! - `.` and `-` separate items, and so does every digit↔letter transition (`1.0alpha1` is
//!   `1, 0, alpha, 1`); an empty item is `0`;
//! - a `-`, and every digit↔letter transition, opens a nested list that holds the rest
//!   (`1-alpha-1` is `[1, [alpha, [1]]]`); so does a letter item after `.` when it is followed by a
//!   digit or ends the version (`1.0.0.RC1` is `1-RC1`: "treat `.X` as `-X`", MNG-7644);
//! - numbers compare at any size (leading zeros dropped); only ASCII digits are digits;
//! - qualifiers: `alpha` < `beta` < `milestone` < `rc` < `snapshot` < `""` < `sp` < any other
//!   string (lexically); `a`, `b`, `m` directly followed by a digit mean alpha, beta, milestone;
//!   `ga`, `final`, `release` mean `""` and `cr` means `rc`;
//! - "null" items (`0`, `""`, empty lists) are dropped from the end of every list, innermost
//!   first, skipping over trailing lists (`1.0.0` == `1`, `1.0-0` == `1`, `1.0.0-alpha` == `1-alpha`).
//!
//! Ordering: item by item; a missing item on the shorter side is "null", which a number compares
//! against as `0`, a qualifier as `""`, and a list item by item (MNG-6964). Between items of
//! different kinds: string < list < number (`1-sp` < `1-1` < `1.1`).
//!
//! **Deviation, for a total order.** Maven's own comparison is not transitive when a "null-like"
//! or dotted middle item meets a list and padding at the same spot: for instance
//! `4.3.1.BUILD-SNAPSHOT` < `4.3.1-alpha` < `4.3.1` < `4.3.1.BUILD-SNAPSHOT`, or
//! `1-1` < `1.0.beta-1` < `1` < `1-1`. A non-transitive `Ord` makes sorting panic, so each item
//! first compares by how the rest of its list (from that item on) compares to padding — exactly
//! Maven's verdict when the other side has ended — and only within the same side by kind then
//! value. This agrees with Maven whenever one version is a prefix of the other and whenever
//! Maven is consistent (`32.0.0-jre` < `32.0.1-jre`, `2.0-1` < `2.0.1`, all of Maven's own test
//! vectors); it departs only inside such cycles (above, `4.3.1.BUILD-SNAPSHOT` > `4.3.1-alpha`
//! and `1.0.beta-1` < `1-1`).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use super::semver::Num;
use super::VersionError;

/// The known qualifiers in order; the empty string (release) is `RELEASE`.
const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const RELEASE: u8 = 5;
const UNKNOWN: u8 = QUALIFIERS.len() as u8;

/// A string item: its rank among the known qualifiers, unknown ones after all, lexically.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Qualifier {
    rank: u8,
    unknown: String,
}

impl Qualifier {
    fn new(value: &str, followed_by_digit: bool) -> Qualifier {
        let value = match value {
            "a" if followed_by_digit => "alpha",
            "b" if followed_by_digit => "beta",
            "m" if followed_by_digit => "milestone",
            "ga" | "final" | "release" => "",
            "cr" => "rc",
            other => other,
        };
        match QUALIFIERS.iter().position(|q| *q == value) {
            Some(i) => Qualifier { rank: i as u8, unknown: String::new() },
            None => Qualifier { rank: UNKNOWN, unknown: value.to_string() },
        }
    }

    fn as_str(&self) -> &str {
        QUALIFIERS.get(usize::from(self.rank)).copied().unwrap_or(&self.unknown)
    }
}

#[derive(Debug, Clone)]
enum Item {
    Str(Qualifier),
    List(List),
    Num(Num),
}

impl Item {
    /// How the item compares to a missing item ("null").
    fn vs_null(&self) -> Ordering {
        match self {
            Item::Num(n) => {
                if n.is_zero() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            Item::Str(q) => q.rank.cmp(&RELEASE),
            Item::List(l) => l.vs_null(),
        }
    }

    /// Maven's `isNull`: `0`, `""` or an empty list.
    fn is_null(&self) -> bool {
        match self {
            Item::Num(n) => n.is_zero(),
            Item::Str(q) => q.rank == RELEASE,
            Item::List(l) => l.items.is_empty(),
        }
    }

    fn kind(&self) -> u8 {
        match self {
            Item::Str(_) => 0,
            Item::List(_) => 1,
            Item::Num(_) => 2,
        }
    }

    /// Kind (string < list < number), then value.
    fn cmp_kind_value(&self, other: &Item) -> Ordering {
        match (self, other) {
            (Item::Num(a), Item::Num(b)) => a.cmp(b),
            (Item::Str(a), Item::Str(b)) => a.cmp(b),
            (Item::List(a), Item::List(b)) => a.cmp(b),
            _ => self.kind().cmp(&other.kind()),
        }
    }
}

/// A list of items with, for each position, how the rest of the list from there compares to null.
#[derive(Debug, Clone, Default)]
struct List {
    items: Vec<Item>,
    rest_vs_null: Vec<Ordering>,
}

impl List {
    /// Drops trailing null items (skipping over non-null trailing lists), then records
    /// `rest_vs_null`.
    fn finish(mut items: Vec<Item>) -> List {
        let mut i = items.len();
        while i > 0 {
            i -= 1;
            if items[i].is_null() {
                items.remove(i);
            } else if !matches!(items[i], Item::List(_)) {
                break;
            }
        }
        let mut rest_vs_null = vec![Ordering::Equal; items.len()];
        let mut rest = Ordering::Equal;
        for (i, item) in items.iter().enumerate().rev() {
            rest = item.vs_null().then(rest);
            rest_vs_null[i] = rest;
        }
        List { items, rest_vs_null }
    }

    fn vs_null(&self) -> Ordering {
        self.rest_vs_null.first().copied().unwrap_or(Ordering::Equal)
    }
}

impl Ord for List {
    fn cmp(&self, other: &Self) -> Ordering {
        for i in 0..self.items.len().max(other.items.len()) {
            let (a, b) = (self.rest_vs_null.get(i), other.rest_vs_null.get(i));
            match (self.items.get(i), other.items.get(i)) {
                (Some(x), Some(y)) => {
                    let (a, b) = (a.copied().unwrap_or(Ordering::Equal), b.copied().unwrap_or(Ordering::Equal));
                    if a.is_eq() && b.is_eq() {
                        return Ordering::Equal; // both rests are all null
                    }
                    let o = a.cmp(&b).then_with(|| x.cmp_kind_value(y));
                    if o.is_ne() {
                        return o;
                    }
                }
                (Some(_), None) => return a.copied().unwrap_or(Ordering::Equal),
                (None, Some(_)) => return b.copied().unwrap_or(Ordering::Equal).reverse(),
                (None, None) => break,
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for List {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for List {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for List {}

impl fmt::Display for List {
    /// Maven's canonical form: `.` before plain items, `-` before lists.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 {
                f.write_str(if matches!(item, Item::List(_)) { "-" } else { "." })?;
            }
            match item {
                Item::Num(n) => write!(f, "{n}")?,
                Item::Str(q) => f.write_str(q.as_str())?,
                Item::List(l) => write!(f, "{l}")?,
            }
        }
        Ok(())
    }
}

/// A Maven version. `Eq` is `cmp == Equal` (`1` == `1.0.0` == `1-ga`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(List);

/// Lists under construction: the last one is the innermost, and each is the last item of the one
/// before it once finished.
struct Builder(Vec<Vec<Item>>);

impl Builder {
    fn current(&mut self) -> &mut Vec<Item> {
        self.0.last_mut().expect("the outermost list is never popped")
    }

    fn push(&mut self, item: Item) {
        self.current().push(item);
    }

    fn open_list(&mut self) {
        self.0.push(Vec::new());
    }

    fn finish(mut self) -> List {
        let mut list = List::finish(self.0.pop().unwrap_or_default());
        while let Some(mut parent) = self.0.pop() {
            parent.push(Item::List(list));
            list = List::finish(parent);
        }
        list
    }
}

fn parse_item(is_digit: bool, token: &str) -> Item {
    if is_digit {
        Item::Num(Num::parse(token).unwrap_or_else(Num::zero))
    } else {
        Item::Str(Qualifier::new(token, false))
    }
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        if input.is_empty() {
            return Err(VersionError::new(input, "empty version"));
        }
        let s = input.to_lowercase();
        let mut b = Builder(vec![Vec::new()]);
        let mut is_digit = false;
        let mut start = 0;
        for (i, c) in s.char_indices() {
            match c {
                '.' | '-' => {
                    let item = if i == start { Item::Num(Num::zero()) } else { parse_item(is_digit, &s[start..i]) };
                    b.push(item);
                    start = i + 1;
                    if c == '-' {
                        b.open_list();
                    }
                }
                _ if c.is_ascii_digit() => {
                    if !is_digit && i > start {
                        // `1.0.0.X1` is `1.0.0-X1`: a qualifier after `.` opens a list too.
                        if !b.current().is_empty() {
                            b.open_list();
                        }
                        b.push(Item::Str(Qualifier::new(&s[start..i], true)));
                        start = i;
                        b.open_list();
                    }
                    is_digit = true;
                }
                _ => {
                    if is_digit && i > start {
                        b.push(parse_item(true, &s[start..i]));
                        start = i;
                        b.open_list();
                    }
                    is_digit = false;
                }
            }
        }
        if s.len() > start {
            if !is_digit && !b.current().is_empty() {
                b.open_list();
            }
            b.push(parse_item(is_digit, &s[start..]));
        }
        Ok(Version(b.finish()))
    }
}

impl fmt::Display for Version {
    /// Maven's canonical form (`ComparableVersion.getCanonical`), e.g. `1-alpha-1` for `1.0a1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::testing;
    use proptest::prelude::*;

    fn v(s: &str) -> Version {
        testing::parse(s)
    }

    fn assert_equal(a: &str, b: &str) {
        testing::assert_equal::<Version>(a, b);
        assert_eq!(v(a).to_string(), v(b).to_string(), "canonical {a} / {b}");
    }

    #[test]
    fn native_vectors() {
        assert!(testing::check_native_vectors::<Version>("maven", &[]) > 2500);
    }

    #[test]
    fn qualifiers_in_order() {
        testing::assert_increasing_pairwise::<Version>(&[
            "1-alpha1snapshot",
            "1-alpha-1",
            "1-alpha2",
            "1-alpha-10",
            "1-beta-1",
            "1-b2",
            "1-beta10",
            "1-m1",
            "1-milestone-2",
            "1-m10",
            "1-rc",
            "1-cr1",
            "1-rc2",
            "1-RC10",
            "1-SNAPSHOT",
            "1",
            "1-sp",
            "1-sp1",
            "1-sp10",
            "1-a",
            "1-abc",
            "1-b",
            "1-foo",
            "1-jre",
            "1-m",
            "1-pom-1",
            "1-1-SNAPSHOT",
            "1-1",
            "1-2",
            "1-10",
        ]);
    }

    #[test]
    fn numbers_in_order() {
        testing::assert_increasing_pairwise::<Version>(&[
            "1",
            "1.0.1",
            "1.1",
            "1.1.0.1",
            "1.2",
            "1.10",
            "2.0",
            "2.0.a",
            "2-1",
            "2.0.2",
            "2.0.10",
            "2.1.0",
            "2.1-a",
            "2.1b",
            "2.1-c",
            "2.1-1",
            "2.1.0.1",
            "2.2",
            "2.10",
            "11.a2",
            "11.a11",
            "11.b2",
            "11.b11",
            "11.m2",
            "11.m11",
            "11",
            "11.a",
            "11b",
            "11c",
            "11m",
            "20190126.230843",
            "1234567890.12345",
            "123456789012345.1H.5-beta",
            "12345678901234567890.1H.5-beta",
            "99999999999999999999999",
            "100000000000000000000000",
        ]);
    }

    #[test]
    fn real_world_versions_in_order() {
        testing::assert_increasing_pairwise::<Version>(&[
            "2.0-beta9",
            "2.0-rc1",
            "2.0-rc2",
            "2.0",
            "2.0.1",
            "2.14.1",
            "2.15.0",
            "2.17.1",
        ]);
        testing::assert_increasing_pairwise::<Version>(&[
            "31.1-android",
            "31.1-jre",
            "32.0.0-android",
            "32.0.0-jre",
            "32.0.1-jre",
            "33.0.0-jre",
        ]);
        testing::assert_increasing_pairwise::<Version>(&[
            "2.9.10",
            "2.9.10.1",
            "2.9.10.8",
            "2.10.0",
            "2.10.0.pr1",
            "2.12.7.1",
        ]);
        // (`pr` is no known qualifier, so Jackson's `2.10.0.pr1` sorts *after* `2.10.0`, as in Maven.)
        testing::assert_increasing_pairwise::<Version>(&["4.1.67.Final", "4.1.68.Final", "4.1.100.Final"]);
        testing::assert_increasing_pairwise::<Version>(&[
            "4.3.29.RELEASE",
            "4.3.30.RELEASE",
            "5.0.0.M1",
            "5.0.0.RC1",
            "5.0.0.RELEASE",
        ]);
        testing::assert_increasing_pairwise::<Version>(&["1.0-SNAPSHOT", "1.0", "1.0.1-SNAPSHOT", "1.0.1"]);
        testing::assert_increasing_pairwise::<Version>(&["6.1.0rc3", "6.1.0", "6.1H.5-beta"]);
        testing::assert_increasing_pairwise::<Version>(&["1-0.alpha", "1-0.beta", "1"]);
    }

    #[test]
    fn equalities() {
        for (a, b) in [
            ("1", "1.0"),
            ("1", "1.0.0"),
            ("1", "1-0"),
            ("1", "1.0-0"),
            ("1", "1-ga"),
            ("1", "1.0.0-GA"),
            ("1", "1final"),
            ("1", "1.RELEASE"),
            ("1", "1-0-0-0"),
            ("1", "0001"),
            ("0", "0.0.0"),
            ("0", "ga"),
            ("0", "-"),
            ("1a", "1-a"),
            ("1a", "1.0-a"),
            ("1.0.0a", "1-a"),
            ("1x", "1.0.0-x"),
            ("1cr", "1rc"),
            ("1Cr", "1rC"),
            ("1a1", "1-alpha-1"),
            ("1b2", "1-beta-2"),
            ("1m3", "1-milestone-3"),
            ("1m3", "1MileStone3"),
            ("1X", "1x"),
            ("1-SNAPSHOT", "1-snapshot"),
            ("2-RC", "2.0.RC"),
            ("2-abc", "2.0.0.abc"),
            ("1.0.0.RC1", "1-RC1"),
            ("1..1", "1.0.1"),
            ("1-abcdefghijklmnopqrstuvwxyz", "1-ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
        ] {
            assert_equal(a, b);
        }
    }

    #[test]
    fn dotted_qualifier_sorts_before_hyphenated_one() {
        for x in ["abc", "alpha", "a", "beta", "b", "def", "milestone", "m", "RC"] {
            let (dotted, hyphen) = (format!("1.0.0.{x}1"), format!("1.0.0-{x}2"));
            assert!(v(&dotted) < v(&hyphen), "{dotted} < {hyphen}");
            assert_equal(&format!("2-{x}"), &format!("2.0.{x}"));
            assert_equal(&format!("2-{x}"), &format!("2.0.0.{x}"));
        }
    }

    #[test]
    fn canonical_form() {
        for (input, canonical) in [
            ("1.0.0", "1"),
            ("1.0-alpha-1", "1-alpha-1"),
            ("1.0a1", "1-alpha-1"),
            ("1-GA", "1"),
            ("2.0.1-xyz", "2.0.1-xyz"),
            ("1.0.0.RC1", "1-rc-1"),
            ("4.3.0.BUILD-SNAPSHOT", "4.3.0.build-snapshot"),
            ("0", ""),
        ] {
            assert_eq!(v(input).to_string(), canonical, "{input}");
        }
    }

    #[test]
    fn anything_but_empty_parses() {
        testing::assert_rejected::<Version>(&[""]);
        testing::assert_accepted::<Version>(&[
            "...",
            "1..2",
            "-",
            "--",
            ".-.",
            "v1.2",
            "latest",
            " 1.0 ",
            "１.0",
            "1.0-ünïcode",
            "ß",
            "İ",
            "💥1",
        ]);
    }

    #[test]
    fn mavens_cycles_are_broken_consistently() {
        // Maven: a < b < c < a for each triple. Here: a total order.
        for triple in [["4.3.1.BUILD-SNAPSHOT", "4.3.1-alpha", "4.3.1"], ["1-1", "1.0.beta-1", "1"]] {
            let [a, b, c] = triple.map(v);
            let mut sorted = [a.clone(), b.clone(), c.clone()];
            sorted.sort();
            assert!(sorted[0] < sorted[1] && sorted[1] < sorted[2] && sorted[0] < sorted[2]);
        }
        // The verdicts Maven gives against padding are kept.
        assert!(v("4.3.1") < v("4.3.1.BUILD-SNAPSHOT"));
        assert!(v("4.3.1-alpha") < v("4.3.1"));
        assert!(v("1.0.beta-1") < v("1"));
        assert!(v("1") < v("1-1"));
        // Inside the cycle, the rest-versus-padding verdict decides.
        assert!(v("4.3.1-alpha") < v("4.3.1.BUILD-SNAPSHOT"));
        assert!(v("1.0.beta-1") < v("1-1"));
    }

    fn version_string() -> impl Strategy<Value = String> {
        let token = prop_oneof![
            "[0-2]",
            Just("00".to_string()),
            "(alpha|a|beta|b|milestone|m|rc|cr|snapshot|ga|final|release|sp|foo|x|RC|Final)",
        ];
        let sep = prop_oneof![Just(""), Just("."), Just("-")];
        (token.clone(), proptest::collection::vec((sep, token), 0..6)).prop_map(|(first, rest)| {
            rest.into_iter().fold(first, |mut s, (sep, token)| {
                s.push_str(sep);
                s.push_str(&token);
                s
            })
        })
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            testing::check_no_panic::<Version>(&s);
        }

        #[test]
        fn total_order_on_grammar(a in version_string(), b in version_string(), c in version_string()) {
            testing::check_total_order::<Version>(&a, &b, &c)?;
        }

        #[test]
        fn total_order_on_any_string(a in "[0-2a.-]{1,8}", b in "[0-2a.-]{1,8}", c in "[0-2s.-]{1,8}") {
            testing::check_total_order::<Version>(&a, &b, &c)?;
        }
    }
}
