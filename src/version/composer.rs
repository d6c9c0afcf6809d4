//! Composer (Packagist) versions: Composer's normalisation, then PHP's `version_compare` on the
//! normalised strings, as Composer's constraints compare them.
//!
//! Reference: composer/semver `VersionParser::normalize` / `normalizeBranch`,
//! `Constraint::versionCompare`, and PHP's `php_version_compare` (`ext/standard/versioning.c`).
//!
//! Normalisation (`VersionParser::normalize`): trim; drop an ` as alias` and an `@stability` flag;
//! drop `+build` metadata; then
//! - classic: `v?N(.N){0,3}` + modifier, padded to four numbers (`1.2` → `1.2.0.0`, first number at
//!   most five digits);
//! - or date-like: `v?YYYY` then 1-6 two-digit groups and 0-2 short groups, separators `.:-` → `.`;
//! - modifier: `[._-]?` + optional stability (`stable beta b RC alpha a patch pl p`, any case) with
//!   numbers (`-beta.2`, `b2`, `RC1`, `-p1`) + optional `[.-]dev`; expanded to `-alpha`, `-beta`,
//!   `-RC`, `-patch`, `-dev`. A literal lower-case `stable` drops the modifier (`1.0-stable` ==
//!   `1.0`);
//! - or a numeric branch `1.x-dev` / `2.1.*.dev` → `1.9999999.9999999.9999999-dev`.
//!
//! Anything else that holds a digit is compared raw, as PHP's `version_compare` takes it (after a
//! leading `v`), which is what osv.dev does for every Packagist version: `version_compare` turns
//! `-`, `_`, `+` and any other non-alphanumeric character into a separator and splits letters from
//! digits, so `4.3-2RC1` is `4.3.2.RC.1` and `3.2.0rc1.post1` is `3.2.0.rc.1.post.1` (`post`, an
//! unknown word, sorts below `dev`). A string with no digit is an error, and so are branches (`dev-master`, `master`, `dev-feature/x`):
//! Composer never orders a `dev-` branch against a version (`Constraint::versionCompare` makes them
//! match nothing), so customs reports them as not comparable instead of guessing.
//!
//! Ordering (`version_compare` on the normalised string, split into runs of digits and of letters):
//! numbers compare numerically; words by PHP's special forms `dev < alpha < beta < RC < # < patch`,
//! where a number counts as `#`; when one side runs out, its end also counts as `#` against a word
//! and is older than a number. So `1.0.0-dev < -alpha1 < -beta < -beta1 < -RC1 < 1.0.0 < -patch1 <
//! 1.0.0.1` and `1.0-beta2-dev < 1.0-beta2`. An unknown word (only `STABLE` in other case survives
//! normalisation) sorts below `dev`, as PHP does. Numbers of any length compare exactly, where PHP's
//! `strtol` would saturate at 2^63 - 1.
//!
//! Dates: the date pattern follows composer/semver 3.4 (up to two trailing short groups; 3.3 took
//! one).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use super::VersionError;

/// `version_compare`'s rank of the special forms; a number ranks as `#`.
const DEV: i8 = 0;
const HASH: i8 = 4;

/// One run of the normalised version string.
#[derive(Debug, Clone)]
enum Part {
    /// Digits without leading zeros (`""` is zero).
    Number(String),
    /// A stability word, as its special-form rank.
    Word(i8),
}

/// A normalised Composer version. Equality follows the ordering (`1.0` == `v1.0.0.0` ==
/// `1.0.0+build`, `1.0-b1` == `1.0.0-beta1`).
#[derive(Debug, Clone)]
pub struct Version {
    text: String,
    normalized: String,
    parts: Vec<Part>,
}

