//! Alpine package versions, ordered as apk-tools orders them (`apk version -t`; Alpine, Wolfi,
//! Chainguard).
//!
//! Reference: apk-tools `src/version.c` as rewritten for apk-tools 3 (`token_first`, `token_next`,
//! `token_cmp`, `apk_version_compare`) and its `test/version.data`.
//!
//! Grammar: `digits{.digits}[letter]{_suffix[digits]}[~hash][-rdigits]`, where `letter` is one of
//! `a`-`z`, `suffix` one of `alpha beta pre rc cvs svn git hg p`, and `hash` a run of hex digits.
//! Anything else (upper case, a letter followed by digits, `1.`, `-1`, surrounding spaces) is
//! invalid, as `apk_version_validate` says ([`Version::is_valid`]); but `apk version -t` still
//! orders such a version, and Alpine's own history holds some (`1.9.5p2-r0`, `10.0.11-0`,
//! `4.8.0.-r1`, `2021-03-27-r5`). apk reads tokens up to the first one that is not allowed there,
//! which becomes an "invalid" token sorting below every token and below the end; so `1.8.1` <
//! `1.8.1p1` < `1.8.2` and `10.0.11-0` < `10.0.11`, but also `1.8.1p1` == `1.8.1p2` (both invalid
//! after the same `1.8.1p`). Only a version that does not start with a digit is refused: apk would
//! order it below everything, which says nothing.
//!
//! The version is read as a sequence of tokens, compared pairwise while both sides have a token of
//! the same kind:
//! - the first number, suffix numbers and the `-r` revision compare as numbers (any length);
//! - a later `.`-number compares as a number, unless either side starts with `0`: then both compare
//!   as strings (Gentoo's rule, so `1.01` < `1.1` and `1.0` < `1.00`);
//! - letters compare as characters, suffixes as `alpha < beta < pre < rc < cvs < svn < git < hg <
//!   p`, hashes as strings.
//!
//! At the first position where the kinds differ (a missing token is the end; two invalid tokens
//! are equal and end the comparison), the side holding a
//! pre-release suffix (`alpha beta pre rc`) is older; otherwise the side whose token comes *earlier*
//! in the grammar is newer. Hence `1.0_rc1` < `1.0` < `1.0-r1` < `1.0~abc` < `1.0_p1` < `1.0a` <
//! `1.0.1`.
//!
//! apk-tools 2.x differed on the rarely seen corners: it let a letter be followed by digits
//! (`1.2a3`), had no `~hash`, and ordered `.0`-prefixed numbers by their count of leading zeros.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use super::VersionError;

/// Suffix ranks, as apk-tools numbers them; below `NONE` are pre-releases.
const SUFFIXES: [(&str, u8); 9] =
    [("alpha", 1), ("beta", 2), ("pre", 3), ("rc", 4), ("cvs", 6), ("svn", 7), ("git", 8), ("hg", 9), ("p", 10)];
const SUFFIX_NONE: u8 = 5;

/// One token. The variant order is apk-tools' token order, which decides mixed-kind comparisons.
#[derive(Debug, Clone)]
enum Token {
    Initial(String),
    Digit(String),
    Letter(u8),
    Suffix(u8),
    SuffixNumber(String),
    Hash(String),
    Revision(String),
    /// Where apk-tools' tokenizer gives up (`1.8.1p1`: a digit after a letter; `10.0.11-0`: `-`
    /// without `r`). apk still compares up to there, and this token sorts below every other and
    /// below the end; two versions invalid at the same point, with the same tokens before, are equal.
    Invalid,
}

impl Token {
    fn kind(&self) -> u8 {
        match self {
            Token::Initial(_) => 0,
            Token::Digit(_) => 1,
            Token::Letter(_) => 2,
            Token::Suffix(_) => 3,
            Token::SuffixNumber(_) => 4,
            Token::Hash(_) => 5,
            Token::Revision(_) => 6,
            Token::Invalid => INVALID,
        }
    }

    fn is_pre_release(&self) -> bool {
        matches!(self, Token::Suffix(rank) if *rank < SUFFIX_NONE)
    }
}

const END: u8 = 7;
const INVALID: u8 = 8;

/// A parsed apk version. Equality follows the ordering (`01.2` == `1.2`, `1_rc01` == `1_rc1`).
#[derive(Debug, Clone)]
pub struct Version {
    text: String,
    tokens: Vec<Token>,
}

