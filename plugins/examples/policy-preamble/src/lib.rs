//! `policy-preamble`: puts the tenant's acceptable-use text (config `{ "text": … }`) at the start
//! of the system message, inserting a system message when the request has none.

use confab_plugin_sdk::{ChatRequest, Context, Outcome, RequestTransform, log};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    text: String,
}

pub struct PolicyPreamble;

/// The system prompt with `preamble` in front, or `None` when it is already there (a request
/// that went through this plugin before, for example on a retry).
pub fn with_preamble(preamble: &str, system: &str) -> Option<String> {
    let preamble = preamble.trim();
    if preamble.is_empty() || system.starts_with(preamble) {
        return None;
    }
    Some(if system.trim().is_empty() { preamble.to_string() } else { format!("{preamble}\n\n{system}") })
}

impl RequestTransform for PolicyPreamble {
    fn transform_request(_ctx: Context, mut request: ChatRequest) -> Outcome {
        let config: Config = match confab_plugin_sdk::config() {
            Ok(config) => config,
            Err(e) => {
                // Refuse rather than silently send the request without the policy.
                log::error("bad configuration", &[("error", &e)]);
                return Outcome::Reject(
                    "The acceptable-use policy is not configured correctly; please contact your administrator.".into(),
                );
            }
        };
        let system = request.system_message_mut();
        match with_preamble(&config.text, &system.content) {
            Some(content) => {
                system.content = content;
                Outcome::Replace(request)
            }
            None => Outcome::Unchanged,
        }
    }
}

confab_plugin_sdk::export_request_transform!(PolicyPreamble);

#[cfg(test)]
mod tests {
    use super::*;
    use confab_plugin_sdk::testing::{context, request, set_config};
    use confab_plugin_sdk::{ChatMessage, Role};

    fn run(messages: Vec<ChatMessage>) -> Outcome {
        PolicyPreamble::transform_request(context(&[]), request(messages))
    }

    #[test]
    fn prepends_to_an_existing_system_message() {
        set_config(r#"{"text": "Follow the ACME acceptable-use policy."}"#);
        let Outcome::Replace(out) = run(vec![ChatMessage::system("You are terse."), ChatMessage::user("hi")]) else {
            panic!("expected a replaced request");
        };
        assert_eq!(out.messages.len(), 2);
        assert_eq!(out.messages[0].content, "Follow the ACME acceptable-use policy.\n\nYou are terse.");
        assert_eq!(out.messages[1].content, "hi");
    }

    #[test]
    fn inserts_a_system_message_when_there_is_none() {
        set_config(r#"{"text": "Be nice."}"#);
        let Outcome::Replace(out) = run(vec![ChatMessage::user("hi")]) else {
            panic!("expected a replaced request");
        };
        assert_eq!(out.messages.len(), 2);
        assert_eq!(out.messages[0].role, Role::System);
        assert_eq!(out.messages[0].content, "Be nice.");
    }

    #[test]
    fn does_not_prepend_twice() {
        set_config(r#"{"text": "Be nice."}"#);
        assert!(matches!(run(vec![ChatMessage::system("Be nice.\n\nYou are terse.")]), Outcome::Unchanged));
    }

    #[test]
    fn missing_configuration_rejects() {
        set_config("{}");
        assert!(matches!(run(vec![ChatMessage::user("hi")]), Outcome::Reject(_)));
    }
}
