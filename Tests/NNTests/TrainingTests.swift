import Foundation
import NN
import Testing
import TestSupport
import Torch

@Suite("optimisation") struct TrainingTests {
    @Test func adamStepsMatchTorchAdam() throws {
        let dir = try Reference.temporaryDirectory("adam")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Reference.run("nn_adam.py", [dir.path])
        let ref = Dictionary(uniqueKeysWithValues: try SafeTensors.load(dir.appendingPathComponent("adam.safetensors"))
            .map { ($0.name, $0.tensor) })
        let net = Sequential([try Linear(5, 8), try BatchNorm1d(8), SiLU(), try Linear(8, 3)])
        try net.load(stateDict: ref.filter { $0.key.hasPrefix("init.") }.map { (String($0.key.dropFirst(5)), $0.value) })
        let adam = try Adam(net.trainableParameters(), lr: 1e-2)
        for step in 1 ... 3 {
            adam.zeroGrad()
            let loss = try net(ref["x"]!).crossEntropy(target: ref["y"]!)
            try loss.backward()
            try adam.step()
            #expect(Swift.abs(try loss.item() - ref["loss\(step)"]!.item()) < 1e-5, "loss at step \(step)")
            for (name, t) in net.stateDict() {
                let expected = ref["step\(step).\(name)"]!
                let diff = try (t.to(dtype: .float64) - expected.to(dtype: .float64)).abs().max().item()
                #expect(diff < 1e-5, "step \(step): \(name) differs from torch by \(diff)")
            }
        }
    }

    @Test func twoLayerMLPLearnsXOR() throws {
        LibTorch.manualSeed(3)
        // Noisy XOR: the label is the sign of x0*x1, not linearly separable.
        let n = 256
        let x = try Tensor.rand([n, 2]) * 2 - 1
        let xs = try x.toArray(Float.self)
        let labels = (0 ..< n).map { Int64(xs[2 * $0] * xs[2 * $0 + 1] > 0 ? 1 : 0) }
        let y = try Tensor(labels)
        let net = Sequential([try Linear(2, 32), ReLU(), try Linear(32, 2)])
        let adam = try Adam(net.trainableParameters(), lr: 1e-2)
        var loss = Double.infinity
        for _ in 0 ..< 400 {
            adam.zeroGrad()
            let l = try net(x).crossEntropy(target: y)
            try l.backward()
            try adam.step()
            loss = try l.item()
        }
        #expect(loss < 0.15, "final loss \(loss)")
        let acc = try net(x).argmax(dim: 1).eq(y).to(dtype: .float32).mean().item()
        #expect(acc > 0.95, "accuracy \(acc)")
    }

    @Test func optimizerStateRoundTrips() throws {
        let net = Sequential([try Linear(3, 2)])
        let adam = try Adam(net.trainableParameters(), lr: 1e-2)
        try net(try Tensor.randn([4, 3])).sum().backward()
        try adam.step()
        let other = try Adam(net.trainableParameters(), lr: 1e-2)
        try other.load(stateDict: adam.stateDict())
        #expect(try other.stateDict()[0].tensor.toArray(Float.self) == adam.stateDict()[0].tensor.toArray(Float.self))
        #expect(try other.stateDict()[2].tensor.item() == 1)
    }

    @Test func tfSamePaddingMatchesExplicitAsymmetricPad() throws {
        let conv = try Conv2d(3, 4, kernel: 3, stride: 2, padding: .tfSame, bias: false)
        let x = try Tensor.randn([1, 3, 8, 8])
        // i=8, k=3, s=2: total pad max((4-1)*2+3-8, 0) = 1 -> (0 left/top, 1 right/bottom).
        let expected = try x.pad([0, 1, 0, 1]).conv2d(weight: conv.weight, stride: (2, 2))
        let diff = try (conv(x) - expected).abs().max().item()
        #expect(diff < 1e-6)
        #expect(try conv(x).shape == [1, 4, 4, 4])
    }
}
