//! Snippets as segments (plain text plus a highlight flag), never markup: clients render them as
//! text, so nothing the user wrote can turn into HTML.
//!
//! Backends mark matches with two private-use characters; text that itself contains one of them
//! only shifts a highlight, in the user's own text.

/// Opens a highlighted match in a backend's snippet.
pub const START: char = '\u{E000}';
/// Closes it.
pub const STOP: char = '\u{E001}';
/// About this many characters of context are kept around the first match.
pub const MAX_SNIPPET_CHARS: usize = 200;
const ELLIPSIS: &str = "…";

/// A piece of a snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub text: String,
    /// True for text that matched the query.
    pub highlight: bool,
}

/// Splits a backend's marked snippet into segments and keeps at most about
/// [`MAX_SNIPPET_CHARS`] around the first match. `cut_before`/`cut_after` say the backend's text
/// was already a window of a longer one, and earn an ellipsis.
pub fn segments(marked: &str, cut_before: bool, cut_after: bool) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    let mut text = String::new();
    let mut highlight = false;
    for c in marked.chars() {
        if c == START || c == STOP {
            push(&mut out, std::mem::take(&mut text), highlight);
            highlight = c == START;
        } else {
            text.push(c);
        }
    }
    push(&mut out, text, highlight);
    let (mut out, trimmed_before, trimmed_after) = window(out, MAX_SNIPPET_CHARS);
    if cut_before || trimmed_before {
        out.insert(0, Segment { text: ELLIPSIS.into(), highlight: false });
    }
    if cut_after || trimmed_after {
        out.push(Segment { text: ELLIPSIS.into(), highlight: false });
    }
    merge(out)
}

fn push(out: &mut Vec<Segment>, text: String, highlight: bool) {
    if !text.is_empty() {
        out.push(Segment { text, highlight });
    }
}

fn merge(segments: Vec<Segment>) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::with_capacity(segments.len());
    for s in segments {
        match out.last_mut() {
            Some(last) if last.highlight == s.highlight => last.text.push_str(&s.text),
            _ => push(&mut out, s.text, s.highlight),
        }
    }
    out
}

fn chars(s: &Segment) -> usize {
    s.text.chars().count()
}

/// Keeps at most `max` characters: the first highlight, a third of the rest before it and the
/// remainder after it. Returns whether text was dropped before and after.
fn window(segments: Vec<Segment>, max: usize) -> (Vec<Segment>, bool, bool) {
    let total: usize = segments.iter().map(chars).sum();
    if total <= max {
        return (segments, false, false);
    }
    let anchor = segments.iter().position(|s| s.highlight).unwrap_or(0);
    let before_avail: usize = segments[..anchor].iter().map(chars).sum();
    let after_avail: usize = segments[anchor + 1..].iter().map(chars).sum();
    let anchor_len = segments.get(anchor).map_or(0, chars).min(max);
    let budget = max - anchor_len;
    let before_take = before_avail.min((budget / 3).max(budget.saturating_sub(after_avail)));
    let after_take = after_avail.min(budget - before_take);

    let mut out = Vec::new();
    let mut remaining = before_take;
    let mut before = Vec::new();
    for s in segments[..anchor].iter().rev() {
        if remaining == 0 {
            break;
        }
        let n = chars(s);
        if n <= remaining {
            before.push(s.clone());
            remaining -= n;
        } else {
            before.push(Segment { text: tail(&s.text, remaining), highlight: s.highlight });
            remaining = 0;
        }
    }
    out.extend(before.into_iter().rev());
    let mut cut_after = after_take < after_avail;
    if let Some(s) = segments.get(anchor) {
        if chars(s) > anchor_len {
            cut_after = true;
            out.push(Segment { text: head(&s.text, anchor_len), highlight: s.highlight });
        } else {
            out.push(s.clone());
        }
    }
    let mut remaining = if chars_of(&out) >= max { 0 } else { after_take };
    for s in segments.iter().skip(anchor + 1) {
        if remaining == 0 {
            break;
        }
        let n = chars(s);
        if n <= remaining {
            out.push(s.clone());
            remaining -= n;
        } else {
            out.push(Segment { text: head(&s.text, remaining), highlight: s.highlight });
            remaining = 0;
        }
    }
    (out, before_take < before_avail, cut_after)
}

fn chars_of(segments: &[Segment]) -> usize {
    segments.iter().map(chars).sum()
}

/// The first `n` characters, ending at a word boundary when there is one.
fn head(text: &str, n: usize) -> String {
    let cut: String = text.chars().take(n).collect();
    if text.chars().nth(n).is_some_and(|c| !c.is_whitespace())
        && let Some(space) = cut.rfind(char::is_whitespace)
    {
        return cut[..space].to_string() + " ";
    }
    cut
}

/// The last `n` characters, starting at a word boundary when there is one.
fn tail(text: &str, n: usize) -> String {
    let len = text.chars().count();
    let cut: String = text.chars().skip(len.saturating_sub(n)).collect();
    let before_cut = len.checked_sub(n + 1).and_then(|i| text.chars().nth(i));
    if before_cut.is_some_and(|c| !c.is_whitespace())
        && let Some(space) = cut.find(char::is_whitespace)
    {
        return cut[space..].to_string();
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(segments: &[Segment]) -> String {
        segments.iter().map(|s| if s.highlight { format!("[{}]", s.text) } else { s.text.clone() }).collect()
    }

    fn marked(text: &str) -> String {
        text.replace('[', &START.to_string()).replace(']', &STOP.to_string())
    }

    #[test]
    fn marks_become_segments() {
        let s = segments(&marked("the [quick] brown [fox]"), false, false);
        assert_eq!(
            s,
            vec![
                Segment { text: "the ".into(), highlight: false },
                Segment { text: "quick".into(), highlight: true },
                Segment { text: " brown ".into(), highlight: false },
                Segment { text: "fox".into(), highlight: true },
            ]
        );
        assert_eq!(render(&segments(&marked("[a][b] c"), true, true)), "…[ab] c…");
        assert_eq!(render(&segments("no match", false, false)), "no match");
        assert!(segments("", false, false).is_empty());
    }

    #[test]
    fn long_text_is_cut_around_the_first_match() {
        let before = "word ".repeat(100);
        let after = " tail".repeat(100);
        let s = segments(&marked(&format!("{before}[needle]{after}")), false, false);
        let text = render(&s);
        assert!(text.starts_with('…') && text.ends_with('…'), "{text}");
        assert!(text.contains("[needle]"));
        let len = text.chars().count();
        assert!((150..=MAX_SNIPPET_CHARS + 4).contains(&len), "{len}: {text}");
        assert!(!text.contains(" wor…") && !text.contains("…ord"), "cut at word boundaries: {text}");

        let s = render(&segments(&marked(&format!("[start]{after}")), false, false));
        assert!(s.starts_with("[start] tail") && s.ends_with('…'), "{s}");
        let s = render(&segments(&marked(&format!("{before}[end]")), false, false));
        assert!(s.starts_with('…') && s.ends_with("[end]"), "{s}");
    }

    #[test]
    fn text_without_spaces_is_cut_by_characters() {
        let text = format!("{}[語]{}", "日".repeat(300), "本".repeat(300));
        let s = render(&segments(&marked(&text), false, false));
        assert!(s.contains("[語]"));
        assert!(s.chars().count() <= MAX_SNIPPET_CHARS + 4, "{}", s.chars().count());
        let huge = render(&segments(&marked(&format!("[{}]", "x".repeat(500))), false, false));
        assert_eq!(huge.chars().count(), MAX_SNIPPET_CHARS + 3);
    }
}
