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

    func run() throws {
        try reportingErrors("train") {
            MallocRegime.keepAllBuffers()
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
            Interruption.explain { Interruption.trainingSummary(options) }
            let results = try TrainRun.run(o, pretrained: pretrained, resume: resume, console: say)
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
