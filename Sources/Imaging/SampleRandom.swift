import Basics

/// The per-sample random generator (xoshiro256**, state from SplitMix64). Seeded by (seed, epoch, index), so a
/// sample's augmentation does not depend on which worker thread runs it or in which order.
public struct SampleRandom: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64, epoch: Int = 0, index: Int = 0) {
        // Fold the three numbers in through SplitMix64 steps so neighbouring indices give unrelated streams.
        var g = SplitMix64(seed: seed)
        g = SplitMix64(seed: g.next() ^ UInt64(bitPattern: Int64(epoch)) &* 0x9E37_79B9_7F4A_7C15)
        g = SplitMix64(seed: g.next() ^ UInt64(bitPattern: Int64(index)) &* 0xC2B2_AE3D_27D4_EB4F)
        s = (g.next(), g.next(), g.next(), g.next())
    }

    public mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = s.3 << 45 | s.3 >> 19
        return result
    }
}
