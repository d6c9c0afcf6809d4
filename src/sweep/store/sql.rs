//! The store's two databases behind one small interface: SQLite (one file, one
//! process) and PostgreSQL (one server, many workers). The store's queries are written
//! once, in the SQL both dialects agree on (`?N` placeholders, `ON CONFLICT`,
//! `RETURNING`); this module binds them to either connection, turning `?N` into
//! PostgreSQL's `$N`.
//!
//! Values cross the boundary as [`Value`] (null, integer, text, bytes), because the
//! PostgreSQL client checks Rust types against column types strictly (an `i64` binds
//! only to BIGINT) while the store's columns are the plain types both databases share.

use std::collections::HashMap;
use std::error::Error as StdError;

use postgres::types::{FromSql, IsNull, ToSql, Type};

/// One value bound to, or read from, a statement.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Value {
        Value::Int(i64::from(v))
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Int(i64::from(v))
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_string())
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Value {
        Value::Text(v.clone())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}
impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Value {
        Value::Bytes(v.to_vec())
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Value {
        Value::Bytes(v)
    }
}
impl From<&Vec<u8>> for Value {
    fn from(v: &Vec<u8>) -> Value {
        Value::Bytes(v.clone())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}
impl<T: Clone + Into<Value>> From<&Option<T>> for Value {
    fn from(v: &Option<T>) -> Value {
        v.clone().map_or(Value::Null, Into::into)
    }
}

/// `args![a, b, …]`: the values of a statement's `?1, ?2, …`.
macro_rules! args {
    ($($value:expr),* $(,)?) => { [$($crate::sweep::store::sql::Value::from($value)),*] };
}
pub(crate) use args;

/// A failed statement; the store adds which store it was.
#[derive(Debug)]
pub(crate) struct SqlError(pub String);

impl std::fmt::Display for SqlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<rusqlite::Error> for SqlError {
    fn from(e: rusqlite::Error) -> SqlError {
        SqlError(e.to_string())
    }
}

impl From<postgres::Error> for SqlError {
    fn from(e: postgres::Error) -> SqlError {
        // The client's message plus the server's detail; never the connection string.
        let mut message = e.to_string();
        if let Some(source) = e.source() {
            let inner = source.to_string();
            if !message.contains(&inner) {
                message = format!("{message}: {inner}");
            }
        }
        SqlError(message)
    }
}

/// One result row.
pub(crate) struct Row(Vec<Value>);

impl Row {
    /// Column `index` as `T`; a type the column does not hold is an error, not a panic.
    pub(crate) fn get<T: FromValue>(&self, index: usize) -> Result<T, SqlError> {
        let value = self.0.get(index).ok_or_else(|| SqlError(format!("no column {index}")))?;
        T::from_value(value).ok_or_else(|| SqlError(format!("column {index} holds {value:?}, not the type expected")))
    }
}

/// A Rust type a [`Value`] converts to.
pub(crate) trait FromValue: Sized {
    fn from_value(value: &Value) -> Option<Self>;
}
impl FromValue for i64 {
    fn from_value(value: &Value) -> Option<i64> {
        match value {
            Value::Int(v) => Some(*v),
            _ => None,
        }
    }
}
impl FromValue for u32 {
    fn from_value(value: &Value) -> Option<u32> {
        i64::from_value(value).and_then(|v| u32::try_from(v).ok())
    }
}
impl FromValue for bool {
    fn from_value(value: &Value) -> Option<bool> {
        i64::from_value(value).map(|v| v != 0)
    }
}
impl FromValue for String {
    fn from_value(value: &Value) -> Option<String> {
        match value {
            Value::Text(v) => Some(v.clone()),
            _ => None,
        }
    }
}
impl FromValue for Vec<u8> {
    fn from_value(value: &Value) -> Option<Vec<u8>> {
        match value {
            Value::Bytes(v) => Some(v.clone()),
            // SQLite keeps what it was given; a text written where bytes belong reads as its bytes.
            Value::Text(v) => Some(v.as_bytes().to_vec()),
            _ => None,
        }
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: &Value) -> Option<Option<T>> {
        match value {
            Value::Null => Some(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// Which SQL a statement must be written in where the two databases disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// A connection or a transaction of either database.
pub(crate) trait Session {
    /// Runs a statement; the number of rows it changed.
    fn exec(&mut self, sql: &str, args: &[Value]) -> Result<u64, SqlError>;
    /// Runs a query; every row.
    fn rows(&mut self, sql: &str, args: &[Value]) -> Result<Vec<Row>, SqlError>;
    /// Which database this is.
    fn dialect(&self) -> Dialect;

    /// The first row, if any.
    fn first(&mut self, sql: &str, args: &[Value]) -> Result<Option<Row>, SqlError> {
        Ok(self.rows(sql, args)?.into_iter().next())
    }
}

// ---- SQLite ----

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(v) => ValueRef::Integer(*v),
            Value::Text(v) => ValueRef::Text(v.as_bytes()),
            Value::Bytes(v) => ValueRef::Blob(v),
        }))
    }
}

