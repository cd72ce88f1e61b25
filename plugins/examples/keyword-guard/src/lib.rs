//! `keyword-guard`: refuses prompts matching configured patterns
//! (config `{ "patterns": [...], "reason": "..." }`) with the configured reason.
//!
//! A pattern matches anywhere in a user message, ignoring case. Without wildcards it is a plain
//! substring; `*` stands for any run of characters and `?` for exactly one, so
//! `project * budget` matches "Project Phoenix budget" and `b?nk` matches "bank" and "bunk".

use confab_plugin_sdk::{ChatRequest, Context, Outcome, RequestTransform, Role, log};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    patterns: Vec<String>,
    reason: String,
}

/// Whether the glob `pattern` matches all of `text` (`*`: any run of characters, `?`: one).
/// The classic iterative matcher with a single backtrack point: O(len(pattern) × len(text)) at
/// worst, never exponential.
pub fn glob_matches(pattern: &[char], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None; // (pattern index of the last `*`, text index it resumes at)
    while t < text.len() {
        if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if let Some((s, resume)) = star {
            p = s + 1;
            t = resume + 1;
            star = Some((s, resume + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// Whether `pattern` matches somewhere in `text`; both already in lower case.
pub fn matches_somewhere(pattern: &str, text: &str) -> bool {
    if pattern.is_empty() {
        return false;
    }
    if !pattern.contains('?') {
        // Only `*`: the literal pieces must occur in order, and the leftmost occurrence of each
        // is always the best choice. Substring search is far faster than the general matcher.
        let mut rest = text;
        for piece in pattern.split('*').filter(|p| !p.is_empty()) {
            match rest.find(piece) {
                Some(at) => rest = &rest[at + piece.len()..],
                None => return false,
            }
        }
        return true;
    }
    // Unanchored: `b?nk` matches like `*b?nk*`.
    let pattern: Vec<char> = std::iter::once('*').chain(pattern.chars()).chain(std::iter::once('*')).collect();
    let text: Vec<char> = text.chars().collect();
    glob_matches(&pattern, &text)
}

/// The first pattern that matches somewhere in `text`, ignoring case.
pub fn first_match<'a>(patterns: &'a [String], text: &str) -> Option<&'a str> {
    // Most prompts are ASCII, and lower-casing bytes is several times faster than chars in wasm.
    let text = if text.is_ascii() { text.to_ascii_lowercase() } else { text.to_lowercase() };
    patterns.iter().find(|pattern| matches_somewhere(&pattern.to_lowercase(), &text)).map(String::as_str)
}

pub struct KeywordGuard;

impl RequestTransform for KeywordGuard {
    fn transform_request(_ctx: Context, request: ChatRequest) -> Outcome {
        let config: Config = match confab_plugin_sdk::config() {
            Ok(config) => config,
            Err(e) => {
                log::error("bad configuration", &[("error", &e)]);
                return Outcome::Reject(
                    "This request cannot be checked right now; please contact your administrator.".into(),
                );
            }
        };
        let hit = request
            .messages
            .iter()
            .filter(|m| m.role == Role::User)
            .find_map(|m| first_match(&config.patterns, &m.content).map(|p| (m, p)));
        match hit {
            Some((_, pattern)) => {
                // The pattern is the admin's, not the user's text, so it may be logged.
                log::info("prompt refused", &[("pattern", pattern)]);
                Outcome::Reject(config.reason)
            }
            None => Outcome::Unchanged,
        }
    }
}

confab_plugin_sdk::export_request_transform!(KeywordGuard);

#[cfg(test)]
mod tests {
    use super::*;
    use confab_plugin_sdk::ChatMessage;
    use confab_plugin_sdk::testing::{context, request, set_config};

    fn m(pattern: &str, text: &str) -> bool {
        first_match(&[pattern.to_string()], text).is_some()
    }

    #[test]
    fn plain_patterns_are_case_insensitive_substrings() {
        assert!(m("phoenix", "Tell me about Project PHOENIX."));
        assert!(m("Straße", "die STRASSE ist nicht die straße"));
        assert!(!m("phoenix", "Tell me about Project Phoenicia."));
    }

    #[test]
    fn globs_match_anywhere() {
        assert!(m("project * budget", "What is the Project Phoenix budget?"));
        assert!(m("b?nk", "the bunk bed"));
        assert!(!m("b?nk", "the bnk"));
        assert!(m("*secret*", "top SECRET stuff"));
        assert!(m("a*b*c", "xx a yy b zz c"));
        assert!(!m("a*b*c", "xx a yy c zz b"));
        assert!(m("salary*2026", "salary review 2026"));
        assert!(!m("salary*2026", "2026 salary review"));
        assert!(m("ab?", "aab ab abc"));
        assert!(!m("abc?", "abc"));
    }

    #[test]
    fn long_texts_do_not_blow_up() {
        let text = "a".repeat(4096);
        assert!(!m("a*a*a*a*b", &text));
    }

    #[test]
    fn rejects_with_the_configured_reason() {
        set_config(r#"{"patterns": ["phoenix", "merger*acme"], "reason": "Confidential projects are off limits."}"#);
        let out = KeywordGuard::transform_request(
            context(&[]),
            request(vec![ChatMessage::user("Draft a memo on the merger with ACME")]),
        );
        assert!(matches!(out, Outcome::Reject(r) if r == "Confidential projects are off limits."));
        let out = KeywordGuard::transform_request(context(&[]), request(vec![ChatMessage::user("hello")]));
        assert!(matches!(out, Outcome::Unchanged));
    }

    #[test]
    fn only_user_messages_are_checked() {
        set_config(r#"{"patterns": ["phoenix"], "reason": "no"}"#);
        let out = KeywordGuard::transform_request(
            context(&[]),
            request(vec![ChatMessage::system("Never discuss Phoenix."), ChatMessage::user("hello")]),
        );
        assert!(matches!(out, Outcome::Unchanged));
    }
}
