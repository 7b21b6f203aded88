//! Safe Rust port of the Layer III decoder from [minimp3](https://github.com/lieff/minimp3).
//!
//! The code deliberately mirrors the structure of `minimp3.h` (function names
//! are snake_case versions of the C ones) so the two can be read side by side.
//! Every floating-point expression is evaluated in the same order as in C, which
//! keeps the output bit-identical to upstream built with `MINIMP3_ONLY_MP3`,
//! `MINIMP3_FLOAT_OUTPUT` and `MINIMP3_NO_SIMD`; `parity/` checks this.

// Float literals are spelled exactly as in minimp3.h. Rounding them or swapping
// in `core::f32::consts` could change results and break bit-exactness.
#![allow(clippy::excessive_precision, clippy::approx_constant)]
// Index loops mirror the C and keep parallel arrays visibly in step.
#![allow(clippy::needless_range_loop)]

mod lanes;
mod tables;
use lanes::{Lanes, F4};
use tables::*;

const HDR_SIZE: usize = 4;
const MAX_FREE_FORMAT_FRAME_SIZE: usize = 2304;
const MAX_FRAME_SYNC_MATCHES: usize = 10;
const MAX_BITRESERVOIR_BYTES: usize = 511;
const MAX_L3_FRAME_PAYLOAD_BYTES: usize = MAX_FREE_FORMAT_FRAME_SIZE;
const SHORT_BLOCK_TYPE: u8 = 2;
const STOP_BLOCK_TYPE: u8 = 3;
/// `MAX_SCFI` in C: `(255 + BITS_DEQUANTIZER_OUT*4 - 210 + 3) & ~3` with `BITS_DEQUANTIZER_OUT = -1`.
const MAX_SCFI: i32 = (255 - 4 - 210 + 3) & !3;

/// The synthesis works at 16-bit scale (full scale is ±32768); samples come out as `f32`
/// divided by 32768, so nominally in `[-1.0, 1.0]`, not clipped (nanomp3's `f32` output,
/// identical to minimp3's `MINIMP3_FLOAT_OUTPUT`).
#[inline(always)]
fn from_synth(x: f32) -> f32 {
    x * (1.0 / 32768.0)
}

/// Information about a decoded frame (`mp3dec_frame_info_t`).
#[derive(Copy, Clone, Default, Debug)]
pub struct FrameInfo {
    pub frame_bytes: usize,
    pub frame_offset: usize,
    pub channels: u8,
    pub hz: u32,
    pub layer: u8,
    pub bitrate_kbps: u32,
    /// Why the last call produced the samples it did. Not part of C's struct.
    pub status: Status,
}

/// The outcome of `mp3dec_decode_frame`, which C only conveys as "0 samples".
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq)]
pub enum Status {
    /// Samples were decoded.
    Decoded,
    /// No frame was found; `frame_bytes` bytes of junk were skipped.
    #[default]
    NoFrame,
    /// Only the header was parsed (`pcm == None`).
    HeaderOnly,
    /// The frame's side info or bitstream is invalid; the decoder resyncs.
    Corrupt,
    /// The frame needs bit-reservoir bytes from frames that weren't decoded.
    ReservoirUnavailable,
    /// A Layer I/II frame, and the `layer12` feature is off.
    UnsupportedLayer,
}

/// Persistent decoder state (`mp3dec_t`).
#[derive(Clone)]
struct State {
    mdct_overlap: [[f32; 9 * 32]; 2],
    qmf_state: [f32; 15 * 2 * 32],
    reserv: i32,
    free_format_bytes: usize,
    header: [u8; 4],
    reserv_buf: [u8; MAX_BITRESERVOIR_BYTES],
    /// Mono mixing ([`Reduction::mono`]): the overlap of the IMDCT is held for the mix of the
    /// channels in `mdct_overlap[0]` (true), or per channel (false). Not in minimp3.
    merged: bool,
}

impl State {
    const fn new() -> Self {
        Self {
            mdct_overlap: [[0.; 9 * 32]; 2],
            qmf_state: [0.; 15 * 2 * 32],
            reserv: 0,
            free_format_bytes: 0,
            header: [0; 4],
            reserv_buf: [0; MAX_BITRESERVOIR_BYTES],
            merged: false,
        }
    }
}

/// Per-frame working memory (`mp3dec_scratch_t`). Unlike C, it lives in the
/// decoder rather than on the stack so it doesn't have to be re-initialized for
/// every frame; only the parts C might read before writing are cleared.
#[derive(Clone)]
struct Scratch {
    grbuf: [[f32; 576]; 2],
    /// The mono mix of granule 0, kept while granule 1 is decoded; and the interleaved
    /// output of their synthesis in one pass ([`mp3d_synth_granule_pair_mono`]). Not in
    /// minimp3.
    mono: [f32; 576],
    pair: [f32; 1152],
    scf: [f32; 40],
    syn: [[f32; 4]; SYN_ROWS],
    ist_pos: [[u8; 39]; 2],
}

/// The decoder: persistent state plus scratch memory.
#[derive(Clone)]
pub struct Mp3Dec {
    st: State,
    scratch: Scratch,
    maindata: [u8; MAX_BITRESERVOIR_BYTES + MAX_L3_FRAME_PAYLOAD_BYTES],
}

impl Mp3Dec {
    pub const fn new() -> Self {
        Self {
            st: State::new(),
            scratch: Scratch {
                grbuf: [[0.; 576]; 2],
                mono: [0.; 576],
                pair: [0.; 1152],
                scf: [0.; 40],
                syn: [[0.; 4]; SYN_ROWS],
                ist_pos: [[0; 39]; 2],
            },
            maindata: [0; MAX_BITRESERVOIR_BYTES + MAX_L3_FRAME_PAYLOAD_BYTES],
        }
    }
}

#[derive(Copy, Clone, Default)]
struct GrInfo {
    sfbtab: &'static [u8],
    part_23_length: u16,
    big_values: u16,
    scalefac_compress: u16,
    global_gain: u8,
    block_type: u8,
    mixed_block_flag: u8,
    n_long_sfb: u8,
    n_short_sfb: u8,
    table_select: [u8; 3],
    region_count: [u8; 3],
    subblock_gain: [u8; 3],
    preflag: u8,
    scalefac_scale: u8,
    count1_table: u8,
    scfsi: u8,
}

/// Bit reader (`bs_t`). Positions are signed like in C: the limit of a
/// malformed tiny frame can be negative, and `pos` keeps advancing past the
/// limit so callers can detect overruns.
struct Bs<'a> {
    buf: &'a [u8],
    pos: i32,
    limit: i32,
}

impl<'a> Bs<'a> {
    fn new(buf: &'a [u8], bytes: i32) -> Self {
        Self { buf, pos: 0, limit: bytes * 8 }
    }

    fn get_bits(&mut self, n: u32) -> u32 {
        let s = (self.pos & 7) as u32;
        let mut p = (self.pos >> 3) as usize;
        self.pos += n as i32;
        if self.pos > self.limit {
            return 0;
        }
        // Not in minimp3: eight bytes at once where the buffer has them (n + s <= 39 bits).
        if let Some(word) = self.buf.get(p..p + 8) {
            let word = u64::from_be_bytes(word.try_into().expect("eight bytes"));
            return (word << s >> 1 >> (63 - n)) as u32;
        }
        // In bounds: every byte read lies below `limit`, and `limit` never
        // exceeds the buffer.
        let mut shl = (n + s) as i32;
        let mut next = u32::from(self.buf[p] & (255 >> s));
        p += 1;
        let mut cache = 0;
        loop {
            shl -= 8;
            if shl <= 0 {
                break;
            }
            cache |= next << shl;
            next = u32::from(self.buf[p]);
            p += 1;
        }
        cache | (next >> -shl)
    }
}

/// A 4-byte frame header.
#[derive(Copy, Clone)]
pub struct Header(pub [u8; 4]);

impl Header {
    pub fn read(buf: &[u8]) -> Self {
        Self([buf[0], buf[1], buf[2], buf[3]])
    }
    pub fn is_mono(self) -> bool {
        self.0[3] & 0xC0 == 0xC0
    }
    fn is_ms_stereo(self) -> bool {
        self.0[3] & 0xE0 == 0x60
    }
    fn is_free_format(self) -> bool {
        self.0[2] & 0xF0 == 0
    }
    pub fn is_crc(self) -> bool {
        self.0[1] & 1 == 0
    }
    fn test_padding(self) -> bool {
        self.0[2] & 0x2 != 0
    }
    fn test_mpeg1(self) -> bool {
        self.0[1] & 0x8 != 0
    }
    fn test_not_mpeg25(self) -> bool {
        self.0[1] & 0x10 != 0
    }
    fn test_i_stereo(self) -> bool {
        self.0[3] & 0x10 != 0
    }
    fn test_ms_stereo(self) -> bool {
        self.0[3] & 0x20 != 0
    }
    pub fn get_layer(self) -> u8 {
        (self.0[1] >> 1) & 3
    }
    fn get_bitrate(self) -> u8 {
        self.0[2] >> 4
    }
    fn get_sample_rate(self) -> u8 {
        (self.0[2] >> 2) & 3
    }
    fn get_my_sample_rate(self) -> usize {
        let h1 = self.0[1];
        (self.get_sample_rate() + (((h1 >> 3) & 1) + ((h1 >> 4) & 1)) * 3) as usize
    }
    fn is_frame_576(self) -> bool {
        self.0[1] & 14 == 2
    }
    fn is_layer_1(self) -> bool {
        self.0[1] & 6 == 6
    }

    pub fn valid(self) -> bool {
        let h = self.0;
        h[0] == 0xff
            && (h[1] & 0xF0 == 0xf0 || h[1] & 0xFE == 0xe2)
            && self.get_layer() != 0
            && self.get_bitrate() != 15
            && self.get_sample_rate() != 3
    }

    /// `hdr_compare(self, other)`: is `other` a valid header for the same stream?
    pub fn compare(self, other: Header) -> bool {
        let (h1, h2) = (self.0, other.0);
        other.valid()
            && (h1[1] ^ h2[1]) & 0xFE == 0
            && (h1[2] ^ h2[2]) & 0x0C == 0
            && self.is_free_format() == other.is_free_format()
    }

    pub fn bitrate_kbps(self) -> u32 {
        2 * u32::from(
            HDR_BITRATE_KBPS_HALFRATE[self.test_mpeg1() as usize][self.get_layer() as usize - 1]
                [self.get_bitrate() as usize],
        )
    }

    pub fn sample_rate_hz(self) -> u32 {
        HDR_SAMPLE_RATE_HZ_G_HZ[self.get_sample_rate() as usize]
            >> !self.test_mpeg1() as u32
            >> !self.test_not_mpeg25() as u32
    }

    pub fn frame_samples(self) -> u32 {
        if self.is_layer_1() {
            384
        } else {
            1152 >> self.is_frame_576() as u32
        }
    }

    pub fn frame_bytes(self, free_format_size: usize) -> usize {
        let mut frame_bytes = (self.frame_samples() * self.bitrate_kbps() * 125 / self.sample_rate_hz()) as usize;
        if self.is_layer_1() {
            frame_bytes &= !3; // slot align
        }
        if frame_bytes != 0 {
            frame_bytes
        } else {
            free_format_size
        }
    }

    pub fn padding(self) -> usize {
        if self.test_padding() {
            if self.is_layer_1() {
                4
            } else {
                1
            }
        } else {
            0
        }
    }
}

