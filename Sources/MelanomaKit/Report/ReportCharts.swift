import Foundation

/// The report's charts, built from computed numbers (nothing here computes a metric).
public enum ReportCharts {
    static func color(_ k: Int) -> Colour { Colour.palette[k % Colour.palette.count] }

    /// Loss (train dashed, valid solid), AUC, auc_20 and LR against epoch, one colour per fold.
    public static func history(kernel: String, _ h: [EpochRecord]) -> [Canvas] {
        let folds = Array(Set(h.map(\.fold))).sorted()
        func series(_ value: (EpochRecord) -> Double, dashed: Bool = false, suffix: String = "") -> [Series] {
            folds.enumerated().map { k, f in
                Series("fold \(f)\(suffix)", color(k), h.filter { $0.fold == f }.map { (Double($0.epoch), value($0)) },
                       dashed: dashed)
            }
        }
        let epochs = h.map { Double($0.epoch) }
        let x = (epochs.min() ?? 1) ... max((epochs.max() ?? 1), (epochs.min() ?? 1) + 1)
        let loss = series(\.validLoss, suffix: " valid") + series(\.trainLoss, dashed: true, suffix: " train")
        return [
            Charts.lines(title: "Loss", xLabel: "epoch", yLabel: "cross-entropy", series: loss, x: x, legend: .topRight),
            Charts.lines(title: "Validation AUC", xLabel: "epoch", yLabel: "AUC", series: series(\.auc), x: x),
            Charts.lines(title: "Validation AUC, 2020 rows (auc_20)", xLabel: "epoch", yLabel: "AUC",
                         series: series(\.auc20), x: x),
            Charts.lines(title: "Learning rate", xLabel: "epoch", yLabel: "LR", series: series(\.lr), x: x,
                         y: 0 ... max((h.map(\.lr).max() ?? 1) * 1.1, 1e-12), legend: .topRight),
        ]
    }

    /// ROC, precision-recall, reliability, histograms, per-fold AUC and the confusion matrix.
    public static func oof(_ m: ModelReport) -> [(file: String, canvas: Canvas)] {
        var out: [(String, Canvas)] = []
        var roc = Charts.lines(
            title: "ROC", xLabel: "false positive rate (1 - specificity)", yLabel: "true positive rate (sensitivity)",
            series: [Series(String(format: "AUC %.4f [%.4f, %.4f]", m.auc.estimate, m.auc.lower, m.auc.upper),
                            color(0), m.roc.map { ($0.fpr, $0.tpr) })],
            x: 0 ... 1, y: 0 ... 1, diagonal: true)
        // Operating points at 80/90/95 % specificity.
        let frame = Charts.Frame(x: 0 ... 1, y: 0 ... 1, w: Double(Charts.width), h: Double(Charts.height))
        for op in m.operatingPoints {
            let px = frame.px(op.fpr), py = frame.py(op.sensitivity)
            roc.add(.circle(x: px, y: py, radius: 3.5, fill: color(1)))
            roc.text(String(format: "%.0f%%: %.3f", op.specificity * 100, op.sensitivity), px + 6, py + 12, size: 9,
                     color: color(1))
        }
        out.append(("roc", roc))

        let prevalence = Double(m.table.rows.filter { $0.target == 1 }.count) / Double(max(m.table.rows.count, 1))
        out.append(("pr", Charts.lines(
            title: "Precision-recall", xLabel: "recall", yLabel: "precision",
            series: [Series(String(format: "AP %.4f", m.averagePrecision), color(0),
                            m.precisionRecall.map { ($0.recall, $0.precision) }),
                     Series(String(format: "prevalence %.4f", prevalence), Colour.faint, [(0, prevalence), (1, prevalence)],
                            dashed: true)],
            x: 0 ... 1, y: 0 ... 1, legend: .topRight)))

        let filled = m.calibration.bins.filter { $0.count > 0 }
        out.append(("reliability", Charts.lines(
            title: "Reliability", xLabel: "mean predicted melanoma probability", yLabel: "fraction melanoma",
            series: [Series("observed", color(0), filled.map { ($0.meanPredicted, $0.fractionPositive) })],
            x: 0 ... 1, y: 0 ... 1, diagonal: true, legend: .topLeft,
            notes: [String(format: "ECE %.4f", m.calibration.ece), String(format: "Brier %.4f", m.calibration.brier)])))

        let n = ModelReport.histogramBins
        let intervals = (0 ..< n).map { (Double($0) / Double(n), Double($0 + 1) / Double(n)) }
        let other = m.histogramOther, mel = m.histogramMelanoma
        func share(_ h: [Int]) -> [Double] { let t = Double(max(h.reduce(0, +), 1)); return h.map { Double($0) / t } }
        out.append(("histogram", Charts.bars(
            title: "Melanoma probability by class", xLabel: "predicted melanoma probability", yLabel: "share of the class",
            intervals: intervals,
            series: [("other (\(other.reduce(0, +)))", color(0), share(other)),
                     ("melanoma (\(mel.reduce(0, +)))", color(1), share(mel))])))

        let folds = m.foldAUC
        out.append(("fold_auc", Charts.bars(
            title: "AUC per fold", xLabel: "fold", yLabel: "AUC",
            intervals: folds.indices.map { (Double($0) + 0.15, Double($0) + 0.85) },
            series: [("AUC", color(0), folds.map(\.auc))],
            y: Charts.range(folds.map(\.auc) + [m.auc.estimate], pad: 0.4),
            xTicks: folds.enumerated().map { (Double($0.offset) + 0.5, "\($0.element.fold)") }, labels: true)))

        if let cm = m.confusion {
            let total = max(cm.counts.joined().max() ?? 1, 1)
            out.append(("confusion", Charts.heatmap(
                title: String(format: "Confusion matrix (argmax; accuracy %.4f)", cm.accuracy), rowTitle: "true class",
                columnTitle: "predicted class", rows: cm.classNames, columns: cm.classNames,
                values: cm.counts.map { $0.map(Double.init) }, scale: Double(total), format: { String(Int($0)) })))
        }
        return out
    }

    public static func correlation(_ c: ModelComparison) -> Canvas {
        let labels = c.names.indices.map { "\($0 + 1) \(c.names[$0])" }
        return Charts.heatmap(title: "Rank correlation of OOF predictions", rowTitle: "model", columnTitle: "model",
                              rows: labels, columns: c.names.indices.map { "\($0 + 1)" }, values: c.rankCorrelation,
                              scale: 1, format: { String(format: "%.3f", $0) })
    }
}
