//! `pii-redactor`: replaces e-mail addresses, phone numbers, payment card numbers and IBANs in
//! every user message with `[EMAIL]`, `[PHONE]`, `[CARD]` and `[IBAN]` before the request leaves.
//! Its manifest says `fail_closed`: if this plugin cannot run, the turn does not go out.

pub mod scan;

use confab_plugin_sdk::{ChatRequest, Context, Outcome, RequestTransform, log};
use scan::Kind;

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Config {
    kinds: Option<Vec<String>>,
}

pub struct PiiRedactor;

impl RequestTransform for PiiRedactor {
    fn transform_request(_ctx: Context, mut request: ChatRequest) -> Outcome {
        let kinds = match confab_plugin_sdk::config::<Config>() {
            Ok(Config { kinds: Some(names) }) => names.iter().filter_map(|n| Kind::from_name(n)).collect(),
            Ok(Config { kinds: None }) => Kind::ALL.to_vec(),
            // The schema rules this out; redact everything rather than nothing.
            Err(_) => Kind::ALL.to_vec(),
        };
        let mut counts = [0usize; 4];
        for message in request.user_messages_mut() {
            let (redacted, findings) = scan::redact(&message.content, &kinds);
            if !findings.is_empty() {
                for f in &findings {
                    counts[f.kind as usize] += 1;
                }
                message.content = redacted;
            }
        }
        if counts.iter().all(|&c| c == 0) {
            return Outcome::Unchanged;
        }
        let counts_text: Vec<String> = counts.iter().map(usize::to_string).collect();
        log::info(
            "redacted personal data",
            &[
                ("email", &counts_text[0]),
                ("iban", &counts_text[1]),
                ("card", &counts_text[2]),
                ("phone", &counts_text[3]),
            ],
        );
        Outcome::Replace(request)
    }
}

confab_plugin_sdk::export_request_transform!(PiiRedactor);

#[cfg(test)]
mod tests {
    use super::*;
    use confab_plugin_sdk::testing::{context, request, set_config};
    use confab_plugin_sdk::{ChatMessage, Role};

    #[test]
    fn redacts_user_messages_only() {
        set_config("{}");
        let req = request(vec![
            ChatMessage::system("Contact support@confab.example for help."),
            ChatMessage::user("I am ana@example.com"),
            ChatMessage::assistant("Hello ana@example.com"),
        ]);
        let Outcome::Replace(out) = PiiRedactor::transform_request(context(&[]), req) else {
            panic!("expected a replaced request");
        };
        assert_eq!(out.messages[0].content, "Contact support@confab.example for help.");
        assert_eq!(out.messages[1].content, "I am [EMAIL]");
        assert_eq!(out.messages[2].role, Role::Assistant);
        assert_eq!(out.messages[2].content, "Hello ana@example.com");
    }

    #[test]
    fn clean_requests_stay_unchanged() {
        set_config("{}");
        let req = request(vec![ChatMessage::user("What is 2 + 2?")]);
        assert!(matches!(PiiRedactor::transform_request(context(&[]), req), Outcome::Unchanged));
    }

    #[test]
    fn configured_kinds_limit_what_is_redacted() {
        set_config(r#"{"kinds": ["card"]}"#);
        let req = request(vec![ChatMessage::user("a@b.io 4111 1111 1111 1111")]);
        let Outcome::Replace(out) = PiiRedactor::transform_request(context(&[]), req) else {
            panic!("expected a replaced request");
        };
        assert_eq!(out.messages[0].content, "a@b.io [CARD]");
    }
}
