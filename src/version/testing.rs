//! Test support shared by the version-scheme modules: parsing, ordering assertions on
//! literal vectors, and property checkers for each module's own `proptest!` block (the
//! strategies stay in the modules, since every grammar differs).

use std::cmp::Ordering;
use std::fmt::{Debug, Display};
use std::str::FromStr;

use proptest::prelude::*;

use super::VersionError;

/// Parses `s`, panicking (with the reason) if the scheme rejects it.
pub(crate) fn parse<V: FromStr<Err = VersionError>>(s: &str) -> V {
    s.parse().unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
}

/// Each version is strictly older than the next one in `list`.
pub(crate) fn assert_increasing<V: FromStr<Err = VersionError> + Ord + Debug>(list: &[&str]) {
    for pair in list.windows(2) {
        let (a, b) = (parse::<V>(pair[0]), parse::<V>(pair[1]));
        assert_eq!(a.cmp(&b), Ordering::Less, "{} < {}", pair[0], pair[1]);
        assert_eq!(b.cmp(&a), Ordering::Greater, "{} > {}", pair[1], pair[0]);
        assert_ne!(a, b);
    }
}

/// Every pair, not just neighbours: the list must be strictly increasing.
pub(crate) fn assert_increasing_pairwise<V: FromStr<Err = VersionError> + Ord + Debug>(list: &[&str]) {
    for (i, a) in list.iter().enumerate() {
        for b in &list[i + 1..] {
            assert_eq!(parse::<V>(a).cmp(&parse::<V>(b)), Ordering::Less, "{a} < {b}");
            assert_eq!(parse::<V>(b).cmp(&parse::<V>(a)), Ordering::Greater, "{b} > {a}");
        }
    }
}

/// `a` and `b` are the same version, by `Ord` and by `Eq`.
pub(crate) fn assert_equal<V: FromStr<Err = VersionError> + Ord + Debug>(a: &str, b: &str) {
    assert_eq!(parse::<V>(a).cmp(&parse::<V>(b)), Ordering::Equal, "{a} cmp {b}");
    assert_eq!(parse::<V>(a), parse::<V>(b), "{a} == {b}");
}

/// [`assert_equal`] on each pair.
pub(crate) fn assert_equal_pairs<V: FromStr<Err = VersionError> + Ord + Debug>(pairs: &[(&str, &str)]) {
    for (a, b) in pairs {
        assert_equal::<V>(a, b);
    }
}

/// Every version in `list` equals the first.
pub(crate) fn assert_all_equal<V: FromStr<Err = VersionError> + Ord + Debug>(list: &[&str]) {
    for b in list {
        assert_equal::<V>(list[0], b);
    }
}

/// The scheme rejects every string in `list`.
pub(crate) fn assert_rejected<V: FromStr<Err = VersionError> + Debug>(list: &[&str]) {
    for bad in list {
        assert!(bad.parse::<V>().is_err(), "{bad:?} should be rejected");
    }
}

/// The scheme accepts every string in `list`.
pub(crate) fn assert_accepted<V: FromStr<Err = VersionError> + Debug>(list: &[&str]) {
    for good in list {
        assert!(good.parse::<V>().is_ok(), "{good:?} should parse");
    }
}

/// A generated version string parses.
pub(crate) fn check_parses<V: FromStr<Err = VersionError> + Debug>(s: &str) -> Result<(), TestCaseError> {
    prop_assert!(s.parse::<V>().is_ok(), "{s:?}");
    Ok(())
}

/// Parsing arbitrary input returns (`Ok` or `Err`) rather than panicking.
pub(crate) fn check_no_panic<V: FromStr<Err = VersionError>>(s: &str) {
    let _ = s.parse::<V>();
}

/// Reflexive, equal to its clone, and parsing its display gives the same version back.
pub(crate) fn check_round_trip<V>(s: &str) -> Result<(), TestCaseError>
where
    V: FromStr<Err = VersionError> + Ord + Debug + Display + Clone,
{
    let a = parse::<V>(s);
    prop_assert_eq!(a.cmp(&a), Ordering::Equal);
    prop_assert_eq!(&a, &a.clone());
    prop_assert_eq!(parse::<V>(&a.to_string()), a);
    Ok(())
}

/// `cmp` is antisymmetric and agrees with `==` and `partial_cmp`.
pub(crate) fn check_antisymmetric<V: FromStr<Err = VersionError> + Ord + Debug>(
    a: &str,
    b: &str,
) -> Result<(), TestCaseError> {
    let (a, b) = (parse::<V>(a), parse::<V>(b));
    check_pair(&a, &b)
}

