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
    /// In a data-parallel job, the part of every batch this worker takes (`batchSize` stays the global batch).
    public var shard = Shard.whole
    /// Batches in page-locked memory, for a CUDA consumer: the worker thread pins them, so the step's copy to
    /// the GPU is asynchronous (`to(device:nonBlocking:)`). Ignored where CUDA is unavailable.
    public var pinMemory = false

    public init(batchSize: Int, numWorkers: Int, training: Bool, prefetch: Int = 2, shard: Shard = .whole,
                pinMemory: Bool = false) {
        self.batchSize = batchSize
        self.numWorkers = numWorkers
        self.training = training
        self.prefetch = prefetch
        self.shard = shard
        self.pinMemory = pinMemory
    }
}

/// One worker's part of each global batch in a data-parallel job of `count` workers: an even, contiguous
/// split of the batch's rows, so every worker draws a disjoint piece of the same seeded permutation and
/// together they see exactly the batches a single process would.
public struct Shard: Sendable, Equatable {
    public var rank: Int
    public var count: Int
    public static let whole = Shard(rank: 0, count: 1)

    public init(rank: Int, count: Int) {
        self.rank = rank
        self.count = count
    }

    /// Rows of a batch of `n` this worker takes: the first `n % count` workers take one row more.
    public func range(of n: Int) -> Range<Int> {
        let base = n / count, extra = n % count
        let lo = rank * base + min(rank, extra)
        return lo ..< lo + base + (rank < extra ? 1 : 0)
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

    /// This worker's sample indices of a pass, batch by batch (its shard of each global batch; a worker
    /// may get no row of a short last validation batch).
    public func plan(seed: UInt64?) -> [[Int]] {
        globalPlan(seed: seed).map(share)
    }

    /// This worker's rows of one global batch.
    func share(_ batch: [Int]) -> [Int] { Array(batch[config.shard.range(of: batch.count)]) }

    /// Sample indices of a pass, cut into batches: shuffled from `seed` when training, in order otherwise.
    /// Training drops a last batch that would leave a worker fewer than two rows (BatchNorm needs two).
    public func globalPlan(seed: UInt64?) -> [[Int]] {
        var order = Array(samples.indices)
        if config.training, let seed {
            var rng = SampleRandom(seed: seed, epoch: 0, index: -1)
            order.seededShuffle(using: &rng)
        }
        var out: [[Int]] = stride(from: 0, to: order.count, by: config.batchSize).map {
            Array(order[$0 ..< min($0 + config.batchSize, order.count)])
        }
        if config.training, out.count > 1, let last = out.last, last.count < 2 * config.shard.count { out.removeLast() }
        return out
    }

    public var batchCount: Int { plan(seed: nil).filter { !$0.isEmpty }.count }
    public var layout: (rows: Int, batchSize: Int)? { (samples.count, config.batchSize) }

    /// The batches of one pass, in order, built ahead by `numWorkers` threads (on the caller when 0).
    public func iterator(seed: UInt64?) -> EpochIterator {
        let global = globalPlan(seed: seed)
        let local = global.map(share)
        let kept = local.indices.filter { !local[$0].isEmpty }
        return EpochIterator(loader: self, seed: seed ?? 0, plan: kept.map { local[$0] },
                             globalCounts: kept.map { global[$0].count })
    }

    public func pass(seed: UInt64?) throws -> BatchPass {
        let it = iterator(seed: seed)
        return { try it.nextBatch() }
    }

    /// Builds one batch (decode, transform, copy into tensors) on the calling thread; `globalCount` is the
    /// size of the job's batch this one is a shard of.
    func makeBatch(_ indices: [Int], seed: UInt64, globalCount: Int) throws -> Batch {
        let s = pipeline.config.imageSize
        let per = 3 * s * s
        // Each sample is transformed straight into the batch tensor (pinned for a GPU consumer, here on the
        // worker thread so the copy overlaps the GPU step): no zero fill, no copy from a Swift array.
        let images = try Tensor.uninitialized([indices.count, 3, s, s], pinned: pinsBatches)
        try images.withUnsafeMutableBytes { raw in
            let buf = raw.bindMemory(to: Float.self)
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
        var meta = metaCount == 0 ? nil : try Tensor(indices.flatMap { samples[$0].meta }, shape: [indices.count, metaCount])
        var targets = withTargets ? try Tensor(indices.map { Int64(samples[$0].target) }) : nil
        if pinsBatches {
            meta = try meta?.pinMemory()
            targets = try targets?.pinMemory()
        }
        return Batch(images: images, meta: meta, targets: targets, indices: indices,
                     isExt: indices.map { samples[$0].isExt }, globalCount: globalCount)
    }
}