impl Version {
    /// The version as Composer normalises it (`1.0.0.0-beta2`).
    pub fn normalized(&self) -> &str {
        &self.normalized
    }
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normalized = match normalize(s) {
            Ok(normalized) => normalized,
            // Real Packagist history holds versions Composer cannot normalise (`4.3-2RC1`,
            // `3.2.0rc1.post1`); PHP's `version_compare` still orders them, as osv.dev does.
            Err(NOT_COMPOSER) if s.contains(|c: char| c.is_ascii_digit()) => {
                s.strip_prefix(['v', 'V']).unwrap_or(s).to_string()
            }
            Err(reason) => return Err(VersionError::new(s, reason)),
        };
        let parts = split_parts(&normalized);
        Ok(Version { text: s.trim_matches(PHP_TRIM).to_string(), normalized, parts })
    }
}

const PHP_TRIM: &[char] = &[' ', '\t', '\n', '\r', '\0', '\x0B'];

/// PCRE's `\s` (no `/u`).
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0B' | '\x0C' | '\r')
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.as_bytes().get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix.as_bytes()))
}

fn ends_with_ignore_case(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len() && s.as_bytes()[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

fn digit_run(s: &str) -> usize {
    s.bytes().take_while(u8::is_ascii_digit).count()
}

/// `VersionParser::normalize`, returning the normalised string.
fn normalize(input: &str) -> Result<String, &'static str> {
    let mut version = input.trim_matches(PHP_TRIM);
    if let Some(source) = strip_alias(version) {
        version = source;
    }
    for flag in ["@stable", "@rc", "@beta", "@alpha", "@dev"] {
        if ends_with_ignore_case(version, flag) {
            version = &version[..version.len() - flag.len()];
            break;
        }
    }
    if matches!(version, "master" | "trunk" | "default") || starts_with_ignore_case(version, "dev-") {
        return Err("a branch, which Composer does not order against versions");
    }
    if let Some((head, build)) = version.split_once('+') {
        let head_ok = !head.is_empty() && !head.contains(|c: char| c == ',' || is_space(c));
        if head_ok && !build.is_empty() && !build.contains(is_space) {
            version = head;
        }
    }
    let unprefixed = version.strip_prefix(['v', 'V']).unwrap_or(version);
    if let Some((numbers, modifier)) = match_classic(unprefixed) {
        let mut normalized = numbers.join(".");
        for _ in numbers.len()..4 {
            normalized.push_str(".0");
        }
        return Ok(modifier.append_to(normalized));
    }
    if let Some((date, modifier)) = match_date(unprefixed) {
        return Ok(modifier.append_to(date.replace([':', '-'], ".")));
    }
    if let Some(branch) = match_numeric_branch(version) {
        return Ok(branch);
    }
    Err(NOT_COMPOSER)
}

/// Why `normalize` refused a version that is not a branch either.
const NOT_COMPOSER: &str = "not a Composer version";

/// `^([^,\s]++) ++as ++([^,\s]++)$` → the first version.
fn strip_alias(version: &str) -> Option<&str> {
    let end = version.find(|c: char| c == ',' || is_space(c))?;
    let (source, rest) = version.split_at(end);
    let rest = rest.strip_prefix(' ')?.trim_start_matches(' ').strip_prefix("as ")?.trim_start_matches(' ');
    let target_ok = !rest.is_empty() && !rest.contains(|c: char| c == ',' || is_space(c));
    (!source.is_empty() && target_ok).then_some(source)
}

/// What the modifier pattern captured.
struct Modifier<'a> {
    stability: Option<&'a str>,
    numbers: &'a str,
    dev: bool,
}

impl Modifier<'_> {
    /// The tail `normalize` appends for this modifier.
    fn append_to(&self, mut version: String) -> String {
        if let Some(stability) = self.stability {
            if stability == "stable" {
                return version;
            }
            let expanded = match stability.to_ascii_lowercase().as_str() {
                "a" => "alpha".to_string(),
                "b" => "beta".to_string(),
                "p" | "pl" => "patch".to_string(),
                "rc" => "RC".to_string(),
                other => other.to_string(),
            };
            version.push('-');
            version.push_str(&expanded);
            version.push_str(self.numbers.trim_start_matches(['.', '-']));
        }
        if self.dev {
            version.push_str("-dev");
        }
        version
    }
}

