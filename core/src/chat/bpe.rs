//! Token counts for OpenAI's `o200k_base` and `cl100k_base` encodings, from compact tables.
//!
//! `tiktoken-rs` builds an encoding as hash maps of one heap allocation per token, both ways, plus
//! a sorted copy: 46 MiB of resident memory for `o200k_base`, kept for the life of the process
//! once the first turn on an OpenAI model counted its prompt. Context budgets only need counts,
//! so Confab keeps each encoding as two arrays in the binary (`core/data/*.tokens`: the tokens'
//! bytes end to end and where each starts, by rank; 2.2 MiB for `o200k_base`), pages of which the
//! kernel maps in as they are read, and builds one open-addressing index of ranks (2 MiB) on
//! first use. The counting is tiktoken's: the encoding's pre-tokenization pattern splits the
//! text, a piece that is a token counts one, and any other piece is merged pair by pair, lowest
//! rank first. A piece longer than [`MAX_PIECE`] bytes (a long run without spaces) is merged in
//! slices of that size, which keeps counting linear; the sum of slices is a close upper bound.
//!
//! The tables are generated from `tiktoken-rs` (`cargo run -p confab-core --example
//! token-tables`), and a test checks them against it, token by token.

use std::sync::OnceLock;

use fancy_regex::Regex;

/// Pieces longer than this are merged in slices of this many bytes (see the module docs).
pub const MAX_PIECE: usize = 256;

/// An encoding: its tables and its pre-tokenization pattern.
pub struct Encoding {
    name: &'static str,
    /// `u32` token count `n`, then `n + 1` `u32` offsets, then the token bytes; little-endian.
    raw: &'static [u8],
    tokens: usize,
    /// Open addressing by [`hash`]: a rank, or `u32::MAX` for an empty slot.
    index: Vec<u32>,
    pattern: Regex,
}

/// The encodings Confab counts with; anything else is estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    O200kBase,
    Cl100kBase,
}

impl Kind {
    /// The encoding of an OpenAI model name, as tiktoken maps it (`None`: not one of these two).
    pub fn for_model(model: &str) -> Option<Kind> {
        match tiktoken_rs::tokenizer::get_tokenizer(model)? {
            tiktoken_rs::tokenizer::Tokenizer::O200kBase | tiktoken_rs::tokenizer::Tokenizer::O200kHarmony => {
                Some(Kind::O200kBase)
            }
            tiktoken_rs::tokenizer::Tokenizer::Cl100kBase => Some(Kind::Cl100kBase),
            _ => None,
        }
    }

    /// The encoding, built on first use; `None` (logged once) if it cannot be, which the tests
    /// rule out: counting then falls back to the estimate.
    pub fn encoding(self) -> Option<&'static Encoding> {
        static O200K: OnceLock<Option<Encoding>> = OnceLock::new();
        static CL100K: OnceLock<Option<Encoding>> = OnceLock::new();
        let (cell, name, raw, pattern): (_, _, &'static [u8], _) = match self {
            Kind::O200kBase => (&O200K, "o200k_base", include_bytes!("../../data/o200k_base.tokens"), O200K_PATTERN),
            Kind::Cl100kBase => {
                (&CL100K, "cl100k_base", include_bytes!("../../data/cl100k_base.tokens"), CL100K_PATTERN)
            }
        };
        cell.get_or_init(|| {
            Encoding::new(name, raw, pattern)
                .inspect_err(|e| tracing::error!(encoding = name, error = %e, "token table unusable; estimating"))
                .ok()
        })
        .as_ref()
    }
}

/// `o200k_base`'s pattern, as `tiktoken-rs` has it.
const O200K_PATTERN: &str = tiktoken_rs::O200K_BASE_PAT_STR;

/// `cl100k_base`'s pattern, copied from `tiktoken-rs` (which does not export it).
const CL100K_PATTERN: &str = "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}++|\\p{N}{1,3}+| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*+|\\s++$|\\s*[\\r\\n]|\\s+(?!\\S)|\\s";

/// FNV-1a over the bytes, then a multiply to spread the bits into the high ones the index uses.
fn hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h.wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

fn read_u32(raw: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([raw[at], raw[at + 1], raw[at + 2], raw[at + 3]])
}

