//! What an audio file is, from its first bytes: the one place the container signatures are
//! written. The readers use it to choose a decoder and to word errors (a cut-off MP3 is
//! corrupt, random bytes are not audio); callers get the format's name back.

use symphonia::core::codecs::audio::{well_known as codecs, AudioCodecId};

/// A container or stream format that is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Wav,
    Mp3,
    Ogg,
    Flac,
    /// Raw AAC in ADTS frames.
    Aac,
    /// MPEG-4 audio with an M4A/M4B brand.
    M4a,
    /// Any other MPEG-4 file (ISO base media).
    Mp4,
    /// WebM: Matroska as browsers record it (Opus or Vorbis).
    Webm,
    /// Any other Matroska file.
    Matroska,
    /// A stream symphonia found although its first bytes name no format (e.g. MPEG frames
    /// after junk).
    Other,
}

impl Format {
    /// The short lower-case name: "wav", "mp3", "ogg", "flac", "aac", "m4a", "mp4", "webm",
    /// "mka" (or "audio").
    pub fn name(self) -> &'static str {
        match self {
            Format::Wav => "wav",
            Format::Mp3 => "mp3",
            Format::Ogg => "ogg",
            Format::Flac => "flac",
            Format::Aac => "aac",
            Format::M4a => "m4a",
            Format::Mp4 => "mp4",
            Format::Webm => "webm",
            Format::Matroska => "mka",
            Format::Other => "audio",
        }
    }

    /// The format a stream of `codec` most likely came in, when its first bytes did not say.
    pub(super) fn of_codec(codec: AudioCodecId) -> Self {
        match codec {
            codecs::CODEC_ID_MP3 | codecs::CODEC_ID_MP2 | codecs::CODEC_ID_MP1 => Format::Mp3,
            codecs::CODEC_ID_AAC => Format::Aac,
            codecs::CODEC_ID_FLAC => Format::Flac,
            codecs::CODEC_ID_VORBIS => Format::Ogg,
            _ => Format::Other,
        }
    }
}

/// The format whose signature `head` (the first bytes of a file) starts with, if any.
pub fn sniff(head: &[u8]) -> Option<Format> {
    let at = |i: usize, magic: &[u8]| head.get(i..i + magic.len()) == Some(magic);
    // RIFF WAVE, or its 64-bit form RF64.
    if (at(0, b"RIFF") || at(0, b"RF64")) && at(8, b"WAVE") {
        return Some(Format::Wav);
    }
    if at(0, b"fLaC") {
        return Some(Format::Flac);
    }
    if at(0, b"OggS") {
        return Some(Format::Ogg);
    }
    if at(0, b"\x1a\x45\xdf\xa3") {
        // An EBML header; its DocType says "webm" or "matroska" in the first few dozen bytes.
        let webm = head[..head.len().min(64)].windows(4).any(|w| w == b"webm");
        return Some(if webm { Format::Webm } else { Format::Matroska });
    }
    if at(4, b"ftyp") {
        return Some(if at(8, b"M4A ") || at(8, b"M4B ") { Format::M4a } else { Format::Mp4 });
    }
    if at(0, b"ID3") && head.len() >= 10 {
        // An ID3v2 tag (its size is syncsafe: 7 bits a byte) before MPEG or ADTS frames; FLAC
        // may follow one too.
        let size = head[6..10].iter().fold(0usize, |s, &b| s << 7 | usize::from(b & 0x7F));
        let rest = head.get(10 + size..).unwrap_or_default();
        return Some(if rest.len() >= 4 { sniff(rest).unwrap_or(Format::Mp3) } else { Format::Mp3 });
    }
    match head {
        // 12-bit sync and layer 00: ADTS.
        [0xFF, b, ..] if b & 0xF6 == 0xF0 => Some(Format::Aac),
        // 11-bit sync and layer I, II or III: MPEG audio.
        [0xFF, b, ..] if b & 0xE0 == 0xE0 && b & 0x06 != 0 => Some(Format::Mp3),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures() {
        let cases: [(&[u8], Option<Format>); 13] = [
            (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", Some(Format::Webm)),
            (b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", Some(Format::Matroska)),
            (b"RIFF\0\0\0\0WAVEfmt ", Some(Format::Wav)),
            (b"RIFF\0\0\0\0AVI LIST", None),
            (b"fLaC\0\0\0\x22", Some(Format::Flac)),
            (b"OggS\0\x02", Some(Format::Ogg)),
            (b"\0\0\0\x20ftypM4A \0\0\0\0", Some(Format::M4a)),
            (b"\0\0\0\x20ftypisom\0\0\0\0", Some(Format::Mp4)),
            (b"ID3\x04\0\0\0\0\0\x02ab\xFF\xFB\x90\x00", Some(Format::Mp3)),
            (b"ID3\x04\0\0\0\0\0\x00fLaC", Some(Format::Flac)),
            (b"\xFF\xF1\x50\x80", Some(Format::Aac)),
            (b"\xFF\xFB\x90\x00", Some(Format::Mp3)),
            (b"\x89PNG\r\n\x1a\n", None),
        ];
        for (head, want) in cases {
            assert_eq!(sniff(head), want, "{head:?}");
        }
    }
}
