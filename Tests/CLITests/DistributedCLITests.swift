import Foundation
import Testing
import TestSupport

/// Data-parallel training with real worker processes on 127.0.0.1: the built-in launcher, torchrun's
/// variables set by hand, and the errors a job can meet.
@Suite(.serialized) struct DistributedCLITests {
    static let probe = Reference.packageRoot.appendingPathComponent(".build/debug/distributed-probe")

    /// Starts a process with extra environment variables; `wait()` collects it.
    final class Worker {
        let process = Process()
        let out = Pipe(), err = Pipe()

        init(_ binary: URL, _ args: [String], env: [String: String]) throws {
            process.executableURL = binary
            process.arguments = args
            process.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
            process.standardOutput = out
            process.standardError = err
            try process.run()
        }

        func wait() -> CLITests.Run {
            let e = err.fileHandleForReading.readDataToEndOfFile()
            let o = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return CLITests.Run(status: process.terminationStatus, out: String(decoding: o, as: UTF8.self),
                                err: String(decoding: e, as: UTF8.self))
        }
    }

    static func job(rank: Int, world: Int, port: Int, extra: [String: String] = [:]) -> [String: String] {
        ["RANK": "\(rank)", "LOCAL_RANK": "\(rank)", "WORLD_SIZE": "\(world)", "LOCAL_WORLD_SIZE": "\(world)",
         "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "\(port)", "OMP_NUM_THREADS": "1"].merging(extra) { $1 }
    }

    static func freePort() throws -> Int {
        // A port the kernel just handed out and released (as the launcher picks one).
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: a.sin_port))
    }

    func parameters(_ url: URL) throws -> [String: [Float]] {
        let json = try Reference.run("safetensors_json.py", [url.path])
        return try JSONDecoder().decode([String: [Float]].self, from: Data(json.utf8))
    }

    /// (a) One epoch of two workers (23 rows in global batches of 8, the last split 4 + 3) ends with both
    /// workers holding the parameters one process reaches on the whole batches, for a model without
    /// BatchNorm or dropout; the gathered validation loss is the single process's.
    @Test func twoWorkersStepLikeOneProcessOnTheWholeBatch() throws {
        let dir = try Reference.temporaryDirectory("melanoma-dist-probe")
        let single = try Worker(Self.probe, [dir.path], env: ["OMP_NUM_THREADS": "1"]).wait()
        #expect(single.status == 0, "\(single.err)")
        let port = try Self.freePort()
        let workers = try (0 ..< 2).map { try Worker(Self.probe, [dir.path], env: Self.job(rank: $0, world: 2, port: port)) }
        let runs = workers.map { $0.wait() }
        for r in runs { #expect(r.status == 0, "\(r.err)") }
        let one = try parameters(dir.appendingPathComponent("params_single.safetensors"))
        let r0 = try parameters(dir.appendingPathComponent("params_rank0.safetensors"))
        let r1 = try parameters(dir.appendingPathComponent("params_rank1.safetensors"))
        #expect(r0 == r1, "the two workers' parameters differ")
        #expect(Set(one.keys) == Set(r0.keys) && one.count == 4)
        let worst = one.keys.flatMap { k in zip(one[k]!, r0[k]!).map { abs($0 - $1) } }.max() ?? .infinity
        #expect(worst <= 1e-6, "a 2-worker epoch ends \(worst) away from the single process")
        // Validation is sharded and gathered: the same numbers as one process (to float rounding).
        func losses(_ text: String) -> [Double] {
            guard let r = text.range(of: "valid loss [") else { return [] }
            return text[r.upperBound...].prefix { $0 != "]" }.split(separator: ",").compactMap {
                Double($0.trimmingCharacters(in: .whitespaces))
            }
        }
        let (a, b) = (losses(single.out), losses(runs[0].out))
        #expect(a.count == 2 && b.count == 2 && zip(a, b).allSatisfy { abs($0 - $1) < 1e-6 }, "\(single.out) \(runs[0].out)")
        // Rank 0 alone wrote the log; rank 1's folders were never made.
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("l-rank0/log_probe.txt").path))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("w-rank1").path))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("l-rank1").path))
    }
}
