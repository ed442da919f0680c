import ArgumentParser
import Foundation
import Imaging
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
    @Option(help: "Adam learning rate before warm-up; the peak is 10x.") var initLr = 3e-5
    @Option(help: "Epochs per fold.") var nEpochs = 15
    @Option(help: "Folds to train, in order.") var fold = "0,1,2,3,4"
    @Option(help: "ImageNet weights for the backbone (.pth or .safetensors of timm/geffnet/resnest/pretrainedmodels).")
    var pretrained: String?
    @Flag(help: "Continue an interrupted run from its last completed epoch.") var resume = false

    func run() throws {
        try reportingErrors("train") {
            MallocRegime.keepAllBuffers()
            let o = try flags.options(folds: fold)
            let results = try TrainRun.run(o, nEpochs: nEpochs, initLR: initLr, pretrained: pretrained, resume: resume,
                                           console: say)
            for (f, r) in zip(o.folds, results) {
                say("fold \(f)    best auc \(String(format: "%.6f", r.aucMax)), best auc_20 \(String(format: "%.6f", r.auc20Max))")
            }
            say("weights   \(o.modelDir)/\(o.kernelType)_{best,best_20,final}_fold{k}.pth; log \(o.logDir)/log_\(o.kernelType).txt")
        }
    }
}

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Out-of-fold evaluation with 8-way TTA, as the original evaluate.py.",
        discussion: """
        Prints and logs auc_all_raw, auc_all_rank, auc_20_raw and auc_20_rank, and writes the OOF \
        predictions (image_name,fold,is_ext,target,pred) to --oof-dir/{kernel}_{eval}_oof.csv.
        """
    )

    @OptionGroup var flags: RunFlags
    @Option(help: "Checkpoint: best, best_20 or final.") var eval = "best"
    @Option(help: "Where the OOF CSV goes.") var oofDir = "./oofs"
    @Option(help: "Folds to evaluate.") var fold = "0,1,2,3,4"

    func run() throws {
        try reportingErrors("evaluate") {
            MallocRegime.keepAllBuffers()
            let choice = try parseEval(eval)
            let out = try EvaluateRun.run(try flags.options(folds: fold), eval: choice, oofDir: oofDir, console: say)
            FileHandle.standardOutput.write(Data(out.block.utf8))
            say("oof       \(out.oofFile.path)")
        }
    }
}

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict the test set with every fold model and TTA, as the original predict.py.",
        discussion: """
        The melanoma probability is softmax[:, mel_idx] averaged over --n-test TTA variants and the fold \
        models; written as image_name,target in test.csv order to --sub-dir/sub_{kernel}_{eval}.csv.
        """
    )

    @OptionGroup var flags: RunFlags
    @Option(help: "Checkpoint: best, best_20 or final.") var eval = "best"
    @Option(help: "Where the submission goes.") var subDir = "./subs"
    @Option(help: "TTA variants (1-8).") var nTest = 8
    @Option(help: "Fold models to average.") var fold = "0,1,2,3,4"

    func run() throws {
        try reportingErrors("predict") {
            MallocRegime.keepAllBuffers()
            let choice = try parseEval(eval)
            let url = try PredictRun.run(try flags.options(folds: fold), eval: choice, subDir: subDir, nTest: nTest,
                                         console: say)
            say("wrote     \(url.path)")
        }
    }
}

/// `--eval`: which checkpoint of each fold evaluate and predict read.
func parseEval(_ text: String) throws -> EvalChoice {
    guard let choice = EvalChoice(rawValue: text) else {
        throw ValidationError("--eval must be best, best_20 or final, got '\(text)'")
    }
    return choice
}