fn l3_read_side_info(bs: &mut Bs, gr: &mut [GrInfo; 4], hdr: Header) -> i32 {
    let mut scfsi: u32 = 0;
    let mut part_23_sum: i32 = 0;
    let mut sr_idx = hdr.get_my_sample_rate();
    sr_idx -= (sr_idx != 0) as usize;
    let mut gr_count = if hdr.is_mono() { 1 } else { 2 };
    let main_data_begin;
    if hdr.test_mpeg1() {
        gr_count *= 2;
        main_data_begin = bs.get_bits(9) as i32;
        scfsi = bs.get_bits(7 + gr_count);
    } else {
        main_data_begin = (bs.get_bits(8 + gr_count) >> gr_count) as i32;
    }

    for gr in &mut gr[..gr_count as usize] {
        if hdr.is_mono() {
            scfsi <<= 4;
        }
        gr.part_23_length = bs.get_bits(12) as u16;
        part_23_sum += i32::from(gr.part_23_length);
        gr.big_values = bs.get_bits(9) as u16;
        if gr.big_values > 288 {
            return -1;
        }
        gr.global_gain = bs.get_bits(8) as u8;
        gr.scalefac_compress = bs.get_bits(if hdr.test_mpeg1() { 4 } else { 9 }) as u16;
        gr.sfbtab = &L3_READ_SIDE_INFO_G_SCF_LONG[sr_idx];
        gr.n_long_sfb = 22;
        gr.n_short_sfb = 0;
        let tables;
        if bs.get_bits(1) != 0 {
            gr.block_type = bs.get_bits(2) as u8;
            if gr.block_type == 0 {
                return -1;
            }
            gr.mixed_block_flag = bs.get_bits(1) as u8;
            gr.region_count[0] = 7;
            gr.region_count[1] = 255;
            if gr.block_type == SHORT_BLOCK_TYPE {
                scfsi &= 0x0F0F;
                if gr.mixed_block_flag == 0 {
                    gr.region_count[0] = 8;
                    gr.sfbtab = &L3_READ_SIDE_INFO_G_SCF_SHORT[sr_idx];
                    gr.n_long_sfb = 0;
                    gr.n_short_sfb = 39;
                } else {
                    gr.sfbtab = &L3_READ_SIDE_INFO_G_SCF_MIXED[sr_idx];
                    gr.n_long_sfb = if hdr.test_mpeg1() { 8 } else { 6 };
                    gr.n_short_sfb = 30;
                }
            }
            tables = bs.get_bits(10) << 5;
            gr.subblock_gain[0] = bs.get_bits(3) as u8;
            gr.subblock_gain[1] = bs.get_bits(3) as u8;
            gr.subblock_gain[2] = bs.get_bits(3) as u8;
        } else {
            gr.block_type = 0;
            gr.mixed_block_flag = 0;
            tables = bs.get_bits(15);
            gr.region_count[0] = bs.get_bits(4) as u8;
            gr.region_count[1] = bs.get_bits(3) as u8;
            gr.region_count[2] = 255;
        }
        gr.table_select[0] = (tables >> 10) as u8;
        gr.table_select[1] = ((tables >> 5) & 31) as u8;
        gr.table_select[2] = (tables & 31) as u8;
        gr.preflag = if hdr.test_mpeg1() { bs.get_bits(1) as u8 } else { (gr.scalefac_compress >= 500) as u8 };
        gr.scalefac_scale = bs.get_bits(1) as u8;
        gr.count1_table = bs.get_bits(1) as u8;
        gr.scfsi = ((scfsi >> 12) & 15) as u8;
        scfsi <<= 4;
    }

    if part_23_sum + bs.pos > bs.limit + main_data_begin * 8 {
        return -1;
    }
    main_data_begin
}

fn l3_read_scalefactors(
    scf: &mut [u8; 40],
    ist_pos: &mut [u8; 39],
    scf_size: &[u8; 4],
    scf_count: &[u8],
    bitbuf: &mut Bs,
    mut scfsi: i32,
) {
    let mut pos = 0;
    for i in 0..4 {
        let cnt = scf_count[i] as usize;
        if cnt == 0 {
            break;
        }
        let scf = &mut scf[pos..pos + cnt];
        let ist_pos = &mut ist_pos[pos..pos + cnt];
        if scfsi & 8 != 0 {
            scf.copy_from_slice(ist_pos);
        } else {
            let bits = u32::from(scf_size[i]);
            if bits == 0 {
                scf.fill(0);
                ist_pos.fill(0);
            } else {
                let max_scf = if scfsi < 0 { (1 << bits) - 1 } else { -1 };
                for (scf, ist_pos) in scf.iter_mut().zip(ist_pos) {
                    let s = bitbuf.get_bits(bits) as i32;
                    *ist_pos = if s == max_scf { -1i32 as u8 } else { s as u8 };
                    *scf = s as u8;
                }
            }
        }
        pos += cnt;
        scfsi *= 2;
    }
    scf[pos..pos + 3].fill(0);
}

/// `y * 2^(-exp_q2 / 4)` (`exp_q2 >= 0`), by factors of at most `2^-30` as minimp3 takes them:
/// each factor, `g_expfrac[e & 3] * (1 << 30 >> (e >> 2))`, from a table (not in minimp3,
/// which computes it each time; the same value).
fn l3_ldexp_q2(mut y: f32, mut exp_q2: i32) -> f32 {
    static FACTORS: std::sync::OnceLock<[f32; 121]> = std::sync::OnceLock::new();
    let factors =
        FACTORS.get_or_init(|| std::array::from_fn(|e| L3_LDEXP_Q2_G_EXPFRAC[e & 3] * ((1 << 30 >> (e >> 2)) as f32)));
    loop {
        let e = (30 * 4).min(exp_q2);
        y *= factors[e as usize];
        exp_q2 -= e;
        if exp_q2 <= 0 {
            return y;
        }
    }
}

fn l3_decode_scalefactors(
    hdr: Header,
    ist_pos: &mut [u8; 39],
    bs: &mut Bs,
    gr: &GrInfo,
    scf: &mut [f32; 40],
    ch: usize,
) {
    let mut scf_partition: &[u8] =
        &L3_DECODE_SCALEFACTORS_G_SCM_PARTITIONS[(gr.n_short_sfb != 0) as usize + (gr.n_long_sfb == 0) as usize];
    let mut scf_size = [0u8; 4];
    let mut iscf = [0u8; 40];
    let scf_shift = u32::from(gr.scalefac_scale) + 1;
    let mut scfsi = i32::from(gr.scfsi);

    if hdr.test_mpeg1() {
        let part = L3_DECODE_SCALEFACTORS_G_SCFC_DECODE[gr.scalefac_compress as usize];
        scf_size[0] = part >> 2;
        scf_size[1] = scf_size[0];
        scf_size[2] = part & 3;
        scf_size[3] = scf_size[2];
    } else {
        let ist = (hdr.test_i_stereo() && ch != 0) as usize;
        let mut sfc = i32::from(gr.scalefac_compress) >> ist;
        let mut k = ist * 3 * 4;
        while sfc >= 0 {
            let mut modprod = 1;
            for i in (0..4).rev() {
                let m = i32::from(L3_DECODE_SCALEFACTORS_G_MOD[k + i]);
                scf_size[i] = (sfc / modprod % m) as u8;
                modprod *= m;
            }
            sfc -= modprod;
            k += 4;
        }
        scf_partition = &scf_partition[k..];
        scfsi = -16;
    }
    l3_read_scalefactors(&mut iscf, ist_pos, &scf_size, scf_partition, bs, scfsi);

    let n_long = gr.n_long_sfb as usize;
    let n_short = gr.n_short_sfb as usize;
    if n_short != 0 {
        let sh = 3 - scf_shift;
        for i in (0..n_short).step_by(3) {
            for j in 0..3 {
                let v = &mut iscf[n_long + i + j];
                *v = v.wrapping_add(gr.subblock_gain[j] << sh);
            }
        }
    } else if gr.preflag != 0 {
        for (v, &p) in iscf[11..21].iter_mut().zip(&L3_DECODE_SCALEFACTORS_G_PREAMP) {
            *v = v.wrapping_add(p);
        }
    }

    let gain_exp = i32::from(gr.global_gain) - 4 - 210 - if hdr.is_ms_stereo() { 2 } else { 0 };
    let gain = l3_ldexp_q2((1 << (MAX_SCFI / 4)) as f32, MAX_SCFI - gain_exp);
    for (scf, &iscf) in scf.iter_mut().zip(&iscf).take(n_long + n_short) {
        *scf = l3_ldexp_q2(gain, i32::from(iscf) << scf_shift);
    }
}

fn l3_pow_43(mut x: i32) -> f32 {
    let mut mult = 256;
    if x < 129 {
        return G_POW43[(16 + x) as usize];
    }
    if x < 1024 {
        mult = 16;
        x <<= 3;
    }
    let sign = (2 * x) & 64;
    let frac = ((x & 63) - sign) as f32 / ((x & !63) + sign) as f32;
    G_POW43[(16 + ((x + sign) >> 6)) as usize] * (1.0 + frac * ((4.0 / 3.0) + frac * (2.0 / 9.0))) * mult as f32
}

/// The Huffman decoder's look-ahead cache: the next bits of the stream, most significant first,
/// `bits` of them valid (56 to 63 after [`BitCache::check`]; the bits below them are the
/// stream's next bits or zeros). Bytes past the end of the buffer read as zero: a corrupt
/// `big_values` can make the decoder run past the granule's data, which C tolerates by reading
/// neighbouring memory. Not minimp3's 32-bit cache refilled a byte at a time (a loop whose trip
/// count the branch predictor misses): eight bytes are loaded at once and as many whole bytes
/// kept as fit, without a loop (Giesen, "Reading bits in far too many ways", variant 4). A
/// pair of values with linbits takes at most 19 + 2 * (13 + 1) = 47 bits, so one refill per
/// pair is enough.
struct BitCache<'a> {
    buf: &'a [u8],
    /// The first byte not yet in the cache.
    next: usize,
    cache: u64,
    bits: u32,
}

impl<'a> BitCache<'a> {
    /// The bits of `buf` from bit `pos` on.
    fn at(buf: &'a [u8], pos: i32) -> Self {
        let mut br = BitCache { buf, next: (pos / 8) as usize, cache: 0, bits: 0 };
        br.check();
        br.flush((pos & 7) as u32);
        br
    }

    #[inline(always)]
    fn byte(&self, i: usize) -> u64 {
        self.buf.get(i).copied().map_or(0, u64::from)
    }

    /// The next `n` bits (1 to 32).
    #[inline(always)]
    fn peek(&self, n: u32) -> u32 {
        (self.cache >> (64 - n)) as u32
    }

    /// The `n` bits (1 to 32) after the next `skip`.
    #[inline(always)]
    fn peek_after(&self, skip: u32, n: u32) -> u32 {
        (self.cache << skip >> (64 - n)) as u32
    }

    /// The next bit.
    #[inline(always)]
    fn top_bit(&self) -> u32 {
        (self.cache >> 63) as u32
    }

    #[inline(always)]
    fn flush(&mut self, n: u32) {
        self.cache <<= n;
        self.bits -= n;
    }

    /// Refills the cache to at least 56 valid bits.
    #[inline(always)]
    fn check(&mut self) {
        match self.buf.get(self.next..self.next + 8) {
            Some(word) => {
                let word = u64::from_be_bytes(word.try_into().expect("eight bytes"));
                self.cache |= word >> self.bits;
                let bytes = (63 - self.bits) >> 3;
                self.next += bytes as usize;
                self.bits += 8 * bytes;
            }
            None => {
                while self.bits <= 56 {
                    self.cache |= self.byte(self.next) << (56 - self.bits);
                    self.next += 1;
                    self.bits += 8;
                }
            }
        }
    }

    /// Current bit position (`BSPOS` in C).
    fn pos(&self) -> i32 {
        self.next as i32 * 8 - self.bits as i32
    }
}

/// minimp3's walk of a Huffman codebook: the leaf (`len << 8 | y << 4 | x`, `len` the bits of
/// its last step) of the code at the front of `br`, whose bits are flushed: a 5-bit lookup,
/// then a lookup of a few more bits in a subtable while the entry points to one.
#[inline(always)]
fn l3_walk(br: &mut BitCache, codebook: &[i16]) -> i32 {
    let mut w = 5;
    let mut leaf = i32::from(codebook[br.peek(w) as usize]);
    while leaf < 0 {
        br.flush(w);
        w = (leaf & 7) as u32;
        leaf = i32::from(codebook[br.peek(w).wrapping_sub((leaf >> 3) as u32) as usize]);
    }
    br.flush((leaf >> 8) as u32);
    leaf
}

/// Bits of the first lookup of a big-values pair ([`first_lookups`]; at most 16).
const FIRST_BITS: u32 = 10;

