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

    /// The training regime: no buffer is ever mmap'd (a B0 activation can exceed glibc's 32 MiB cap on the
    /// mmap threshold) and the heap top is trimmed only past 1 GiB, so every step reuses the last one's memory.
    public static let trainingTunables = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=\(1 << 30)"

    @discardableResult
    public static func keepAllBuffers() -> Bool { ci_malloc_keep_freed(0, Int64(1 << 30)) == 0 }

    /// Applies the regime to this process (call once at start-up, before the loader runs). Returns false where
    /// glibc is not the allocator.
    @discardableResult
    public static func keepFreedBuffers() -> Bool {
        ci_malloc_keep_freed(Int64(mmapThreshold), Int64(trimThreshold)) == 0
    }
}
