//! How a command's error is printed: its message and causes on one line, as anyhow's
//! `{:#}` prints them, but without saying the same thing twice. Many messages name
//! their cause already (`cannot read x: No such file or directory (os error 2)`) and
//! then carry it as their source too, which `{:#}` would print a second time.

/// `error: cause: cause…` without a cause whose text the message before it already
/// contains.
pub fn error_line(error: &anyhow::Error) -> String {
    join_causes(error.chain().map(|cause| cause.to_string()))
}

fn join_causes(texts: impl IntoIterator<Item = String>) -> String {
    let mut line = String::new();
    let mut previous: Option<String> = None;
    for text in texts {
        if previous.as_ref().is_some_and(|before| before.contains(&text)) {
            continue;
        }
        if previous.is_some() {
            line.push_str(": ");
        }
        line.push_str(&text);
        previous = Some(text);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    fn not_found() -> std::io::Error {
        std::io::Error::from_raw_os_error(2)
    }

    #[test]
    fn a_cause_the_message_already_names_is_not_repeated() {
        let io = not_found();
        let error = anyhow::Error::new(not_found()).context(format!("cannot read bom.json: {io}"));
        assert_eq!(format!("{error:#}"), format!("cannot read bom.json: {io}: {io}"), "what anyhow prints");
        assert_eq!(error_line(&error), format!("cannot read bom.json: {io}"));
    }

    #[test]
    fn distinct_causes_are_all_kept_in_order() {
        let error: anyhow::Error =
            Err::<(), _>(not_found()).context("cannot open the database").context("scan failed").unwrap_err();
        assert_eq!(error_line(&error), format!("scan failed: cannot open the database: {}", not_found()),);
    }

    #[test]
    fn only_the_message_right_before_is_compared() {
        let texts = ["a: timed out", "timed out", "retrying", "timed out"].map(String::from);
        assert_eq!(join_causes(texts), "a: timed out: retrying: timed out");
        assert_eq!(join_causes(["same".to_string(), "same".to_string()]), "same");
        assert_eq!(join_causes(Vec::new()), "");
    }
}
