//! What customs says on stderr. For people, plain lines (`warning: …`, `error: …`); with
//! `--log-format json` (or `CUSTOMS_LOG_FORMAT=json`), one JSON object per line, which
//! cluster log collectors (Kubernetes, Actions, journald shippers) index by level and field
//! instead of guessing from a prefix. Every line the command line writes to stderr goes
//! through here, so a JSON log never has a stray plain line in it.

use std::io::Write as _;
use std::sync::OnceLock;

use serde_json::Value;

/// How stderr lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Plain lines: `warning: …`.
    #[default]
    Text,
    /// One JSON object per line: `{"time":…,"level":"warn","message":…}`.
    Json,
}

static FORMAT: OnceLock<LogFormat> = OnceLock::new();

/// Chooses the format once, before anything is written; later calls change nothing.
pub fn set_format(format: LogFormat) {
    let _ = FORMAT.set(format);
}

/// Whether lines are written as JSON: progress bars are then left out, because a
/// log collector would record every redraw.
pub fn is_json() -> bool {
    FORMAT.get() == Some(&LogFormat::Json)
}

/// How serious a line is; its plain prefix and its JSON `level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warn,
    /// Something worth knowing about the result (`note: …`).
    Note,
    /// What customs is doing (`customs: …`).
    Info,
}

impl Level {
    fn prefix(self) -> &'static str {
        match self {
            Level::Error => "error: ",
            Level::Warn => "warning: ",
            Level::Note => "note: ",
            Level::Info => "customs: ",
        }
    }

    /// The names log collectors map without configuration.
    fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Note | Level::Info => "info",
        }
    }
}

/// One line to write: built with [`event`], given fields, then [`Event::emit`]ted.
#[must_use = "an event is written only by emit()"]
pub struct Event {
    level: Level,
    message: String,
    /// The plain line when it is not `<prefix><message>` (tables, lines with no prefix).
    text: Option<String>,
    fields: Vec<(&'static str, Value)>,
}

/// A line of `level` saying `message`.
pub fn event(level: Level, message: impl Into<String>) -> Event {
    Event { level, message: message.into(), text: None, fields: Vec::new() }
}

impl Event {
    /// A JSON field beside the message (`repository`, `image`…); plain lines do not show it.
    pub fn field(mut self, name: &'static str, value: impl Into<Value>) -> Event {
        self.fields.push((name, value.into()));
        self
    }

    /// The plain line exactly as given, instead of the level's prefix and the message.
    pub fn text(mut self, text: impl Into<String>) -> Event {
        self.text = Some(text.into());
        self
    }

    /// Writes the line to stderr. A stderr that cannot be written to is not an error
    /// worth failing a scan for: the line is dropped.
    pub fn emit(self) {
        let line = self.render(FORMAT.get().copied().unwrap_or_default(), &now());
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(line.as_bytes()).and_then(|_| stderr.write_all(b"\n"));
    }

    fn render(&self, format: LogFormat, time: &str) -> String {
        match format {
            LogFormat::Text => match &self.text {
                Some(text) => text.clone(),
                None => format!("{}{}", self.level.prefix(), self.message),
            },
            LogFormat::Json => {
                // Built by hand to keep time, level and message first, in that order, as
                // people reading the raw log expect; a field cannot replace them.
                let mut line = format!(
                    "{{\"time\":{},\"level\":{},\"message\":{}",
                    Value::from(time),
                    Value::from(self.level.name()),
                    Value::from(self.message.as_str())
                );
                for (name, value) in self.fields.iter().filter(|(n, _)| !matches!(*n, "time" | "level" | "message")) {
                    line.push_str(&format!(",{}:{value}", Value::from(*name)));
                }
                line.push('}');
                line
            }
        }
    }
}

pub fn error(message: impl Into<String>) {
    event(Level::Error, message).emit()
}

pub fn warn(message: impl Into<String>) {
    event(Level::Warn, message).emit()
}

pub fn note(message: impl Into<String>) {
    event(Level::Note, message).emit()
}

pub fn info(message: impl Into<String>) {
    event(Level::Info, message).emit()
}

/// UTC, to the millisecond: lines of one second stay in order in a collector.
fn now() -> String {
    format!("{:.3}", jiff::Timestamp::now())
}

/// The format asked for on a command line clap refused: its error is then written in
/// that format too. Read from the raw arguments (the last `--log-format` wins, as clap
/// has it), else `CUSTOMS_LOG_FORMAT`.
pub fn format_from_raw(args: &[std::ffi::OsString], variable: Option<&str>) -> LogFormat {
    let parse = |value: &str| <LogFormat as clap::ValueEnum>::from_str(value, true).ok();
    let mut chosen = variable.and_then(parse);
    let mut args = args.iter().map(|a| a.to_string_lossy());
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        }
        if let Some(value) = arg.strip_prefix("--log-format=") {
            chosen = parse(value).or(chosen);
        } else if arg == "--log-format" {
            chosen = args.next().and_then(|value| parse(&value)).or(chosen);
        }
    }
    chosen.unwrap_or_default()
}

