//! Finds e-mail addresses, phone numbers, payment card numbers and IBANs in text and replaces
//! them with typed placeholders. Plain Rust with no dependencies, so `cargo test` checks it on
//! the build machine; the plugin only wires it to the `transform_request` hook.
//!
//! The scanners are hand-written (no regex engine in the component): each one is a small state
//! machine over ASCII bytes, and checksums decide where a pattern alone would be too eager —
//! card numbers must pass Luhn and IBANs must pass ISO 7064 mod 97 with their country's length.

use std::ops::Range;

/// What a placeholder stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Email,
    Iban,
    Card,
    Phone,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Email, Kind::Iban, Kind::Card, Kind::Phone];

    pub fn placeholder(self) -> &'static str {
        match self {
            Kind::Email => "[EMAIL]",
            Kind::Iban => "[IBAN]",
            Kind::Card => "[CARD]",
            Kind::Phone => "[PHONE]",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Iban => "iban",
            Kind::Card => "card",
            Kind::Phone => "phone",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// A found item: its kind and byte range in the scanned text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub kind: Kind,
    pub range: Range<usize>,
}

/// All non-overlapping findings of the given kinds, in text order. E-mail addresses are found
/// first (they may contain digits); then one pass over the rest of the text tries, at each word
/// start, an IBAN, a card number and a phone number in that order, and the first that matches
/// claims the run.
pub fn find(text: &str, kinds: &[Kind]) -> Vec<Finding> {
    let bytes = text.as_bytes();
    let emails: Vec<Range<usize>> = if kinds.contains(&Kind::Email) { find_emails(text) } else { Vec::new() };
    let mut found: Vec<Finding> = emails.iter().map(|r| Finding { kind: Kind::Email, range: r.clone() }).collect();
    let mut next_email = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(email) = emails.get(next_email)
            && i >= email.start
        {
            i = email.end;
            next_email += 1;
            continue;
        }
        let at_boundary = i == 0 || !continues_word(bytes[i - 1]);
        if at_boundary && let Some((kind, end)) = run_at(bytes, i, kinds) {
            let before_next_email = emails.get(next_email).is_none_or(|e| end <= e.start);
            if before_next_email {
                if let Some(kind) = kind {
                    found.push(Finding { kind, range: i..end });
                }
                i = end;
                continue;
            }
        }
        // On to the next word start: nothing begins inside a word. (Should that pass an e-mail
        // address's start, the check above moves to its end as it would have.)
        i += 1;
        while i < bytes.len() && continues_word(bytes[i - 1]) {
            i += 1;
        }
    }
    found.sort_by_key(|f| f.range.start);
    found
}

/// The run starting at a word start, if any: its kind and end. `None` as the kind marks an
/// IBAN-shaped run whose checksum fails: nobody's account number, and its digits are not a card
/// or phone number either, so it is claimed but left as it is.
fn run_at(bytes: &[u8], i: usize, kinds: &[Kind]) -> Option<(Option<Kind>, usize)> {
    let b = bytes[i];
    if b.is_ascii_alphabetic() {
        if !kinds.contains(&Kind::Iban) {
            return None;
        }
        let end = iban_shaped_at(bytes, i)?;
        let compact: Vec<u8> =
            bytes[i..end].iter().filter(|b| b.is_ascii_alphanumeric()).map(u8::to_ascii_uppercase).collect();
        return Some((iban_checksum_valid(&compact).then_some(Kind::Iban), end));
    }
    if b.is_ascii_digit()
        && kinds.contains(&Kind::Card)
        && let Some(end) = card_at(bytes, i)
    {
        return Some((Some(Kind::Card), end));
    }
    if kinds.contains(&Kind::Phone) {
        return phone_at(bytes, i).map(|end| (Some(Kind::Phone), end));
    }
    None
}

