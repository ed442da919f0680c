import Foundation
import Models
import Torch

/// Will a CPU training step of this configuration fit in memory? Measured, not guessed: one throwaway model
/// of the same spec takes a forward and backward step at batch 1 and then 2, at the run's image size; the
/// process's resident memory, read after the forward (activations alive) and after the backward (gradients
/// allocated), gives the cost of one more image and the fixed cost; Adam's two moments and the loader's
/// batches in flight are added. A run whose estimate
/// exceeds the memory available is refused before it starts, with the numbers and what to change.
public struct MemoryEstimate: Sendable, CustomStringConvertible {
    public var perImage: Double
    public var fixed: Double
    public var loader: Double
    public var batchSize: Int
    /// Bytes the system reports available (MemAvailable), nil where unknown.
    public var available: Double?

    public var total: Double { fixed + perImage * Double(batchSize) + loader }

    /// The largest batch that fits in 90 % of what is available.
    public var largestBatch: Int? {
        guard let available, perImage > 0 else { return nil }
        return max(0, Int((0.9 * available - fixed - loader) / (perImage + loader / Double(max(batchSize, 1)))))
    }

    public var fits: Bool { available.map { total <= 0.9 * $0 } ?? true }

    public var description: String {
        func gib(_ b: Double) -> String {
            b >= Double(1 << 30) ? String(format: "%.1f GiB", b / Double(1 << 30)) : String(format: "%.0f MiB", b / Double(1 << 20))
        }
        var s = "about \(gib(total)) for batch \(batchSize) (\(gib(perImage)) per image, \(gib(fixed)) fixed, "
            + "\(gib(loader)) loader)"
        if let available { s += "; \(gib(available)) available" }
        return s
    }

    public static func measure(_ o: RunOptions, nMetaFeatures: Int) throws -> MemoryEstimate {
        let model = try MelanomaNet(o.modelSpec(nMetaFeatures: nMetaFeatures))
        model.train()
        let params = model.trainableParameters()
        // The caching allocator would hand batch 2 the blocks batch 1 freed, and the resident set would not show
        // what a step of its own maps; so each probe step starts with the cache empty.
        CPUMemory.releaseCached()
        let base = currentResident()
        var peaks: [Double] = []
        for n in [1, 2] {
            CPUMemory.releaseCached()
            // Batch 1 cannot train the metadata branch's BatchNorm1d; its cost is measured at 2 and 3 instead.
            let rows = o.useMeta ? n + 1 : n
            let x = try Tensor.randn([rows, 3, o.imageSize, o.imageSize])
            let meta = o.useMeta ? try Tensor.randn([rows, nMetaFeatures]) : nil
            let loss = try withAutocast(device: .cpu, enabled: o.useAMP) { try model(x, meta: meta).to(dtype: .float32).mean() }
            let afterForward = currentResident()
            try loss.backward()
            peaks.append(max(afterForward, currentResident()) - base)
            params.forEach { $0.zeroGrad() }
        }
        let perImage = max(0, peaks[1] - peaks[0])
        // Adam keeps two moments per weight, which this probe never allocates.
        let weights = Double(params.reduce(0) { $0 + $1.count }) * 4
        let fixed = max(0, peaks[0] - perImage * Double(o.useMeta ? 2 : 1)) + 2 * weights
        let perBatch = Double(o.batchSize * 3 * o.imageSize * o.imageSize * 4)
        let loader = perBatch * Double(o.numWorkers + 2)
        return MemoryEstimate(perImage: perImage, fixed: fixed, loader: loader, batchSize: o.batchSize,
                              available: availableMemory())
    }

    /// The process's resident set now, in bytes (/proc/self/statm counts pages).
    static func currentResident() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = text.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) else { return 0 }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// MemAvailable from /proc/meminfo, in bytes.
    static func availableMemory() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let kib = line.split(separator: " ").dropFirst().first.flatMap { Double($0) }
            return kib.map { $0 * 1024 }
        }
        return nil
    }
}
