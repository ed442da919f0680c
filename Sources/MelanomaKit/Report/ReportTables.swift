import Foundation

/// The report's tables as rows of text (the first row is the header).
public enum ReportTables {
    static func f(_ v: Double, _ digits: Int = 4) -> String { v.isFinite ? String(format: "%.\(digits)f", v) : "–" }

    /// One model's OOF scores, operating points and calibration.
    public static func summary(_ m: ModelReport) -> [[String]] {
        let s = m.scores, spread = m.foldSpread
        var rows: [[String]] = [["score", "value"],
                                ["AUC, all rows (95 % bootstrap interval)",
                                 "\(f(m.auc.estimate)) [\(f(m.auc.lower)), \(f(m.auc.upper))]"],
                                ["auc_all_raw / auc_all_rank", "\(f(s.aucAllRaw)) / \(f(s.aucAllRank))"],
                                ["auc_20_raw / auc_20_rank", "\(f(s.aucTwentyRaw)) / \(f(s.aucTwentyRank))"],
                                ["average precision", f(m.averagePrecision)]]
        for op in m.operatingPoints {
            rows.append(["sensitivity at \(Int((op.specificity * 100).rounded())) % specificity",
                         "\(f(op.sensitivity)) (threshold \(f(op.threshold, 5)))"])
        }
        rows += [["expected calibration error (10 bins)", f(m.calibration.ece)],
                 ["Brier score", f(m.calibration.brier)],
                 ["AUC per fold: mean ± std (min – max)",
                  "\(f(spread.mean)) ± \(f(spread.std)) (\(f(spread.min)) – \(f(spread.max)))"]]
        if m.auc.skipped > 0 {
            rows.append(["bootstrap resamples with one class (left out)", "\(m.auc.skipped)"])
        }
        return rows
    }

    /// Several models side by side.
    public static func comparison(_ models: [ModelReport]) -> [[String]] {
        [["model", "rows", "AUC raw", "AUC rank", "auc_20 raw", "auc_20 rank", "95 % interval", "AP",
          "fold mean", "fold std", "fold min", "fold max"]]
            + models.map { m in
                let s = m.scores, sp = m.foldSpread
                return [m.name, "\(m.table.rows.count)", f(s.aucAllRaw), f(s.aucAllRank), f(s.aucTwentyRaw),
                        f(s.aucTwentyRank), "[\(f(m.auc.lower)), \(f(m.auc.upper))]", f(m.averagePrecision),
                        f(sp.mean), f(sp.std), f(sp.min), f(sp.max)]
            }
    }

    /// The epoch with the best validation AUC in each fold, as training saved `best` from it.
    public static func history(_ h: [EpochRecord]) -> [[String]] {
        let folds = Array(Set(h.map(\.fold))).sorted()
        return [["fold", "epochs", "best epoch", "AUC", "auc_20", "valid loss", "acc", "images/s"]]
            + folds.map { fold in
                let e = h.filter { $0.fold == fold }
                let best = e.filter { !$0.auc.isNaN }.max { $0.auc < $1.auc } ?? e[0]
                let speed = e.map(\.trainImagesPerSecond).reduce(0, +) / Double(e.count)
                return ["\(fold)", "\(e.count)", "\(best.epoch)", f(best.auc), f(best.auc20), f(best.validLoss, 5),
                        f(best.acc, 2), f(speed, 1)]
            }
    }
}
