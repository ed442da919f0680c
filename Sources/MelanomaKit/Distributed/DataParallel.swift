import Foundation
import NN
import Torch

/// This process's part in a data-parallel training job on torch's c10d: the job's process group, who
/// leads (rank 0 alone writes files and talks to the user), and the few collectives the trainer needs
/// besides the gradient all-reduce (which `GradientReducer` does during backward).
public final class DataParallel: @unchecked Sendable {
    public let group: ProcessGroup
    /// What carries collectives of CUDA tensors (none on the CPU, where Gloo does).
    public let cudaBackend: ProcessGroup.CUDABackend
    public var rank: Int { group.rank }
    public var size: Int { group.worldSize }
    public var isLeader: Bool { rank == 0 }
    public var shard: Shard { Shard(rank: rank, count: size) }

    public init(group: ProcessGroup, cudaBackend: ProcessGroup.CUDABackend = .none) {
        self.group = group
        self.cudaBackend = cudaBackend
    }

    /// Joins the job these variables describe (see `WorkerEnvironment`). On CUDA devices NCCL carries the
    /// gradients when libctorch_nccl.so is found (scripts/build-nccl-shim.sh), else Gloo through host memory.
    public convenience init(_ env: WorkerEnvironment, device: Device) throws {
        var cuda = ProcessGroup.CUDABackend.none
        if device.isCUDA {
            cuda = .gloo
            if let shim = DataParallel.ncclShim() {
                try ProcessGroup.loadNCCL(path: shim)
                cuda = .nccl
            }
        }
        let group: ProcessGroup
        do {
            group = try ProcessGroup(address: env.masterAddr, port: env.masterPort, hostsStore: env.hostsStore,
                                     rank: env.rank, worldSize: env.worldSize, timeout: env.timeout,
                                     glooHost: env.glooHost, cudaBackend: cuda)
        } catch {
            throw RunError(env.explain(joinFailure: "\(error)"))
        }
        self.init(group: group, cudaBackend: cuda)
    }

    /// libctorch_nccl.so: MELANOMA_NCCL_SHIM (`none`: use Gloo), else next to the executable, in ../lib or in
    /// ../nccl (a build tree).
    static func ncclShim() -> String? {
        if let path = ProcessInfo.processInfo.environment["MELANOMA_NCCL_SHIM"] { return path == "none" ? nil : path }
        let dir = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        return ["", "../lib/", "../nccl/"].map { dir.appendingPathComponent($0 + "libctorch_nccl.so").standardizedFileURL.path }
            .first { FileManager.default.fileExists(atPath: $0) }
    }

    /// Rank 0's values in every worker's tensors (the parameters and buffers at the start of a fold, the
    /// BatchNorm running statistics before validation, a resumed optimizer state).
    public func broadcastFromLeader(_ tensors: [Tensor]) throws {
        guard size > 1, !tensors.isEmpty else { return }
        try withNoGrad { try group.broadcast(tensors, root: 0) }
    }

    /// Sums of these numbers over the workers (float64 on the CPU).
    public func sum(_ values: [Double]) throws -> [Double] {
        guard size > 1 else { return values }
        let t = try Tensor(values, shape: [values.count])
        try group.allReduceSum([t])
        return try t.toArray(Double.self)
    }

    /// Milliseconds one step's gradient all-reduce takes when nothing hides it (the reducer overlaps most of
    /// it with backward): a flat buffer of `elements` floats on `device`, the median of three after one warm-up.
    public func allReduceMilliseconds(elements: Int, device: Device) throws -> Double {
        let flat = try Tensor.zeros([elements], device: device)
        var times: [Double] = []
        for _ in 0 ..< 4 {
            let t0 = ProgressBar.now()
            try group.allReduceSum([flat])
            if device.isCUDA { try LibTorch.synchronize(device) }
            times.append(ProgressBar.now() - t0)
        }
        return times.dropFirst().sorted()[1] * 1000
    }

    /// Rank 0's value of `value`, sent through the store under `key` (each key used once per job).
    public func shareFromLeader<T: Codable>(_ value: T?, key: String) throws -> T {
        if isLeader {
            guard let value else { throw RunError("rank 0 has no value for '\(key)'") }
            try group.set(key, Array(try JSONEncoder().encode(value)))
            return value
        }
        return try JSONDecoder().decode(T.self, from: Data(try group.get(key)))
    }

