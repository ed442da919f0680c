import Foundation
import Models
import Torch

/// The flags shared by train, evaluate and predict (train.py's names), parsed once by the CLI.
public struct RunOptions: Sendable {
    public var kernelType: String
    public var dataDir: String
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

    public init(kernelType: String, dataDir: String, dataFolder: Int, imageSize: Int, enetType: String) {
        self.kernelType = kernelType
        self.dataDir = dataDir
        self.dataFolder = dataFolder
        self.imageSize = imageSize
        self.enetType = enetType
    }

    public var datasetConfig: DatasetConfig {
        DatasetConfig(dataDir: dataDir, dataFolder: dataFolder, kernelType: kernelType, outDim: outDim, useMeta: useMeta)
    }

    public func modelSpec(nMetaFeatures: Int) -> ModelSpec {
        ModelSpec(enetType: enetType, outDim: outDim, nMetaFeatures: useMeta ? nMetaFeatures : 0, nMetaDim: nMetaDim)
    }

    public var names: CheckpointNames { CheckpointNames(kernelType: kernelType) }

    /// Checks what flags alone can tell, before any data is read.
    public func validate() throws {
        guard !kernelType.isEmpty else { throw PipelineError("--kernel-type must not be empty") }
        guard [9, 4].contains(outDim) else { throw PipelineError("--out-dim must be 9 or 4 (the original's mappings), got \(outDim)") }
        guard imageSize >= 32 else { throw PipelineError("--image-size must be at least 32, got \(imageSize)") }
        guard batchSize >= 1 else { throw PipelineError("--batch-size must be positive, got \(batchSize)") }
        guard numWorkers >= 0 else { throw PipelineError("--num-workers must be >= 0, got \(numWorkers)") }
        guard !folds.isEmpty, folds.allSatisfy({ (0 ... 4).contains($0) }) else {
            throw PipelineError("--fold takes fold numbers 0-4 separated by commas, got \(folds)")
        }
        _ = try ModelRegistry.family(enetType)
        if device.isCUDA {
            if let why = LibTorch.loadCUDA() { throw PipelineError("--device \(device): \(why)") }
            guard LibTorch.cudaIsAvailable else { throw PipelineError("--device \(device): no usable CUDA GPU") }
        }
    }

    /// Loads the dataset once, with the flags that change folds, labels and metadata.
    public func loadDataset() throws -> Dataset { try Dataset.load(datasetConfig) }

    /// A model built for this run and the dataset's metadata count, seeded so every fold starts the same way.
    public func makeModel(nMetaFeatures: Int, seed: UInt64) throws -> MelanomaNet {
        LibTorch.manualSeed(seed)
        return try MelanomaNet(modelSpec(nMetaFeatures: nMetaFeatures))
    }

    /// `--DEBUG`: the original's small subset (batch_size * n rows, sampled with the run's seed).
    func debugSubset(_ rows: [Sample], multiple: Int) -> [Sample] {
        guard debug else { return rows }
        var rng = SplitMix(seed: seed &+ 0x5eed)
        let n = min(rows.count, batchSize * multiple)
        var idx = Array(rows.indices)
        for i in stride(from: idx.count - 1, to: 0, by: -1) { idx.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        return idx.prefix(n).sorted().map { rows[$0] }
    }
}

/// A tiny deterministic generator for subsampling (not for augmentation).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
