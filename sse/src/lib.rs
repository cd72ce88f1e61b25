//! An incremental parser for `text/event-stream`, following the WHATWG rules
//! (<https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation>):
//! feed it byte chunks as they arrive, split anywhere, and it hands back whole events.
//!
//! Confab reads three kinds of event streams with it: model providers' answers, its own chat
//! streams in the test kit, and both in the load tool.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The last event ID as of this event. Like a browser's `lastEventId` it carries over to later
    /// events until an `id:` field changes it; `None` while it is empty.
    pub id: Option<String>,
    /// The event type: the `event:` field, or `message` when the event had none.
    pub event: String,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
    /// A valid `retry:` field (milliseconds) given within this event.
    pub retry: Option<u64>,
}

/// The type of an event without an `event:` field.
pub const DEFAULT_EVENT: &str = "message";

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The parser's state between chunks.
#[derive(Debug, Default)]
pub struct Parser {
    /// The bytes of the line under way. Lines are cut on CR/LF bytes, which never occur inside a
    /// multi-byte UTF-8 sequence, so decoding whole lines never splits a character.
    line: Vec<u8>,
    /// The last chunk ended in CR: an LF opening the next one belongs to that line end.
    after_cr: bool,
    /// A BOM can only open the first line.
    past_first_line: bool,
    event: String,
    /// Each `data:` value followed by `\n`, as the spec builds it.
    data: String,
    last_id: String,
    retry: Option<u64>,
    event_retry: Option<u64>,
    comments: u64,
}