/// `<=` and `==` are transitive on the three versions, and sorting them yields an order.
pub(crate) fn check_transitive<V: FromStr<Err = VersionError> + Ord + Debug>(
    a: &str,
    b: &str,
    c: &str,
) -> Result<(), TestCaseError> {
    let mut vs = [parse::<V>(a), parse::<V>(b), parse::<V>(c)];
    vs.sort();
    prop_assert!(vs[0] <= vs[1] && vs[1] <= vs[2] && vs[0] <= vs[2], "{:?}", vs);
    for x in &vs {
        for y in &vs {
            for z in &vs {
                if x <= y && y <= z {
                    prop_assert!(x <= z, "{:?} <= {:?} <= {:?}", x, y, z);
                }
                if x == y && y == z {
                    prop_assert!(x == z, "{:?} == {:?} == {:?}", x, y, z);
                }
            }
        }
    }
    Ok(())
}

/// All of the total-order laws on three versions: reflexivity, antisymmetry with `Eq`
/// consistency on every pair, and transitivity.
pub(crate) fn check_total_order<V: FromStr<Err = VersionError> + Ord + Debug>(
    a: &str,
    b: &str,
    c: &str,
) -> Result<(), TestCaseError> {
    let vs = [parse::<V>(a), parse::<V>(b), parse::<V>(c)];
    for x in &vs {
        prop_assert_eq!(x.cmp(x), Ordering::Equal);
        for y in &vs {
            check_pair(x, y)?;
        }
    }
    check_transitive::<V>(a, b, c)
}

fn check_pair<V: Ord + Debug>(a: &V, b: &V) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.cmp(b), b.cmp(a).reverse());
    prop_assert_eq!(a == b, a.cmp(b) == Ordering::Equal);
    prop_assert_eq!(a.partial_cmp(b), Some(a.cmp(b)));
    Ok(())
}

/// The properties every scheme shares, as tests over the module's own version strategy:
/// generated strings parse, arbitrary text never panics, and `Ord` is antisymmetric,
/// consistent with `Eq` and transitive.
macro_rules! order_properties {
    ($version:ty, $strategy:expr) => {
        ::proptest::proptest! {
            #[test]
            fn generated_versions_parse(s in $strategy) {
                $crate::version::testing::check_parses::<$version>(&s)?;
            }

            #[test]
            fn never_panics(s in "\\PC{0,20}") {
                $crate::version::testing::check_no_panic::<$version>(&s);
            }

            #[test]
            fn antisymmetric_and_eq_consistent(a in $strategy, b in $strategy) {
                $crate::version::testing::check_antisymmetric::<$version>(&a, &b)?;
            }

            #[test]
            fn transitive(a in $strategy, b in $strategy, c in $strategy) {
                $crate::version::testing::check_transitive::<$version>(&a, &b, &c)?;
            }
        }
    };
}
pub(crate) use order_properties;

/// Checks the scheme against `fixtures/versions/<scheme>.tsv`, vectors produced by the
/// ecosystem's native tool (see `tests/version_vectors/`): each line is `a<TAB>b<TAB>-1|0|1`.
/// Every pair must compare exactly as listed, both ways round (antisymmetry), except the pairs in
/// `deliberate` and in `fixtures/versions/<scheme>.departures.tsv` (`a<TAB>b` lines, when the file
/// exists), where customs departs from the tool on purpose (docs/formats.md and the file's header say
/// why). Returns how many pairs were checked, so a test can insist the file is not empty.
pub(crate) fn check_native_vectors<V: FromStr<Err = VersionError> + Ord + Debug>(
    scheme: &str,
    deliberate: &[(&str, &str)],
) -> usize {
    let path = format!("{}/fixtures/versions/{scheme}.tsv", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let departures_path = format!("{}/fixtures/versions/{scheme}.departures.tsv", env!("CARGO_MANIFEST_DIR"));
    let departures_text = std::fs::read_to_string(&departures_path).unwrap_or_default();
    let departures: Vec<(&str, &str)> = departures_text
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('\t'))
        .chain(deliberate.iter().copied())
        .collect();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for (n, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [a, b, expected] = fields[..] else { panic!("{path}:{}: expected three tab-separated fields", n + 1) };
        if departures.iter().any(|&(x, y)| (x, y) == (a, b) || (y, x) == (a, b)) {
            continue;
        }
        let expected = match expected {
            "-1" => Ordering::Less,
            "0" => Ordering::Equal,
            "1" => Ordering::Greater,
            other => panic!("{path}:{}: verdict {other:?} is not -1, 0 or 1", n + 1),
        };
        checked += 1;
        let verdict = match (a.parse::<V>(), b.parse::<V>()) {
            (Ok(x), Ok(y)) => {
                let (forward, backward) = (x.cmp(&y), y.cmp(&x));
                if forward == expected && backward == expected.reverse() && (x == y) == expected.is_eq() {
                    continue;
                }
                format!("{forward:?} (reversed: {backward:?})")
            }
            (Err(e), _) | (_, Err(e)) => format!("error: {e}"),
        };
        wrong.push(format!("line {}: {a:?} vs {b:?}: expected {expected:?}, got {verdict}", n + 1));
    }
    assert!(wrong.is_empty(), "{} of {checked} pairs in {path} disagree:\n{}", wrong.len(), wrong.join("\n"));
    checked
}