impl Encoding {
    /// Checks `raw` (see [`Encoding::raw`]) and builds the index over it.
    fn new(name: &'static str, raw: &'static [u8], pattern: &str) -> Result<Encoding, String> {
        let tokens = if raw.len() >= 4 { read_u32(raw, 0) as usize } else { 0 };
        let base = 4 + 4 * (tokens + 1);
        if tokens == 0 || raw.len() < base {
            return Err(format!("{name}: {} bytes is no token table", raw.len()));
        }
        let offsets: Vec<u32> = (0..=tokens).map(|r| read_u32(raw, 4 + 4 * r)).collect();
        if offsets[0] != 0 || offsets.windows(2).any(|w| w[0] >= w[1]) || base + offsets[tokens] as usize != raw.len() {
            return Err(format!("{name}: the token offsets do not fit the table"));
        }
        let slots = (tokens * 2).next_power_of_two();
        let mut encoding = Encoding {
            name,
            raw,
            tokens,
            index: vec![u32::MAX; slots],
            pattern: Regex::new(pattern).map_err(|e| format!("{name}: pattern: {e}"))?,
        };
        for rank in 0..tokens {
            let mut slot = encoding.slot_of(encoding.token(rank));
            while encoding.index[slot] != u32::MAX {
                slot = (slot + 1) & (slots - 1);
            }
            encoding.index[slot] = rank as u32;
        }
        Ok(encoding)
    }

    /// The encoding's name, as OpenAI calls it.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// How many tokens (without the special ones) the encoding has.
    pub fn len(&self) -> usize {
        self.tokens
    }

    /// Whether the encoding has no tokens (never, for the two shipped).
    pub fn is_empty(&self) -> bool {
        self.tokens == 0
    }

    /// The bytes of the token of this rank.
    pub fn token(&self, rank: usize) -> &'static [u8] {
        let base = 4 + 4 * (self.tokens + 1);
        let (start, end) = (read_u32(self.raw, 4 + 4 * rank) as usize, read_u32(self.raw, 8 + 4 * rank) as usize);
        &self.raw[base + start..base + end]
    }

    fn slot_of(&self, bytes: &[u8]) -> usize {
        (hash(bytes) >> 40) as usize & (self.index.len() - 1)
    }

    /// The rank of a token, if `bytes` is one.
    pub fn rank(&self, bytes: &[u8]) -> Option<u32> {
        let mask = self.index.len() - 1;
        let mut slot = self.slot_of(bytes);
        loop {
            let rank = self.index[slot];
            if rank == u32::MAX {
                return None;
            }
            if self.token(rank as usize) == bytes {
                return Some(rank);
            }
            slot = (slot + 1) & mask;
        }
    }

    /// How many tokens `text` encodes to (ordinary text: special tokens are not recognised).
    pub fn count(&self, text: &str) -> usize {
        let mut total = 0;
        for piece in self.pattern.find_iter(text) {
            // The pattern has no construct that can fail on valid UTF-8 within the backtrack
            // limit; should it, the rest is estimated rather than lost.
            let Ok(piece) = piece else {
                return total + text.len().div_ceil(4);
            };
            // `merged` counts a piece that is a token as one with a single lookup.
            total += piece.as_str().as_bytes().chunks(MAX_PIECE).map(|slice| self.merged(slice)).sum::<usize>();
        }
        total
    }

    /// Tokens of one piece by byte-pair merging, as tiktoken does: repeatedly merge the adjacent
    /// pair whose bytes form the lowest-ranked token, leftmost first, until no pair is a token.
    fn merged(&self, piece: &[u8]) -> usize {
        if piece.len() <= 1 {
            return piece.len();
        }
        if self.rank(piece).is_some() {
            return 1;
        }
        // (start, rank of the pair starting here); the last two entries close the piece.
        let mut parts: Vec<(usize, u32)> = Vec::with_capacity(piece.len() + 1);
        for i in 0..piece.len() - 1 {
            parts.push((i, self.rank(&piece[i..i + 2]).unwrap_or(u32::MAX)));
        }
        parts.push((piece.len() - 1, u32::MAX));
        parts.push((piece.len(), u32::MAX));
        let rank_at = |parts: &[(usize, u32)], i: usize| -> u32 {
            if i + 3 < parts.len() {
                self.rank(&piece[parts[i].0..parts[i + 3].0]).unwrap_or(u32::MAX)
            } else {
                u32::MAX
            }
        };
        loop {
            let (mut min, mut at) = (u32::MAX, 0);
            for (i, &(_, rank)) in parts[..parts.len() - 1].iter().enumerate() {
                if rank < min {
                    (min, at) = (rank, i);
                }
            }
            if min == u32::MAX {
                break;
            }
            if at > 0 {
                parts[at - 1].1 = rank_at(&parts, at - 1);
            }
            parts[at].1 = rank_at(&parts, at);
            parts.remove(at + 1);
        }
        parts.len() - 1
    }
}

