import ArgumentParser
import Basics
import Foundation
import MelanomaKit

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Out-of-fold evaluation with 8-way TTA, as the original evaluate.py.",
        discussion: """
        Prints and logs auc_all_raw, auc_all_rank, auc_20_raw and auc_20_rank, and writes the OOF \
        predictions (image_name,fold,is_ext,target,pred) to --oof-dir/{kernel}_{eval}_oof.csv.
        """
    )

    @OptionGroup var flags: RunFlags
    @OptionGroup var inference: InferenceFlags
    @Option(name: .flag("--oof-dir"), help: "Where the OOF CSV goes.")
    var oofDir = "./oofs"

    func run() throws {
        try reportingErrors("evaluate") {
            try ModelMemory.configure()
            let o = try inference.options(flags)
            let out = try EvaluateRun.run(o, eval: try inference.choice(), oofDir: oofDir, console: say)
            FileHandle.standardOutput.write(Data(out.block.utf8))
            say("oof       \(out.oofFile.standardizedFileURL.path)")
        }
    }
}
