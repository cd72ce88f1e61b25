//! A zip archive written as a stream: each entry's local header goes out before its data (sizes
//! and CRC follow in a data descriptor), so nothing but the small central directory is kept in
//! memory. Entries are deflated; names are UTF-8; ZIP64 records are added when the archive
//! outgrows the classic format's 4 GiB offsets or 65,535 entries.

use flate2::Compression;
use flate2::write::DeflateEncoder;
use std::io::Write;

const LOCAL_HEADER: u32 = 0x0403_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL_DIRECTORY: u32 = 0x0605_4b50;
const ZIP64_END: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
/// Bit 3: sizes in a data descriptor; bit 11: UTF-8 names.
const FLAGS: u16 = 0x0808;
const DEFLATE: u16 = 8;

struct Finished {
    name: String,
    crc: u32,
    compressed: u64,
    size: u64,
    offset: u64,
}

struct Open {
    name: String,
    offset: u64,
    crc: crc32fast::Hasher,
    size: u64,
    compressed: u64,
    encoder: DeflateEncoder<Vec<u8>>,
}

/// The writer. Each call returns the bytes to send next.
pub struct ZipStream {
    written: u64,
    entries: Vec<Finished>,
    open: Option<Open>,
    dos_time: u16,
    dos_date: u16,
}

