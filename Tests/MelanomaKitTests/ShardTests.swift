import Foundation
import Imaging
import Testing
@testable import MelanomaKit

/// A data-parallel job's loaders: every worker's shard of a batch is a disjoint piece of the batch one
/// process would build, with the same augmented pixels.
@Suite(.serialized) struct ShardTests {
    @Test func shardsSplitEvenlyAndCoverTheBatch() {
        for n in 0 ... 11 {
            for count in 1 ... 4 {
                let ranges = (0 ..< count).map { Shard(rank: $0, count: count).range(of: n) }
                #expect(ranges.map(\.count).reduce(0, +) == n)
                #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
                #expect((ranges.map(\.count).max() ?? 0) - (ranges.map(\.count).min() ?? 0) <= 1)
            }
        }
    }

    func loader(_ shard: Shard, training: Bool, batchSize: Int) throws -> BatchLoader {
        let items = try LoaderTests.fixture.get().1
        let t: AugmentConfig = training ? .train(imageSize: 64) : .validation(imageSize: 64)
        return try BatchLoader(samples: items, transform: t,
                               config: LoaderConfig(batchSize: batchSize, numWorkers: 1, training: training, shard: shard))
    }

    /// Two workers' batches, put side by side, are the single process's batches: rows and pixels.
    @Test func twoShardsMakeTheSingleProcessBatches() throws {
        let seed: UInt64 = 9
        let whole = try loader(.whole, training: true, batchSize: 6)
        let parts = try (0 ..< 2).map { try loader(Shard(rank: $0, count: 2), training: true, batchSize: 6) }
        let a = whole.iterator(seed: seed), b = parts.map { $0.iterator(seed: seed) }
        var batches = 0
        while let full = try a.nextBatch() {
            let halves = try b.map { try #require(try $0.nextBatch()) }
            #expect(halves[0].indices + halves[1].indices == full.indices)
            #expect(halves.allSatisfy { $0.globalCount == full.count })
            let pixels = try halves.flatMap { try $0.images.toArray(Float.self) }
            #expect(pixels == (try full.images.toArray(Float.self)), "a sample's augmentation depends on the worker count")
            batches += 1
        }
        #expect(try b.allSatisfy { try $0.nextBatch() == nil })
        // 11 rows in batches of 6: 6 and a last 5, which both workers share (3 + 2).
        #expect(batches == 2)
    }

    /// Training drops a last batch that would leave a worker fewer than two rows (BatchNorm needs two);
    /// validation keeps every row, and a worker may get none of a short last batch.
    @Test func shortLastBatches() throws {
        #expect(try loader(.whole, training: true, batchSize: 5).globalPlan(seed: 1).map(\.count) == [5, 5])
        #expect(try loader(Shard(rank: 0, count: 2), training: true, batchSize: 4).globalPlan(seed: 1).map(\.count) == [4, 4])
        #expect(try loader(Shard(rank: 1, count: 2), training: true, batchSize: 4).plan(seed: 1).map(\.count) == [2, 2])
        let v = try loader(Shard(rank: 1, count: 2), training: false, batchSize: 5)
        #expect(v.plan(seed: nil).map(\.count) == [2, 2, 0])
        #expect(v.batchCount == 2)
        #expect(v.layout?.rows == 11 && v.layout?.batchSize == 5)
    }
}
