import Foundation
import Testing
import TestSupport
@testable import MelanomaKit

/// JSON numbers as doubles; null (the script's +inf) as +infinity.
private func doubles(_ any: Any?) -> [Double] {
    ((any as? [Any]) ?? []).map { ($0 as? NSNumber)?.doubleValue ?? .infinity }
}

private func maxDiff(_ a: [Double], _ b: [Double]) -> Double {
    guard a.count == b.count else { return .infinity }
    return zip(a, b).map { $0 == $1 ? 0 : abs($0 - $1) }.max() ?? 0
}

@Suite("Report numbers vs scikit-learn / numpy / scipy")
struct ReportMetricsTests {
    let dir: URL
    let expected: [String: Any]

    init() throws {
        dir = try Reference.temporaryDirectory("report-metrics")
        try Reference.run("report_metrics.py", [dir.path])
        expected = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("expected.json")))
            as! [String: Any]
    }

    func model(_ bootstrap: Int = 50) throws -> ModelReport {
        try ModelReport.compute(name: "a", table: try OOFFile.readTable(dir.appendingPathComponent("oof_a.csv")),
                                bootstrap: bootstrap)
    }

    @Test func rocAndPrecisionRecallPoints() throws {
        let m = try model()
        let roc = expected["roc"] as! [String: Any], pr = expected["pr"] as! [String: Any]
        // Same integer counts divided once: the points agree to the last bit or two (1e-15 absolute).
        #expect(maxDiff(m.roc.map(\.fpr), doubles(roc["fpr"])) <= 1e-15, "ROC fpr")
        #expect(maxDiff(m.roc.map(\.tpr), doubles(roc["tpr"])) <= 1e-15, "ROC tpr")
        #expect(maxDiff(m.roc.map(\.threshold), doubles(roc["thresholds"])) == 0, "ROC thresholds")
        #expect(maxDiff(m.precisionRecall.map(\.precision), doubles(pr["precision"])) <= 1e-15, "PR precision")
        #expect(maxDiff(m.precisionRecall.map(\.recall), doubles(pr["recall"])) <= 1e-15, "PR recall")
        // sklearn returns one threshold fewer than points (the closing point has none).
        #expect(maxDiff(m.precisionRecall.dropLast().map(\.threshold), doubles(pr["thresholds"])) == 0, "PR thresholds")
        let ap = (expected["ap"] as! NSNumber).doubleValue, auc = (expected["auc"] as! NSNumber).doubleValue
        #expect(abs(m.averagePrecision - ap) <= 1e-12, "AP \(m.averagePrecision) vs sklearn \(ap)")
        #expect(abs(m.auc.estimate - auc) <= 1e-12, "AUC \(m.auc.estimate) vs sklearn \(auc)")
        let sens = expected["sensitivity"] as! [String: Any]
        for op in m.operatingPoints {
            let want = (sens["\(op.specificity)"] as! NSNumber).doubleValue
            // sklearn's rates can be 1 ulp off the correctly rounded quotient
            #expect(abs(op.sensitivity - want) <= 1e-15, "sensitivity at \(op.specificity) specificity: \(op.sensitivity) vs \(want)")
        }
    }

    @Test func calibrationAndHistograms() throws {
        let m = try model()
        let c = expected["calibration"] as! [String: Any]
        let filled = m.calibration.bins.filter { $0.count > 0 }
        #expect(m.calibration.bins.map(\.count) == ((c["counts"] as? [Int]) ?? []), "bin counts (searchsorted edges)")
        #expect(maxDiff(filled.map(\.fractionPositive), doubles(c["prob_true"])) <= 1e-12, "calibration_curve prob_true")
        #expect(maxDiff(filled.map(\.meanPredicted), doubles(c["prob_pred"])) <= 1e-12, "calibration_curve prob_pred")
        let ece = (c["ece"] as! NSNumber).doubleValue, brier = (c["brier"] as! NSNumber).doubleValue
        #expect(abs(m.calibration.ece - ece) <= 1e-12, "ECE \(m.calibration.ece) vs numpy \(ece)")
        #expect(abs(m.calibration.brier - brier) <= 1e-12, "Brier \(m.calibration.brier) vs sklearn \(brier)")
        #expect(m.histogramOther == ((expected["hist_other"] as? [Int]) ?? []), "np.histogram of non-melanoma scores")
        #expect(m.histogramMelanoma == ((expected["hist_mel"] as? [Int]) ?? []), "np.histogram of melanoma scores")
    }

    @Test func foldsConfusionAndRankCorrelation() throws {
        let a = try model()
        let folds = expected["fold_auc"] as! [String: Any]
        for (f, auc) in a.foldAUC {
            let want = (folds["\(f)"] as! NSNumber).doubleValue
            #expect(abs(auc - want) <= 1e-12, "fold \(f) AUC \(auc) vs sklearn \(want)")
        }
        let std = (expected["fold_auc_std"] as! NSNumber).doubleValue
        #expect(abs(a.foldSpread.std - std) <= 1e-12, "per-fold std \(a.foldSpread.std) vs numpy \(std)")
        #expect(a.confusion?.counts == (expected["confusion"] as? [[Int]]), "confusion_matrix of argmax")
        #expect(a.confusion?.classNames.count == 9)

        let b = try ModelReport.compute(name: "b", table: try OOFFile.readTable(dir.appendingPathComponent("oof_b.csv")),
                                        bootstrap: 10)
        let cmp = try ModelComparison.compute([a, b])
        let rho = (expected["spearman_ab"] as! NSNumber).doubleValue
        #expect(cmp.sharedRows == 3000)
        #expect(abs(cmp.rankCorrelation[0][1] - rho) <= 1e-12, "rank correlation \(cmp.rankCorrelation[0][1]) vs scipy \(rho)")
        #expect(abs(cmp.rankCorrelation[0][0] - 1) <= 1e-12)
    }

    @Test func oldOOFFilesStillLoadAndClassesRoundTrip() throws {
        let old = try OOFFile.readTable(dir.appendingPathComponent("oof_old.csv"))
        #expect(!old.hasClasses && old.probabilities.isEmpty && old.rows.count == 3000)
        let m = try ModelReport.compute(name: "old", table: old, bootstrap: 10)
        #expect(m.confusion == nil)
        #expect(try OOFFile.read(dir.appendingPathComponent("oof_a.csv")) == old.rows, "base columns read the same")
        // Our writer gives back what it read, class columns included.
        let full = try OOFFile.readTable(dir.appendingPathComponent("oof_a.csv"))
        let copy = dir.appendingPathComponent("copy.csv")
        try OOFFile.write(full, to: copy)
        #expect(try OOFFile.readTable(copy) == full)
    }

    @Test func bootstrapMethodMatchesNumpyPercentiles() throws {
        // Few rows and positives, so some resamples hold one class and must be skipped alike.
        let sub = dir.appendingPathComponent("boot")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        let rows = try OOFFile.read(dir.appendingPathComponent("oof_a.csv")).prefix(40)
        let labels = rows.map { $0.target == 1 }, scores = rows.map(\.pred)
        try Data(("label,score\n" + zip(labels, scores).map { "\($0 ? 1 : 0),\($1)" }.joined(separator: "\n") + "\n").utf8)
            .write(to: sub.appendingPathComponent("data.csv"))
        let indices = Bootstrap.replicateIndices(n: rows.count, count: 400, seed: 7)
        try Data((indices.map { $0.map(String.init).joined(separator: " ") }.joined(separator: "\n") + "\n").utf8)
            .write(to: sub.appendingPathComponent("indices.txt"))
        let got = try Bootstrap.rocAUC(labels: labels, scores: scores, replicates: 400, seed: 7)
        let ref = try JSONSerialization.jsonObject(with: Data(try Reference.run("report_bootstrap.py", [sub.path]).utf8))
            as! [String: Any]
        #expect(got.replicates == (ref["used"] as! Int) && got.skipped == (ref["skipped"] as! Int),
                "resamples used/skipped \(got.replicates)/\(got.skipped) vs \(ref["used"]!)/\(ref["skipped"]!)")
        let lo = (ref["lower"] as! NSNumber).doubleValue, hi = (ref["upper"] as! NSNumber).doubleValue
        #expect(abs(got.lower - lo) <= 1e-12 && abs(got.upper - hi) <= 1e-12,
                "interval [\(got.lower), \(got.upper)] vs numpy [\(lo), \(hi)]")
        #expect(got.lower < got.estimate && got.estimate < got.upper)
        // Deterministic by seed; another seed gives another interval.
        #expect(try Bootstrap.rocAUC(labels: labels, scores: scores, replicates: 400, seed: 7) == got)
        #expect(try Bootstrap.rocAUC(labels: labels, scores: scores, replicates: 400, seed: 8) != got)
        // numpy percentile on tricky positions.
        let v = (ref["aucs"] as! [NSNumber]).map(\.doubleValue).sorted()
        #expect(Bootstrap.percentile(sorted: v, 0) == v.first && Bootstrap.percentile(sorted: v, 100) == v.last)
    }
}