/// Writes clap's refusal of the command line as one error line: its first line, without
/// clap's `error: ` prefix (the usage and hints after it are for a terminal).
pub fn usage_error(error: &clap::Error) {
    let rendered = error.to_string();
    let first = rendered.lines().next().unwrap_or_default();
    let message = first.strip_prefix("error: ").unwrap_or(first);
    event(Level::Error, message).field("kind", "usage").emit()
}

/// A sweep's failures, one `warn` line each with its repository, tag and reason, in a JSON log
/// only: plain output keeps them in the report, and says how many there were.
pub fn sweep_failures(failures: &[customs::sweep::outcome::Failure]) {
    if !is_json() {
        return;
    }
    for failure in failures {
        let mut line = event(Level::Warn, failure.message.as_str()).field("repository", failure.repository.as_str());
        if let Some(tag) = &failure.tag {
            line = line.field("tag", tag.as_str());
        }
        line.field("reason", serde_json::to_value(failure.reason).unwrap_or_default()).emit();
    }
}

/// The registry sweep's progress as log lines, where a terminal would get a bar: one
/// per repository and per image finished, for following a long sweep in a collector.
pub struct JsonProgress;

impl customs::sweep::run::Progress for JsonProgress {
    fn repositories(&self, total: usize) {
        event(Level::Info, "repositories listed").field("repositories", total).emit()
    }
    fn repository_done(&self, repository: &str) {
        event(Level::Info, "repository done").field("repository", repository).emit()
    }
    fn image_done(&self, reference: &str, analysed: bool) {
        event(Level::Info, "image done").field("image", reference).field("analysed", analysed).emit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIME: &str = "2026-12-07T15:30:00.123Z";

    #[test]
    fn text_lines_keep_their_prefixes() {
        assert_eq!(event(Level::Warn, "w").render(LogFormat::Text, TIME), "warning: w");
        assert_eq!(event(Level::Error, "e").render(LogFormat::Text, TIME), "error: e");
        assert_eq!(event(Level::Note, "n").render(LogFormat::Text, TIME), "note: n");
        assert_eq!(event(Level::Info, "i").field("image", "r/x:1").render(LogFormat::Text, TIME), "customs: i");
        assert_eq!(event(Level::Info, "merged").text("  table row").render(LogFormat::Text, TIME), "  table row");
    }

    #[test]
    fn json_lines_are_one_object_with_time_level_message_then_fields() {
        let line = event(Level::Warn, "tag \"x\"\nnewline\u{1b}[31m")
            .field("repository", "team/app")
            .field("analysed", true)
            .field("level", "not this")
            .render(LogFormat::Json, TIME);
        assert!(!line.contains('\n'), "{line}");
        assert_eq!(
            line,
            r#"{"time":"2026-12-07T15:30:00.123Z","level":"warn","message":"tag \"x\"\nnewline\u001b[31m","repository":"team/app","analysed":true}"#
        );
        let parsed: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["message"], "tag \"x\"\nnewline\u{1b}[31m");
        assert_eq!(
            event(Level::Note, "n").render(LogFormat::Json, TIME),
            format!(r#"{{"time":"{TIME}","level":"info","message":"n"}}"#)
        );
    }

    #[test]
    fn the_time_is_utc_to_the_millisecond() {
        let time = now();
        assert_eq!(time.len(), "2026-12-07T15:30:00.123Z".len(), "{time}");
        assert!(time.ends_with('Z') && time.as_bytes()[19] == b'.', "{time}");
    }

    #[test]
    fn the_format_of_a_refused_command_line_is_read_from_the_raw_arguments() {
        let args = |list: &[&str]| list.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert_eq!(format_from_raw(&args(&["customs", "--log-format", "json", "x"]), None), LogFormat::Json);
        assert_eq!(format_from_raw(&args(&["customs", "--log-format=JSON"]), None), LogFormat::Json);
        assert_eq!(format_from_raw(&args(&["customs", "x"]), Some("json")), LogFormat::Json);
        assert_eq!(format_from_raw(&args(&["customs", "--log-format", "text"]), Some("json")), LogFormat::Text);
        assert_eq!(format_from_raw(&args(&["customs", "--log-format", "bogus"]), Some("json")), LogFormat::Json);
        assert_eq!(format_from_raw(&args(&["customs", "--", "--log-format", "json"]), None), LogFormat::Text);
        assert_eq!(format_from_raw(&args(&["customs"]), None), LogFormat::Text);
    }
}
