import ArgumentParser
import Basics
import Foundation
import MelanomaKit

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict the test set with every fold model and TTA, as the original predict.py.",
        discussion: """
        The melanoma probability is softmax[:, mel_idx] averaged over --n-test TTA variants and the fold \
        models; written as image_name,target in test.csv order to --sub-dir/sub_{kernel}_{eval}.csv.
        """
    )

    @OptionGroup var flags: RunFlags
    @OptionGroup var inference: InferenceFlags
    @Option(name: .flag("--sub-dir"), help: "Where the submission goes.")
    var subDir = "./subs"

    func run() throws {
        try reportingErrors("predict") {
            try ModelMemory.configure()
            let o = try inference.options(flags)
            let url = try PredictRun.run(o, eval: try inference.choice(), subDir: subDir, console: say)
            say("wrote     \(url.standardizedFileURL.path)")
        }
    }
}