/// `[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*+)?)?([.-]?dev)?$` (case-insensitive),
/// trying the alternatives in the order PCRE does.
fn match_modifier(s: &str) -> Option<Modifier<'_>> {
    let skips: &[usize] = if s.starts_with(['.', '_', '-']) { &[1, 0] } else { &[0] };
    for &skip in skips {
        let rest = &s[skip..];
        for word in ["stable", "beta", "b", "RC", "alpha", "a", "patch", "pl", "p"] {
            if !starts_with_ignore_case(rest, word) {
                continue;
            }
            let after = &rest[word.len()..];
            let numbers = numbers_len(after);
            if let Some(dev) = match_dev(&after[numbers..]) {
                return Some(Modifier { stability: Some(&rest[..word.len()]), numbers: &after[..numbers], dev });
            }
        }
        if let Some(dev) = match_dev(rest) {
            return Some(Modifier { stability: None, numbers: "", dev });
        }
    }
    None
}

/// The length `(?:[.-]?\d+)*+` takes from the start of `s`.
fn numbers_len(s: &str) -> usize {
    let mut i = 0;
    loop {
        let sep = usize::from(s[i..].starts_with(['.', '-']) && s[i + 1..].starts_with(|c: char| c.is_ascii_digit()));
        let digits = digit_run(&s[i + sep..]);
        if digits == 0 {
            return i;
        }
        i += sep + digits;
    }
}

/// `([.-]?dev)?$`: `Some(true)` with a dev suffix, `Some(false)` at the end, `None` otherwise.
fn match_dev(s: &str) -> Option<bool> {
    if s.is_empty() {
        return Some(false);
    }
    let tail = s.strip_prefix(['.', '-']).unwrap_or(s);
    tail.eq_ignore_ascii_case("dev").then_some(true)
}

/// `(\d{1,5}+)(\.\d++)?(\.\d++)?(\.\d++)?` + modifier, after the `v?`.
fn match_classic(s: &str) -> Option<(Vec<&str>, Modifier<'_>)> {
    let first = digit_run(s);
    if first == 0 || first > 5 {
        return None;
    }
    let mut numbers = vec![&s[..first]];
    let mut i = first;
    while numbers.len() < 4 && s[i..].starts_with('.') {
        let digits = digit_run(&s[i + 1..]);
        if digits == 0 {
            break;
        }
        numbers.push(&s[i + 1..i + 1 + digits]);
        i += 1 + digits;
    }
    Some((numbers, match_modifier(&s[i..])?))
}

/// `(\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3}){0,2})` + modifier, after the `v?`.
fn match_date(s: &str) -> Option<(&str, Modifier<'_>)> {
    // The date can only end at the last digit of the leading run of digits and separators: the
    // modifier cannot start with a digit.
    let run = s.bytes().take_while(|b| b.is_ascii_digit() || b".:-".contains(b)).count();
    let end = s[..run].rfind(|c: char| c.is_ascii_digit())? + 1;
    let date = &s[..end];
    let bytes = date.as_bytes();
    if bytes.len() < 4 || !bytes[..4].iter().all(u8::is_ascii_digit) || !date_groups(bytes, 4, 0) {
        return None;
    }
    Some((date, match_modifier(&s[end..])?))
}

/// Whether `d[i..]` is 1-6 (in total, `pairs` so far) `[.:-]?\d{2}` groups then 0-2 `[.:-]?\d{1,3}`.
fn date_groups(d: &[u8], i: usize, pairs: usize) -> bool {
    let j = i + usize::from(d.get(i).is_some_and(|b| b".:-".contains(b)));
    let digits = d[j.min(d.len())..].iter().take_while(|b| b.is_ascii_digit()).count();
    (pairs >= 1 && short_groups(d, i, 0)) || (pairs < 6 && digits >= 2 && date_groups(d, j + 2, pairs + 1))
}

