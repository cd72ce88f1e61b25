//! Latency of plugin calls: instantiate + call + tear down, per example plugin, on a 4 KiB prompt.
//!
//! ```sh
//! plugins/build.sh
//! cargo run --release -p confab-plugin-host --bin plugin-bench [-- --iterations 5000] [--dist plugins/dist] [--only pii-redactor]
//! ```
//!
//! Prints p50, p99 and max per hook call, with the default limits (fuel metered) and without
//! fuel, and the extra cost of going through `LoadedPlugin::call` from async code. `--only`
//! measures one plugin's calls (to profile them alone, e.g. under `perf record`).

use std::error::Error;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use confab_plugin_host::{
    Call, ChatMessage, ChatRequest, Context, Limits, LoadedPlugin, Manifest, PluginConfig, PluginRuntime, Role,
};
use serde_json::json;

type Res<T> = Result<T, Box<dyn Error>>;

struct Options {
    iterations: usize,
    dist: PathBuf,
    only: Option<String>,
}

impl Options {
    fn measures(&self, plugin: &str) -> bool {
        self.only.as_deref().is_none_or(|only| only == plugin)
    }
}

fn options() -> Res<Options> {
    let mut opts =
        Options { iterations: 3000, dist: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../dist"), only: None };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--iterations", Some(n)) => opts.iterations = n.parse()?,
            ("--dist", Some(dir)) => opts.dist = PathBuf::from(dir),
            ("--only", Some(name)) => opts.only = Some(name),
            _ => return Err("usage: plugin-bench [--iterations N] [--dist DIR] [--only PLUGIN]".into()),
        }
    }
    Ok(opts)
}

/// About 4 KiB of ordinary prose with a little personal data in it, like a pasted e-mail.
fn prompt() -> String {
    let paragraph = "Hello team, please summarise the attached quarterly report for the steering committee. \
                     Focus on revenue by region, the churn figures and the hiring plan for the next two quarters. \
                     If anything is unclear, ask Ana (ana.lopez@example.com, +41 44 668 18 00) before Friday. ";
    let mut text = String::new();
    while text.len() < 4096 {
        text.push_str(paragraph);
    }
    text.truncate(4096);
    text
}

fn load(runtime: &PluginRuntime, opts: &Options, name: &str) -> Res<Arc<LoadedPlugin>> {
    let manifest_path = opts.dist.join(format!("{name}.manifest.json"));
    let manifest = Manifest::parse(
        &std::fs::read_to_string(&manifest_path)
            .map_err(|e| format!("{}: {e} (run plugins/build.sh first)", manifest_path.display()))?,
    )?;
    let bytes = std::fs::read(opts.dist.join(format!("{name}-{}.wasm", manifest.version())))?;
    Ok(runtime.load(manifest, &bytes)?)
}

fn report(label: &str, mut samples: Vec<Duration>) {
    if samples.is_empty() {
        return;
    }
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!("{label:<48} p50 {:>7.1} µs   p99 {:>7.1} µs   max {:>8.1} µs", us(at(0.50)), us(at(0.99)), us(at(1.0)));
}

fn measure(iterations: usize, mut f: impl FnMut() -> Res<()>) -> Res<Vec<Duration>> {
    for _ in 0..iterations / 10 {
        f()?;
    }
    let mut samples = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        f()?;
        samples.push(started.elapsed());
    }
    Ok(samples)
}

