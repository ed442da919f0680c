import Foundation
import Models
import NN
import Torch

/// train.py: every requested fold trained in turn on the other folds, validated on its own.
public enum TrainRun {
    public static func run(_ o: RunOptions, pretrained: String?, resume: Bool,
                           console: @escaping (String) -> Void) throws -> [FoldResult] {
        try o.validate()
        // BatchNorm over one value per channel gives NaN running statistics (PyTorch refuses such a batch).
        if o.useMeta && o.batchSize < 2 {
            throw RunError(.batchSize, "must be at least 2 with metadata: the metadata branch's BatchNorm has one "
                + "value per feature in a batch of one, and its running statistics become NaN")
        }
        if o.batchSize < 2 && (o.imageSize + 31) / 32 < 2 {
            throw RunError(.batchSize, "must be at least 2 for \(o.imageSize)-pixel images: the last feature map is 1x1, "
                + "so BatchNorm sees one value per channel in a batch of one and its running statistics become NaN")
        }
        // Folders, the lock and stale temporaries before the data is read: failures here cost nothing.
        try RunFolders.checkWritable(o.modelDir, setting: .modelDir)
        try RunFolders.checkWritable(o.logDir, setting: .logDir)
        let lock = try RunLock(modelDir: URL(fileURLWithPath: o.modelDir), kernelType: o.kernelType)
        defer { lock.release() }
        for dir in [o.modelDir, o.logDir] {
            for name in RunFolders.removeStaleTemporaries(dir) { console("removed   \(name) (left by a killed run)") }
        }
        let data = try o.loadDataset()
        let splits = try o.folds.map { try trainingSplit(o, data: data, fold: $0) }
        console("data      \(data.train.count) training rows (\(data.train.filter(\.isExt).count) external), "
            + "\(data.classes.count) classes, mel_idx \(data.melIdx)"
            + (o.useMeta ? ", \(data.nMetaFeatures) metadata features" : ""))
        var results: [FoldResult] = []
        for (fold, (train, valid)) in zip(o.folds, splits) {
            let model = try o.makeModel(nMetaFeatures: data.nMetaFeatures, seed: o.seed)
            if let pretrained {
                let report = try model.enet.loadPretrained(from: URL(fileURLWithPath: pretrained))
                console("pretrained \(report)")
            }
            var config = TrainerConfig(kernelType: o.kernelType, fold: fold, nEpochs: o.epochsToRun, initLR: o.initLR,
                                       imageSize: o.imageSize, melIdx: data.melIdx,
                                       modelDir: URL(fileURLWithPath: o.modelDir), logDir: URL(fileURLWithPath: o.logDir))
            config.device = o.device
            config.useAMP = o.useAMP
            config.seed = o.seed
            config.resume = resume
            config.settings = o.resumeSettings
            config.settings["data"] = data.fingerprint
            console("fold \(fold)    \(train.count) train / \(valid.count) valid rows, \(o.epochsToRun) epochs")
            let trainer = Trainer(config: config, model: model, train: try o.loader(train, training: true),
                                  valid: try o.loader(valid, training: false), console: console)
            results.append(try trainer.run())
        }
        return results
    }
}

/// A fold's training and validation rows, refused before any fold trains when they cannot give a result:
/// BatchNorm needs two training rows, and an AUC needs a melanoma among the validation rows (without one
/// every epoch logs auc nan and no best checkpoint is written).
func trainingSplit(_ o: RunOptions, data: Dataset, fold: Int) throws -> (train: [Sample], valid: [Sample]) {
    let train = o.debugSubset(data.train.filter { $0.fold != fold }, multiple: 5)
    let valid = o.debugSubset(data.train.filter { $0.fold == fold }, multiple: 5)
    guard train.count >= 2, !valid.isEmpty else {
        throw RunError(.folds, "fold \(fold) has \(train.count) training and \(valid.count) validation rows; "
            + "training needs at least 2 and validation at least 1")
    }
    guard valid.contains(where: { $0.target == data.melIdx }) else {
        throw RunError(.folds, "fold \(fold): none of its \(valid.count) validation rows is melanoma, so its AUC is "
            + "undefined and no best checkpoint could be chosen; run `melanoma check-data`, or leave the fold out")
    }
    return (train, valid)
}

/// Loads one fold's checkpoint into a fresh model (the original's `module.` prefix is accepted).
func loadFoldModel(_ o: RunOptions, nMeta: Int, eval: EvalChoice, fold: Int) throws -> MelanomaNet {
    let url = URL(fileURLWithPath: o.modelDir).appendingPathComponent(o.names.checkpoint(eval, fold: fold))
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw RunError(.folds, "no checkpoint \(url.path): train fold \(fold) first, or choose the folds you trained"
            + (eval == .final ? "" : " (a fold whose validation AUC was never defined has no \(eval.rawValue) checkpoint)"))
    }
    let model = try o.makeModel(nMetaFeatures: nMeta, seed: o.seed)
    try model.load(contentsOf: url, strict: true)
    if let bad = try firstNonFinite(model.stateDict()) {
        throw RunError("\(url.path): '\(bad)' holds NaN or infinity, so every prediction would be NaN; retrain fold \(fold)")
    }
    try model.to(device: o.device)
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
        for fold in o.folds {
            let valid = o.debugSubset(data.train.filter { $0.fold == fold }, multiple: 6)
            let model = try loadFoldModel(o, nMeta: data.nMetaFeatures, eval: eval, fold: fold)
            let out = try Inference.run(models: [model], source: try o.loader(valid, training: false), nTest: o.nTest,
                                        device: o.device, useAMP: o.useAMP)
            let mel = out.melanoma(data.melIdx)
            for (i, s) in valid.enumerated() {
                rows.append(OOFPrediction(imageName: s.imageName, fold: fold, isExt: s.isExt,
                                          target: s.target == data.melIdx ? 1 : 0, pred: mel[i]))
            }
            console("fold \(fold)    \(valid.count) rows evaluated with \(o.nTest) TTA variants")
        }
        let scores = try OOFScores.compute(rows)
        let block = TrainLog.evalBlock(eval: eval.rawValue, scores: scores)
        let url = URL(fileURLWithPath: oofDir).appendingPathComponent(o.names.oof(eval))
        try OOFFile.write(rows, to: url)
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
        let out = try Inference.run(models: models, source: try o.loader(test, training: false), nTest: o.nTest,
                                    device: o.device, useAMP: o.useAMP)
        let sub = Submission(imageNames: test.map(\.imageName), targets: out.melanoma(data.melIdx))
        let url = URL(fileURLWithPath: subDir).appendingPathComponent(o.names.submission(eval))
        try sub.write(to: url)
        return url
    }
}
