import Foundation
import Testing
import Torch

/// The CUDA input path's CPU half: pinned memory where no GPU exists is a clear error, a non-blocking copy to
/// the CPU is an ordinary one, and the cuDNN autotuner flag is a plain process setting.
@Suite(.serialized) struct HostMemoryTests {
    @Test func pinningWithoutAGPUIsAnErrorNamingWhy() throws {
        let x = try Tensor([1, 2, 3] as [Float])
        #expect(!x.isPinned)
        if LibTorch.cudaIsAvailable {
            let p = try x.pinMemory()
            let values = try p.toArray(Float.self)
            #expect(p.isPinned && values == [1, 2, 3])
        } else {
            #expect { try x.pinMemory() } throws: { "\($0)".contains("pinMemory needs a CUDA device") }
        }
    }

    @Test func nonBlockingCopyToTheCPUKeepsTheValues() throws {
        let x = try Tensor((0 ..< 12).map { Float($0) }, shape: [3, 4])
        let y = try x.to(device: .cpu, nonBlocking: true)
        let (a, b) = (try y.toArray(Float.self), try x.toArray(Float.self))
        #expect(a == b && y.shape == [3, 4])
        let d = try x.to(device: .cpu, dtype: .float64, nonBlocking: true)
        let doubles = try d.toArray(Double.self)
        #expect(d.dtype == .float64 && doubles == (0 ..< 12).map { Double($0) })
    }

    @Test func cudnnBenchmarkIsASettingThatWorksWithoutCUDA() {
        let before = LibTorch.cudnnBenchmark
        defer { LibTorch.cudnnBenchmark = before }
        LibTorch.cudnnBenchmark = true
        #expect(LibTorch.cudnnBenchmark)
        LibTorch.cudnnBenchmark = false
        #expect(!LibTorch.cudnnBenchmark)
    }
}
