//! PEP 440 (PyPI), as implemented by `packaging.version.Version`.
//!
//! Grammar (case-insensitive, surrounding whitespace trimmed, optional leading `v`):
//! `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`, with the normalisations of PEP 440
//! "Normalization": `alpha`→`a`, `beta`→`b`, `c`/`pre`/`preview`→`rc`, `rev`/`r`→`post`; each
//! of pre, post and dev may be preceded and followed by one of `-`, `_`, `.`; a missing number is
//! `0` (`1.0a` is `1.0a0`); `1.0-1` is the implicit post-release `1.0.post1`. A local version is
//! `[a-z0-9]+` segments separated by `-`, `_` or `.`. Anything else (`1.0-foo-bar`) is an error.
//!
//! Ordering (PEP 440 "Summary of permitted suffixes and relative ordering"): epoch, then the release
//! segment padded with zeros (`1.0` == `1.0.0`), then `.devN` < `aN` < `bN` < `rcN` < release <
//! `.postN`, where a dev release of a pre or post release sorts just before it (`1.0a1.dev1` <
//! `1.0a1`, `1.0.post1.dev1` < `1.0.post1`) and a bare `1.0.dev1` before every pre-release of
//! `1.0`. A local version sorts after the same public version; local segments compare numerically
//! when both are numbers, lexically (lowercased) when both are not, and a number beats a string.
//! All numbers compare at any size.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use super::semver::Num;
use super::VersionError;

mod legacy;
use legacy::Legacy;

/// The pre-release kinds, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum PreKind {
    A,
    B,
    Rc,
}

impl PreKind {
    fn as_str(self) -> &'static str {
        match self {
            PreKind::A => "a",
            PreKind::B => "b",
            PreKind::Rc => "rc",
        }
    }
}

/// One local version segment; variant order makes strings sort before numbers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Local {
    Alpha(String),
    Numeric(Num),
}

/// A version that follows PEP 440. `Eq` is `cmp == Equal` (`1.0` == `1.0.0`).
#[derive(Debug, Clone)]
struct Standard {
    epoch: Num,
    release: Vec<Num>,
    pre: Option<(PreKind, Num)>,
    post: Option<Num>,
    dev: Option<Num>,
    local: Vec<Local>,
}

const PRE_LABELS: [(&str, PreKind); 8] = [
    ("alpha", PreKind::A),
    ("a", PreKind::A),
    ("beta", PreKind::B),
    ("b", PreKind::B),
    ("preview", PreKind::Rc),
    ("pre", PreKind::Rc),
    ("c", PreKind::Rc),
    ("rc", PreKind::Rc),
];
const POST_LABELS: [(&str, ()); 3] = [("post", ()), ("rev", ()), ("r", ())];
const DEV_LABELS: [(&str, ()); 1] = [("dev", ())];

fn is_sep(b: u8) -> bool {
    matches!(b, b'-' | b'_' | b'.')
}

/// A cursor over the lowercased input.
struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    fn rest(&self) -> &str {
        &self.s[self.pos..]
    }

    fn eat(&mut self, c: u8) -> bool {
        let hit = self.rest().as_bytes().first() == Some(&c);
        self.pos += usize::from(hit);
        hit
    }

    fn digits(&mut self) -> Option<Num> {
        let len = self.rest().bytes().take_while(u8::is_ascii_digit).count();
        let num = Num::parse(&self.rest()[..len])?;
        self.pos += len;
        Some(num)
    }

    /// `[-_.]? label [-_.]? digits?`, trying labels in order (as the reference regex does);
    /// consumes nothing when no label matches.
    fn labelled<T: Copy>(&mut self, labels: &[(&str, T)]) -> Option<(T, Num)> {
        let rest = self.rest();
        let skip = usize::from(rest.bytes().next().is_some_and(is_sep));
        let (label, value) = labels.iter().find(|(label, _)| rest[skip..].starts_with(label))?;
        self.pos += skip + label.len();
        if self.rest().bytes().next().is_some_and(is_sep) {
            self.pos += 1;
        }
        Some((*value, self.digits().unwrap_or_else(Num::zero)))
    }
}