impl Version {
    /// Whether apk-tools calls the version valid (`apk_version_validate`): every token allowed.
    pub fn is_valid(&self) -> bool {
        !matches!(self.tokens.last(), Some(Token::Invalid))
    }
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let tokens = tokenize(s.as_bytes()).map_err(|reason| VersionError::new(s, reason))?;
        Ok(Version { text: s.to_string(), tokens })
    }
}

/// The length of the run at the start of `rest` whose bytes satisfy `pred`.
fn run(rest: &[u8], pred: impl Fn(&u8) -> bool) -> usize {
    rest.iter().take_while(|b| pred(b)).count()
}

fn digits(rest: &[u8]) -> Result<(String, usize), &'static str> {
    let n = run(rest, u8::is_ascii_digit);
    if n == 0 {
        return Err("expected digits");
    }
    Ok((String::from_utf8_lossy(&rest[..n]).into_owned(), n))
}

/// apk-tools' `token_first`/`token_next`: each token must be allowed after the previous one;
/// the first one that is not ends the list as [`Token::Invalid`].
fn tokenize(s: &[u8]) -> Result<Vec<Token>, &'static str> {
    let (first, mut i) = digits(s).map_err(|_| "version must start with a digit")?;
    let mut tokens = vec![Token::Initial(first)];
    while i < s.len() {
        let kind = tokens.last().map_or(0, Token::kind);
        let Ok((token, next)) = next_token(s, i, kind) else {
            tokens.push(Token::Invalid);
            break;
        };
        tokens.push(token);
        i = next;
    }
    Ok(tokens)
}

/// The token at `s[at..]` after one of kind `kind`, and where the next one starts.
fn next_token(s: &[u8], at: usize, kind: u8) -> Result<(Token, usize), &'static str> {
    let rest = &s[at..];
    Ok(match rest[0] {
        c @ b'a'..=b'z' if kind <= 1 => (Token::Letter(c), at + 1),
        b'.' if kind <= 1 => {
            let (n, len) = digits(&rest[1..])?;
            (Token::Digit(n), at + 1 + len)
        }
        b'0'..=b'9' if kind == 3 => {
            let (n, len) = digits(rest)?;
            (Token::SuffixNumber(n), at + len)
        }
        b'_' if kind <= 4 => {
            let len = run(&rest[1..], u8::is_ascii_lowercase);
            let name = &rest[1..1 + len];
            let rank = SUFFIXES.iter().find(|(n, _)| n.as_bytes() == name).ok_or("unknown suffix")?.1;
            (Token::Suffix(rank), at + 1 + len)
        }
        b'~' if kind < 5 => {
            let len = run(&rest[1..], u8::is_ascii_hexdigit);
            if len == 0 {
                return Err("`~` must be followed by a hex hash");
            }
            (Token::Hash(String::from_utf8_lossy(&rest[1..1 + len]).into_owned()), at + 1 + len)
        }
        b'-' if kind < 6 && rest.get(1) == Some(&b'r') => {
            let (n, len) = digits(&rest[2..])?;
            (Token::Revision(n), at + 2 + len)
        }
        _ => return Err("invalid character or token order"),
    })
}

