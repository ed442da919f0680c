import Foundation

/// One point of a ROC curve: the rates when every score >= `threshold` is called positive.
public struct ROCPoint: Sendable, Equatable {
    public var fpr: Double
    public var tpr: Double
    public var threshold: Double
}

/// One point of a precision-recall curve.
public struct PRPoint: Sendable, Equatable {
    public var recall: Double
    public var precision: Double
    /// +infinity for the closing point (recall 0, precision 1) that has no threshold.
    public var threshold: Double
}

/// The sensitivity a model reaches while keeping at least `specificity`.
public struct OperatingPoint: Sendable, Equatable {
    public var specificity: Double
    public var sensitivity: Double
    /// The false positive rate actually reached (at most 1 - specificity).
    public var fpr: Double
    /// The lowest score called positive at that point.
    public var threshold: Double
}

/// ROC and precision-recall curves with scikit-learn's semantics (`roc_curve(drop_intermediate=False)`,
/// `precision_recall_curve`, `average_precision_score`), so the report's points are the library's.
/// The ROC AUC itself stays `Metrics.rocAUC`.
public enum Curves {
    /// Cumulative (false positives, true positives, threshold) at each distinct score, highest first
    /// (sklearn's `_binary_clf_curve`).
    static func cumulative(labels: [Bool], scores: [Double], what: String) throws
        -> (fps: [Int], tps: [Int], thresholds: [Double]) {
        guard labels.count == scores.count else {
            throw RunError("\(what): \(labels.count) labels but \(scores.count) scores")
        }
        if let bad = scores.firstIndex(where: { !$0.isFinite }) {
            throw RunError("\(what): score at row \(bad) is \(scores[bad]); curves need finite scores")
        }
        let positives = labels.reduce(0) { $0 + ($1 ? 1 : 0) }
        guard positives > 0, positives < labels.count else {
            throw RunError("\(what): only one class present in the labels (\(positives) positive of \(labels.count))")
        }
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var fps: [Int] = [], tps: [Int] = [], thresholds: [Double] = []
        var tp = 0, fp = 0, i = 0
        while i < order.count {
            let s = scores[order[i]]
            while i < order.count, scores[order[i]] == s {
                if labels[order[i]] { tp += 1 } else { fp += 1 }
                i += 1
            }
            fps.append(fp); tps.append(tp); thresholds.append(s)
        }
        return (fps, tps, thresholds)
    }

    /// `roc_curve(..., drop_intermediate=False)`: a first point (0, 0) at threshold +infinity, then one
    /// point per distinct score, highest first. Rates are integer counts divided once, as sklearn.
    public static func roc(labels: [Bool], scores: [Double], what: String = "ROC curve") throws -> [ROCPoint] {
        let c = try cumulative(labels: labels, scores: scores, what: what)
        let negatives = Double(c.fps.last!), positives = Double(c.tps.last!)
        var points = [ROCPoint(fpr: 0, tpr: 0, threshold: .infinity)]
        for k in c.thresholds.indices {
            points.append(ROCPoint(fpr: Double(c.fps[k]) / negatives, tpr: Double(c.tps[k]) / positives,
                                   threshold: c.thresholds[k]))
        }
        return points
    }

    /// `precision_recall_curve`: one point per distinct score from the highest recall down, then the
    /// closing point (recall 0, precision 1), as sklearn returns them (reversed).
    public static func precisionRecall(labels: [Bool], scores: [Double], what: String = "precision-recall") throws
        -> [PRPoint] {
        let c = try cumulative(labels: labels, scores: scores, what: what)
        let positives = Double(c.tps.last!)
        var points: [PRPoint] = []
        for k in c.thresholds.indices.reversed() {
            let called = c.tps[k] + c.fps[k]
            points.append(PRPoint(recall: Double(c.tps[k]) / positives,
                                  precision: called == 0 ? 0 : Double(c.tps[k]) / Double(called),
                                  threshold: c.thresholds[k]))
        }
        points.append(PRPoint(recall: 0, precision: 1, threshold: .infinity))
        return points
    }

    /// `average_precision_score`: sum over thresholds of (recall gained) x (precision there), that is
    /// the step-wise area without interpolation.
    public static func averagePrecision(labels: [Bool], scores: [Double], what: String = "average precision") throws
        -> Double {
        let pr = try precisionRecall(labels: labels, scores: scores, what: what)
        // sklearn: -sum(diff(recall) * precision[:-1]) with recall decreasing along the array.
        var total = 0.0
        for k in 0 ..< (pr.count - 1) { total += (pr[k].recall - pr[k + 1].recall) * pr[k].precision }
        return total
    }

    /// The highest sensitivity among ROC points whose specificity `1 - fpr` is at least each target
    /// (0.8, 0.9, 0.95 in the report): the operating points a screening clinic would choose from.
    public static func sensitivity(atSpecificity targets: [Double], roc: [ROCPoint]) -> [OperatingPoint] {
        targets.map { target in
            // ROC points are ordered by rising fpr, so the last admissible one has the highest tpr.
            let best = roc.last { 1 - $0.fpr >= target } ?? roc[0]
            return OperatingPoint(specificity: target, sensitivity: best.tpr, fpr: best.fpr, threshold: best.threshold)
        }
    }

    /// Counts of rows per bin of `edges` (numpy `histogram`: half-open bins, the last one closed).
    public static func histogram(_ values: [Double], bins: Int, range: ClosedRange<Double> = 0 ... 1) -> [Int] {
        let edges = linspace(range.lowerBound, range.upperBound, bins + 1)
        var counts = [Int](repeating: 0, count: bins)
        for v in values where v >= range.lowerBound && v <= range.upperBound {
            // First edge strictly above v, minus one; v == upper edge goes to the last bin.
            var lo = 0, hi = edges.count
            while lo < hi { let mid = (lo + hi) / 2; if edges[mid] <= v { lo = mid + 1 } else { hi = mid } }
            counts[min(max(lo - 1, 0), bins - 1)] += 1
        }
        return counts
    }

    /// numpy `linspace(start, stop, num)`: `start + i * step`, the last value exactly `stop`.
    public static func linspace(_ start: Double, _ stop: Double, _ num: Int) -> [Double] {
        guard num > 1 else { return [start] }
        let step = (stop - start) / Double(num - 1)
        var out = (0 ..< num).map { start + Double($0) * step }
        out[num - 1] = stop
        return out
    }
}
