import Foundation

/// The scores the original reports: ROC AUC as scikit-learn, percentile ranks as pandas,
/// accuracy as numpy's argmax comparison.
public enum Metrics {
    /// Binary ROC AUC with scikit-learn's `roc_auc_score` semantics: the ROC curve has one point per
    /// distinct score (tied scores move along the diagonal of their block), and the area is the
    /// trapezoid sum over those points.
    ///
    /// Positive and negative counts are accumulated as integers, so the only rounding is the final
    /// division; sklearn sums normalised rates, which agrees to ~1e-15.
    /// - Parameters:
    ///   - labels: true binary labels (`true` = positive class).
    ///   - scores: higher means more likely positive. NaN is an error, as in sklearn.
    ///   - what: names the data in error messages ("auc_20 on fold 2").
    public static func rocAUC(labels: [Bool], scores: [Double], what: String = "ROC AUC") throws -> Double {
        guard labels.count == scores.count else {
            throw RunError("\(what): \(labels.count) labels but \(scores.count) scores")
        }
        if let bad = scores.firstIndex(where: { !$0.isFinite }) {
            throw RunError("\(what): score at row \(bad) is \(scores[bad]); ROC AUC needs finite scores")
        }
        let positives = labels.reduce(0) { $0 + ($1 ? 1 : 0) }
        let negatives = labels.count - positives
        guard positives > 0, negatives > 0 else {
            throw RunError(
                "\(what): only one class present in the labels (\(positives) positive, \(negatives) negative of "
                    + "\(labels.count)); ROC AUC is not defined in that case")
        }
        // Descending by score; within a tie block the order does not matter because only block
        // totals enter the curve.
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var tp = 0, fp = 0       // cumulative counts at the previous distinct threshold
        var twiceArea = 0.0      // sum of dfp * (tp_prev + tp_new), exact while below 2^53
        var i = 0
        while i < order.count {
            let s = scores[order[i]]
            var blockTP = 0, blockFP = 0
            while i < order.count, scores[order[i]] == s {
                if labels[order[i]] { blockTP += 1 } else { blockFP += 1 }
                i += 1
            }
            twiceArea += Double(blockFP) * Double(2 * tp + blockTP)
            tp += blockTP
            fp += blockFP
        }
        return twiceArea / 2 / (Double(positives) * Double(negatives))
    }

    /// Convenience for probabilities straight from a model.
    public static func rocAUC(labels: [Bool], scores: [Float], what: String = "ROC AUC") throws -> Double {
        try rocAUC(labels: labels, scores: scores.map(Double.init), what: what)
    }

    /// pandas `Series.rank(pct=True)` with the default `method="average"`, `na_option="keep"`:
    /// 1-based ranks, ties share the mean of their positions, divided by the number of non-NaN
    /// values. NaN stays NaN.
    public static func percentileRank(_ values: [Double]) -> [Double] {
        var out = [Double](repeating: .nan, count: values.count)
        let valid = values.indices.filter { !values[$0].isNaN }
        let order = valid.sorted { values[$0] < values[$1] }
        let n = Double(order.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count, values[order[j + 1]] == values[order[i]] { j += 1 }
            // positions i...j (0-based) share the average 1-based rank
            let rank = Double(i + 1 + j + 1) / 2
            for k in i ... j { out[order[k]] = rank / n }
            i = j + 1
        }
        return out
    }

    /// Percentile ranks computed separately within each group (evaluate.py ranks within each fold).
    public static func percentileRank<G: Hashable>(_ values: [Double], groups: [G]) throws -> [Double] {
        guard values.count == groups.count else {
            throw RunError("percentile rank: \(values.count) values but \(groups.count) group labels")
        }
        var members: [G: [Int]] = [:]
        for (i, g) in groups.enumerated() { members[g, default: []].append(i) }
        var out = [Double](repeating: .nan, count: values.count)
        for idx in members.values {
            let r = percentileRank(idx.map { values[$0] })
            for (k, i) in idx.enumerated() { out[i] = r[k] }
        }
        return out
    }

    /// The original's `acc`: percentage of rows whose argmax class equals the target. Ties go to the
    /// first maximal class and a NaN counts as the maximum, as `numpy.argmax`.
    /// - Parameter probabilities: row-major `[rows, classes]`.
    public static func accuracy(probabilities: [Double], classes: Int, targets: [Int]) throws -> Double {
        guard classes > 0, probabilities.count == targets.count * classes else {
            throw RunError(
                "accuracy: \(probabilities.count) probabilities do not form \(targets.count) rows of \(classes) classes")
        }
        guard !targets.isEmpty else { throw RunError("accuracy: no rows") }
        var hits = 0
        for r in targets.indices {
            if argmax(probabilities[(r * classes) ..< ((r + 1) * classes)]) == targets[r] { hits += 1 }
        }
        return Double(hits) / Double(targets.count) * 100
    }

    /// numpy's argmax: the first NaN if any, else the first maximum.
    public static func argmax<C: Collection>(_ row: C) -> Int where C.Element == Double {
        var best = 0, bestValue = -Double.infinity, k = 0
        for v in row {
            if v.isNaN { return k }
            if v > bestValue || k == 0 { best = k; bestValue = v }
            k += 1
        }
        return best
    }
}
