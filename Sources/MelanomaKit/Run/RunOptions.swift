import Basics
import Foundation
import Imaging
import Models
import Torch

/// The layout of weights and image batches. `auto` picks channels-last, faster for every CNN family here.
public enum MemoryFormat: String, CaseIterable, Sendable {
    case auto, contiguous
    case channelsLast = "channels-last"
}

/// The settings shared by train, evaluate and predict (train.py's flags), parsed once by the CLI. The defaults
/// here are the only ones: the CLI's flags and the demo start from them.
public struct RunOptions: Sendable {
    public var kernelType: String
    public var dataDir = "./data/"
    public var dataFolder: Int
    public var imageSize: Int
    public var enetType: String
    public var batchSize = 64
    public var numWorkers = 2
    public var outDim = 9
    public var useMeta = false
    public var nMetaDim = [512, 128]
    public var useAMP = false
    public var debug = false
    public var modelDir = "./weights"
    public var logDir = "./logs"
    public var folds = [0, 1, 2, 3, 4]
    public var device: Device = .cpu
    public var seed: UInt64 = 0
    public var memoryFormat = MemoryFormat.auto
    /// Decode JPEGs at their stored size and augment there, as the original did, instead of reducing them in
    /// the DCT first to the smallest power-of-two size at or above the model's input (faster, the default).
    public var fullDecode = false
    /// The mixed-precision type with `useAMP`: bf16 (float32's range, no loss scaling), or fp16 with
    /// dynamic loss scaling as the original ran on P100/V100/T4 GPUs, which lack bf16.
    public var ampDType: DType = .bfloat16
    // train only
    public var nEpochs = 15
    public var initLR = 3e-5
    // evaluate and predict
    public var nTest = 8

    public init(kernelType: String, dataFolder: Int, imageSize: Int, enetType: String) {
        self.kernelType = kernelType
        self.dataFolder = dataFolder
        self.imageSize = imageSize
        self.enetType = enetType
    }

    /// The original's `--DEBUG`: 5 epochs whatever `nEpochs` says.
    public static let debugEpochs = 5
    public var epochsToRun: Int { debug ? RunOptions.debugEpochs : nEpochs }

    /// Channels-last unless asked for contiguous (every backbone here is a CNN, where it is faster).
    public var channelsLast: Bool { memoryFormat != .contiguous }

    public var datasetConfig: DatasetConfig {
        DatasetConfig(dataDir: dataDir, dataFolder: dataFolder, kernelType: kernelType, outDim: outDim, useMeta: useMeta)
    }

    public func modelSpec(nMetaFeatures: Int) -> ModelSpec {
        ModelSpec(enetType: enetType, outDim: outDim, nMetaFeatures: useMeta ? nMetaFeatures : 0, nMetaDim: nMetaDim)
    }

    public var names: CheckpointNames { CheckpointNames(kernelType: kernelType) }

    /// Everything that changes a training run's results, as text: what a resume must find unchanged.
    public var resumeSettings: [String: String] {
        ["enet-type": enetType, "image-size": "\(imageSize)", "data-folder": "\(dataFolder)", "out-dim": "\(outDim)",
         "use-meta": "\(useMeta)", "n-meta-dim": "\(nMetaDim)", "batch-size": "\(batchSize)", "init-lr": "\(initLR)",
         "DEBUG": "\(debug)", "use-amp": "\(useAMP)", "n-epochs": "\(epochsToRun)", "seed": "\(seed)",
         "memory-format": channelsLast ? "channels-last" : "contiguous", "full-decode": "\(fullDecode)",
         "amp-dtype": useAMP ? (ampDType == .float16 ? "fp16" : "bf16") : "none"]
    }

    /// One fold's trainer settings.
    public func trainerConfig(fold: Int, melIdx: Int, resume: Bool) -> TrainerConfig {
        var c = TrainerConfig(kernelType: kernelType, fold: fold, nEpochs: epochsToRun, initLR: initLR, imageSize: imageSize,
                              melIdx: melIdx, modelDir: URL(fileURLWithPath: modelDir), logDir: URL(fileURLWithPath: logDir))
        c.device = device
        c.useAMP = useAMP
        c.ampDType = ampDType
        c.channelsLast = channelsLast
        c.seed = seed
        c.resume = resume
        c.settings = resumeSettings
        return c
    }

