//! A store on a PostgreSQL server (`--store postgres://…`), which any number of
//! workers on any number of machines share (`customs registry plan | work | finalize`).
//!
//! The connection string is libpq's URL form. TLS is required unless the URL says
//! otherwise: `sslmode=require` (the default) and `sslmode=prefer` verify the server's
//! certificate against the system's roots, plus the PEM file `sslrootcert=PATH` names;
//! `sslmode=disable` must be written out to talk in plain text. Messages name the
//! server as `postgres://USER@HOST:PORT/DB`, never with the password.
//!
//! Migrations run in one transaction under a transaction-level advisory lock: of
//! several workers starting at once against a fresh database, one creates the tables
//! and the others wait, then find the schema current.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use postgres::config::{Host, SslMode};

use super::sql::{self, SqlError};
use super::{schema, Backend, Store, StoreError};

/// Whether `--store` names a PostgreSQL server rather than a file.
pub(super) fn is_url(location: &str) -> bool {
    let lower = location.get(..13).unwrap_or(location).to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// The advisory lock migrations hold: any constant the store uses for nothing else.
const MIGRATION_LOCK: i64 = 0x6375_7374_6f6d_7301;

/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Connects, checks and migrates the schema.
pub(super) fn open(url: &str) -> Result<Store, StoreError> {
    let (url, root_certificate) = take_parameter(url, "sslrootcert");
    let explicit_mode = parameter(&url, "sslmode").is_some();
    // tokio-postgres's own parse errors name an option, never the URL and its password.
    let mut config: postgres::Config = url.parse().map_err(|e: postgres::Error| StoreError::Sql {
        path: "the --store URL".to_string(),
        message: format!("{e}; give postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]"),
    })?;
    let name = shown(&config);
    let fail = |message: String| StoreError::Sql { path: name.clone(), message };
    if !explicit_mode {
        config.ssl_mode(SslMode::Require);
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("customs");
    }
    let client = match config.get_ssl_mode() {
        SslMode::Disable => config.connect(postgres::NoTls),
        _ => {
            let tls = tls_config(root_certificate.as_deref()).map_err(&fail)?;
            config.connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
        }
    }
    .map_err(|e| {
        let message = SqlError::from(e).0;
        let hint = if message.contains("does not support TLS") {
            " (TLS is required unless the URL says sslmode=disable)"
        } else if message.contains("certificate") {
            " (the system's roots do not vouch for the server: give its CA as ?sslrootcert=FILE)"
        } else {
            ""
        };
        fail(format!("cannot connect: {message}{hint}"))
    })?;
    let mut connection = sql::Postgres { client, statements: Default::default() };
    migrate(&mut connection).map_err(|e| match e {
        Migration::Sql(e) => fail(e.0),
        Migration::Newer(found) => {
            StoreError::Newer { path: name.clone(), found, known: schema::MIGRATIONS.len() as i64 }
        }
    })?;
    Ok(Store { name, file: None, backend: Backend::Postgres(Box::new(Mutex::new(connection))) })
}

/// `postgres://USER@HOST:PORT/DB`: the store as messages name it, password left out.
fn shown(config: &postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|host| match host {
            Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().map(|u| format!("{u}@")).unwrap_or_default();
    let database = config.get_dbname().unwrap_or_default();
    format!("postgres://{user}{}:{port}/{database}", hosts.join(","))
}

/// The value of `?name=value` in a URL, if given.
fn parameter(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| percent_encoding::percent_decode_str(value).decode_utf8_lossy().into_owned())
    })
}

/// The URL without `?name=…`, and its value: for what libpq knows and the client does not.
fn take_parameter(url: &str, name: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else { return (url.to_string(), None) };
    let value = parameter(url, name);
    let rest: Vec<&str> = query.split('&').filter(|pair| pair.split('=').next() != Some(name)).collect();
    let url = if rest.is_empty() { base.to_string() } else { format!("{base}?{}", rest.join("&")) };
    (url, value)
}

