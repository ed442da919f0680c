// A worker for CLITests' data-parallel tests: trains a model without BatchNorm or dropout for one epoch
// through the real Trainer, alone or as one worker of a job (torchrun's variables), and writes its
// parameters to OUT/params_<rank|single>.safetensors. With the same seed every process starts from the
// same weights and sees the same global batches, so one epoch of a 2-worker job must end where one
// process ends (the Reducer averages the shards' gradients).
import Basics
import Foundation
import MelanomaKit
import NN
import Torch

/// Linear -> ReLU -> Linear on the flattened image and the metadata.
final class PlainNet: Module, TrainableModel, @unchecked Sendable {
    let fc1: Linear, fc2: Linear

    init(inputs: Int, classes: Int) throws {
        fc1 = try Linear(inputs, 16)
        fc2 = try Linear(16, classes)
        super.init()
        addModule("fc1", fc1)
        addModule("fc2", fc2)
    }

    func forward(images: Tensor, meta: Tensor?) throws -> Tensor {
        var x = try images.reshape([images.shape[0], -1])
        if let meta { x = try Tensor.cat([x, meta], dim: 1) }
        return try fc2(try fc1(x).relu())
    }
}

/// Rows in tensors, cut into global batches in a seeded order and sharded as the real loader shards.
final class ShardedRows: BatchSource {
    let images: Tensor, meta: Tensor, targets: Tensor, batchSize: Int, shard: Shard, training: Bool
    var rows: Int { targets.shape[0] }
    var layout: (rows: Int, batchSize: Int)? { (rows, batchSize) }
    var batchCount: Int { (rows + batchSize - 1) / batchSize }

    init(rows: Int, batchSize: Int, shard: Shard, training: Bool) throws {
        let n = rows
        images = try Tensor((0 ..< n * 12).map { Float(($0 * 37) % 23) / 11 - 1 }, shape: [n, 3, 2, 2])
        meta = try Tensor((0 ..< n * 2).map { Float(($0 * 13) % 7) / 3 - 1 }, shape: [n, 2])
        targets = try Tensor((0 ..< n).map { Int64(($0 * 5) % 3) })
        (self.batchSize, self.shard, self.training) = (batchSize, shard, training)
    }

    func pass(seed: UInt64?) throws -> BatchPass {
        var order = Array(0 ..< rows)
        if training, let seed {
            var rng = SplitMix64(seed: seed)
            order.seededShuffle(using: &rng)
        }
        var at = 0
        return { [self] in
            while at < order.count {
                let global = Array(order[at ..< min(at + batchSize, order.count)])
                at += global.count
                let idx = Array(global[shard.range(of: global.count)])
                if idx.isEmpty { continue }
                let t = try Tensor(idx.map(Int64.init))
                return Batch(images: try images.indexSelect(dim: 0, index: t), meta: try meta.indexSelect(dim: 0, index: t),
                             targets: try targets.indexSelect(dim: 0, index: t), indices: idx,
                             isExt: idx.map { _ in false }, globalCount: global.count)
            }
            return nil
        }
    }
}

do {
    let out = URL(fileURLWithPath: CommandLine.arguments.dropFirst().first ?? ".")
    let env = try WorkerEnvironment.from()
    let job = try env.map { try DataParallel($0, device: .cpu) }
    let name = env.map { "rank\($0.rank)" } ?? "single"
    LibTorch.manualSeed(1)
    let model = try PlainNet(inputs: 14, classes: 3)
    let shard = job?.shard ?? .whole
    // 23 rows in batches of 8: 8, 8 and a short 7 that splits 4 + 3 between two workers.
    let train = try ShardedRows(rows: 23, batchSize: 8, shard: shard, training: true)
    let valid = try ShardedRows(rows: 9, batchSize: 4, shard: shard, training: false)
    var config = TrainerConfig(kernelType: "probe", fold: 0, nEpochs: 2, initLR: 1e-2, imageSize: 2, melIdx: 1,
                               modelDir: out.appendingPathComponent("w-\(name)"), logDir: out.appendingPathComponent("l-\(name)"))
    config.seed = 5
    let trainer = Trainer(config: config, model: model, train: train, valid: valid, parallel: job)
    let result = try trainer.run()
    try saveTensors(model.stateDict(), to: out.appendingPathComponent("params_\(name).safetensors"))
    print("\(name) valid loss \(result.epochs.map(\.validLoss)) auc \(result.epochs.map(\.auc))")
} catch {
    FileHandle.standardError.write(Data("distributed-probe: \(error)\n".utf8))
    exit(1)
}
