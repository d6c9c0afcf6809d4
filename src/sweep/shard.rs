//! Static shards of a sweep (`registry scan --shard I/N`): N processes, each sweeping
//! the repositories whose name hashes to its index, together cover the registry once.
//!
//! The hash is fixed, not Rust's randomised one: the first 8 bytes of SHA-256 of the
//! repository name, read big-endian, modulo N. A repository therefore lands in the same
//! shard on every machine, in every customs version and every night, so each shard's
//! store keeps its own history (new, fixed) for the same repositories, and a merge of
//! all N shards ([`super::merge`]) is the whole sweep.

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The environment variable Kubernetes Indexed Jobs set to each pod's index; read with
/// `--shard-count N` when `--shard` is not given.
pub const INDEX_VARIABLE: &str = "JOB_COMPLETION_INDEX";

/// One share of a sweep: shard `index` of `count` (0 <= index < count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Shard {
    /// I: which share, counted from 0.
    pub index: u32,
    /// N: how many shares the sweep is split into.
    pub count: u32,
}

/// Why a shard specification is refused; says what a valid one looks like.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    /// Not `I/N` with whole numbers.
    #[error("--shard {0:?}: give INDEX/COUNT with whole numbers, such as 0/4 (the first of four shards)")]
    Syntax(String),
    #[error("--shard {index}/{count}: the index counts from 0 and must be below the count (0/{count} to {last}/{count})", last = count.saturating_sub(1))]
    /// I >= N.
    IndexOutOfRange {
        /// I.
        index: u32,
        /// N.
        count: u32,
    },
    #[error("--shard {index}/0: the shard count must be at least 1")]
    /// `I/0`.
    ZeroCount {
        /// I.
        index: u32,
    },
    #[error("--shard-count 0: the shard count must be at least 1")]
    /// `--shard-count 0`.
    ZeroShardCount,
    #[error("--shard-count {count} needs the shard's index: set {INDEX_VARIABLE} (as Kubernetes Indexed Jobs do) or give --shard INDEX/{count}")]
    /// `--shard-count N` with no index in the environment.
    NoIndex {
        /// N.
        count: u32,
    },
    #[error("{INDEX_VARIABLE}={value:?} with --shard-count {count}: the index must be a whole number from 0 to {last}", last = count.saturating_sub(1))]
    /// The environment's index is no whole number below N.
    BadVariable {
        /// The variable's value.
        value: String,
        /// N.
        count: u32,
    },
}

impl Shard {
    /// Shard `index` of `count`, checked.
    pub fn new(index: u32, count: u32) -> Result<Shard, ShardError> {
        if count == 0 {
            return Err(ShardError::ZeroCount { index });
        }
        if index >= count {
            return Err(ShardError::IndexOutOfRange { index, count });
        }
        Ok(Shard { index, count })
    }

    /// `I/N`, as `--shard` takes it.
    pub fn parse(text: &str) -> Result<Shard, ShardError> {
        let syntax = || ShardError::Syntax(text.to_string());
        let (index, count) = text.trim().split_once('/').ok_or_else(syntax)?;
        let number = |s: &str| -> Result<u32, ShardError> {
            let s = s.trim();
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(syntax());
            }
            s.parse().map_err(|_| syntax())
        };
        Shard::new(number(index)?, number(count)?)
    }

    /// The shard a run sweeps: `--shard I/N` when given, else `--shard-count N` with the
    /// index from [`INDEX_VARIABLE`] (`variable`); `None` when neither asks for shards.
    /// `--shard` wins over the variable: a job that names its shard means it.
    pub fn choose(
        shard: Option<&str>,
        count: Option<u32>,
        variable: Option<&str>,
    ) -> Result<Option<Shard>, ShardError> {
        if let Some(text) = shard {
            return Shard::parse(text).map(Some);
        }
        let Some(count) = count else { return Ok(None) };
        if count == 0 {
            return Err(ShardError::ZeroShardCount);
        }
        let value = variable.map(str::trim).filter(|v| !v.is_empty()).ok_or(ShardError::NoIndex { count })?;
        let bad = || ShardError::BadVariable { value: value.to_string(), count };
        if !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let index: u32 = value.parse().map_err(|_| bad())?;
        Shard::new(index, count).map(Some).map_err(|_| bad())
    }

    /// Whether this shard sweeps `repository`.
    pub fn selects(&self, repository: &str) -> bool {
        shard_of(repository, self.count) == self.index
    }
}

