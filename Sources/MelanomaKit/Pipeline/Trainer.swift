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
    public var device: Device = .cpu
    /// Mixed precision (the original's apex O1): autocast to `ampDType`; fp16 adds dynamic loss scaling.
    public var useAMP = false
    public var ampDType: DType = .bfloat16
    /// Weights and batches in channels-last layout (faster convolutions; checkpoints stay ordinary).
    public var channelsLast = false
    public var seed: UInt64 = 0
    public var resume = false
    public var checkpointExtension = "pth"
    /// Everything that changes results, recorded in the resume state and compared on resume.
    public var settings: [String: String] = [:]
    /// Return after this epoch as if the process had been stopped (tests of resuming).
    public var stopAfterEpoch: Int?

    public init(kernelType: String, fold: Int, nEpochs: Int, initLR: Double, imageSize: Int, melIdx: Int,
                modelDir: URL, logDir: URL) {
        self.kernelType = kernelType
        self.fold = fold
        self.nEpochs = nEpochs
        self.initLR = initLR
        self.imageSize = imageSize
        self.melIdx = melIdx
        self.modelDir = modelDir
        self.logDir = logDir
    }

    /// train_epoch clips gradients at 0.5 only for these image sizes.
    public var clipNorm: Double? { [576, 896].contains(imageSize) ? 0.5 : nil }
}

/// One epoch's numbers: the epoch line's values and the speed. The machine-readable history
/// (`TrainHistory`, one JSON line per record) and the reports read these back.
public struct EpochRecord: Sendable, Equatable {
    public var fold: Int
    public var epoch: Int
    public var lr: Double
    public var trainLoss: Double
    public var validLoss: Double
    public var acc: Double
    /// NaN when the fold's validation set held one class only.
    public var auc: Double
    public var auc20: Double
    public var trainImages: Int
    public var trainSeconds: Double
    public var validSeconds: Double
    public var trainImagesPerSecond: Double { trainSeconds > 0 ? Double(trainImages) / trainSeconds : 0 }

    public init(fold: Int, epoch: Int, lr: Double, trainLoss: Double, validLoss: Double, acc: Double, auc: Double,
                auc20: Double, trainImages: Int, trainSeconds: Double, validSeconds: Double) {
        (self.fold, self.epoch, self.lr, self.trainLoss, self.validLoss) = (fold, epoch, lr, trainLoss, validLoss)
        (self.acc, self.auc, self.auc20) = (acc, auc, auc20)
        (self.trainImages, self.trainSeconds, self.validSeconds) = (trainImages, trainSeconds, validSeconds)
    }
}

/// What one fold's training ended with.
public struct FoldResult: Sendable {
    public var aucMax: Double
    public var auc20Max: Double
    /// True when the fold was already finished by an earlier run (nothing trained now).
    public var alreadyFinished = false
    /// The epochs trained by this call (fewer than n_epochs after a resume).
    public var epochs: [EpochRecord] = []
    /// The epoch lines logged by this call.
    public var lines: [String] = []
    public var epochsRun: Int { epochs.count }
}

/// train.py's `run(fold)`: Adam, cross-entropy, the warm-up + cosine LR, validation every epoch without TTA,
/// best / best_20 / final checkpoints, plus a resume point after every epoch.
///
/// Randomness: torch's generator is reseeded at the start of every epoch and the training pass gets a seed,
/// both from `TrainState.epochSeed(seed, fold, epoch)`, so a resumed fold repeats exactly what an
/// uninterrupted one would have done.
public final class Trainer {
    public let config: TrainerConfig
    public let model: any TrainableModel
    public let trainSource: any BatchSource
    public let validSource: any BatchSource
    let console: (String) -> Void
    let progress: Bool?
    let names: CheckpointNames
    let store: ResumeStore
    let log: TrainLog
    let history: TrainHistory
    /// Loss scaling, for fp16 mixed precision only.
    let scaler: GradScaler?
    /// The job when this process is one worker of several; rank 0 alone writes files.
    let parallel: DataParallel?
    /// The job's gradient all-reduce, armed before every backward (made once the weights sit on the device).
    var reducer: GradientReducer?
    var isLeader: Bool { parallel?.isLeader ?? true }

