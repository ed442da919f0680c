import Foundation

/// One bin of a reliability diagram.
public struct ReliabilityBin: Sendable, Equatable {
    public var lower: Double
    public var upper: Double
    public var count: Int
    /// Mean predicted probability of the bin's rows (NaN when empty).
    public var meanPredicted: Double
    /// Fraction of the bin's rows that are positive (NaN when empty).
    public var fractionPositive: Double
}

/// How well melanoma probabilities match observed frequencies.
public struct Calibration: Sendable, Equatable {
    public var bins: [ReliabilityBin]
    /// Expected calibration error: the row-weighted mean of |fraction positive - mean predicted| over bins.
    public var ece: Double
    /// Brier score: mean squared difference between probability and 0/1 label (sklearn `brier_score_loss`).
    public var brier: Double

    /// Uniform bins over [0, 1] placed as sklearn's `calibration_curve(strategy="uniform")`: a
    /// probability equal to an inner edge goes to the lower bin (`searchsorted(edges[1:-1], p)`).
    public static func compute(labels: [Bool], probabilities p: [Double], bins n: Int = 10) throws -> Calibration {
        guard labels.count == p.count, !p.isEmpty else {
            throw RunError("calibration: \(labels.count) labels but \(p.count) probabilities")
        }
        guard n >= 1 else { throw RunError("calibration: \(n) bins") }
        if let bad = p.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) {
            throw RunError("calibration: probability at row \(bad) is \(p[bad]), outside [0, 1]")
        }
        let edges = Curves.linspace(0, 1, n + 1)
        var count = [Int](repeating: 0, count: n), sumP = [Double](repeating: 0, count: n)
        var positives = [Int](repeating: 0, count: n)
        var squared = 0.0
        for (y, v) in zip(labels, p) {
            // number of inner edges strictly below v
            var b = 0
            while b < n - 1, edges[b + 1] < v { b += 1 }
            count[b] += 1
            sumP[b] += v
            if y { positives[b] += 1 }
            let d = v - (y ? 1 : 0)
            squared += d * d
        }
        var out: [ReliabilityBin] = [], ece = 0.0
        for b in 0 ..< n {
            let c = Double(count[b])
            let mean = count[b] > 0 ? sumP[b] / c : .nan
            let frac = count[b] > 0 ? Double(positives[b]) / c : .nan
            out.append(ReliabilityBin(lower: edges[b], upper: edges[b + 1], count: count[b], meanPredicted: mean,
                                      fractionPositive: frac))
            if count[b] > 0 { ece += c / Double(p.count) * abs(frac - mean) }
        }
        return Calibration(bins: out, ece: ece, brier: squared / Double(p.count))
    }
}
