import Basics
import Foundation
import Torch

/// The memory regime of the commands that run models (train, evaluate, predict, demo, serve): glibc keeps its
/// freed buffers (no page faults on the next step), and libtorch's large buffers come from the caching
/// allocator, so they leave no holes in glibc's heap. `MELANOMA_CPU_ALLOCATOR=malloc` leaves the large
/// buffers to glibc as well (the regime before the cache, for benchmarks); a process setting, made at start-up.
/// `MELANOMA_CPU_CACHE_STATS=1` prints the cache's counters to stderr at exit (what BENCHMARKS.md quotes).
public enum ModelMemory {
    public static let variable = "MELANOMA_CPU_ALLOCATOR"
    public static let statsVariable = "MELANOMA_CPU_CACHE_STATS"

    public enum Allocator: String, CaseIterable, Sendable { case caching, malloc }

    /// Sets the regime; throws naming the variable when its value is not one of `Allocator`'s.
    @discardableResult
    public static func configure(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Allocator {
        let raw = environment[variable] ?? Allocator.caching.rawValue
        guard let choice = Allocator(rawValue: raw) else {
            throw RunError("\(variable) must be \(Allocator.allCases.map(\.rawValue).joined(separator: " or ")), got '\(raw)'")
        }
        MallocRegime.keepAllBuffers()
        if choice == .caching, CPUMemory.useCachingAllocator(), environment[statsVariable] == "1" {
            atexit { ModelMemory.printStats() }
        }
        return choice
    }

    private static func printStats() {
        guard let s = CPUMemory.stats else { return }
        let mib = { (b: Int) in String(format: "%.1f MiB", Double(b) / Double(1 << 20)) }
        FileHandle.standardError.write(Data(("cpu cache: peak asked \(mib(s.peakAsked)), peak mapped \(mib(s.peakMapped)), "
            + "hits \(s.hits), misses \(s.misses), evictions \(s.evictions)\n").utf8))
    }
}
