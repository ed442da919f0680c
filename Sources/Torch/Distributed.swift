import CTorch
import Foundation

/// One worker's membership in a c10d job: the TCPStore the workers meet at and torch's ProcessGroup
/// over it (Gloo for CPU tensors; NCCL, or Gloo again, for CUDA tensors). Collectives are in place and
/// blocking. Every worker of the job must make the same calls in the same order.
public final class ProcessGroup: @unchecked Sendable {
    let handle: ct_dist_group
    public let rank: Int
    public let worldSize: Int
    /// Seconds a collective or a store read may wait for the other workers.
    public let timeout: Double

    /// What carries collectives of CUDA tensors.
    public enum CUDABackend: Int32, Sendable { case none = 0, gloo = 1, nccl = 2 }

    /// Meets the other workers at `address:port` (rank 0 hosts the store when `hostsStore`) and waits up
    /// to `timeout` seconds for all `worldSize` of them.
    /// - Parameter glooHost: the address this worker's Gloo transport binds; nil resolves this machine's
    ///   host name as torch does (GLOO_SOCKET_IFNAME, when set, wins).
    public init(address: String, port: Int, hostsStore: Bool, rank: Int, worldSize: Int, timeout: Double,
                glooHost: String? = nil, cudaBackend: CUDABackend = .none) throws {
        guard worldSize >= 1, (0 ..< worldSize).contains(rank) else {
            throw TorchError("rank \(rank) is outside a world of \(worldSize) workers")
        }
        guard (1 ... 65535).contains(port) else { throw TorchError("port \(port) is not in 1...65535") }
        let h = try checked {
            ct_dist_init(address, Int32(port), hostsStore ? 1 : 0, Int32(rank), Int32(worldSize), timeout,
                         glooHost ?? "", cudaBackend.rawValue, $0)
        }
        guard let h else { throw TorchError("libtorch returned no process group") }
        handle = h
        self.rank = rank
        self.worldSize = worldSize
        self.timeout = timeout
    }

    deinit { ct_dist_free(handle) }

    /// Loads the separately built NCCL shim (CUDA builds only) before a group with `.nccl` is made.
    public static func loadNCCL(path: String) throws {
        try checked { ct_dist_load_nccl(path, $0) }
    }

    // MARK: the store

    public func set(_ key: String, _ value: [UInt8]) throws {
        try value.withUnsafeBufferPointer { b in
            try checked { ct_dist_store_set(handle, key, b.baseAddress, b.count, $0) }
        }
    }

    /// The value of `key`, waiting up to `timeout` seconds (the group's by default) for some worker to set it.
    public func get(_ key: String, timeout: Double? = nil) throws -> [UInt8] {
        var n = 0
        let p = try checked { ct_dist_store_get(handle, key, timeout ?? self.timeout, &n, $0) }
        guard let p else { throw TorchError("the store returned nothing for '\(key)'") }
        defer { ct_dist_free_bytes(p) }
        return Array(UnsafeBufferPointer(start: p, count: n))
    }

    // MARK: collectives

    /// Every tensor becomes the sum of its values over all workers.
    public func allReduceSum(_ tensors: [Tensor]) throws {
        let hs: [ct_tensor?] = tensors.map { $0.handle }
        try checked { ct_dist_allreduce_sum(handle, hs, Int32(hs.count), $0) }
    }

    /// Every tensor takes the values it has on worker `root`.
    public func broadcast(_ tensors: [Tensor], root: Int = 0) throws {
        let hs: [ct_tensor?] = tensors.map { $0.handle }
        try checked { ct_dist_broadcast(handle, hs, Int32(hs.count), Int32(root), $0) }
    }

    /// Returns when every worker has called it.
    public func barrier() throws {
        try checked { ct_dist_barrier(handle, $0) }
    }
}

/// torch's c10d::Reducer, the engine of DistributedDataParallel: hooks on the parameters' gradient
/// accumulators copy each gradient into a bucket as backward produces it and start the bucket's
/// all-reduce as soon as the bucket is full, so communication overlaps the rest of backward. When
/// `backward()` returns, every parameter's gradient is the mean over the workers.
public final class GradientReducer: @unchecked Sendable {
    let handle: ct_reducer
    /// The parameters stay alive as long as the hooks on them do.
    let parameters: [Tensor]

    /// - Parameters:
    ///   - parameters: the leaf tensors the optimizer steps, all of which receive a gradient every step
    ///     (unless `findUnused`).
    ///   - bucketMB: DDP's `bucket_cap_mb` (25).
    public init(group: ProcessGroup, parameters: [Tensor], bucketMB: Double = 25, findUnused: Bool = false) throws {
        let hs: [ct_tensor?] = parameters.map { $0.handle }
        let h = try checked { ct_reducer_new(group.handle, hs, Int32(hs.count), bucketMB, findUnused ? 1 : 0, $0) }
        guard let h else { throw TorchError("libtorch returned no reducer") }
        handle = h
        self.parameters = parameters
    }

    deinit { ct_reducer_free(handle) }

    /// Arms the hooks for the backward pass that starts from `output` (call it before `backward()`).
    public func prepare(for output: Tensor) throws {
        try checked { ct_reducer_prepare(handle, output.handle, $0) }
    }

    /// Buckets the gradients travel in.
    public var bucketCount: Int { Int(ct_reducer_buckets(handle)) }
}
