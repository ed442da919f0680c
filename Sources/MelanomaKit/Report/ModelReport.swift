import Foundation

/// Every out-of-fold number the report shows for one model (one OOF file).
public struct ModelReport: Sendable {
    public var name: String
    public var table: OOFTable
    public var scores: OOFScores
    public var roc: [ROCPoint]
    /// ROC AUC over all rows with its bootstrap interval.
    public var auc: BootstrapInterval
    public var precisionRecall: [PRPoint]
    public var averagePrecision: Double
    /// Sensitivity at 80, 90 and 95 % specificity.
    public var operatingPoints: [OperatingPoint]
    public var calibration: Calibration
    /// Melanoma-probability histogram, 20 bins over [0, 1], for non-melanoma and melanoma rows.
    public var histogramOther: [Int]
    public var histogramMelanoma: [Int]
    /// ROC AUC of each fold alone (NaN where a fold holds one class).
    public var foldAUC: [(fold: Int, auc: Double)]
    /// nil for OOF files without class probabilities.
    public var confusion: ConfusionMatrix?

    public static let specificities = [0.8, 0.9, 0.95]
    public static let histogramBins = 20

    public static func compute(name: String, table: OOFTable, bootstrap: Int = 1000, seed: UInt64 = 0) throws
        -> ModelReport {
        let rows = table.rows
        let labels = rows.map { $0.target == 1 }, scores = rows.map(\.pred)
        let roc = try Curves.roc(labels: labels, scores: scores, what: "\(name) ROC")
        let folds = Array(Set(rows.map(\.fold))).sorted()
        let foldAUC = folds.map { f -> (fold: Int, auc: Double) in
            let idx = rows.indices.filter { rows[$0].fold == f }
            return (f, (try? Metrics.rocAUC(labels: idx.map { labels[$0] }, scores: idx.map { scores[$0] })) ?? .nan)
        }
        return ModelReport(
            name: name, table: table, scores: try OOFScores.compute(rows), roc: roc,
            auc: try Bootstrap.rocAUC(labels: labels, scores: scores, replicates: bootstrap, seed: seed),
            precisionRecall: try Curves.precisionRecall(labels: labels, scores: scores, what: "\(name) PR"),
            averagePrecision: try Curves.averagePrecision(labels: labels, scores: scores, what: "\(name) AP"),
            operatingPoints: Curves.sensitivity(atSpecificity: specificities, roc: roc),
            calibration: try Calibration.compute(labels: labels, probabilities: scores),
            histogramOther: Curves.histogram(rows.indices.filter { !labels[$0] }.map { scores[$0] }, bins: histogramBins),
            histogramMelanoma: Curves.histogram(rows.indices.filter { labels[$0] }.map { scores[$0] }, bins: histogramBins),
            foldAUC: foldAUC,
            confusion: table.hasClasses ? try ConfusionMatrix.compute(table) : nil)
    }

    /// Population standard deviation (numpy's default ddof=0) of the per-fold AUCs that are defined.
    public var foldSpread: (mean: Double, std: Double, min: Double, max: Double) {
        let v = foldAUC.map(\.auc).filter { !$0.isNaN }
        guard !v.isEmpty else { return (.nan, .nan, .nan, .nan) }
        let mean = v.reduce(0, +) / Double(v.count)
        let variance = v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count)
        return (mean, variance.squareRoot(), v.min()!, v.max()!)
    }
}

/// Several models side by side: the correlation of their OOF percentile ranks over shared rows.
public struct ModelComparison: Sendable {
    public var names: [String]
    /// Pearson correlation of `Metrics.percentileRank` of the predictions (Spearman's rho), by model pair.
    public var rankCorrelation: [[Double]]
    /// Rows every model predicted (joined on image_name).
    public var sharedRows: Int

    public static func compute(_ models: [ModelReport]) throws -> ModelComparison {
        guard let first = models.first else { throw RunError("comparison: no models") }
        var common = Set(first.table.rows.map(\.imageName))
        for m in models.dropFirst() { common.formIntersection(m.table.rows.map(\.imageName)) }
        guard common.count >= 2 else {
            throw RunError("comparison: the OOF files share \(common.count) image(s); they were made from different data")
        }
        let names = first.table.rows.map(\.imageName).filter { common.contains($0) }
        let ranks = models.map { m -> [Double] in
            let pred = Dictionary(m.table.rows.map { ($0.imageName, $0.pred) }, uniquingKeysWith: { a, _ in a })
            return Metrics.percentileRank(names.map { pred[$0]! }) // every name is in `common`
        }
        let r = ranks.map { a in ranks.map { b in pearson(a, b) } }
        return ModelComparison(names: models.map(\.name), rankCorrelation: r, sharedRows: names.count)
    }

    /// numpy `corrcoef` for two series: covariance over the product of standard deviations.
    static func pearson(_ a: [Double], _ b: [Double]) -> Double {
        let n = Double(a.count)
        let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for (x, y) in zip(a, b) { sab += (x - ma) * (y - mb); saa += (x - ma) * (x - ma); sbb += (y - mb) * (y - mb) }
        return sab / (saa * sbb).squareRoot()
    }
}
