import CTorch

/// Where libtorch's large CPU buffers come from. By default glibc's malloc; `useCachingAllocator` hands every
/// buffer of at least `minBytes` to a cache of whole mappings (ctorch_alloc.cpp), so a training step reuses the
/// last step's buffers without page faults and without the holes a shared heap grows. Small buffers stay with
/// malloc. A process setting, made once at start-up before the first tensor.
public enum CPUMemory {
    /// Bytes of the cached (large) blocks; `asked` is what tensors requested, `live` the blocks they hold.
    public struct Stats: Sendable, Equatable {
        public var asked, live, cached, mapped, peakAsked, peakMapped: Int
        public var hits, misses, evictions: Int
    }

    /// 256 KiB: a page-rounded block wastes at most 1.6 % at that size, and the thousands of smaller buffers
    /// (biases, BatchNorm statistics, scalars) stay in malloc's arenas instead of one mapping each.
    public static let defaultMinBytes = 256 << 10

    /// Installs the cache; false when it was installed already (the first call's settings stay).
    @discardableResult
    public static func useCachingAllocator(minBytes: Int = defaultMinBytes) -> Bool {
        ct_cpu_cache_install(UInt64(max(0, minBytes))) == 1
    }

    /// The cache's counters; nil when it is not installed.
    public static var stats: Stats? {
        var s = ct_cpu_cache_stats()
        guard ct_cpu_cache_get_stats(&s) == 1 else { return nil }
        return Stats(s)
    }

    /// Gives every cached free block back to the kernel (e.g. before a long idle phase).
    public static func releaseCached() { ct_cpu_cache_release() }

    /// A cache of its own with the installed one's policy, serving raw blocks instead of tensors: the policy
    /// (reuse, fit, bound, the order blocks are dropped in) seen apart from the process's tensors.
    public final class Cache: @unchecked Sendable {  // the C++ cache locks its own state
        private let handle: ct_cpu_cache

        public init(minBytes: Int = CPUMemory.defaultMinBytes) { handle = ct_cpu_cache_new(UInt64(max(0, minBytes))) }
        deinit { ct_cpu_cache_delete(handle) }

        /// A block of at least `bytes` (mapped memory, page-aligned).
        public func take(_ bytes: Int) throws -> UnsafeMutableRawPointer {
            guard let p = try checked({ ct_cpu_cache_take(handle, UInt64(max(0, bytes)), $0) }) else {
                throw TorchError("the cache returned no block")
            }
            return p
        }

        /// False when `block` is not one of this cache's live blocks.
        @discardableResult
        public func give(_ block: UnsafeMutableRawPointer) -> Bool { ct_cpu_cache_give(handle, block) == 1 }

        public var stats: Stats {
            var s = ct_cpu_cache_stats()
            ct_cpu_cache_stats_of(handle, &s)
            return Stats(s)
        }

        public func releaseCached() { ct_cpu_cache_release_of(handle) }
    }
}

extension CPUMemory.Stats {
    init(_ s: ct_cpu_cache_stats) {
        self.init(asked: Int(s.asked_bytes), live: Int(s.live_bytes), cached: Int(s.cached_bytes),
                  mapped: Int(s.mapped_bytes), peakAsked: Int(s.peak_asked_bytes), peakMapped: Int(s.peak_mapped_bytes),
                  hits: Int(s.hits), misses: Int(s.misses), evictions: Int(s.evictions))
    }
}
