import Foundation
import Testing
import Torch

@Suite("ops against python torch") struct OpsTests {
    @Test func conv2dGroupsStrideDilationAndAsymmetricPadding() throws {
        let f = try Golden.fixture()
        let x = f["conv.x"], w = f["conv.w"], b = f["conv.b"]
        let a = try x.conv2d(weight: w, bias: b, stride: (2, 2), padding: (1, 1), groups: 3)
        #expect(try maxAbsDiff(a, f["conv.out_g3_s2_p1"]) < 1e-5)
        let d = try x.conv2d(weight: w, bias: b, padding: (2, 2), dilation: (2, 2), groups: 3)
        #expect(try maxAbsDiff(d, f["conv.out_g3_s1_d2"]) < 1e-5)
        let asym = try x.pad([0, 1, 1, 2]).conv2d(weight: w, bias: b, stride: (2, 2), groups: 3)
        #expect(try maxAbsDiff(asym, f["conv.out_asym"]) < 1e-5)
        let dw = try x.conv2d(weight: f["conv.wd"], stride: (2, 2), padding: (2, 2), groups: 6)
        #expect(try maxAbsDiff(dw, f["conv.out_depthwise_s2"]) < 1e-5)
    }

    @Test func batchNormTrainUpdatesRunningStatsThenEval() throws {
        let f = try Golden.fixture()
        let x = f["conv.x"]
        let mean = try Tensor.zeros([6]), variance = try Tensor.ones([6])
        let train = try x.batchNorm(weight: f["bn.weight"], bias: f["bn.bias"], runningMean: mean,
                                    runningVar: variance, training: true, momentum: 0.1, eps: 1e-3)
        #expect(try maxAbsDiff(train, f["bn.out_train"]) < 1e-5)
        #expect(try maxAbsDiff(mean, f["bn.running_mean"]) < 1e-6)
        #expect(try maxAbsDiff(variance, f["bn.running_var"]) < 1e-6)
        let eval = try x.batchNorm(weight: f["bn.weight"], bias: f["bn.bias"], runningMean: mean,
                                   runningVar: variance, training: false, eps: 1e-3)
        #expect(try maxAbsDiff(eval, f["bn.out_eval"]) < 1e-5)
    }

    @Test func softmaxLogSoftmaxAndCrossEntropy() throws {
        let f = try Golden.fixture()
        let logits = f["ce.logits"], target = f["ce.target"]
        #expect(try maxAbsDiff(logits.softmax(dim: 1), f["ce.softmax"]) < 1e-6)
        #expect(try maxAbsDiff(logits.logSoftmax(dim: 1), f["ce.log_softmax"]) < 1e-5)
        #expect(try maxAbsDiff(logits.crossEntropy(target: target).reshape([1]), f["ce.loss_mean"]) < 1e-5)
        #expect(try maxAbsDiff(logits.crossEntropy(target: target, reduction: .none), f["ce.loss_none"]) < 1e-5)
    }

    @Test func pooling() throws {
        let f = try Golden.fixture()
        let x = f["conv.x"]
        #expect(try maxAbsDiff(x.maxPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1)), f["pool.max_k3_s2_p1"]) < 1e-6)
        let avg = try x.avgPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1), ceilMode: true, countIncludePad: false)
        #expect(try maxAbsDiff(avg, f["pool.avg_k3_s2_p1_ceil"]) < 1e-6)
        #expect(try maxAbsDiff(x.adaptiveAvgPool2d((1, 1)), f["pool.adaptive_1"]) < 1e-6)
    }
}

@Suite("tensor basics") struct TensorBasicsTests {
    @Test func roundTripsSwiftArraysAndShapes() throws {
        let t = try Tensor([1, 2, 3, 4, 5, 6] as [Float], shape: [2, 3])
        #expect(t.shape == [2, 3])
        #expect(t.dtype == .float32)
        #expect(t.device == .cpu)
        #expect(try t.toArray(Float.self) == [1, 2, 3, 4, 5, 6])
        #expect(try t.transpose(0, 1).toArray(Float.self) == [1, 4, 2, 5, 3, 6])
        #expect(try t.permute([1, 0]).reshape([6]).toArray(Float.self) == [1, 4, 2, 5, 3, 6])
        #expect(try t.flip([1]).toArray(Float.self) == [3, 2, 1, 6, 5, 4])
        #expect(try t.toArray(Int64.self) == [1, 2, 3, 4, 5, 6])
        #expect(try t.slice(dim: 1, start: 1).toArray(Float.self) == [2, 3, 5, 6])
        #expect(try t.narrow(dim: 1, start: 0, length: 1).toArray(Float.self) == [1, 4])
        #expect(try t.select(dim: 0, index: 1).toArray(Float.self) == [4, 5, 6])
        #expect(try Tensor.cat([t, t], dim: 0).shape == [4, 3])
        #expect(try Tensor.stack([t, t], dim: 1).shape == [2, 2, 3])
        #expect(try t.unsqueeze(dim: 0).shape == [1, 2, 3])
    }

    @Test func arithmeticBroadcastsAndReduces() throws {
        let a = try Tensor([1, 2, 3, 4] as [Float], shape: [2, 2])
        let row = try Tensor([10, 20] as [Float], shape: [1, 2])
        #expect(try (a + row).toArray(Float.self) == [11, 22, 13, 24])
        #expect(try (a * 2 - 1).toArray(Float.self) == [1, 3, 5, 7])
        #expect(try (1 - a).toArray(Float.self) == [0, -1, -2, -3])
        #expect(try (a / a).toArray(Float.self) == [1, 1, 1, 1])
        #expect(try a.matmul(a).toArray(Float.self) == [7, 10, 15, 22])
        #expect(try a.sum().item() == 10)
        #expect(try a.mean(dims: [0]).toArray(Float.self) == [2, 3])
        #expect(try a.max().item() == 4)
        #expect(try a.argmax(dim: 1).toArray(Int64.self) == [1, 1])
        #expect(try a.relu().silu().sigmoid().shape == [2, 2])
        #expect(try a.clamp(min: 2, max: 3).toArray(Float.self) == [2, 2, 3, 3])
    }

    @Test func seededRandomIsReproducible() throws {
        LibTorch.manualSeed(42)
        let a = try Tensor.randn([16]).toArray(Float.self)
        LibTorch.manualSeed(42)
        let b = try Tensor.randn([16]).toArray(Float.self)
        #expect(a == b)
        #expect(Set(a).count == 16)
    }

    @Test func dropoutZeroesAndScalesOnlyInTraining() throws {
        let x = try Tensor.ones([1000])
        #expect(try x.dropout(p: 0.5, training: false).sum().item() == 1000)
        let kept = try x.dropout(p: 0.5, training: true).toArray(Float.self)
        #expect(kept.allSatisfy { $0 == 0 || $0 == 2 })
        #expect(kept.filter { $0 == 0 }.count > 350 && kept.filter { $0 == 0 }.count < 650)
    }

    @Test func threadCountIsSettable() {
        let before = LibTorch.numThreads
        LibTorch.numThreads = 1
        #expect(LibTorch.numThreads == 1)
        LibTorch.numThreads = before
        #expect(LibTorch.version == "2.11.0")
    }
}
