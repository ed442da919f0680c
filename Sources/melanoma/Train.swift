import ArgumentParser
import Basics
import Foundation
import MelanomaKit

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train 5-fold melanoma models as the original train.py.",
        discussion: """
        Each fold trains on the other folds and validates on its own (external rows in both). Adam, \
        cross-entropy, one warm-up epoch to 10x --init-lr then a cosine decay, gradient clipping at 0.5 \
        for image sizes 576 and 896. Writes {kernel}_best_fold{k}.pth (best AUC over all validation rows), \
        {kernel}_best_20_fold{k}.pth (2020 rows only) and {kernel}_final_fold{k}.pth to --model-dir, and the \
        epoch lines to --log-dir/log_{kernel}.txt. After an interruption, the same command with --resume \
        continues from the last finished epoch and ends with the same weights.

        Example: melanoma train --kernel-type 9c_meta_b3_768_512_ext_18ep --data-dir ./data/ \
        --data-folder 768 --image-size 512 --enet-type efficientnet_b3 --use-meta --n-epochs 18
        """
    )

    @OptionGroup var flags: RunFlags
    @Option(name: .flag("--init-lr"), parsing: .unconditional, help: "Adam learning rate before warm-up; the peak is 10x.")
    var initLr = RunFlags.defaults.initLR
    @Option(name: .flag("--n-epochs"), parsing: .unconditional, help: "Epochs per fold.")
    var nEpochs = RunFlags.defaults.nEpochs
    @Option(name: .flag("--pretrained"),
            help: "ImageNet weights for the backbone (.pth or .safetensors of timm/geffnet/resnest/pretrainedmodels).")
    var pretrained: String?
    @Flag(name: .flag("--resume"), help: "Continue an interrupted run from its last completed epoch.")
    var resume = false
    @Flag(name: .flag("--check-memory"),
          help: "Measure what a CPU training step of these settings needs (model, batch, image size), print it and stop.")
    var checkMemory = false
    @Option(name: .flag("--nproc-per-node"), parsing: .unconditional,
            help: "Data-parallel workers to start on this machine (one per GPU with --device cuda); --batch-size stays the whole batch.")
    var nprocPerNode: Int?
    @Option(name: .flag("--nnodes"), parsing: .unconditional, help: "Machines in the job (run the same command on each).")
    var nnodes = 1
    @Option(name: .flag("--node-rank"), parsing: .unconditional, help: "This machine's number in the job, 0...nnodes-1.")
    var nodeRank = 0
    @Option(name: .flag("--master-addr"), help: "Address of the --node-rank 0 machine, which hosts the job's store (default 127.0.0.1).")
    var masterAddr: String?
    @Option(name: .flag("--master-port"), parsing: .unconditional,
            help: "Port of the job's store (default: a free one on one machine, 29500 on several).")
    var masterPort: Int?
    @Option(name: .flag("--dist-timeout"), parsing: .unconditional,
            help: "Seconds workers wait for each other, to start and in every collective.")
    var distTimeout: Double?

    func run() throws {
        let worker = try WorkerEnvironment.from()
        if worker == nil, (nprocPerNode ?? 1) > 1 || nnodes > 1 {
            var code: Int32 = 0
            try reportingErrors("train") {
                var l = Launcher(nprocPerNode: nprocPerNode ?? 1, nnodes: nnodes, nodeRank: nodeRank, masterAddr: masterAddr,
                                 masterPort: masterPort)
                if let distTimeout { l.timeout = distTimeout }
                // What every worker would refuse is said once, before any starts.
                let o = try flags.options()
                try o.validate()
                try o.validateForTraining(workers: l.nnodes * l.nprocPerNode)
                code = try l.run(arguments: Array(CommandLine.arguments.dropFirst()), say: say)
            }
            if code != 0 { throw ExitCode(code) }
            return
        }
        try reportingErrors(worker.map { "train (rank \($0.rank))" } ?? "train") {
            if worker != nil, nprocPerNode != nil || nnodes != 1 {
                throw ValidationError("--nproc-per-node/--nnodes start workers; this process already is one (RANK is set, "
                    + "e.g. by torchrun): leave them out")
            }
            var worker = worker
            if let distTimeout {
                guard distTimeout > 0 else { throw RunError(.distTimeout, "must be a positive number of seconds, got \(distTimeout)") }
                worker?.timeout = distTimeout
            }
            try ModelMemory.configure()
            var o = try flags.options()
            o.initLR = initLr
            o.nEpochs = nEpochs
            if checkMemory {
                _ = try TrainRun.memoryOnly(o, console: say)
                return
            }
            if o.debug && nEpochs != RunOptions.debugEpochs {
                say("note      --DEBUG trains \(plural(RunOptions.debugEpochs, "epoch")) per fold (as the original), not --n-epochs \(nEpochs)")
            }
            let options = o
            let leader = (worker?.rank ?? 0) == 0
            Interruption.explain { leader ? Interruption.trainingSummary(options) : nil }
            let results = try TrainRun.run(o, pretrained: pretrained, resume: resume, worker: worker, console: say)
            guard leader else { return }
            let dir = URL(fileURLWithPath: o.modelDir)
            for (f, r) in zip(o.folds, results) {
                let note = r.alreadyFinished ? " (finished earlier; nothing trained)" : ""
                say("fold \(f)    best auc \(score(r.aucMax)), best auc_20 \(score(r.auc20Max))\(note)")
                let written = EvalChoice.allCases.map { o.names.checkpoint($0, fold: f) }
                    .filter { FileManager.default.fileExists(atPath: dir.appendingPathComponent($0).path) }
                say("          " + (written.isEmpty ? "no checkpoint written" : written.joined(separator: ", ")))
            }
            say("weights   \(dir.standardizedFileURL.path)/; log \(URL(fileURLWithPath: o.logDir).standardizedFileURL.path)/log_\(o.kernelType).txt")
        }
    }

    /// A best score, or n/a when no epoch had one (an AUC is undefined on a fold with one class).
    func score(_ x: Double) -> String { x.isFinite && x > 0 ? String(format: "%.6f", x) : "n/a" }
}
