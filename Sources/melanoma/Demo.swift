import ArgumentParser
import Foundation
import Basics
import MelanomaKit

/// The main job: synthesize a small dataset, train, evaluate out of fold, predict and score the test set.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The whole pipeline on built-in synthetic data, on the CPU, in under five minutes on 2 cores.",
        discussion: """
        Writes a synthetic ISIC-style dataset, trains a small EfficientNet with metadata on two folds from \
        random weights, evaluates out of fold with 8-way TTA, predicts the test set with both fold models and \
        scores the prediction against the synthetic test labels (test AUC about 0.9). Everything goes under --out. \
        The defaults are chosen so every fold learns within the time: 1,500 images with 30 % melanomas (more \
        positives than the real data's 2 % to learn from), 64 px inputs, 12 epochs at a peak LR of 2e-3.
        """
    )

    @Option(name: .flag("--out"), help: "Folder for the data, weights, logs, OOF and submission.")
    var out = "./demo-out"
    @Option(name: .flag("--train"), parsing: .unconditional, help: "Synthetic training images.")
    var train = 1500
    @Option(name: .flag("--test"), parsing: .unconditional, help: "Synthetic test images.")
    var test = 300
    @Option(name: .flag("--malignant-rate"), parsing: .unconditional, help: "Share of melanomas in the synthetic train and test images.")
    var malignantRate = 0.3
    @Option(name: .flag("--size"), parsing: .unconditional, help: "Stored JPEG size.")
    var size = 128
    @Option(name: .flag("--image-size"), parsing: .unconditional, help: "Network input size.")
    var imageSize = 64
    @Option(name: .flag("--enet-type"), help: "Backbone.")
    var enetType = "efficientnet_b0"
    @Option(name: .flag("--n-epochs"), parsing: .unconditional, help: "Epochs per fold.")
    var nEpochs = 12
    @Option(name: .flag("--init-lr"),
            help: "Learning rate before warm-up (peak is 10x); higher than the original's 3e-5 because the demo starts from random weights.")
    var initLr = 2e-4
    @Option(name: .flag("--fold"), help: "Folds to train.")
    var fold = "0,1"
    @Option(name: .flag("--batch-size"), parsing: .unconditional, help: "Images per batch.")
    var batchSize = 32
    @Option(name: .flag("--num-workers"), parsing: .unconditional, help: "Loader threads.")
    var numWorkers = RunFlags.defaults.numWorkers
    @Option(name: .flag("--seed"), parsing: .unconditional, help: "Seed for the data and the run.")
    var seed = RunFlags.defaults.seed

    func run() throws {
        try reportingErrors("demo") {
            try ModelMemory.configure()
            let started = Date()
            let dataDir = out + "/data"
            say("== 1/6 synthesize \(train) train + \(test) test images (\(size) px) into \(dataDir)")
            let s = try Synth.generate(SynthConfig(outDir: dataDir, size: size, train: train, test: test, seed: seed,
                                                   malignantRate: malignantRate))
            say("          \(s.trainMalignant) melanomas in train, \(s.testMalignant) in test, \(String(format: "%.1f", s.seconds)) s")

            var o = RunOptions(kernelType: "demo_\(enetType)_meta_\(imageSize)", dataFolder: size, imageSize: imageSize,
                               enetType: enetType)
            o.dataDir = dataDir
            o.useMeta = true
            o.batchSize = batchSize
            o.numWorkers = numWorkers
            o.modelDir = out + "/weights"
            o.logDir = out + "/logs"
            o.folds = try parseInts(fold, flag: "--fold")
            o.seed = seed
            o.nEpochs = nEpochs
            o.initLR = initLr

            say("== 2/6 train \(enetType) + metadata, folds \(fold), \(plural(nEpochs, "epoch")) each")
            _ = try TrainRun.run(o, pretrained: nil, resume: false, console: say)

            say("== 3/6 evaluate out of fold (8-way TTA)")
            let ev = try EvaluateRun.run(o, eval: .best, oofDir: out + "/oofs", console: say)
            FileHandle.standardOutput.write(Data(ev.block.utf8))

            say("== 4/6 predict the test set (fold models x 8 TTA)")
            let sub = try PredictRun.run(o, eval: .best, subDir: out + "/subs", console: say)

            say("== 5/6 score against the synthetic test labels")
            let auc = try DemoScore.testAUC(submission: sub, labels: URL(fileURLWithPath: "\(dataDir)/jpeg-melanoma-\(size)x\(size)/test_labels.csv"))
            say("test AUC  \(String(format: "%.4f", auc)) (melanoma vs rest, \(test) images)")

            say("== 6/6 report (training curves, ROC/PR, calibration, confusion matrix)")
            let report = try ReportBuilder.build(
                ReportInputs(modelDir: URL(fileURLWithPath: o.modelDir), logDir: URL(fileURLWithPath: o.logDir),
                             oofDir: URL(fileURLWithPath: out + "/oofs"), kernelTypes: [o.kernelType], bootstrap: 200),
                out: URL(fileURLWithPath: out + "/report"))
            say("")
            say("data      \(dataDir)/jpeg-melanoma-\(size)x\(size)/")
            say("weights   \(o.modelDir)/")
            say("log       \(o.logDir)/log_\(o.kernelType).txt")
            say("oof       \(ev.oofFile.path)")
            say("submission \(sub.path)")
            say("report    \(report.page.path) (open it in a browser)")
            say("done in   \(String(format: "%.0f", Date().timeIntervalSince(started))) s")
        }
    }
}