/// Numbers of any length, leading zeros ignored.
fn cmp_number(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// apk-tools' `token_cmp`, for two tokens of the same kind.
fn cmp_token(a: &Token, b: &Token) -> Ordering {
    match (a, b) {
        (Token::Digit(x), Token::Digit(y)) if x.starts_with('0') || y.starts_with('0') => x.cmp(y),
        (Token::Initial(x), Token::Initial(y))
        | (Token::Digit(x), Token::Digit(y))
        | (Token::SuffixNumber(x), Token::SuffixNumber(y))
        | (Token::Revision(x), Token::Revision(y)) => cmp_number(x, y),
        (Token::Letter(x), Token::Letter(y)) | (Token::Suffix(x), Token::Suffix(y)) => x.cmp(y),
        (Token::Hash(x), Token::Hash(y)) => x.cmp(y),
        _ => a.kind().cmp(&b.kind()),
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let mut k = 0;
        loop {
            let (a, b) = (self.tokens.get(k), other.tokens.get(k));
            let kind_a = a.map_or(END, Token::kind);
            let kind_b = b.map_or(END, Token::kind);
            match (a, b) {
                (None, None) => return Ordering::Equal,
                (Some(x), Some(y)) if kind_a == kind_b => match cmp_token(x, y) {
                    Ordering::Equal => k += 1,
                    unequal => return unequal,
                },
                _ if a.is_some_and(Token::is_pre_release) => return Ordering::Less,
                _ if b.is_some_and(Token::is_pre_release) => return Ordering::Greater,
                // The token that comes earlier in the grammar makes the newer version.
                _ => return kind_b.cmp(&kind_a),
            }
        }
    }
}

eq_and_partial_ord_from_ord!(Version);

impl fmt::Display for Version {
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
        assert!(testing::check_native_vectors::<Version>("alpine", &[]) > 600);
    }

    #[test]
    fn suffixes_letters_hashes_and_revisions() {
        testing::assert_increasing::<Version>(&[
            "1.0_alpha",
            "1.0_alpha1",
            "1.0_alpha2",
            "1.0_alpha2_p1",
            "1.0_beta",
            "1.0_pre",
            "1.0_pre20060124",
            "1.0_rc",
            "1.0_rc1",
            "1.0",
            "1.0-r1",
            "1.0-r2",
            "1.0-r10",
            "1.0~0abc",
            "1.0~abc",
            "1.0~abc-r1",
            "1.0_cvs",
            "1.0_svn",
            "1.0_git",
            "1.0_git20240101",
            "1.0_hg",
            "1.0_p",
            "1.0_p1",
            "1.0_p1-r1",
            "1.0_p2",
            "1.0a",
            "1.0a-r1",
            "1.0b",
            "1.0.0",
            "1.0.1",
        ]);
        // A pre-release suffix is older than whatever the other side holds.
        testing::assert_increasing::<Version>(&["0.1.0_alpha_pre2", "0.1.0_alpha", "0.1.0_alpha2", "0.1.0"]);
        testing::assert_increasing::<Version>(&["1.3_alpha", "1.3_alpha2", "1.3_alpha8", "1.3"]);
        testing::assert_increasing::<Version>(&["1.0_rc1_alpha", "1.0_rc1"]);
    }

    #[test]
    fn numbers() {
        testing::assert_increasing::<Version>(&[
            "0.9", "0.9.1", "0.10", "1", "1.0", "1.0.1", "1.1", "1.2", "1.9", "1.10", "2", "10",
        ]);
        // Later components with a leading zero compare as strings.
        testing::assert_increasing::<Version>(&[
            "1.0", "1.00", "1.000", "1.001", "1.009", "1.01", "1.010", "1.09", "1.1", "1.2", "1.10",
        ]);
        testing::assert_increasing::<Version>(&["1.02", "1.03-r1", "1.12.12-r2", "2.8.0.6-r1"]);
        testing::assert_increasing::<Version>(&["1.2.07.8", "1.2.12.04", "1.2.12.05", "1.3.3"]);
        testing::assert_increasing::<Version>(&["02.08.01b", "2.10.1"]);
        testing::assert_increasing::<Version>(&[
            "99999999999999999999",
            "100000000000000000000",
            "100000000000000000000.1",
        ]);
        testing::assert_increasing::<Version>(&["1.0_rc99999999999999999999", "1.0_rc100000000000000000000", "1.0"]);
        testing::assert_increasing::<Version>(&["1.0.0_pre20191002222144-r0", "1.0.0_pre20210530193627-r0"]);
    }

    #[test]
    fn reference_data_chain() {
        // A walk through apk-tools' test/version.data (valid rows only), re-sorted.
        testing::assert_increasing::<Version>(&[
            "0.0.16",
            "0.1_pre20060810",
            "0.1_pre20060817",
            "0.2.0-r1",
            "0.7-r1",
            "0.7.0",
            "0.8_beta1",
            "0.8_beta2",
            "0.8_beta4",
            "0.9.12",
            "0.9.13",
            "0.10.0",
            "0.10.0-r1",
            "0.10.1_rc1",
            "0.12",
            "0.12.3",
            "0.13_beta1",
            "0.13_beta5",
            "0.15.1b",
            "0.15.1b-r2",
            "0.59s-r11",
            "0.20070118",
            "0.20070207_rc1",
            "1.0",
            "1.0.4-r3",
            "1.0.4-r4",
            "1.06-r6",
            "1.1_alpha1",
            "1.1",
            "1.2",
            "1.2.1",
            "2.0.0_rc3-r1",
            "2.3.0b-r1",
            "2.3.0b-r4",
            "2.5.1-r8",
            "2.5.1a-r1",
            "2.12r-r4",
            "3.1_p16",
            "3.1_p17",
            "3.9_pre20060124",
            "4.2.52_p2-r1",
            "4.2.52_p4-r2",
            "4.5_p1",
            "4.5_p1-r1",
            "006",
            "6b-r7",
            "013",
            "014-r1",
            "021109-r3",
            "20050718-r1",
            "20050718-r2",
            "20060512",
        ]);
    }

    #[test]
    fn real_secdb_versions() {
        testing::assert_increasing::<Version>(&[
            "3.0.8-r0",
            "3.0.8-r1",
            "3.0.9-r0",
            "3.0.10-r0",
            "3.1.0_alpha1-r0",
            "3.1.0-r0",
        ]);
        testing::assert_increasing::<Version>(&["1.36.1-r2", "1.36.1-r5", "1.36.1-r15", "1.37.0-r0"]);
        testing::assert_increasing::<Version>(&["2.4.51_p20220212-r0", "2.4.51_p20220212-r1", "2.4.52-r0"]);
        testing::assert_increasing::<Version>(&["9.0.0_rc1-r0", "9.0.0-r0", "9.0.0_p1-r0", "9.0.0a-r0", "9.0.1-r0"]);
    }

    #[test]
    fn equalities() {
        testing::assert_equal::<Version>("1.2", "01.2");
        testing::assert_equal::<Version>("007", "7");
        testing::assert_equal::<Version>("1.0_rc01", "1.0_rc1");
        testing::assert_equal::<Version>("1.0-r01", "1.0-r1");
        testing::assert_equal::<Version>("1.0_p001", "1.0_p1");
        testing::assert_equal::<Version>("1.2.3-r0", "1.2.3-r0");
        assert_ne!(v("1.0"), v("1.00"));
        assert_ne!(v("1.0"), v("1.0-r0"));
        assert_ne!(v("1.0_p"), v("1.0_p0"));
    }

    #[test]
    fn parse_errors() {
        testing::assert_rejected::<Version>(&["", "a", "v1.0", ".1", "...", " 1.0", "１.0"]);
    }

    /// What `apk_version_validate` refuses but `apk version -t` still orders.
    #[test]
    fn invalid_tails() {
        for text in [
            "1.",
            "1..2",
            "1.a",
            "1a1",
            "1.2a3",
            "1ab",
            "1.0A",
            "1.0_foo",
            "1.0_",
            "1.0_RC1",
            "1.0_rc1.2",
            "1.0_p1a",
            "1.0-",
            "1.0-1",
            "1.0-r",
            "1.0-ra",
            "1.0-r1-r2",
            "1.0-r1_p1",
            "1.0-r1~abc",
            "1.0~",
            "1.0~xyz",
            "1.0~abc_p1",
            "1.0~abc.1",
            "1.0~abc~def",
            "1.0 ",
            "1.0\n",
            "1.0é",
            "1.0_α",
            "23_foo",
            "1.0bc",
            "1.9.5p2-r0",
            "10.0.11-0",
            "4.8.0.-r1",
            "2021-03-27-r5",
        ] {
            assert!(!v(text).is_valid(), "{text:?} should be invalid");
        }
        assert!(v("1.0~ABC").is_valid() && v("1.0_p1-r2").is_valid());
        testing::assert_increasing::<Version>(&["1.8.1", "1.8.1p1", "1.8.1p", "1.8.2"]);
        testing::assert_increasing::<Version>(&["10.0.11-0", "10.0.11", "10.0.11-r0", "10.0.12"]);
        testing::assert_increasing::<Version>(&["4.8.0.-r1", "4.8.0", "4.8.0-r1"]);
        testing::assert_equal::<Version>("1.8.1p1", "1.8.1p2");
        testing::assert_equal::<Version>("2021-03-27-r5", "2021-01-01");
        // A pre-release suffix on the other side is older still: apk checks for one first.
        testing::assert_increasing::<Version>(&["1.0_rc1", "1.0-1", "1.0"]);
    }

    #[test]
    fn display_is_the_input() {
        for s in ["1.0", "01.2_rc1~ab-r3", "1.0_alpha_p2"] {
            assert_eq!(v(s).to_string(), s);
        }
    }

    fn version_string() -> impl Strategy<Value = String> {
        prop_oneof![
            // A small alphabet so that equal and near-equal versions occur often.
            "0?[01](\\.0?[01]){0,2}a?(_(rc|p)0?[01]?){0,2}(~[0a]{1,2})?(-r0?[01])?",
            "[0-9]{1,3}(\\.[0-9]{1,3}){0,3}[a-z]?(_(alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]{0,3}){0,2}(~[0-9a-f]{1,4})?(-r[0-9]{1,2})?",
        ]
    }

    testing::order_properties!(Version, version_string());

    proptest! {
        #[test]
        fn never_panics_on_version_like_input(s in "[0-9a-r._~ -]{0,12}") {
            testing::check_no_panic::<Version>(&s);
        }

        #[test]
        fn reflexive_and_roundtrip(s in version_string()) {
            testing::check_round_trip::<Version>(&s)?;
        }
    }
}
