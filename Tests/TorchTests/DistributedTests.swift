import Basics
import Foundation
import Testing
import Torch

/// c10d through the shim, with the two ranks as threads of this process (as pytorch's own
/// ProcessGroupGlooTest does); the trainer's two-process tests are in CLITests.
@Suite("c10d: store, Gloo collectives, Reducer", .serialized) struct DistributedTests {
    /// Runs `body(rank)` on two threads that each join a 2-worker group, and returns what they return.
    func twoRanks<R: Sendable>(_ body: @escaping @Sendable (ProcessGroup) throws -> R) throws -> [R] {
        let port = try #require(TCPPort.free())
        let results = Results<R>()
        let done = DispatchGroup()
        for rank in 0 ..< 2 {
            done.enter()
            let t = Thread {
                defer { done.leave() }
                results.put(rank, Result {
                    let g = try ProcessGroup(address: "127.0.0.1", port: port, hostsStore: rank == 0, rank: rank,
                                             worldSize: 2, timeout: 30, glooHost: "127.0.0.1")
                    return try body(g)
                })
            }
            t.start()
        }
        done.wait()
        return try (0 ..< 2).map { try results.get($0) }
    }

    @Test func allReduceBroadcastAndStore() throws {
        let out = try twoRanks { g -> [[Float]] in
            let a = try Tensor([Float(g.rank + 1), 10], shape: [2])
            try g.allReduceSum([a])
            let b = try Tensor([Float(g.rank), Float(g.rank) * 5], shape: [2])
            try g.broadcast([b], root: 1)
            try g.set("hello/\(g.rank)", Array("rank \(g.rank)".utf8))
            let other = try g.get("hello/\(1 - g.rank)")
            try g.barrier()
            return [try a.toArray(Float.self), try b.toArray(Float.self), other.map(Float.init)]
        }
        for (rank, r) in out.enumerated() {
            #expect(r[0] == [3, 20])
            #expect(r[1] == [1, 5])
            #expect(String(decoding: r[2].map(UInt8.init), as: UTF8.self) == "rank \(1 - rank)")
        }
    }

    /// After backward through the Reducer each rank holds the mean of the two ranks' gradients, which
    /// for a linear model is the gradient of the mean loss over both ranks' rows.
    @Test func reducerAveragesGradients() throws {
        let grads = try twoRanks { g -> (reduced: [Float], direct: [Float]) in
            // Equal starting weights on both ranks (torch's generator is shared by the two threads).
            let w = try Tensor((0 ..< 12).map { Float($0 % 5) / 7 - 0.3 }, shape: [3, 4]).setRequiresGrad()
            let bias = try Tensor.zeros([3]).setRequiresGrad()
            let reducer = try GradientReducer(group: g, parameters: [w, bias])
            var seen: [[Float]] = []
            for step in 0 ..< 3 {  // several steps: the buckets are rebuilt after the first
                let x = try Tensor((0 ..< 8).map { Float($0 + 8 * g.rank + step) / 10 }, shape: [2, 4])
                let loss = try (x.matmul(w.transpose(0, 1)) + bias).square().mean()
                try reducer.prepare(for: loss)
                try loss.backward()
                seen.append(try w.grad!.toArray(Float.self) + bias.grad!.toArray(Float.self))
                w.zeroGrad()
                bias.zeroGrad()
            }
            // The same model on both ranks' rows together, without any communication.
            var direct: [[Float]] = []
            for step in 0 ..< 3 {
                let x = try Tensor((0 ..< 16).map { Float($0 + step) / 10 }, shape: [4, 4])
                let loss = try (x.matmul(w.transpose(0, 1)) + bias).square().mean()
                try loss.backward()
                direct.append(try w.grad!.toArray(Float.self) + bias.grad!.toArray(Float.self))
                w.zeroGrad()
                bias.zeroGrad()
            }
            return (seen.flatMap { $0 }, direct.flatMap { $0 })
        }
        #expect(grads[0].reduced == grads[1].reduced, "the ranks hold different gradients")
        let worst = zip(grads[0].reduced, grads[0].direct).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-6, "reduced gradients differ from the gradient of the joint batch by \(worst)")
    }

    @Test func aSecondStoreOnTheSamePortIsRefused() throws {
        let port = try #require(TCPPort.free())
        let first = try ProcessGroup(address: "127.0.0.1", port: port, hostsStore: true, rank: 0, worldSize: 1,
                                     timeout: 5, glooHost: "127.0.0.1")
        #expect(TCPPort.isInUse(port))
        #expect {
            _ = try ProcessGroup(address: "127.0.0.1", port: port, hostsStore: true, rank: 0, worldSize: 1,
                                 timeout: 5, glooHost: "127.0.0.1")
        } throws: { "\($0)".contains("in use") || "\($0)".contains("EADDRINUSE") }
        _ = first
    }
}

/// Per-rank results collected from threads.
final class Results<R>: @unchecked Sendable {
    private var values: [Int: Result<R, Error>] = [:]
    private let lock = NSLock()
    func put(_ k: Int, _ r: Result<R, Error>) { lock.lock(); values[k] = r; lock.unlock() }
    func get(_ k: Int) throws -> R { lock.lock(); defer { lock.unlock() }; return try values[k]!.get() }
}