    /// - Parameters:
    ///   - console: receives each epoch line (the CLI prints it).
    ///   - progress: draw the live bar; nil = when stderr is a terminal.
    ///   - parallel: the data-parallel job; the sources must then be this worker's shards.
    public init(config: TrainerConfig, model: any TrainableModel, train: any BatchSource, valid: any BatchSource,
                console: @escaping (String) -> Void = { _ in }, progress: Bool? = nil, parallel: DataParallel? = nil) {
        self.config = config
        self.model = model
        self.trainSource = train
        self.validSource = valid
        self.parallel = parallel
        let leader = parallel?.isLeader ?? true
        self.console = leader ? console : { _ in }
        self.progress = leader ? progress : false
        names = CheckpointNames(kernelType: config.kernelType, fileExtension: config.checkpointExtension)
        store = ResumeStore(modelDir: config.modelDir, names: names, fold: config.fold)
        log = TrainLog(logDir: config.logDir, kernelType: config.kernelType)
        history = TrainHistory(logDir: config.logDir, kernelType: config.kernelType)
        scaler = config.useAMP && config.ampDType == .float16 ? GradScaler() : nil
    }

    /// The fold, epoch by epoch: train, validate, then log and save what the epoch earned.
    public func run() throws -> FoldResult {
        let c = config
        guard c.nEpochs >= 1 else { throw RunError(.nEpochs, "must be at least 1, got \(c.nEpochs)") }
        try model.to(device: c.device)
        if c.channelsLast { try model.toChannelsLast() }
        let optimizer = try Adam(model.trainableParameters(), lr: c.initLR)
        var state = try startingState(optimizer: optimizer)
        try joinJob(optimizer: optimizer)
        var result = FoldResult(aucMax: state.aucMax, auc20Max: state.auc20Max, alreadyFinished: state.finished)
        if state.finished { return result }
        for epoch in state.epochDone + 1 ... c.nEpochs {
            let record = try runEpoch(epoch, optimizer: optimizer)
            let line = try finishEpoch(record, state: &state, optimizer: optimizer)
            result.epochs.append(record)
            result.lines.append(line)
            (result.aucMax, result.auc20Max) = (state.aucMax, state.auc20Max)
            if let stop = c.stopAfterEpoch, epoch >= stop, epoch < c.nEpochs { return result }
        }
        if isLeader {
            try saveModel(names.final(fold: c.fold))
            try store.markFinished(state: state)
        }
        return result
    }

    /// A fresh state, or with `resume` the saved one (checked against these settings) with the model and
    /// optimizer restored to the end of its last epoch.
    func startingState(optimizer: Adam) throws -> TrainState {
        guard let parallel else { return try leaderStartingState(optimizer: optimizer) }
        let mine = parallel.isLeader ? try leaderStartingState(optimizer: optimizer) : nil
        let state: TrainState = try parallel.shareFromLeader(mine, key: "fold\(config.fold)/starting-state")
        if !parallel.isLeader, let scaler, let scale = state.ampScale {
            scaler.restore(scale: scale, growthTracker: state.ampGrowthTracker ?? 0)
        }
        return state
    }

    /// The starting state as the only (or leading) worker reads it from the model folder.
    func leaderStartingState(optimizer: Adam) throws -> TrainState {
        let c = config
        let fresh = TrainState(kernelType: c.kernelType, fold: c.fold, nEpochs: c.nEpochs, seed: c.seed,
                               initLR: c.initLR, settings: c.settings)
        guard c.resume, let saved = try store.load() else {
            // A fresh run owns the fold's files: an earlier run's best checkpoint must not outlive it (a fold
            // whose AUC never improves would leave it for predict to load) nor its resume point be continued.
            try store.clear(outputs: EvalChoice.allCases.map { names.checkpoint($0, fold: c.fold) })
            if c.resume { console("resume    fold \(c.fold): no saved state in \(c.modelDir.path), starting fresh") }
            return fresh
        }
        try saved.state.checkCompatible(with: c.settings, stateFile: store.stateURL.path)
        guard saved.state.nEpochs == c.nEpochs, saved.state.seed == c.seed else {
            throw RunError(.resume, "\(store.stateURL.path) was written for \(saved.state.nEpochs) epochs and "
                + "seed \(saved.state.seed), not \(c.nEpochs) and \(c.seed)")
        }
        // A kill between the log line and the resume point leaves a line the resumed epoch writes again.
        if !saved.state.finished { try log.dropEpochs(fold: c.fold, after: saved.state.epochDone) }
        if saved.state.finished {
            console("resume    fold \(c.fold): already finished, nothing to train")
        } else if saved.state.epochDone > 0 {
            try model.load(stateDict: saved.model, strict: true)
            try optimizer.load(stateDict: saved.optimizer)
            if let scaler, let scale = saved.state.ampScale {
                scaler.restore(scale: scale, growthTracker: saved.state.ampGrowthTracker ?? 0)
            }
            console("resume    fold \(c.fold): continuing after epoch \(saved.state.epochDone) of \(c.nEpochs)")
        } else {
            console("resume    fold \(c.fold): no epoch was finished, starting fresh")
        }
        return saved.state
    }

