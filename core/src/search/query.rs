//! The user's query, parsed into plain words. User text never reaches a full-text query language:
//! the backends get the words back one by one, each quoted as a literal.
use crate::domain::Invalid;

/// Longest accepted `q`, in characters.
pub const MAX_QUERY_CHARS: usize = 256;
/// Most words in one query.
pub const MAX_TERMS: usize = 32;

/// What to look for: every word must occur (AND); the last word may also be the start of a longer
/// word, so results follow the user while they type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    terms: Vec<String>,
    prefix_last: bool,
}

impl SearchQuery {
    /// Splits `raw` into words. Fails on a blank or oversized query; a query made only of
    /// punctuation, operators or symbols parses to an empty query, which matches nothing.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.trim().is_empty() {
            return Err(Invalid::new("q", "must not be empty"));
        }
        if raw.chars().count() > MAX_QUERY_CHARS {
            return Err(Invalid::new("q", format!("must be at most {MAX_QUERY_CHARS} characters")));
        }
        let mut terms: Vec<String> = Vec::new();
        for word in raw.split(is_separator) {
            // A word needs a letter or a digit: "😀" or "—" alone is nothing to look for.
            if !word.chars().any(char::is_alphanumeric) {
                continue;
            }
            let word = word.to_lowercase();
            if !terms.contains(&word) {
                terms.push(word);
            }
        }
        if terms.len() > MAX_TERMS {
            return Err(Invalid::new("q", format!("must have at most {MAX_TERMS} words")));
        }
        // A one-letter Latin prefix would match half the index; a single CJK character is a word.
        let prefix_last = terms.last().is_some_and(|t| t.chars().count() >= 2 || !t.is_ascii())
            && !raw.ends_with(char::is_whitespace);
        Ok(Self { terms, prefix_last })
    }

    /// True when nothing searchable is left (e.g. `q` was only punctuation).
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// True when the last word may also be the start of a longer word.
    pub fn prefix_last(&self) -> bool {
        self.prefix_last
    }

    /// An FTS5 expression: every word as a quoted string (FTS5 reads nothing inside one as
    /// syntax), joined with AND; `*` after the last for a prefix match.
    pub fn fts5(&self) -> String {
        let last = self.terms.len().saturating_sub(1);
        self.terms
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let star = if i == last && self.prefix_last { "*" } else { "" };
                format!("\"{}\"{star}", t.replace('"', "\"\""))
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// A `to_tsquery` input: every word as a quoted lexeme, joined with `&`; `:*` after the last
    /// for a prefix match.
    pub fn tsquery(&self) -> String {
        let last = self.terms.len().saturating_sub(1);
        self.terms
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let star = if i == last && self.prefix_last { ":*" } else { "" };
                format!("'{}'{star}", t.replace('\\', "\\\\").replace('\'', "''"))
            })
            .collect::<Vec<_>>()
            .join(" & ")
    }
}

/// Whitespace, controls and punctuation end a word. Other symbols (emoji, marks) stay inside
/// it: the index's own tokenizer splits them off again, and a combining mark (a Devanagari
/// virama, say) must not cut a word in two.
fn is_separator(c: char) -> bool {
    if c.is_alphanumeric() {
        return false;
    }
    c.is_whitespace()
        || c.is_control()
        || c.is_ascii()
        || matches!(c,
            '\u{00A1}'..='\u{00BF}' // Latin-1 punctuation and signs: ¡ « » ¿ § ·
            | '\u{2000}'..='\u{206F}' // general punctuation: dashes, curly quotes, …
            | '\u{2E00}'..='\u{2E7F}' // supplemental punctuation
            | '\u{3000}'..='\u{303F}' // CJK punctuation: 、。「」
            | '\u{FE10}'..='\u{FE1F}' | '\u{FE30}'..='\u{FE6F}' // vertical and small forms
            | '\u{FF01}'..='\u{FF0F}' | '\u{FF1A}'..='\u{FF20}' | '\u{FF3B}'..='\u{FF40}' | '\u{FF5B}'..='\u{FF65}' // fullwidth
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(q: &str) -> Vec<String> {
        SearchQuery::parse(q).map(|q| q.terms).unwrap_or_default()
    }

    #[test]
    fn blank_and_oversized_queries_are_refused() {
        assert!(SearchQuery::parse("").is_err());
        assert!(SearchQuery::parse(" \t\n ").is_err());
        assert!(SearchQuery::parse(&"a".repeat(MAX_QUERY_CHARS + 1)).is_err());
        assert!(SearchQuery::parse(&"é".repeat(MAX_QUERY_CHARS)).is_ok(), "characters, not bytes");
        let many = (0..=MAX_TERMS).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
        assert!(SearchQuery::parse(&many).is_err());
    }

    #[test]
    fn syntax_is_split_into_plain_words() {
        assert_eq!(terms("a*b"), ["a", "b"]);
        assert_eq!(terms("NEAR(a b)"), ["near", "a", "b"]);
        assert_eq!(terms("title:x -y ^z"), ["title", "x", "y", "z"]);
        assert_eq!(terms("'; DROP TABLE messages; --"), ["drop", "table", "messages"]);
        assert_eq!(terms("\"unbalanced"), ["unbalanced"]);
        assert_eq!(terms("a OR a"), ["a", "or"]);
        assert_eq!(terms("«Größe» — café"), ["größe", "café"]);
        assert_eq!(terms("日本語、テスト。"), ["日本語", "テスト"]);
        assert_eq!(terms("नमस्ते दुनिया"), ["नमस्ते", "दुनिया"]);
        for nothing in ["\"", "*", "(", "\\", "^", "-", ":", "😀 🎉", "\"\" ** ()"] {
            assert!(SearchQuery::parse(nothing).is_ok_and(|q| q.is_empty()), "{nothing}");
        }
    }

    #[test]
    fn every_word_is_quoted_and_only_the_last_is_a_prefix() {
        let fts5 = |q: &str| SearchQuery::parse(q).map(|q| q.fts5());
        let tsquery = |q: &str| SearchQuery::parse(q).map(|q| q.tsquery());
        assert_eq!(fts5("Quick brown fo"), Ok(r#""quick" AND "brown" AND "fo"*"#.into()));
        assert_eq!(tsquery("Quick brown fo"), Ok("'quick' & 'brown' & 'fo':*".into()));
        assert_eq!(fts5("quick brown "), Ok(r#""quick" AND "brown""#.into()), "a finished word is not a prefix");
        assert_eq!(tsquery("x"), Ok("'x'".into()), "one Latin letter is too short a prefix");
        assert_eq!(fts5("日"), Ok(r#""日"*"#.into()), "one CJK character is not");
        assert_eq!(fts5("a😀\"b"), Ok(r#""a😀" AND "b""#.into()));
    }
}
