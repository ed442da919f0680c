import Foundation
import NN
import Torch

/// A model the pipeline can train and evaluate: a module tree (parameters, buffers, state_dict
/// keys, train/eval) with the original's two-input forward. Models without metadata ignore `meta`.
public protocol TrainableModel: Module {
    /// Logits `[N, outDim]` for images `[N, 3, H, W]` and, when the model uses them, meta features `[N, nMeta]`.
    func forward(images: Tensor, meta: Tensor?) throws -> Tensor
}

/// One batch as the loader delivers it (CPU tensors).
public struct Batch {
    public var images: Tensor
    public var meta: Tensor?
    /// Class indices, int64 `[N]`.
    public var targets: Tensor
    /// Per row: the row is external (2019) data; auc_20 leaves these out.
    public var isExt: [Bool]

    public init(images: Tensor, meta: Tensor? = nil, targets: Tensor, isExt: [Bool]) {
        self.images = images
        self.meta = meta
        self.targets = targets
        self.isExt = isExt
    }
}

/// One pass over a data set, batch by batch.
public protocol BatchStream: AnyObject {
    /// The next batch, nil at the end of the pass.
    func next() throws -> Batch?
}

/// A data set the trainer can iterate: training passes shuffle and augment from `seed`, validation
/// passes (`seed == nil`) keep row order and use the validation transform.
public protocol BatchSource: AnyObject {
    var batchCount: Int { get }
    func makeStream(seed: UInt64?) throws -> BatchStream
}

/// What `val_epoch` computes over a validation set: per-row probabilities (mean softmax over the TTA
/// variants), the mean logits' loss, and the scores train.py logs.
public struct ValidationOutput: Sendable {
    /// Row-major `[rows, classes]`, mean over TTA variants of the softmax, in float32 as the original.
    public var probabilities: [Float]
    public var classes: Int
    public var targets: [Int]
    public var isExt: [Bool]
    /// Mean over batches of the cross-entropy of the TTA-mean logits.
    public var loss: Double

    public var rows: Int { targets.count }

    /// The melanoma probability of each row (`PROBS[:, mel_idx]`).
    public func melanoma(_ melIdx: Int) -> [Double] {
        (0 ..< rows).map { Double(probabilities[$0 * classes + melIdx]) }
    }

    /// acc (percent), auc over all rows and auc_20 over 2020 rows. An AUC that is undefined on this
    /// fold (one class only) is NaN here; the original would stop with an exception.
    public func scores(melIdx: Int) throws -> (acc: Double, auc: Double, auc20: Double) {
        let acc = try Metrics.accuracy(probabilities: probabilities.map(Double.init), classes: classes, targets: targets)
        let mel = melanoma(melIdx)
        let labels = targets.map { $0 == melIdx }
        let auc = (try? Metrics.rocAUC(labels: labels, scores: mel, what: "auc")) ?? .nan
        let keep = isExt.indices.filter { !isExt[$0] }
        let auc20 = (try? Metrics.rocAUC(labels: keep.map { labels[$0] }, scores: keep.map { mel[$0] }, what: "auc_20")) ?? .nan
        return (acc, auc, auc20)
    }
}

public enum Validation {
    /// val_epoch with `n_test` TTA variants, in eval mode, without gradients.
    public static func run(model: any TrainableModel, source: any BatchSource, nTest: Int = 1, device: Device = .cpu,
                           useAMP: Bool = false) throws -> ValidationOutput {
        guard (1 ... 8).contains(nTest) else { throw PipelineError("n_test must be 1...8, got \(nTest)") }
        model.eval()
        let stream = try source.makeStream(seed: nil)
        var probs: [Float] = [], targets: [Int] = [], isExt: [Bool] = [], losses: [Double] = []
        var classes = 0
        try withNoGrad {
            while let batch = try stream.next() {
                let x = try batch.images.to(device: device)
                let meta = try batch.meta?.to(device: device)
                let y = try batch.targets.to(device: device)
                var logitSum: Tensor? = nil, probSum: Tensor? = nil
                for i in 0 ..< nTest {
                    let l = try withAutocast(device: device, enabled: useAMP) {
                        try model.forward(images: try TTA.variant(x, i), meta: meta)
                    }.to(dtype: .float32)
                    let p = try l.softmax(dim: 1)
                    logitSum = try logitSum.map { try $0 + l } ?? l
                    probSum = try probSum.map { try $0 + p } ?? p
                }
                guard let logitSum, let probSum else { continue }
                let logits = try logitSum / Double(nTest)
                losses.append(try logits.crossEntropy(target: y).item())
                let p = try probSum / Double(nTest)
                classes = p.shape[1]
                probs += try p.toArray(Float.self)
                targets += try batch.targets.toArray(Int64.self).map(Int.init)
                isExt += batch.isExt
            }
        }
        guard !targets.isEmpty else { throw PipelineError("validation set is empty") }
        guard isExt.count == targets.count else {
            throw PipelineError("the loader gave \(isExt.count) is_ext flags for \(targets.count) rows")
        }
        return ValidationOutput(probabilities: probs, classes: classes, targets: targets, isExt: isExt,
                                loss: losses.reduce(0, +) / Double(losses.count))
    }
}

public enum Prediction {
    /// predict.py's per-model prediction: for every batch, the softmax of every fold model on every
    /// TTA variant is summed (models outer, variants inner, in float32), then divided by `nTest` and
    /// by the number of models. Returns `[rows, classes]` row-major.
    public static func probabilities(models: [any TrainableModel], source: any BatchSource, nTest: Int = 8,
                                     device: Device = .cpu, useAMP: Bool = false,
                                     progress: ((Int) -> Void)? = nil) throws -> (probabilities: [Float], classes: Int) {
        guard !models.isEmpty else { throw PipelineError("predict: no models") }
        guard (1 ... 8).contains(nTest) else { throw PipelineError("--n-test must be 1...8, got \(nTest)") }
        models.forEach { $0.eval() }
        let stream = try source.makeStream(seed: nil)
        var out: [Float] = []
        var classes = 0, batches = 0
        try withNoGrad {
            while let batch = try stream.next() {
                let x = try batch.images.to(device: device)
                let meta = try batch.meta?.to(device: device)
                var sum: Tensor? = nil
                for model in models {
                    for i in 0 ..< nTest {
                        let p = try withAutocast(device: device, enabled: useAMP) {
                            try model.forward(images: try TTA.variant(x, i), meta: meta)
                        }.to(dtype: .float32).softmax(dim: 1)
                        sum = try sum.map { try $0 + p } ?? p
                    }
                }
                guard let sum else { continue }
                let p = try (sum / Double(nTest)) / Double(models.count)
                classes = p.shape[1]
                out += try p.toArray(Float.self)
                batches += 1
                progress?(batches)
            }
        }
        guard classes > 0 else { throw PipelineError("predict: the test set is empty") }
        return (out, classes)
    }
}
