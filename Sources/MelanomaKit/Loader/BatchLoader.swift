import Basics
import Foundation
import Imaging
import Torch

public struct LoaderConfig: Sendable {
    public var batchSize: Int
    public var numWorkers: Int
    /// A training loader shuffles every pass from the pass's seed and drops a last batch of one row, which
    /// BatchNorm cannot normalise in training mode (PyTorch refuses it; the original crashes there). Other
    /// loaders keep row order and every row.
    public var training: Bool
    /// Batches built ahead of the consumer; with the workers' batches in flight this bounds memory.
    public var prefetch = 2
    /// Batches in page-locked memory, for a CUDA consumer: the worker thread pins them, so the step's copy to
    /// the GPU is asynchronous (`to(device:nonBlocking:)`). Ignored where CUDA is unavailable.
    public var pinMemory = false

    public init(batchSize: Int, numWorkers: Int, training: Bool, prefetch: Int = 2, pinMemory: Bool = false) {
        self.batchSize = batchSize
        self.numWorkers = numWorkers
        self.training = training
        self.prefetch = prefetch
        self.pinMemory = pinMemory
    }
}

/// Decodes and transforms samples into batches on worker threads. Each sample's augmentation is drawn from
/// `SampleRandom(seed, epoch, index)`, so batches are identical whatever the worker count.
public final class BatchLoader: BatchSource, Sendable {
    public let samples: [Sample]
    public let pipeline: AugmentPipeline
    public let config: LoaderConfig
    public let metaCount: Int
    let withTargets: Bool
    /// `config.pinMemory` where a GPU can take the batches (decided once: asking loads libtorch_cuda).
    public let pinsBatches: Bool

    public init(samples: [Sample], transform: AugmentConfig, config: LoaderConfig) throws {
        guard config.batchSize > 0 else { throw RunError(.batchSize, "must be positive, got \(config.batchSize)") }
        guard config.numWorkers >= 0 else { throw RunError(.numWorkers, "must be >= 0, got \(config.numWorkers)") }
        let m = samples.first?.meta.count ?? 0
        if let bad = samples.first(where: { $0.meta.count != m }) {
            throw RunError("\(bad.filepath): \(bad.meta.count) metadata features, the first sample has \(m)")
        }
        let withTargets = (samples.first?.target ?? -1) >= 0
        if let bad = samples.first(where: { ($0.target >= 0) != withTargets }) {
            throw RunError("\(bad.filepath): class \(withTargets ? "missing" : "present") unlike the first sample")
        }
        self.samples = samples
        self.pipeline = AugmentPipeline(transform)
        self.config = config
        self.metaCount = m
        self.withTargets = withTargets
        pinsBatches = config.pinMemory && LibTorch.cudaIsAvailable
    }

    /// Sample indices of a pass, cut into batches: shuffled from `seed` when training, in order otherwise.
    public func plan(seed: UInt64?) -> [[Int]] {
        var order = Array(samples.indices)
        if config.training, let seed {
            var rng = SampleRandom(seed: seed, epoch: 0, index: -1)
            order.seededShuffle(using: &rng)
        }
        var out: [[Int]] = stride(from: 0, to: order.count, by: config.batchSize).map {
            Array(order[$0 ..< min($0 + config.batchSize, order.count)])
        }
        if config.training, out.count > 1, out.last?.count == 1 { out.removeLast() }
        return out
    }

    public var batchCount: Int { plan(seed: nil).count }

    /// The batches of one pass, in order, built ahead by `numWorkers` threads (on the caller when 0).
    public func iterator(seed: UInt64?) -> EpochIterator {
        EpochIterator(loader: self, seed: seed ?? 0, plan: plan(seed: seed))
    }

    public func pass(seed: UInt64?) throws -> BatchPass {
        let it = iterator(seed: seed)
        return { try it.nextBatch() }
    }

    /// Builds one batch (decode, transform, copy into tensors) on the calling thread.
    func makeBatch(_ indices: [Int], seed: UInt64) throws -> Batch {
        let s = pipeline.config.imageSize
        let per = 3 * s * s
        var pixels = [Float](repeating: 0, count: indices.count * per)
        try pixels.withUnsafeMutableBufferPointer { buf in
            for (k, i) in indices.enumerated() {
                let path = samples[i].filepath
                let image = try Image(contentsOf: URL(fileURLWithPath: path), minSide: pipeline.config.decodeMinSide)
                var rng = SampleRandom(seed: seed, epoch: 0, index: i)
                do {
                    try pipeline.transform(image, using: &rng, into: buf.baseAddress! + k * per)
                } catch {
                    throw ImageError("\(path): \(error)")
                }
            }
        }
        var images = try pixels.withUnsafeBytes { try Tensor.fromBytes($0, shape: [indices.count, 3, s, s], dtype: .float32) }
        var meta = metaCount == 0 ? nil : try Tensor(indices.flatMap { samples[$0].meta }, shape: [indices.count, metaCount])
        var targets = withTargets ? try Tensor(indices.map { Int64(samples[$0].target) }) : nil
        if pinsBatches {
            // Here, on the worker thread, so the copy overlaps the consumer's GPU step.
            images = try images.pinMemory()
            meta = try meta?.pinMemory()
            targets = try targets?.pinMemory()
        }
        return Batch(images: images, meta: meta, targets: targets, indices: indices, isExt: indices.map { samples[$0].isExt })
    }
}