impl Standard {
    fn parse(input: &str) -> Result<Standard, VersionError> {
        let err = |reason: &str| VersionError::new(input, reason);
        // Python's `\s` (what the reference regex trims) also covers the separators U+001C..U+001F.
        let lower =
            input.trim_matches(|c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)).to_ascii_lowercase();
        let mut c = Cursor { s: &lower, pos: 0 };
        c.eat(b'v');

        let mut epoch = Num::zero();
        let start = c.pos;
        if let Some(n) = c.digits() {
            if c.eat(b'!') {
                epoch = n;
            } else {
                c.pos = start;
            }
        }

        let mut release = vec![c.digits().ok_or_else(|| err("release segment must start with a number"))?];
        while c.rest().starts_with('.') && c.rest().as_bytes().get(1).is_some_and(u8::is_ascii_digit) {
            c.pos += 1;
            release.extend(c.digits());
        }

        let pre = c.labelled(&PRE_LABELS);
        let implicit_post = if c.rest().starts_with('-') && c.rest().as_bytes().get(1).is_some_and(u8::is_ascii_digit) {
            c.pos += 1;
            c.digits()
        } else {
            None
        };
        let post = implicit_post.or_else(|| c.labelled(&POST_LABELS).map(|(_, n)| n));
        let dev = c.labelled(&DEV_LABELS).map(|(_, n)| n);

        let mut local = Vec::new();
        if c.eat(b'+') {
            for segment in c.rest().split(['-', '_', '.']) {
                if segment.is_empty() || !segment.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(err("local version segments must be non-empty [a-z0-9]+"));
                }
                local.push(Num::parse(segment).map_or_else(|| Local::Alpha(segment.to_string()), Local::Numeric));
            }
            c.pos = c.s.len();
        }

        if !c.rest().is_empty() {
            return Err(err("unexpected text after the version"));
        }
        Ok(Standard { epoch, release, pre, post, dev, local })
    }
}

/// Where the pre-release slot sorts: a bare `.devN` before every pre-release, none after them all.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum PreKey<'a> {
    DevOnly,
    Pre(&'a (PreKind, Num)),
    None,
}

impl Standard {
    fn pre_key(&self) -> PreKey<'_> {
        match (&self.pre, &self.post, &self.dev) {
            (Some(pre), _, _) => PreKey::Pre(pre),
            (None, None, Some(_)) => PreKey::DevOnly,
            (None, _, _) => PreKey::None,
        }
    }

    /// Release segments compared as if padded with zeros.
    fn cmp_release(&self, other: &Self) -> Ordering {
        let zero = Num::zero();
        let len = self.release.len().max(other.release.len());
        (0..len)
            .map(|i| self.release.get(i).unwrap_or(&zero).cmp(other.release.get(i).unwrap_or(&zero)))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

impl Ord for Standard {
    fn cmp(&self, other: &Self) -> Ordering {
        // `None < Some` suits post (no post sorts first) and local (public sorts first); dev is the
        // other way round: no dev sorts last.
        let dev_key = |v: &Standard| (v.dev.is_none(), v.dev.clone());
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| self.cmp_release(other))
            .then_with(|| self.pre_key().cmp(&other.pre_key()))
            .then_with(|| self.post.cmp(&other.post))
            .then_with(|| dev_key(self).cmp(&dev_key(other)))
            .then_with(|| self.local.cmp(&other.local))
    }
}

eq_and_partial_ord_from_ord!(Standard);

impl fmt::Display for Standard {
    /// The PEP 440 normalised form, e.g. `1!2.0rc1.post2.dev3+ubuntu.1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.epoch.is_zero() {
            write!(f, "{}!", self.epoch)?;
        }
        let release: Vec<String> = self.release.iter().map(Num::to_string).collect();
        f.write_str(&release.join("."))?;
        if let Some((kind, n)) = &self.pre {
            write!(f, "{}{n}", kind.as_str())?;
        }
        if let Some(n) = &self.post {
            write!(f, ".post{n}")?;
        }
        if let Some(n) = &self.dev {
            write!(f, ".dev{n}")?;
        }
        for (i, segment) in self.local.iter().enumerate() {
            f.write_str(if i == 0 { "+" } else { "." })?;
            match segment {
                Local::Alpha(s) => f.write_str(s)?,
                Local::Numeric(n) => write!(f, "{n}")?,
            }
        }
        Ok(())
    }
}

