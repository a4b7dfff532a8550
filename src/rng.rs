//! Keyed random streams.
//!
//! Every random number in a run comes from a stream identified by the tuple
//! `(seed, iteration, authority, child, purpose)` (MODEL.md, "Reproducibility"), where the
//! authority is identified by a hash of its name rather than its position. The key is
//! mixed with the SplitMix64 finaliser into a 128-bit state for a PCG-64 MCG generator, so a
//! stream never depends on which thread or in which order it is created. This is what makes
//! results bit-identical on 1 or 64 threads and lets a run be split into shards by iteration.

use rand_pcg::Pcg64Mcg;

/// The generator behind every stream: small state, fast, statistically strong.
pub type StreamRng = Pcg64Mcg;

/// What a stream is used for. Distinct purposes never share numbers, so adding draws for one
/// purpose cannot shift another's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// One draw per uncertain parameter per iteration (PSA outer loop).
    Parameter = 1,
    /// A child's risk factors, drawn once per child.
    RiskFactors = 2,
    /// A child's per-stay draws: take-up, re-entry, maltreatment, care length, return home.
    Stays = 3,
    /// A simulated pilot trial's counts in one PSA draw ([`crate::pilot`]), one stream per arm.
    Trial = 4,
    /// A child's age at the return home, when the scenario gives `[age_at_return]`: a stream
    /// of its own, so that scenarios without ages draw exactly what they drew before.
    Age = 5,
    /// The posterior sampler's chains (one stream per chain) and its predictive draws.
    Posterior = 6,
}

/// The authority index used for streams that belong to the whole iteration, not to one
/// authority (parameter draws).
pub const ALL_AUTHORITIES: u64 = u64::MAX;

/// SplitMix64's output function: a bijective avalanche mixer.
#[inline]
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A stable 64-bit key for a name (an authority's), independent of its position in the
/// scenario: FNV-1a over the UTF-8 bytes, then mixed.
pub fn name_key(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix(h)
}

/// Builds the generator for one key. Each field is folded in with a distinct odd constant
/// and re-mixed, so neighbouring keys (child 7 and child 8) give unrelated states.
#[inline]
pub fn stream(seed: u64, iteration: u64, authority: u64, child: u64, purpose: Purpose) -> StreamRng {
    StreamBase::new(seed, iteration, authority).stream(child, purpose)
}

/// The part of a key shared by all of an authority's children in one iteration, hashed once:
/// `base.stream(child, purpose)` is exactly `stream(seed, iteration, authority, child,
/// purpose)`, at a third of the cost per child.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamBase(u64);

impl StreamBase {
    #[inline]
    pub fn new(seed: u64, iteration: u64, authority: u64) -> Self {
        let mut h = mix(seed ^ 0x9e37_79b9_7f4a_7c15);
        h = mix(h ^ iteration.wrapping_mul(0xd1b5_4a32_d192_ed03));
        StreamBase(mix(h ^ authority.wrapping_mul(0xabc9_8388_fb8f_ac03)))
    }

    #[inline]
    pub fn stream(self, child: u64, purpose: Purpose) -> StreamRng {
        self.child(child).stream(purpose)
    }

    /// The key of one child, hashed once for all of the child's streams.
    #[inline]
    pub fn child(self, child: u64) -> ChildKey {
        ChildKey(mix(self.0 ^ child.wrapping_mul(0x8cb9_2ba7_2f3d_8dd7)))
    }
}

/// A [`StreamBase`] with the child folded in: `base.child(c).stream(p)` is exactly
/// `base.stream(c, p)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChildKey(u64);

impl ChildKey {
    #[inline]
    pub fn stream(self, purpose: Purpose) -> StreamRng {
        // Exactly `from_seed(self.state(purpose).to_le_bytes())`, built directly: `from_seed`
        // is not inlined, and a call per stream is a measurable share of a child.
        StreamRng::new(self.state(purpose))
    }

    /// The generator's 128-bit state for one purpose: two mixed halves, low then high.
    #[inline]
    fn state(self, purpose: Purpose) -> u128 {
        let lo = mix(self.0 ^ (purpose as u64).wrapping_mul(0x2545_f491_4f6c_dd1d));
        let hi = mix(lo ^ 0x6a09_e667_f3bc_c909);
        (u128::from(hi) << 64) | u128::from(lo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn same_key_same_numbers_and_neighbours_differ() {
        let a: u64 = stream(1, 2, 3, 4, Purpose::Stays).random();
        let b: u64 = stream(1, 2, 3, 4, Purpose::Stays).random();
        let c: u64 = stream(1, 2, 3, 5, Purpose::Stays).random();
        let d: u64 = stream(1, 2, 3, 4, Purpose::RiskFactors).random();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }

    #[test]
    fn a_stream_is_the_generator_seeded_with_its_key_bytes() {
        use rand::SeedableRng;
        let key = StreamBase::new(9, 8, 7).child(6);
        let mut want = StreamRng::from_seed(key.state(Purpose::Stays).to_le_bytes());
        let mut got = key.stream(Purpose::Stays);
        for _ in 0..4 {
            assert_eq!(got.random::<u64>(), want.random::<u64>());
        }
    }
}
