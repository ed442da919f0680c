import Foundation
import Testing
import Torch

/// The caching CPU allocator's policy, on private caches (so the process's own tensors do not move the
/// counters), then installed as libtorch's allocator.
@Suite struct CPUMemoryTests {
    let mib = 1 << 20

    @Test func aFreedBlockServesTheNextRequestOfItsSize() throws {
        let cache = CPUMemory.Cache(minBytes: 4096)
        let a = try cache.take(mib)
        a.storeBytes(of: 0xABCD, as: UInt32.self)
        #expect(cache.stats.misses == 1 && cache.stats.asked == mib && cache.stats.live == mib)
        #expect(cache.give(a))
        #expect(cache.stats.cached == mib && cache.stats.live == 0 && cache.stats.asked == 0)
        let b = try cache.take(mib)
        #expect(b == a, "the freed block is handed out again")
        #expect(b.load(as: UInt32.self) == 0xABCD, "and keeps its pages (no fresh, zeroed mapping)")
        let s = cache.stats
        #expect(s.hits == 1 && s.misses == 1 && s.mapped == mib && s.cached == 0)
        #expect(cache.give(b))
    }

    @Test func requestsArePageRoundedAndServedByTheSmallestBlockWithinFourTimesTheirSize() throws {
        let cache = CPUMemory.Cache(minBytes: 4096)
        let small = try cache.take(2 * mib), large = try cache.take(8 * mib)
        cache.give(small)
        cache.give(large)
        let odd = try cache.take(mib + 1)
        #expect(odd == small, "best fit: the 2 MiB block, not the 8 MiB one")
        #expect(cache.stats.live == 2 * mib && cache.stats.asked == mib + 1)
        let quarter = try cache.take(2 * mib)
        #expect(quarter == large, "8 MiB serves a request of 2 MiB (a quarter)")
        cache.give(odd)
        cache.give(quarter)
        let tooSmall = try cache.take(2 * mib - 4096)
        #expect(tooSmall == small, "2 MiB fits; 8 MiB would be over 4x")
        let below = try cache.take(2 * mib - 4096)
        #expect(below != large, "over 4x: a fresh block, the 8 MiB one stays cached")
        #expect(cache.stats.misses == 3 && cache.stats.cached == 8 * mib)
        let pageRounded = cache.stats.live
        #expect(pageRounded == 2 * mib + (2 * mib - 4096))
        cache.give(tooSmall)
        cache.give(below)
    }

    @Test func mappedStaysWithinTwiceThePeakAskedDroppingTheOldestFreedBlocksFirst() throws {
        let cache = CPUMemory.Cache(minBytes: 4096)
        let blocks = try (0 ..< 3).map { _ in try cache.take(8 * mib) }  // peak asked 24 MiB: bound 2 x 24 + 32 = 80 MiB
        for b in blocks { cache.give(b) }
        let big = try cache.take(64 * mib)  // 24 + 64 = 88 > 80: the oldest freed 8 MiB block goes
        var s = cache.stats
        #expect(s.evictions == 1 && s.mapped == 80 * mib && s.cached == 16 * mib)
        let reused = try cache.take(8 * mib)
        #expect(reused == blocks[1], "the newer blocks stayed")
        cache.give(reused)
        cache.give(big)
        cache.releaseCached()
        s = cache.stats
        #expect(s.mapped == 0 && s.cached == 0 && s.evictions == 4 && s.peakMapped == 80 * mib)
    }

    @Test func aForeignPointerIsNotTaken() throws {
        let cache = CPUMemory.Cache()
        let p = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
        defer { p.deallocate() }
        #expect(!cache.give(p))
        let b = try cache.take(CPUMemory.defaultMinBytes)
        #expect(cache.give(b) && !cache.give(b), "a block is given back once")
    }

    @Test func threadsTakingAndGivingKeepTheirOwnBytes() async throws {
        let cache = CPUMemory.Cache(minBytes: 4096)
        let failures = await withTaskGroup(of: Int.self) { group in
            for t in 0 ..< 4 {
                group.addTask {
                    var bad = 0
                    for i in 0 ..< 200 {
                        let n = (1 + (t + i) % 5) * 256 * 1024
                        guard let p = try? cache.take(n) else { return bad + 1 }
                        let words = p.bindMemory(to: Int.self, capacity: n / 8)
                        for k in stride(from: 0, to: n / 8, by: 512) { words[k] = t * 1_000_000 + i }
                        for k in stride(from: 0, to: n / 8, by: 512) where words[k] != t * 1_000_000 + i { bad += 1 }
                        if !cache.give(p) { bad += 1 }
                    }
                    return bad
                }
            }
            return await group.reduce(0, +)
        }
        #expect(failures == 0)
        let s = cache.stats
        #expect(s.live == 0 && s.asked == 0 && s.hits + s.misses == 800 && s.hits > 700)
    }

    @Test func installedItServesLibtorchsTensors() throws {
        CPUMemory.useCachingAllocator()
        #expect(!CPUMemory.useCachingAllocator(), "once per process")
        let before = try #require(CPUMemory.stats)
        for _ in 0 ..< 3 {
            let x = try Tensor.randn([512, 1024])  // 2 MiB
            let y = try x * 2
            let (a, b) = (try x.toArray(Float.self), try y.toArray(Float.self))
            #expect(zip(a, b).allSatisfy { $0 * 2 == $1 })
        }
        let after = try #require(CPUMemory.stats)
        #expect(after.hits + after.misses >= before.hits + before.misses + 6)
        #expect(after.hits > before.hits, "the second round reuses the first round's blocks")
    }
}
