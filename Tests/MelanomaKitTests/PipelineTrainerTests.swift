import Basics
import Foundation
import NN
import Testing
import TestSupport
import Torch
@testable import MelanomaKit

/// A very small image + meta classifier built from NN layers, shaped like the original's head
/// (CNN features, meta branch concatenated, dropout, linear).
final class TinyNet: Module, TrainableModel, @unchecked Sendable {
    let conv: Conv2d, bn: BatchNorm, metaFC: Linear, drop: Dropout, fc: Linear

    init(classes: Int, nMeta: Int) throws {
        conv = try Conv2d(3, 8, kernel: 3)
        bn = try BatchNorm(8)
        metaFC = try Linear(nMeta, 4)
        drop = Dropout(0.5)
        fc = try Linear(12, classes)
        super.init()
        addModule("conv", conv)
        addModule("bn", bn)
        addModule("meta", metaFC)
        addModule("drop", drop)
        addModule("myfc", fc)
    }

    func forward(images: Tensor, meta: Tensor?) throws -> Tensor {
        var h = try bn(try conv(images)).silu().mean(dims: [2, 3])
        if let meta { h = try Tensor.cat([h, try metaFC(meta).silu()], dim: 1) }
        return try fc(try drop(h))
    }
}

/// Rows held in tensors; training passes shuffle with a SplitMix64 permutation of the seed.
final class MemorySource: BatchSource {
    let images: Tensor, meta: Tensor, targets: Tensor, isExt: [Bool], batchSize: Int
    var rows: Int { isExt.count }
    var batchCount: Int { (rows + batchSize - 1) / batchSize }

    init(images: Tensor, meta: Tensor, targets: Tensor, isExt: [Bool], batchSize: Int) {
        (self.images, self.meta, self.targets, self.isExt, self.batchSize) = (images, meta, targets, isExt, batchSize)
    }

    func pass(seed: UInt64?) throws -> BatchPass {
        var order = Array(0 ..< rows)
        if let seed {
            var rng = SplitMix64(seed: seed)
            order.seededShuffle(using: &rng)
        }
        var at = 0
        return { [self] in
            guard at < order.count else { return nil }
            let idx = Array(order[at ..< min(at + batchSize, order.count)])
            at += idx.count
            let t = try Tensor(idx.map(Int64.init))
            return Batch(images: try images.indexSelect(dim: 0, index: t), meta: try meta.indexSelect(dim: 0, index: t),
                         targets: try targets.indexSelect(dim: 0, index: t), indices: idx, isExt: idx.map { isExt[$0] })
        }
    }
}

/// Class c brightens channel c; meta carries a weak copy of the label.
func makeSource(rows: Int, classes: Int, seed: UInt64, batchSize: Int) throws -> MemorySource {
    LibTorch.manualSeed(seed)
    let targets = try Tensor.randint(0, classes, shape: [rows])
    let onehot = try Tensor.stack((0 ..< 3).map { c in try targets.eq(Double(c)).to(dtype: .float32) }, dim: 1)
    let images = try Tensor.randn([rows, 3, 8, 8]) + (try onehot.reshape([rows, 3, 1, 1]) * 1.5)
    let meta = try Tensor.randn([rows, 2]) + (try targets.to(dtype: .float32).reshape([rows, 1]) * 0.3)
    let isExt = (0 ..< rows).map { $0 % 2 == 1 }
    return MemorySource(images: images, meta: meta, targets: targets, isExt: isExt, batchSize: batchSize)
}

@Suite("Pipeline trainer on a tiny model", .serialized)
struct PipelineTrainerTests {
    func config(_ dir: URL, epochs: Int, imageSize: Int = 128, resume: Bool = false) -> TrainerConfig {
        var c = TrainerConfig(kernelType: "tiny", fold: 1, nEpochs: epochs, initLR: 1e-3, imageSize: imageSize, melIdx: 1,
                              modelDir: dir.appendingPathComponent("weights"), logDir: dir.appendingPathComponent("logs"))
        c.resume = resume
        c.settings = ["image_size": "\(imageSize)"]
        return c
    }

