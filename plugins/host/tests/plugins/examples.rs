//! The example plugins, built from source, doing their jobs through the host.

use std::sync::Arc;
use std::time::Duration;

use confab_plugin_host::{Call, Outcome, PluginError, Role};
use serde_json::json;

use crate::support::{config, context, example, message, request};

#[test]
fn pii_redactor_replaces_all_four_kinds_in_user_messages() {
    let plugin = example("pii-redactor");
    let config = config(&plugin, json!({}));
    let ctx = context(&[]);
    let text = "I'm Ana (ana.lopez@example.com, +41 44 668 18 00). Refund to CH93 0076 2011 6238 5295 7 \
                or card 4111 1111 1111 1111. Order 2026-0117, 3 items.";
    let req = request(vec![
        message(Role::System, "Support: help@confab.example"),
        message(Role::User, text),
        message(Role::Assistant, "Noted, ana.lopez@example.com."),
        message(Role::User, "Also my Amex 3782 822463 10005 and DE89 3704 0044 0532 0130 00, call 020 7946 0958"),
    ]);
    let Outcome::Replace(out) = plugin.transform_request(Call::new(&ctx, &config), &req).unwrap() else {
        panic!("expected the request to be replaced");
    };
    assert_eq!(out.messages.len(), 4);
    assert_eq!(out.messages[0].content, "Support: help@confab.example", "system messages are not user input");
    assert_eq!(
        out.messages[1].content,
        "I'm Ana ([EMAIL], [PHONE]). Refund to [IBAN] or card [CARD]. Order 2026-0117, 3 items."
    );
    assert_eq!(out.messages[2].content, "Noted, ana.lopez@example.com.");
    assert_eq!(out.messages[3].content, "Also my Amex [CARD] and [IBAN], call [PHONE]");
    assert_eq!((out.model.as_str(), out.temperature, out.max_tokens), ("gpt-demo", Some(0.7), Some(512)));
}

#[test]
fn pii_redactor_leaves_numbers_that_fail_their_checksums_alone() {
    let plugin = example("pii-redactor");
    let config = config(&plugin, json!({}));
    let ctx = context(&[]);
    let req = request(vec![message(
        Role::User,
        "Card 4111 1111 1111 1112 fails Luhn; DE89 3704 0044 0532 0130 07 fails mod 97; user@localhost is no address.",
    )]);
    assert!(matches!(plugin.transform_request(Call::new(&ctx, &config), &req).unwrap(), Outcome::Unchanged));
}

#[test]
fn pii_redactor_redacts_only_the_configured_kinds() {
    let plugin = example("pii-redactor");
    let config = config(&plugin, json!({ "kinds": ["card"] }));
    let ctx = context(&[]);
    let req = request(vec![message(Role::User, "ana@example.com 4111111111111111")]);
    let Outcome::Replace(out) = plugin.transform_request(Call::new(&ctx, &config), &req).unwrap() else {
        panic!("expected the request to be replaced");
    };
    assert_eq!(out.messages[0].content, "ana@example.com [CARD]");
    assert!(matches!(
        plugin.manifest().parse_config(&json!({ "kinds": ["ssn"] })),
        Err(PluginError::Config(e)) if e.contains("/kinds/0")
    ));
}