fn short_groups(d: &[u8], i: usize, groups: usize) -> bool {
    if i == d.len() {
        return true;
    }
    let j = i + usize::from(d.get(i).is_some_and(|b| b".:-".contains(b)));
    let digits = d[j.min(d.len())..].iter().take_while(|b| b.is_ascii_digit()).count();
    groups < 2 && (1..=digits.min(3)).any(|n| short_groups(d, j + n, groups + 1))
}

/// `(.*?)[.-]?dev$` then `normalizeBranch`'s numeric pattern `v?N(.N|.x){0,3}`; `None` for named
/// branches.
fn match_numeric_branch(s: &str) -> Option<String> {
    if !ends_with_ignore_case(s, "dev") {
        return None;
    }
    let name = &s[..s.len() - 3];
    let name = name.strip_suffix(['.', '-']).unwrap_or(name).trim_matches(PHP_TRIM);
    let name = name.strip_prefix(['v', 'V']).unwrap_or(name);
    let first = digit_run(name);
    if first == 0 {
        return None;
    }
    let mut parts = vec![&name[..first]];
    let mut rest = &name[first..];
    while parts.len() < 4 {
        let Some(tail) = rest.strip_prefix('.') else { break };
        let len = match digit_run(tail) {
            0 if tail.starts_with(['x', 'X', '*']) => 1,
            digits => digits,
        };
        if len == 0 {
            break;
        }
        parts.push(&tail[..len]);
        rest = &tail[len..];
    }
    if !rest.is_empty() {
        return None;
    }
    let mut parts: Vec<&str> =
        parts.iter().map(|p| if matches!(*p, "x" | "X" | "*") { "9999999" } else { p }).collect();
    parts.resize(4, "9999999");
    Some(format!("{}-dev", parts.join(".")))
}

/// The normalised string as `version_compare` splits it: runs of digits and of letters.
fn split_parts(normalized: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut rest = normalized;
    while let Some(start) = rest.find(|c: char| c.is_ascii_alphanumeric()) {
        rest = &rest[start..];
        let numeric = rest.starts_with(|c: char| c.is_ascii_digit());
        let len = rest
            .find(|c: char| if numeric { !c.is_ascii_digit() } else { !c.is_ascii_alphabetic() })
            .unwrap_or(rest.len());
        let run = &rest[..len];
        parts.push(if numeric { Part::Number(run.trim_start_matches('0').to_string()) } else { Part::Word(rank(run)) });
        rest = &rest[len..];
    }
    parts
}

/// PHP's special forms, matched by prefix in this order: dev, alpha, a, beta, b, RC, rc, #, pl, p.
fn rank(word: &str) -> i8 {
    const FORMS: [(&str, i8); 10] = [
        ("dev", DEV),
        ("alpha", 1),
        ("a", 1),
        ("beta", 2),
        ("b", 2),
        ("RC", 3),
        ("rc", 3),
        ("#", HASH),
        ("pl", 5),
        ("p", 5),
    ];
    FORMS.iter().find(|(form, _)| word.starts_with(form)).map_or(-1, |(_, rank)| *rank)
}

/// One step of `version_compare`; `None` is the end of a version.
fn cmp_part(a: Option<&Part>, b: Option<&Part>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (Some(Part::Number(x)), Some(Part::Number(y))) => x.len().cmp(&y.len()).then_with(|| x.cmp(y)),
        (Some(Part::Number(_)), None) => Ordering::Greater,
        (None, Some(Part::Number(_))) => Ordering::Less,
        (Some(Part::Word(x)), Some(Part::Word(y))) => x.cmp(y),
        (Some(Part::Word(x)), _) => x.cmp(&HASH),
        (_, Some(Part::Word(y))) => HASH.cmp(y),
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let len = self.parts.len().max(other.parts.len());
        (0..len)
            .map(|k| cmp_part(self.parts.get(k), other.parts.get(k)))
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    }
}

eq_and_partial_ord_from_ord!(Version);

impl fmt::Display for Version {
    /// The version as given (trimmed); see [`Version::normalized`] for Composer's form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
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