    /// Seeds, sets the epoch's LR, trains one pass and validates without TTA.
    func runEpoch(_ epoch: Int, optimizer: Adam) throws -> EpochRecord {
        let c = config
        let seed = TrainState.epochSeed(seed: c.seed, fold: c.fold, epoch: epoch)
        // Dropout differs between workers as between rows; the pass seed (sampling, augmentation) does not.
        LibTorch.manualSeed(parallel.map { seed ^ (UInt64($0.rank) &* 0x9E37_79B9_7F4A_7C15) } ?? seed)
        let lr = LRSchedule.lr(epoch: epoch, initLR: c.initLR, nEpochs: c.nEpochs)
        optimizer.lr = lr
        let t0 = ProgressBar.now()
        let (trainLoss, images) = try trainPass(optimizer: optimizer, seed: seed, label: "Fold \(c.fold), Epoch \(epoch)")
        if c.device.isCUDA { try LibTorch.synchronize(c.device) }
        let t1 = ProgressBar.now()
        let val = try validate()
        if let loss = val.loss, !loss.isFinite {
            // Say where it began: a weight or running statistic, or (all finite) the outputs themselves.
            let where_ = try firstNonFinite(model.stateDict()).map { "the model's '\($0)' holds NaN or infinity" }
                ?? "the model's outputs overflowed"
            throw RunError(.initLR, "fold \(c.fold), epoch \(epoch): the validation loss is \(loss); \(where_); "
                + "nothing of this epoch was logged or saved")
        }
        let s = try val.scores(melIdx: c.melIdx)
        return EpochRecord(fold: c.fold, epoch: epoch, lr: lr, trainLoss: trainLoss, validLoss: val.loss ?? .nan, acc: s.acc,
                           auc: s.auc, auc20: s.auc20, trainImages: images, trainSeconds: t1 - t0,
                           validSeconds: ProgressBar.now() - t1)
    }

    /// Logs the epoch line (and its JSON history entry), saves best / best_20 when the AUC improved, then the resume point. Returns the line.
    func finishEpoch(_ r: EpochRecord, state: inout TrainState, optimizer: Adam) throws -> String {
        let c = config
        let line = TrainLog.epochLine(fold: c.fold, epoch: r.epoch, lr: r.lr, trainLoss: r.trainLoss,
                                      validLoss: r.validLoss, acc: r.acc, auc: r.auc, auc20: r.auc20)
        console(line)
        guard isLeader else {
            // Only rank 0 writes; the others keep the same bookkeeping.
            if r.auc > state.aucMax { state.aucMax = r.auc }
            if r.auc20 > state.auc20Max { state.auc20Max = r.auc20 }
            state.epochDone = r.epoch
            return line
        }
        try log.append(line)
        try history.append(r)
        // One copy of the weights on the CPU, checked once, serves the best checkpoints and the resume point.
        let cpuModel = try finiteStateDict()
        if r.auc > state.aucMax {
            try saveModel(names.best(fold: c.fold), cpuModel)
            state.aucMax = r.auc
        }
        if r.auc20 > state.auc20Max {
            try saveModel(names.best20(fold: c.fold), cpuModel)
            state.auc20Max = r.auc20
        }
        state.epochDone = r.epoch
        state.ampScale = scaler?.scale
        state.ampGrowthTracker = scaler?.growthTracker
        state.nextLR = LRSchedule.lr(epoch: r.epoch + 1, initLR: c.initLR, nEpochs: c.nEpochs)
        let cpuOptim = try optimizer.stateDict().map { ($0.name, try $0.tensor.to(device: .cpu)) }
        if let bad = try firstNonFinite(cpuOptim) {
            throw RunError(.initLR, "fold \(c.fold), epoch \(r.epoch): the optimizer state '\(bad)' holds NaN or "
                + "infinity; nothing of this epoch was saved")
        }
        try store.save(state: state, model: cpuModel, optimizer: cpuOptim)
        return line
    }

