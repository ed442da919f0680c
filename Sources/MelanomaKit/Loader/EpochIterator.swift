import Foundation
import Imaging

/// Hands out a pass's batches in order. Workers claim batch numbers in order and may run at most
/// `prefetch` batches ahead of the consumer, so at most prefetch + numWorkers batches exist at once.
public final class EpochIterator: @unchecked Sendable {
    private let loader: BatchLoader
    private let seed: UInt64
    private let plan: [[Int]]
    private let globalCounts: [Int]
    private let cond = NSCondition()
    private var nextClaim = 0
    private var nextHand = 0
    private var ready: [Int: Result<Batch, Error>] = [:]
    private var stopped = false
    private var threads: [Thread] = []

    init(loader: BatchLoader, seed: UInt64, plan: [[Int]], globalCounts: [Int]) {
        self.loader = loader
        self.seed = seed
        self.plan = plan
        self.globalCounts = globalCounts
        let workers = loader.config.numWorkers
        if workers > 0 {
            // The loader parallelises over samples; OpenCV's own pool on top would oversubscribe the cores.
            ImageLibraries.setOpenCVThreads(1)
            for w in 0 ..< workers {
                let t = Thread { [self] in self.work() }
                t.name = "loader-\(w)"
                t.stackSize = 4 << 20
                threads.append(t)
                t.start()
            }
        }
    }

    deinit { stop() }

    public var batchCount: Int { plan.count }

    /// Batches a worker has started so far (tests check the prefetch bound with it).
    public var claimedBatches: Int {
        cond.lock()
        defer { cond.unlock() }
        return nextClaim
    }

    private func work() {
        while true {
            cond.lock()
            while !stopped && nextClaim < plan.count && nextClaim >= nextHand + max(1, loader.config.prefetch) {
                cond.wait()
            }
            if stopped || nextClaim >= plan.count {
                cond.unlock()
                return
            }
            let k = nextClaim
            nextClaim += 1
            cond.unlock()
            let result = Result { try loader.makeBatch(plan[k], seed: seed, globalCount: globalCounts[k]) }
            cond.lock()
            ready[k] = result
            cond.broadcast()
            cond.unlock()
        }
    }

    /// The next batch; throws the error of a sample that failed (naming its file).
    public func nextBatch() throws -> Batch? {
        if loader.config.numWorkers == 0 {
            guard nextHand < plan.count else { return nil }
            defer { nextHand += 1 }
            return try loader.makeBatch(plan[nextHand], seed: seed, globalCount: globalCounts[nextHand])
        }
        cond.lock()
        defer { cond.unlock() }
        guard nextHand < plan.count, !stopped else { return nil }
        while ready[nextHand] == nil { cond.wait() }
        let r = ready.removeValue(forKey: nextHand)!
        nextHand += 1
        cond.broadcast()
        switch r {
        case .success(let b): return b
        case .failure(let e):
            stopped = true
            throw e
        }
    }

    /// Stops the workers (also on deinit); batches not yet handed out are dropped.
    public func stop() {
        cond.lock()
        stopped = true
        ready.removeAll()
        cond.broadcast()
        cond.unlock()
    }
}
