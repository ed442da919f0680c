import Foundation

/// SplitMix64 (Steele, Lea and Flood): tiny, seedable and the same on every platform and Swift version, which
/// folds, synthetic data, subsets and seed derivation rely on. The one seedable generator of the project; the
/// augmentation generator (`Imaging.SampleRandom`) takes its state from it.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The first output of a generator seeded with `x`: a bijective mix, for deriving seeds from numbers.
    public static func mix(_ x: UInt64) -> UInt64 {
        var g = SplitMix64(seed: x)
        return g.next()
    }

    /// A seed derived from `seed` and a list of numbers (fold, epoch, ...), each folded in with `mix`.
    public static func derive(_ seed: UInt64, _ parts: Int...) -> UInt64 {
        parts.reduce(mix(seed)) { mix($0 ^ UInt64(truncatingIfNeeded: $1)) }
    }
}

extension MutableCollection where Self: RandomAccessCollection, Index == Int {
    /// Fisher-Yates from the back, swapping i with `next() % (i + 1)`. Written out (not the standard library's
    /// `shuffle`, whose algorithm is not promised to stay the same) so a seed gives the same order forever.
    public mutating func seededShuffle<G: RandomNumberGenerator>(using rng: inout G) {
        guard count > 1 else { return }
        for i in stride(from: endIndex - 1, to: startIndex, by: -1) {
            let j = startIndex + Int(rng.next() % UInt64(i - startIndex + 1))
            swapAt(i, j)
        }
    }
}

/// Python's `random` vocabulary on any generator, so ported code reads like the original.
extension RandomNumberGenerator {
    /// random.random(): 53 bits in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// random.uniform(a, b) = a + (b - a) * random().
    public mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * unit() }

    /// random.randint(a, b), both ends included.
    public mutating func randint(_ a: Int, _ b: Int) -> Int { Int.random(in: a ... b, using: &self) }

    /// True with probability p (random.random() < p).
    public mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// An integer in 0..<n by `next() % n` (n <= 0 counts as 1).
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }

    /// A standard normal draw (Box-Muller, one value per two uniforms).
    public mutating func normal() -> Double {
        let u1 = max(unit(), 1e-300), u2 = unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
