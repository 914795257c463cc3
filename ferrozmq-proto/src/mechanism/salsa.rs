//! The boxes of CURVE: libsodium's `crypto_box` and `crypto_secretbox`
//! (XSalsa20-Poly1305, the MAC first), made here so that the Salsa20
//! keystream runs four blocks at a time in SSE2 registers, or eight in
//! AVX2 ones when the CPU has them, as libsodium's does. RustCrypto's
//! `salsa20` makes one block at a time in general registers, and at 4 KiB
//! a message spent over half its CPU there (the compiler does not
//! vectorise it: SSE2 has no rotate). HSalsa20, Poly1305 and X25519 are
//! RustCrypto's; HSalsa20 runs once per key and nonce prefix ([`Boxes`]),
//! not once per box. The tests check every box against `crypto_box` and
//! `crypto_secretbox` byte for byte, and the SSE2 and AVX2 blocks against
//! a plain `u32` version, which other machines use.

use poly1305::Poly1305;
use poly1305::universal_hash::KeyInit;
use salsa20::cipher::consts::U10;
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// A box's MAC.
pub(super) const MAC: usize = 16;

/// "expand 32-byte k", as four little-endian words.
const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

/// Salsa20/20 with a key and an 8-byte nonce.
#[derive(Clone)]
struct Salsa20 {
    input: [u32; 16],
}

