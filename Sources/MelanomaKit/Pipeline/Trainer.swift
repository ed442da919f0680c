import Foundation
import NN
import Torch

/// The settings of one fold's training (train.py's flags after parsing).
public struct TrainerConfig: Sendable {
    public var kernelType: String
    public var fold: Int
    public var nEpochs: Int
    public var initLR: Double
    public var imageSize: Int
    public var melIdx: Int
    public var modelDir: URL
    public var logDir: URL
    public var device: Device
    /// bf16 autocast (the original's apex O1 fp16).
    public var useAMP: Bool
    public var seed: UInt64
    public var resume: Bool
    public var checkpointExtension: String
    /// Flags that must match when resuming (recorded in the resume state).
    public var settings: [String: String]

    public init(kernelType: String, fold: Int, nEpochs: Int, initLR: Double, imageSize: Int, melIdx: Int,
                modelDir: URL, logDir: URL, device: Device = .cpu, useAMP: Bool = false, seed: UInt64 = 0,
                resume: Bool = false, checkpointExtension: String = "pth", settings: [String: String] = [:]) {
        self.kernelType = kernelType
        self.fold = fold
        self.nEpochs = nEpochs
        self.initLR = initLR
        self.imageSize = imageSize
        self.melIdx = melIdx
        self.modelDir = modelDir
        self.logDir = logDir
        self.device = device
        self.useAMP = useAMP
        self.seed = seed
        self.resume = resume
        self.checkpointExtension = checkpointExtension
        self.settings = settings
    }

    /// train_epoch clips gradients at 0.5 only for these image sizes.
    public var clipNorm: Double? { [576, 896].contains(imageSize) ? 0.5 : nil }
}

/// One epoch's numbers, for benchmarks and summaries.
public struct EpochRecord: Sendable {
    public var epoch: Int
    public var lr: Double
    public var trainLoss: Double
    public var validLoss: Double
    public var acc: Double
    public var auc: Double
    public var auc20: Double
    public var trainImages: Int
    public var trainSeconds: Double
    public var validSeconds: Double
    public var trainImagesPerSecond: Double { trainSeconds > 0 ? Double(trainImages) / trainSeconds : 0 }
}

/// What one fold's training ended with.
public struct FoldResult: Sendable {
    public var aucMax: Double
    public var auc20Max: Double
    /// Epochs trained by this call (fewer than n_epochs after a resume; 0 if the fold was finished).
    public var epochsRun: Int
    /// The epoch lines logged by this call.
    public var lines: [String]
    /// The epochs trained by this call.
    public var epochs: [EpochRecord] = []
}

/// train.py's `run(fold)`: Adam, cross-entropy, the §4.4 LR schedule, validation every epoch without
/// TTA, best / best_20 / final checkpoints, plus a resume point after every epoch.
///
/// Randomness: torch's generator is reseeded at the start of every epoch and the training stream gets
/// a seed, both from `TrainState.epochSeed(seed, fold, epoch)`, so a resumed fold repeats exactly
/// what an uninterrupted one would have done.
public final class Trainer {
    public let config: TrainerConfig
    public let model: any TrainableModel
    public let trainSource: any BatchSource
    public let validSource: any BatchSource
    let console: (String) -> Void
    let progress: Bool?
    let names: CheckpointNames
    /// For tests of --resume: return after this epoch as if the process had been killed.
    public var stopAfterEpoch: Int?

    /// - Parameters:
    ///   - console: receives each epoch line (the CLI prints it).
    ///   - progress: draw the live bar; nil = when stderr is a terminal.
    public init(config: TrainerConfig, model: any TrainableModel, train: any BatchSource, valid: any BatchSource,
                console: @escaping (String) -> Void = { _ in }, progress: Bool? = nil) {
        self.config = config
        self.model = model
        self.trainSource = train
        self.validSource = valid
        self.console = console
        self.progress = progress
        self.names = CheckpointNames(kernelType: config.kernelType, fileExtension: config.checkpointExtension)
    }

    func url(_ name: String) -> URL { config.modelDir.appendingPathComponent(name) }

    /// Weights saved from the CPU so the files load anywhere.
    func saveModel(_ name: String) throws {
        let sd = try model.stateDict().map { ($0.name, try $0.tensor.detach().to(device: .cpu)) }
        try saveTensors(sd, to: url(name))
    }

