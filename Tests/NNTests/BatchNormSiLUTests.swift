import Foundation
import NN
import Testing
import Torch

/// `BatchNorm.silu` in training (the fused op that recomputes the normalised values in backward) against the
/// two ops it replaces: same outputs and running statistics, gradients within float32 rounding.
@Suite struct BatchNormSiLUTests {
    func maxDiff(_ a: Tensor, _ b: Tensor) throws -> Double { try (a - b).abs().max().item() }

    /// Two identical BatchNorms, one fed through `silu(_:)`, the other through `forward` then `silu()`.
    func compare(shape: [Int], channelsLast: Bool) throws {
        let c = shape[1]
        let fused = try BatchNorm(c, eps: 1e-3), plain = try BatchNorm(c, eps: 1e-3)
        let w = try Tensor.randn([c]) * 0.5 + 1, b = try Tensor.randn([c]) * 0.1
        for bn in [fused, plain] {
            try withNoGrad {
                try bn.tensor("weight")!.copy_(w)
                try bn.tensor("bias")!.copy_(b)
            }
        }
        let x0 = try (Tensor.randn(shape) * 2 + 0.3).contiguous(channelsLast: channelsLast)
        let g = try Tensor.randn(shape)
        func run(_ bn: BatchNorm, fusedPath: Bool) throws -> (Tensor, Tensor, Tensor, Tensor) {
            let x = try x0.detach().setRequiresGrad(true)
            let y = fusedPath ? try bn.silu(x) : try bn(x).silu()
            try (y * g).sum().backward()
            return (try y.detach(), try #require(x.grad), try #require(bn.tensor("weight")!.grad),
                    try #require(bn.tensor("bias")!.grad))
        }
        let (yf, gxf, gwf, gbf) = try run(fused, fusedPath: true)
        let (yp, gxp, gwp, gbp) = try run(plain, fusedPath: false)
        #expect(try maxDiff(yf, yp) == 0, "forward values differ")
        #expect(try maxDiff(fused.tensor("running_mean")!, plain.tensor("running_mean")!) == 0)
        #expect(try maxDiff(fused.tensor("running_var")!, plain.tensor("running_var")!) == 0)
        #expect(try fused.tensor("num_batches_tracked")!.item() == 1)
        for (name, a, r) in [("x", gxf, gxp), ("weight", gwf, gwp), ("bias", gbf, gbp)] {
            let d = try maxDiff(a, r) / Swift.max(1e-6, try r.abs().max().item())
            #expect(d <= 1e-5, "gradient of \(name) differs by \(d) (relative)")
        }
    }

    @Test func fusedTrainingMatchesBatchNormThenSiLU() throws {
        LibTorch.manualSeed(3)
        try compare(shape: [6, 5, 7, 9], channelsLast: false)
        try compare(shape: [6, 5, 7, 9], channelsLast: true)
        try compare(shape: [8, 4], channelsLast: false)
    }

    @Test func withoutGraphItIsInPlaceAndInEvalItUsesRunningStatistics() throws {
        let bn = try BatchNorm(3)
        let x = try Tensor.randn([4, 3, 2, 2])
        let want = try bn(x).silu()
        #expect(try bn.tensor("num_batches_tracked")!.item() == 1)
        let got = try withNoGrad { try bn.silu(x) }
        #expect(try maxDiff(got, want) < 1e-6 && !got.requiresGrad)
        bn.eval()
        let evalWant = try bn(x).silu()
        #expect(try maxDiff(try bn.silu(x), evalWant) == 0)
        #expect(try bn.tensor("num_batches_tracked")!.item() == 2, "eval mode counts no batch")
    }
}

/// `Tensor.gatedConv1x1` (SE's gate and the 1x1 projection as one op) against the two ops: same output,
/// gradients of input, gate and weight within float32 rounding.
@Suite struct GatedConv1x1Tests {
    @Test func matchesMultiplyThenConvolve() throws {
        LibTorch.manualSeed(5)
        for channelsLast in [false, true] {
            let x0 = try Tensor.randn([3, 6, 5, 4]).contiguous(channelsLast: channelsLast)
            let g0 = try Tensor.rand([3, 6, 1, 1]), w0 = try Tensor.randn([7, 6, 1, 1]) * 0.3
            let up = try Tensor.randn([3, 7, 5, 4])
            func run(fused: Bool) throws -> [Tensor] {
                let x = try x0.detach().setRequiresGrad(true), g = try g0.detach().setRequiresGrad(true)
                let w = try w0.detach().setRequiresGrad(true)
                let y = fused ? try x.gatedConv1x1(gate: g, weight: w) : try (x * g).conv2d(weight: w)
                try (y * up).sum().backward()
                return [try y.detach(), try #require(x.grad), try #require(g.grad), try #require(w.grad)]
            }
            let a = try run(fused: true), b = try run(fused: false)
            #expect(try (a[0] - b[0]).abs().max().item() == 0, "forward values differ")
            for (name, k) in [("x", 1), ("gate", 2), ("weight", 3)] {
                let d = try (a[k] - b[k]).abs().max().item() / Swift.max(1e-6, try b[k].abs().max().item())
                #expect(d <= 1e-5, "gradient of \(name) differs by \(d) (relative)")
            }
        }
    }
}
