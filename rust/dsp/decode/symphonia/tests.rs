//! Tests of symphonia's reading: panics and failing readers.

use std::io::{Cursor, Read, Seek, SeekFrom};

use super::*;

/// A stream on which symphonia panics, as it may on hostile input.
struct Hostile;

impl Read for Hostile {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        panic!("index out of bounds: the len is 31 but the index is 128")
    }
}

impl Seek for Hostile {
    fn seek(&mut self, _: SeekFrom) -> std::io::Result<u64> {
        Ok(0)
    }
}

#[test]
fn a_panic_inside_symphonia_is_a_decode_error_naming_the_file() {
    let stream = Stream { reader: Box::new(Hostile), len: 4096 };
    let err =
        open(Path::new("voice.m4a"), Some(Format::M4a), stream, &DecodeRequest::ALL, 0.0).err().expect("an error");
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "voice.m4a: cannot decode: corrupt stream (index out of bounds: the len is 31 but the index is 128)"
    );
}

/// A file whose reads fail (as a failing disk's do) past its first `ok` bytes.
struct Failing {
    data: Cursor<Vec<u8>>,
    ok: u64,
}

impl Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.data.position() >= self.ok {
            return Err(std::io::Error::from_raw_os_error(5)); // EIO
        }
        self.data.read(buf)
    }
}

impl Seek for Failing {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.data.seek(pos)
    }
}

#[test]
fn a_reader_that_fails_is_an_io_error() {
    // The M4A's index is at its end: the probe fails; the MP3 fails between packets.
    for (name, format, ok) in [("music.m4a", Format::M4a, 4096), ("music.mp3", Format::Mp3, 64 << 10)] {
        let data = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name)).unwrap();
        let stream = Stream { len: data.len() as u64, reader: Box::new(Failing { data: Cursor::new(data), ok }) };
        let path = Path::new(name);
        let read = open(path, Some(format), stream, &DecodeRequest::ALL, 0.0).and_then(|o| {
            let (mut s, mut out) = (o.stream, Vec::new());
            while s.next_block(path, o.channels, &mut out)? {}
            Ok(())
        });
        let err = read.expect_err("an error");
        assert!(matches!(err, Error::Io { .. }), "{name}: {err:?}");
    }
}
