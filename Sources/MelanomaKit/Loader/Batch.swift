import Torch

/// One batch on the CPU: images `[N, 3, S, S]` float32, metadata `[N, M]` float32 (nil without metadata),
/// class indices `[N]` int64 (nil for test rows, which have none), and per row its index in the data set and
/// whether it is external (2019) data, which auc_20 leaves out.
public struct Batch: @unchecked Sendable {
    public let images: Tensor
    public let meta: Tensor?
    public let targets: Tensor?
    public let indices: [Int]
    public let isExt: [Bool]
    /// Rows of the whole batch in a data-parallel job, of which this worker's rows are a shard (`count` in a
    /// single process). The training loss of a shard is weighted by its share of it.
    public let globalCount: Int

    public init(images: Tensor, meta: Tensor? = nil, targets: Tensor?, indices: [Int], isExt: [Bool],
                globalCount: Int? = nil) {
        self.images = images
        self.meta = meta
        self.targets = targets
        self.indices = indices
        self.isExt = isExt
        self.globalCount = globalCount ?? indices.count
    }

    public var count: Int { indices.count }
}

/// One pass over a data set: call until it returns nil.
public typealias BatchPass = () throws -> Batch?

/// What the trainer and the TTA loop iterate. A training pass (a seed given) shuffles and augments from that
/// seed; a validation or test pass (nil) keeps row order. `BatchLoader` is the real one; tests hold rows in
/// tensors.
public protocol BatchSource: AnyObject {
    /// Batches in a pass of this source.
    var batchCount: Int { get }
    func pass(seed: UInt64?) throws -> BatchPass
    /// All rows of the source and its (global) batch size, which gathering a data-parallel job's sharded
    /// outputs needs; nil for a source that is not sharded.
    var layout: (rows: Int, batchSize: Int)? { get }
}

extension BatchSource {
    public var layout: (rows: Int, batchSize: Int)? { nil }
}