    /// Checks what the settings alone can tell, before any data is read.
    public func validate() throws {
        guard !kernelType.isEmpty else { throw RunError(.kernelType, "must not be empty") }
        guard !kernelType.contains("/"), kernelType != "..", kernelType != "." else {
            throw RunError(.kernelType, "'\(kernelType)' names files in the model folder, so it cannot contain '/'")
        }
        guard [9, 4].contains(outDim) else { throw RunError(.outDim, "must be 9 or 4 (the original's mappings), got \(outDim)") }
        guard (32 ... 2048).contains(imageSize) else { throw RunError(.imageSize, "must be in 32...2048, got \(imageSize)") }
        guard batchSize >= 1 else { throw RunError(.batchSize, "must be positive, got \(batchSize)") }
        guard numWorkers >= 0 else { throw RunError(.numWorkers, "must be >= 0, got \(numWorkers)") }
        guard !folds.isEmpty, folds.allSatisfy({ (0 ... 4).contains($0) }) else {
            throw RunError(.folds, "takes fold numbers 0-4 separated by commas, got \(folds)")
        }
        guard Set(folds).count == folds.count else { throw RunError(.folds, "names a fold twice: \(folds)") }
        guard nEpochs >= 1 else { throw RunError(.nEpochs, "must be at least 1, got \(nEpochs)") }
        guard initLR.isFinite, initLR > 0 else { throw RunError(.initLR, "must be a positive number, got \(initLR)") }
        guard (1 ... TTA.variants).contains(nTest) else { throw RunError(.nTest, "must be 1...8, got \(nTest)") }
        guard nMetaDim.count == 2, nMetaDim.allSatisfy({ $0 >= 1 }) else {
            throw RunError(.nMetaDim, "takes two positive sizes like 512,128, got \(nMetaDim)")
        }
        do { _ = try ModelRegistry.family(enetType) } catch { throw RunError(.enetType, "\(error)") }
        if device.isCUDA {
            if let why = LibTorch.loadCUDA() { throw RunError(.device, "\(device): \(why)") }
            guard LibTorch.cudaIsAvailable else { throw RunError(.device, "\(device): no usable CUDA GPU") }
        }
    }

    /// What training refuses on top of `validate`: BatchNorm over one value per channel gives NaN running
    /// statistics (PyTorch refuses such a batch).
    /// With several workers `batchSize` is the job's batch, split evenly, so each worker's part counts here.
    public func validateForTraining(workers: Int = 1) throws {
        guard batchSize % workers == 0 else {
            throw RunError(.batchSize, "\(batchSize) does not divide among \(workers) workers: it is the whole job's "
                + "batch, split evenly (as the original's DataParallel), so use a multiple of \(workers)")
        }
        let batchSize = batchSize / workers
        let per = workers > 1 ? " per worker (\(self.batchSize) over \(workers) workers)" : ""
        if useMeta && batchSize < 2 {
            throw RunError(.batchSize, "must be at least 2\(per) with metadata: the metadata branch's BatchNorm has one "
                + "value per feature in a batch of one, and its running statistics become NaN")
        }
        if batchSize < 2 && (imageSize + 31) / 32 < 2 {
            throw RunError(.batchSize, "must be at least 2\(per) for \(imageSize)-pixel images: the last feature map is 1x1, "
                + "so BatchNorm sees one value per channel in a batch of one and its running statistics become NaN")
        }
    }

    /// Loads the dataset once, with the settings that change folds, labels and metadata.
    public func loadDataset() throws -> Dataset { try Dataset.load(datasetConfig) }

    /// A model built for this run and the dataset's metadata count, seeded so every fold starts the same way.
    public func makeModel(nMetaFeatures: Int, seed: UInt64) throws -> MelanomaNet {
        LibTorch.manualSeed(seed)
        return try MelanomaNet(modelSpec(nMetaFeatures: nMetaFeatures))
    }

    /// The loader of `samples`: augmented and shuffled when training, resized and normalised otherwise.
    public func loader(_ samples: [Sample], training: Bool, shard: Shard = .whole) throws -> BatchLoader {
        var transform: AugmentConfig = training ? .train(imageSize: imageSize) : .validation(imageSize: imageSize)
        transform.dctScaling = !fullDecode
        return try BatchLoader(samples: samples, transform: transform,
                               config: LoaderConfig(batchSize: batchSize, numWorkers: numWorkers, training: training,
                                                    shard: shard, pinMemory: device.isCUDA))
    }

    /// `--DEBUG`: the original's small subset (batch_size * n rows, sampled with the run's seed).
    func debugSubset(_ rows: [Sample], multiple: Int) -> [Sample] {
        guard debug else { return rows }
        var rng = SplitMix64(seed: seed &+ 0x5eed)
        var idx = Array(rows.indices)
        idx.seededShuffle(using: &rng)
        return idx.prefix(min(rows.count, batchSize * multiple)).sorted().map { rows[$0] }
    }
}
