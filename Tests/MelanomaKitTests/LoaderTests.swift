import Foundation
import Testing
import Imaging
@testable import MelanomaKit
import TestSupport
import Torch

/// Batches from worker threads: shapes, order, determinism across worker counts, bounded prefetch, errors.
@Suite(.serialized) struct LoaderTests {
    /// 11 small JPEGs of different sizes (so DCT scaling and resize both happen) with 3 meta features.
    static let fixture: Result<(URL, [Sample]), Error> = Result {
        let dir = try Reference.temporaryDirectory("melanoma-loader")
        var items: [Sample] = []
        for i in 0 ..< 11 {
            let w = 96 + 17 * i, h = 80 + 13 * i
            var px = [UInt8](repeating: 0, count: w * h * 3)
            for y in 0 ..< h { for x in 0 ..< w {
                let o = (y * w + x) * 3
                px[o] = UInt8((x * 255) / w); px[o + 1] = UInt8((y * 255) / h); px[o + 2] = UInt8((i * 23 + x ^ y) & 255)
            } }
            let url = dir.appendingPathComponent("ISIC_\(i).jpg")
            try Image(width: w, height: h, pixels: px).write(to: url)
            items.append(Sample(imageName: "ISIC_\(i)", filepath: url.path, target: i % 9, meta: [Float(i), Float(i) / 10, -1]))
        }
        return (dir, items)
    }

    func loader(workers: Int, training: Bool = true, batchSize: Int = 4) throws -> BatchLoader {
        let items = try Self.fixture.get().1
        let t: AugmentConfig = training ? .train(imageSize: 64) : .validation(imageSize: 64)
        return try BatchLoader(samples: items, transform: t,
                               config: LoaderConfig(batchSize: batchSize, numWorkers: workers, training: training))
    }

    func collect(_ l: BatchLoader, seed: UInt64?) throws -> [(indices: [Int], images: [Float], meta: [Float], targets: [Int64])] {
        let it = l.iterator(seed: seed)
        var out: [(indices: [Int], images: [Float], meta: [Float], targets: [Int64])] = []
        while let b = try it.nextBatch() {
            #expect(b.images.shape == [b.indices.count, 3, 64, 64])
            #expect(b.meta?.shape == [b.indices.count, 3])
            #expect(b.targets?.dtype == .int64)
            out.append((b.indices, try b.images.toArray(Float.self), try b.meta!.toArray(Float.self), try b.targets!.toArray(Int64.self)))
        }
        return out
    }

    @Test func sameSeedSameBatchesWithOneAndFourWorkers() throws {
        let a = try collect(loader(workers: 1), seed: 2)
        let b = try collect(loader(workers: 4), seed: 2)
        let c = try collect(loader(workers: 0), seed: 2)
        #expect(a.count == 3)
        for k in 0 ..< a.count {
            #expect(a[k].indices == b[k].indices && a[k].indices == c[k].indices, "batch \(k) order")
            #expect(a[k].images == b[k].images, "batch \(k): images differ between 1 and 4 workers")
            #expect(a[k].images == c[k].images, "batch \(k): images differ between 1 worker and the caller's thread")
            #expect(a[k].meta == b[k].meta && a[k].targets == b[k].targets)
        }
        let items = try Self.fixture.get().1
        let flat = a.flatMap { $0.indices }
        #expect(flat.sorted() == Array(0 ..< 11), "an epoch holds every item once")
        for (k, batch) in a.enumerated() {
            #expect(batch.targets == batch.indices.map { Int64(items[$0].target) }, "batch \(k) targets")
            #expect(batch.meta == batch.indices.flatMap { items[$0].meta }, "batch \(k) meta")
        }
    }

    @Test func pinnedBatchesForACUDAConsumerAreTheSameBatches() throws {
        let items = try Self.fixture.get().1
        let pinned = try BatchLoader(samples: items, transform: .train(imageSize: 64),
                                     config: LoaderConfig(batchSize: 4, numWorkers: 2, training: true, pinMemory: true))
        // Without a GPU nothing is pinned (there is no device to read pinned memory); with one, every tensor is.
        #expect(pinned.pinsBatches == LibTorch.cudaIsAvailable)
        let it = pinned.iterator(seed: 2)
        while let b = try it.nextBatch() {
            #expect(b.images.isPinned == pinned.pinsBatches && b.meta?.isPinned == pinned.pinsBatches)
        }
        let a = try collect(pinned, seed: 2), b = try collect(loader(workers: 2), seed: 2)
        #expect(a.map(\.indices) == b.map(\.indices))
        #expect(a.map(\.images) == b.map(\.images) && a.map(\.meta) == b.map(\.meta) && a.map(\.targets) == b.map(\.targets))
    }

