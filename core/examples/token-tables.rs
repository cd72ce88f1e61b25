//! Writes `core/data/o200k_base.tokens` and `core/data/cl100k_base.tokens` from `tiktoken-rs`
//! (see `confab_core::chat::bpe`): `cargo run -p confab-core --example token-tables`.
use std::error::Error;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn Error>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data");
    for (name, bpe) in [("o200k_base", tiktoken_rs::o200k_base()?), ("cl100k_base", tiktoken_rs::cl100k_base()?)] {
        let table = confab_core::chat::bpe::table_of(&bpe);
        let path = dir.join(format!("{name}.tokens"));
        std::fs::write(&path, &table)?;
        println!("{} ({} bytes)", path.display(), table.len());
    }
    Ok(())
}
