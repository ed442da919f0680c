import Foundation
import Models
import NN
import Torch

/// train.py: every requested fold trained in turn on the other folds, validated on its own.
public enum TrainRun {
    public static func run(_ o: RunOptions, pretrained: String?, resume: Bool,
                           console: @escaping (String) -> Void) throws -> [FoldResult] {
        try o.validate()
        let data = try o.loadDataset()
        describeStart(o, data: data, pretrained: pretrained, console: console)
        if !o.device.isCUDA { try checkMemory(o, data: data, console: console) }
        try ModelDescription.record(ModelDescription(options: o, dataset: data), modelDir: o.modelDir)
        var results: [FoldResult] = []
        for fold in o.folds {
            let train = o.debugSubset(data.train.filter { $0.fold != fold }, multiple: 5)
            let valid = o.debugSubset(data.train.filter { $0.fold == fold }, multiple: 5)
            guard !train.isEmpty, !valid.isEmpty else {
                throw RunError(.folds, "fold \(fold) has \(train.count) training and \(valid.count) validation rows; "
                    + "both must be non-empty")
            }
            let model = try o.makeModel(nMetaFeatures: data.nMetaFeatures, seed: o.seed)
            if let pretrained {
                let report = try model.enet.loadPretrained(from: URL(fileURLWithPath: pretrained))
                if fold == o.folds.first { console("pretrained \(report)") }
            }
            let config = o.trainerConfig(fold: fold, melIdx: data.melIdx, resume: resume)
            console("fold \(fold)    \(train.count) train / \(valid.count) valid rows, \(o.epochsToRun) epochs")
            let trainer = Trainer(config: config, model: model, train: try o.loader(train, training: true),
                                  valid: try o.loader(valid, training: false), console: console)
            results.append(try trainer.run())
        }
        return results
    }
}

extension TrainRun {
    /// What the run starts from: the data, where the backbone's weights come from, and the settings that
    /// silently differ from what a reader of the command would expect.
    static func describeStart(_ o: RunOptions, data: Dataset, pretrained: String?, console: (String) -> Void) {
        let external = data.train.filter(\.isExt).count
        console("data      \(data.train.count) training rows (\(external) external), "
            + "\(data.classes.count) classes, mel_idx \(data.melIdx)"
            + (o.useMeta ? ", \(data.nMetaFeatures) metadata features" : ""))
        if o.kernelType.contains("ext") && external == 0 {
            console("warning   the kernel name says external data, but \(o.datasetConfig.externalCSV) is absent: "
                + "training on the 2020 rows alone")
        }
        if let pretrained {
            console("backbone  \(o.enetType) from ImageNet weights in \(URL(fileURLWithPath: pretrained).standardizedFileURL.path)")
            return
        }
        console("backbone  \(o.enetType) from random weights (the original started every backbone from ImageNet "
            + "weights: see the README's \"Pretrained weights\")")
        if o.epochsToRun >= 10 && (external > 0 || data.train.count > 5000) {
            console("warning   this looks like a full run (\(o.epochsToRun) epochs, \(data.train.count) rows) but starts "
                + "from random weights")
        }
    }

    /// Measures a CPU training step of this configuration and refuses one that cannot fit (see
    /// `MemoryEstimate`). Returns the estimate.
    @discardableResult
    public static func checkMemory(_ o: RunOptions, data: Dataset, console: (String) -> Void) throws -> MemoryEstimate {
        let memory = try MemoryEstimate.measure(o, nMetaFeatures: data.nMetaFeatures)
        console("memory    \(memory)")
        guard memory.fits else {
            let smaller = memory.largestBatch.map { $0 >= 2 ? "a batch of at most \($0), " : "" } ?? ""
            throw RunError(.batchSize, "a training step needs \(memory); try \(smaller)a smaller image size, "
                + "or a GPU (the CUDA device)")
        }
        return memory
    }

    /// The estimate alone (train --check-memory): validates, reads the data, measures, trains nothing.
    public static func memoryOnly(_ o: RunOptions, console: (String) -> Void) throws -> MemoryEstimate {
        try o.validate()
        return try checkMemory(o, data: try o.loadDataset(), console: console)
    }
}

/// Loads one fold's checkpoint into a fresh model (the original's `module.` prefix is accepted).
func loadFoldModel(_ o: RunOptions, nMeta: Int, eval: EvalChoice, fold: Int) throws -> MelanomaNet {
    let url = URL(fileURLWithPath: o.modelDir).appendingPathComponent(o.names.checkpoint(eval, fold: fold))
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw RunError(.folds, "no checkpoint \(url.path): train fold \(fold) first, or choose the folds you trained")
    }
    let model = try o.makeModel(nMetaFeatures: nMeta, seed: o.seed)
    try model.load(contentsOf: url, strict: true)
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