fn word(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

impl Salsa20 {
    /// Salsa20 with `key`; its nonce is set by [`Salsa20::nonce`].
    fn new(key: &[u8; 32]) -> Self {
        let mut input = [0u32; 16];
        input[0] = SIGMA[0];
        for i in 0..4 {
            input[1 + i] = word(&key[4 * i..]);
            input[11 + i] = word(&key[16 + 4 * i..]);
        }
        input[5] = SIGMA[1];
        input[10] = SIGMA[2];
        input[15] = SIGMA[3];
        Self { input }
    }

    fn nonce(&mut self, nonce: &[u8; 8]) {
        self.input[6] = word(nonce);
        self.input[7] = word(&nonce[4..]);
    }

    /// The keystream from block `counter` on, four or eight blocks (`out`
    /// is 256 or 512 bytes long).
    fn fill(&self, counter: u64, out: &mut [u8]) {
        #[cfg(target_arch = "x86_64")]
        if out.len() == 512 && avx2::eight_blocks(&self.input, counter, out) {
            return;
        }
        for (i, four) in out.chunks_exact_mut(256).enumerate() {
            let counter = counter.wrapping_add(4 * i as u64);
            #[cfg(target_arch = "x86_64")]
            sse2::four_blocks(&self.input, counter, four);
            #[cfg(not(target_arch = "x86_64"))]
            portable::four_blocks(&self.input, counter, four);
        }
    }
}

/// The counters of `N` blocks from `counter` on: word 8 (low) and word 9
/// (high) of each.
fn counters<const N: usize>(counter: u64) -> ([u32; N], [u32; N]) {
    let n: [u64; N] = std::array::from_fn(|lane| counter.wrapping_add(lane as u64));
    (n.map(|n| n as u32), n.map(|n| (n >> 32) as u32))
}

/// Writes lane `lane`'s word `w` where block `lane` has it.
fn put(out: &mut [u8], lane: usize, w: usize, value: u32) {
    let at = lane * 64 + w * 4;
    out[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

/// Salsa20's double round, ten times, on words of any lane width:
/// `$add`, `$xor`, `$or` and the shifts `$shl::<N>`, `$shr::<N>` say how.
macro_rules! twenty_rounds {
    ($x:ident, $add:ident, $xor:ident, $or:ident, $shl:ident, $shr:ident) => {
        macro_rules! rotl {
            ($v:expr, $n:literal) => {{
                let v = $v;
                $or($shl::<$n>(v), $shr::<{ 32 - $n }>(v))
            }};
        }
        macro_rules! quarter {
            ($a:literal, $b:literal, $c:literal, $d:literal) => {
                $x[$b] = $xor($x[$b], rotl!($add($x[$a], $x[$d]), 7));
                $x[$c] = $xor($x[$c], rotl!($add($x[$b], $x[$a]), 9));
                $x[$d] = $xor($x[$d], rotl!($add($x[$c], $x[$b]), 13));
                $x[$a] = $xor($x[$a], rotl!($add($x[$d], $x[$c]), 18));
            };
        }
        for _ in 0..10 {
            quarter!(0, 4, 8, 12);
            quarter!(5, 9, 13, 1);
            quarter!(10, 14, 2, 6);
            quarter!(15, 3, 7, 11);
            quarter!(0, 1, 2, 3);
            quarter!(5, 6, 7, 4);
            quarter!(10, 11, 8, 9);
            quarter!(15, 12, 13, 14);
        }
    };
}

/// Four blocks in the four lanes of SSE2 registers, which every x86-64
/// has: about 2.4 times as fast as one block at a time.
#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_add_epi32, _mm_cvtsi128_si32, _mm_or_si128, _mm_set_epi32, _mm_set1_epi32,
        _mm_shuffle_epi32, _mm_slli_epi32, _mm_srli_epi32, _mm_xor_si128,
    };

    pub(super) fn four_blocks(input: &[u32; 16], counter: u64, out: &mut [u8]) {
        #[allow(unsafe_code)]
        // SAFETY: SSE2 is part of x86-64 itself: every CPU this code can
        // run on has it, so calling code compiled for it is sound.
        unsafe {
            rounds(input, counter, out);
        }
    }

    #[target_feature(enable = "sse2")]
    fn rounds(input: &[u32; 16], counter: u64, out: &mut [u8]) {
        let lanes = |l: [u32; 4]| _mm_set_epi32(l[3] as i32, l[2] as i32, l[1] as i32, l[0] as i32);
        let mut x: [__m128i; 16] = input.map(|w| _mm_set1_epi32(w as i32));
        let (low, high) = super::counters(counter);
        x[8] = lanes(low);
        x[9] = lanes(high);
        let start = x;
        twenty_rounds!(
            x,
            _mm_add_epi32,
            _mm_xor_si128,
            _mm_or_si128,
            _mm_slli_epi32,
            _mm_srli_epi32
        );
        for (w, (word, first)) in x.iter().zip(&start).enumerate() {
            let v = _mm_add_epi32(*word, *first);
            let values = [
                _mm_cvtsi128_si32(v),
                _mm_cvtsi128_si32(_mm_shuffle_epi32::<0b01_01_01_01>(v)),
                _mm_cvtsi128_si32(_mm_shuffle_epi32::<0b10_10_10_10>(v)),
                _mm_cvtsi128_si32(_mm_shuffle_epi32::<0b11_11_11_11>(v)),
            ];
            for (lane, value) in values.into_iter().enumerate() {
                super::put(out, lane, w, value as u32);
            }
        }
    }
}

/// Eight blocks in the eight lanes of AVX2 registers, when the CPU has
/// them (found at run time): twice as fast again.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m256i, _mm256_add_epi32, _mm256_extract_epi32, _mm256_or_si256, _mm256_set1_epi32,
        _mm256_setr_epi32, _mm256_slli_epi32, _mm256_srli_epi32, _mm256_xor_si256,
    };

    /// Fills `out` (512 bytes) and says true if this CPU has AVX2; says
    /// false, and writes nothing, if not.
    pub(super) fn eight_blocks(input: &[u32; 16], counter: u64, out: &mut [u8]) -> bool {
        if !std::arch::is_x86_feature_detected!("avx2") {
            return false;
        }
        #[allow(unsafe_code)]
        // SAFETY: the CPU was just found to have AVX2.
        unsafe {
            rounds(input, counter, out);
        }
        true
    }

    #[target_feature(enable = "avx2")]
    fn rounds(input: &[u32; 16], counter: u64, out: &mut [u8]) {
        let lanes = |l: [u32; 8]| {
            let l = l.map(|w| w as i32);
            _mm256_setr_epi32(l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7])
        };
        let mut x: [__m256i; 16] = input.map(|w| _mm256_set1_epi32(w as i32));
        let (low, high) = super::counters(counter);
        x[8] = lanes(low);
        x[9] = lanes(high);
        let start = x;
        twenty_rounds!(
            x,
            _mm256_add_epi32,
            _mm256_xor_si256,
            _mm256_or_si256,
            _mm256_slli_epi32,
            _mm256_srli_epi32
        );
        for (w, (word, first)) in x.iter().zip(&start).enumerate() {
            let v = _mm256_add_epi32(*word, *first);
            let values = [
                _mm256_extract_epi32::<0>(v),
                _mm256_extract_epi32::<1>(v),
                _mm256_extract_epi32::<2>(v),
                _mm256_extract_epi32::<3>(v),
                _mm256_extract_epi32::<4>(v),
                _mm256_extract_epi32::<5>(v),
                _mm256_extract_epi32::<6>(v),
                _mm256_extract_epi32::<7>(v),
            ];
            for (lane, value) in values.into_iter().enumerate() {
                super::put(out, lane, w, value as u32);
            }
        }
    }
}