impl Parser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the next chunk; returns the events it completes. An event still open when the
    /// stream ends is never dispatched, as the spec says.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Event> {
        let mut out = Vec::new();
        let mut rest = chunk;
        if self.after_cr && !rest.is_empty() {
            self.after_cr = false;
            rest = rest.strip_prefix(b"\n").unwrap_or(rest);
        }
        while let Some(end) = rest.iter().position(|&b| b == b'\n' || b == b'\r') {
            self.line.extend_from_slice(&rest[..end]);
            let cr = rest[end] == b'\r';
            rest = &rest[end + 1..];
            if cr {
                if rest.is_empty() {
                    self.after_cr = true;
                } else {
                    rest = rest.strip_prefix(b"\n").unwrap_or(rest);
                }
            }
            let line = std::mem::take(&mut self.line);
            if let Some(event) = self.line_ended(&line) {
                out.push(event);
            }
            // Keep the allocation for the next line.
            self.line = line;
            self.line.clear();
        }
        self.line.extend_from_slice(rest);
        out
    }

    /// The reconnection time (milliseconds) from the latest valid `retry:` field, whether or not
    /// an event was dispatched with it.
    pub fn retry(&self) -> Option<u64> {
        self.retry
    }

    /// How many comment lines (`:` first) went by: servers send them as heartbeats.
    pub fn comments(&self) -> u64 {
        self.comments
    }

    fn line_ended(&mut self, bytes: &[u8]) -> Option<Event> {
        let mut bytes = bytes;
        if !self.past_first_line {
            self.past_first_line = true;
            bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
        }
        if bytes.is_empty() {
            return self.dispatch();
        }
        if bytes.starts_with(b":") {
            self.comments += 1;
            return None;
        }
        let line = String::from_utf8_lossy(bytes);
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (&*line, ""),
        };
        match field {
            "event" => value.clone_into(&mut self.event),
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
            }
            "id" if !value.contains('\0') => value.clone_into(&mut self.last_id),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                // Too many digits for a u64 is no usable delay either: ignored like any bad value.
                if let Ok(ms) = value.parse() {
                    self.retry = Some(ms);
                    self.event_retry = Some(ms);
                }
            }
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<Event> {
        let event = std::mem::take(&mut self.event);
        let retry = self.event_retry.take();
        if self.data.is_empty() {
            return None;
        }
        let mut data = std::mem::take(&mut self.data);
        data.pop(); // the `\n` after the last line
        Some(Event {
            id: (!self.last_id.is_empty()).then(|| self.last_id.clone()),
            event: if event.is_empty() { DEFAULT_EVENT.to_owned() } else { event },
            data,
            retry,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(event: &str, data: &str) -> Event {
        Event { id: None, event: event.into(), data: data.into(), retry: None }
    }

    fn with_id(id: &str, event: Event) -> Event {
        Event { id: Some(id.into()), ..event }
    }

    fn parse(bytes: &[u8]) -> Vec<Event> {
        Parser::new().push(bytes)
    }

    #[test]
    fn table() {
        let cases: Vec<(&str, &[u8], Vec<Event>)> = vec![
            ("one event", b"data: hello\n\n", vec![ev("message", "hello")]),
            ("named event", b"event: ping\ndata: {}\n\n", vec![ev("ping", "{}")]),
            ("data lines join with LF", b"data: a\ndata: b\ndata: c\n\n", vec![ev("message", "a\nb\nc")]),
            ("empty data line keeps its place", b"data: a\ndata:\ndata: b\n\n", vec![ev("message", "a\n\nb")]),
            ("a trailing empty data line survives", b"data: a\ndata\n\n", vec![ev("message", "a\n")]),
            ("field without colon is a field with empty value", b"data\n\n", vec![ev("message", "")]),
            ("only one leading space goes", b"data:  two spaces\n\n", vec![ev("message", " two spaces")]),
            ("no space after the colon", b"data:tight\n\n", vec![ev("message", "tight")]),
            ("later colons are part of the value", b"data: a: b:c\n\n", vec![ev("message", "a: b:c")]),
            ("a tab is not a space", b"data:\tx\n\n", vec![ev("message", "\tx")]),
            ("comments are ignored", b": hi\n:\ndata: x\n: mid\n\n", vec![ev("message", "x")]),
            ("unknown fields are ignored", b"foo: bar\ndata: x\nDATA: y\n\n", vec![ev("message", "x")]),
            ("CRLF lines", b"event: e\r\ndata: x\r\n\r\n", vec![ev("e", "x")]),
            ("CR lines", b"event: e\rdata: x\r\r", vec![ev("e", "x")]),
            ("mixed line ends", b"data: a\rdata: b\r\ndata: c\n\r\n", vec![ev("message", "a\nb\nc")]),
            ("CR CR is two line ends", b"data: a\r\rdata: b\n\n", vec![ev("message", "a"), ev("message", "b")]),
            ("LF CR is two line ends", b"data: a\n\rdata: b\n\n", vec![ev("message", "a"), ev("message", "b")]),
            ("a leading BOM is dropped", b"\xEF\xBB\xBFdata: x\n\n", vec![ev("message", "x")]),
            ("a BOM before an empty line", b"\xEF\xBB\xBF\ndata: x\n\n", vec![ev("message", "x")]),
            (
                "only the first BOM is dropped",
                b"\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\ndata: y\n\n",
                vec![ev("message", "y")],
            ),
            ("a BOM later is data", b"data: \xEF\xBB\xBFx\n\n", vec![ev("message", "\u{feff}x")]),
            ("no data, no event", b"event: ping\n\n", vec![]),
            ("the type resets after a data-less block", b"event: a\n\ndata: x\n\n", vec![ev("message", "x")]),
            (
                "the type resets after an event",
                b"event: a\ndata: x\n\ndata: y\n\n",
                vec![ev("a", "x"), ev("message", "y")],
            ),
            ("empty event field means message", b"event:\ndata: x\n\n", vec![ev("message", "x")]),
            ("blank lines between events do nothing", b"\n\n\ndata: x\n\n\n\n", vec![ev("message", "x")]),
            ("an unfinished event is never dispatched", b"data: x\n\ndata: y\n", vec![ev("message", "x")]),
            ("an unfinished line neither", b"data: x", vec![]),
            ("multi-byte UTF-8", "data: héllo → 世界 🎉\n\n".as_bytes(), vec![ev("message", "héllo → 世界 🎉")]),
            ("invalid UTF-8 becomes U+FFFD", b"data: a\xFFb\xE2\x82\n\n", vec![ev("message", "a\u{fffd}b\u{fffd}")]),
            ("the field name is exact", b"data : x\n data: y\n\n", vec![]),
            (
                "id persists until changed",
                b"id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n",
                vec![
                    with_id("1", ev("message", "a")),
                    with_id("1", ev("message", "b")),
                    with_id("2", ev("message", "c")),
                ],
            ),
            (
                "an empty id clears it",
                b"id: 1\ndata: a\n\nid\ndata: b\n\n",
                vec![with_id("1", ev("message", "a")), ev("message", "b")],
            ),
            ("an id with NUL is ignored", b"id: 1\ndata: a\n\nid: 2\0\ndata: b\n\n", {
                vec![with_id("1", ev("message", "a")), with_id("1", ev("message", "b"))]
            }),
            ("an id without data still counts", b"id: 7\n\ndata: a\n\n", vec![with_id("7", ev("message", "a"))]),
            ("id value keeps inner spaces", b"id:  x \ndata: a\n\n", vec![with_id(" x ", ev("message", "a"))]),
            (
                "retry with digits",
                b"retry: 1500\ndata: a\n\ndata: b\n\n",
                vec![Event { retry: Some(1500), ..ev("message", "a") }, ev("message", "b")],
            ),
            ("retry that is not all digits is ignored", b"retry: 15s\ndata: a\n\nretry: -1\ndata: b\n\n", {
                vec![ev("message", "a"), ev("message", "b")]
            }),
            ("an empty retry is ignored", b"retry:\ndata: a\n\n", vec![ev("message", "a")]),
            ("a retry too large is ignored", b"retry: 99999999999999999999999\ndata: a\n\n", vec![ev("message", "a")]),
        ];
        for (name, input, expected) in cases {
            assert_eq!(parse(input), expected, "{name}");
        }
    }

    #[test]
    fn retry_is_remembered_without_an_event() {
        let mut p = Parser::new();
        assert_eq!(p.retry(), None);
        assert!(p.push(b"retry: 300\n\n").is_empty());
        assert_eq!(p.retry(), Some(300));
        assert!(p.push(b"retry: soon\n\n").is_empty());
        assert_eq!(p.retry(), Some(300));
    }

    #[test]
    fn comments_are_counted() {
        let mut p = Parser::new();
        p.push(b":\n\n: keep-alive\r\n\r\ndata: x\n:");
        assert_eq!(p.comments(), 2, "a comment counts once its line ends");
        p.push(b"\n");
        assert_eq!(p.comments(), 3);
    }

    /// A stream with everything that can straddle a chunk boundary: a BOM, CRLF and lone CR line
    /// ends, multi-byte characters, comments, ids and retries.
    const STREAM: &[u8] = b"\xEF\xBB\xBF: hello\r\n\
        id: 1\r\nevent: message_start\r\ndata: {\"a\":\"\xC3\xA9\"}\r\n\r\n\
        data: \xE4\xB8\x96\r\ndata: \xF0\x9F\x8E\x89\r\rretry: 250\rid\n\
        event: x\ndata\n\n\
        data: last\r";

    fn stream_events() -> Vec<Event> {
        vec![
            with_id("1", ev("message_start", "{\"a\":\"é\"}")),
            with_id("1", ev("message", "世\n🎉")),
            Event { retry: Some(250), ..ev("x", "") },
        ]
    }

    fn stream_events_closed() -> Vec<Event> {
        let mut events = stream_events();
        events.push(ev("message", "last"));
        events
    }

    #[test]
    fn whole_stream() {
        let mut p = Parser::new();
        assert_eq!(p.push(STREAM), stream_events());
        // The final CR ended a line; an LF opening the next chunk belongs to it, a CR does not.
        assert_eq!(p.push(b"\n"), vec![]);
        assert_eq!(p.push(b"\r"), vec![ev("message", "last")]);
    }

    #[test]
    fn every_split_point_gives_the_same_events() {
        let mut closed = STREAM.to_vec();
        closed.extend_from_slice(b"\n\r\n");
        for split in 0..=closed.len() {
            let mut p = Parser::new();
            let mut events = p.push(&closed[..split]);
            events.extend(p.push(&closed[split..]));
            assert_eq!(events, stream_events_closed(), "split at {split}");
        }
    }

    #[test]
    fn every_pair_of_split_points_gives_the_same_events() {
        for first in 0..=STREAM.len() {
            for second in first..=STREAM.len() {
                let mut p = Parser::new();
                let mut events = p.push(&STREAM[..first]);
                events.extend(p.push(&STREAM[first..second]));
                events.extend(p.push(&[]));
                events.extend(p.push(&STREAM[second..]));
                events.extend(p.push(b"\r\n"));
                assert_eq!(events, stream_events_closed(), "split at {first} and {second}");
            }
        }
    }

    #[test]
    fn byte_by_byte_gives_the_same_events() {
        let mut p = Parser::new();
        let events: Vec<Event> = STREAM.iter().chain(b"\r\n").flat_map(|b| p.push(&[*b])).collect();
        assert_eq!(events, stream_events_closed());
        assert_eq!(p.comments(), 1);
    }

    #[test]
    fn a_bom_split_across_chunks_is_still_dropped() {
        let mut p = Parser::new();
        assert!(p.push(b"\xEF").is_empty());
        assert!(p.push(b"\xBB").is_empty());
        assert_eq!(p.push(b"\xBFdata: x\n\n"), vec![ev("message", "x")]);
    }
}