/// For each of the 32 big-values tables, what the next [`FIRST_BITS`] bits of the stream say
/// at once: the code they begin with, as `total_len << 8 | y << 4 | x`, where the code has at
/// most that many bits, else -1 (the code is then walked by [`l3_walk`]). Not in minimp3,
/// whose walk takes a step, a table load and a branch the predictor often misses, per 5 bits
/// or fewer; made once from minimp3's codebooks by that walk itself, so the values are its.
fn first_lookups() -> &'static [[i16; 1 << FIRST_BITS]; 32] {
    static TABLES: std::sync::OnceLock<Box<[[i16; 1 << FIRST_BITS]; 32]>> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let mut tables = Box::new([[-1i16; 1 << FIRST_BITS]; 32]);
        for (table, first) in tables.iter_mut().enumerate() {
            let codebook = &L3_HUFFMAN_TABS[L3_HUFFMAN_TABINDEX[table] as usize..];
            for (prefix, entry) in first.iter_mut().enumerate() {
                // The code read with the prefix followed by zeros and by ones: where it ends
                // within the prefix, both give its leaf.
                let walk = |fill: u8| {
                    // The prefix in the top FIRST_BITS bits of two bytes, `fill`'s bits after it.
                    let rest = (1u16 << (16 - FIRST_BITS)) - 1;
                    let head = (prefix as u16) << (16 - FIRST_BITS) | (u16::from(fill) & rest);
                    let [a, b] = head.to_be_bytes();
                    let bytes = [a, b, fill, fill, fill, fill, fill, fill, fill];
                    let mut br = BitCache::at(&bytes, 0);
                    let leaf = l3_walk(&mut br, codebook);
                    (br.pos(), leaf & 0xFF)
                };
                let ((len, leaf), other) = (walk(0), walk(0xFF));
                if len <= FIRST_BITS as i32 && (len, leaf) == other {
                    *entry = (len << 8 | leaf) as i16;
                }
            }
        }
        tables
    })
}

/// For each big-values table, what the next [`FIRST_BITS`] bits say where they hold a whole
/// code and its sign bits, and neither value is an escape (15 in a table with linbits):
/// `total_len << 10 | iy << 5 | ix`, with `ix` the index into `G_POW43` of the first value
/// with its sign (`16 + x - 16 * sign`, 16 for a zero, which has no sign bit), `iy` the
/// second's, `total_len` the bits of the code and signs; else -1. Made from
/// [`first_lookups`]. Not in minimp3: a pair is then one lookup and one flush.
fn signed_lookups() -> &'static [[i16; 1 << FIRST_BITS]; 32] {
    static TABLES: std::sync::OnceLock<Box<[[i16; 1 << FIRST_BITS]; 32]>> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let mut tables = Box::new([[-1i16; 1 << FIRST_BITS]; 32]);
        for (table, signed) in tables.iter_mut().enumerate() {
            let escape = if L3_HUFFMAN_G_LINBITS[table] == 0 { 16 } else { 15 };
            for (prefix, entry) in signed.iter_mut().enumerate() {
                let leaf = i32::from(first_lookups()[table][prefix]);
                if leaf < 0 {
                    continue;
                }
                let (len, x, y) = ((leaf >> 8) as u32, (leaf & 0x0F) as usize, (leaf >> 4 & 0x0F) as usize);
                if x >= escape || y >= escape {
                    continue;
                }
                let (nx, ny) = (u32::from(x != 0), u32::from(y != 0));
                if len + nx + ny > FIRST_BITS {
                    continue;
                }
                // The bit `at` places after the prefix's first, as 0 or 1.
                let bit = |at: u32| prefix >> (FIRST_BITS - 1 - at) & 1;
                let (sx, sy) = (if x != 0 { bit(len) } else { 0 }, if y != 0 { bit(len + nx) } else { 0 });
                let (ix, iy) = (16 + x - 16 * sx, 16 + y - 16 * sy);
                *entry = ((len + nx + ny) << 10 | (iy as u32) << 5 | ix as u32) as i16;
            }
        }
        tables
    })
}

/// Decodes Huffman pairs for one scalefactor band of the big-values region (`first` and
/// `signed`: the table's [`first_lookups`] and [`signed_lookups`]).
#[inline(always)]
fn l3_huffman_pairs<const LINBITS: bool>(
    out: &mut [f32],
    br: &mut BitCache,
    first: &[i16; 1 << FIRST_BITS],
    signed: &[i16; 1 << FIRST_BITS],
    codebook: &[i16],
    linbits: u32,
    one: f32,
) {
    for pair in out.as_chunks_mut::<2>().0 {
        let entry = i32::from(signed[br.peek(FIRST_BITS) as usize]);
        if entry >= 0 {
            pair[0] = G_POW43[(entry & 31) as usize] * one;
            pair[1] = G_POW43[(entry >> 5 & 31) as usize] * one;
            br.flush((entry >> 10) as u32);
            br.check();
            continue;
        }
        let mut leaf = i32::from(first[br.peek(FIRST_BITS) as usize]);
        if leaf >= 0 {
            br.flush((leaf >> 8) as u32);
        } else {
            leaf = l3_walk(br, codebook);
        }

        if !LINBITS {
            // Both signs from one look at the cache: the second follows the first only where
            // the first value is not zero (a zero has no sign bit).
            let (x, y) = ((leaf & 0x0F) as usize, (leaf >> 4 & 0x0F) as usize);
            let nx = u32::from(x != 0);
            let (sx, sy) = (br.top_bit() as usize, (br.cache << nx >> 63) as usize);
            pair[0] = G_POW43[16 + x - 16 * sx] * one;
            pair[1] = G_POW43[16 + y - 16 * sy] * one;
            br.flush(nx + u32::from(y != 0));
            br.check();
            continue;
        }
        for v in pair {
            let mut lsb = leaf & 0x0F;
            if LINBITS && lsb == 15 {
                lsb += br.peek(linbits) as i32;
                br.flush(linbits);
                *v = one * l3_pow_43(lsb) * if br.top_bit() == 1 { -1.0 } else { 1.0 };
            } else {
                *v = G_POW43[(16 + lsb) as usize - 16 * br.top_bit() as usize] * one;
            }
            br.flush(u32::from(lsb != 0));
            leaf >>= 4;
        }
        br.check();
    }
}

/// Decodes the granule's Huffman-coded values into `dst`, those below `limit` (in coding order;
/// a scalefactor band boundary, see [`huffman_limit`]) at least: decoding stops at the first
/// band boundary at or past it, and the rest of the granule's bits are skipped (not in
/// minimp3, which always decodes all; `limit` = 576 does too).
fn l3_huffman(dst: &mut [f32; 576], bs: &mut Bs, gr_info: &GrInfo, scf: &[f32; 40], layer3gr_limit: i32, limit: usize) {
    let mut one = 0.0f32;
    let mut ireg = 0;
    let mut big_val_cnt = i32::from(gr_info.big_values);
    let sfbtab = gr_info.sfbtab;
    let mut sfb = 0;
    let mut scf_idx = 0;
    let mut d = 0;

    if limit == 0 {
        bs.pos = layer3gr_limit;
        return;
    }
    let mut br = BitCache::at(bs.buf, bs.pos);

    while big_val_cnt > 0 {
        let tab_num = gr_info.table_select[ireg] as usize;
        let mut sfb_cnt = i32::from(gr_info.region_count[ireg]);
        ireg += 1;
        let codebook = &L3_HUFFMAN_TABS[L3_HUFFMAN_TABINDEX[tab_num] as usize..];
        let (first, signed) = (&first_lookups()[tab_num], &signed_lookups()[tab_num]);
        let linbits = u32::from(L3_HUFFMAN_G_LINBITS[tab_num]);
        loop {
            let np = i32::from(sfbtab[sfb]) / 2;
            sfb += 1;
            let pairs_to_decode = big_val_cnt.min(np) as usize;
            one = scf[scf_idx];
            scf_idx += 1;
            // C's do/while always decodes at least one pair; np is never 0 here
            // because big_values <= 288 and every table covers 288 pairs.
            let out = &mut dst[d..d + 2 * pairs_to_decode.max(1)];
            if linbits != 0 {
                l3_huffman_pairs::<true>(out, &mut br, first, signed, codebook, linbits, one);
            } else {
                l3_huffman_pairs::<false>(out, &mut br, first, signed, codebook, linbits, one);
            }
            d += out.len();
            big_val_cnt -= np;
            if d >= limit {
                bs.pos = layer3gr_limit;
                return;
            }
            if big_val_cnt <= 0 {
                break;
            }
            sfb_cnt -= 1;
            if sfb_cnt < 0 {
                break;
            }
        }
    }

    let quads = &count1_lookups()[usize::from(gr_info.count1_table != 0)];
    let mut np = 1 - big_val_cnt;
    'count1: loop {
        if d >= limit {
            break;
        }
        let entry = u32::from(quads[br.peek(COUNT1_BITS) as usize]);
        if br.pos() + (entry >> 12) as i32 > layer3gr_limit {
            break;
        }
        br.flush(entry >> 8 & 15);
        for half in 0..2 {
            np -= 1;
            if np == 0 {
                np = i32::from(sfbtab[sfb]) / 2;
                sfb += 1;
                if np == 0 {
                    break 'count1;
                }
                one = scf[scf_idx];
                scf_idx += 1;
            }
            for s in 2 * half..2 * half + 2 {
                dst[d + s] = one * [0.0, 1.0, -1.0, 0.0][(entry >> (2 * s) & 3) as usize];
            }
        }
        br.check();
        d += 4;
    }
    bs.pos = layer3gr_limit;
}

/// Bits of a count1 lookup ([`count1_lookups`]): the longest code (6 bits) and four signs.
const COUNT1_BITS: u32 = 10;

/// The count1 tables (A and B): minimp3's `tab32` and `tab33`.
const COUNT1_CODEBOOKS: [&[u8]; 2] = [&L3_HUFFMAN_TAB32, &L3_HUFFMAN_TAB33];

/// Reads a quad of the count1 region as minimp3 does (its code in one or two steps, then the
/// sign of each value that is not zero): the code's length and the values, two bits each from
/// bit 0 (0 for 0, 1 for 1, 2 for -1).
fn count1_quad(br: &mut BitCache, codebook: &[u8]) -> (u32, u32) {
    let mut leaf = i32::from(codebook[br.peek(4) as usize]);
    if leaf & 8 == 0 {
        leaf = i32::from(codebook[(leaf >> 3) as usize + br.peek_after(4, (leaf & 3) as u32) as usize]);
    }
    br.flush((leaf & 7) as u32);
    let mut values = 0;
    for s in 0..4 {
        if leaf & (128 >> s) != 0 {
            values |= (1 + br.top_bit()) << (2 * s);
            br.flush(1);
        }
    }
    ((leaf & 7) as u32, values)
}

/// For the two count1 tables, what the next [`COUNT1_BITS`] bits say: the code's length
/// `<< 12`, the length of the code and its sign bits `<< 8`, and the values of
/// [`count1_quad`]. Not in minimp3, whose steps take a branch per value that the predictor
/// often misses: a quad is one lookup. Made by [`count1_quad`].
fn count1_lookups() -> &'static [[u16; 1 << COUNT1_BITS]; 2] {
    static TABLES: std::sync::OnceLock<Box<[[u16; 1 << COUNT1_BITS]; 2]>> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let mut tables = Box::new([[0u16; 1 << COUNT1_BITS]; 2]);
        for (codebook, quads) in COUNT1_CODEBOOKS.into_iter().zip(tables.iter_mut()) {
            for (prefix, entry) in quads.iter_mut().enumerate() {
                let bytes = ((prefix as u16) << (16 - COUNT1_BITS)).to_be_bytes();
                let mut br = BitCache::at(&bytes, 0);
                let (code_len, values) = count1_quad(&mut br, codebook);
                *entry = (code_len << 12 | (br.pos() as u32) << 8 | values) as u16;
            }
        }
        tables
    })
}

fn l3_midside_stereo(buf: &mut [f32; 1152], start: usize, n: usize) {
    let (left, right) = buf.split_at_mut(576);
    for (l, r) in left[start..start + n].iter_mut().zip(&mut right[start..start + n]) {
        let a = *l;
        let b = *r;
        *l = a + b;
        *r = a - b;
    }
}

fn l3_intensity_stereo_band(buf: &mut [f32; 1152], start: usize, n: usize, kl: f32, kr: f32) {
    let (left, right) = buf.split_at_mut(576);
    for (l, r) in left[start..start + n].iter_mut().zip(&mut right[start..start + n]) {
        *r = *l * kr;
        *l *= kl;
    }
}

fn l3_stereo_top_band(right: &[f32], sfb: &[u8], nbands: usize, max_band: &mut [i32; 3]) {
    *max_band = [-1; 3];
    let mut off = 0;
    for i in 0..nbands {
        let n = sfb[i] as usize;
        let band = &right[off..off + n];
        if band.as_chunks::<2>().0.iter().any(|p| p[0] != 0.0 || p[1] != 0.0) {
            max_band[i % 3] = i as i32;
        }
        off += n;
    }
}