/// The same four blocks in plain `u32`s, for other machines (and to
/// check the SSE2 code against).
#[cfg(any(not(target_arch = "x86_64"), test))]
mod portable {
    type Lanes = [u32; 4];

    fn add(a: Lanes, b: Lanes) -> Lanes {
        std::array::from_fn(|i| a[i].wrapping_add(b[i]))
    }

    fn xor(a: Lanes, b: Lanes) -> Lanes {
        std::array::from_fn(|i| a[i] ^ b[i])
    }

    fn or(a: Lanes, b: Lanes) -> Lanes {
        std::array::from_fn(|i| a[i] | b[i])
    }

    fn shl<const N: i32>(a: Lanes) -> Lanes {
        a.map(|w| w << N)
    }

    fn shr<const N: i32>(a: Lanes) -> Lanes {
        a.map(|w| w >> N)
    }

    pub(super) fn four_blocks(input: &[u32; 16], counter: u64, out: &mut [u8]) {
        let mut x: [Lanes; 16] = input.map(|w| [w; 4]);
        (x[8], x[9]) = super::counters(counter);
        let start = x;
        twenty_rounds!(x, add, xor, or, shl, shr);
        for (w, (word, first)) in x.iter().zip(&start).enumerate() {
            for (lane, value) in add(*word, *first).into_iter().enumerate() {
                super::put(out, lane, w, value);
            }
        }
    }
}

impl Drop for Salsa20 {
    fn drop(&mut self) {
        self.input.zeroize();
    }
}

/// Salsa20 with `nonce` over `data` in place, the keystream from its 32nd
/// byte on; returns the first 32 bytes, Poly1305's one-time key.
fn xor_keystream(salsa: &Salsa20, nonce: &[u8; 8], data: &mut [u8]) -> [u8; 32] {
    let mut salsa = salsa.clone();
    salsa.nonce(nonce);
    // Four blocks at a time, or eight while at least five are needed.
    let size = |needed: usize| if needed > 256 { 512 } else { 256 };
    let mut stream = [0u8; 512];
    let first = size(32 + data.len());
    salsa.fill(0, &mut stream[..first]);
    let mut one_time = [0u8; 32];
    one_time.copy_from_slice(&stream[..32]);
    let (head, rest) = data.split_at_mut(data.len().min(first - 32));
    xor(head, &stream[32..first]);
    let mut counter = (first / 64) as u64;
    let mut used = first;
    for chunk in rest.chunks_mut(512) {
        let n = size(chunk.len());
        salsa.fill(counter, &mut stream[..n]);
        xor(chunk, &stream[..n]);
        counter += (n / 64) as u64;
        used = used.max(n);
    }
    stream[..used].zeroize();
    one_time
}

fn xor(data: &mut [u8], stream: &[u8]) {
    for (d, s) in data.iter_mut().zip(stream) {
        *d ^= s;
    }
}

/// A box key: `crypto_box`'s, made from two keys, or `crypto_secretbox`'s.
pub(super) struct BoxKey([u8; 32]);

