import Foundation
import Models
import NN
import Torch

/// train.py: every requested fold trained in turn on the other folds, validated on its own.
public enum TrainRun {
    /// - Parameter worker: this process's place in a data-parallel job (nil: train alone). Rank 0 alone
    ///   claims the folders, reads a resume point and writes; every step that can fail on one worker is
    ///   agreed on by all, so a failure stops the whole job at once with its rank and reason.
    public static func run(_ o: RunOptions, pretrained: String?, resume: Bool, worker: WorkerEnvironment? = nil,
                           console: @escaping (String) -> Void) throws -> [FoldResult] {
        var o = o
        if let worker, o.device.isCUDA { o.device = .cuda(worker.localRank) }  // one GPU per local worker
        try o.validate()
        try o.validateForTraining(workers: worker?.worldSize ?? 1)
        let job = try worker.map { try DataParallel($0, device: o.device) }
        let leader = job?.isLeader ?? true
        let say: (String) -> Void = leader ? console : { _ in }
        let lock = try step(job, "folders") { leader ? try claimFolders(o, console: say) : nil }
        defer { lock?.release() }
        let data = try step(job, "data") { try o.loadDataset() }
        let splits = try step(job, "splits") { try o.folds.map { try trainingSplit(o, data: data, fold: $0) } }
        if let job {
            var settings = o.resumeSettings
            (settings["data"], settings["kernel-type"], settings["fold"]) = (data.fingerprint, o.kernelType, "\(o.folds)")
            (settings["resume"], settings["device"]) = ("\(resume)", o.device.isCUDA ? "cuda" : "cpu")
            try job.checkSameSettings(settings)
            say("job       \(job.size) workers, \(o.batchSize / job.size) rows of each batch of \(o.batchSize) per worker, "
                + "gradients by \(job.cudaBackend == .nccl ? "NCCL" : "Gloo")")
        }
        describeStart(o, data: data, pretrained: pretrained, console: say)
        if !o.device.isCUDA {
            var perWorker = o
            perWorker.batchSize = o.batchSize / (worker?.worldSize ?? 1)
            try step(job, "memory") { if leader { try checkMemory(perWorker, data: data, console: say) } }
        }
        if o.device.isCUDA { LibTorch.cudnnBenchmark = true }  // one image size per run: tune each conv once
        try step(job, "description") {
            if leader { try ModelDescription.record(ModelDescription(options: o, dataset: data), modelDir: o.modelDir) }
        }
        var results: [FoldResult] = []
        for (fold, (train, valid)) in zip(o.folds, splits) {
            let model = try o.makeModel(nMetaFeatures: data.nMetaFeatures, seed: o.seed)
            if let job, fold == o.folds.first {
                // For judging the job's network: what a step would wait for without the reducer's overlap.
                let elements = model.trainableParameters().reduce(0) { $0 + $1.count }
                let ms = try job.allReduceMilliseconds(elements: elements, device: o.device)
                say(String(format: "job       all-reduce of the %.1f MB of gradients: %.1f ms per step before overlap",
                           Double(elements * 4) / 1e6, ms))
            }
            try step(job, "pretrained-\(fold)") {
                // Rank 0's weights reach the others when the fold starts.
                guard let pretrained, leader else { return }
                let report = try model.enet.loadPretrained(from: URL(fileURLWithPath: pretrained))
                if fold == o.folds.first { say("pretrained \(report)") }
            }
            var config = o.trainerConfig(fold: fold, melIdx: data.melIdx, resume: resume)
            config.settings["data"] = data.fingerprint
            say("fold \(fold)    \(train.count) train / \(valid.count) valid rows, \(o.epochsToRun) epochs")
            let shard = job?.shard ?? .whole
            let trainer = Trainer(config: config, model: model, train: try o.loader(train, training: true, shard: shard),
                                  valid: try o.loader(valid, training: false, shard: shard), console: say,
                                  parallel: job)
            results.append(try trainer.run())
        }
        return results
    }

    /// `body` alone, or in a job on every worker with the outcome agreed (`DataParallel.together`).
    @discardableResult
    static func step<T>(_ job: DataParallel?, _ name: String, _ body: () throws -> T) throws -> T {
        guard let job else { return try body() }
        return try job.together(name, body)
    }