fn l3_stereo_process(
    buf: &mut [f32; 1152],
    ist_pos: &[u8; 39],
    sfb: &[u8],
    hdr: Header,
    max_band: &[i32; 3],
    mpeg2_sh: u32,
) {
    let max_pos = if hdr.test_mpeg1() { 7 } else { 64 };
    let mut off = 0;
    for (i, &n) in sfb.iter().take_while(|&&n| n != 0).enumerate() {
        let n = n as usize;
        let ipos = u32::from(ist_pos[i]);
        if i as i32 > max_band[i % 3] && ipos < max_pos {
            let s = if hdr.test_ms_stereo() { 1.41421356 } else { 1.0 };
            let (kl, kr);
            if hdr.test_mpeg1() {
                kl = L3_STEREO_PROCESS_G_PAN[2 * ipos as usize];
                kr = L3_STEREO_PROCESS_G_PAN[2 * ipos as usize + 1];
            } else {
                let k = l3_ldexp_q2(1.0, (((ipos + 1) >> 1) << mpeg2_sh) as i32);
                (kl, kr) = if ipos & 1 != 0 { (k, 1.0) } else { (1.0, k) };
            }
            l3_intensity_stereo_band(buf, off, n, kl * s, kr * s);
        } else if hdr.test_ms_stereo() {
            l3_midside_stereo(buf, off, n);
        }
        off += n;
    }
}

fn l3_intensity_stereo(buf: &mut [f32; 1152], ist_pos: &mut [u8; 39], gr: &[GrInfo], hdr: Header) {
    let mut max_band = [0i32; 3];
    let n_sfb = gr[0].n_long_sfb as usize + gr[0].n_short_sfb as usize;
    let max_blocks = if gr[0].n_short_sfb != 0 { 3 } else { 1 };

    l3_stereo_top_band(&buf[576..], gr[0].sfbtab, n_sfb, &mut max_band);
    if gr[0].n_long_sfb != 0 {
        max_band = [max_band[0].max(max_band[1]).max(max_band[2]); 3];
    }
    for i in 0..max_blocks {
        let default_pos = if hdr.test_mpeg1() { 3 } else { 0 };
        let itop = n_sfb - max_blocks + i;
        let prev = itop - max_blocks;
        ist_pos[itop] = if max_band[i] >= prev as i32 { default_pos } else { ist_pos[prev] };
    }
    l3_stereo_process(buf, ist_pos, gr[0].sfbtab, hdr, &max_band, u32::from(gr[1].scalefac_compress & 1));
}

fn l3_reorder(grbuf: &mut [f32], scratch: &mut [f32], sfb: &[u8]) {
    let mut src = 0;
    let mut dst = 0;
    for &len in sfb.iter().step_by(3).take_while(|&&len| len != 0) {
        let len = len as usize;
        for i in 0..len {
            scratch[dst] = grbuf[src + i];
            scratch[dst + 1] = grbuf[src + i + len];
            scratch[dst + 2] = grbuf[src + i + 2 * len];
            dst += 3;
        }
        src += 3 * len;
    }
    grbuf[..dst].copy_from_slice(&scratch[..dst]);
}

fn l3_antialias(grbuf: &mut [f32; 576], nbands: usize) {
    let aa = |k: usize, i: usize| F4::load(&L3_ANTIALIAS_G_AA[k][i..]);
    for b in 0..nbands {
        let (lo, hi) = grbuf[18 * b..18 * b + 36].split_at_mut(18);
        for i in [0, 4] {
            // hi[i..i+4] against lo[17-i..=14-i] (reversed).
            let u = F4::load(&hi[i..]);
            let d = F4::load(&lo[14 - i..]).rev();
            (u * aa(0, i) - d * aa(1, i)).store(&mut hi[i..]);
            (u * aa(1, i) + d * aa(0, i)).rev().store(&mut lo[14 - i..]);
        }
    }
}

#[inline(always)]
fn l3_dct3_9<T: Lanes>(y: &mut [T; 9]) {
    let c = T::splat;
    let mut s0 = y[0];
    let mut s2 = y[2];
    let mut s4 = y[4];
    let mut s6 = y[6];
    let mut s8 = y[8];
    let mut t0 = s0 + s6 * c(0.5);
    s0 -= s6;
    let mut t4 = (s4 + s2) * c(0.93969262);
    let mut t2 = (s8 + s2) * c(0.76604444);
    s6 = (s4 - s8) * c(0.17364818);
    s4 += s8 - s2;

    s2 = s0 - s4 * c(0.5);
    y[4] = s4 + s0;
    s8 = t0 - t2 + s6;
    s0 = t0 - t4 + t2;
    s4 = t0 + t4 - s6;

    let mut s1 = y[1];
    let mut s3 = y[3];
    let mut s5 = y[5];
    let mut s7 = y[7];

    s3 = s3 * c(0.86602540);
    t0 = (s5 + s1) * c(0.98480775);
    t4 = (s5 - s7) * c(0.34202014);
    t2 = (s1 + s7) * c(0.64278761);
    s1 = (s1 - s5 - s7) * c(0.86602540);

    s5 = t0 - s3 - t2;
    s7 = t4 - s3 - t0;
    s3 = t4 + s3 - t2;

    y[0] = s4 - s7;
    y[1] = s2 + s1;
    y[2] = s0 - s3;
    y[3] = s8 + s5;
    y[5] = s8 - s5;
    y[6] = s0 + s3;
    y[7] = s2 - s1;
    y[8] = s4 + s7;
}

/// IMDCT-36 of `T::N` adjacent bands at once (one band per lane).
#[inline(always)]
fn l3_imdct36_bands<T: Lanes>(grbuf: &mut [f32], overlap: &mut [f32], window: &[f32; 18]) {
    let c = T::splat;
    let g = |grbuf: &[f32], o: usize| T::gather(&grbuf[o..], 18);
    let mut co = [c(0.0); 9];
    let mut si = [c(0.0); 9];
    co[0] = -g(grbuf, 0);
    si[0] = g(grbuf, 17);
    for i in 0..4 {
        si[8 - 2 * i] = g(grbuf, 4 * i + 1) - g(grbuf, 4 * i + 2);
        co[1 + 2 * i] = g(grbuf, 4 * i + 1) + g(grbuf, 4 * i + 2);
        si[7 - 2 * i] = g(grbuf, 4 * i + 4) - g(grbuf, 4 * i + 3);
        co[2 + 2 * i] = -(g(grbuf, 4 * i + 3) + g(grbuf, 4 * i + 4));
    }
    l3_dct3_9(&mut co);
    l3_dct3_9(&mut si);

    si[1] = -si[1];
    si[3] = -si[3];
    si[5] = -si[5];
    si[7] = -si[7];

    for i in 0..9 {
        let ovl = T::gather(&overlap[i..], 9);
        let sum = co[i] * c(L3_IMDCT36_G_TWID9[9 + i]) + si[i] * c(L3_IMDCT36_G_TWID9[i]);
        (co[i] * c(L3_IMDCT36_G_TWID9[i]) - si[i] * c(L3_IMDCT36_G_TWID9[9 + i])).scatter(&mut overlap[i..], 9);
        (ovl * c(window[i]) - sum * c(window[9 + i])).scatter(&mut grbuf[i..], 18);
        (ovl * c(window[9 + i]) + sum * c(window[i])).scatter(&mut grbuf[17 - i..], 18);
    }
}

fn l3_imdct36(grbuf: &mut [f32], overlap: &mut [f32], window: &[f32; 18], nbands: usize) {
    let mut j = 0;
    while j + 4 <= nbands {
        l3_imdct36_bands::<F4>(&mut grbuf[18 * j..], &mut overlap[9 * j..], window);
        j += 4;
    }
    while j < nbands {
        l3_imdct36_bands::<f32>(&mut grbuf[18 * j..], &mut overlap[9 * j..], window);
        j += 1;
    }
}

fn l3_idct3(x0: f32, x1: f32, x2: f32, dst: &mut [f32; 3]) {
    let m1 = x1 * 0.86602540;
    let a1 = x0 - x2 * 0.5;
    dst[1] = x0 + x2;
    dst[0] = a1 + m1;
    dst[2] = a1 - m1;
}

fn l3_imdct12(x: &[f32], dst: &mut [f32], overlap: &mut [f32]) {
    let mut co = [0f32; 3];
    let mut si = [0f32; 3];
    l3_idct3(-x[0], x[6] + x[3], x[12] + x[9], &mut co);
    l3_idct3(x[15], x[12] - x[9], x[6] - x[3], &mut si);
    si[1] = -si[1];

    for i in 0..3 {
        let ovl = overlap[i];
        let sum = co[i] * L3_IMDCT12_G_TWID3[3 + i] + si[i] * L3_IMDCT12_G_TWID3[i];
        overlap[i] = co[i] * L3_IMDCT12_G_TWID3[i] - si[i] * L3_IMDCT12_G_TWID3[3 + i];
        dst[i] = ovl * L3_IMDCT12_G_TWID3[2 - i] - sum * L3_IMDCT12_G_TWID3[5 - i];
        dst[5 - i] = ovl * L3_IMDCT12_G_TWID3[5 - i] + sum * L3_IMDCT12_G_TWID3[2 - i];
    }
}

fn l3_imdct_short(grbuf: &mut [f32], overlap: &mut [f32], nbands: usize) {
    for (grbuf, overlap) in grbuf.as_chunks_mut::<18>().0.iter_mut().zip(overlap.as_chunks_mut::<9>().0).take(nbands) {
        let mut tmp = [0f32; 18];
        tmp.copy_from_slice(grbuf);
        grbuf[..6].copy_from_slice(&overlap[..6]);
        let (ov_out, ov_state) = overlap.split_at_mut(6);
        l3_imdct12(&tmp, &mut grbuf[6..12], ov_state);
        l3_imdct12(&tmp[1..], &mut grbuf[12..18], ov_state);
        l3_imdct12(&tmp[2..], ov_out, ov_state);
    }
}

fn l3_change_sign(grbuf: &mut [f32; 576]) {
    for band in grbuf.as_chunks_mut::<18>().0.iter_mut().skip(1).step_by(2) {
        for x in band.iter_mut().skip(1).step_by(2) {
            *x = -*x;
        }
    }
}

/// The IMDCT of the lowest `nbands` subbands (32 in minimp3), overlapped with the last
/// granule's.
fn l3_imdct_gr(grbuf: &mut [f32; 576], overlap: &mut [f32; 288], block_type: u8, n_long_bands: usize, nbands: usize) {
    let n_long_bands = n_long_bands.min(nbands);
    let (long_buf, rest_buf) = grbuf.split_at_mut(18 * n_long_bands);
    let (long_ovl, rest_ovl) = overlap.split_at_mut(9 * n_long_bands);
    if n_long_bands != 0 {
        l3_imdct36(long_buf, long_ovl, &L3_IMDCT_GR_G_MDCT_WINDOW[0], n_long_bands);
    }
    if block_type == SHORT_BLOCK_TYPE {
        l3_imdct_short(rest_buf, rest_ovl, nbands - n_long_bands);
    } else {
        let window = &L3_IMDCT_GR_G_MDCT_WINDOW[(block_type == STOP_BLOCK_TYPE) as usize];
        l3_imdct36(rest_buf, rest_ovl, window, nbands - n_long_bands);
    }
}

fn l3_save_reservoir(h: &mut State, bs: &Bs) {
    let mut pos = ((bs.pos + 7) as u32 / 8) as i32;
    let mut remains = (bs.limit as u32 / 8).wrapping_sub(pos as u32) as i32;
    if remains > MAX_BITRESERVOIR_BYTES as i32 {
        pos += remains - MAX_BITRESERVOIR_BYTES as i32;
        remains = MAX_BITRESERVOIR_BYTES as i32;
    }
    if remains > 0 {
        let (pos, remains) = (pos as usize, remains as usize);
        h.reserv_buf[..remains].copy_from_slice(&bs.buf[pos..pos + remains]);
    }
    h.reserv = remains;
}

