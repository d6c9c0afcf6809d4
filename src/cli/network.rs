//! Flags for how long customs waits on the network, shared by every command that
//! talks to a registry or a mirror (`scan --image`, `sbom --image`, `verify`,
//! `db update`), each with an environment variable for CI settings. What they bound is
//! explained in [`customs::deadline`].

use std::time::Duration;

use clap::Args;

use customs::deadline::TransferLimits;
use customs::image::registry::NetworkSettings;

#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct NetworkArgs {
    /// Seconds every transfer (manifest, layer, token, database file) is allowed on
    /// top of its size's share at --min-transfer-rate.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, env = "CUSTOMS_TRANSFER_TIMEOUT")]
    pub transfer_timeout: u64,

    /// The slowest average throughput accepted, in KiB/s: a transfer of N bytes is
    /// given up after --transfer-timeout + N / rate. 0 turns this deadline off.
    #[arg(long, value_name = "KIB_PER_S", default_value_t = 64, env = "CUSTOMS_MIN_TRANSFER_RATE")]
    pub min_transfer_rate: u64,

    /// The most seconds a transfer waits, in all, when a server answers 429/503 with
    /// Retry-After; a server asking for longer is given up on at once.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, env = "CUSTOMS_MAX_RETRY_AFTER")]
    pub max_retry_after: u64,

    /// Seconds to wait for a connection (and the TLS handshake).
    #[arg(long, value_name = "SECONDS", default_value_t = 30, env = "CUSTOMS_CONNECT_TIMEOUT")]
    pub connect_timeout: u64,
}

impl Default for NetworkArgs {
    /// The flags' defaults (what clap fills in).
    fn default() -> NetworkArgs {
        NetworkArgs { transfer_timeout: 30, min_transfer_rate: 64, max_retry_after: 30, connect_timeout: 30 }
    }
}

impl NetworkArgs {
    pub fn transfer_limits(&self) -> TransferLimits {
        TransferLimits {
            base: Duration::from_secs(self.transfer_timeout),
            min_rate: self.min_transfer_rate.saturating_mul(1024),
            max_retry_after: Duration::from_secs(self.max_retry_after),
        }
    }

    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout)
    }

    /// The registry client's settings: these limits, the usual stall timeout and retries.
    pub fn registry_settings(&self) -> NetworkSettings {
        NetworkSettings {
            connect_timeout: self.connect_timeout(),
            transfer: self.transfer_limits(),
            ..NetworkSettings::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_matches_the_flags_defaults_and_the_library_defaults() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            network: NetworkArgs,
        }
        let parsed = <Cli as clap::Parser>::try_parse_from(["customs"]).unwrap();
        assert_eq!(parsed.network, NetworkArgs::default());
        assert_eq!(NetworkArgs::default().registry_settings(), NetworkSettings::default());
    }

    #[test]
    fn every_command_that_uses_the_network_takes_the_flags_once() {
        use clap::CommandFactory;
        let cli = crate::cli::Cli::command();
        cli.clone().debug_assert();
        for path in [&["scan"][..], &["sbom"], &["verify"], &["db", "update"]] {
            let command = path.iter().fold(&cli, |c, name| c.find_subcommand(name).expect("a subcommand"));
            for flag in ["transfer-timeout", "min-transfer-rate", "max-retry-after", "connect-timeout"] {
                assert!(command.get_arguments().any(|a| a.get_long() == Some(flag)), "{path:?} --{flag}");
            }
        }
    }
}
