import Basics
import Foundation
import Testing
import TestSupport
@testable import MelanomaKit

/// Synthetic OOF rows: 5 folds, ~15 % melanoma; each model's score is `signal * label + noise`.
private func synthetic(signals: [Double], n: Int = 2500, seed: UInt64 = 3, sameNoise: Bool = false) -> OOFSet {
    var rng = SplitMix64(seed: seed)
    let labels = (0 ..< n).map { _ in rng.chance(0.15) }
    let folds = (0 ..< n).map { _ in rng.below(5) }
    let shared = (0 ..< n).map { _ in rng.normal() }
    let preds = signals.map { s in
        labels.indices.map { i in (labels[i] ? s : 0) + (sameNoise ? shared[i] : rng.normal()) }
    }
    return OOFSet(models: signals.indices.map { "m\($0)_best" }, imageNames: (0 ..< n).map { "ISIC_\($0)" },
                  labels: labels, folds: folds, predictions: preds)
}

@Suite("Ensemble weights chosen on OOF AUC, cross-validated over folds")
struct ReportEnsembleWeightsTests {
    @Test func noiseModelGetsNoWeightAndCVBeatsEqual() throws {
        let set = synthetic(signals: [1.2, 0.9, 0.0])  // model 2 is pure noise
        let r = try EnsembleWeights.crossValidate(set)
        #expect(r.weights[2] < 0.02, "noise model kept weight \(r.weights[2]) (weights \(r.weights))")
        for f in r.folds { #expect(f.weights[2] < 0.05, "fold \(f.fold): noise weight \(f.weights[2])") }
        #expect(r.crossValidatedAUC > r.equalAUC + 0.005,
                "cross-validated AUC \(r.crossValidatedAUC) does not beat equal weights \(r.equalAUC)")
        #expect(r.inSampleAUC >= r.crossValidatedAUC - 0.01)
        #expect(abs(r.weights.reduce(0, +) - 1) < 1e-12 && r.weights.allSatisfy { $0 >= 0 })
        // Deterministic.
        #expect(try EnsembleWeights.crossValidate(set).weights == r.weights)
    }

    @Test func identicalModelsKeepEqualWeights() throws {
        let set = synthetic(signals: [1.0, 1.0, 1.0], sameNoise: true)
        #expect(set.predictions[0] == set.predictions[2])
        let r = try EnsembleWeights.crossValidate(set)
        #expect(r.weights.allSatisfy { abs($0 - 1.0 / 3) < 1e-15 }, "weights moved: \(r.weights)")
        #expect(abs(r.crossValidatedAUC - r.equalAUC) < 1e-15)
    }

    /// The scores printed side by side, recomputed by pandas + sklearn from the weights chosen.
    @Test func reportedAUCsMatchSklearn() throws {
        let dir = try Reference.temporaryDirectory("report-ensemble-cv")
        defer { try? FileManager.default.removeItem(at: dir) }
        let set = synthetic(signals: [1.0, 0.7, 0.1, 0.0], n: 1500, seed: 11)
        var files: [(name: String, path: String, rows: [OOFPrediction])] = []
        for (m, name) in set.models.enumerated() {
            // Rows in another order per file, so alignment on image_name is exercised.
            let order = m % 2 == 0 ? Array(set.labels.indices) : Array(set.labels.indices.reversed())
            let rows = order.map { i in
                OOFPrediction(imageName: set.imageNames[i], fold: set.folds[i], isExt: false,
                              target: set.labels[i] ? 1 : 0, pred: set.predictions[m][i])
            }
            let url = dir.appendingPathComponent("\(name)_oof.csv")
            try OOFFile.write(rows, to: url)
            files.append((name, url.path, try OOFFile.read(url)))
        }
        let r = try EnsembleWeights.crossValidate(try OOFSet.align(files))
        let json: [String: Any] = ["full": r.weights,
                                   "folds": Dictionary(uniqueKeysWithValues: r.folds.map { ("\($0.fold)", $0.weights) })]
        try JSONSerialization.data(withJSONObject: json).write(to: dir.appendingPathComponent("weights.json"))
        let ref = try JSONSerialization.jsonObject(with: Data(try Reference.run("report_ensemble_cv.py", [dir.path]).utf8))
            as! [String: Double]
        #expect(abs(r.equalAUC - ref["equal"]!) <= 1e-12, "equal-weight OOF AUC \(r.equalAUC) vs \(ref["equal"]!)")
        #expect(abs(r.crossValidatedAUC - ref["cv"]!) <= 1e-12, "CV OOF AUC \(r.crossValidatedAUC) vs \(ref["cv"]!)")
        #expect(abs(r.inSampleAUC - ref["in_sample"]!) <= 1e-12, "in-sample AUC \(r.inSampleAUC) vs \(ref["in_sample"]!)")
    }

    @Test func weightsFileRoundTripsAndMatchesSubmissionsByName() throws {
        let dir = try Reference.temporaryDirectory("report-weights-file")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("w.json")
        let file = EnsembleWeightsFile(weights: ["k1_best": 0.75, "k2_final": 0.25], scores: ["cv_oof_auc": 0.9])
        try file.write(to: url)
        let back = try EnsembleWeightsFile.read(url)
        #expect(back == file)
        let subs = [dir.appendingPathComponent("sub_k2_final.csv"), dir.appendingPathComponent("sub_k1_best.csv")]
        #expect(try back.weights(for: subs, file: url.path) == [0.25, 0.75])
        #expect(EnsembleWeightsFile.modelName(URL(fileURLWithPath: "/o/k1_best_oof.csv")) == "k1_best")
        do {
            _ = try back.weights(for: [dir.appendingPathComponent("sub_other_best.csv")], file: url.path)
            Issue.record("a submission without a weight was accepted")
        } catch {
            #expect("\(error)".contains("sub_other_best.csv") && "\(error)".contains("w.json"), "\(error)")
        }
    }
}