/// A PyPI version: PEP 440 where the text follows it, else a legacy version (see [`legacy`]),
/// which sorts before every PEP 440 one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    form: Form,
}

/// Variant order puts every legacy version first, as pip's `LegacyVersion` has epoch -1.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Form {
    Legacy(Legacy),
    Standard(Standard),
}

impl Version {
    /// Whether the version follows PEP 440 (`false` for legacy versions such as `0.4m1`).
    pub fn is_pep440(&self) -> bool {
        matches!(self.form, Form::Standard(_))
    }
}

impl FromStr for Version {
    type Err = VersionError;

    /// Only an empty (or all-whitespace) string is refused: pip would call it a legacy version,
    /// but no release is named that and accepting it would hide a lockfile's missing version.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        if input.trim().is_empty() {
            return Err(VersionError::new(input, "empty version"));
        }
        let form = match Standard::parse(input) {
            Ok(standard) => Form::Standard(standard),
            Err(_) => Form::Legacy(Legacy::new(input)),
        };
        Ok(Version { form })
    }
}

impl fmt::Display for Version {
    /// PEP 440's normalised form, or a legacy version's text as given.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.form {
            Form::Standard(standard) => standard.fmt(f),
            Form::Legacy(legacy) => f.write_str(legacy.text()),
        }
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
    fn increasing_sequence() {
        testing::assert_increasing::<Version>(&[
            "0.1",
            "1.0.dev0",
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0b2-346",
            "1.0c1.dev456",
            "1.0c1",
            "1.0rc2",
            "1.0c3",
            "1.0",
            "1.0+local",
            "1.0.post0.dev0",
            "1.0.post0",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.0.1",
            "1.1.dev1",
            "1.2",
            "1.2+123abc",
            "1.2+123abc456",
            "1.2+abc",
            "1.2+abc123",
            "1.2+abc123def",
            "1.2+1",
            "1.2+1.abc",
            "1.2+1.0",
            "1.2+1234.abc",
            "1.2+123456",
            "1.2.r32+123456",
            "1.2.rev33+123456",
            "1.10",
            "18446744073709551616.0",
            "1!0.1",
            "1!1.0.dev456",
            "1!1.0a1",
            "1!1.0",
            "1!1.0.post456",
            "2!0.0.dev0",
            "99999999999999999999!0",
        ]);
    }

    #[test]
    fn equalities_and_normalisation() {
        let equal = [
            ("1.0", "1.0.0"),
            ("1", "1.0.0.0.0"),
            ("1.0", "v1.0"),
            ("1.0", "V1.0"),
            ("1.0", "  1.0\t\n"),
            ("1.0", "\u{a0}\x1c1.0\u{3000}"),
            ("1.0", "0!1.0"),
            ("1.0", "01.00"),
            ("1.0a1", "1.0alpha1"),
            ("1.0a1", "1.0-alpha-1"),
            ("1.0a1", "1.0.ALPHA.1"),
            ("1.0a1", "1.0_a_1"),
            ("1.0a0", "1.0a"),
            ("1.0b2", "1.0beta2"),
            ("1.0rc1", "1.0c1"),
            ("1.0rc1", "1.0pre1"),
            ("1.0rc1", "1.0preview1"),
            ("1.0rc1", "1.0-RC-1"),
            ("1.0.post1", "1.0-1"),
            ("1.0.post1", "1.0post1"),
            ("1.0.post1", "1.0-post-1"),
            ("1.0.post1", "1.0.rev1"),
            ("1.0.post1", "1.0r1"),
            ("1.0.post0", "1.0.post"),
            ("1.0.post0", "1.0-r"),
            ("1.0.dev0", "1.0.dev"),
            ("1.0.dev1", "1.0-dev1"),
            ("1.0.dev1", "1.0dev1"),
            ("1.0a1.dev1", "1.0a1dev1"),
            ("1.0a1", "1.0a-1"),
            ("1.0+ubuntu.1", "1.0+ubuntu-1"),
            ("1.0+ubuntu.1", "1.0+UBUNTU_1"),
            ("1.0+ubuntu.1", "1.0.0+ubuntu.01"),
            ("1.0a0.post1", "1.0a.-1"),
        ];
        testing::assert_equal_pairs::<Version>(&equal);
    }

    #[test]
    fn display_is_normalised() {
        for (input, normal) in [
            ("1.0", "1.0"),
            ("v1.0.0", "1.0.0"),
            ("0!1.0", "1.0"),
            ("1!01.002", "1!1.2"),
            ("1.0-ALPHA_1", "1.0a1"),
            ("1.0c", "1.0rc0"),
            ("1.0-1", "1.0.post1"),
            ("1.0.rev2-dev3", "1.0.post2.dev3"),
            ("1.0+Ubuntu-1_A", "1.0+ubuntu.1.a"),
        ] {
            assert_eq!(v(input).to_string(), normal, "{input}");
        }
    }

    #[test]
    fn only_empty_is_rejected() {
        testing::assert_rejected::<Version>(&["", " ", "\t\n"]);
    }

    /// Text PEP 440 refuses is a legacy version (as pip's `packaging` 21.3 parses it), never an error.
    #[test]
    fn non_pep440_is_legacy() {
        for text in [
            "v",
            "...",
            "1..2",
            "1.",
            ".1",
            "1.0-foo-bar",
            "french toast",
            "1.0+",
            "1.0+a+",
            "1.0++",
            "1.0+_foobar",
            "1.0+foo&asd",
            "1.0+1+1",
            "1.0+a..b",
            "1.0+ü",
            "1!",
            "!1.0",
            "1!!1.0",
            "1.0a1a1",
            "1.0dev1.post1",
            "1.0.post1.post2",
            "1.0.dev1.dev2",
            "1.0-",
            "1.0--1",
            "1.0_1",
            "1.0ab",
            "1.0prev",
            "1.0rc1rc2",
            "1.0 1",
            "vv1.0",
            "1.0.x",
            "1.*",
            "１.0",
            "1.0ǀ",
        ] {
            assert!(!v(text).is_pep440(), "{text:?} should be a legacy version");
        }
        assert!(v("1.0.post1").is_pep440());
    }

    /// Legacy versions sort before every PEP 440 one, and among themselves by their key.
    #[test]
    fn legacy_order() {
        testing::assert_increasing_pairwise::<Version>(&[
            "trunk",
            "0.1-bulbasaur",
            "0.4m1",
            "0.9-eevee",
            "2013-01-21T20:33:09+0100",
            "0",
            "0.1",
        ]);
        testing::assert_equal::<Version>("1.0-Final", "1.0-final");
    }

    #[test]
    fn native_vectors() {
        assert!(testing::check_native_vectors::<Version>("pypi", &[]) > 3000);
    }

    fn version_string() -> impl Strategy<Value = String> {
        let release = "[vV]?([1-2]!)?[0-2](\\.0?[0-2]){0,2}";
        let pre = "([-_.]?(a|alpha|b|BETA|rc|c|pre)[-_.]?[0-2]?)?";
        let post = "(-[1-2]|[-_.]?(post|rev|r)[-_.]?[0-2]?)?";
        let dev = "([-_.]?dev[-_.]?[0-2]?)?";
        let local = "(\\+([0-2]|0[12]|[ab]{1,2})([-_.]([0-2]|[ab]{1,2})){0,2})?";
        proptest::string::string_regex(&format!("{release}{pre}{post}{dev}{local}")).expect("valid regex")
    }

    testing::order_properties!(Version, version_string());

    proptest! {
        #[test]
        fn reflexive_and_roundtrip(s in version_string()) {
            testing::check_round_trip::<Version>(&s)?;
            let normal = v(&s).to_string();
            prop_assert_eq!(v(&normal).to_string(), normal);
        }
    }
}
