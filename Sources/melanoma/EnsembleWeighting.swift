import ArgumentParser
import Foundation
import MelanomaKit

/// `ensemble --optimize`: rank-average weights chosen on OOF files, with a cross-validated estimate
/// of what they gain, and `--weights-file` to apply saved weights to submissions.
struct EnsembleWeighting: ParsableArguments {
    @Option(name: .flag("--oof-dir"), help: "Folder of OOF files ({kernel}_{eval}_oof.csv) for --optimize.")
    var oofDir = "./oofs"

    @Flag(name: .flag("--optimize"), help: """
    Choose non-negative rank-average weights that maximise OOF AUC; each fold is scored with weights \
    chosen on the other folds, so the gain shown is not fitted to itself. Writes no submission.
    """)
    var optimize = false

    @Option(name: .flag("--weights-out"), help: "With --optimize: save the weights (JSON, by model name).")
    var weightsOut: String?

    @Option(name: .flag("--weights-file"), help: "Weights saved by --optimize --weights-out, matched to sub_{model}.csv.")
    var weightsFile: String?

    func fileWeights(for submissions: [URL]) throws -> [Double]? {
        guard let weightsFile else { return nil }
        var w: [Double]? = nil
        try reportingErrors("ensemble") {
            w = try EnsembleWeightsFile.read(URL(fileURLWithPath: weightsFile)).weights(for: submissions, file: weightsFile)
        }
        return w
    }

    func runOptimize() throws {
        try reportingErrors("ensemble --optimize") {
            let dir = URL(fileURLWithPath: oofDir, isDirectory: true)
            let files = try RankEnsemble.submissionFiles(in: dir).filter { $0.lastPathComponent.hasSuffix("_oof.csv") }
            guard files.count >= 2 else {
                throw ValidationError("--optimize needs two or more *_oof.csv files in \(dir.path), found \(files.count)")
            }
            let set = try OOFSet.align(try files.map {
                (name: EnsembleWeightsFile.modelName($0), path: $0.path, rows: try OOFFile.read($0))
            })
            say("optimising rank-average weights of \(files.count) models over \(set.labels.count) OOF rows")
            let r = try EnsembleWeights.crossValidate(set)
            say("fold   equal AUC  optimised AUC (weights chosen on the other folds)")
            for f in r.folds {
                say(String(format: "%4d   %9.5f  %13.5f", f.fold, f.equalAUC, f.optimizedAUC))
            }
            say(String(format: "OOF AUC  equal weights %.5f   optimised (cross-validated) %.5f   gain %+.5f",
                       r.equalAUC, r.crossValidatedAUC, r.crossValidatedAUC - r.equalAUC))
            say(String(format: "         optimised on all rows (in-sample, optimistic) %.5f", r.inSampleAUC))
            for (name, w) in zip(r.models, r.weights) { say("  " + String(format: "%.4f", w) + "  " + name) }
            if let weightsOut {
                let file = EnsembleWeightsFile(
                    weights: Dictionary(uniqueKeysWithValues: zip(r.models, r.weights)),
                    scores: ["equal_oof_auc": r.equalAUC, "cv_oof_auc": r.crossValidatedAUC, "in_sample_oof_auc": r.inSampleAUC])
                try file.write(to: URL(fileURLWithPath: weightsOut))
                say("weights -> \(weightsOut)")
            }
        }
    }
}
