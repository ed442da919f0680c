import Foundation
import Testing
@testable import MelanomaKit
import Torch

/// The memory check before training measures a real step: more pixels or more images cost more, and a run
/// that cannot fit is refused with a batch that would.
@Suite(.serialized) struct MemoryEstimateTests {
    func options(size: Int, batch: Int) -> RunOptions {
        var o = RunOptions(kernelType: "mem", dataFolder: 128, imageSize: size, enetType: "efficientnet_b0")
        o.batchSize = batch
        return o
    }

    @Test func growsWithImageSizeAndBatch() throws {
        let small = try MemoryEstimate.measure(options(size: 64, batch: 8), nMetaFeatures: 0)
        let large = try MemoryEstimate.measure(options(size: 192, batch: 8), nMetaFeatures: 0)
        #expect(small.perImage > 0 && large.perImage > 3 * small.perImage,
                "B0 activations grow with the pixel count: \(small.perImage) vs \(large.perImage) bytes per image")
        var bigger = large
        bigger.batchSize = 64
        #expect(bigger.total > large.total)
    }

    @Test func refusesWhatCannotFitAndSuggestsABatch() throws {
        var e = MemoryEstimate(perImage: Double(1 << 30), fixed: Double(1 << 29), loader: 0, batchSize: 64, available: Double(16 << 30))
        #expect(!e.fits)
        #expect(e.largestBatch == 13, "0.9 x 16 GiB - 0.5 GiB fixed at 1 GiB per image")
        e.batchSize = 8
        #expect(e.fits && e.description.contains("for batch 8"))
    }
}

@Suite struct ModelMemoryTests {
    @Test func anUnknownAllocatorNamesTheVariableAndTheChoices() {
        #expect {
            try ModelMemory.configure(environment: [ModelMemory.variable: "jemalloc"])
        } throws: {
            "\($0)" == "MELANOMA_CPU_ALLOCATOR must be caching or malloc, got 'jemalloc'"
        }
    }

    @Test func theCacheIsTheDefault() throws {
        #expect(try ModelMemory.configure(environment: [:]) == .caching)
        #expect(CPUMemory.stats != nil)
    }
}
