import Foundation
import NN
import Torch

/// What a TTA pass over a data set gives: per-row probabilities (the mean softmax over TTA variants and
/// models), and for rows with classes the targets, the external flags and the loss of the mean logits.
public struct InferenceOutput: Sendable {
    /// Row-major `[rows, classes]`, in float32 as the original.
    public var probabilities: [Float]
    public var classes: Int
    /// Class indices; empty for test rows.
    public var targets: [Int]
    public var isExt: [Bool]
    /// Each row's index in the data set (its place in a data-parallel job's gathered output).
    public var indices: [Int] = []
    /// Each row's cross-entropy of the TTA-mean logits, and the rows of each batch; empty for test rows.
    public var rowLosses: [Double] = []
    public var batchRows: [Int] = []
    /// Mean over batches of the cross-entropy of the TTA-mean logits (the original's val_loss); nil for
    /// test rows.
    public var loss: Double? { InferenceOutput.meanOfBatchMeans(rowLosses, batchRows: batchRows) }

    public var rows: Int { classes > 0 ? probabilities.count / classes : 0 }

    static func meanOfBatchMeans(_ values: [Double], batchRows: [Int]) -> Double? {
        guard !values.isEmpty, batchRows.reduce(0, +) == values.count else { return nil }
        var start = 0, sum = 0.0
        for n in batchRows {
            sum += values[start ..< start + n].reduce(0, +) / Double(n)
            start += n
        }
        return sum / Double(batchRows.count)
    }

    /// The melanoma probability of each row (`PROBS[:, mel_idx]`).
    public func melanoma(_ melIdx: Int) -> [Double] {
        (0 ..< rows).map { Double(probabilities[$0 * classes + melIdx]) }
    }

    /// acc (percent), auc over all rows and auc_20 over 2020 rows. An AUC that is undefined on this fold (one
    /// class only) is NaN here; the original would stop with an exception.
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

/// The one TTA loop: train.py's val_epoch (one model, `n_test` 1 during training, 8 in evaluate.py) and
/// predict.py's test loop (every fold model).
public enum Inference {
    /// For every batch, every model (outer) on every TTA variant (inner): logits and softmax summed in
    /// float32, then divided by `nTest` and by the number of models, as the original. In eval mode, without
    /// gradients. `progress` receives the number of batches done. `allowEmpty`: a data-parallel worker may
    /// hold no rows of a small validation set.
    public static func run(models: [any TrainableModel], source: any BatchSource, nTest: Int = 1,
                           device: Device = .cpu, useAMP: Bool = false, ampDType: DType = .bfloat16,
                           channelsLast: Bool = false, allowEmpty: Bool = false,
                           progress: ((Int) -> Void)? = nil) throws -> InferenceOutput {
        guard !models.isEmpty else { throw RunError("inference needs at least one model") }
        guard (1 ... TTA.variants).contains(nTest) else { throw RunError(.nTest, "must be 1...8, got \(nTest)") }
        models.forEach { $0.eval() }
        let next = try source.pass(seed: nil)
        var out = InferenceOutput(probabilities: [], classes: 0, targets: [], isExt: [])
        var batches = 0
        try withNoGrad {
            while let batch = try next() {
                let x = try batch.images.to(device: device, nonBlocking: device.isCUDA).contiguous(channelsLast: channelsLast)
                let meta = try batch.meta?.to(device: device, nonBlocking: device.isCUDA)
                var logitSum: Tensor? = nil, probSum: Tensor? = nil
                for model in models {
                    for i in 0 ..< nTest {
                        let l = try withAutocast(device: device, dtype: ampDType, enabled: useAMP) {
                            try model.forward(images: try TTA.variant(x, i), meta: meta)
                        }.to(dtype: .float32)
                        let p = try l.softmax(dim: 1)
                        logitSum = try logitSum.map { try $0 + l } ?? l
                        probSum = try probSum.map { try $0 + p } ?? p
                    }
                }
                guard let logitSum, let probSum else { continue }
                let p = try (probSum / Double(nTest)) / Double(models.count)
                out.classes = p.shape[1]
                out.probabilities += try p.toArray(Float.self)
                if let y = batch.targets {
                    let logits = try (logitSum / Double(nTest)) / Double(models.count)
                    let rowLoss = try logits.crossEntropy(target: try y.to(device: device, nonBlocking: device.isCUDA), reduction: .none)
                    out.rowLosses += try rowLoss.to(dtype: .float64).toArray(Double.self)
                    out.batchRows.append(batch.count)
                    out.targets += try y.toArray(Int64.self).map(Int.init)
                }
                out.isExt += batch.isExt
                out.indices += batch.indices
                batches += 1
                progress?(batches)
            }
        }
        guard out.rows > 0 || allowEmpty else { throw RunError("the data set to predict is empty") }
        return out
    }
}