/// TLS with the system's roots (and the CA of `sslrootcert`, when given).
fn tls_config(root_certificate: Option<&str>) -> Result<rustls::ClientConfig, String> {
    use rustls_pki_types::pem::PemObject as _;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let extra: Vec<rustls_pki_types::CertificateDer<'static>> = match root_certificate {
        Some(path) => {
            let certificates: Vec<_> = rustls_pki_types::CertificateDer::pem_file_iter(path)
                .and_then(|all| all.collect::<Result<Vec<_>, _>>())
                .map_err(|e| format!("sslrootcert={path}: {e}; give a PEM file of CA certificates"))?;
            if certificates.is_empty() {
                return Err(format!("sslrootcert={path}: no certificate in it; give a PEM file of CA certificates"));
            }
            certificates
        }
        None => Vec::new(),
    };
    let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider.clone())
        .map_err(|e| format!("cannot load the system's certificate roots: {e}"))?;
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(config)
}

enum Migration {
    Sql(SqlError),
    Newer(i64),
}

impl From<SqlError> for Migration {
    fn from(e: SqlError) -> Migration {
        Migration::Sql(e)
    }
}

impl From<postgres::Error> for Migration {
    fn from(e: postgres::Error) -> Migration {
        Migration::Sql(e.into())
    }
}

/// Brings the schema up to date in one transaction, under the migration lock.
fn migrate(connection: &mut sql::Postgres) -> Result<(), Migration> {
    let mut transaction = connection.client.transaction()?;
    transaction.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    transaction.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")?;
    let current: Option<i64> = transaction.query_one("SELECT MAX(version) FROM schema_version", &[])?.get(0);
    let current = current.unwrap_or(0);
    let known = schema::MIGRATIONS.len() as i64;
    if current > known {
        return Err(Migration::Newer(current));
    }
    if current < known {
        for sql in schema::MIGRATIONS.iter().skip(current as usize) {
            transaction.batch_execute(&schema::postgres(sql))?;
        }
        transaction.execute("DELETE FROM schema_version", &[])?;
        transaction.execute("INSERT INTO schema_version (version) VALUES ($1)", &[&known])?;
    }
    transaction.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_told_from_files() {
        assert!(is_url("postgres://u@h/db"));
        assert!(is_url("PostgreSQL://h/db"));
        assert!(!is_url("store.sqlite"));
        assert!(!is_url("/tmp/postgres://x"));
    }

    #[test]
    fn the_shown_name_leaves_the_password_out() {
        let config: postgres::Config = "postgres://alice:s3cret@db.example:6543/sweep?sslmode=disable".parse().unwrap();
        assert_eq!(shown(&config), "postgres://alice@db.example:6543/sweep");
    }

    #[test]
    fn sslrootcert_is_taken_out_of_the_url() {
        let (url, value) = take_parameter("postgres://h/db?sslmode=require&sslrootcert=%2Fetc%2Fca.pem", "sslrootcert");
        assert_eq!(url, "postgres://h/db?sslmode=require");
        assert_eq!(value.as_deref(), Some("/etc/ca.pem"));
        assert_eq!(take_parameter("postgres://h/db", "sslrootcert"), ("postgres://h/db".to_string(), None));
        assert_eq!(parameter("postgres://h/db?a=1&sslmode=disable", "sslmode").as_deref(), Some("disable"));
    }

    #[test]
    fn a_bad_url_is_named_without_its_password() {
        let error = open("postgres://alice:s3cret@h/db?sslmode=sometimes").err().unwrap().to_string();
        assert!(!error.contains("s3cret"), "{error}");
        assert!(error.contains("sslmode"), "{error}");
    }

    #[test]
    fn a_server_that_is_not_there_is_named_without_the_password() {
        // Port 1 on the loopback: nothing listens, the connection is refused at once.
        let error = open("postgres://alice:s3cret@127.0.0.1:1/db?sslmode=disable").err().unwrap().to_string();
        assert!(error.starts_with("the sweep store postgres://alice@127.0.0.1:1/db: cannot connect"), "{error}");
        assert!(!error.contains("s3cret"), "{error}");
    }
}
