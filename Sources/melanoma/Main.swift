import ArgumentParser
import Foundation

@main
struct MelanomaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "melanoma",
        abstract: "Train, evaluate and serve melanoma classifiers for dermoscopy images (SIIM-ISIC 2020 recipe).",
        discussion: """
        One binary on libtorch 2.11. Start with `melanoma doctor` to see what this machine offers.
        """,
        subcommands: [Demo.self, Train.self, Evaluate.self, Predict.self, Ensemble.self, CheckData.self, SynthCommand.self,
                      AugmentPreview.self, Convert.self, Bench.self, Doctor.self, Report.self, PredictImage.self,
                      ServeCommand.self]
    )

    static func main() {
        ThreadPolicy.passiveWhenShared()
        main(nil)
    }
}
