import CImage

/// glibc serves allocations above 128 KiB with mmap and gives them back on free, so every decoded image and
/// every intermediate buffer pays page faults again. Raising both thresholds keeps freed buffers in the heap.
/// The benchmark applies the same regime to the python reference with GLIBC_TUNABLES (see `tunables`).
public enum MallocRegime {
    /// 32 MiB is the largest value glibc accepts for the mmap threshold on 64-bit.
    public static let mmapThreshold = 32 << 20
    public static let trimThreshold = 512 << 20

    /// The GLIBC_TUNABLES value giving another process the same regime.
    public static var tunables: String {
        "glibc.malloc.mmap_threshold=\(mmapThreshold):glibc.malloc.trim_threshold=\(trimThreshold)"
    }

    /// Applies the regime to this process (call once at start-up, before the loader runs). Returns false where
    /// glibc is not the allocator.
    @discardableResult
    public static func keepFreedBuffers() -> Bool {
        ci_malloc_keep_freed(Int64(mmapThreshold), Int64(trimThreshold)) == 0
    }
}
