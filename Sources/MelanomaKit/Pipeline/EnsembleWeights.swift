import Foundation

/// Several models' OOF predictions over the same rows, aligned on image_name.
public struct OOFSet: Sendable {
    /// Model names (`{kernel}_{eval}`, the OOF file name without `_oof.csv`).
    public var models: [String]
    public var imageNames: [String]
    public var labels: [Bool]
    public var folds: [Int]
    /// `predictions[model][row]`, melanoma probabilities.
    public var predictions: [[Double]]

    /// Joins on image_name in the first file's order. Files over different rows, or disagreeing on a
    /// row's fold or target, are errors naming both files and the image.
    public static func align(_ files: [(name: String, path: String, rows: [OOFPrediction])]) throws -> OOFSet {
        guard let first = files.first else { throw RunError("ensemble: no OOF files") }
        let base = first.rows
        var preds: [[Double]] = []
        for f in files {
            let byName = Dictionary(f.rows.enumerated().map { ($1.imageName, $0) }, uniquingKeysWith: { a, _ in a })
            guard f.rows.count == base.count else {
                throw RunError("ensemble: \(f.path) has \(f.rows.count) rows, \(first.path) \(base.count); "
                    + "--optimize needs OOF files over the same rows")
            }
            preds.append(try base.map { r in
                guard let i = byName[r.imageName] else {
                    throw RunError("ensemble: '\(r.imageName)' is in \(first.path) but not in \(f.path)")
                }
                let o = f.rows[i]
                guard o.fold == r.fold, o.target == r.target else {
                    throw RunError("ensemble: '\(r.imageName)' has fold \(o.fold), target \(o.target) in \(f.path) "
                        + "but fold \(r.fold), target \(r.target) in \(first.path)")
                }
                return o.pred
            })
        }
        return OOFSet(models: files.map(\.name), imageNames: base.map(\.imageName), labels: base.map { $0.target == 1 },
                      folds: base.map(\.fold), predictions: preds)
    }
}

/// Non-negative rank-average weights that maximise OOF AUC, and an honest estimate of the gain.
///
/// The ensemble score of a row is `sum_i w_i * rank_i(row)` with `rank_i` the percentile rank of model
/// i over the rows in question (`RankEnsemble`'s formula), weights on the simplex. Weights fitted and
/// scored on the same rows flatter themselves, so `crossValidate` fits on four folds and scores the
/// fifth, for every fold.
public enum EnsembleWeights {
    public struct FoldScore: Sendable {
        public var fold: Int
        public var equalAUC: Double
        public var optimizedAUC: Double
        /// Fitted on the other folds.
        public var weights: [Double]
    }

    public struct Result: Sendable {
        public var models: [String]
        /// Fitted on every row: what `--weights-out` saves.
        public var weights: [Double]
        /// OOF AUC of equal weights, each fold ranked on its own and pooled (as the CV scores below).
        public var equalAUC: Double
        /// OOF AUC when each fold is scored with weights fitted on the other folds (pooled the same way).
        public var crossValidatedAUC: Double
        /// OOF AUC of `weights` on the rows they were fitted to (optimistic; shown for reference).
        public var inSampleAUC: Double
        public var folds: [FoldScore]
    }

    /// Percentile ranks of every model over `rows` (computed once per subset; weights do not change them).
    static func ranks(_ set: OOFSet, rows: [Int]) -> [[Double]] {
        set.predictions.map { p in Metrics.percentileRank(rows.map { p[$0] }) }
    }

    static func combine(_ ranks: [[Double]], _ w: [Double]) -> [Double] {
        let total = w.reduce(0, +)
        var out = [Double](repeating: 0, count: ranks.first?.count ?? 0)
        for (i, r) in ranks.enumerated() where w[i] > 0 {
            let wi = w[i] / total
            for k in out.indices { out[k] += wi * r[k] }
        }
        return out
    }

    /// Deterministic coordinate ascent on the simplex from equal weights: move one weight up or down
    /// by `step` (clipped at 0, renormalised), keep a move only if the AUC rises, halve the step when
    /// no move helps. Identical models never strictly improve, so they keep equal weights.
    public static func optimize(ranks: [[Double]], labels: [Bool], minStep: Double = 1.0 / 512) throws -> [Double] {
        let n = ranks.count
        var w = [Double](repeating: 1.0 / Double(n), count: n)
        guard n > 1 else { return w }
        var best = try Metrics.rocAUC(labels: labels, scores: combine(ranks, w), what: "ensemble OOF AUC")
        var step = 0.25
        while step >= minStep {
            var improved = false
            for i in 0 ..< n {
                for sign in [1.0, -1.0] {
                    var c = w
                    c[i] = max(0, c[i] + sign * step)
                    let total = c.reduce(0, +)
                    guard total > 0 else { continue }
                    c = c.map { $0 / total }
                    let v = try Metrics.rocAUC(labels: labels, scores: combine(ranks, c), what: "ensemble OOF AUC")
                    // A margin well above rounding, so ties in AUC never move the weights.
                    if v > best + 1e-12 { w = c; best = v; improved = true }
                }
            }
            if !improved { step /= 2 }
        }
        return w
    }

    /// Fits on every row, then for each fold fits on the others and scores it.
    public static func crossValidate(_ set: OOFSet) throws -> Result {
        let all = Array(set.labels.indices)
        let fullRanks = ranks(set, rows: all)
        let weights = try optimize(ranks: fullRanks, labels: set.labels)
        let inSample = try Metrics.rocAUC(labels: set.labels, scores: combine(fullRanks, weights), what: "in-sample AUC")
        let equal = [Double](repeating: 1, count: set.models.count)

        var folds: [FoldScore] = []
        var pooledEqual = [Double](repeating: 0, count: all.count), pooledCV = pooledEqual
        let foldIDs = Array(Set(set.folds)).sorted()
        guard foldIDs.count >= 2 else {
            throw RunError(.folds, "optimising ensemble weights: the OOF rows hold \(foldIDs.count) fold; cross-validation needs two or more")
        }
        for f in foldIDs {
            let test = all.filter { set.folds[$0] == f }, train = all.filter { set.folds[$0] != f }
            let w = try optimize(ranks: ranks(set, rows: train), labels: train.map { set.labels[$0] })
            let testRanks = ranks(set, rows: test), testLabels = test.map { set.labels[$0] }
            let e = combine(testRanks, equal), o = combine(testRanks, w)
            for (k, row) in test.enumerated() { pooledEqual[row] = e[k]; pooledCV[row] = o[k] }
            folds.append(FoldScore(
                fold: f, equalAUC: (try? Metrics.rocAUC(labels: testLabels, scores: e)) ?? .nan,
                optimizedAUC: (try? Metrics.rocAUC(labels: testLabels, scores: o)) ?? .nan, weights: w))
        }
        return Result(models: set.models, weights: weights,
                      equalAUC: try Metrics.rocAUC(labels: set.labels, scores: pooledEqual, what: "equal-weight OOF AUC"),
                      crossValidatedAUC: try Metrics.rocAUC(labels: set.labels, scores: pooledCV, what: "CV OOF AUC"),
                      inSampleAUC: inSample, folds: folds)
    }
}