    #[test]
    fn native_vectors() {
        assert!(testing::check_native_vectors::<Version>("packagist", &[]) > 3000);
    }

    #[test]
    fn stabilities() {
        testing::assert_increasing::<Version>(&[
            "1.0.0-dev",
            "1.0.0-alpha",
            "1.0.0-alpha1",
            "1.0.0-alpha2",
            "1.0.0-beta-dev",
            "1.0.0-beta",
            "1.0.0-beta1-dev",
            "1.0.0-beta1",
            "1.0.0-beta1.1",
            "1.0.0-beta2",
            "1.0.0-beta10",
            "1.0.0-RC1",
            "1.0.0-RC2",
            "1.0.0",
            "1.0.0-patch1",
            "1.0.0-patch2",
            "1.0.0.1",
            "1.0.1-dev",
            "1.0.1",
        ]);
        // Magento-style patch releases.
        testing::assert_increasing::<Version>(&["2.4.6", "2.4.6-p1", "2.4.6-p2", "2.4.6-p10", "2.4.7-beta1", "2.4.7"]);
    }

    #[test]
    fn numbers() {
        testing::assert_increasing::<Version>(&[
            "0.1", "0.9", "0.10", "1", "1.0.0.1", "1.1", "1.2.3", "1.10", "2", "10", "99999",
        ]);
        testing::assert_increasing::<Version>(&["v1.2.3", "v1.2.4", "v1.3.0-RC1", "v1.3.0"]);
        // Date versions: one run of digits, or dashed/dotted groups.
        testing::assert_increasing::<Version>(&["201001011200", "201001011201", "9999999999999999999999"]);
        testing::assert_increasing::<Version>(&["2010-01-02-beta1", "2010-01-02", "2010-01-03", "2010-01-03-12"]);
    }

    #[test]
    fn numeric_branches() {
        testing::assert_increasing::<Version>(&[
            "1.0.0",
            "1.5.3",
            "1.99999.0",
            "1.x-dev",
            "2.0.0-dev",
            "2.0.x-dev",
            "2.1.0",
        ]);
        testing::assert_all_equal::<Version>(&[
            "1.x-dev",
            "1.X-dev",
            "1.*.dev",
            "v1.x.x.x-dev",
            "1.9999999.9999999.9999999-dev",
        ]);
    }

    #[test]
    fn equalities() {
        testing::assert_all_equal::<Version>(&[
            "1",
            "1.0",
            "1.0.0",
            "1.0.0.0",
            "v1.0.0",
            "V1.0.0",
            "1.00.0",
            " 1.0.0 ",
            "1.0.0+build.7",
            "1.0.0@stable",
            "1.0.0-stable",
            "1.0.0-stable1",
            "1.0.0-stable-dev",
            "1.0.0 as 2.0.0",
            "1.0.0@dev",
        ]);
        testing::assert_all_equal::<Version>(&[
            "1.0.0-b2",
            "1.0.0-beta2",
            "1.0.0-beta.2",
            "1.0.0beta2",
            "1.0.0-BETA2",
            "v1.0.0-beta-2",
        ]);
        testing::assert_all_equal::<Version>(&["1.0.0-RC1", "1.0.0-rc1", "1.0.0.RC1", "1.0.0_RC.1"]);
        testing::assert_all_equal::<Version>(&["1.0.0-p1", "1.0.0-pl1", "1.0.0-patch1", "1.0.0-patch.1", "1.0.0p1"]);
        testing::assert_all_equal::<Version>(&["1.0.0-a1", "1.0.0-alpha1", "1.0.0a1"]);
        testing::assert_all_equal::<Version>(&["1.0.0-dev", "1.0.0.dev", "1.0.0dev", "1.0.0-DEV", "1.0.0--dev"]);
        testing::assert_all_equal::<Version>(&["1.01.0", "1.1.0"]);
    }