fn sqlite_value(value: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(v) => Value::Int(v),
        // The store writes no REAL; one read back is kept as text rather than lost.
        ValueRef::Real(v) => Value::Text(v.to_string()),
        ValueRef::Text(v) => Value::Text(String::from_utf8_lossy(v).into_owned()),
        ValueRef::Blob(v) => Value::Bytes(v.to_vec()),
    }
}

fn sqlite_exec(connection: &rusqlite::Connection, sql: &str, args: &[Value]) -> Result<u64, SqlError> {
    let mut statement = connection.prepare_cached(sql)?;
    Ok(statement.execute(rusqlite::params_from_iter(args.iter()))? as u64)
}

fn sqlite_rows(connection: &rusqlite::Connection, sql: &str, args: &[Value]) -> Result<Vec<Row>, SqlError> {
    let mut statement = connection.prepare_cached(sql)?;
    let columns = statement.column_count();
    let mut rows = statement.query(rusqlite::params_from_iter(args.iter()))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(Row((0..columns).map(|i| row.get_ref(i).map(sqlite_value)).collect::<Result<_, _>>()?));
    }
    Ok(out)
}

impl Session for rusqlite::Connection {
    fn exec(&mut self, sql: &str, args: &[Value]) -> Result<u64, SqlError> {
        sqlite_exec(self, sql, args)
    }
    fn rows(&mut self, sql: &str, args: &[Value]) -> Result<Vec<Row>, SqlError> {
        sqlite_rows(self, sql, args)
    }
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }
}

impl Session for rusqlite::Transaction<'_> {
    fn exec(&mut self, sql: &str, args: &[Value]) -> Result<u64, SqlError> {
        sqlite_exec(self, sql, args)
    }
    fn rows(&mut self, sql: &str, args: &[Value]) -> Result<Vec<Row>, SqlError> {
        sqlite_rows(self, sql, args)
    }
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }
}

