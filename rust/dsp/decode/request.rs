//! What the caller does with the samples it reads, so that a decoder can leave out the work
//! whose result would be thrown away: the one place that decides how much is decoded.

/// Subbands kept above the highest frequency used (MP3's 32 subbands are `rate / 64` Hz
/// wide): the subband filters overlap their neighbours, and the aliasing of one subband
/// cancels only with its neighbour's, so the one above the last one used is decoded too. The
/// aliasing of that guard subband, uncancelled, lies around its own upper edge: more than half
/// a subband (345 Hz at 44.1 kHz) above the frequency used, where the resampler's filter (at
/// 99.9 % of the target's Nyquist frequency, 130 dB down) or the mel filter bank (at `fmax`)
/// leaves it out. A second guard subband (stop 22's choice) changed the 16 kHz samples of
/// benches' 100 MP3s by nothing measurable (78.5 dB SNR against the full decode both ways)
/// and cost 6 % of the decode.
const GUARD_SUBBANDS: usize = 1;

/// The rates libopus decodes at (its decoder's own rate conversion).
#[cfg_attr(not(feature = "opus"), allow(dead_code))]
const OPUS_RATES: [u32; 5] = [8000, 12000, 16000, 24000, 48000];

/// What a caller will do with the samples it reads. Every pipeline builds one
/// ([`DecodeRequest::new`]) and passes it to the reader; each decoder asks it how much to
/// decode ([`Self::mp3`], [`Self::opus_rate`]). Formats without a reduced decode read
/// everything, and the reader mixes to mono as before.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DecodeRequest {
    /// The channels will be mixed to mono (their mean): a decoder may deliver that mean.
    pub mono: bool,
    /// The highest frequency the caller uses, in Hz: a decoder may leave out (or get
    /// approximately) what lies above it. `None`: every frequency.
    pub max_frequency: Option<f64>,
    /// The rate the caller resamples to, if it does: a decoder may then deliver a lower rate
    /// than the file's, down to this one, where nothing up to `max_frequency` is lost.
    pub resample_to: Option<u32>,
}

impl DecodeRequest {
    /// Everything: every channel, every frequency, at the file's rate (`load(mono=False)`).
    pub const ALL: DecodeRequest = DecodeRequest { mono: false, max_frequency: None, resample_to: None };

    /// For samples mixed to mono if `mono`, resampled to `sr` Hz if given, of which only the
    /// frequencies up to `fmax` Hz are used if given (a mel filter bank's top): the highest
    /// frequency used is the lower of `fmax` and `sr / 2`.
    pub fn new(mono: bool, sr: Option<u32>, fmax: Option<f64>) -> Self {
        let nyquist = sr.map(|sr| f64::from(sr) / 2.0);
        let max_frequency = match (nyquist, fmax.filter(|f| f.is_finite() && *f >= 0.0)) {
            (Some(n), Some(f)) => Some(n.min(f)),
            (n, f) => n.or(f),
        };
        DecodeRequest { mono, max_frequency, resample_to: sr }
    }

    /// How an MP3 stream at `rate` Hz is decoded: `(mono, subbands, decimation)`. The
    /// subbands up to the highest frequency used, and [`GUARD_SUBBANDS`] more; the synthesis
    /// at `1 / decimation` of the rate (2 or 4) where those subbands fit below its Nyquist
    /// frequency and the caller resamples to that rate or lower anyway.
    pub(super) fn mp3(&self, rate: u32) -> (bool, usize, usize) {
        let width = f64::from(rate) / 64.0;
        let bands = match self.max_frequency {
            Some(f) if f < f64::from(rate) / 2.0 => ((f / width).ceil() as usize + GUARD_SUBBANDS).clamp(1, 32),
            _ => 32,
        };
        let lower_rate_ok = |d: u32| self.resample_to.is_some_and(|sr| u64::from(sr) * u64::from(d) <= u64::from(rate));
        let decimation = [4, 2].into_iter().find(|&d| bands <= 32 / d as usize && lower_rate_ok(d)).unwrap_or(1);
        (self.mono, bands, decimation as usize)
    }

    /// The rate an Opus stream is decoded at: the lowest of libopus's rates at or above the
    /// rate the caller resamples to (that rate itself where it is one of them: no resampling
    /// then), else 48 kHz, the format's own.
    #[cfg_attr(not(feature = "opus"), allow(dead_code))]
    pub(super) fn opus_rate(&self) -> u32 {
        match self.resample_to {
            Some(sr) => OPUS_RATES.into_iter().find(|&r| r >= sr).unwrap_or(48_000),
            None => 48_000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mp3_decodes_what_16_khz_mono_features_use() {
        let whisper = DecodeRequest::new(true, Some(16000), None);
        assert_eq!(whisper.max_frequency, Some(8000.0));
        // 44.1 kHz: 689 Hz subbands, 12 to reach 8 kHz, 1 more; synthesised at 22.05 kHz.
        assert_eq!(whisper.mp3(44100), (true, 13, 2));
        assert_eq!(whisper.mp3(48000), (true, 12, 2));
        // 32 kHz: 16 subbands reach 8 kHz; 17 do not fit under 8 kHz, so the full rate.
        assert_eq!(whisper.mp3(32000), (true, 17, 1));
        // A file at 16 kHz or less: every subband.
        assert_eq!(whisper.mp3(16000), (true, 32, 1));
        assert_eq!(whisper.mp3(8000), (true, 32, 1));
        // 8 kHz out of 44.1 kHz: a quarter of the rate.
        assert_eq!(DecodeRequest::new(true, Some(8000), None).mp3(44100), (true, 7, 4));
    }

    #[test]
    fn without_resampling_the_rate_stays_and_fmax_limits_the_subbands() {
        assert_eq!(DecodeRequest::ALL.mp3(44100), (false, 32, 1));
        assert_eq!(DecodeRequest::new(false, None, None).mp3(44100), (false, 32, 1));
        // A mel filter bank up to 4 kHz of a file kept at its 44.1 kHz.
        assert_eq!(DecodeRequest::new(true, None, Some(4000.0)).mp3(44100), (true, 7, 1));
        // Resampling to the file's own rate or above never lowers the rate.
        assert_eq!(DecodeRequest::new(true, Some(44100), Some(4000.0)).mp3(44100), (true, 7, 1));
        // fmax above the target's Nyquist frequency: the latter counts.
        assert_eq!(DecodeRequest::new(true, Some(16000), Some(11025.0)).max_frequency, Some(8000.0));
        // 22.05 kHz needs the subbands up to 11 kHz: all 16 below the half rate and 1 more.
        assert_eq!(DecodeRequest::new(true, Some(22050), None).mp3(44100), (true, 17, 1));
    }

    #[test]
    fn opus_decodes_at_the_target_rate_or_the_next_above() {
        assert_eq!(DecodeRequest::new(true, Some(16000), None).opus_rate(), 16000);
        assert_eq!(DecodeRequest::new(true, Some(22050), None).opus_rate(), 24000);
        assert_eq!(DecodeRequest::new(true, Some(44100), None).opus_rate(), 48000);
        assert_eq!(DecodeRequest::new(true, Some(96000), None).opus_rate(), 48000);
        assert_eq!(DecodeRequest::new(true, None, Some(4000.0)).opus_rate(), 48000);
        assert_eq!(DecodeRequest::ALL.opus_rate(), 48000);
    }
}
