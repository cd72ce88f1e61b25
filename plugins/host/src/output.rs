//! Checks on what a plugin returns: its size, and the rules of the interface that its types
//! cannot express (ids, ranges, non-empty requests).

use std::collections::HashSet;

use crate::PluginError;
use crate::{ChatRequest, Outcome, Preset};

/// Presets one plugin may offer.
const MAX_PRESETS: usize = 100;
/// Bytes of a rejection reason (shown to the user).
const MAX_REASON_BYTES: usize = 2000;
/// Bytes of a `render-system-prompt` error (shown to admins).
const MAX_DECLINE_BYTES: usize = 500;

fn bad(message: impl Into<String>) -> PluginError {
    PluginError::BadOutput(message.into())
}

pub(crate) fn check_size(actual_bytes: usize, limit_bytes: usize) -> Result<(), PluginError> {
    if actual_bytes > limit_bytes { Err(PluginError::OutputTooLarge { limit_bytes, actual_bytes }) } else { Ok(()) }
}

/// Bytes of text in a request: what a transform is given, and what it may return plus the
/// output allowance.
pub(crate) fn request_bytes(request: &ChatRequest) -> usize {
    request.model.len() + request.messages.iter().map(|m| m.content.len()).sum::<usize>()
}

fn check_temperature(t: Option<f32>) -> Result<(), PluginError> {
    match t {
        Some(t) if !(0.0..=2.0).contains(&t) => Err(bad(format!("temperature {t} is outside 0.0 to 2.0"))),
        _ => Ok(()),
    }
}

pub(crate) fn check_presets(presets: &[Preset], max_bytes: usize) -> Result<(), PluginError> {
    let bytes: usize = presets
        .iter()
        .map(|p| {
            p.id.len()
                + p.name.len()
                + p.description.len()
                + p.model.as_ref().map_or(0, String::len)
                + p.starters.iter().map(String::len).sum::<usize>()
        })
        .sum();
    check_size(bytes, max_bytes)?;
    if presets.len() > MAX_PRESETS {
        return Err(bad(format!("{} presets, more than the {MAX_PRESETS} allowed", presets.len())));
    }
    let mut ids = HashSet::new();
    for p in presets {
        let id_ok = (1..=64).contains(&p.id.len())
            && p.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !id_ok {
            return Err(bad(format!("preset id {:?} is not 1 to 64 characters of a-z, 0-9 and -", p.id)));
        }
        if !ids.insert(p.id.as_str()) {
            return Err(bad(format!("preset id `{}` appears twice", p.id)));
        }
        if p.name.trim().is_empty() {
            return Err(bad(format!("preset `{}` has no name", p.id)));
        }
        if p.model.as_ref().is_some_and(|m| m.trim().is_empty()) {
            return Err(bad(format!("preset `{}` names an empty model", p.id)));
        }
        check_temperature(p.temperature)?;
    }
    Ok(())
}

pub(crate) fn check_rendered(rendered: Result<String, String>, max_bytes: usize) -> Result<String, PluginError> {
    match rendered {
        Ok(prompt) => {
            check_size(prompt.len(), max_bytes)?;
            Ok(prompt)
        }
        Err(message) => {
            check_size(message.len(), MAX_DECLINE_BYTES)?;
            Err(PluginError::Rejected(message))
        }
    }
}

pub(crate) fn check_outcome(outcome: &Outcome, input_bytes: usize, max_output_bytes: usize) -> Result<(), PluginError> {
    match outcome {
        Outcome::Unchanged => Ok(()),
        Outcome::Reject(reason) => {
            check_size(reason.len(), MAX_REASON_BYTES)?;
            if reason.trim().is_empty() {
                return Err(bad("a rejection needs a reason for the user"));
            }
            Ok(())
        }
        Outcome::Replace(request) => {
            check_size(request_bytes(request), input_bytes.saturating_add(max_output_bytes))?;
            if request.messages.is_empty() {
                return Err(bad("the replaced request has no messages"));
            }
            if request.model.trim().is_empty() {
                return Err(bad("the replaced request names no model"));
            }
            if request.max_tokens == Some(0) {
                return Err(bad("the replaced request allows 0 tokens"));
            }
            check_temperature(request.temperature)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ChatMessage, Role};

    fn preset(id: &str) -> Preset {
        Preset {
            id: id.into(),
            name: "N".into(),
            description: String::new(),
            model: None,
            temperature: Some(0.5),
            starters: vec![],
        }
    }

    fn request(messages: usize) -> ChatRequest {
        ChatRequest {
            messages: (0..messages).map(|_| ChatMessage { role: Role::User, content: "hello".into() }).collect(),
            model: "m".into(),
            temperature: None,
            max_tokens: None,
        }
    }

    #[test]
    fn presets_must_have_clean_unique_ids_and_sane_values() {
        assert!(check_presets(&[preset("a-1"), preset("b")], 1000).is_ok());
        assert!(matches!(check_presets(&[preset("A")], 1000), Err(PluginError::BadOutput(_))));
        assert!(matches!(check_presets(&[preset("")], 1000), Err(PluginError::BadOutput(_))));
        assert!(
            matches!(check_presets(&[preset("a"), preset("a")], 1000), Err(PluginError::BadOutput(m)) if m.contains("twice"))
        );
        let hot = Preset { temperature: Some(f32::NAN), ..preset("a") };
        assert!(matches!(check_presets(&[hot], 1000), Err(PluginError::BadOutput(_))));
        assert!(matches!(check_presets(&[preset("abc")], 2), Err(PluginError::OutputTooLarge { .. })));
    }

    #[test]
    fn replaced_requests_must_be_usable_and_bounded() {
        assert!(check_outcome(&Outcome::Replace(request(2)), 11, 0).is_ok());
        assert!(matches!(check_outcome(&Outcome::Replace(request(3)), 11, 0), Err(PluginError::OutputTooLarge { .. })));
        assert!(matches!(check_outcome(&Outcome::Replace(request(0)), 11, 10), Err(PluginError::BadOutput(_))));
        let zero = ChatRequest { max_tokens: Some(0), ..request(1) };
        assert!(matches!(check_outcome(&Outcome::Replace(zero), 11, 10), Err(PluginError::BadOutput(_))));
        assert!(matches!(check_outcome(&Outcome::Reject(" ".into()), 0, 0), Err(PluginError::BadOutput(_))));
        assert!(matches!(
            check_outcome(&Outcome::Reject("x".repeat(3000)), 0, 0),
            Err(PluginError::OutputTooLarge { .. })
        ));
    }

    #[test]
    fn a_declined_render_is_rejected_with_the_plugins_message() {
        assert_eq!(
            check_rendered(Err("unknown preset".into()), 10),
            Err(PluginError::Rejected("unknown preset".into()))
        );
        assert_eq!(check_rendered(Ok("hi".into()), 10), Ok("hi".into()));
        assert!(matches!(check_rendered(Ok("hello world".into()), 10), Err(PluginError::OutputTooLarge { .. })));
    }
}