/// The table file for a `tiktoken-rs` encoding (see [`Encoding::raw`]): what the
/// `token-tables` example writes and the tests compare with the shipped files.
pub fn table_of(bpe: &tiktoken_rs::CoreBPE) -> Vec<u8> {
    let mut tokens: Vec<Vec<u8>> = Vec::new();
    while let Ok(bytes) = bpe.decode_bytes(&[tokens.len() as u32]) {
        tokens.push(bytes);
    }
    let mut out = Vec::new();
    out.extend_from_slice(&(tokens.len() as u32).to_le_bytes());
    let mut offset = 0u32;
    out.extend_from_slice(&offset.to_le_bytes());
    for token in &tokens {
        offset += token.len() as u32;
        out.extend_from_slice(&offset.to_le_bytes());
    }
    for token in &tokens {
        out.extend_from_slice(token);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_tables_are_tiktokens_token_for_token() {
        let o200k = table_of(&tiktoken_rs::o200k_base().unwrap());
        assert!(o200k.as_slice() == include_bytes!("../../data/o200k_base.tokens"), "regenerate: token-tables");
        let cl100k = table_of(&tiktoken_rs::cl100k_base().unwrap());
        assert!(cl100k.as_slice() == include_bytes!("../../data/cl100k_base.tokens"), "regenerate: token-tables");
        let enc = Kind::O200kBase.encoding().unwrap();
        assert_eq!(enc.len(), 199_998);
        assert_eq!(enc.rank(b"hello"), Some(24912));
        assert_eq!(enc.rank(b"not-a-single-token-at-all"), None);
    }

    /// Text of many kinds: prose in several scripts, code, numbers, emoji, whitespace runs.
    fn corpus() -> Vec<String> {
        let mut texts: Vec<String> = [
            "hello world",
            "The quick brown fox jumps over the lazy dog. It's 3:45pm; isn't it?",
            "  leading spaces and trailing   \n\n\n  newlines\r\n\tand tabs\t\t",
            "Grüße aus München — schöne Grüße zurück! Ça va? Наш дом. 我们的家在这里。 東京タワー",
            "مرحبا بالعالم · שלום עולם · नमस्ते दुनिया · สวัสดีชาวโลก",
            "fn main() {\n    let x: Vec<u32> = (0..10).map(|i| i * 2).collect();\n    println!(\"{x:?}\");\n}\n",
            "SELECT id, name FROM users WHERE email LIKE '%@example.com' ORDER BY created_at DESC LIMIT 20;",
            "1234567890 3.14159 1,000,000 0xDEADBEEF 2026-12-04T15:01:36Z +41 44 668 18 00",
            "emoji: 😀😃😄😁 👩‍👩‍👧‍👦 🇨🇭 ✓ ✗ → ← ∑ ∞",
            "I'm we'll they've you'd SHE'S I'LL DON'T",
            "https://confab.example/v1/conversations/0190a0c4-0000-7000-8000-000000000001?cursor=abc%20def",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "",
            " ",
            "\u{0}\u{1}\u{7f} control",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Pseudo-random words from a mixed alphabet: pieces tiktoken has to merge.
        let alphabet: Vec<char> =
            "abcdeéfghijklmnopqrstuvwxyzABCXYZ0123456789 .,;:'\"!?-_/\n\tßøπж中".chars().collect();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for len in [10, 50, 200, 1000, 3000] {
            let text: String = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    alphabet[(seed % alphabet.len() as u64) as usize]
                })
                .collect();
            texts.push(text);
        }
        texts
    }

    #[test]
    fn counts_are_tiktokens() {
        for (kind, bpe) in [
            (Kind::O200kBase, tiktoken_rs::o200k_base().unwrap()),
            (Kind::Cl100kBase, tiktoken_rs::cl100k_base().unwrap()),
        ] {
            let enc = kind.encoding().unwrap();
            for text in corpus() {
                assert_eq!(enc.count(&text), bpe.encode_ordinary(&text).len(), "{} on {text:?}", enc.name());
            }
        }
    }

    #[test]
    fn long_pieces_are_counted_in_slices_and_stay_cheap() {
        let enc = Kind::O200kBase.encoding().unwrap();
        // One piece of 100,000 letters: tiktoken's count is close, ours is bounded work.
        let text = "abcdefghij".repeat(10_000);
        let started = std::time::Instant::now();
        let ours = enc.count(&text);
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
        let theirs = tiktoken_rs::o200k_base().unwrap().encode_ordinary(&text).len();
        assert!(ours >= theirs && ours <= theirs + theirs / 10 + 1, "ours {ours}, tiktoken {theirs}");
    }

    #[test]
    fn a_malformed_table_is_refused_not_read() {
        for raw in [&b""[..], &[1, 0, 0, 0][..], &[1, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, b'a'][..]] {
            assert!(Encoding::new("broken", raw, "a").is_err(), "{raw:?}");
        }
        assert!(Encoding::new("bad pattern", include_bytes!("../../data/cl100k_base.tokens"), "(").is_err());
    }

    #[test]
    fn model_names_map_as_tiktoken_maps_them() {
        assert_eq!(Kind::for_model("gpt-4o"), Some(Kind::O200kBase));
        assert_eq!(Kind::for_model("gpt-4o-mini-2024-07-18"), Some(Kind::O200kBase));
        assert_eq!(Kind::for_model("gpt-4"), Some(Kind::Cl100kBase));
        assert_eq!(Kind::for_model("gpt-3.5-turbo"), Some(Kind::Cl100kBase));
        assert_eq!(Kind::for_model("my-local-llama"), None);
    }
}