// ---- PostgreSQL ----

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) => match *ty {
                Type::INT8 => v.to_sql(ty, out),
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                Type::BOOL => (*v != 0).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => v.to_string().to_sql(ty, out),
                _ => Err(format!("an integer cannot go into a {ty} column").into()),
            },
            Value::Text(v) => v.to_sql(ty, out),
            Value::Bytes(v) => match *ty {
                Type::BYTEA => v.to_sql(ty, out),
                _ => Err(format!("bytes cannot go into a {ty} column").into()),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

impl<'a> FromSql<'a> for Value {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Value, Box<dyn StdError + Sync + Send>> {
        Ok(match *ty {
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Int(i64::from(i32::from_sql(ty, raw)?)),
            Type::INT2 => Value::Int(i64::from(i16::from_sql(ty, raw)?)),
            Type::BOOL => Value::Int(i64::from(bool::from_sql(ty, raw)?)),
            Type::BYTEA => Value::Bytes(Vec::<u8>::from_sql(ty, raw)?),
            _ => Value::Text(String::from_sql(ty, raw)?),
        })
    }

    fn from_sql_null(_: &Type) -> Result<Value, Box<dyn StdError + Sync + Send>> {
        Ok(Value::Null)
    }

    fn accepts(ty: &Type) -> bool {
        matches!(*ty, Type::INT8 | Type::INT4 | Type::INT2 | Type::BOOL | Type::BYTEA)
            || <String as FromSql>::accepts(ty)
    }
}

/// `?N` → `$N`: the store's statements use SQLite's numbered placeholders, which
/// PostgreSQL spells with a dollar. No statement of the store has a `?` in a literal.
pub(crate) fn postgres_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

/// A PostgreSQL connection and its prepared statements (one round trip fewer per
/// statement after the first).
pub(crate) struct Postgres {
    pub(crate) client: postgres::Client,
    pub(crate) statements: HashMap<String, postgres::Statement>,
}

fn postgres_run<C: postgres::GenericClient>(
    client: &mut C,
    statements: &mut HashMap<String, postgres::Statement>,
    sql: &str,
    args: &[Value],
) -> Result<Vec<postgres::Row>, SqlError> {
    let statement = match statements.get(sql) {
        Some(statement) => statement.clone(),
        None => {
            let statement = client.prepare(&postgres_sql(sql))?;
            statements.insert(sql.to_string(), statement.clone());
            statement
        }
    };
    let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
    Ok(client.query(&statement, &params)?)
}

fn postgres_rows(rows: Vec<postgres::Row>) -> Result<Vec<Row>, SqlError> {
    rows.into_iter()
        .map(|row| (0..row.len()).map(|i| row.try_get::<_, Value>(i)).collect::<Result<Vec<_>, _>>().map(Row))
        .collect::<Result<_, _>>()
        .map_err(SqlError::from)
}

impl Session for Postgres {
    fn exec(&mut self, sql: &str, args: &[Value]) -> Result<u64, SqlError> {
        // `query` rather than `execute`: the same prepared statement serves both.
        let statement = match self.statements.get(sql) {
            Some(statement) => statement.clone(),
            None => {
                let statement = self.client.prepare(&postgres_sql(sql))?;
                self.statements.insert(sql.to_string(), statement.clone());
                statement
            }
        };
        let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
        Ok(self.client.execute(&statement, &params)?)
    }
    fn rows(&mut self, sql: &str, args: &[Value]) -> Result<Vec<Row>, SqlError> {
        postgres_rows(postgres_run(&mut self.client, &mut self.statements, sql, args)?)
    }
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }
}

/// A PostgreSQL transaction, with the connection's prepared statements.
pub(crate) struct PostgresTransaction<'a> {
    pub(crate) transaction: postgres::Transaction<'a>,
    pub(crate) statements: &'a mut HashMap<String, postgres::Statement>,
}

impl Session for PostgresTransaction<'_> {
    fn exec(&mut self, sql: &str, args: &[Value]) -> Result<u64, SqlError> {
        let statement = match self.statements.get(sql) {
            Some(statement) => statement.clone(),
            None => {
                let statement = self.transaction.prepare(&postgres_sql(sql))?;
                self.statements.insert(sql.to_string(), statement.clone());
                statement
            }
        };
        let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
        Ok(self.transaction.execute(&statement, &params)?)
    }
    fn rows(&mut self, sql: &str, args: &[Value]) -> Result<Vec<Row>, SqlError> {
        postgres_rows(postgres_run(&mut self.transaction, self.statements, sql, args)?)
    }
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_dollars_and_nothing_else_changes() {
        assert_eq!(
            postgres_sql("SELECT a FROM t WHERE b = ?1 AND (?2 IS NULL OR c = ?2) AND d = '?'"),
            "SELECT a FROM t WHERE b = $1 AND ($2 IS NULL OR c = $2) AND d = '?'"
        );
    }

    #[test]
    fn rows_read_as_the_types_asked_for_and_a_wrong_type_is_an_error() {
        let row = Row(vec![Value::Int(3), Value::Null, Value::Text("x".into()), Value::Bytes(vec![1])]);
        assert_eq!(row.get::<i64>(0).unwrap(), 3);
        assert!(row.get::<bool>(0).unwrap());
        assert_eq!(row.get::<Option<String>>(1).unwrap(), None);
        assert_eq!(row.get::<String>(2).unwrap(), "x");
        assert_eq!(row.get::<Vec<u8>>(3).unwrap(), vec![1]);
        assert_eq!(row.get::<i64>(2).unwrap_err().0, "column 2 holds Text(\"x\"), not the type expected");
        assert_eq!(row.get::<i64>(9).unwrap_err().0, "no column 9");
    }
}