    /// train_epoch: zero_grad, forward, CE, backward, optional clipping, Adam step; returns the mean batch
    /// loss and the number of images seen.
    func trainPass(optimizer: Adam, seed: UInt64, label: String) throws -> (loss: Double, images: Int) {
        let c = config
        model.train()
        let bar = ProgressBar(total: trainSource.batchCount, label: label, enabled: progress)
        defer { bar.finish() }
        let next = try trainSource.pass(seed: seed)
        var losses: [Double] = []
        var images = 0
        let params = model.trainableParameters()
        while let batch = try next() {
            guard let targets = batch.targets else { throw RunError("\(label): training rows need classes") }
            let x = try batch.images.to(device: c.device, nonBlocking: c.device.isCUDA).contiguous(channelsLast: c.channelsLast)
            let meta = try batch.meta?.to(device: c.device, nonBlocking: c.device.isCUDA)
            let y = try targets.to(device: c.device, nonBlocking: c.device.isCUDA)
            optimizer.zeroGrad()
            var loss = try withAutocast(device: c.device, dtype: c.ampDType, enabled: c.useAMP) {
                try model.forward(images: x, meta: meta).to(dtype: .float32).crossEntropy(target: y)
            }
            if let parallel, batch.count * parallel.size != batch.globalCount {
                // Weighted by the shard's share, so the mean over workers the reducer takes is the gradient of
                // the whole batch's mean loss even when a short last batch splits unevenly.
                loss = try loss * (Double(batch.count * parallel.size) / Double(batch.globalCount))
            }
            if let scaler {
                // GradScaler's order: scaled backward, unscale, clip, step unless a gradient overflowed.
                let scaled = try scaler.scaled(loss)
                try reducer?.prepare(for: scaled)
                try scaled.backward()
                let finite = try scaler.unscale(params)
                if finite, let clip = c.clipNorm { try clipGradNorm(params, maxNorm: clip) }
                try scaler.step(finite: finite) { try optimizer.step() }
            } else {
                try reducer?.prepare(for: loss)
                try loss.backward()
                if let clip = c.clipNorm { try clipGradNorm(params, maxNorm: clip) }
                try optimizer.step()
            }
            let value = try loss.item()
            guard value.isFinite else {
                throw RunError(.initLR, "\(label): the training loss became \(value) at batch \(losses.count + 1); "
                    + "try a lower learning rate, or train without mixed precision")
            }
            losses.append(value)
            images += batch.count
            bar.step(loss: value, batchImages: batch.count)
        }
        guard !losses.isEmpty else { throw RunError("\(label): the training set gave no batches") }
        guard let parallel else { return (losses.reduce(0, +) / Double(losses.count), images) }
        // The workers' weighted losses add up to the whole batches' losses times the number of workers.
        let total = try parallel.sum([losses.reduce(0, +), Double(images)])
        return (total[0] / Double(parallel.size) / Double(losses.count), Int(total[1]))
    }

    /// Weights saved from the CPU so the files load anywhere (`weights`: the current ones unless given).
    func saveModel(_ name: String, _ weights: NamedTensors? = nil) throws {
        try saveTensors(try weights ?? finiteStateDict(), to: config.modelDir.appendingPathComponent(name))
    }

    /// The model's state on the CPU in the standard layout, refused when a tensor holds NaN or infinity (a
    /// checkpoint is a result: predict would turn it into NaN scores). A BatchNorm running statistic is the
    /// usual first one.
    func finiteStateDict() throws -> NamedTensors {
        let sd = try model.stateDict().map { ($0.name, try $0.tensor.detach().to(device: .cpu).contiguous()) }
        if let bad = try firstNonFinite(sd) {
            throw RunError(.initLR, "fold \(config.fold): the model's '\(bad)' holds NaN or infinity; no checkpoint "
                + "was written (a lower learning rate, or a batch size of at least 2, avoids it)")
        }
        return sd
    }
}