/// `text` with every finding replaced by its placeholder, and the findings.
pub fn redact(text: &str, kinds: &[Kind]) -> (String, Vec<Finding>) {
    let findings = find(text, kinds);
    if findings.is_empty() {
        return (text.to_string(), findings);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for f in &findings {
        out.push_str(&text[at..f.range.start]);
        out.push_str(f.kind.placeholder());
        at = f.range.end;
    }
    out.push_str(&text[at..]);
    (out, findings)
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Whether a run may not start right after `b`: a word byte or `+`. A table, as the scan asks
/// this of nearly every byte of the text.
fn continues_word(b: u8) -> bool {
    const TABLE: [bool; 256] = {
        let mut table = [false; 256];
        let mut b = 0;
        while b < 256 {
            let byte = b as u8;
            table[b] = byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80 || byte == b'+';
            b += 1;
        }
        table
    };
    TABLE[usize::from(b)]
}

/// The next byte after a match must not continue a word or a number.
fn ends_cleanly(bytes: &[u8], end: usize) -> bool {
    match bytes.get(end) {
        None => true,
        Some(&b) => {
            !is_word_byte(b) && !(matches!(b, b'.' | b'-' | b',') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// E-mail addresses: local@domain.tld

fn is_local_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn is_domain_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-')
}

/// Scans outwards from each `@`. Letters beyond ASCII count (`müller@bücher.de`), so a name is
/// never half-redacted.
fn find_emails(text: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut search_from = 0;
    for (at, _) in text.match_indices('@') {
        if at < search_from {
            continue;
        }
        let local = &text[search_from..at];
        let local_len: usize = local.chars().rev().take_while(|&c| is_local_char(c)).map(char::len_utf8).sum();
        let local = local[local.len() - local_len..].trim_start_matches('.');
        if local.is_empty() || local.ends_with('.') {
            continue;
        }
        let after = &text[at + 1..];
        let domain_len: usize = after.chars().take_while(|&c| is_domain_char(c)).map(char::len_utf8).sum();
        let domain = after[..domain_len].trim_end_matches(['.', '-']);
        if valid_domain(domain) {
            let end = at + 1 + domain.len();
            found.push(at - local.len()..end);
            search_from = end;
        }
    }
    found
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let labels_ok = labels.iter().all(|l| !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-'));
    let tld = labels[labels.len() - 1];
    labels.len() >= 2
        && domain.len() <= 253
        && labels_ok
        && tld.chars().count() >= 2
        && tld.chars().all(char::is_alphabetic)
}

// ---------------------------------------------------------------------------------------------
// Digit groups shared by cards and phone numbers.

/// A run of digit groups such as `+41 (0)44 668-18-00` or `4111 1111 1111 1111`.
struct DigitRun {
    plus: bool,
    /// Digits in order, without separators.
    digits: Vec<u8>,
    /// Per group: its digit count and the byte offset where it ends.
    groups: Vec<(usize, usize)>,
    /// Whether the first group was written in parentheses, like `(415)`.
    parenthesized_first: bool,
}

/// Reads digit groups from `start`, separated by one of `separators` (or by a parenthesized
/// group when `parens` is set). Stops before anything else.
fn digit_run(bytes: &[u8], start: usize, separators: &[u8], parens: bool) -> Option<DigitRun> {
    let mut i = start;
    let plus = bytes.get(i) == Some(&b'+');
    if plus {
        i += 1;
    }
    let mut run = DigitRun { plus, digits: Vec::new(), groups: Vec::new(), parenthesized_first: false };
    loop {
        let open = parens && bytes.get(i) == Some(&b'(');
        let group_start = if open { i + 1 } else { i };
        let mut j = group_start;
        while j < bytes.len() && bytes[j].is_ascii_digit() {
            j += 1;
        }
        if j == group_start || (open && bytes.get(j) != Some(&b')')) {
            break;
        }
        run.digits.extend(bytes[group_start..j].iter().map(|b| b - b'0'));
        if open {
            j += 1;
            if run.groups.is_empty() {
                run.parenthesized_first = true;
            }
        }
        run.groups.push((j - group_start - usize::from(open), j));
        i = j;
        // One separator (a space may follow a closing parenthesis or a dash: `(0) 44`, `- 12`).
        let mut next = i;
        if bytes.get(next).is_some_and(|b| separators.contains(b)) {
            next += 1;
            if bytes.get(next) == Some(&b' ') && bytes[next - 1] != b' ' {
                next += 1;
            }
        } else if !(open && parens) && bytes.get(next) != Some(&b'(') {
            break;
        }
        let continues = bytes.get(next).is_some_and(|b| b.is_ascii_digit() || (parens && *b == b'('));
        if !continues {
            break;
        }
        i = next;
    }
    if run.groups.is_empty() { None } else { Some(run) }
}

// ---------------------------------------------------------------------------------------------
// Payment cards: 13 to 19 digits, optionally grouped by spaces or dashes, passing Luhn.

/// Luhn (mod 10) checksum over digits 0..=9.
pub fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let twice = d * 2;
                if twice > 9 { twice - 9 } else { twice }
            } else {
                d
            }
        })
        .sum();
    !digits.is_empty() && sum % 10 == 0
}

fn card_at(bytes: &[u8], start: usize) -> Option<usize> {
    if !bytes[start].is_ascii_digit() {
        return None;
    }
    let run = digit_run(bytes, start, b" -", false)?;
    // The longest prefix of whole groups that is a valid card number: "4111 1111 1111 1111 2029"
    // still finds the card when a year or similar follows.
    for k in (1..=run.groups.len()).rev() {
        let count: usize = run.groups[..k].iter().map(|g| g.0).sum();
        let end = run.groups[k - 1].1;
        let digits = &run.digits[..count];
        // Issuer identification numbers start with 2 (Mastercard, Mir) to 6 (Discover, UnionPay);
        // requiring that keeps order numbers and the like that happen to pass Luhn untouched.
        let plausible_issuer = matches!(digits[0], 2..=6);
        if (13..=19).contains(&count) && plausible_issuer && luhn_valid(digits) && ends_cleanly(bytes, end) {
            return Some(end);
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Phone numbers.

fn phone_at(bytes: &[u8], start: usize) -> Option<usize> {
    let first = bytes[start];
    if !(first.is_ascii_digit() || first == b'+' || first == b'(') {
        return None;
    }
    let run = digit_run(bytes, start, b" -./", true)?;
    let end = run.groups.last()?.1;
    if !ends_cleanly(bytes, end) {
        return None;
    }
    let n = run.digits.len();
    let sizes: Vec<usize> = run.groups.iter().map(|g| g.0).collect();
    let is_phone = if run.plus {
        // International (E.164): a country code and at most 15 digits in all.
        (8..=15).contains(&n)
    } else if run.digits[0] == 0 {
        // National with a trunk prefix: 044 668 18 00, 020 7946 0958, (030) 1234567.
        (9..=12).contains(&n) && (sizes.len() > 1 || (10..=11).contains(&n))
    } else {
        // North American: (415) 555-0132, 415-555-0132, 415.555.0132.
        sizes == [3, 3, 4]
            && (2..=9).contains(&run.digits[0])
            && (2..=9).contains(&run.digits[3])
            && (run.parenthesized_first || separators_match(bytes, &run))
    };
    is_phone.then_some(end)
}

/// In an unparenthesized North American number both separators are the same character, which
/// keeps mixed runs such as "212-555.1234" out.
fn separators_match(bytes: &[u8], run: &DigitRun) -> bool {
    let first = bytes[run.groups[0].1];
    run.groups[..run.groups.len() - 1].iter().all(|g| bytes[g.1] == first)
}

// ---------------------------------------------------------------------------------------------
// IBANs: country code, two check digits, the national account number; written compact or in
// groups of four. Valid when the length fits the country and the ISO 7064 mod-97 check is 1.

/// IBAN lengths by country (SWIFT IBAN registry).
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BI", 27),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DJ", 27),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FK", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("LY", 25),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MN", 20),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NI", 28),
    ("NL", 18),
    ("NO", 15),
    ("OM", 23),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("RU", 33),
    ("SA", 24),
    ("SC", 31),
    ("SD", 18),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("SO", 23),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
    ("YE", 30),
];

/// ISO 7064 mod 97-10 over an IBAN in compact form (letters in upper case).
pub fn iban_checksum_valid(iban: &[u8]) -> bool {
    if iban.len() < 5 || !iban.iter().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()) {
        return false;
    }
    let rearranged = iban[4..].iter().chain(&iban[..4]);
    let mut remainder: u32 = 0;
    for &b in rearranged {
        if b.is_ascii_digit() {
            remainder = (remainder * 10 + u32::from(b - b'0')) % 97;
        } else {
            remainder = (remainder * 100 + u32::from(b - b'A') + 10) % 97;
        }
    }
    remainder == 1
}

/// The end of an IBAN-shaped run at `start`: a known country code, two digits, and exactly that
/// country's number of alphanumerics in all, compact or with single spaces.
fn iban_shaped_at(bytes: &[u8], start: usize) -> Option<usize> {
    let head = bytes.get(start..start + 4)?;
    if !(head[0].is_ascii_alphabetic()
        && head[1].is_ascii_alphabetic()
        && head[2].is_ascii_digit()
        && head[3].is_ascii_digit())
    {
        return None;
    }
    let country = [head[0].to_ascii_uppercase(), head[1].to_ascii_uppercase()];
    let &(_, length) = IBAN_LENGTHS.iter().find(|(c, _)| c.as_bytes() == country)?;
    let mut count = 0;
    let mut i = start;
    while count < length {
        match bytes.get(i) {
            Some(b) if b.is_ascii_alphanumeric() => {
                count += 1;
                i += 1;
            }
            Some(b' ') if count > 0 && bytes.get(i + 1).is_some_and(u8::is_ascii_alphanumeric) => i += 1,
            _ => return None,
        }
    }
    ends_cleanly(bytes, i).then_some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> String {
        redact(text, &Kind::ALL).0
    }

    #[test]
    fn emails_are_redacted_with_their_whole_address() {
        assert_eq!(all("mail jane.doe+work@mail.example.co.uk today"), "mail [EMAIL] today");
        assert_eq!(all("<a.b_c%d-e@x-y.example>"), "<[EMAIL]>");
        assert_eq!(all("Ends a sentence: bob@example.org."), "Ends a sentence: [EMAIL].");
        assert_eq!(all("two: a@b.io,c@d.io"), "two: [EMAIL],[EMAIL]");
    }

    #[test]
    fn things_that_only_look_like_emails_stay() {
        for text in ["@channel please", "user@localhost", "a@b.c", "a@-b.com", "x@y.123", "me@.com", "@@", ".@x.com"] {
            assert_eq!(all(text), text, "{text}");
        }
    }

    #[test]
    fn luhn_matches_known_numbers() {
        let digits = |s: &str| s.bytes().map(|b| b - b'0').collect::<Vec<_>>();
        assert!(luhn_valid(&digits("4111111111111111")));
        assert!(luhn_valid(&digits("5555555555554444")));
        assert!(luhn_valid(&digits("378282246310005")));
        assert!(luhn_valid(&digits("79927398713")));
        assert!(!luhn_valid(&digits("4111111111111112")));
        assert!(!luhn_valid(&digits("79927398710")));
    }

    #[test]
    fn card_numbers_passing_luhn_are_redacted() {
        assert_eq!(all("card 4111 1111 1111 1111 exp 12/29"), "card [CARD] exp 12/29");
        assert_eq!(all("4111-1111-1111-1111"), "[CARD]");
        assert_eq!(all("amex 378282246310005!"), "amex [CARD]!");
        assert_eq!(all("amex 3782 822463 10005"), "amex [CARD]");
        assert_eq!(all("mc 5555555555554444 and visa 4012888888881881"), "mc [CARD] and visa [CARD]");
        assert_eq!(all("4111 1111 1111 1111 2029"), "[CARD] 2029");
    }

    #[test]
    fn card_like_numbers_failing_luhn_or_issuer_are_left_alone() {
        for text in [
            "card 4111 1111 1111 1112",
            "4111111111111113",
            "order 1234567812345670", // passes Luhn, but no issuer starts with 1
            "id 9111111111111111",
            "41111111111111111111111", // 23 digits
            "v4111111111111111",       // glued to a word
        ] {
            assert_eq!(all(text), text, "{text}");
        }
    }

    #[test]
    fn phone_numbers_are_redacted() {
        assert_eq!(all("call +41 44 668 18 00 now"), "call [PHONE] now");
        assert_eq!(all("call +41 (0)44 668-18-00"), "call [PHONE]");
        assert_eq!(all("+14155550132"), "[PHONE]");
        assert_eq!(all("office 044 668 18 00."), "office [PHONE].");
        assert_eq!(all("London 020 7946 0958"), "London [PHONE]");
        assert_eq!(all("(030) 1234567"), "[PHONE]");
        assert_eq!(all("us (415) 555-0132, or 415-555-0132 or 415.555.0132"), "us [PHONE], or [PHONE] or [PHONE]");
        assert_eq!(all("or 415 555 0132"), "or [PHONE]");
        assert_eq!(all("+49/30/1234567"), "[PHONE]");
    }

    #[test]
    fn ordinary_numbers_are_not_phone_numbers() {
        for text in [
            "on 2026-03-01 at 10:30",
            "version 1.2.3",
            "192.168.100.200",
            "pay 1,234,567.89 CHF",
            "page 212 of 555 1234",
            "mixed 212-555.1234",
            "+41",
            "12345678",
            "0 apples",
            "ISBN 978-3-16-148410-0",
        ] {
            assert_eq!(all(text), text, "{text}");
        }
    }

    #[test]
    fn iban_checksum_matches_known_numbers() {
        assert!(iban_checksum_valid(b"DE89370400440532013000"));
        assert!(iban_checksum_valid(b"GB82WEST12345698765432"));
        assert!(iban_checksum_valid(b"CH9300762011623852957"));
        assert!(iban_checksum_valid(b"NO9386011117947"));
        assert!(!iban_checksum_valid(b"DE89370400440532013001"));
        assert!(!iban_checksum_valid(b"GB82WEST12345698765433"));
    }

    #[test]
    fn ibans_with_valid_checksums_are_redacted_compact_or_grouped() {
        assert_eq!(all("IBAN DE89 3704 0044 0532 0130 00 please"), "IBAN [IBAN] please");
        assert_eq!(all("to DE89370400440532013000."), "to [IBAN].");
        assert_eq!(all("GB82 WEST 1234 5698 7654 32"), "[IBAN]");
        assert_eq!(all("ch93 0076 2011 6238 5295 7"), "[IBAN]");
        assert_eq!(all("NO93 8601 1117 947 and more"), "[IBAN] and more");
    }

    #[test]
    fn iban_like_strings_failing_the_check_are_left_alone() {
        for text in [
            "DE89 3704 0044 0532 0130 07", // wrong check
            "DE89 3704 0044 0532 0130 01", // wrong check; its digits pass Luhn, but are no card
            "DE89370400440532013000123",   // too long for DE
            "XX89370400440532013000",      // no such country
            "GB82 WEST 1234 5698 7654 3",  // too short
        ] {
            assert_eq!(all(text), text, "{text}");
        }
    }

    #[test]
    fn mixed_text_gets_every_kind_and_keeps_the_rest() {
        let text = "Hi, I'm Ana (ana@example.com, +44 20 7946 0958). Refund to GB82 WEST 1234 5698 7654 32, \
                    not card 4111 1111 1111 1111. Invoice 2026-17, 3 items, total 450.00 EUR. Grüße!";
        let (out, findings) = redact(text, &Kind::ALL);
        assert_eq!(
            out,
            "Hi, I'm Ana ([EMAIL], [PHONE]). Refund to [IBAN], not card [CARD]. Invoice 2026-17, 3 items, total 450.00 EUR. Grüße!"
        );
        let kinds: Vec<Kind> = findings.iter().map(|f| f.kind).collect();
        assert_eq!(kinds, [Kind::Email, Kind::Phone, Kind::Iban, Kind::Card]);
    }

    #[test]
    fn only_selected_kinds_are_redacted() {
        let (out, _) = redact("a@b.io 4111111111111111", &[Kind::Card]);
        assert_eq!(out, "a@b.io [CARD]");
    }

    #[test]
    fn multibyte_text_around_findings_is_kept_intact() {
        assert_eq!(all("Müller→müller@bücher.de←ok"), "Müller→[EMAIL]←ok");
        assert_eq!(all("日本 +81 3-1234-5678 です"), "日本 [PHONE] です");
    }
}