impl BoxKey {
    /// `crypto_secretbox`'s key as it is.
    pub(super) fn new(key: [u8; 32]) -> Self {
        Self(key)
    }

    /// `crypto_box_beforenm`: HSalsa20 of the X25519 shared secret, or
    /// `None` for a public key of low order (or all zeros), whose shared
    /// secret anyone knows (libsodium refuses those too).
    pub(super) fn between(theirs: &[u8; 32], ours: &[u8; 32]) -> Option<Self> {
        let shared = x25519_dalek::StaticSecret::from(*ours)
            .diffie_hellman(&x25519_dalek::PublicKey::from(*theirs));
        if !shared.was_contributory() {
            return None;
        }
        let key = salsa20::hsalsa::<U10>(shared.as_bytes().into(), &Default::default());
        let mut out = [0u8; 32];
        out.copy_from_slice(&key);
        Some(Self(out))
    }

    /// The boxes under this key whose nonces start with `prefix`:
    /// XSalsa20's HSalsa20 step is done here, once, not per box. (A CURVE
    /// connection's MESSAGEs all start with the same 16 bytes.)
    pub(super) fn boxes(&self, prefix: &[u8]) -> Boxes {
        let sub = salsa20::hsalsa::<U10>((&self.0).into(), prefix.into());
        let mut subkey = [0u8; 32];
        subkey.copy_from_slice(&sub);
        let salsa = Salsa20::new(&subkey);
        subkey.zeroize();
        Boxes(salsa)
    }

    /// The MAC, then `plain` encrypted.
    pub(super) fn seal(&self, nonce: &[u8; 24], plain: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; MAC + plain.len()];
        out[MAC..].copy_from_slice(plain);
        self.boxes(&nonce[..16])
            .seal_in_place(&nonce_tail(nonce), &mut out);
        out
    }

    /// What a box holds, if its MAC is right.
    pub(super) fn open(&self, nonce: &[u8; 24], sealed: &[u8]) -> Option<Vec<u8>> {
        self.boxes(&nonce[..16]).open(&nonce_tail(nonce), sealed)
    }
}

/// A 24-byte nonce's last 8 bytes.
fn nonce_tail(nonce: &[u8; 24]) -> [u8; 8] {
    let mut tail = [0u8; 8];
    tail.copy_from_slice(&nonce[16..]);
    tail
}

/// The boxes under one key with one 16-byte nonce prefix; each box's
/// nonce is the prefix and 8 bytes of its own.
pub(super) struct Boxes(Salsa20);

impl Boxes {
    /// Seals in place: `buf` holds room for the MAC, then the plain text,
    /// which is encrypted where it lies.
    pub(super) fn seal_in_place(&self, nonce: &[u8; 8], buf: &mut [u8]) {
        let (mac, text) = buf.split_at_mut(MAC);
        let mut one_time = xor_keystream(&self.0, nonce, text);
        mac.copy_from_slice(&Poly1305::new(&one_time.into()).compute_unpadded(text));
        one_time.zeroize();
    }

    /// What a box holds, if its MAC is right.
    pub(super) fn open(&self, nonce: &[u8; 8], sealed: &[u8]) -> Option<Vec<u8>> {
        let (mac, cipher) = sealed.split_at_checked(MAC)?;
        let mut plain = cipher.to_vec();
        let mut one_time = xor_keystream(&self.0, nonce, &mut plain);
        let tag = Poly1305::new(&one_time.into()).compute_unpadded(cipher);
        one_time.zeroize();
        if bool::from(tag.as_slice().ct_eq(mac)) {
            Some(plain)
        } else {
            plain.zeroize();
            None
        }
    }
}