    /// Every worker's validation rows in one output, in data set order, as a single process would have
    /// computed them: probabilities, classes and per-row losses are summed into place over the workers,
    /// and the loss is again the mean over the single process's batches of `batchSize` rows.
    public func gather(_ out: InferenceOutput, rows: Int, batchSize: Int) throws -> InferenceOutput {
        guard size > 1 else { return out }
        let withTargets = try sum([out.rowLosses.isEmpty ? 0 : 1, out.rows > 0 ? 1 : 0, Double(out.classes)])
        guard withTargets[1] > 0 else { throw RunError("the data set to predict is empty") }
        let classes = Int(withTargets[2] / withTargets[1])
        let width = classes + 3
        var packed = [Double](repeating: 0, count: rows * width)
        for (k, i) in out.indices.enumerated() {
            guard i < rows else { throw RunError("row \(i) is outside the \(rows) rows being gathered") }
            for c in 0 ..< classes { packed[i * width + c] = Double(out.probabilities[k * classes + c]) }
            packed[i * width + classes] = out.isExt[k] ? 1 : 0
            if !out.rowLosses.isEmpty {
                packed[i * width + classes + 1] = Double(out.targets[k])
                packed[i * width + classes + 2] = out.rowLosses[k]
            }
        }
        let t = try Tensor(packed, shape: [rows * width])
        try group.allReduceSum([t])
        let all = try t.toArray(Double.self)
        var g = InferenceOutput(probabilities: [], classes: classes, targets: [], isExt: [])
        g.probabilities.reserveCapacity(rows * classes)
        for i in 0 ..< rows {
            let r = all[i * width ..< (i + 1) * width]
            g.probabilities += r.prefix(classes).map { Float($0) }
            g.isExt.append(r[r.startIndex + classes] != 0)
            if withTargets[0] > 0 {
                g.targets.append(Int(r[r.startIndex + classes + 1]))
                g.rowLosses.append(r[r.startIndex + classes + 2])
            }
        }
        g.indices = Array(0 ..< rows)
        if withTargets[0] > 0 {
            g.batchRows = stride(from: 0, to: rows, by: batchSize).map { min(batchSize, rows - $0) }
        }
        return g
    }
}

extension DataParallel {
    /// Runs `body` on every worker and goes on only when it succeeded on all of them. A worker that failed
    /// throws its own error; the others throw it too, naming that worker's rank, instead of waiting in the
    /// next collective until the timeout. `step` names the key in the store (once per job).
    public func together<T>(_ step: String, _ body: () throws -> T) throws -> T {
        let result = Result { try body() }
        var mine = ""
        if case .failure(let error) = result {
            let e = error as? RunError
            mine = (e?.setting?.rawValue ?? "-") + "\t" + (e?.message ?? "\(error)")
        }
        let key = "together/\(step)"
        try group.set("\(key)/\(rank)", Array(mine.utf8))
        if case .failure = result {
            // Rank 0 hosts the store: it stays until the others have read why it stops.
            if isLeader { for k in 1 ..< size { _ = try? group.get("\(key)/read/\(k)", timeout: min(group.timeout, 30)) } }
            return try result.get()
        }
        var failure: RunError?
        for k in 0 ..< size where k != rank && failure == nil {
            let text = String(decoding: try group.get("\(key)/\(k)"), as: UTF8.self)
            guard let tab = text.firstIndex(of: "\t") else { continue }
            let message = "rank \(k): " + text[text.index(after: tab)...]
            failure = Setting(rawValue: String(text[..<tab])).map { RunError($0, message) } ?? RunError(message)
        }
        try group.set("\(key)/read/\(rank)", [1])
        if let failure { throw failure }
        return try result.get()
    }

    /// Fails on every worker whose settings differ from rank 0's, naming the first setting that differs.
    public func checkSameSettings(_ settings: [String: String]) throws {
        let leader: [String: String] = try shareFromLeader(isLeader ? settings : nil, key: "settings")
        try together("settings") {
            for key in Set(leader.keys).union(settings.keys).sorted() where leader[key] != settings[key] {
                throw RunError("the workers were started with different settings: \(key) is "
                    + "'\(settings[key] ?? "unset")' on rank \(rank) but '\(leader[key] ?? "unset")' on rank 0")
            }
        }
    }
}
