import Foundation
import Imaging
import Models
import Torch

extension MelanomaNet: TrainableModel {
    public func forward(images: Tensor, meta: Tensor?) throws -> Tensor { try self(images, meta: meta) }
}

/// Dataset rows as the trainer's `BatchSource`: a training pass (a seed given) shuffles and augments
/// from that seed; a validation or test pass (nil) keeps row order and only resizes and normalises.
public final class SampleSource: BatchSource {
    public let samples: [Sample]
    let items: [LoaderItem]
    let imageSize: Int, batchSize: Int, numWorkers: Int
    let augment: Bool

    public init(samples: [Sample], imageSize: Int, batchSize: Int, numWorkers: Int, augment: Bool) {
        self.samples = samples
        items = samples.map { LoaderItem(path: $0.filepath, meta: $0.meta, target: $0.target >= 0 ? $0.target : nil) }
        self.imageSize = imageSize
        self.batchSize = batchSize
        self.numWorkers = numWorkers
        self.augment = augment
    }

    /// A training pass drops a last batch of one row: BatchNorm1d in the metadata branch cannot
    /// normalise a single row in training mode (the original crashes there).
    var dropsSingleton: Bool { augment && samples.count % batchSize == 1 && samples.count > 1 }

    public var batchCount: Int {
        let full = samples.count / batchSize, rest = samples.count % batchSize
        return full + (rest > 0 && !dropsSingleton ? 1 : 0)
    }

    public func makeStream(seed: UInt64?) throws -> BatchStream {
        let training = augment && seed != nil
        let transform = training ? AugmentConfig.train(imageSize: imageSize) : .validation(imageSize: imageSize)
        let config = LoaderConfig(batchSize: batchSize, numWorkers: numWorkers, shuffle: training,
                                  dropLast: training && dropsSingleton, seed: seed ?? 0)
        let loader = try BatchLoader(items: items, transform: transform, config: config)
        return SampleStream(iterator: loader.epoch(0), samples: samples)
    }
}

final class SampleStream: BatchStream {
    let iterator: EpochIterator
    let samples: [Sample]

    init(iterator: EpochIterator, samples: [Sample]) {
        self.iterator = iterator
        self.samples = samples
    }

    deinit { iterator.stop() }

    func next() throws -> Batch? {
        guard let b = try iterator.nextBatch() else { return nil }
        // Test rows carry no class; the pipeline never reads their targets.
        let targets = try b.targets ?? Tensor.zeros([b.indices.count], dtype: .int64)
        return Batch(images: b.images, meta: b.meta, targets: targets, isExt: b.indices.map { samples[$0].isExt })
    }
}
