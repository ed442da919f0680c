import ArgumentParser
import Foundation
import MelanomaKit

/// `melanoma report`: one HTML page plus a PNG per chart from training histories and OOF files.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an HTML report (inline SVG) and PNG charts from training histories and OOF predictions.",
        discussion: """
        Reads --log-dir/log_{kernel}.jsonl (written by train) and --oof-dir/{kernel}_{eval}_oof.csv \
        (written by evaluate) for each --kernel-type, or for every kernel found when none is given. \
        The page shows loss, AUC, auc_20 and LR per fold and epoch; per OOF file ROC with a bootstrap \
        interval, precision-recall, sensitivity at 80/90/95 % specificity, reliability with ECE and \
        Brier score, score histograms, AUC per fold and the confusion matrix; with several models a \
        comparison table and the correlation of their OOF ranks. The page needs no network.
        """
    )

    @Option(name: .flag("--model-dir"), help: "Checkpoints folder (listed in the report).") var modelDir: String?
    @Option(name: .flag("--log-dir"), help: "Folder with log_{kernel}.jsonl.") var logDir = "./logs"
    @Option(name: .flag("--oof-dir"), help: "Folder with {kernel}_{eval}_oof.csv.") var oofDir = "./oofs"
    @Option(name: .flag("--kernel-type"), parsing: .upToNextOption, help: "Kernels to include (default: all found).")
    var kernelType: [String] = []
    @Option(name: .flag("--bootstrap"), parsing: .unconditional, help: "Bootstrap resamples for the AUC interval.")
    var bootstrap = 1000
    @Option(name: .flag("--seed"), parsing: .unconditional, help: "Seed of the bootstrap resamples.")
    var seed: UInt64 = 0
    @Option(name: .flag("--out"), help: "Output folder (index.html and the PNGs).")
    var out = "./report"

    func run() throws {
        try reportingErrors("report") {
            let inputs = ReportInputs(modelDir: modelDir.map { URL(fileURLWithPath: $0, isDirectory: true) },
                                      logDir: URL(fileURLWithPath: logDir, isDirectory: true),
                                      oofDir: URL(fileURLWithPath: oofDir, isDirectory: true),
                                      kernelTypes: kernelType, bootstrap: bootstrap, seed: seed)
            let r = try ReportBuilder.build(inputs, out: URL(fileURLWithPath: out, isDirectory: true), progress: say)
            for m in r.models {
                say(m.name + String(format: "  AUC %.4f [%.4f, %.4f]  AP %.4f", m.auc.estimate, m.auc.lower, m.auc.upper,
                           m.averagePrecision))
            }
            say("report    \(r.page.path) (\(r.images.count) PNG charts next to it)")
        }
    }
}