    public func run() throws -> FoldResult {
        let c = config
        guard c.nEpochs >= 1 else { throw PipelineError("--n-epochs must be at least 1, got \(c.nEpochs)") }
        try FileManager.default.createDirectory(at: c.modelDir, withIntermediateDirectories: true)
        let store = ResumeStore(modelDir: c.modelDir, names: names, fold: c.fold)
        let log = TrainLog(logDir: c.logDir, kernelType: c.kernelType)
        let history = TrainHistory(logDir: c.logDir, kernelType: c.kernelType)
        try model.to(device: c.device)
        let optimizer = try Adam(model.trainableParameters(), lr: c.initLR)

        var state = TrainState(kernelType: c.kernelType, fold: c.fold, nEpochs: c.nEpochs, seed: c.seed,
                               initLR: c.initLR, settings: c.settings)
        if c.resume, let saved = try store.load() {
            try saved.state.checkCompatible(with: c.settings, stateFile: store.stateURL.path)
            guard saved.state.nEpochs == c.nEpochs, saved.state.seed == c.seed else {
                throw PipelineError("--resume: \(store.stateURL.path) was written for \(saved.state.nEpochs) epochs and "
                    + "seed \(saved.state.seed), not \(c.nEpochs) and \(c.seed)")
            }
            state = saved.state
            if state.finished {
                return FoldResult(aucMax: state.aucMax, auc20Max: state.auc20Max, epochsRun: 0, lines: [])
            }
            if state.epochDone > 0 {
                try model.load(stateDict: saved.model, strict: true)
                try optimizer.load(stateDict: saved.optimizer)
            }
        }

        var lines: [String] = []
        var records: [EpochRecord] = []
        var ran = 0
        for epoch in stride(from: state.epochDone + 1, through: c.nEpochs, by: 1) {
            let epochSeed = TrainState.epochSeed(seed: c.seed, fold: c.fold, epoch: epoch)
            LibTorch.manualSeed(epochSeed)
            let lr = LRSchedule.lr(epoch: epoch, initLR: c.initLR, nEpochs: c.nEpochs)
            optimizer.lr = lr
            let t0 = ProgressBar.now()
            let (trainLoss, images) = try trainEpoch(optimizer: optimizer, seed: epochSeed, label: "Fold \(c.fold), Epoch \(epoch)")
            if c.device.isCUDA { try LibTorch.synchronize(c.device) }
            let t1 = ProgressBar.now()
            let val = try Validation.run(model: model, source: validSource, nTest: 1, device: c.device, useAMP: c.useAMP)
            let t2 = ProgressBar.now()
            let s = try val.scores(melIdx: c.melIdx)
            let line = TrainLog.epochLine(fold: c.fold, epoch: epoch, lr: lr, trainLoss: trainLoss, validLoss: val.loss,
                                          acc: s.acc, auc: s.auc, auc20: s.auc20)
            console(line)
            try log.append(line)
            lines.append(line)
            records.append(EpochRecord(epoch: epoch, lr: lr, trainLoss: trainLoss, validLoss: val.loss, acc: s.acc,
                                       auc: s.auc, auc20: s.auc20, trainImages: images, trainSeconds: t1 - t0,
                                       validSeconds: t2 - t1))
            try history.append(fold: c.fold, records[records.count - 1])
            if s.auc > state.aucMax {
                try saveModel(names.best(fold: c.fold))
                state.aucMax = s.auc
            }
            if s.auc20 > state.auc20Max {
                try saveModel(names.best20(fold: c.fold))
                state.auc20Max = s.auc20
            }
            state.epochDone = epoch
            state.nextLR = LRSchedule.lr(epoch: epoch + 1, initLR: c.initLR, nEpochs: c.nEpochs)
            let cpuModel = try model.stateDict().map { ($0.name, try $0.tensor.detach().to(device: .cpu)) }
            let cpuOptim = try optimizer.stateDict().map { ($0.name, try $0.tensor.to(device: .cpu)) }
            try store.save(state: state, model: cpuModel, optimizer: cpuOptim)
            ran += 1
            if let stop = stopAfterEpoch, epoch >= stop, epoch < c.nEpochs {
                return FoldResult(aucMax: state.aucMax, auc20Max: state.auc20Max, epochsRun: ran, lines: lines,
                                  epochs: records)
            }
        }
        try saveModel(names.final(fold: c.fold))
        try store.markFinished(state: state)
        return FoldResult(aucMax: state.aucMax, auc20Max: state.auc20Max, epochsRun: ran, lines: lines, epochs: records)
    }

    /// train_epoch: zero_grad, forward, CE, backward, optional clipping, Adam step; returns the mean
    /// batch loss and the number of images seen.
    func trainEpoch(optimizer: Adam, seed: UInt64, label: String) throws -> (loss: Double, images: Int) {
        let c = config
        model.train()
        let bar = ProgressBar(total: trainSource.batchCount, label: label, enabled: progress)
        defer { bar.finish() }
        let stream = try trainSource.makeStream(seed: seed)
        var losses: [Double] = []
        var images = 0
        let params = model.trainableParameters()
        while let batch = try stream.next() {
            let x = try batch.images.to(device: c.device)
            let meta = try batch.meta?.to(device: c.device)
            let y = try batch.targets.to(device: c.device)
            optimizer.zeroGrad()
            let loss = try withAutocast(device: c.device, enabled: c.useAMP) {
                try model.forward(images: x, meta: meta).to(dtype: .float32).crossEntropy(target: y)
            }
            try loss.backward()
            if let clip = c.clipNorm { try clipGradNorm(params, maxNorm: clip) }
            try optimizer.step()
            let value = try loss.item()
            guard value.isFinite else {
                throw PipelineError("\(label): the training loss became \(value) at batch \(losses.count + 1); "
                    + "try a lower --init-lr or drop --use-amp")
            }
            losses.append(value)
            images += x.shape[0]
            bar.step(loss: value, batchImages: x.shape[0])
        }
        guard !losses.isEmpty else { throw PipelineError("\(label): the training set gave no batches") }
        return (losses.reduce(0, +) / Double(losses.count), images)
    }
}
