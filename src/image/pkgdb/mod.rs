//! Operating-system package databases: one module per format.

pub mod apk;
pub mod dpkg;
pub mod gone;
pub mod rpm;
#[cfg(test)]
mod testing;

/// Splits a blank-line-separated database (deb822 stanzas, apk records) into blocks
/// of `(1-based line number, line)`, keeping only lines `keep` accepts; blocks left
/// empty are dropped. `None` when there are more than `max` blocks, so a hostile file
/// cannot make the caller build an unbounded list.
pub(crate) fn blocks(text: &str, max: usize, keep: impl Fn(&str) -> bool) -> Option<Vec<Vec<(u32, &str)>>> {
    let mut all = Vec::new();
    let mut current = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                all.push(std::mem::take(&mut current));
                if all.len() > max {
                    return None;
                }
            }
            continue;
        }
        if keep(line) {
            current.push((u32::try_from(index + 1).unwrap_or(u32::MAX), line));
        }
    }
    if !current.is_empty() {
        all.push(current);
    }
    (all.len() <= max).then_some(all)
}