    /// Folders, the lock and stale temporaries before the data is read: failures here cost nothing.
    static func claimFolders(_ o: RunOptions, console: (String) -> Void) throws -> RunLock {
        try RunFolders.checkWritable(o.modelDir, setting: .modelDir)
        try RunFolders.checkWritable(o.logDir, setting: .logDir)
        let lock = try RunLock(modelDir: URL(fileURLWithPath: o.modelDir), kernelType: o.kernelType)
        for dir in [o.modelDir, o.logDir] {
            for name in RunFolders.removeStaleTemporaries(dir) { console("removed   \(name) (left by a killed run)") }
        }
        return lock
    }

    /// What the run starts from: the data, where the backbone's weights come from, and the settings that
    /// silently differ from what a reader of the command would expect.
    static func describeStart(_ o: RunOptions, data: Dataset, pretrained: String?, console: (String) -> Void) {
        let external = data.train.filter(\.isExt).count
        console("data      \(data.train.count) training rows (\(external) external), "
            + "\(data.classes.count) classes, mel_idx \(data.melIdx)"
            + (o.useMeta ? ", \(data.nMetaFeatures) metadata features" : ""))
        if o.kernelType.contains("ext") && external == 0 {
            console("warning   the kernel name says external data, but \(o.datasetConfig.externalCSV) is absent: "
                + "training on the 2020 rows alone")
        }
        if let pretrained {
            console("backbone  \(o.enetType) from ImageNet weights in \(URL(fileURLWithPath: pretrained).standardizedFileURL.path)")
            return
        }
        console("backbone  \(o.enetType) from random weights (the original started every backbone from ImageNet "
            + "weights: see the README's \"Pretrained weights\")")
        if o.epochsToRun >= 10 && (external > 0 || data.train.count > 5000) {
            console("warning   this looks like a full run (\(o.epochsToRun) epochs, \(data.train.count) rows) but starts "
                + "from random weights")
        }
    }

    /// Measures a CPU training step of this configuration and refuses one that cannot fit (see
    /// `MemoryEstimate`). Returns the estimate.
    @discardableResult
    public static func checkMemory(_ o: RunOptions, data: Dataset, console: (String) -> Void) throws -> MemoryEstimate {
        let memory = try MemoryEstimate.measure(o, nMetaFeatures: data.nMetaFeatures)
        console("memory    \(memory)")
        guard memory.fits else {
            let smaller = memory.largestBatch.map { $0 >= 2 ? "a batch of at most \($0), " : "" } ?? ""
            throw RunError(.batchSize, "a training step needs \(memory); try \(smaller)a smaller image size, "
                + "or a GPU (the CUDA device)")
        }
        return memory
    }

    /// The estimate alone (train --check-memory): validates, reads the data, measures, trains nothing.
    public static func memoryOnly(_ o: RunOptions, console: (String) -> Void) throws -> MemoryEstimate {
        try o.validate()
        return try checkMemory(o, data: try o.loadDataset(), console: console)
    }
}


/// A fold's training and validation rows, refused before any fold trains when they cannot give a result:
/// BatchNorm needs two training rows, and an AUC needs a melanoma among the validation rows (without one
/// every epoch logs auc nan and no best checkpoint is written).
func trainingSplit(_ o: RunOptions, data: Dataset, fold: Int) throws -> (train: [Sample], valid: [Sample]) {
    let train = o.debugSubset(data.train.filter { $0.fold != fold }, multiple: 5)
    let valid = o.debugSubset(data.train.filter { $0.fold == fold }, multiple: 5)
    guard train.count >= 2, !valid.isEmpty else {
        throw RunError(.folds, "fold \(fold) has \(train.count) training and \(valid.count) validation rows; "
            + "training needs at least 2 and validation at least 1")
    }
    guard valid.contains(where: { $0.target == data.melIdx }) else {
        throw RunError(.folds, "fold \(fold): none of its \(valid.count) validation rows is melanoma, so its AUC is "
            + "undefined and no best checkpoint could be chosen; run `melanoma check-data`, or leave the fold out")
    }
    return (train, valid)
}