impl Drop for BoxKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crypto_box::aead::Aead;

    /// A deterministic stream of bytes, so failures repeat.
    fn bytes(seed: &mut u64, n: usize) -> Vec<u8> {
        (0..n)
            .map(|_| {
                *seed ^= *seed << 13;
                *seed ^= *seed >> 7;
                *seed ^= *seed << 17;
                *seed as u8
            })
            .collect()
    }

    fn key(seed: &mut u64) -> [u8; 32] {
        bytes(seed, 32).try_into().unwrap()
    }

    /// Every length around the block and batch edges, and a big one:
    /// the same bytes as RustCrypto's `crypto_secretbox`, each opening.
    #[test]
    fn secretboxes_are_crypto_secretboxes() {
        use crypto_secretbox::{KeyInit as _, XSalsa20Poly1305};
        let mut seed = 0x9e37_79b9_7f4a_7c15;
        let lengths = (0..600).chain([1000, 4096, 65_536 + 7]);
        for len in lengths {
            let k = key(&mut seed);
            let nonce: [u8; 24] = bytes(&mut seed, 24).try_into().unwrap();
            let plain = bytes(&mut seed, len);
            let theirs = XSalsa20Poly1305::new(&k.into())
                .encrypt(&nonce.into(), plain.as_slice())
                .unwrap();
            let ours = BoxKey::new(k).seal(&nonce, &plain);
            assert_eq!(ours, theirs, "length {len}");
            assert_eq!(BoxKey::new(k).open(&nonce, &ours), Some(plain));
        }
    }

    /// `crypto_box` between two key pairs: the same bytes both ways.
    #[test]
    fn boxes_are_crypto_boxes() {
        let mut seed = 0x1234_5678_9abc_def1;
        for len in [0, 1, 64, 200, 4096] {
            let (a, b) = (key(&mut seed), key(&mut seed));
            let a_public = x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(a));
            let b_public = x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(b));
            let nonce: [u8; 24] = bytes(&mut seed, 24).try_into().unwrap();
            let plain = bytes(&mut seed, len);
            let theirs = crypto_box::SalsaBox::new(
                &crypto_box::PublicKey::from(*b_public.as_bytes()),
                &crypto_box::SecretKey::from(a),
            )
            .encrypt(&nonce.into(), plain.as_slice())
            .unwrap();
            let ours = BoxKey::between(b_public.as_bytes(), &a).unwrap();
            assert_eq!(ours.seal(&nonce, &plain), theirs, "length {len}");
            let back = BoxKey::between(a_public.as_bytes(), &b).unwrap();
            assert_eq!(back.open(&nonce, &theirs), Some(plain));
        }
    }

    /// The SSE2 and AVX2 blocks are the plain ones, counters crossing
    /// 2^32 and wrapping included.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn sse2_blocks_are_the_plain_ones() {
        let mut seed = 0x0dd_ba11_cafe_f00d;
        for counter in [
            0,
            1,
            4,
            u64::from(u32::MAX) - 1,
            u64::MAX - 2,
            0x1234_5678_9abc,
        ] {
            let input: [u32; 16] = std::array::from_fn(|_| {
                u32::from_le_bytes(bytes(&mut seed, 4).try_into().unwrap())
            });
            let (mut fast, mut plain) = ([0u8; 512], [0u8; 512]);
            sse2::four_blocks(&input, counter, &mut fast[..256]);
            sse2::four_blocks(&input, counter.wrapping_add(4), &mut fast[256..]);
            portable::four_blocks(&input, counter, &mut plain[..256]);
            portable::four_blocks(&input, counter.wrapping_add(4), &mut plain[256..]);
            assert_eq!(fast, plain, "counter {counter}");
            if avx2::eight_blocks(&input, counter, &mut fast) {
                assert_eq!(fast, plain, "AVX2, counter {counter}");
            }
        }
    }

    /// A flipped bit anywhere, a short box: nothing opens.
    #[test]
    fn altered_boxes_do_not_open() {
        let k = BoxKey::new([7; 32]);
        let sealed = k.seal(&[1; 24], b"hello");
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x10;
            assert_eq!(k.open(&[1; 24], &bad), None, "byte {i}");
        }
        assert_eq!(k.open(&[2; 24], &sealed), None, "another nonce");
        assert_eq!(k.open(&[1; 24], &sealed[..MAC - 1]), None);
        assert!(BoxKey::between(&[0; 32], &[9; 32]).is_none(), "all zeros");
    }
}