fn l3_restore_reservoir<'a>(
    h: &State,
    bs: &Bs,
    maindata: &'a mut [u8; MAX_BITRESERVOIR_BYTES + MAX_L3_FRAME_PAYLOAD_BYTES],
    main_data_begin: i32,
) -> (Bs<'a>, bool) {
    let frame_bytes = ((bs.limit - bs.pos) / 8) as usize;
    let bytes_have = h.reserv.min(main_data_begin) as usize;
    let reserv_off = (h.reserv - main_data_begin).max(0) as usize;
    maindata[..bytes_have].copy_from_slice(&h.reserv_buf[reserv_off..reserv_off + bytes_have]);
    let frame_start = (bs.pos / 8) as usize;
    maindata[bytes_have..bytes_have + frame_bytes].copy_from_slice(&bs.buf[frame_start..frame_start + frame_bytes]);
    // Bounding the reader to the valid bytes makes Huffman over-reads on corrupt
    // streams see zeros without having to clear the buffer.
    let len = bytes_have + frame_bytes;
    (Bs::new(&maindata[..len], len as i32), h.reserv >= main_data_begin)
}

fn l3_decode(h: &mut State, s: &mut Scratch, bs: &mut Bs, gr_info: &[GrInfo], nch: usize) {
    let hdr = Header(h.header);
    for ch in 0..nch {
        let layer3gr_limit = bs.pos + i32::from(gr_info[ch].part_23_length);
        l3_decode_scalefactors(hdr, &mut s.ist_pos[ch], bs, &gr_info[ch], &mut s.scf, ch);
        l3_huffman(&mut s.grbuf[ch], bs, &gr_info[ch], &s.scf, layer3gr_limit, 576);
    }

    let stereo: &mut [f32; 1152] = s.grbuf.as_flattened_mut().try_into().unwrap();
    if hdr.test_i_stereo() {
        l3_intensity_stereo(stereo, &mut s.ist_pos[1], gr_info, hdr);
    } else if hdr.is_ms_stereo() {
        l3_midside_stereo(stereo, 0, 576);
    }

    for ch in 0..nch {
        l3_channel_tail(&mut s.grbuf[ch], &mut s.syn, &mut h.mdct_overlap[ch], &gr_info[ch], hdr, 32);
    }
}

/// What `l3_decode` does to each channel after the stereo processing: reordering of short
/// blocks, antialiasing, the IMDCT of the lowest `nbands` subbands, and the sign change of
/// the odd subbands' odd samples.
fn l3_channel_tail(
    grbuf: &mut [f32; 576],
    syn: &mut [[f32; 4]; SYN_ROWS],
    overlap: &mut [f32; 288],
    gr: &GrInfo,
    hdr: Header,
    nbands: usize,
) {
    let mut aa_bands = 31;
    let n_long_bands: usize = (if gr.mixed_block_flag != 0 { 2 } else { 0 }) << (hdr.get_my_sample_rate() == 2) as u32;

    if gr.n_short_sfb != 0 {
        aa_bands = n_long_bands.saturating_sub(1);
        l3_reorder(&mut grbuf[n_long_bands * 18..], syn.as_flattened_mut(), &gr.sfbtab[gr.n_long_sfb as usize..]);
    }

    l3_antialias(grbuf, aa_bands.min(nbands - 1));
    l3_imdct_gr(grbuf, overlap, gr.block_type, n_long_bands, nbands);
    l3_change_sign(grbuf);
}

/// How much of a frame to decode: everything (minimp3's output, [`Reduction::FULL`]), or
/// only what a caller that mixes to mono or keeps only low frequencies uses. Not in minimp3.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Reduction {
    /// Mix the channels to one, their mean, in the subband domain: one polyphase synthesis
    /// instead of two, and (in mid/side frames, where the mean is the mid channel) no side
    /// channel decoded at all.
    pub mono: bool,
    /// Subbands decoded (1 to 32, from the lowest): the Huffman data of the higher ones is
    /// skipped, and they are left at zero.
    pub bands: usize,
    /// Keep one output sample in `decimation` (1, 2 or 4): the synthesis computes only those,
    /// at `1 / decimation` of the rate. Needs `bands <= 32 / decimation`, so that nothing
    /// above the new Nyquist frequency is left to alias.
    pub decimation: usize,
    /// Which of each `decimation` samples is kept (0 to `decimation - 1`), counted from the
    /// first sample of a frame.
    pub phase: usize,
}

impl Reduction {
    /// Everything, as minimp3 decodes it.
    pub const FULL: Reduction = Reduction { mono: false, bands: 32, decimation: 1, phase: 0 };

    fn is_full(&self) -> bool {
        *self == Self::FULL
    }
}

/// The block type and mixed-block flag of each channel of a granule: where the two channels'
/// are the same, their IMDCTs can run on the mean of their spectra.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct BlockTypes([(u8, u8); 2]);

impl BlockTypes {
    fn of(gr: &[GrInfo], nch: usize) -> Self {
        let t = |g: &GrInfo| (g.block_type, g.mixed_block_flag);
        BlockTypes([t(&gr[0]), t(&gr[nch - 1])])
    }

    fn same(self) -> bool {
        self.0[0] == self.0[1]
    }
}

/// What follows a frame, for mono mixing: the block types of the next frame's first granule,
/// the end of the stream, or an unknown (an unreadable next frame).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Next {
    Granule(BlockTypes),
    End,
    Unknown,
}

/// The first position (in Huffman coding order) at a scalefactor band boundary with every
/// value of the lowest `bands` subbands before it: for short blocks, whose values are coded
/// band by band and window by window, a boundary after all three windows of a band.
fn huffman_limit(gr: &GrInfo, bands: usize) -> usize {
    if bands >= 32 {
        return 576;
    }
    let (want, n_long) = (18 * bands, gr.n_long_sfb as usize);
    let mut pos = 0;
    for (i, &width) in gr.sfbtab.iter().enumerate() {
        if width == 0 {
            break;
        }
        if pos >= want && (i < n_long || (i - n_long) % 3 == 0) {
            return pos;
        }
        pos += usize::from(width);
    }
    576
}

/// `l3_decode` of granule `gr` (its channels' side info) with `red` applied; `next` is what
/// follows it. With `red.mono`, `s.grbuf[0]` holds the mean of the channels, ready for one
/// synthesis. Not in minimp3.
///
/// Mixing before the IMDCT is exact where both channels have the same block types in this
/// granule: the IMDCT and its overlap are linear, and the overlap is a function of the
/// granule's own spectrum, windowed by the block type that follows. So the channels are mixed
/// before the IMDCT (one IMDCT, the overlap held mixed) where this granule's types and the next
/// granule's are each the same for both channels; otherwise each channel has its own IMDCT and
/// overlap, and the outputs are mixed after it. A mixed overlap splits exactly into two equal
/// halves for a granule whose channels share a block type.
fn l3_decode_reduced(
    h: &mut State,
    s: &mut Scratch,
    bs: &mut Bs,
    gr: &[GrInfo],
    nch: usize,
    red: &Reduction,
    next: Next,
) {
    let hdr = Header(h.header);
    let types = BlockTypes::of(gr, nch);
    let mix = red.mono && nch == 2;
    let merge = mix
        && types.same()
        && match next {
            Next::Granule(t) => t.same(),
            Next::End => true,
            Next::Unknown => false,
        };
    let i_stereo = hdr.test_i_stereo();
    // In a mid/side frame without intensity stereo the mean of the channels is the mid
    // channel (minimp3 takes L = M + S, R = M - S): the side channel is not decoded.
    let skip_side = merge && hdr.is_ms_stereo() && !i_stereo;
    // Nor are its scalefactors read (its Huffman limit of 0 skips the granule's bits), unless
    // the next granule takes them over by its scfsi bits (in an MPEG-1 frame's first granule,
    // `gr` holds the second's side info after this one's; MPEG-2 has no scfsi, and whatever
    // lies there then can only have them read, as before).
    let side_scalefactors_kept = gr.get(nch + 1).is_some_and(|next| next.scfsi != 0);
    for ch in 0..nch {
        let layer3gr_limit = bs.pos + i32::from(gr[ch].part_23_length);
        if !(ch == 1 && skip_side && !side_scalefactors_kept) {
            l3_decode_scalefactors(hdr, &mut s.ist_pos[ch], bs, &gr[ch], &mut s.scf, ch);
        }
        // Intensity stereo decides band by band from the right channel's highest nonzero
        // band: that channel is decoded whole.
        let limit = match ch {
            1 if skip_side => 0,
            1 if i_stereo => 576,
            _ => huffman_limit(&gr[ch], red.bands),
        };
        l3_huffman(&mut s.grbuf[ch], bs, &gr[ch], &s.scf, layer3gr_limit, limit);
    }

    if !skip_side && nch == 2 {
        let stereo: &mut [f32; 1152] = s.grbuf.as_flattened_mut().try_into().unwrap();
        if i_stereo {
            l3_intensity_stereo(stereo, &mut s.ist_pos[1], gr, hdr);
        } else if hdr.is_ms_stereo() {
            l3_midside_stereo(stereo, 0, 576);
        }
    }

    // Subbands are mixed after the IMDCT up to `n`; before it, in coding order (short blocks
    // are reordered later), over all 576 values. Whatever Huffman decoding left past `n` is
    // cleared before the synthesis.
    let n = 18 * red.bands;
    let [left, right] = &mut s.grbuf;
    let [ovl_left, ovl_right] = &mut h.mdct_overlap;
    if merge {
        if !skip_side {
            for (l, r) in left.iter_mut().zip(right.iter()) {
                *l = (*l + *r) * 0.5;
            }
        }
        if !h.merged {
            for (l, r) in ovl_left.iter_mut().zip(ovl_right.iter()) {
                *l = (*l + *r) * 0.5;
            }
            h.merged = true;
        }
        l3_channel_tail(left, &mut s.syn, ovl_left, &gr[0], hdr, red.bands);
        left[n..].fill(0.0);
        return;
    }
    if mix && h.merged {
        // Exact where this granule's types are the same; otherwise (only after an unreadable
        // or skipped frame) the best there is.
        ovl_right.copy_from_slice(ovl_left);
        h.merged = false;
    }
    l3_channel_tail(left, &mut s.syn, ovl_left, &gr[0], hdr, red.bands);
    if nch == 2 {
        l3_channel_tail(right, &mut s.syn, ovl_right, &gr[1], hdr, red.bands);
    }
    if mix {
        for (l, r) in left[..n].iter_mut().zip(&right[..n]) {
            *l = (*l + *r) * 0.5;
        }
    }
    left[n..].fill(0.0);
    right[n..].fill(0.0);
}

/// DCT-II over columns `k..k + T::N` of the 32 rows (subbands) of `S` columns (time slots)
/// in `grbuf`. With `LOW`, rows 16 to 31 are taken as zero (not read: a reduced decode of 16
/// subbands or fewer; not in minimp3, the same outputs).
#[inline(always)]
fn mp3d_dct_ii_cols<T: Lanes, const LOW: bool, const S: usize>(grbuf: &mut [f32], k: usize) {
    let c = T::splat;
    let mut t = [[c(0.0); 8]; 4];
    for i in 0..8 {
        let x0 = T::load(&grbuf[k + i * S..]);
        let x1 = T::load(&grbuf[k + (15 - i) * S..]);
        let (x2, x3) = if LOW {
            (c(0.0), c(0.0))
        } else {
            (T::load(&grbuf[k + (16 + i) * S..]), T::load(&grbuf[k + (31 - i) * S..]))
        };
        let t0 = x0 + x3;
        let t1 = x1 + x2;
        let t2 = (x1 - x2) * c(MP3D_DCT_II_G_SEC[3 * i]);
        let t3 = (x0 - x3) * c(MP3D_DCT_II_G_SEC[3 * i + 1]);
        t[0][i] = t0 + t1;
        t[1][i] = (t0 - t1) * c(MP3D_DCT_II_G_SEC[3 * i + 2]);
        t[2][i] = t3 + t2;
        t[3][i] = (t3 - t2) * c(MP3D_DCT_II_G_SEC[3 * i + 2]);
    }
    for x in &mut t {
        let [mut x0, mut x1, mut x2, mut x3, mut x4, mut x5, mut x6, mut x7] = *x;
        let mut xt = x0 - x7;
        x0 += x7;
        x7 = x1 - x6;
        x1 += x6;
        x6 = x2 - x5;
        x2 += x5;
        x5 = x3 - x4;
        x3 += x4;
        x4 = x0 - x3;
        x0 += x3;
        x3 = x1 - x2;
        x1 += x2;
        x[0] = x0 + x1;
        x[4] = (x0 - x1) * c(0.70710677);
        x5 += x6;
        x6 = (x6 + x7) * c(0.70710677);
        x7 += xt;
        x3 = (x3 + x4) * c(0.70710677);
        x5 -= x7 * c(0.198912367); // rotate by PI/8
        x7 += x5 * c(0.382683432);
        x5 -= x7 * c(0.198912367);
        x0 = xt - x6;
        xt += x6;
        x[1] = (xt + x7) * c(0.50979561);
        x[2] = (x4 + x3) * c(0.54119611);
        x[3] = (x0 - x5) * c(0.60134488);
        x[5] = (x0 + x5) * c(0.89997619);
        x[6] = (x4 - x3) * c(1.30656302);
        x[7] = (xt - x7) * c(2.56291556);
    }
    for i in 0..7 {
        let y = k + i * 4 * S;
        t[0][i].store(&mut grbuf[y..]);
        (t[2][i] + t[3][i] + t[3][i + 1]).store(&mut grbuf[y + S..]);
        (t[1][i] + t[1][i + 1]).store(&mut grbuf[y + 2 * S..]);
        (t[2][i + 1] + t[3][i] + t[3][i + 1]).store(&mut grbuf[y + 3 * S..]);
    }
    let y = k + 7 * 4 * S;
    t[0][7].store(&mut grbuf[y..]);
    (t[2][7] + t[3][7]).store(&mut grbuf[y + S..]);
    t[1][7].store(&mut grbuf[y + 2 * S..]);
    t[3][7].store(&mut grbuf[y + 3 * S..]);
}