    #[test]
    fn normalized_forms() {
        for (input, normalized) in [
            ("1.0", "1.0.0.0"),
            ("v2.1-beta.2", "2.1.0.0-beta2"),
            ("1.0.0-rc1-dev", "1.0.0.0-RC1-dev"),
            ("1.0.0-beta2.3", "1.0.0.0-beta2.3"),
            ("1.0.0-STABLE", "1.0.0.0-stable"),
            ("1.0-stable-dev", "1.0.0.0"),
            ("2010-01-02", "2010.01.02"),
            ("20100102", "20100102"),
            ("2010.01.02.5", "2010.01.02.5"),
            ("123456", "123456"),
            ("1.x-dev", "1.9999999.9999999.9999999-dev"),
            ("2.1.*.dev", "2.1.9999999.9999999-dev"),
        ] {
            assert_eq!(v(input).normalized(), normalized, "{input:?}");
        }
    }

    #[test]
    fn quirks_kept_from_php() {
        // `STABLE` in upper case survives normalisation as an unknown word, which PHP puts below `dev`.
        testing::assert_increasing::<Version>(&["1.0.0-STABLE", "1.0.0-dev", "1.0.0"]);
        // An extra number after a stability is newer than none, whatever its value.
        testing::assert_increasing::<Version>(&["1.0.0-beta", "1.0.0-beta0", "1.0.0-beta1"]);
    }

    #[test]
    fn parse_errors() {
        testing::assert_rejected::<Version>(&[
            "",
            "   ",
            "dev-master",
            "DEV-master",
            "dev-feature/foo",
            "master",
            "trunk",
            "default",
            "foo",
            "foo-dev",
            "x-dev",
            "*",
            "v",
            "...",
            "１.",
        ]);
    }

    /// What Composer cannot normalise but holds a digit is compared as `version_compare` compares it raw.
    #[test]
    fn not_normalisable_compares_raw() {
        for raw in [
            "1.x.x.x.x-dev",
            "1.0.x",
            "1.0.0.0.0",
            "1.0-foo",
            "1.0.0-beta.foo",
            "1.0.0-alpha_1",
            "2010-01-02T1230",
            "1.0.0+",
            "1.0.0+a b",
            "1.0.0 1",
            "1,0",
            "1.0.0-é",
            "1..2",
            "99999999999999999999999",
            "123456.0.0.0.0",
            "１.0.0",
        ] {
            assert_eq!(v(raw).normalized(), raw, "{raw:?}");
        }
        assert_eq!(v("v4.3-2RC1").normalized(), "4.3-2RC1");
        testing::assert_increasing::<Version>(&["4.3-2RC1", "4.3.2", "4.3.2-patch1"]);
        testing::assert_increasing::<Version>(&["3.2.0rc1.post1", "3.2.0rc1", "3.2.0"]);
    }

    fn version_string() -> impl Strategy<Value = String> {
        prop_oneof![
            // A small alphabet so that equal and near-equal versions occur often.
            "v?[01](\\.0?[01]){0,3}([-._]?(beta|b|RC|rc|alpha|a|patch|pl|p|stable|STABLE)([.-]?[01]){0,2})?([.-]?dev)?",
            "[0-9]{1,5}(\\.[0-9]{1,4}){0,3}(-(beta|RC|alpha|patch|p)[0-9]{0,2})?(-dev)?(\\+[a-z0-9.]{1,5})?",
            "[0-9](\\.([0-9]|x)){0,3}-dev",
            "20[0-9]{2}([-.:]?[0-9]{2}){1,3}([-.][0-9]{1,3}){0,2}(-(beta|RC)[0-9])?",
        ]
    }

    testing::order_properties!(Version, version_string());

    proptest! {
        #[test]
        fn never_panics_on_version_like_input(s in "[0-9vxabdeprlt@+*. _:-]{0,14}") {
            testing::check_no_panic::<Version>(&s);
        }

        #[test]
        fn reflexive_and_roundtrip(s in version_string()) {
            testing::check_round_trip::<Version>(&s)?;
            // Composer accepts its own normal form (dates may re-read as classic versions).
            testing::check_parses::<Version>(v(&s).normalized())?;
        }
    }
}
