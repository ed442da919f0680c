import Foundation

/// evaluate.py's four cross-validation AUCs over out-of-fold predictions.
public struct OOFScores: Sendable, Equatable {
    /// All validation rows (2020 + external), raw probabilities.
    public var aucAllRaw: Double
    /// All rows, each fold's predictions replaced by their percentile rank within the fold.
    public var aucAllRank: Double
    /// 2020 rows only, raw.
    public var aucTwentyRaw: Double
    /// 2020 rows only, ranked within each fold among the 2020 rows (evaluate.py filters, then ranks).
    public var aucTwentyRank: Double

    public init(aucAllRaw: Double, aucAllRank: Double, aucTwentyRaw: Double, aucTwentyRank: Double) {
        self.aucAllRaw = aucAllRaw
        self.aucAllRank = aucAllRank
        self.aucTwentyRaw = aucTwentyRaw
        self.aucTwentyRank = aucTwentyRank
    }

    /// Computes the four scores; a subset with one class only is an error naming the score.
    public static func compute(_ rows: [OOFPrediction]) throws -> OOFScores {
        func auc(_ subset: [OOFPrediction], _ preds: [Double], _ what: String) throws -> Double {
            try Metrics.rocAUC(labels: subset.map { $0.target == 1 }, scores: preds, what: what)
        }
        func ranked(_ subset: [OOFPrediction]) throws -> [Double] {
            try Metrics.percentileRank(subset.map(\.pred), groups: subset.map(\.fold))
        }
        let twenty = rows.filter { !$0.isExt }
        return OOFScores(
            aucAllRaw: try auc(rows, rows.map(\.pred), "auc_all_raw"),
            aucAllRank: try auc(rows, try ranked(rows), "auc_all_rank"),
            aucTwentyRaw: try auc(twenty, twenty.map(\.pred), "auc_20_raw"),
            aucTwentyRank: try auc(twenty, try ranked(twenty), "auc_20_rank"))
    }
}
