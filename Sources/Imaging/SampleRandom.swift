/// The per-sample random generator (xoshiro256**, state from SplitMix64). Seeded by (seed, epoch, index), so a
/// sample's augmentation does not depend on which worker thread runs it or in which order.
public struct SampleRandom: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64, epoch: Int = 0, index: Int = 0) {
        var x = seed
        // Mix the three numbers through SplitMix64 steps so neighbouring indices give unrelated streams.
        x = SampleRandom.splitMix(&x) ^ UInt64(bitPattern: Int64(epoch)) &* 0x9E37_79B9_7F4A_7C15
        x = SampleRandom.splitMix(&x) ^ UInt64(bitPattern: Int64(index)) &* 0xC2B2_AE3D_27D4_EB4F
        s = (SampleRandom.splitMix(&x), SampleRandom.splitMix(&x), SampleRandom.splitMix(&x), SampleRandom.splitMix(&x))
    }

    private static func splitMix(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = s.3 << 45 | s.3 >> 19
        return result
    }

    /// Python's random.random(): 53 bits in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// random.uniform(a, b) = a + (b - a) * random().
    public mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * unit() }

    /// random.randint(a, b), both ends included.
    public mutating func randint(_ a: Int, _ b: Int) -> Int { Int.random(in: a ... b, using: &self) }

    /// True with probability p (random.random() < p).
    public mutating func chance(_ p: Double) -> Bool { unit() < p }
}
