//! Whether two compiled advisory databases give the same answers, whatever their byte
//! layout: the same header counts, the same index keys, and under every key the same
//! postings pointing to the same records. Used to check a new compiler against the
//! database an older one wrote from the same sources (`docs/benchmarks.md`).
//!
//! `cargo run --release --example db_compare -- OLD.db NEW.db`

use std::ops::ControlFlow;
use std::process::ExitCode;

use customs::advisory::db::{Database, Posting};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [old, new] = args.as_slice() else {
        eprintln!("usage: db_compare OLD.db NEW.db");
        return ExitCode::from(2);
    };
    match compare(old, new) {
        Ok(summary) => {
            println!("same answers: {summary}");
            ExitCode::SUCCESS
        }
        Err(difference) => {
            println!("DIFFERENT: {difference}");
            ExitCode::FAILURE
        }
    }
}

/// A database's postings under one key, with each record offset replaced by the record.
type Resolved = Vec<(Posting, customs::advisory::osv::Record)>;

fn resolved(db: &Database, mut postings: Vec<Posting>) -> Result<Resolved, String> {
    postings
        .iter_mut()
        .map(|p| {
            let record = db.record(p.record).map_err(|e| e.to_string())?;
            p.record = 0;
            Ok((p.clone(), record))
        })
        .collect()
}

fn compare(old: &str, new: &str) -> Result<String, String> {
    let open = |path: &str| Database::open(std::path::Path::new(path)).map_err(|e| e.to_string());
    let (old, new) = (open(old)?, open(new)?);
    let (a, b) = (&old.header, &new.header);
    if (a.records, &a.records_per_ecosystem, &a.newest_modified, &a.invalid, &a.sources)
        != (b.records, &b.records_per_ecosystem, &b.newest_modified, &b.invalid, &b.sources)
    {
        return Err("headers differ (records, per ecosystem, newest, invalid or sources)".into());
    }
    let mut old_keys = Vec::new();
    old.visit_postings(|key, _| {
        old_keys.push(key.to_string());
        ControlFlow::Continue(())
    })
    .map_err(|e| e.to_string())?;
    let mut at = 0;
    let mut postings = 0;
    let mut difference = None;
    new.visit_postings(|key, new_postings| {
        if old_keys.get(at).map(String::as_str) != Some(key) {
            difference = Some(format!("key {key:?} where the old database has {:?}", old_keys.get(at)));
            return ControlFlow::Break(());
        }
        at += 1;
        postings += new_postings.len();
        let theirs = old.lookup_key(key).map_err(|e| e.to_string()).and_then(|p| resolved(&old, p));
        let ours = resolved(&new, new_postings);
        if theirs != ours {
            difference = Some(format!("postings of {key:?}"));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    })
    .map_err(|e| e.to_string())?;
    if let Some(difference) = difference {
        return Err(difference);
    }
    if at != old_keys.len() {
        return Err(format!("{} keys only in the old database", old_keys.len() - at));
    }
    Ok(format!("{} records, {at} keys, {postings} postings", b.records))
}
