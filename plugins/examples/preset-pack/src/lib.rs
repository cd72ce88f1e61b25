//! `preset-pack`: presets for common work whose system prompts are rendered for the user with
//! today's date and their department (context attribute `department`).

use confab_plugin_sdk::{Context, Preset, Presets, log};

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Config {
    organisation: Option<String>,
    sql_dialect: Option<String>,
}

struct Template {
    id: &'static str,
    name: &'static str,
    description: &'static str,
    temperature: f32,
    starters: &'static [&'static str],
    /// `{org}`, `{department}`, `{date}` and `{dialect}` are filled in by `render`.
    prompt: &'static str,
}

const TEMPLATES: &[Template] = &[
    Template {
        id: "legal-reviewer",
        name: "Legal reviewer",
        description: "Reviews contracts and policies for risks, missing clauses and unclear wording.",
        temperature: 0.2,
        starters: &["Review this NDA for one-sided clauses", "What is missing from this data processing agreement?"],
        prompt: "You are a careful legal reviewer supporting the {department} at {org}. Today is {date}. \
                 Point out risks, one-sided or missing clauses and unclear wording, quote the passage you \
                 refer to, and say plainly when something needs a qualified lawyer. You do not give legal advice.",
    },
    Template {
        id: "sql-helper",
        name: "SQL helper",
        description: "Writes and explains {dialect} queries and reviews them for correctness and speed.",
        temperature: 0.1,
        starters: &["Write a query for monthly active users", "Why is this query slow?"],
        prompt: "You are an expert in {dialect} helping the {department} at {org}. Today is {date}. \
                 Write correct, readable {dialect} SQL, explain it briefly, prefer set-based solutions, \
                 mention the indexes a query needs, and never invent table or column names: ask for the schema.",
    },
    Template {
        id: "meeting-summarizer",
        name: "Meeting summarizer",
        description: "Turns meeting notes into decisions, action items with owners, and open questions.",
        temperature: 0.3,
        starters: &["Summarize these notes"],
        prompt: "You summarize meetings for the {department} at {org}. Today is {date}; resolve relative \
                 dates such as \"next Friday\" against it. Output three sections: Decisions, Action items \
                 (owner, due date) and Open questions. Do not add anything that is not in the notes.",
    },
];

fn dialect_name(config: &Config) -> &'static str {
    match config.sql_dialect.as_deref() {
        Some("mysql") => "MySQL",
        Some("sqlite") => "SQLite",
        Some("sql-server") => "SQL Server",
        Some("oracle") => "Oracle SQL",
        _ => "PostgreSQL",
    }
}

fn fill(text: &str, ctx: &Context, config: &Config) -> String {
    let department = match ctx.attribute("department") {
        Some(d) if !d.trim().is_empty() => format!("{} department", d.trim()),
        _ => "team".to_string(),
    };
    let org = config.organisation.as_deref().filter(|o| !o.trim().is_empty()).unwrap_or("your organisation");
    text.replace("{department}", &department)
        .replace("{org}", org)
        .replace("{date}", &ctx.date)
        .replace("{dialect}", dialect_name(config))
}

fn config() -> Config {
    confab_plugin_sdk::config().unwrap_or_else(|e| {
        log::warn("bad configuration, using defaults", &[("error", &e)]);
        Config::default()
    })
}

pub struct PresetPack;

impl Presets for PresetPack {
    fn list_presets(ctx: Context) -> Vec<Preset> {
        let config = config();
        TEMPLATES
            .iter()
            .map(|t| Preset {
                id: t.id.to_string(),
                name: t.name.to_string(),
                description: fill(t.description, &ctx, &config),
                model: None,
                temperature: Some(t.temperature),
                starters: t.starters.iter().map(|s| s.to_string()).collect(),
            })
            .collect()
    }

    fn render_system_prompt(preset_id: String, ctx: Context) -> Result<String, String> {
        let template =
            TEMPLATES.iter().find(|t| t.id == preset_id).ok_or_else(|| format!("unknown preset `{preset_id}`"))?;
        Ok(fill(template.prompt, &ctx, &config()))
    }
}

confab_plugin_sdk::export_presets!(PresetPack);

#[cfg(test)]
mod tests {
    use super::*;
    use confab_plugin_sdk::testing::{context, set_config};

    #[test]
    fn lists_three_presets_with_the_dialect_in_descriptions() {
        set_config(r#"{"sql_dialect": "sqlite"}"#);
        let presets = PresetPack::list_presets(context(&[]));
        let ids: Vec<&str> = presets.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["legal-reviewer", "sql-helper", "meeting-summarizer"]);
        assert_eq!(
            presets[1].description,
            "Writes and explains SQLite queries and reviews them for correctness and speed."
        );
    }

    #[test]
    fn renders_date_department_and_organisation() {
        set_config(r#"{"organisation": "ACME AG"}"#);
        let prompt =
            PresetPack::render_system_prompt("legal-reviewer".into(), context(&[("department", "Legal")])).unwrap();
        assert!(
            prompt.starts_with(
                "You are a careful legal reviewer supporting the Legal department at ACME AG. Today is 2026-03-01."
            ),
            "{prompt}"
        );
    }

    #[test]
    fn renders_without_department_or_config() {
        set_config("{}");
        let prompt = PresetPack::render_system_prompt("sql-helper".into(), context(&[])).unwrap();
        assert!(
            prompt.starts_with(
                "You are an expert in PostgreSQL helping the team at your organisation. Today is 2026-03-01."
            ),
            "{prompt}"
        );
    }

    #[test]
    fn unknown_presets_are_an_error() {
        assert_eq!(PresetPack::render_system_prompt("nope".into(), context(&[])), Err("unknown preset `nope`".into()));
    }
}