/// The DCT-II of the 18 time slots of one granule, or of two (`g1`): columns 0 to 15 four
/// at a time, and the last two columns of both granules (or of one, and two zero columns) in
/// one pass of four lanes through a small buffer. Not in minimp3, whose last two columns take
/// a pass each, one lane wide: the same outputs, lane by lane.
fn mp3d_dct_ii<const LOW: bool>(g0: &mut [f32; 576], mut g1: Option<&mut [f32; 576]>) {
    let rows = if LOW { 16 } else { 32 };
    for k in (0..16).step_by(4) {
        mp3d_dct_ii_cols::<F4, LOW, 18>(g0, k);
        if let Some(g1) = g1.as_deref_mut() {
            mp3d_dct_ii_cols::<F4, LOW, 18>(g1, k);
        }
    }
    let mut tail = [0.0f32; 4 * 32];
    for (r, t) in tail.as_chunks_mut::<4>().0.iter_mut().enumerate().take(rows) {
        t[..2].copy_from_slice(&g0[18 * r + 16..18 * r + 18]);
        if let Some(g1) = g1.as_deref() {
            t[2..].copy_from_slice(&g1[18 * r + 16..18 * r + 18]);
        }
    }
    mp3d_dct_ii_cols::<F4, LOW, 4>(&mut tail, 0);
    for (r, t) in tail.as_chunks::<4>().0.iter().enumerate() {
        g0[18 * r + 16..18 * r + 18].copy_from_slice(&t[..2]);
        if let Some(g1) = g1.as_deref_mut() {
            g1[18 * r + 16..18 * r + 18].copy_from_slice(&t[2..]);
        }
    }
}

/// `mp3d_synth_pair`: the two samples C writes to `pcm[0]` and `pcm[16*nch]`,
/// read from `lane` (and `lane + 2`) of every 16th row starting at `row`.
#[inline(always)]
fn mp3d_synth_pair(z: &[[f32; 4]; SYNTH_ROWS], row: usize, lane: usize) -> (f32, f32) {
    let x = |m: usize| z[row + 16 * m][lane];
    let mut a;
    a = (x(14) - x(0)) * 29.0;
    a += (x(1) + x(13)) * 213.0;
    a += (x(12) - x(2)) * 459.0;
    a += (x(3) + x(11)) * 2037.0;
    a += (x(10) - x(4)) * 5153.0;
    a += (x(5) + x(9)) * 6574.0;
    a += (x(8) - x(6)) * 37489.0;
    a += x(7) * 75038.0;
    let first = a;

    let x = |m: usize| z[row + 16 * m][lane + 2];
    a = x(14) * 104.0;
    a += x(12) * 1567.0;
    a += x(10) * 9727.0;
    a += x(8) * 64019.0;
    a += x(6) * -9975.0;
    a += x(4) * -45.0;
    a += x(2) * 146.0;
    a += x(0) * -5.0;
    (first, a)
}

// The polyphase filterbank history (`lins` in C) is viewed as rows of 4 floats:
// [left even, right even, left odd, right odd]. In C terms, row `r` lane `l` is
// `lins[4*r + l]`, and `zlin = lins + 15*64` starts at row `ZLIN`.
const ZLIN: usize = 15 * 16;
/// Rows of `lins` touched by one call to `mp3d_synth`.
const SYNTH_ROWS: usize = ZLIN + 2 * 16;

fn mp3d_synth<const NCH: usize>(xl: &[f32], xr: &[f32], dst: &mut [f32], lins: &mut [[f32; 4]; SYNTH_ROWS]) {
    let xl: &[f32; 560] = xl[..560].try_into().unwrap();
    let xr: &[f32; 560] = xr[..560].try_into().unwrap();
    let dst = &mut dst[..64 * NCH];
    let r = NCH - 1;

    lins[ZLIN + 15] = [xl[18 * 16], xr[18 * 16], xl[0], xr[0]];
    lins[ZLIN + 31] = [xl[1 + 18 * 16], xr[1 + 18 * 16], xl[1], xr[1]];

    // For mono, C also computes "right" samples into the same slots and then
    // overwrites them with the left ones; skipping them gives identical output.
    let mut pair = |at: usize, row: usize, lane: usize| {
        let (a, b) = mp3d_synth_pair(lins, row, lane);
        dst[at] = from_synth(a);
        dst[at + 16 * NCH] = from_synth(b);
    };
    if NCH == 2 {
        pair(r, 15, 1);
        pair(r + 32 * NCH, 31, 1);
    }
    pair(0, 15, 0);
    pair(32 * NCH, 31, 0);

    for i in (0..15).rev() {
        lins[ZLIN + i] = [xl[18 * (31 - i)], xr[18 * (31 - i)], xl[1 + 18 * (31 - i)], xr[1 + 18 * (31 - i)]];
        lins[ZLIN + 16 + i][0] = xl[1 + 18 * (1 + i)];
        lins[ZLIN + 16 + i][1] = xr[1 + 18 * (1 + i)];
        lins[ZLIN - 16 + i][2] = xl[18 * (1 + i)];
        lins[ZLIN - 16 + i][3] = xr[18 * (1 + i)];

        let w: &[f32; 16] = MP3D_SYNTH_G_WIN[(14 - i) * 16..][..16].try_into().unwrap();
        let vz = |k: usize| F4::load(&lins[ZLIN + i - 16 * k]);
        let vy = |k: usize| F4::load(&lins[i + 16 * k]);
        let w0 = |k: usize| F4::splat(w[2 * k]);
        let w1 = |k: usize| F4::splat(w[2 * k + 1]);
        let mut b = vz(0) * w1(0) + vy(0) * w0(0);
        let mut a = vz(0) * w0(0) - vy(0) * w1(0);
        for k in [1, 3, 5, 7] {
            b += vz(k) * w1(k) + vy(k) * w0(k);
            a += vy(k) * w1(k) - vz(k) * w0(k);
            if k < 7 {
                let k = k + 1;
                b += vz(k) * w1(k) + vy(k) * w0(k);
                a += vz(k) * w0(k) - vy(k) * w1(k);
            }
        }
        let (a, b) = (a.to_array(), b.to_array());

        if NCH == 2 {
            dst[r + (15 - i) * NCH] = from_synth(a[1]);
            dst[r + (17 + i) * NCH] = from_synth(b[1]);
        }
        dst[(15 - i) * NCH] = from_synth(a[0]);
        dst[(17 + i) * NCH] = from_synth(b[0]);
        if NCH == 2 {
            dst[r + (47 - i) * NCH] = from_synth(a[3]);
            dst[r + (49 + i) * NCH] = from_synth(b[3]);
        }
        dst[(47 - i) * NCH] = from_synth(a[2]);
        dst[(49 + i) * NCH] = from_synth(b[2]);
    }
}

fn mp3d_synth_all<const NCH: usize>(grbuf: &[f32], nbands: usize, pcm: &mut [f32], lins: &mut [[f32; 4]; SYN_ROWS]) {
    for i in (0..nbands).step_by(2) {
        mp3d_synth::<NCH>(
            &grbuf[i..],
            &grbuf[576 * (NCH - 1) + i..],
            &mut pcm[32 * NCH * i..],
            (&mut lins[16 * i..16 * i + SYNTH_ROWS]).try_into().unwrap(),
        );
    }
}

/// Rows in the whole synthesis buffer (`syn` in C: `(18 + 15) * 2 * 32` floats).
const SYN_ROWS: usize = (18 + 15) * 2 * 32 / 4;

fn mp3d_synth_granule(
    qmf_state: &mut [f32; 960],
    grbuf: &mut [[f32; 576]; 2],
    nbands: usize,
    nch: usize,
    pcm: &mut [f32],
    lins: &mut [[f32; 4]; SYN_ROWS],
) {
    debug_assert_eq!(nbands, 18);
    let [g0, g1] = grbuf;
    mp3d_dct_ii::<false>(g0, (nch == 2).then_some(g1));

    lins.as_flattened_mut()[..15 * 64].copy_from_slice(qmf_state);

    let grbuf = grbuf.as_flattened();
    if nch == 1 {
        mp3d_synth_all::<1>(grbuf, nbands, pcm, lins);
    } else {
        mp3d_synth_all::<2>(grbuf, nbands, pcm, lins);
    }

    let tail = &lins.as_flattened()[nbands * 64..nbands * 64 + 15 * 64];
    if nch == 1 {
        // Standard (not MINIMP3_NONSTANDARD_BUT_LOGICAL) behavior: a mono frame
        // only advances the left channel's filterbank history, so a later
        // switch to stereo starts the right channel from its old state.
        for (q, l) in qmf_state.as_chunks_mut::<2>().0.iter_mut().zip(tail.as_chunks::<2>().0) {
            q[0] = l[0];
        }
    } else {
        qmf_state.copy_from_slice(tail);
    }
}

/// The stores of `mp3d_synth`: the DCT outputs of two time slots (`xl`, `xr`: columns of the
/// channels' `grbuf`) into the rows of `lins` they go to. `mp3d_synth` interleaves them with
/// the windowing; doing them first changes nothing, because no row is read before the store
/// of the same call that writes it, nor written after a read of it in the same call. Not in
/// minimp3.
fn mp3d_synth_store(xl: &[f32], xr: &[f32], lins: &mut [[f32; 4]; SYNTH_ROWS]) {
    let xl: &[f32; 560] = xl[..560].try_into().unwrap();
    let xr: &[f32; 560] = xr[..560].try_into().unwrap();
    lins[ZLIN + 15] = [xl[18 * 16], xr[18 * 16], xl[0], xr[0]];
    lins[ZLIN + 31] = [xl[1 + 18 * 16], xr[1 + 18 * 16], xl[1], xr[1]];
    for i in (0..15).rev() {
        lins[ZLIN + i] = [xl[18 * (31 - i)], xr[18 * (31 - i)], xl[1 + 18 * (31 - i)], xr[1 + 18 * (31 - i)]];
        lins[ZLIN + 16 + i][0] = xl[1 + 18 * (1 + i)];
        lins[ZLIN + 16 + i][1] = xr[1 + 18 * (1 + i)];
        lins[ZLIN - 16 + i][2] = xl[18 * (1 + i)];
        lins[ZLIN - 16 + i][3] = xr[18 * (1 + i)];
    }
}

