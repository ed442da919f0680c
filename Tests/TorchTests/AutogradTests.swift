import Foundation
import Testing
import Torch

@Suite("autograd, scopes and errors") struct AutogradTests {
    @Test func backwardComputesGradients() throws {
        let x = try Tensor([1, 2, 3] as [Double]).setRequiresGrad()
        let y = try (x * x).sum()
        try y.backward()
        #expect(try x.grad?.toArray(Double.self) == [2, 4, 6])
        x.zeroGrad()
        #expect(x.grad == nil)
    }

    @Test func noGradScopeIsRestoredAndStopsRecording() throws {
        let x = try Tensor([1, 2] as [Float]).setRequiresGrad()
        let inside = try withNoGrad { try x * 2 }
        #expect(!inside.requiresGrad)
        #expect(Autograd.isEnabled)
        #expect(try (x * 2).requiresGrad)
        // The mode is restored even when the body throws.
        #expect(throws: TorchError.self) { try withNoGrad { _ = try x.reshape([5]) } }
        #expect(Autograd.isEnabled)
    }

    @Test func autocastRunsMatmulInBFloat16() throws {
        let a = try Tensor.randn([4, 4])
        let inside = try withAutocast(device: .cpu, dtype: .bfloat16) { try a.matmul(a) }
        #expect(inside.dtype == .bfloat16)
        #expect(!Autocast.isEnabled(on: .cpu))
        #expect(try a.matmul(a).dtype == .float32)
    }

    @Test func badOpThrowsLibtorchsMessageAndTheProcessLivesOn() throws {
        let a = try Tensor.zeros([2, 3]), b = try Tensor.zeros([4, 5])
        do {
            _ = try a.matmul(b)
            Issue.record("mismatched matmul did not throw")
        } catch let e as TorchError {
            #expect(e.message.contains("mat1 and mat2 shapes cannot be multiplied"), "\(e.message)")
        }
        #expect(throws: TorchError.self) { try a + b }
        #expect(throws: TorchError.self) { try Tensor([1, 2, 3] as [Float], shape: [2, 2]) }
        #expect(throws: TorchError.self) { try a.conv2d(weight: b) }
        // Still alive and computing.
        #expect(try (a + 1).sum().item() == 6)
    }

    @Test func finiteDifferenceGradientOfConvBatchNormLinear() throws {
        LibTorch.manualSeed(7)
        let x = try Tensor.randn([3, 2, 5, 5], dtype: .float64)
        let w = try Tensor.randn([4, 2, 3, 3], dtype: .float64).setRequiresGrad()
        let gamma = try (Tensor.rand([4], dtype: .float64) + 0.5).detach().setRequiresGrad()
        let beta = try Tensor.randn([4], dtype: .float64).setRequiresGrad()
        let fc = try Tensor.randn([3, 4], dtype: .float64).setRequiresGrad()
        let target = try Tensor([0, 2, 1] as [Int64])
        let params = [w, gamma, beta, fc]
        func loss() throws -> Tensor {
            let h = try x.conv2d(weight: w, padding: (1, 1))
                .batchNorm(weight: gamma, bias: beta, runningMean: nil, runningVar: nil, training: true)
                .silu().mean(dims: [2, 3])
            return try h.linear(weight: fc).crossEntropy(target: target)
        }
        try loss().backward()
        let eps = 1e-6
        for (pi, p) in params.enumerated() {
            let analytic = try p.grad!.toArray(Double.self)
            var values = try p.detach().toArray(Double.self)
            for i in stride(from: 0, to: values.count, by: max(1, values.count / 6)) {
                let saved = values[i]
                func eval(_ v: Double) throws -> Double {
                    values[i] = v
                    try withNoGrad { try p.copy_(try Tensor(values, shape: p.shape)) }
                    return try withNoGrad { try loss().item() }
                }
                let numeric = (try eval(saved + eps) - (try eval(saved - eps))) / (2 * eps)
                _ = try eval(saved)
                #expect(Swift.abs(numeric - analytic[i]) < 1e-6 + 1e-4 * Swift.abs(numeric),
                        "param \(pi) element \(i): numeric \(numeric) analytic \(analytic[i])")
            }
        }
    }

    @Test func clipGradNormScalesToTheLimit() throws {
        let a = try Tensor([3, 0] as [Float]).setRequiresGrad(), b = try Tensor([0, 4] as [Float]).setRequiresGrad()
        try ((a * a).sum() * 0.5 + (b * b).sum() * 0.5).backward()
        let norm = try clipGradNorm([a, b], maxNorm: 0.5)
        #expect(Swift.abs(norm - 5) < 1e-5)
        let g = try a.grad!.toArray(Float.self) + b.grad!.toArray(Float.self)
        #expect(Swift.abs(g[0] - 0.3) < 1e-5 && Swift.abs(g[3] - 0.4) < 1e-5)
    }
}

@Suite("memory") struct MemoryTests {
    static func residentBytes() -> Int {
        guard let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = Int(s.split(separator: " ")[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    @Test func creatingAndDroppingTenThousandTensorsLeavesRSSFlat() throws {
        func churn() throws {
            for i in 0 ..< 10_000 {
                let t = try Tensor.full([64], Double(i))
                let u = try (t * 2 + 1).relu()
                _ = u.shape
            }
        }
        try churn() // warm the allocator
        let before = Self.residentBytes()
        for _ in 0 ..< 3 { try churn() }
        let grown = Self.residentBytes() - before
        // 30,000 leaked tensors of 64 floats would be > 8 MB (handle + TensorImpl + storage each).
        #expect(grown < 4 << 20, "RSS grew by \(grown) bytes over 30,000 tensor lifetimes")
    }
}