impl std::fmt::Display for Shard {
    /// `1/4`, as `--shard` takes it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The stable hash of a repository name: the first 8 bytes of its SHA-256, big-endian.
pub fn name_hash(repository: &str) -> u64 {
    let digest = Sha256::digest(repository.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// The shard of `count` that sweeps `repository`; 0 when `count` is 0 or 1.
pub fn shard_of(repository: &str, count: u32) -> u32 {
    if count <= 1 {
        return 0;
    }
    (name_hash(repository) % u64::from(count)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_sha256s_first_eight_bytes_and_never_changes() {
        // SHA-256("") = e3b0c44298fc1c14…, SHA-256("abc") = ba7816bf8f01cfea…
        assert_eq!(name_hash(""), 0xe3b0_c442_98fc_1c14);
        assert_eq!(name_hash("abc"), 0xba78_16bf_8f01_cfea);
        // Pinned (computed independently): a change of hash moves repositories between
        // shards, and with them their history.
        let pinned: Vec<(&str, u64, u32)> = ["team-a/api", "library/base-debian", "multi/app"]
            .into_iter()
            .map(|name| (name, name_hash(name), shard_of(name, 4)))
            .collect();
        assert_eq!(
            pinned,
            [
                ("team-a/api", 0xb734_8462_adf7_9089, 1),
                ("library/base-debian", 0x0426_ee06_bbdc_812f, 3),
                ("multi/app", 0xed38_c0ed_5cdd_ab38, 0),
            ]
        );
        assert_eq!(shard_of("team-a/api", 1), 0);
    }

    #[test]
    fn every_repository_is_in_exactly_one_shard() {
        let names: Vec<String> = (0..500).map(|i| format!("team-{}/svc-{i}", i % 7)).collect();
        for count in [1, 2, 3, 7] {
            let shards: Vec<Shard> = (0..count).map(|i| Shard::new(i, count).unwrap()).collect();
            for name in &names {
                let owners: Vec<u32> = shards.iter().filter(|s| s.selects(name)).map(|s| s.index).collect();
                assert_eq!(owners, [shard_of(name, count)], "{name} of {count}");
            }
            // Every shard gets a fair share of 500 names (none empty, none double).
            if count > 1 {
                for shard in &shards {
                    let share = names.iter().filter(|n| shard.selects(n)).count();
                    assert!(share * count as usize > 500 / 2 && share * (count as usize) < 500 * 2, "{shard}: {share}");
                }
            }
        }
    }

    #[test]
    fn shard_specifications_are_validated_with_messages_that_say_what_to_give() {
        assert_eq!(Shard::parse("1/4"), Ok(Shard { index: 1, count: 4 }));
        assert_eq!(Shard::parse(" 0/1 "), Ok(Shard { index: 0, count: 1 }));
        assert_eq!(Shard::parse("1/4").unwrap().to_string(), "1/4");
        assert_eq!(Shard::parse("4/4"), Err(ShardError::IndexOutOfRange { index: 4, count: 4 }));
        assert_eq!(
            Shard::parse("4/4").unwrap_err().to_string(),
            "--shard 4/4: the index counts from 0 and must be below the count (0/4 to 3/4)"
        );
        assert_eq!(Shard::parse("0/0"), Err(ShardError::ZeroCount { index: 0 }));
        for bad in ["", "1", "1/", "/4", "-1/4", "+1/4", "a/4", "1/4/2", "1.0/4", "99999999999/4"] {
            assert_eq!(Shard::parse(bad), Err(ShardError::Syntax(bad.to_string())), "{bad:?}");
        }
        assert_eq!(
            Shard::parse("x").unwrap_err().to_string(),
            "--shard \"x\": give INDEX/COUNT with whole numbers, such as 0/4 (the first of four shards)"
        );
    }

    #[test]
    fn the_flag_wins_over_the_indexed_job_variable() {
        let shard = |index, count| Some(Shard { index, count });
        assert_eq!(Shard::choose(None, None, Some("2")), Ok(None));
        assert_eq!(Shard::choose(Some("1/3"), Some(5), Some("4")), Ok(shard(1, 3)));
        assert_eq!(Shard::choose(None, Some(5), Some("4")), Ok(shard(4, 5)));
        assert_eq!(Shard::choose(None, Some(5), None), Err(ShardError::NoIndex { count: 5 }));
        assert_eq!(Shard::choose(None, Some(5), Some(" ")), Err(ShardError::NoIndex { count: 5 }));
        assert_eq!(Shard::choose(None, Some(0), Some("0")), Err(ShardError::ZeroShardCount));
        for value in ["5", "-1", "x", "1/5"] {
            assert_eq!(
                Shard::choose(None, Some(5), Some(value)),
                Err(ShardError::BadVariable { value: value.to_string(), count: 5 }),
                "{value}"
            );
        }
        assert_eq!(
            Shard::choose(None, Some(5), Some("7")).unwrap_err().to_string(),
            "JOB_COMPLETION_INDEX=\"7\" with --shard-count 5: the index must be a whole number from 0 to 4"
        );
    }
}
