//! Build-time tool for Confab plugins.
//!
//! `componentize package <module.wasm> <manifest.json> <out-dir>` turns a core wasm module built
//! with the plugin SDK into a component (with `wit-component`, reading the interface the SDK
//! embedded in the module) and writes `<out-dir>/<name>-<version>.wasm` and
//! `<out-dir>/<name>.manifest.json`, taking name and version from the manifest.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["package", module, manifest, out_dir] => package(Path::new(module), Path::new(manifest), Path::new(out_dir)),
        _ => bail!("usage: componentize package <module.wasm> <manifest.json> <out-dir>"),
    }
}

fn package(module: &Path, manifest_path: &Path, out_dir: &Path) -> anyhow::Result<()> {
    let core = std::fs::read(module).with_context(|| format!("reading {}", module.display()))?;
    let component = wit_component::ComponentEncoder::default()
        .module(&core)
        .with_context(|| format!("{} carries no usable component-type section", module.display()))?
        .validate(true)
        .encode()
        .with_context(|| format!("encoding {} as a component", module.display()))?;

    let manifest_text =
        std::fs::read_to_string(manifest_path).with_context(|| format!("reading {}", manifest_path.display()))?;
    let manifest: serde_json::Value =
        serde_json::from_str(&manifest_text).with_context(|| format!("parsing {}", manifest_path.display()))?;
    let field = |key: &str| {
        manifest
            .get(key)
            .and_then(serde_json::Value::as_str)
            .with_context(|| format!("{} has no string `{key}`", manifest_path.display()))
    };
    let (name, version) = (field("name")?, field("version")?);

    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let wasm_out: PathBuf = out_dir.join(format!("{name}-{version}.wasm"));
    let manifest_out: PathBuf = out_dir.join(format!("{name}.manifest.json"));
    std::fs::write(&wasm_out, &component).with_context(|| format!("writing {}", wasm_out.display()))?;
    std::fs::write(&manifest_out, manifest_text).with_context(|| format!("writing {}", manifest_out.display()))?;
    println!("{} ({} bytes)", wasm_out.display(), component.len());
    Ok(())
}