fn bench_runtime(label: &str, limits: Limits, opts: &Options) -> Res<()> {
    println!("\n{label}");
    let runtime = PluginRuntime::new(limits)?;
    let ctx = Context {
        tenant_id: "0190a0c4-0000-7000-8000-000000000001".into(),
        user_id: "0190a0c4-0000-7000-8000-000000000002".into(),
        attributes: vec![("department".into(), "Legal".into())],
        date: "2026-03-01".into(),
        model: "gpt-demo".into(),
        locale: "en-GB".into(),
    };
    let request = ChatRequest {
        messages: vec![
            ChatMessage { role: Role::System, content: "You are a helpful assistant.".into() },
            ChatMessage { role: Role::User, content: prompt() },
        ],
        model: "gpt-demo".into(),
        temperature: Some(0.7),
        max_tokens: Some(1024),
    };
    let transforms = [
        ("pii-redactor", json!({})),
        ("policy-preamble", json!({ "text": "Use of this assistant is subject to the ACME acceptable-use policy." })),
        ("keyword-guard", json!({ "patterns": ["project phoenix", "merger*acme", "salary*2026"], "reason": "No." })),
    ];
    for (name, config) in transforms.into_iter().filter(|(name, _)| opts.measures(name)) {
        let plugin = load(&runtime, opts, name)?;
        let config = plugin.manifest().parse_config(&config)?;
        let samples = measure(opts.iterations, || {
            plugin.transform_request(Call::new(&ctx, &config), &request)?;
            Ok(())
        })?;
        report(&format!("{name}: transform_request (4 KiB)"), samples);
    }
    // The same 4 KiB without personal data: the scan alone, nothing replaced and nothing logged.
    let clean = ChatRequest {
        messages: request
            .messages
            .iter()
            .map(|m| ChatMessage {
                role: m.role,
                content: m.content.replace("ana.lopez@example.com, +41 44 668 18 00", "Ana Lopez, Zurich office"),
            })
            .collect(),
        ..request.clone()
    };
    if opts.measures("pii-redactor") {
        let pii = load(&runtime, opts, "pii-redactor")?;
        let pii_config = pii.manifest().parse_config(&json!({}))?;
        report(
            "pii-redactor: transform_request (4 KiB, clean)",
            measure(opts.iterations, || {
                pii.transform_request(Call::new(&ctx, &pii_config), &clean)?;
                Ok(())
            })?,
        );
    }
    if opts.measures("preset-pack") {
        let presets = load(&runtime, opts, "preset-pack")?;
        let config = PluginConfig::empty();
        report(
            "preset-pack: list_presets",
            measure(opts.iterations, || {
                presets.list_presets(Call::new(&ctx, &config))?;
                Ok(())
            })?,
        );
        report(
            "preset-pack: render_system_prompt",
            measure(opts.iterations, || {
                presets.render_system_prompt(Call::new(&ctx, &config), "legal-reviewer")?;
                Ok(())
            })?,
        );
    }

    // The same pii-redactor call from async code (inline unless it runs long).
    if !opts.measures("pii-redactor") {
        return Ok(());
    }
    let pii = load(&runtime, opts, "pii-redactor")?;
    let config = pii.manifest().parse_config(&json!({}))?;
    let tokio = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let samples = tokio.block_on(async {
        let mut samples = Vec::with_capacity(opts.iterations);
        for i in 0..opts.iterations + opts.iterations / 10 {
            let (ctx, config, request) = (ctx.clone(), config.clone(), request.clone());
            let started = Instant::now();
            pii.call(Duration::from_millis(50), move |p, attempt| {
                p.transform_request(Call::new(&ctx, &config).within(attempt), &request)
            })
            .await?;
            if i >= opts.iterations / 10 {
                samples.push(started.elapsed());
            }
        }
        Ok::<_, Box<dyn Error>>(samples)
    })?;
    report("pii-redactor: via call() from async code", samples);
    Ok(())
}

fn main() -> Res<()> {
    let opts = options()?;
    println!(
        "instantiate + call + drop per sample, {} samples each (after {} warm-up calls)",
        opts.iterations,
        opts.iterations / 10
    );
    bench_runtime("default limits (fuel metered, 1 ms epoch tick)", Limits::default(), &opts)?;
    bench_runtime("without fuel", Limits { fuel: None, ..Limits::default() }, &opts)?;
    Ok(())
}