/// `mp3d_synth` keeping only the output samples `n` (0 to 31 in each of the two time slots)
/// with `n % d == phase`, written `32 / d` per slot: mpg123's 2:1 and 4:1 synthesis, which
/// skips the windowing of the samples it drops. With `d = 1` it is `mp3d_synth`. Not in
/// minimp3.
fn mp3d_synth_decimated<const NCH: usize>(
    xl: &[f32],
    xr: &[f32],
    dst: &mut [f32],
    lins: &mut [[f32; 4]; SYNTH_ROWS],
    d: usize,
    phase: usize,
) {
    debug_assert!(d.is_power_of_two() && d <= 32 && phase < d);
    let (per_slot, shift) = (32 / d, d.trailing_zeros());
    let dst = &mut dst[..2 * per_slot * NCH];
    // (d a power of two: masks and shifts, not divisions.)
    let keep = |n: usize| n & (d - 1) == phase;
    // Where output sample `n` of time slot `slot` goes (its first channel).
    let at = |slot: usize, n: usize| (slot * per_slot + (n >> shift)) * NCH;

    mp3d_synth_store(xl, xr, lins);

    // Samples 0 and 16 of each slot (16 is kept with 0, d dividing 16).
    if keep(0) {
        for ch in 0..NCH {
            let (a, b) = mp3d_synth_pair(lins, 15, ch);
            dst[at(0, 0) + ch] = from_synth(a);
            dst[at(0, 16) + ch] = from_synth(b);
            let (a, b) = mp3d_synth_pair(lins, 31, ch);
            dst[at(1, 0) + ch] = from_synth(a);
            dst[at(1, 16) + ch] = from_synth(b);
        }
    }

    for i in (0..15).rev() {
        // Samples 15 - i (a) and 17 + i (b) of each slot.
        let (keep_a, keep_b) = (keep(15 - i), keep(17 + i));
        if !keep_a && !keep_b {
            continue;
        }
        let w: &[f32; 16] = MP3D_SYNTH_G_WIN[(14 - i) * 16..][..16].try_into().unwrap();
        let vz = |k: usize| F4::load(&lins[ZLIN + i - 16 * k]);
        let vy = |k: usize| F4::load(&lins[i + 16 * k]);
        let w0 = |k: usize| F4::splat(w[2 * k]);
        let w1 = |k: usize| F4::splat(w[2 * k + 1]);
        let mut b = vz(0) * w1(0) + vy(0) * w0(0);
        let mut a = vz(0) * w0(0) - vy(0) * w1(0);
        for k in [1, 3, 5, 7] {
            b += vz(k) * w1(k) + vy(k) * w0(k);
            a += vy(k) * w1(k) - vz(k) * w0(k);
            if k < 7 {
                let k = k + 1;
                b += vz(k) * w1(k) + vy(k) * w0(k);
                a += vz(k) * w0(k) - vy(k) * w1(k);
            }
        }
        let (a, b) = (a.to_array(), b.to_array());
        for ch in 0..NCH {
            if keep_a {
                dst[at(0, 15 - i) + ch] = from_synth(a[ch]);
                dst[at(1, 15 - i) + ch] = from_synth(a[2 + ch]);
            }
            if keep_b {
                dst[at(0, 17 + i) + ch] = from_synth(b[ch]);
                dst[at(1, 17 + i) + ch] = from_synth(b[2 + ch]);
            }
        }
    }
}

/// The window of `lins` a call of `mp3d_synth` on time slots `i` and `i + 1` uses.
fn synth_rows(lins: &mut [[f32; 4]; SYN_ROWS], i: usize) -> &mut [[f32; 4]; SYNTH_ROWS] {
    (&mut lins[16 * i..16 * i + SYNTH_ROWS]).try_into().unwrap()
}

/// [`mp3d_dct_ii`] of a reduced decode's granules, whose subbands from `red.bands` on are zero.
fn mp3d_dct_ii_reduced(red: &Reduction, g0: &mut [f32; 576], g1: Option<&mut [f32; 576]>) {
    if red.bands <= 16 {
        mp3d_dct_ii::<true>(g0, g1);
    } else {
        mp3d_dct_ii::<false>(g0, g1);
    }
}

/// `mp3d_synth_granule` for `nch` output channels (1: the mix in `grbuf[0]`) at `1 /
/// red.decimation` of the rate (see [`mp3d_synth_decimated`]): `576 / red.decimation` samples
/// per channel, interleaved; the subbands from `red.bands` on are zero. Not in minimp3.
fn mp3d_synth_granule_reduced(
    qmf_state: &mut [f32; 960],
    grbuf: &mut [[f32; 576]; 2],
    nch: usize,
    pcm: &mut [f32],
    lins: &mut [[f32; 4]; SYN_ROWS],
    red: &Reduction,
) {
    let (d, phase) = (red.decimation, red.phase);
    let [g0, g1] = grbuf;
    mp3d_dct_ii_reduced(red, g0, (nch == 2).then_some(g1));
    lins.as_flattened_mut()[..15 * 64].copy_from_slice(qmf_state);
    let grbuf = grbuf.as_flattened();
    for i in (0..18).step_by(2) {
        let dst = &mut pcm[32 / d * nch * i..];
        if nch == 1 {
            mp3d_synth_decimated::<1>(&grbuf[i..], &grbuf[i..], dst, synth_rows(lins, i), d, phase);
        } else {
            mp3d_synth_decimated::<2>(&grbuf[i..], &grbuf[576 + i..], dst, synth_rows(lins, i), d, phase);
        }
    }
    let tail = &lins.as_flattened()[18 * 64..18 * 64 + 15 * 64];
    if nch == 1 {
        for (q, l) in qmf_state.as_chunks_mut::<2>().0.iter_mut().zip(tail.as_chunks::<2>().0) {
            q[0] = l[0];
        }
    } else {
        qmf_state.copy_from_slice(tail);
    }
}

/// [`mp3d_synth_granule_reduced`] of two mono granules in a row (an MPEG-1 frame's), `g0`
/// then `g1`, in one pass: the mono synthesis uses only the left lanes of `lins` (lanes 0
/// and 2), so granule 0 goes in the left lanes and granule 1 in the right ones, whose history
/// is granule 0's end. That is the rows granule 0's pass leaves, which depend only on its
/// stores ([`mp3d_synth_store`]): they are made by the stores alone first. The output is
/// bit for bit that of the two granules one after the other, at the cost of one. `tmp` holds
/// `2 * 576 / d` interleaved samples. Not in minimp3.
#[allow(clippy::too_many_arguments)]
fn mp3d_synth_granule_pair_mono(
    qmf_state: &mut [f32; 960],
    g0: &mut [f32; 576],
    g1: &mut [f32; 576],
    pcm: &mut [f32],
    lins: &mut [[f32; 4]; SYN_ROWS],
    tmp: &mut [f32],
    red: &Reduction,
) {
    let (d, phase) = (red.decimation, red.phase);
    mp3d_dct_ii_reduced(red, g0, Some(g1));
    lins.as_flattened_mut()[..15 * 64].copy_from_slice(qmf_state);
    for i in (0..18).step_by(2) {
        mp3d_synth_store(&g0[i..], &g0[i..], synth_rows(lins, i));
    }
    // Rows 0..240 hold the history of the pass: granule 0's end (rows 288..528 of its own
    // pass) in the right lanes. (Its stores also wrote the left lanes of rows 224..239, with
    // the values the pass below stores there before reading them.)
    for r in 0..15 * 16 {
        let end = lins[18 * 16 + r];
        lins[r][1] = end[0];
        lins[r][3] = end[2];
    }
    let n = 576 / d;
    for i in (0..18).step_by(2) {
        mp3d_synth_decimated::<2>(&g0[i..], &g1[i..], &mut tmp[32 / d * 2 * i..], synth_rows(lins, i), d, phase);
    }
    for (k, pair) in tmp[..2 * n].as_chunks::<2>().0.iter().enumerate() {
        pcm[k] = pair[0];
        pcm[n + k] = pair[1];
    }
    let tail = &lins.as_flattened()[18 * 64..18 * 64 + 15 * 64];
    for (q, l) in qmf_state.as_chunks_mut::<2>().0.iter_mut().zip(tail.as_chunks::<2>().0) {
        q[0] = l[1];
    }
}

fn mp3d_match_frame(hdr: &[u8], frame_bytes: usize) -> bool {
    let first = Header::read(hdr);
    let mut i = 0;
    for nmatch in 0..MAX_FRAME_SYNC_MATCHES {
        let h = Header::read(&hdr[i..]);
        i += h.frame_bytes(frame_bytes) + h.padding();
        if i + HDR_SIZE > hdr.len() {
            return nmatch > 0;
        }
        if !first.compare(Header::read(&hdr[i..])) {
            return false;
        }
    }
    true
}

/// Returns `(offset, frame_bytes)`; `frame_bytes` is 0 when no frame was found.
pub fn mp3d_find_frame(mp3: &[u8], free_format_bytes: &mut usize) -> (usize, usize) {
    let mp3_bytes = mp3.len();
    let mut i = 0;
    while i + HDR_SIZE < mp3_bytes {
        let buf = &mp3[i..];
        let h = Header::read(buf);
        if h.valid() {
            let mut frame_bytes = h.frame_bytes(*free_format_bytes);
            let mut frame_and_padding = frame_bytes + h.padding();

            let mut k = HDR_SIZE;
            while frame_bytes == 0 && k < MAX_FREE_FORMAT_FRAME_SIZE && i + 2 * k + HDR_SIZE < mp3_bytes {
                let next = Header::read(&buf[k..]);
                if h.compare(next) {
                    let fb = k - h.padding();
                    let nextfb = fb + next.padding();
                    if i + k + nextfb + HDR_SIZE <= mp3_bytes && h.compare(Header::read(&buf[k + nextfb..])) {
                        frame_and_padding = k;
                        frame_bytes = fb;
                        *free_format_bytes = fb;
                    }
                }
                k += 1;
            }

            if (frame_bytes != 0 && i + frame_and_padding <= mp3_bytes && mp3d_match_frame(buf, frame_bytes))
                || (i == 0 && frame_and_padding == mp3_bytes)
            {
                return (i, frame_and_padding);
            }
            *free_format_bytes = 0;
        }
        i += 1;
    }
    (mp3_bytes, 0)
}

/// The block types of the first granule of `frame` (one whole Layer III frame, header
/// included), for [`Next`]: `None` where it is not a readable Layer III frame. Not in minimp3
/// (its `l3_side_info`, minimp3_ex's parse of a frame's side info, changed to give them).
pub fn l3_block_types(frame: &[u8]) -> Option<BlockTypes> {
    if frame.len() < HDR_SIZE {
        return None;
    }
    let hdr = Header::read(frame);
    if !hdr.valid() || hdr.get_layer() != 1 {
        return None;
    }
    let body = &frame[HDR_SIZE..];
    let mut bs = Bs::new(body, body.len() as i32);
    if hdr.is_crc() {
        bs.get_bits(16);
    }
    let mut gr_info = [GrInfo::default(); 4];
    if l3_read_side_info(&mut bs, &mut gr_info, hdr) < 0 || bs.pos > bs.limit {
        return None;
    }
    Some(BlockTypes::of(&gr_info, if hdr.is_mono() { 1 } else { 2 }))
}

