import Basics
import Foundation

/// A percentile bootstrap interval around a statistic.
public struct BootstrapInterval: Sendable, Equatable {
    /// The statistic on the data as given.
    public var estimate: Double
    public var lower: Double
    public var upper: Double
    /// 0.95 for a 95 % interval.
    public var level: Double
    /// Resamples that entered the interval.
    public var replicates: Int
    /// Resamples dropped because they held one class only (their AUC is undefined).
    public var skipped: Int
}

/// The percentile bootstrap: resample rows with replacement, recompute the statistic, take the
/// (1 - level)/2 and (1 + level)/2 percentiles (numpy's default linear interpolation). The
/// resamples come from `SplitMix64(seed)`, so the same seed gives the same interval everywhere.
public enum Bootstrap {
    /// The row indices of `count` resamples of `n` rows, in the order `rocAUC` draws them.
    /// (Tests hand these to numpy/sklearn to check the method; the report never keeps them all.)
    public static func replicateIndices(n: Int, count: Int, seed: UInt64) -> [[Int]] {
        var rng = SplitMix64(seed: seed)
        return (0 ..< count).map { _ in resample(n: n, rng: &rng) }
    }

    static func resample(n: Int, rng: inout SplitMix64) -> [Int] {
        (0 ..< n).map { _ in rng.below(n) }
    }

    /// ROC AUC with a bootstrap interval. Every replicate's AUC is `Metrics.rocAUC`.
    public static func rocAUC(labels: [Bool], scores: [Double], replicates: Int = 1000, level: Double = 0.95,
                              seed: UInt64 = 0) throws -> BootstrapInterval {
        guard replicates >= 1, level > 0, level < 1 else {
            throw RunError("bootstrap: \(replicates) replicates at level \(level)")
        }
        let estimate = try Metrics.rocAUC(labels: labels, scores: scores, what: "bootstrap AUC")
        var rng = SplitMix64(seed: seed)
        var values: [Double] = [], skipped = 0
        values.reserveCapacity(replicates)
        for _ in 0 ..< replicates {
            let idx = resample(n: labels.count, rng: &rng)
            if let auc = try? Metrics.rocAUC(labels: idx.map { labels[$0] }, scores: idx.map { scores[$0] }) {
                values.append(auc)
            } else {
                skipped += 1
            }
        }
        guard !values.isEmpty else {
            throw RunError("bootstrap: every one of \(replicates) resamples held one class only")
        }
        values.sort()
        return BootstrapInterval(estimate: estimate, lower: percentile(sorted: values, (1 - level) / 2 * 100),
                                 upper: percentile(sorted: values, (1 + level) / 2 * 100), level: level,
                                 replicates: values.count, skipped: skipped)
    }

    /// numpy `percentile(values, q)` with the default linear method, on ascending `sorted`.
    public static func percentile(sorted: [Double], _ q: Double) -> Double {
        precondition(!sorted.isEmpty, "percentile of nothing")
        let position = q / 100 * Double(sorted.count - 1)
        let below = Int(position.rounded(.down))
        let above = min(below + 1, sorted.count - 1)
        let t = position - Double(below)
        // numpy's _lerp: a + (b - a) * t, switched to b - (b - a) * (1 - t) past the midpoint.
        let a = sorted[below], b = sorted[above], d = b - a
        return t >= 0.5 ? b - d * (1 - t) : a + d * t
    }
}