    @Test func learnsLogsAndCheckpoints() throws {
        let dir = try Reference.temporaryDirectory("pipeline-train")
        defer { try? FileManager.default.removeItem(at: dir) }
        let train = try makeSource(rows: 192, classes: 3, seed: 1, batchSize: 32)
        let valid = try makeSource(rows: 96, classes: 3, seed: 2, batchSize: 32)
        LibTorch.manualSeed(123)
        let model = try TinyNet(classes: 3, nMeta: 2)
        var printed: [String] = []
        let result = try Trainer(config: config(dir, epochs: 4), model: model, train: train, valid: valid,
                                 console: { printed.append($0) }, progress: false).run()
        #expect(result.epochsRun == 4 && printed.count == 4)
        #expect(result.epochs.map(\.trainImages) == [192, 192, 192, 192] && result.epochs.allSatisfy { $0.trainImagesPerSecond > 0 })
        #expect(result.epochs.map(\.auc).max() == result.aucMax)
        #expect(result.aucMax > 0.9, "a separable task should reach AUC > 0.9, got \(result.aucMax)")

        // The log holds train.py's lines with the schedule's LR.
        let log = try String(contentsOf: dir.appendingPathComponent("logs/log_tiny.txt"), encoding: .utf8)
        let lines = log.split(separator: "\n").map(String.init)
        #expect(lines == printed)
        for (e, l) in lines.enumerated() {
            let lr = TrainLog.fixed(LRSchedule.lr(epoch: e + 1, initLR: 1e-3, nEpochs: 4), 7)
            #expect(l.contains(" Fold 1, Epoch \(e + 1), lr: \(lr), train loss: "), "line: \(l)")
            #expect(l.hasSuffix(".") && l.contains(", auc_20: "))
        }

        // The JSON-lines history next to it holds the same epochs (the report reads it).
        let history = try TrainHistory.read(dir.appendingPathComponent("logs/log_tiny.jsonl"))
        #expect(history == result.epochs)

        let w = dir.appendingPathComponent("weights")
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: w.path))
        #expect(files == ["tiny_best_fold1.pth", "tiny_best_20_fold1.pth", "tiny_final_fold1.pth", "tiny_resume_fold1.json"])

        // The final checkpoint restores the trained model exactly.
        let fresh = try TinyNet(classes: 3, nMeta: 2)
        try fresh.load(contentsOf: w.appendingPathComponent("tiny_final_fold1.pth"))
        let a = try Inference.run(models: [model], source: valid, nTest: 8)
        let b = try Inference.run(models: [fresh], source: valid, nTest: 8)
        #expect(a.probabilities == b.probabilities && a.rows == 96 && a.classes == 3)

        // A finished fold is skipped by --resume.
        let again = try Trainer(config: config(dir, epochs: 4, resume: true), model: fresh, train: train, valid: valid,
                                progress: false).run()
        #expect(again.epochsRun == 0 && again.alreadyFinished && again.aucMax == result.aucMax)
    }

    @Test func resumeEqualsUninterrupted() throws {
        let train = try makeSource(rows: 96, classes: 3, seed: 3, batchSize: 24)
        let valid = try makeSource(rows: 48, classes: 3, seed: 4, batchSize: 24)
        let whole = try Reference.temporaryDirectory("pipeline-whole"), split = try Reference.temporaryDirectory("pipeline-split")
        defer { try? FileManager.default.removeItem(at: whole); try? FileManager.default.removeItem(at: split) }

        // imageSize 576 turns on the original's gradient clipping, so that path runs too.
        LibTorch.manualSeed(7)
        let a = try Trainer(config: config(whole, epochs: 4, imageSize: 576), model: try TinyNet(classes: 3, nMeta: 2),
                            train: train, valid: valid, progress: false).run()

        LibTorch.manualSeed(7)
        var stopping = config(split, epochs: 4, imageSize: 576)
        stopping.stopAfterEpoch = 2
        let part = try Trainer(config: stopping, model: try TinyNet(classes: 3, nMeta: 2), train: train, valid: valid,
                               progress: false).run()
        #expect(part.epochsRun == 2)
        // A changed setting is refused.
        #expect(throws: RunError.self) {
            try Trainer(config: config(split, epochs: 4, imageSize: 448, resume: true), model: try TinyNet(classes: 3, nMeta: 2),
                        train: train, valid: valid, progress: false).run()
        }
        LibTorch.manualSeed(99) // a fresh process would build the model from its own seed; the checkpoint wins
        let rest = try Trainer(config: config(split, epochs: 4, imageSize: 576, resume: true),
                               model: try TinyNet(classes: 3, nMeta: 2), train: train, valid: valid, progress: false).run()
        #expect(rest.epochsRun == 2)
        #expect(rest.aucMax == a.aucMax && rest.auc20Max == a.auc20Max)
        #expect(Array((part.lines + rest.lines).map { $0.dropFirst(25) }) == a.lines.map { $0.dropFirst(25) },
                "resumed epoch lines differ from the uninterrupted run")

        for name in ["tiny_final_fold1.pth", "tiny_best_fold1.pth"] {
            let x = try loadTensors(whole.appendingPathComponent("weights/\(name)"))
            let y = try loadTensors(split.appendingPathComponent("weights/\(name)"))
            #expect(x.map(\.name) == y.map(\.name))
            for (p, q) in zip(x, y) {
                #expect(try p.tensor.toArray(Double.self) == q.tensor.toArray(Double.self), "\(name): \(p.name) differs after resume")
            }
        }
    }

    @Test func channelsLastComputesTheSameStep() throws {
        // Training itself is chaotic (Adam turns a 1e-9 gradient difference into a different step), so the
        // layouts are compared on one step: same logits, same loss, same gradients.
        let src = try makeSource(rows: 16, classes: 3, seed: 8, batchSize: 16)
        let batch = try #require(try src.pass(seed: nil)())
        var results: [(logits: [Double], grads: [[Double]])] = []
        for channelsLast in [false, true] {
            LibTorch.manualSeed(11)
            let model = try TinyNet(classes: 3, nMeta: 2)
            model.train()
            if channelsLast { try model.toChannelsLast() }
            LibTorch.manualSeed(12)  // the same dropout masks
            let logits = try model.forward(images: try batch.images.contiguous(channelsLast: channelsLast), meta: batch.meta)
            try logits.crossEntropy(target: try #require(batch.targets)).backward()
            results.append((try logits.toArray(Double.self),
                            try model.trainableParameters().map { try #require($0.grad).contiguous().toArray(Double.self) }))
        }
        let dl = zip(results[0].logits, results[1].logits).map { abs($0 - $1) }.max() ?? 1
        #expect(dl < 1e-5, "logits differ by \(dl)")
        for (g0, g1) in zip(results[0].grads, results[1].grads) {
            let dg = zip(g0, g1).map { abs($0 - $1) }.max() ?? 1
            #expect(dg < 1e-5, "a gradient differs by \(dg)")
        }
    }

    @Test func fp16AutocastScalesTheLossAndSavesTheScale() throws {
        let dir = try Reference.temporaryDirectory("pipeline-fp16")
        defer { try? FileManager.default.removeItem(at: dir) }
        var c = config(dir, epochs: 2)
        c.useAMP = true
        c.ampDType = .float16
        c.stopAfterEpoch = 1
        let src = try makeSource(rows: 64, classes: 3, seed: 5, batchSize: 32)
        let r = try Trainer(config: c, model: try TinyNet(classes: 3, nMeta: 2), train: src, valid: src, progress: false).run()
        #expect(r.epochsRun == 1 && r.epochs[0].trainLoss.isFinite)
        // The resume point carries the loss scale, so a resumed run scales as the uninterrupted one would.
        let state = try TrainState.load(from: dir.appendingPathComponent("weights/tiny_resume_fold1.json"))
        #expect(state.ampScale == 65536 && state.ampGrowthTracker == 2, "\(String(describing: state.ampScale))")
    }

    @Test func bf16AutocastRuns() throws {
        let dir = try Reference.temporaryDirectory("pipeline-amp")
        defer { try? FileManager.default.removeItem(at: dir) }
        var c = config(dir, epochs: 1)
        c.useAMP = true
        let src = try makeSource(rows: 64, classes: 3, seed: 5, batchSize: 32)
        let r = try Trainer(config: c, model: try TinyNet(classes: 3, nMeta: 2), train: src, valid: src, progress: false).run()
        #expect(r.epochsRun == 1 && r.aucMax > 0)
    }
}

@Suite("Pipeline predict / evaluate averaging vs predict.py and val_epoch in torch")
struct PipelinePredictTests {
    @Test func foldAndTTAAverageMatchTorch() throws {
        let dir = try Reference.temporaryDirectory("pipeline-predict")
        defer { try? FileManager.default.removeItem(at: dir) }
        // Non-square images so a wrong transpose or flip changes the answer.
        LibTorch.manualSeed(21)
        let rows = 40
        let images = try Tensor.randn([rows, 3, 8, 10])
        let meta = try Tensor.randn([rows, 2])
        let targets = try Tensor.randint(0, 3, shape: [rows])
        try SafeTensors.save([("images", images), ("meta", meta), ("targets", targets)],
                             to: dir.appendingPathComponent("inputs.safetensors"))
        var models: [TinyNet] = []
        for k in 0 ..< 2 {
            let m = try TinyNet(classes: 3, nMeta: 2)
            // Non-trivial BN statistics, as after training.
            try withNoGrad {
                try m.bn.tensor("running_mean")!.uniform_(-0.5, 0.5)
                try m.bn.tensor("running_var")!.uniform_(0.5, 2)
            }
            try m.save(to: dir.appendingPathComponent("model\(k).pth"))
            models.append(m)
        }
        try Reference.run("pipeline_predict.py", [dir.path])
        let want = Dictionary(uniqueKeysWithValues: try SafeTensors.load(dir.appendingPathComponent("expected.safetensors")))

        let source = MemorySource(images: images, meta: meta, targets: targets, isExt: Array(repeating: false, count: rows),
                                  batchSize: 16)
        let pred = try Inference.run(models: models, source: source, nTest: 8)
        #expect(pred.classes == 3)
        let p0 = try want["pred_probs"]!.toArray(Float.self)
        let worst = zip(pred.probabilities, p0).map { abs($0 - $1) }.max() ?? 1
        // Same libtorch kernels; float32 sums in the same order: 1e-6 absolute.
        #expect(worst <= 1e-6, "predict.py's fold x TTA probability average diverged: max |diff| \(worst)")

        let val = try Inference.run(models: [models[0]], source: source, nTest: 8)
        let v0 = try want["val_probs"]!.toArray(Float.self)
        let worstV = zip(val.probabilities, v0).map { abs($0 - $1) }.max() ?? 1
        #expect(worstV <= 1e-6, "val_epoch(n_test=8) probabilities diverged: max |diff| \(worstV)")
        let loss = try want["val_loss"]!.item()
        let ours = try #require(val.loss, "rows with classes give a loss")
        #expect(abs(ours - loss) <= 1e-6, "val_epoch loss diverged: \(ours) vs \(loss)")
    }
}
