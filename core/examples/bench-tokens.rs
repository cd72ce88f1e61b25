//! Token counting speed: Confab's compact tables against `tiktoken-rs`, on ordinary prose.
//! `cargo run --release -p confab-core --example bench-tokens`
use std::error::Error;
use std::time::Instant;

fn main() -> Result<(), Box<dyn Error>> {
    let text = "Hello team, please summarise the attached quarterly report for the steering committee. \
                Focus on revenue by region, the churn figures and the hiring plan for the next two quarters. \
                Grüße aus München; 東京タワー; fn main() { println!(\"{x:?}\"); } 1,234,567.89 "
        .repeat(40);
    let rounds = 200;
    let enc = confab_core::chat::bpe::Kind::O200kBase.encoding().ok_or("the o200k_base table is unusable")?;
    let bpe = tiktoken_rs::o200k_base()?;
    for _ in 0..20 {
        std::hint::black_box(enc.count(&text));
        std::hint::black_box(bpe.encode_ordinary(&text));
    }
    let started = Instant::now();
    let mut ours = 0;
    for _ in 0..rounds {
        ours = std::hint::black_box(enc.count(&text));
    }
    let ours_time = started.elapsed() / rounds;
    let started = Instant::now();
    let mut theirs = 0;
    for _ in 0..rounds {
        theirs = std::hint::black_box(bpe.encode_ordinary(&text).len());
    }
    let theirs_time = started.elapsed() / rounds;
    println!(
        "{} bytes: confab {ours} tokens in {ours_time:?}; tiktoken-rs {theirs} tokens in {theirs_time:?}",
        text.len()
    );
    Ok(())
}
