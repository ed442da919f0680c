import Foundation
import Models
import NN
import Torch

/// Loads one fold's checkpoint into a fresh model (the original's `module.` prefix is accepted).
func loadFoldModel(_ o: RunOptions, nMeta: Int, eval: EvalChoice, fold: Int) throws -> MelanomaNet {
    let url = URL(fileURLWithPath: o.modelDir).appendingPathComponent(o.names.checkpoint(eval, fold: fold))
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw RunError(.folds, "no checkpoint \(url.path): train fold \(fold) first, or choose the folds you trained")
    }
    let model = try o.makeModel(nMetaFeatures: nMeta, seed: o.seed)
    try model.load(contentsOf: url, strict: true)
    if let bad = try firstNonFinite(model.stateDict()) {
        throw RunError("\(url.path): '\(bad)' holds NaN or infinity, so every prediction would be NaN; retrain fold \(fold)")
    }
    try model.to(device: o.device)
    if o.channelsLast { try model.toChannelsLast() }
    model.eval()
    return model
}

/// evaluate.py: out-of-fold predictions with 8-way TTA and the four AUCs.
public enum EvaluateRun {
    public struct Output: Sendable {
        public var scores: OOFScores
        public var block: String
        public var oofFile: URL
    }

    public static func run(_ o: RunOptions, eval: EvalChoice, oofDir: String,
                           console: @escaping (String) -> Void) throws -> Output {
        try o.validate()
        try RunFolders.checkWritable(oofDir, setting: .oofDir)
        try RunFolders.checkWritable(o.logDir, setting: .logDir)
        RunFolders.removeStaleTemporaries(oofDir)
        let data = try o.loadDataset()
        var rows: [OOFPrediction] = []
        var probs: [[Double]] = [], classIndex: [Int] = [], classCount = data.classes.count  // every class, for reports
        for fold in o.folds {
            let valid = o.debugSubset(data.train.filter { $0.fold == fold }, multiple: 6)
            let model = try loadFoldModel(o, nMeta: data.nMetaFeatures, eval: eval, fold: fold)
            let loader = try o.loader(valid, training: false)
            let bar = ProgressBar(total: loader.batchCount, label: "evaluate fold \(fold)")
            defer { bar.finish() }
            let out = try Inference.run(models: [model], source: loader, nTest: o.nTest, device: o.device,
                                        useAMP: o.useAMP, ampDType: o.ampDType, channelsLast: o.channelsLast,
                                        progress: { bar.update(done: min($0 * o.batchSize, valid.count), total: valid.count) })
            let mel = out.melanoma(data.melIdx)
            for (i, s) in valid.enumerated() {
                rows.append(OOFPrediction(imageName: s.imageName, fold: fold, isExt: s.isExt,
                                          target: s.target == data.melIdx ? 1 : 0, pred: mel[i]))
                probs.append(out.probabilities[(i * out.classes) ..< ((i + 1) * out.classes)].map(Double.init))
                classIndex.append(s.target)
            }
            classCount = out.classes
            console("fold \(fold)    \(valid.count) rows evaluated with \(o.nTest) TTA variants")
        }
        let scores = try OOFScores.compute(rows)
        var description = ModelDescription(options: o, dataset: data)
        description.oofScores = .init(eval: eval.rawValue, scores: rows.map(\.pred))
        try ModelDescription.record(description, modelDir: o.modelDir)
        let block = TrainLog.evalBlock(eval: eval.rawValue, scores: scores)
        let url = URL(fileURLWithPath: oofDir).appendingPathComponent(o.names.oof(eval))
        // Outputs past the data's classes (--out-dim above the classes present) are never a target.
        let names = (0 ..< classCount).map { $0 < data.classes.count ? data.classes[$0] : "unused\($0)" }
        try OOFFile.write(OOFTable(rows: rows, classNames: names, probabilities: probs, classIndex: classIndex), to: url)
        try TrainLog(logDir: URL(fileURLWithPath: o.logDir), kernelType: o.kernelType).append(block)
        return Output(scores: scores, block: block, oofFile: url)
    }
}

/// predict.py: softmax averaged over TTA variants and the fold models; writes sub_{kernel}_{eval}.csv.
public enum PredictRun {
    public static func run(_ o: RunOptions, eval: EvalChoice, subDir: String,
                           console: @escaping (String) -> Void) throws -> URL {
        try o.validate()
        try RunFolders.checkWritable(subDir, setting: .subDir)
        RunFolders.removeStaleTemporaries(subDir)
        let data = try o.loadDataset()
        let test = o.debugSubset(data.test, multiple: 3)
        guard !test.isEmpty else { throw DataError(file: o.datasetConfig.testCSV, "no rows to predict") }
        let models = try o.folds.map { try loadFoldModel(o, nMeta: data.nMetaFeatures, eval: eval, fold: $0) }
        console("predict   \(test.count) test images x \(models.count) fold models x \(o.nTest) TTA variants")
        let loader = try o.loader(test, training: false)
        let bar = ProgressBar(total: loader.batchCount, label: "predict")
        defer { bar.finish() }
        let out = try Inference.run(models: models, source: loader, nTest: o.nTest, device: o.device, useAMP: o.useAMP,
                                    ampDType: o.ampDType, channelsLast: o.channelsLast,
                                    progress: { bar.update(done: min($0 * o.batchSize, test.count), total: test.count) })
        let sub = Submission(imageNames: test.map(\.imageName), targets: out.melanoma(data.melIdx))
        let url = URL(fileURLWithPath: subDir).appendingPathComponent(o.names.submission(eval))
        try sub.write(to: url)
        return url
    }
}