#[test]
fn policy_preamble_prepends_the_tenants_text_to_the_system_message() {
    let plugin = example("policy-preamble");
    let config = config(&plugin, json!({ "text": "Use of this assistant is subject to the ACME AUP." }));
    let ctx = context(&[]);

    let with_system = request(vec![message(Role::System, "You are terse."), message(Role::User, "hi")]);
    let Outcome::Replace(out) = plugin.transform_request(Call::new(&ctx, &config), &with_system).unwrap() else {
        panic!("expected the request to be replaced");
    };
    assert_eq!(out.messages.len(), 2);
    assert_eq!(out.messages[0].content, "Use of this assistant is subject to the ACME AUP.\n\nYou are terse.");

    let without_system = request(vec![message(Role::User, "hi")]);
    let Outcome::Replace(out) = plugin.transform_request(Call::new(&ctx, &config), &without_system).unwrap() else {
        panic!("expected the request to be replaced");
    };
    assert_eq!(out.messages.len(), 2);
    assert_eq!(
        (out.messages[0].role, out.messages[0].content.as_str()),
        (Role::System, "Use of this assistant is subject to the ACME AUP.")
    );
    assert_eq!((out.messages[1].role, out.messages[1].content.as_str()), (Role::User, "hi"));

    assert!(
        matches!(plugin.manifest().parse_config(&json!({})), Err(PluginError::Config(e)) if e.contains("`text` is required"))
    );
}

#[test]
fn preset_pack_renders_prompts_with_the_date_and_the_users_department() {
    let plugin = example("preset-pack");
    let config = config(&plugin, json!({ "organisation": "ACME AG", "sql_dialect": "sqlite" }));
    let ctx = context(&[("department", "Legal"), ("country", "CH")]);

    let presets = plugin.list_presets(Call::new(&ctx, &config)).unwrap();
    let ids: Vec<&str> = presets.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["legal-reviewer", "sql-helper", "meeting-summarizer"]);
    assert!(presets[1].description.contains("SQLite"));

    let prompt = plugin.render_system_prompt(Call::new(&ctx, &config), "legal-reviewer").unwrap();
    assert!(
        prompt.starts_with(
            "You are a careful legal reviewer supporting the Legal department at ACME AG. Today is 2026-03-01."
        ),
        "{prompt}"
    );
    let other_department = context(&[("department", "Finance")]);
    let prompt = plugin.render_system_prompt(Call::new(&other_department, &config), "sql-helper").unwrap();
    assert!(
        prompt
            .starts_with("You are an expert in SQLite helping the Finance department at ACME AG. Today is 2026-03-01."),
        "{prompt}"
    );

    assert_eq!(
        plugin.render_system_prompt(Call::new(&ctx, &config), "nope"),
        Err(PluginError::Rejected("unknown preset `nope`".into()))
    );
}

#[test]
fn keyword_guard_rejects_matching_prompts_with_the_configured_reason() {
    let plugin = example("keyword-guard");
    let config = config(
        &plugin,
        json!({ "patterns": ["project phoenix", "merger*acme"], "reason": "Confidential projects are off limits here." }),
    );
    let ctx = context(&[]);

    for text in ["What's the status of PROJECT PHOENIX?", "Draft a memo on the merger talks with Acme"] {
        let outcome =
            plugin.transform_request(Call::new(&ctx, &config), &request(vec![message(Role::User, text)])).unwrap();
        assert!(matches!(&outcome, Outcome::Reject(r) if r == "Confidential projects are off limits here."), "{text}");
    }
    let clean = request(vec![message(Role::User, "Explain the phoenix myth")]);
    assert!(matches!(plugin.transform_request(Call::new(&ctx, &config), &clean).unwrap(), Outcome::Unchanged));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_each_see_their_own_tenants_configuration() {
    let plugin = example("policy-preamble");
    let calls = (0..32).map(|i| {
        let plugin = Arc::clone(&plugin);
        async move {
            let config = config(&plugin, json!({ "text": format!("Policy of tenant {i}.") }));
            let out = plugin
                .call(Duration::from_millis(50), move |p, attempt| {
                    let ctx = context(&[]);
                    p.transform_request(
                        Call::new(&ctx, &config).within(attempt),
                        &request(vec![message(Role::User, "hi")]),
                    )
                })
                .await
                .unwrap();
            match out {
                Outcome::Replace(r) => assert_eq!(r.messages[0].content, format!("Policy of tenant {i}.")),
                other => panic!("expected a replaced request, got {other:?}"),
            }
        }
    });
    futures::future::join_all(calls).await;
}