#[derive(Debug, thiserror::Error)]
pub enum ZipError {
    #[error("zip entry {0} is larger than 4 GiB")]
    EntryTooLarge(String),
    #[error("zip entries must be written one at a time")]
    Misuse,
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl ZipStream {
    /// Every entry carries `at` as its modification time.
    pub fn new(at: chrono::DateTime<chrono::Utc>) -> Self {
        use chrono::{Datelike, Timelike};
        let year = u16::try_from(at.year().clamp(1980, 2107) - 1980).unwrap_or(0);
        let dos_date = (year << 9) | ((at.month() as u16) << 5) | at.day() as u16;
        let dos_time = ((at.hour() as u16) << 11) | ((at.minute() as u16) << 5) | (at.second() as u16 / 2);
        Self { written: 0, entries: Vec::new(), open: None, dos_time, dos_date }
    }

    fn out(&mut self, bytes: Vec<u8>) -> Vec<u8> {
        self.written += bytes.len() as u64;
        bytes
    }

    /// Starts an entry: its local header.
    pub fn start(&mut self, name: &str) -> Result<Vec<u8>, ZipError> {
        if self.open.is_some() {
            return Err(ZipError::Misuse);
        }
        let mut h = Vec::with_capacity(30 + name.len());
        h.extend(LOCAL_HEADER.to_le_bytes());
        h.extend(20u16.to_le_bytes());
        h.extend(FLAGS.to_le_bytes());
        h.extend(DEFLATE.to_le_bytes());
        h.extend(self.dos_time.to_le_bytes());
        h.extend(self.dos_date.to_le_bytes());
        h.extend([0u8; 12]); // CRC and sizes: in the data descriptor
        h.extend((name.len() as u16).to_le_bytes());
        h.extend(0u16.to_le_bytes());
        h.extend(name.as_bytes());
        self.open = Some(Open {
            name: name.to_string(),
            offset: self.written,
            crc: crc32fast::Hasher::new(),
            size: 0,
            compressed: 0,
            encoder: DeflateEncoder::new(Vec::new(), Compression::default()),
        });
        Ok(self.out(h))
    }

    /// Appends to the open entry; returns the compressed bytes ready so far.
    pub fn write(&mut self, data: &[u8]) -> Result<Vec<u8>, ZipError> {
        let open = self.open.as_mut().ok_or(ZipError::Misuse)?;
        open.crc.update(data);
        open.size += data.len() as u64;
        if open.size > u64::from(u32::MAX) {
            return Err(ZipError::EntryTooLarge(open.name.clone()));
        }
        open.encoder.write_all(data)?;
        let ready = std::mem::take(open.encoder.get_mut());
        open.compressed += ready.len() as u64;
        Ok(self.out(ready))
    }

    /// Ends the open entry: the rest of its data and its descriptor.
    pub fn finish_entry(&mut self) -> Result<Vec<u8>, ZipError> {
        let open = self.open.take().ok_or(ZipError::Misuse)?;
        let mut tail = open.encoder.finish()?;
        let compressed = open.compressed + tail.len() as u64;
        if compressed > u64::from(u32::MAX) {
            return Err(ZipError::EntryTooLarge(open.name));
        }
        let crc = open.crc.finalize();
        tail.extend(DATA_DESCRIPTOR.to_le_bytes());
        tail.extend(crc.to_le_bytes());
        tail.extend((compressed as u32).to_le_bytes());
        tail.extend((open.size as u32).to_le_bytes());
        self.entries.push(Finished { name: open.name, crc, compressed, size: open.size, offset: open.offset });
        Ok(self.out(tail))
    }

    /// A whole entry at once.
    pub fn entry(&mut self, name: &str, data: &[u8]) -> Result<Vec<u8>, ZipError> {
        let mut out = self.start(name)?;
        out.extend(self.write(data)?);
        out.extend(self.finish_entry()?);
        Ok(out)
    }

    /// The central directory and end records.
    pub fn finish(mut self) -> Result<Vec<u8>, ZipError> {
        if self.open.is_some() {
            return Err(ZipError::Misuse);
        }
        let directory_offset = self.written;
        let mut d = Vec::new();
        for e in &self.entries {
            let far = e.offset >= u64::from(u32::MAX);
            d.extend(CENTRAL_HEADER.to_le_bytes());
            d.extend((0x0300u16 | if far { 45 } else { 20 }).to_le_bytes()); // made by: Unix
            d.extend((if far { 45u16 } else { 20 }).to_le_bytes());
            d.extend(FLAGS.to_le_bytes());
            d.extend(DEFLATE.to_le_bytes());
            d.extend(self.dos_time.to_le_bytes());
            d.extend(self.dos_date.to_le_bytes());
            d.extend(e.crc.to_le_bytes());
            d.extend((e.compressed as u32).to_le_bytes());
            d.extend((e.size as u32).to_le_bytes());
            d.extend((e.name.len() as u16).to_le_bytes());
            d.extend((if far { 12u16 } else { 0 }).to_le_bytes());
            d.extend(0u16.to_le_bytes()); // comment
            d.extend(0u16.to_le_bytes()); // disk
            d.extend(0u16.to_le_bytes()); // internal attributes
            d.extend((0o100644u32 << 16).to_le_bytes()); // a regular file, rw-r--r--
            d.extend((if far { u32::MAX } else { e.offset as u32 }).to_le_bytes());
            d.extend(e.name.as_bytes());
            if far {
                d.extend(1u16.to_le_bytes());
                d.extend(8u16.to_le_bytes());
                d.extend(e.offset.to_le_bytes());
            }
        }
        let count = self.entries.len() as u64;
        let size = d.len() as u64;
        let zip64 = count >= 0xFFFF || directory_offset >= u64::from(u32::MAX) || size >= u64::from(u32::MAX);
        if zip64 {
            let end64_offset = directory_offset + size;
            d.extend(ZIP64_END.to_le_bytes());
            d.extend(44u64.to_le_bytes());
            d.extend(45u16.to_le_bytes());
            d.extend(45u16.to_le_bytes());
            d.extend(0u32.to_le_bytes());
            d.extend(0u32.to_le_bytes());
            d.extend(count.to_le_bytes());
            d.extend(count.to_le_bytes());
            d.extend(size.to_le_bytes());
            d.extend(directory_offset.to_le_bytes());
            d.extend(ZIP64_LOCATOR.to_le_bytes());
            d.extend(0u32.to_le_bytes());
            d.extend(end64_offset.to_le_bytes());
            d.extend(1u32.to_le_bytes());
        }
        let short = |v: u64| if zip64 { u16::MAX } else { v as u16 };
        let long = |v: u64| if zip64 { u32::MAX } else { v as u32 };
        d.extend(END_OF_CENTRAL_DIRECTORY.to_le_bytes());
        d.extend(0u16.to_le_bytes());
        d.extend(0u16.to_le_bytes());
        d.extend(short(count).to_le_bytes());
        d.extend(short(count).to_le_bytes());
        d.extend(long(size).to_le_bytes());
        d.extend(long(directory_offset).to_le_bytes());
        d.extend(0u16.to_le_bytes());
        Ok(self.out(d))
    }
}
