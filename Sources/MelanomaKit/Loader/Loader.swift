import Foundation
import Imaging
import Torch

/// One sample: an image file, its metadata features and (for training and validation) its class.
public struct LoaderItem: Sendable, Equatable {
    public var path: String
    public var meta: [Float]
    public var target: Int?
    public init(path: String, meta: [Float] = [], target: Int? = nil) {
        self.path = path
        self.meta = meta
        self.target = target
    }
}

/// A ready batch: images [N, 3, S, S] float32, meta [N, M] float32 (nil when M == 0), targets [N] int64 (nil when
/// the items have none), and the item indices it holds.
public struct LoaderBatch: @unchecked Sendable {
    public let images: Tensor
    public let meta: Tensor?
    public let targets: Tensor?
    public let indices: [Int]
}

public struct LoaderConfig: Sendable {
    public var batchSize: Int
    public var numWorkers: Int
    /// Shuffle every epoch (training); sequential otherwise.
    public var shuffle: Bool
    /// Drop a last partial batch (training option); evaluation keeps it.
    public var dropLast = false
    public var seed: UInt64 = 0
    /// Batches built ahead of the consumer; with the workers' batches in flight this bounds memory.
    public var prefetch = 2

    public init(batchSize: Int, numWorkers: Int, shuffle: Bool, dropLast: Bool = false, seed: UInt64 = 0, prefetch: Int = 2) {
        self.batchSize = batchSize
        self.numWorkers = numWorkers
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.seed = seed
        self.prefetch = prefetch
    }
}

/// Decodes and transforms items into batches on worker threads. Each sample's augmentation is drawn from
/// SampleRandom(seed, epoch, item index), so batches are identical whatever the worker count.
public final class BatchLoader: Sendable {
    public let items: [LoaderItem]
    public let pipeline: AugmentPipeline
    public let config: LoaderConfig
    public let metaCount: Int

    public init(items: [LoaderItem], transform: AugmentConfig, config: LoaderConfig) throws {
        guard config.batchSize > 0 else { throw ImageError("batch size must be positive, got \(config.batchSize)") }
        guard config.numWorkers >= 0 else { throw ImageError("--num-workers must be >= 0, got \(config.numWorkers)") }
        let m = items.first?.meta.count ?? 0
        if let bad = items.firstIndex(where: { $0.meta.count != m }) {
            throw ImageError("\(items[bad].path): \(items[bad].meta.count) metadata features, the first item has \(m)")
        }
        let withTarget = items.first?.target != nil
        if let bad = items.firstIndex(where: { ($0.target != nil) != withTarget }) {
            throw ImageError("\(items[bad].path): target \(withTarget ? "missing" : "present") unlike the first item")
        }
        self.items = items
        self.pipeline = AugmentPipeline(transform)
        self.config = config
        self.metaCount = m
    }

    /// Item indices in the order of `epoch`, cut into batches.
    public func batches(epoch: Int) -> [[Int]] {
        var order = Array(items.indices)
        if config.shuffle {
            var rng = SampleRandom(seed: config.seed, epoch: epoch, index: -1)
            order.shuffle(using: &rng)
        }
        var out: [[Int]] = stride(from: 0, to: order.count, by: config.batchSize).map {
            Array(order[$0 ..< min($0 + config.batchSize, order.count)])
        }
        if config.dropLast, let last = out.last, last.count < config.batchSize { out.removeLast() }
        return out
    }

    public var count: Int { batches(epoch: 0).count }

    /// Builds one batch (decode, transform, copy into tensors) on the calling thread.
    public func makeBatch(_ indices: [Int], epoch: Int) throws -> LoaderBatch {
        let s = pipeline.config.imageSize
        let per = 3 * s * s
        var pixels = [Float](repeating: 0, count: indices.count * per)
        try pixels.withUnsafeMutableBufferPointer { buf in
            for (k, i) in indices.enumerated() {
                let item = items[i]
                let image = try Image(contentsOf: URL(fileURLWithPath: item.path), minSide: pipeline.config.decodeMinSide)
                var rng = SampleRandom(seed: config.seed, epoch: epoch, index: i)
                do {
                    try pipeline.transform(image, using: &rng, into: buf.baseAddress! + k * per)
                } catch {
                    throw ImageError("\(item.path): \(error)")
                }
            }
        }
        let images = try pixels.withUnsafeBytes { try Tensor.fromBytes($0, shape: [indices.count, 3, s, s], dtype: .float32) }
        let meta = metaCount == 0 ? nil : try Tensor(indices.flatMap { items[$0].meta }, shape: [indices.count, metaCount])
        let targets = items.first?.target == nil ? nil : try Tensor(indices.map { Int64(items[$0].target ?? 0) })
        return LoaderBatch(images: images, meta: meta, targets: targets, indices: indices)
    }

    /// The batches of one epoch, in order, built ahead by `numWorkers` threads (on the caller when 0).
    public func epoch(_ epoch: Int) -> EpochIterator {
        EpochIterator(loader: self, epoch: epoch, plan: batches(epoch: epoch))
    }
}
