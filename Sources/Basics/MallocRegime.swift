#if canImport(Glibc)
import Glibc
#endif

/// How this process asks glibc's malloc to treat freed memory. glibc serves allocations above 128 KiB with
/// mmap and gives them back on free, so every decoded image and every activation pays its page faults again
/// (up to 2.5x the compute of a CPU training step here). A process policy, set once at start-up.
public enum MallocRegime {
    /// 32 MiB is the largest value glibc accepts for the mmap threshold on 64-bit.
    public static let mmapThreshold = 32 << 20
    public static let trimThreshold = 512 << 20

    /// The GLIBC_TUNABLES value giving another process (the python reference) the `keepFreedBuffers` regime.
    public static var tunables: String {
        "glibc.malloc.mmap_threshold=\(mmapThreshold):glibc.malloc.trim_threshold=\(trimThreshold)"
    }


    /// The training regime (train, evaluate, predict, demo): every step reuses the last one's memory.
    @discardableResult
    public static func keepAllBuffers() -> Bool { set(mmapMax: 0, mmapThreshold: nil, trim: 1 << 30) }

    /// Raised thresholds (the augmentation benchmark's regime). Returns false where glibc is not the allocator.
    @discardableResult
    public static func keepFreedBuffers() -> Bool { set(mmapMax: nil, mmapThreshold: mmapThreshold, trim: trimThreshold) }

    // glibc's mallopt parameters (malloc.h, which the Glibc module does not export).
    private static let trimThresholdParam: Int32 = -1, mmapThresholdParam: Int32 = -3, mmapMaxParam: Int32 = -4

    private static func set(mmapMax: Int32?, mmapThreshold: Int?, trim: Int) -> Bool {
        #if os(Linux)
        var ok = mallopt(trimThresholdParam, Int32(clamping: trim)) == 1
        if let mmapMax { ok = ok && mallopt(mmapMaxParam, mmapMax) == 1 }
        if let mmapThreshold { ok = ok && mallopt(mmapThresholdParam, Int32(clamping: mmapThreshold)) == 1 }
        return ok
        #else
        return false
        #endif
    }
}

#if os(Linux)
@_silgen_name("mallopt")
private func mallopt(_ param: Int32, _ value: Int32) -> Int32
#endif