    @Test func seedsChangeOrderAndAugmentation() throws {
        let l = try loader(workers: 2)
        #expect(l.plan(seed: 5) != l.plan(seed: 6))
        #expect(l.plan(seed: 5) == l.plan(seed: 5))
        let e0 = try collect(l, seed: 5), e1 = try collect(l, seed: 6)
        let first0 = e0.flatMap { $0.indices }.firstIndex(of: 0)!, first1 = e1.flatMap { $0.indices }.firstIndex(of: 0)!
        let n = 3 * 64 * 64
        let img0 = Array(e0[first0 / 4].images[(first0 % 4) * n ..< (first0 % 4 + 1) * n])
        let img1 = Array(e1[first1 / 4].images[(first1 % 4) * n ..< (first1 % 4 + 1) * n])
        #expect(img0 != img1, "item 0 got the same augmentation with seeds 5 and 6")
    }

    @Test func validationIsSequentialKeepsLastAndIsPlainResize() throws {
        let l = try loader(workers: 2, training: false)
        let batches = try collect(l, seed: nil)
        #expect(batches.map { $0.indices } == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10]])
        // Seed-independent: the validation transform draws nothing and the order is kept.
        let again = try collect(l, seed: 7)
        #expect(batches.map { $0.images } == again.map { $0.images })
        let items = try Self.fixture.get().1
        let direct = try Image(contentsOf: URL(fileURLWithPath: items[9].filepath), minSide: 64)
            .resized(width: 64, height: 64).normalizedCHW()
        #expect(Array(batches[2].images[3 * 64 * 64 ..< 6 * 64 * 64]) == direct)
        // Training drops a last batch of one row (BatchNorm cannot train on it) and keeps other partial ones.
        #expect(try loader(workers: 2, batchSize: 5).plan(seed: 1).map { $0.count } == [5, 5])
        #expect(try loader(workers: 2, batchSize: 4).plan(seed: 1).map { $0.count } == [4, 4, 3])
        #expect(try loader(workers: 2, training: false, batchSize: 5).plan(seed: nil).map { $0.count } == [5, 5, 1])
    }

    @Test func badFileIsAnErrorNamingIt() throws {
        var items = try Self.fixture.get().1
        let dir = try Self.fixture.get().0
        let bad = dir.appendingPathComponent("ISIC_bad.jpg")
        try Data("not a jpeg".utf8).write(to: bad)
        items[6] = Sample(imageName: "ISIC_bad", filepath: bad.path, target: 1, meta: [0, 0, 0])
        let l = try BatchLoader(samples: items, transform: .train(imageSize: 64),
                                config: LoaderConfig(batchSize: 4, numWorkers: 3, training: false))
        let it = l.iterator(seed: nil)
        _ = try it.nextBatch()
        #expect { _ = try it.nextBatch() } throws: { "\($0)".contains(bad.path) }
        #expect(throws: (any Error).self) {
            try BatchLoader(samples: [Sample(imageName: "a", filepath: "a", meta: [1]), Sample(imageName: "b", filepath: "b", meta: [])],
                            transform: .train(imageSize: 64), config: LoaderConfig(batchSize: 2, numWorkers: 0, training: false))
        }
    }

    @Test func prefetchIsBounded() throws {
        let l = try loader(workers: 4, training: false)
        let it = l.iterator(seed: nil)
        Thread.sleep(forTimeInterval: 0.5)
        // Without consumption, workers may only run `prefetch` (2) batches ahead.
        #expect(it.claimedBatches <= 2)
        var n = 0
        while try it.nextBatch() != nil { n += 1 }
        #expect(n == 3)
    }
}

@Suite struct LoaderTTATests {
    @Test func eightVariantsMatchTheOriginalGetTrans() throws {
        let dir = try Reference.temporaryDirectory("melanoma-tta")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Reference.run("aug_tta.py", [dir.path])
        let x = try Tensor((0 ..< 150).map(Float.init), shape: [2, 3, 5, 5])
        for i in 0 ..< 8 {
            let ours = try TTA.variant(x, i).contiguous().toArray(Float.self)
            let d = try Data(contentsOf: dir.appendingPathComponent("tta_\(i).f32"))
            let ref = d.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            #expect(ours == ref, "TTA variant \(i) differs from get_trans")
        }
        #expect(throws: (any Error).self) { try TTA.variant(x, 8) }
    }
}