/// `mp3dec_decode_frame`, with `red` applied ([`Reduction::FULL`]: minimp3's output) and
/// `next` what follows the frame (for mono mixing). With `pcm == None`, only parses the frame
/// header and returns the number of samples the frame would produce (per channel). Layer I and
/// II frames are [`Status::UnsupportedLayer`] (nanomp3's `layer12` feature is left out).
/// Returns the samples per output channel (1 with `red.mono`, else the frame's), `1 /
/// red.decimation` of the frame's.
pub fn mp3dec_decode_frame(
    dec: &mut Mp3Dec,
    mp3: &[u8],
    pcm: Option<&mut [f32]>,
    info: &mut FrameInfo,
    red: &Reduction,
    next: Next,
) -> usize {
    let Mp3Dec { st: dec, scratch, maindata } = dec;
    let mp3_bytes = mp3.len();
    let mut i = 0;
    let mut frame_size = 0;

    if mp3_bytes > 4 && dec.header[0] == 0xff && Header(dec.header).compare(Header::read(mp3)) {
        let h = Header::read(mp3);
        frame_size = h.frame_bytes(dec.free_format_bytes) + h.padding();
        if frame_size != mp3_bytes
            && (frame_size + HDR_SIZE > mp3_bytes || !h.compare(Header::read(&mp3[frame_size..])))
        {
            frame_size = 0;
        }
    }
    if frame_size == 0 {
        *dec = State::new();
        (i, frame_size) = mp3d_find_frame(mp3, &mut dec.free_format_bytes);
        if frame_size == 0 || i + frame_size > mp3_bytes {
            info.frame_bytes = i;
            info.status = Status::NoFrame;
            return 0;
        }
    }

    let hdr = Header::read(&mp3[i..]);
    dec.header = hdr.0;
    info.frame_bytes = i + frame_size;
    info.frame_offset = i;
    info.channels = if hdr.is_mono() { 1 } else { 2 };
    info.hz = hdr.sample_rate_hz();
    info.layer = 4 - hdr.get_layer();
    info.bitrate_kbps = hdr.bitrate_kbps();

    let Some(pcm) = pcm else {
        info.status = Status::HeaderOnly;
        return hdr.frame_samples() as usize;
    };

    let frame = mp3.get(i + HDR_SIZE..i + frame_size).unwrap_or(&[]);
    let mut bs_frame = Bs::new(frame, frame_size as i32 - HDR_SIZE as i32);
    if hdr.is_crc() {
        bs_frame.get_bits(16);
    }

    if info.layer != 3 {
        info.status = Status::UnsupportedLayer;
        return 0;
    }

    let nch = info.channels as usize;
    let mut gr_info = [GrInfo::default(); 4];
    let main_data_begin = l3_read_side_info(&mut bs_frame, &mut gr_info, hdr);
    if main_data_begin < 0 || bs_frame.pos > bs_frame.limit {
        dec.header[0] = 0; // mp3dec_init
        info.status = Status::Corrupt;
        return 0;
    }

    let (mut bs, success) = l3_restore_reservoir(dec, &bs_frame, maindata, main_data_begin);
    if success {
        // C leaves these uninitialized and corrupt streams can read them before
        // writing; clearing them keeps results deterministic.
        scratch.scf = [0.; 40];
        scratch.ist_pos = [[0; 39]; 2];
        let granules = if hdr.test_mpeg1() { 2 } else { 1 };
        if red.is_full() {
            for (igr, pcm) in pcm.chunks_exact_mut(576 * nch).take(granules).enumerate() {
                scratch.grbuf = [[0.; 576]; 2];
                l3_decode(dec, scratch, &mut bs, &gr_info[igr * nch..], nch);
                mp3d_synth_granule(&mut dec.qmf_state, &mut scratch.grbuf, 18, nch, pcm, &mut scratch.syn);
            }
        } else {
            let nch_out = if red.mono { 1 } else { nch };
            let n = 576 / red.decimation * nch_out;
            let after = |igr: usize| match igr + 1 < granules {
                true => Next::Granule(BlockTypes::of(&gr_info[(igr + 1) * nch..], nch)),
                false => next,
            };
            for igr in 0..granules {
                scratch.grbuf = [[0.; 576]; 2];
                l3_decode_reduced(dec, scratch, &mut bs, &gr_info[igr * nch..], nch, red, after(igr));
                if red.mono && granules == 2 {
                    // Both granules' mono synthesis in one pass, once granule 1 is decoded.
                    if igr == 0 {
                        scratch.mono = scratch.grbuf[0];
                        continue;
                    }
                    mp3d_synth_granule_pair_mono(
                        &mut dec.qmf_state,
                        &mut scratch.mono,
                        &mut scratch.grbuf[0],
                        &mut pcm[..2 * n],
                        &mut scratch.syn,
                        &mut scratch.pair,
                        red,
                    );
                } else {
                    mp3d_synth_granule_reduced(
                        &mut dec.qmf_state,
                        &mut scratch.grbuf,
                        nch_out,
                        &mut pcm[igr * n..(igr + 1) * n],
                        &mut scratch.syn,
                        red,
                    );
                }
            }
        }
    }
    l3_save_reservoir(dec, &bs);
    info.status = if success { Status::Decoded } else { Status::ReservoirUnavailable };
    success as usize * Header(dec.header).frame_samples() as usize / red.decimation
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` bytes of xorshift64 from `seed` (its top byte each step).
    fn random_bytes(mut x: u64, n: usize) -> Vec<u8> {
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 56) as u8
            })
            .collect()
    }

    #[test]
    fn the_first_lookup_reads_the_codes_the_walk_reads() {
        // Random bits (and runs of zeros and ones) through every table: the same values and the
        // same bits consumed, code after code, with the first lookup as by the walk alone.
        let mut bytes = random_bytes(0x2545_f491_4f6c_dd1d, 4000);
        bytes.extend([0u8; 64].iter().chain(&[0xFF; 64]));
        let mut fast_hits = 0;
        for table in (0..32).filter(|t| ![0, 4, 14].contains(t)) {
            let codebook = &L3_HUFFMAN_TABS[L3_HUFFMAN_TABINDEX[table] as usize..];
            let first = &first_lookups()[table];
            let (mut a, mut b) = (BitCache::at(&bytes, 0), BitCache::at(&bytes, 0));
            while b.pos() < 8 * bytes.len() as i32 - 64 {
                let want = l3_walk(&mut a, codebook) & 0xFF;
                let entry = i32::from(first[b.peek(FIRST_BITS) as usize]);
                let got = if entry >= 0 {
                    fast_hits += 1;
                    b.flush((entry >> 8) as u32);
                    entry & 0xFF
                } else {
                    l3_walk(&mut b, codebook) & 0xFF
                };
                assert_eq!((got, b.pos()), (want, a.pos()), "table {table}");
                a.check();
                b.check();
            }
        }
        assert!(fast_hits > 10_000, "{fast_hits}");
    }

    #[test]
    fn the_signed_lookup_gives_the_values_and_signs_read_one_by_one() {
        // Random bits through every table without linbits, a band of 288 pairs at a time: the
        // same values (with their signs) and the same bits consumed as with the first lookup
        // and the signs read after it (the signed table all -1), with most pairs from one lookup.
        let bytes = random_bytes(0x9e37_79b9_7f4a_7c15, 8000);
        let none = [-1i16; 1 << FIRST_BITS];
        let mut hits = 0;
        for table in (1..16).filter(|t| ![4, 14].contains(t)) {
            let codebook = &L3_HUFFMAN_TABS[L3_HUFFMAN_TABINDEX[table] as usize..];
            let (first, signed) = (&first_lookups()[table], &signed_lookups()[table]);
            hits += signed.iter().filter(|&&e| e >= 0).count();
            let (mut a, mut b) = (BitCache::at(&bytes, 0), BitCache::at(&bytes, 0));
            while b.pos() < 8 * bytes.len() as i32 - 8 * 600 {
                let (mut want, mut got) = ([0.0f32; 576], [0.0f32; 576]);
                l3_huffman_pairs::<false>(&mut want, &mut a, first, &none, codebook, 0, 0.5);
                l3_huffman_pairs::<false>(&mut got, &mut b, first, signed, codebook, 0, 0.5);
                assert_eq!((got, b.pos()), (want, a.pos()), "table {table}");
                assert!(got.iter().any(|&v| v < 0.0) && got.iter().any(|&v| v > 0.0));
            }
        }
        assert!(hits > 1000, "{hits}");
    }

    #[test]
    fn the_signed_lookup_of_a_table_with_linbits_leaves_escapes_to_the_steps() {
        // As above, for the tables with linbits: values of 15 and over (escapes, with their
        // linbits) read step by step, the others from one lookup.
        let bytes = random_bytes(0x2f1e_3d4c_5b6a_7988, 8000);
        let none = [-1i16; 1 << FIRST_BITS];
        let (mut hits, mut escapes) = (0, 0);
        for table in 16..32 {
            let codebook = &L3_HUFFMAN_TABS[L3_HUFFMAN_TABINDEX[table] as usize..];
            let (first, signed) = (&first_lookups()[table], &signed_lookups()[table]);
            let linbits = u32::from(L3_HUFFMAN_G_LINBITS[table]);
            hits += signed.iter().filter(|&&e| e >= 0).count();
            let (mut a, mut b) = (BitCache::at(&bytes, 0), BitCache::at(&bytes, 0));
            while b.pos() < 8 * bytes.len() as i32 - 8 * 1600 {
                let (mut want, mut got) = ([0.0f32; 576], [0.0f32; 576]);
                l3_huffman_pairs::<true>(&mut want, &mut a, first, &none, codebook, linbits, 0.5);
                l3_huffman_pairs::<true>(&mut got, &mut b, first, signed, codebook, linbits, 0.5);
                assert_eq!((got, b.pos()), (want, a.pos()), "table {table}");
                escapes += got.iter().filter(|v| v.abs() >= G_POW43[16 + 15] * 0.5).count();
            }
        }
        assert!(hits > 1000 && escapes > 1000, "{hits} {escapes}");
    }

    #[test]
    fn a_count1_lookup_reads_the_quad_the_steps_read() {
        // Random bits through both count1 tables, quad after quad: the values, the code's
        // length and the bits consumed of one lookup are those of minimp3's steps.
        let bytes = random_bytes(0x5851_f42d_4c95_7f2d, 4000);
        for (codebook, quads) in COUNT1_CODEBOOKS.into_iter().zip(count1_lookups().iter()) {
            let (mut a, mut b) = (BitCache::at(&bytes, 0), BitCache::at(&bytes, 0));
            let mut signs = 0;
            while b.pos() < 8 * bytes.len() as i32 - 64 {
                let start = a.pos();
                let (code_len, values) = count1_quad(&mut a, codebook);
                let entry = u32::from(quads[b.peek(COUNT1_BITS) as usize]);
                b.flush(entry >> 8 & 15);
                assert_eq!((entry >> 12, entry & 0xFF, b.pos()), (code_len, values, a.pos()));
                signs += (a.pos() - start) as u32 - code_len;
                a.check();
                b.check();
            }
            assert!(signs > 1000, "{signs}");
        }
    }

    /// Deterministic noise in [-1, 1).
    fn noise(seed: u64, n: usize) -> Vec<f32> {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 40) as f32 / (1u64 << 23) as f32 - 1.0
            })
            .collect()
    }

    #[test]
    fn the_dct_of_two_granules_is_minimp3s_column_by_column() {
        // minimp3's DCT-II takes one column (time slot) at a time: the same outputs, bit for
        // bit, from columns four at a time and the last two of both granules in one pass; and
        // with the top 16 subbands zero, the same again without reading them.
        let granule = |seed, rows: usize| -> [f32; 576] {
            let mut g: [f32; 576] = noise(seed, 576).try_into().unwrap();
            g[18 * rows..].fill(0.0);
            g
        };
        for rows in [32, 13] {
            let (g0, g1) = (granule(4, rows), granule(5, rows));
            let mut want = [g0, g1];
            for g in &mut want {
                for k in 0..18 {
                    mp3d_dct_ii_cols::<f32, false, 18>(g, k);
                }
            }
            let (mut a, mut b) = (g0, g1);
            mp3d_dct_ii::<false>(&mut a, Some(&mut b));
            assert_eq!([a, b], want, "{rows} rows");
            let mut one = g0;
            mp3d_dct_ii::<false>(&mut one, None);
            assert_eq!(one, want[0]);
            if rows <= 16 {
                let (mut a, mut b) = (g0, g1);
                mp3d_dct_ii::<true>(&mut a, Some(&mut b));
                assert_eq!([a, b], want);
            }
        }
    }

    #[test]
    fn two_mono_granules_in_one_pass_are_the_two_one_after_the_other() {
        for (d, phase) in [(1, 0), (2, 0), (2, 1), (4, 0), (4, 3)] {
            let red = Reduction { mono: true, bands: 32, decimation: d, phase };
            let state: [f32; 960] = noise(1, 960).try_into().unwrap();
            let granule = |seed| -> [f32; 576] {
                noise(seed, 576).iter().map(|x| x * 1000.0).collect::<Vec<_>>().try_into().unwrap()
            };
            let (g0, g1) = (granule(2), granule(3));
            let mut lins = [[0.0f32; 4]; SYN_ROWS];
            // One after the other.
            let mut q = state;
            let mut want = vec![0.0; 2 * 576 / d];
            for (k, g) in [g0, g1].into_iter().enumerate() {
                let mut grbuf = [g, [0.0; 576]];
                mp3d_synth_granule_reduced(&mut q, &mut grbuf, 1, &mut want[k * 576 / d..], &mut lins, &red);
            }
            // In one pass.
            let mut q2 = state;
            let (mut a, mut b) = (g0, g1);
            let mut got = vec![0.0; 2 * 576 / d];
            let mut tmp = [0.0; 1152];
            mp3d_synth_granule_pair_mono(&mut q2, &mut a, &mut b, &mut got, &mut lins, &mut tmp, &red);
            assert_eq!(got, want, "d {d} phase {phase}");
            let left = |q: &[f32; 960]| q.as_chunks::<2>().0.iter().map(|p| p[0]).collect::<Vec<_>>();
            assert_eq!(left(&q2), left(&q), "the state after, d {d}");
        }
    }
}
